package inventory

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/tui/common"
	"github.com/stockroom/stockroom/tui/internal/tuitest"
)

const wait = tuitest.Wait

type V = tuitest.Variation

func shop() []store.ListingSnapshot {
	return []store.ListingSnapshot{
		tuitest.Listing(101, "Speckled stoneware mug", V{Name: "Colour: Oat", SKU: "MUG-OAT", Quantity: 12}, V{Name: "Colour: Cobalt", SKU: "MUG-COB", Quantity: 2}),
		tuitest.Listing(102, "Linen tote bag", V{Name: "Size: Large", SKU: "TOTE-L", Quantity: 30}),
		tuitest.Listing(103, "Beeswax candle", V{Name: "Scent: Honey", SKU: "CANDLE-H", Quantity: 0}),
		tuitest.Listing(104, "Wool beanie", V{Name: "Colour: Rust", SKU: "BEANIE-R", Quantity: 9}),
	}
}

// open builds the screen for actor and loads the shop.
func open(t *testing.T, env *tuitest.Env, a app.Actor) (*Model, common.Component) {
	t.Helper()
	c := env.Common(a, 120, 20)
	m := New(c)
	m.SetSize(120, 20)
	var comp common.Component = m
	comp = tuitest.Drive(comp, wait, tuitest.Run(m.SetStore(env.StoreID), wait)...)
	if m.snap == nil {
		t.Fatalf("inventory did not load: %v", m.loadErr)
	}
	return m, comp
}

// openAt is the owner's Inventory of shop() with the cursor on sku.
func openAt(t *testing.T, sku string) (*tuitest.Env, *Model, common.Component) {
	t.Helper()
	env := tuitest.New(t, shop(), tuitest.Options{})
	m, comp := open(t, env, env.Owner)
	cursorTo(t, m, sku)
	return env, m, comp
}

func plain(m *Model) string { return ansi.Strip(m.View()) }

// cursorTo moves the cursor to the row with sku.
func cursorTo(t *testing.T, m *Model, sku string) {
	t.Helper()
	for i, v := range m.view {
		if m.rowAt(v).SKU == sku {
			m.cursor = i
			m.clampOffset()
			return
		}
	}
	t.Fatalf("no row %s in view", sku)
}

func TestShowsEveryRowWithMarkers(t *testing.T) {
	env := tuitest.New(t, shop(), tuitest.Options{})
	m, _ := open(t, env, env.Owner)
	if len(m.view) != 5 {
		t.Fatalf("rows = %d, want 5", len(m.view))
	}
	frame := plain(m)
	for _, want := range []string{"Speckled stoneware mug", "Colour: Cobalt", "MUG-COB", "25.00", "active", "OUT", "LOW", "1 of 5 rows"} {
		if !strings.Contains(frame, want) {
			t.Errorf("frame lacks %q:\n%s", want, frame)
		}
	}
	for line := range strings.SplitSeq(frame, "\n") {
		if strings.Contains(line, "CANDLE-H") && !strings.Contains(line, "OUT") {
			t.Errorf("a row at 0 is not marked out of stock: %q", line)
		}
		if strings.Contains(line, "TOTE-L") && (strings.Contains(line, "LOW") || strings.Contains(line, "OUT")) {
			t.Errorf("a well stocked row is marked: %q", line)
		}
	}
}

func TestEditSavesAndMarksPending(t *testing.T) {
	env, m, comp := openAt(t, "TOTE-L")
	id := m.current().OfferingID

	comp = tuitest.Drive(comp, wait, tuitest.Key("e"))
	if m.mode != editStock || m.edit != "30" {
		t.Fatalf("editor: mode %v value %q, want stock editor at 30", m.mode, m.edit)
	}
	comp = tuitest.Drive(comp, wait, tuitest.Keys("12")...)
	if !strings.Contains(plain(m), "12▏") {
		t.Errorf("the editor does not show 12:\n%s", plain(m))
	}
	tuitest.Drive(comp, wait, tuitest.Key("enter"))

	pushes := env.Jobs.PushCalls()
	if len(pushes) != 1 || pushes[0].OfferingID != id {
		t.Fatalf("pushes = %+v, want one for offering %d", pushes, id)
	}
	r := m.current()
	if !r.Pending() || r.Shown() != 12 || m.mode != editNone {
		t.Fatalf("after save: pending %v shown %d mode %v", r.Pending(), r.Shown(), m.mode)
	}
	frame := plain(m)
	if !strings.Contains(frame, "pending") || !strings.Contains(frame, "saved 12") {
		t.Errorf("frame does not show the pending edit:\n%s", frame)
	}
}

