package list_test

import (
	"slices"
	"testing"

	"github.com/stockroom/stockroom/tui/common"
	"github.com/stockroom/stockroom/tui/components/list"
	"github.com/stockroom/stockroom/tui/internal/tuitest"
)

func press(t *testing.T, m *list.Model, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if !m.Update(tuitest.Key(k)) {
			t.Fatalf("%s is not a navigation key", k)
		}
	}
}

func TestWindowFollowsTheCursor(t *testing.T) {
	m := list.New(list.NewKeyMap(common.DefaultKeyMap()))
	m.SetHeight(3)
	m.SetLen(10)
	press(t, &m, "j", "j", "j")
	if got := slices.Collect(m.Visible()); m.Cursor() != 3 || !slices.Equal(got, []int{1, 2, 3}) {
		t.Fatalf("after 3 down: cursor %d, visible %v", m.Cursor(), got)
	}
	press(t, &m, "pgdown", "pgdown", "pgdown")
	if got := slices.Collect(m.Visible()); m.Cursor() != 9 || !slices.Equal(got, []int{7, 8, 9}) {
		t.Fatalf("after pages down: cursor %d, visible %v", m.Cursor(), got)
	}
	press(t, &m, "g")
	if got := slices.Collect(m.Visible()); m.Cursor() != 0 || !slices.Equal(got, []int{0, 1, 2}) {
		t.Fatalf("top: cursor %d, visible %v", m.Cursor(), got)
	}
	m.SetCursor(8)
	m.SetLen(4)
	if got := slices.Collect(m.Visible()); m.Cursor() != 3 || !slices.Equal(got, []int{3}) {
		t.Fatalf("shorter list: cursor %d, visible %v, want the last item in view", m.Cursor(), got)
	}
	if m.Update(tuitest.Key("r")) {
		t.Fatal("r moved the list")
	}
}

func TestKeysTheScreenDoesNotOffer(t *testing.T) {
	k := common.DefaultKeyMap()
	m := list.New(list.KeyMap{Up: k.Up, Down: k.Down})
	m.SetLen(5)
	if m.Update(tuitest.Key("pgdown")) || m.Update(tuitest.Key("G")) {
		t.Fatal("a key the screen left out moved the list")
	}
	if n := len(m.Keys().Bindings()); n != 2 {
		t.Fatalf("help lists %d bindings, want 2", n)
	}
}

func TestFixedItemsStayAndTallItemsFit(t *testing.T) {
	m := list.New(list.NewKeyMap(common.DefaultKeyMap()))
	m.SetFixed(2)
	m.SetHeight(2)
	m.SetLen(8)
	if got := slices.Collect(m.Visible()); !slices.Equal(got, []int{2, 3}) {
		t.Fatalf("visible below the fixed items: %v", got)
	}
	press(t, &m, "G")
	if got := slices.Collect(m.Visible()); !slices.Equal(got, []int{6, 7}) {
		t.Fatalf("bottom: %v", got)
	}
	// On a fixed item the window stays where it was.
	press(t, &m, "g")
	if got := slices.Collect(m.Visible()); m.Cursor() != 0 || !slices.Equal(got, []int{6, 7}) {
		t.Fatalf("top, on a fixed item: cursor %d, visible %v", m.Cursor(), got)
	}
	press(t, &m, "j", "j")
	if got := slices.Collect(m.Visible()); m.Cursor() != 2 || !slices.Equal(got, []int{2, 3}) {
		t.Fatalf("first scrolling item: cursor %d, visible %v", m.Cursor(), got)
	}

	// Item 1 takes three lines of a four-line window.
	tall := list.New(list.NewKeyMap(common.DefaultKeyMap()))
	tall.SetHeight(4)
	tall.SetLen(5)
	tall.SetItemHeight(func(i int) int {
		if i == 1 {
			return 3
		}
		return 1
	})
	press(t, &tall, "j", "j")
	if got := slices.Collect(tall.Visible()); !slices.Equal(got, []int{1, 2}) {
		t.Fatalf("the cursor's item and the tall one above it: %v", got)
	}
}
