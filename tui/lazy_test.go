package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/stockroom/stockroom/tui/internal/tuitest"
	"github.com/stockroom/stockroom/tui/pages/stores"
)

// A session opened on one screen builds and loads that screen only: under
// a burst of sessions opening on Inventory, the other tabs' queries and
// memory are not paid before the first frame. A tab is built, with the
// current store, the first time it is shown.
func TestOnlyTheShownScreenLoads(t *testing.T) {
	_, l := ownerInventory(t, tuitest.Options{})
	l.quiet()
	for _, s := range l.root().screens {
		if built := s.comp != nil; built != (s.name == "inventory") {
			t.Errorf("screen %s built = %v after opening on inventory", s.name, built)
		}
	}
	l.send(tuitest.Key("3"))
	l.settle("the sales screen with the store's receipts", func() bool {
		f := l.plain()
		return strings.Contains(f, "Sales · status") && strings.Contains(f, "receipts") && !strings.Contains(f, "loading")
	})
	if s := l.root().screens[l.root().screenIndex("sales")]; s.comp == nil {
		t.Fatal("the sales screen is shown but not built")
	}
	// Back and forth keeps what was built: the inventory is not read again.
	inv := l.root().screens[l.root().screenIndex("inventory")].comp
	l.send(tuitest.Key("2"))
	if got := l.root().current(); got != inv {
		t.Error("going back to the inventory built it again")
	}
}

// The first frame a session draws is the screen it opens on with its data:
// no frame at the default size, none with the tabs only or "loading"
// first. Each of those costs every session of a burst a full render.
func TestFirstFrameHasTheRows(t *testing.T) {
	env := tuitest.New(t, shop(), tuitest.Options{})
	for _, screen := range []string{"inventory", "", "stores"} {
		m := New(session(env, &env.Owner, screen, nil)).(*Model)
		m.firstWait = time.Hour // the hold ends by readiness alone here
		want := map[string]string{"inventory": "MUG-OAT", "": "Runs out first", "stores": "Etsy calls left today"}[screen]
		var early []string
		l := newLoop(t, m, 120, 30)
		l.settle("the first frame", func() bool {
			f := strings.TrimSpace(l.plain())
			if f != "" && !strings.Contains(f, want) {
				early = append(early, f)
			}
			return f != ""
		})
		if !strings.Contains(l.plain(), want) || !strings.Contains(l.plain(), "Owner · Olive") {
			t.Errorf("screen %q: the first frame lacks %q or the store's name:\n%s", screen, want, l.plain())
		}
		if len(early) > 0 {
			t.Errorf("screen %q: %d frames before the data, the first:\n%s", screen, len(early), early[0])
		}
	}
}

// The palette's "Connect an Etsy shop" moves to Stores and starts the
// connect there, even when the session has not shown Stores yet (it is
// built then, and still gets the key).
func TestPaletteConnectBuildsStores(t *testing.T) {
	_, l := ownerInventory(t, tuitest.Options{})
	l.palette("connectanetsy")
	st, ok := l.root().current().(*stores.Model)
	if !ok {
		t.Fatalf("the palette's connect went to %T", l.root().current())
	}
	if !st.Connecting() {
		t.Errorf("the connect did not start:\n%s", l.plain())
	}
}