// A typed number is the seller's count (a set); +/- alone is a change to
// Etsy's count (an add), as stock add is.
func TestEditKindFollowsHowTheNumberWasMade(t *testing.T) {
	env, m, comp := openAt(t, "BEANIE-R")
	id := m.current().OfferingID
	comp = tuitest.Drive(comp, wait, tuitest.Key("e"), tuitest.Key("+"), tuitest.Key("+"), tuitest.Key("enter"))
	if r, err := env.DB.InventoryGetByID(t.Context(), id); err != nil || r.EditKind != store.EditAdd || r.DesiredQuantity != 11 {
		t.Fatalf("after e + + enter: kind %q desired %d (%v), want an add to 11", r.EditKind, r.DesiredQuantity, err)
	}
	cursorTo(t, m, "TOTE-L")
	id = m.current().OfferingID
	tuitest.Drive(comp, wait, append(append([]tea.Msg{tuitest.Key("e")}, tuitest.Keys("12")...), tuitest.Key("+"), tuitest.Key("enter"))...)
	if r, err := env.DB.InventoryGetByID(t.Context(), id); err != nil || r.EditKind != store.EditSet || r.DesiredQuantity != 13 {
		t.Fatalf("after e 12 + enter: kind %q desired %d (%v), want a set of 13", r.EditKind, r.DesiredQuantity, err)
	}
}

func TestEditStepsAndCancels(t *testing.T) {
	env, m, comp := openAt(t, "BEANIE-R")
	comp = tuitest.Drive(comp, wait, tuitest.Key("e"), tuitest.Key("+"), tuitest.Key("+"), tuitest.Key("-"))
	if m.edit != "10" {
		t.Fatalf("9 +1 +1 -1 = %q, want 10", m.edit)
	}
	comp = tuitest.Drive(comp, wait, tuitest.Key("backspace"), tuitest.Key("esc"))
	if m.mode != editNone || len(env.Jobs.PushCalls()) != 0 || m.current().Shown() != 9 {
		t.Fatalf("esc did not cancel: mode %v pushes %d shown %d", m.mode, len(env.Jobs.PushCalls()), m.current().Shown())
	}
	_ = comp
}

// Issue 17: typing 1000 silently kept 100 and enter saved it. The editor
// shows what was typed and refuses it with stock set's message.
func TestEditRefusesOutOfRange(t *testing.T) {
	env := tuitest.New(t, shop(), tuitest.Options{})
	m, comp := open(t, env, env.Owner)
	comp = tuitest.Drive(comp, wait, tuitest.Key("e"))
	comp = tuitest.Drive(comp, wait, tuitest.Keys("1000")...)
	if m.edit != "1000" {
		t.Fatalf("value = %q, want 1000 as typed", m.edit)
	}
	want := (&app.QuantityError{Quantity: 1000}).Error()
	if want != "quantity 1000 is out of range: Etsy accepts 0 to 999" || !strings.Contains(plain(m), want) {
		t.Errorf("no message for 1000:\n%s", plain(m))
	}
	comp = tuitest.Drive(comp, wait, tuitest.Key("enter"))
	if m.mode != editStock || m.edit != "1000" || !strings.Contains(plain(m), want) {
		t.Errorf("enter on 1000: mode %v value %q\n%s", m.mode, m.edit, plain(m))
	}
	if len(env.Jobs.PushCalls()) != 0 {
		t.Fatal("1000 was saved")
	}
	comp = tuitest.Drive(comp, wait, tuitest.Key("esc"), tuitest.Key("e"), tuitest.Key("0"), tuitest.Key("-"))
	if m.edit != "0" || !strings.Contains(plain(m), "quantity -1 is out of range") {
		t.Errorf("0 - 1: value %q\n%s", m.edit, plain(m))
	}
	tuitest.Drive(comp, wait, tuitest.Key("esc"))
	if len(env.Jobs.PushCalls()) != 0 {
		t.Error("a refused value was saved")
	}
}

func TestStaleEditShowsCurrentQuantity(t *testing.T) {
	env, m, comp := openAt(t, "MUG-OAT")
	r := m.current()
	comp = tuitest.Drive(comp, wait, tuitest.Key("e"), tuitest.Key("5"))

	// Someone else saves 7 while the editor is open.
	if _, err := env.App.SetStock(context.Background(), env.Owner, app.StockParams{StoreID: env.StoreID, Source: store.SourceCommand,
		Edits: []store.StockEditItem{{OfferingID: r.OfferingID, Version: r.Version, Quantity: 7}}}); err != nil {
		t.Fatal(err)
	}
	tuitest.Drive(comp, wait, tuitest.Key("enter"))
	frame := plain(m)
	if !strings.Contains(frame, "changed elsewhere (now 7)") || !strings.Contains(frame, "was not saved") {
		t.Fatalf("no stale message:\n%s", frame)
	}
	if m.current().Shown() != 7 {
		t.Errorf("row shows %d, want the current 7", m.current().Shown())
	}
	if got := len(env.Jobs.PushCalls()); got != 1 {
		t.Errorf("pushes = %d, want only the other edit's", got)
	}
}

func TestViewerCannotEdit(t *testing.T) {
	env := tuitest.New(t, shop(), tuitest.Options{})
	viewer := env.Member(t, "Vera Viewer", store.RoleViewer)
	m, comp := open(t, env, viewer)
	comp = tuitest.Drive(comp, wait, tuitest.Key("e"))
	if m.mode != editNone {
		t.Fatal("the editor opened for a viewer")
	}
	if !strings.Contains(plain(m), "viewers cannot edit") {
		t.Errorf("no message:\n%s", plain(m))
	}
	tuitest.Drive(comp, wait, tuitest.Key("t"))
	if m.mode != editNone {
		t.Fatal("the threshold editor opened for a viewer")
	}

	// A role lowered after the screen loaded is caught by the application
	// layer, and said the same way.
	m.role = store.RoleOwner
	tuitest.Drive(comp, wait, tuitest.Key("e"), tuitest.Key("3"), tuitest.Key("enter"))
	if !strings.Contains(plain(m), "viewers cannot edit") || len(env.Jobs.PushCalls()) != 0 {
		t.Errorf("SetStock as a viewer: pushes %d\n%s", len(env.Jobs.PushCalls()), plain(m))
	}
}

func TestFilterSortAndJump(t *testing.T) {
	env := tuitest.New(t, shop(), tuitest.Options{})
	m, comp := open(t, env, env.Owner)

	comp = tuitest.Drive(comp, wait, tuitest.Key("/"))
	comp = tuitest.Drive(comp, wait, tuitest.Keys("mgcob")...)
	if len(m.view) != 1 || m.current().SKU != "MUG-COB" {
		t.Fatalf("fuzzy filter 'mgcob' kept %d rows", len(m.view))
	}
	comp = tuitest.Drive(comp, wait, tuitest.Key("backspace"), tuitest.Key("backspace"), tuitest.Key("backspace"))
	if len(m.view) != 2 {
		t.Fatalf("filter 'mg' kept %d rows, want the two mugs", len(m.view))
	}
	comp = tuitest.Drive(comp, wait, tuitest.Key("enter"))
	if m.filtering || !strings.Contains(plain(m), "filter: mg") {
		t.Fatalf("enter did not keep the filter:\n%s", plain(m))
	}
	comp = tuitest.Drive(comp, wait, tuitest.Key("esc"))
	if len(m.view) != 5 {
		t.Fatalf("esc left %d rows", len(m.view))
	}

	// s cycles title → variation → SKU → quantity.
	comp = tuitest.Drive(comp, wait, tuitest.Keys("sss")...)
	if m.col != colQuantity {
		t.Fatalf("column = %v, want quantity", m.col)
	}
	var got []int
	for _, v := range m.view {
		got = append(got, m.rowAt(v).Shown())
	}
	if want := []int{0, 2, 9, 12, 30}; !slices.Equal(got, want) {
		t.Fatalf("by quantity: %v, want %v", got, want)
	}
	comp = tuitest.Drive(comp, wait, tuitest.Key("S"))
	if m.rowAt(m.view[0]).Shown() != 30 || !strings.Contains(plain(m), "Qty ▼") {
		t.Fatalf("S did not reverse:\n%s", plain(m))
	}

	// L visits the low rows (threshold defaults apply) and wraps.
	comp = tuitest.Drive(comp, wait, tuitest.Key("g"))
	var lows []string
	for range 3 {
		comp = tuitest.Drive(comp, wait, tuitest.Key("L"))
		lows = append(lows, m.current().SKU)
	}
	if lows[0] == lows[1] || lows[2] != lows[0] || !m.current().Low() {
		t.Errorf("L visited %v", lows)
	}

	comp = tuitest.Drive(comp, wait, tuitest.Key("G"))
	if m.cursor != len(m.view)-1 {
		t.Errorf("G: cursor %d", m.cursor)
	}
	comp = tuitest.Drive(comp, wait, tuitest.Key("k"), tuitest.Key("k"), tuitest.Key("j"))
	if m.cursor != len(m.view)-2 {
		t.Errorf("k k j: cursor %d", m.cursor)
	}
	tuitest.Drive(comp, wait, tea.MouseWheelMsg{Button: tea.MouseWheelUp})
	if m.cursor != 0 {
		t.Errorf("wheel up: cursor %d", m.cursor)
	}
}

func TestLiveEventsUpdateRows(t *testing.T) {
	env, m, comp := openAt(t, "TOTE-L")
	r := *m.current()
	rows, err := env.App.SetStock(context.Background(), env.Owner, app.StockParams{StoreID: env.StoreID, Source: store.SourceCommand,
		Edits: []store.StockEditItem{{OfferingID: r.OfferingID, Version: r.Version, Quantity: 4}}})
	if err != nil {
		t.Fatal(err)
	}
	comp = tuitest.Drive(comp, wait, common.LiveMsg{Event: hubStock(env.StoreID, r.OfferingID)})
	if got := m.current(); got.Shown() != 4 || !got.Pending() {
		t.Fatalf("after the event: shown %d pending %v", got.Shown(), got.Pending())
	}
	if !strings.Contains(plain(m), "pending") {
		t.Errorf("no pending marker:\n%s", plain(m))
	}

	// The push worker's verdict arrives the same way.
	if err := env.DB.PushFailed(context.Background(), &store.PushFailedParams{OfferingID: r.OfferingID,
		DesiredVersion: rows[0].DesiredVersion, Message: "Etsy says: \x1b[31mquantity locked\x1b[0m", Now: tuitest.Epoch}); err != nil {
		t.Fatal(err)
	}
	tuitest.Drive(comp, wait, common.LiveMsg{Event: hubStock(env.StoreID, r.OfferingID)})
	frame := m.View()
	if !strings.Contains(ansi.Strip(frame), "failed") || !strings.Contains(ansi.Strip(frame), "Etsy refused the last push: Etsy says: quantity locked") {
		t.Errorf("no failure shown:\n%s", ansi.Strip(frame))
	}
	if strings.Contains(frame, "\x1b[31m") {
		t.Error("Etsy's escape sequence reached the frame")
	}
}

func TestThresholdAndHistory(t *testing.T) {
	_, m, comp := openAt(t, "TOTE-L")
	if m.current().Low() {
		t.Fatal("30 is low before any threshold")
	}
	comp = tuitest.Drive(comp, wait, tuitest.Key("t"), tuitest.Key("4"), tuitest.Key("0"), tuitest.Key("enter"))
	if r := m.current(); r.Threshold != 40 || !r.Low() {
		t.Fatalf("threshold %d low %v, want 40 and low", r.Threshold, r.Low())
	}
	comp = tuitest.Drive(comp, wait, tuitest.Key("e"), tuitest.Keys("25")[0], tuitest.Keys("25")[1], tuitest.Key("enter"), tuitest.Key("H"))
	if m.history == nil || len(m.history.events) != 1 {
		t.Fatalf("history not shown: %+v", m.history)
	}
	frame := plain(m)
	if !strings.Contains(frame, "History: Linen tote bag") || !strings.Contains(frame, "your edit") || !strings.Contains(frame, " 30 → 25") {
		t.Errorf("history frame:\n%s", frame)
	}
	tuitest.Drive(comp, wait, tuitest.Key("esc"))
	if m.history != nil {
		t.Error("esc did not close the history")
	}
}

func TestHostileTitleNeverReachesTheTerminal(t *testing.T) {
	hostile := "Mug \x1b]52;c;SGVsbG8=\x07 \x1b]8;;https://evil.example\x07link\x1b]8;;\x07 \x1b[2J wipe \x1b[6n ask \u009b2J c1 \x9b2J raw"
	listings := append(shop(), tuitest.Listing(105, hostile, V{Name: "Size: \x1b[6n", SKU: "EVIL\x1b[2J", Quantity: 1}))
	env := tuitest.New(t, listings, tuitest.Options{})
	m, comp := open(t, env, env.Owner)
	cursorTo(t, m, "EVIL\x1b[2J")
	frames := []string{m.View()}
	tuitest.Drive(comp, wait, tuitest.Key("k"))
	frames = append(frames, m.View()) // the row drawn without the cursor too
	tuitest.Drive(comp, wait, tuitest.Key("j"), tuitest.Key("H"))
	frames = append(frames, m.View())
	for _, f := range frames {
		assertSafe(t, f)
	}
	if !strings.Contains(ansi.Strip(frames[0]), "Mug") {
		t.Errorf("the title's text is gone:\n%s", ansi.Strip(frames[0]))
	}
}

// assertSafe checks a frame holds no escape sequence but SGR styling.
func assertSafe(t *testing.T, frame string) {
	t.Helper()
	for _, bad := range []string{"\x1b]", "\x1b[2J", "\x1b[6n", "\u009b", "\x9b", "\x07"} {
		if strings.Contains(frame, bad) {
			t.Errorf("frame holds %q", bad)
		}
	}
	// Every CSI left must be SGR (ends in m).
	for i := 0; i < len(frame); i++ {
		if frame[i] != 0x1b {
			continue
		}
		if i+1 >= len(frame) || frame[i+1] != '[' {
			t.Fatalf("non-CSI escape at %d: %q", i, frame[i:min(i+8, len(frame))])
		}
		j := i + 2
		for j < len(frame) && (frame[j] >= '0' && frame[j] <= '9' || frame[j] == ';' || frame[j] == ':') {
			j++
		}
		if j >= len(frame) || frame[j] != 'm' {
			t.Fatalf("CSI other than SGR at %d: %q", i, frame[i:min(j+1, len(frame))])
		}
	}
}

func hubStock(storeID, offeringID int64) hub.Event {
	return hub.Event{Kind: hub.StockChanged, StoreID: storeID, OfferingIDs: []int64{offeringID}}
}

func TestSortIsNatural(t *testing.T) {
	env := tuitest.New(t, []store.ListingSnapshot{
		tuitest.Listing(201, "Boho Beanie #117", V{Name: "Size 10", SKU: "BB-100", Quantity: 1}),
		tuitest.Listing(202, "boho beanie #17", V{Name: "Size 9", SKU: "BB-20", Quantity: 1}),
		tuitest.Listing(203, "Boho Beanie #2", V{Name: "Size 100", SKU: "bb-3", Quantity: 1}),
	}, tuitest.Options{})
	m, comp := open(t, env, env.Owner)
	column := func(get func(*store.InventoryRow) string) string {
		var got []string
		for _, v := range m.view {
			got = append(got, get(m.rowAt(v)))
		}
		return strings.Join(got, " | ")
	}
	if got, want := column(func(r *store.InventoryRow) string { return r.Title }), "Boho Beanie #2 | boho beanie #17 | Boho Beanie #117"; got != want {
		t.Errorf("by title: %s, want %s", got, want)
	}
	comp = tuitest.Drive(comp, wait, tuitest.Key("s"))
	if got, want := column(func(r *store.InventoryRow) string { return r.Variation }), "Size 9 | Size 10 | Size 100"; got != want {
		t.Errorf("by variation: %s, want %s", got, want)
	}
	comp = tuitest.Drive(comp, wait, tuitest.Key("s"))
	if got, want := column(func(r *store.InventoryRow) string { return r.SKU }), "bb-3 | BB-20 | BB-100"; got != want {
		t.Errorf("by SKU: %s, want %s", got, want)
	}
	tuitest.Drive(comp, wait, tuitest.Key("S"))
	if got, want := column(func(r *store.InventoryRow) string { return r.SKU }), "BB-100 | BB-20 | bb-3"; got != want {
		t.Errorf("by SKU, reversed: %s, want %s", got, want)
	}
}

func TestCompareNatural(t *testing.T) {
	// Each string sorts strictly before the next.
	ordered := []string{
		"", "0", "00", "1", "01", "7", "007", "9", "10", "99", "100",
		"123456789012345678901234567890", "123456789012345678901234567891",
		"a", "A1", "a2", "a10", "a10b", "a10c", "a011", "b", "mug", "Mug 2", "mug 10", "Écru",
	}
	for i := range ordered {
		for j := range ordered {
			got := compareNatural(ordered[i], ordered[j])
			if want := cmp.Compare(i, j); got != want {
				t.Errorf("compareNatural(%q, %q) = %d, want %d", ordered[i], ordered[j], got, want)
			}
		}
	}
}

// The "pushing to Etsy" note follows the push: it gives way to Etsy's
// verdict on the live update that shows the row pushed or failed, rather
// than staying next to a row that already says "pushed".
func TestPushNoteFollowsThePush(t *testing.T) {
	env := tuitest.New(t, shop(), tuitest.Options{})
	m, comp := open(t, env, env.Owner)
	ctx := context.Background()

	cursorTo(t, m, "TOTE-L")
	comp = tuitest.Drive(comp, wait, tuitest.Key("e"), tuitest.Key("1"), tuitest.Key("2"), tuitest.Key("enter"))
	if !strings.Contains(plain(m), "saved 12: pushing to Etsy") {
		t.Fatalf("no pushing note after the save:\n%s", plain(m))
	}
	r := *m.current()
	if _, err := env.DB.PushDone(ctx, &store.PushDoneParams{OfferingID: r.OfferingID, DesiredVersion: r.DesiredVersion,
		Pushed: 12, Etsy: 12, Now: tuitest.Epoch}); err != nil {
		t.Fatal(err)
	}
	// Another row's update leaves the note alone.
	other := m.rowAt(m.view[0]).OfferingID
	if other == r.OfferingID {
		other = m.rowAt(m.view[1]).OfferingID
	}
	comp = tuitest.Drive(comp, wait, common.LiveMsg{Event: hubStock(env.StoreID, other)})
	comp = tuitest.Drive(comp, wait, common.LiveMsg{Event: hubStock(env.StoreID, r.OfferingID)})
	frame := plain(m)
	if !strings.Contains(frame, "pushed") || strings.Contains(frame, "pushing to Etsy") || !strings.Contains(frame, "12 is on Etsy") {
		t.Fatalf("after the push, the frame should say 12 is on Etsy and not pushing:\n%s", frame)
	}

	cursorTo(t, m, "BEANIE-R")
	comp = tuitest.Drive(comp, wait, tuitest.Key("e"), tuitest.Key("3"), tuitest.Key("enter"))
	r = *m.current()
	if err := env.DB.PushFailed(ctx, &store.PushFailedParams{OfferingID: r.OfferingID, DesiredVersion: r.DesiredVersion,
		Message: "listing is inactive", Now: tuitest.Epoch}); err != nil {
		t.Fatal(err)
	}
	cursorTo(t, m, "TOTE-L") // the failure is told even away from its row
	tuitest.Drive(comp, wait, common.LiveMsg{Event: hubStock(env.StoreID, r.OfferingID)})
	frame = plain(m)
	if strings.Contains(frame, "pushing to Etsy") || !strings.Contains(frame, "Etsy refused the last push: listing is inactive") {
		t.Fatalf("after the refusal, the frame should say so:\n%s", frame)
	}
}

// Issue 17: "this account is disabled" stayed on screen after an admin
// enabled the account again.
func TestDisabledMessageGoesWhenEnabledAgain(t *testing.T) {
	env := tuitest.New(t, shop(), tuitest.Options{})
	if err := env.DB.AccountSetDisabled(t.Context(), env.Owner.Account.ID, true); err != nil {
		t.Fatal(err)
	}
	c := env.Common(env.Owner, 120, 20)
	m := New(c)
	m.SetSize(120, 20)
	var comp common.Component = m
	comp = tuitest.Drive(comp, wait, tuitest.Run(m.SetStore(env.StoreID), wait)...)
	if !strings.Contains(plain(m), "disabled") {
		t.Fatalf("a disabled account's inventory:\n%s", plain(m))
	}
	if err := env.DB.AccountSetDisabled(t.Context(), env.Owner.Account.ID, false); err != nil {
		t.Fatal(err)
	}
	tuitest.Drive(comp, wait, common.LiveMsg{Event: hub.Event{Kind: hub.AccountChanged, AccountID: env.Owner.Account.ID}})
	if f := plain(m); strings.Contains(f, "disabled") || !strings.Contains(f, "MUG-OAT") {
		t.Fatalf("after enabling:\n%s", f)
	}
}

// A seller who types "/" and a SKU before the rows have loaded keeps what
// they typed: the filter opens at once and applies when the rows arrive.
func TestFilterTypedWhileLoadingApplies(t *testing.T) {
	env := tuitest.New(t, shop(), tuitest.Options{})
	c := env.Common(env.Owner, 120, 20)
	m := New(c)
	m.SetSize(120, 20)
	var comp common.Component = m
	load := m.SetStore(env.StoreID)
	comp = tuitest.Drive(comp, wait, append([]tea.Msg{tuitest.Key("/")}, tuitest.Keys("TOTE")...)...)
	comp = tuitest.Drive(comp, wait, tuitest.Key("enter"))
	tuitest.Drive(comp, wait, tuitest.Run(load, wait)...)
	if m.snap == nil {
		t.Fatalf("inventory did not load: %v", m.loadErr)
	}
	f := plain(m)
	if !strings.Contains(f, "TOTE-L") || strings.Contains(f, "MUG-OAT") {
		t.Fatalf("the filter typed while loading was lost:\n%s", f)
	}
}

// Loads are numbered like every screen's: an older load of the same store
// that answers last is dropped, so a read that failed while the session
// was changing does not mark the inventory that did load as failed.
func TestAnOlderLoadOfTheSameStoreAnsweringLastIsDropped(t *testing.T) {
	env := tuitest.New(t, shop(), tuitest.Options{})
	m := New(env.Common(env.Owner, 120, 20))
	m.SetSize(120, 20)
	live := m.c.Ctx
	ended, cancel := context.WithCancel(live)
	cancel()
	m.c.Ctx = ended
	older := tuitest.Run(m.SetStore(env.StoreID), wait)
	m.c.Ctx = live
	newer := tuitest.Run(m.SetStore(env.StoreID), wait)
	if len(older) != 1 || older[0].(loadedMsg).err == nil {
		t.Fatalf("the older read did not fail: %v", older)
	}
	var comp common.Component = m
	comp = tuitest.Drive(comp, wait, newer...)
	tuitest.Drive(comp, wait, older...)
	if m.loadErr != nil || m.snap == nil {
		t.Fatalf("the older answer replaced the newer: err %v\n%s", m.loadErr, plain(m))
	}
}

// The sessions on one snapshot share one sort per order, the order a
// session sorting the rows itself gets; a new snapshot (an edit) sorts
// again by its own rows.
func TestSessionsShareTheSnapshotsSort(t *testing.T) {
	env := tuitest.New(t, tuitest.Catalogue(30, 3), tuitest.Options{})
	a, _ := open(t, env, env.Owner)
	b, _ := open(t, env, env.Owner)
	if a.snap != b.snap {
		t.Fatal("two sessions of one store hold different snapshots")
	}
	if &a.order[0] != &b.order[0] {
		t.Error("two sessions on one snapshot sorted it each")
	}
	own := func(snap *app.Snapshot, col column, desc bool) ([]int32, need) {
		row := func(i int32) *store.InventoryRow { return snap.Row(int(i)) }
		var order []int32
		for i := range snap.Len() {
			if !snap.Row(i).Gone {
				order = append(order, int32(i))
			}
		}
		sortOrder(order, row, col, desc)
		return order, measure(order, row)
	}
	for col := range numColumns {
		for _, desc := range []bool{false, true} {
			got := sortedOf(a.snap, col, desc)
			want, n := own(a.snap, col, desc)
			if !slices.Equal(got.order, want) || got.need != n {
				t.Errorf("shared order by %v (desc %v) = %v %+v, want %v %+v", col, desc, got.order, got.need, want, n)
			}
		}
	}

	// The row with the least stock gets the most: a new snapshot, where it
	// sorts last by quantity (999).
	first := sortedOf(a.snap, colQuantity, false)
	low := a.snap.Row(int(first.order[0]))
	ctx := context.Background()
	if _, err := env.App.SetStock(ctx, env.Owner, app.StockParams{StoreID: env.StoreID, Source: store.SourceCommand,
		Edits: []store.StockEditItem{{OfferingID: low.OfferingID, Version: low.Version, Quantity: 999}}}); err != nil {
		t.Fatal(err)
	}
	next, err := env.Snaps.Refresh(ctx, env.Owner, env.StoreID, []int64{low.OfferingID}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	got := sortedOf(next, colQuantity, false)
	want, _ := own(next, colQuantity, false)
	if !slices.Equal(got.order, want) {
		t.Fatalf("after an edit the shared order is %v, want %v", got.order, want)
	}
	if last := got.order[len(got.order)-1]; next.Row(int(last)).OfferingID != low.OfferingID {
		t.Errorf("the row edited to 999 is not last by quantity")
	}
}

// A live edit redraws the edited row's line, with its new number, and no
// other: the lines of the rows it did not change, the row under the
// cursor's included, are the very strings drawn before.
func TestLiveEditRedrawsOnlyTheChangedRow(t *testing.T) {
	env, m, comp := openAt(t, "TOTE-L")
	drawn := func() map[string]*byte { // the drawn line of each SKU, by its bytes' address
		m.View()
		out := map[string]*byte{}
		for _, i := range m.view {
			if r := m.rowAt(i); r != m.current() {
				out[r.SKU] = unsafe.StringData(m.lines[r])
			}
		}
		if cur := m.current(); strings.Contains(m.selectedMemo.val, cur.SKU) {
			out[cur.SKU] = unsafe.StringData(m.selectedMemo.val)
		} else {
			t.Fatalf("the frame did not keep the line of the row under the cursor, %s", cur.SKU)
		}
		return out
	}
	edit := func(sku string, n int) {
		t.Helper()
		cursor := m.cursor
		cursorTo(t, m, sku)
		r := *m.current()
		m.cursor = cursor
		if _, err := env.App.SetStock(context.Background(), env.Owner, app.StockParams{StoreID: env.StoreID, Source: store.SourceCommand,
			Edits: []store.StockEditItem{{OfferingID: r.OfferingID, Version: r.Version, Quantity: n}}}); err != nil {
			t.Fatal(err)
		}
		comp = tuitest.Drive(comp, wait, common.LiveMsg{Event: hubStock(env.StoreID, r.OfferingID)})
	}
	rowShows := func(sku, want string) bool {
		for line := range strings.SplitSeq(plain(m), "\n") {
			if f := strings.Fields(line); slices.Contains(f, sku) {
				return slices.Contains(f, want)
			}
		}
		return false
	}
	before := drawn()
	if again := drawn(); !maps.Equal(before, again) {
		t.Fatalf("an unchanged frame drew lines again: %v, then %v", before, again)
	}
	for _, c := range []struct {
		sku string
		n   int
	}{{"MUG-OAT", 7}, {"TOTE-L", 26}} { // a row, then the one under the cursor
		edit(c.sku, c.n)
		if !rowShows(c.sku, strconv.Itoa(c.n)) {
			t.Fatalf("%s does not show %d:\n%s", c.sku, c.n, plain(m))
		}
		after := drawn()
		for sku, p := range before {
			if redrawn := after[sku] != p; redrawn != (sku == c.sku) {
				t.Errorf("editing %s: line of %s redrawn %v", c.sku, sku, redrawn)
			}
		}
		before = after
	}
}
