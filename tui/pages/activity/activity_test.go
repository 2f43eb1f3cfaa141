package activity

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/tui/internal/tuitest"
)

type fixture struct {
	*tuitest.Env
	rows []store.InventoryRow
}

func setup(t *testing.T) *fixture {
	t.Helper()
	env := tuitest.New(t, []store.ListingSnapshot{tuitest.Listing(500, "Speckled mug",
		tuitest.Variation{Name: "Blue", SKU: "MUG-B", Quantity: 10}, tuitest.Variation{Name: "Red", SKU: "MUG-R", Quantity: 5})}, tuitest.Options{})
	rows, err := env.App.Inventory(context.Background(), env.Owner, env.StoreID)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{Env: env, rows: rows}
}

func (f *fixture) set(t *testing.T, a app.Actor, sku string, qty int) {
	t.Helper()
	for _, r := range f.rows {
		if r.SKU == sku {
			if _, err := f.App.SetStock(context.Background(), a, app.StockParams{StoreID: f.StoreID, Source: store.SourceTUI,
				Edits: []store.StockEditItem{{OfferingID: r.OfferingID, Quantity: qty}}}); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("no SKU %s", sku)
}

func (f *fixture) page(t *testing.T, a app.Actor) *Model {
	t.Helper()
	return tuitest.Open(t, New(f.Common(a, 140, 30)), 140, 28, tuitest.Store[*Model](f.StoreID))
}

func (f *fixture) shown(t *testing.T, sku string) int {
	t.Helper()
	rows, err := f.App.Inventory(context.Background(), f.Owner, f.StoreID)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.SKU == sku {
			return r.Shown()
		}
	}
	t.Fatalf("no SKU %s", sku)
	return 0
}

// The ledger shows newest first with who, before → after and the Etsy
// outcome; enter opens the detail and esc closes it.
func TestNewestFirstAndDetail(t *testing.T) {
	f := setup(t)
	f.set(t, f.Owner, "MUG-B", 7)
	f.set(t, f.Owner, "MUG-R", 2)
	m := f.page(t, f.Owner)
	evs := m.Events()
	if len(evs) < 2 || evs[0].Subject != "MUG-R" || evs[1].Subject != "MUG-B" {
		t.Fatalf("events not newest first: %+v", evs)
	}
	view := tuitest.Plain(m)
	for _, want := range []string{"Activity", "Olive Owner", "MUG-R", "5 → 2", "10 → 7", "pending", "stock.set"} {
		if !strings.Contains(view, want) {
			t.Errorf("view lacks %q:\n%s", want, view)
		}
	}
	tuitest.Press(t, m, "j", "enter")
	detail := tuitest.Plain(m)
	for _, want := range []string{fmt.Sprintf("Change #%d", evs[1].ID), "10 → 7", "Speckled mug", "SHA256:", "u undoes"} {
		if !strings.Contains(detail, want) {
			t.Errorf("detail lacks %q:\n%s", want, detail)
		}
	}
	tuitest.Press(t, m, "esc")
	if strings.Contains(tuitest.Plain(m), "Change #") {
		t.Error("esc did not close the detail")
	}
}

// The filter line narrows by person, kind, text and dates.
func TestFilter(t *testing.T) {
	f := setup(t)
	vic := f.Member(t, "Vic", store.RoleManager)
	f.set(t, f.Owner, "MUG-B", 7)
	f.set(t, vic, "MUG-R", 2)
	low := 4
	if _, err := f.App.UpdateStoreSettings(context.Background(), f.Owner, app.StoreSettings{StoreID: f.StoreID, LowStockDefault: &low}); err != nil {
		t.Fatal(err)
	}
	m := f.page(t, f.Owner)
	if n := len(m.Events()); n != 3 {
		t.Fatalf("%d events before filtering, want 3", n)
	}
	cases := map[string][]string{
		"who:vic":                         {"MUG-R"},
		"kind:stock":                      {"MUG-R", "MUG-B"},
		"kind:store":                      {"low_stock_default"},
		"mug-b":                           {"MUG-B"},
		"who:olive kind:stock speckled":   {"MUG-B"},
		"since:2026-03-14 kind:stock.set": {"MUG-R", "MUG-B"},
		"until:2026-03-13":                nil,
	}
	for filter, want := range cases {
		tuitest.Press(t, m, "/")
		tuitest.Press(t, m, "esc") // an abandoned edit keeps the applied filter
		tuitest.Press(t, m, "/")
		for range 80 {
			tuitest.Press(t, m, "backspace")
		}
		for _, r := range filter {
			tuitest.Press(t, m, string(r))
		}
		tuitest.Press(t, m, "enter")
		var got []string
		for _, e := range m.Events() {
			got = append(got, e.Subject)
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("filter %q: %v, want %v", filter, got, want)
		}
	}
	if _, err := ParseFilter("since:yesterday", tuitest.Epoch); err == nil {
		t.Error("since:yesterday was accepted")
	}
	// The screen reads dates as activity --since/--until do: a bound the
	// command refuses is refused here too, and a date until includes it.
	if _, err := ParseFilter("since:36501d", tuitest.Epoch); err == nil {
		t.Error("since:36501d was accepted; activity --since refuses it")
	}
	q, err := ParseFilter("until:2026-03-01 since: 2026-02-01T00:00:00Z", tuitest.Epoch)
	if err == nil {
		t.Errorf("an empty since: was accepted: %+v", q)
	}
	q, err = ParseFilter("until:2026-03-01", tuitest.Epoch)
	if err != nil || !q.Until.Equal(time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("until:2026-03-01 = %v, %v", q.Until, err)
	}
}

// u on a stock edit asks first, then sets the value back through the
// normal edit path, which queues the push.
func TestUndoFromTheScreen(t *testing.T) {
	f := setup(t)
	f.set(t, f.Owner, "MUG-B", 7)
	m := f.page(t, f.Owner)
	pushes := len(f.Jobs.PushCalls())
	tuitest.Press(t, m, "u")
	if v := tuitest.Plain(m); !strings.Contains(v, "set MUG-B back from 7 to 10?") {
		t.Fatalf("no confirmation:\n%s", v)
	}
	if got := f.shown(t, "MUG-B"); got != 7 {
		t.Fatalf("undone before confirming: %d", got)
	}
	tuitest.Press(t, m, "enter")
	if got := f.shown(t, "MUG-B"); got != 10 {
		t.Fatalf("after undo MUG-B is %d, want 10", got)
	}
	// The undo is an edit waiting for Etsy: the push queued for the first
	// edit, still waiting, writes it (one push job waits per listing).
	rows, err := f.App.Inventory(context.Background(), f.Owner, f.StoreID)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.SKU == "MUG-B" && (!r.Pending() || r.DesiredQuantity != 10) {
			t.Errorf("MUG-B after the undo: pending %v, desired %d; want 10 waiting for Etsy", r.Pending(), r.DesiredQuantity)
		}
	}
	if n := len(f.Jobs.PushCalls()); n != pushes || n == 0 {
		t.Errorf("%d push jobs after the undo, want the %d already waiting", n, pushes)
	}
	if !strings.Contains(m.Status(), "Undid #") {
		t.Errorf("status %q", m.Status())
	}
	// The undo is itself on the screen, newest, and names what it undoes.
	top := m.Events()[0]
	if top.UndoOf == 0 || top.Source != store.SourceTUI || top.AfterQty != 10 {
		t.Fatalf("undo event %+v", top)
	}
}

// A row that moved since the edit: enter does nothing, the screen says
// what happened, and f applies the reverse change.
func TestUndoOfAMovedRowOffersTheReverseChange(t *testing.T) {
	f := setup(t)
	f.set(t, f.Owner, "MUG-B", 7)
	f.set(t, f.Owner, "MUG-B", 6) // moved since the first edit
	m := f.page(t, f.Owner)
	tuitest.Press(t, m, "j", "u")
	v := tuitest.Plain(m)
	if !strings.Contains(v, "changed since") || !strings.Contains(v, "it is 6 now") || !strings.Contains(v, "(→ 9)") {
		t.Fatalf("moved confirmation:\n%s", v)
	}
	tuitest.Press(t, m, "enter")
	if got := f.shown(t, "MUG-B"); got != 6 {
		t.Fatalf("enter applied the undo of a moved row: %d", got)
	}
	tuitest.Press(t, m, "f")
	if got := f.shown(t, "MUG-B"); got != 9 {
		t.Fatalf("reverse change: %d, want 9", got)
	}
}

// Viewers read the ledger but u is refused with the reason.
func TestViewerCannotUndo(t *testing.T) {
	f := setup(t)
	f.set(t, f.Owner, "MUG-B", 7)
	vic := f.Member(t, "Vic", store.RoleViewer)
	m := f.page(t, vic)
	tuitest.Press(t, m, "u")
	if !strings.Contains(m.Status(), "viewers") {
		t.Fatalf("status %q", m.Status())
	}
	if got := f.shown(t, "MUG-B"); got != 7 {
		t.Fatalf("a viewer undid: %d", got)
	}
}

// A change made elsewhere appears on top as it arrives; the selected event
// stays selected.
func TestLive(t *testing.T) {
	f := setup(t)
	f.set(t, f.Owner, "MUG-B", 7)
	f.set(t, f.Owner, "MUG-R", 3)
	m := f.page(t, f.Owner)
	tuitest.Press(t, m, "j")
	sel, _ := m.Selected()
	sub := f.Hub.Subscribe(nil)
	defer sub.Close()
	f.set(t, f.Owner, "MUG-R", 1)
	var ev hub.Event
	for ev = range sub.C {
		if ev.Kind == hub.StockChanged {
			break
		}
	}
	cmd := tuitest.Live(m, ev)
	tuitest.Settle(t, m, cmd)
	if top := m.Events()[0]; top.Subject != "MUG-R" || top.AfterQty != 1 {
		t.Fatalf("newest event %+v", top)
	}
	if now, _ := m.Selected(); now.ID != sel.ID {
		t.Fatalf("selection moved from #%d to #%d", sel.ID, now.ID)
	}
}

// A long ledger is read a page at a time as the cursor goes down.
func TestPagesAsTheCursorMoves(t *testing.T) {
	f := setup(t)
	var evs []store.ActivityEvent
	for i := range 3*pageSize + 17 {
		evs = append(evs, store.ActivityEvent{StoreID: f.StoreID, Actor: store.ActorSchedule, Source: store.SourceSync,
			Kind: store.KindStoreSettings, Subject: fmt.Sprintf("s%d", i)})
	}
	if _, err := f.DB.ActivityAppend(context.Background(), &store.ActivityAppendParams{Events: evs, Now: tuitest.Epoch}); err != nil {
		t.Fatal(err)
	}
	m := f.page(t, f.Owner)
	if n := len(m.Events()); n != pageSize {
		t.Fatalf("first load holds %d events, want one page (%d)", n, pageSize)
	}
	for range 4 {
		tuitest.Press(t, m, "G")
	}
	all := m.Events()
	if len(all) != len(evs) || !m.end {
		t.Fatalf("after paging down: %d events (end %v), want %d", len(all), m.end, len(evs))
	}
	for i := 1; i < len(all); i++ {
		if all[i].ID >= all[i-1].ID {
			t.Fatalf("events %d and %d out of order", i-1, i)
		}
	}
	if !strings.Contains(tuitest.Plain(m), "s0") {
		t.Error("the oldest event is not drawn at the bottom")
	}
}

// Text from Etsy or another person is cleaned before it is drawn.
func TestHostileTextIsCleaned(t *testing.T) {
	f := setup(t)
	evil := "\x1b]8;;https://evil.example\x07click\x1b]8;;\x07\x1b[2J"
	if _, err := f.DB.ActivityAppend(context.Background(), &store.ActivityAppendParams{Now: tuitest.Epoch, Events: []store.ActivityEvent{{
		StoreID: f.StoreID, Actor: store.ActorEtsy, Source: store.SourceSync, Kind: store.KindStockSync, Subject: "SKU" + evil,
		Title: "Mug" + evil, Before: "1", After: "2" + evil, Note: evil}}}); err != nil {
		t.Fatal(err)
	}
	m := f.page(t, f.Owner)
	for _, v := range []string{m.View(), func() string { tuitest.Press(t, m, "enter"); return m.View() }()} {
		if strings.Contains(v, "evil.example") || strings.Contains(v, "\x1b[2J") || strings.Contains(v, "\x07") {
			t.Fatalf("terminal sequences reached the view: %q", v)
		}
	}
}

func kinds(evs []store.ActivityEvent) []string {
	return tuitest.Map(evs, func(e store.ActivityEvent) string { return string(e.Kind) })
}

func has(evs []store.ActivityEvent, k store.ActivityKind) bool {
	for _, e := range evs {
		if e.Kind == k {
			return true
		}
	}
	return false
}

// v switches the screen from the store's ledger to the account's own and,
// in an admin session, the admin ledger, then back; each reads what
// activity --account and --admin list, and follows it live.
func TestLedgerKeySwitchesStoreAccountAdmin(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	svc := app.New(app.Config{Store: f.DB, Jobs: f.Jobs, Hub: f.Hub, SignupOpen: true, Now: func() time.Time { return tuitest.Epoch },
		AdminFingerprints: map[string]bool{f.Owner.Fingerprint: true}})
	admin := f.Owner
	admin.Account.IsAdmin = true
	vic := f.Member(t, "Vic Viewer", store.RoleViewer)
	f.set(t, f.Owner, "MUG-B", 7)
	svc.Record(ctx, admin, store.ActivityEvent{AccountID: admin.Account.ID, Kind: store.KindKeyAdd, Subject: "SHA256:laptop"})
	if err := svc.AdminSetDisabled(ctx, admin, vic.Account.ID, true); err != nil {
		t.Fatal(err)
	}

	m := tuitest.Open(t, New(tuitest.Session(svc, admin, tuitest.Epoch, 140, 30)), 140, 28, tuitest.Store[*Model](f.StoreID))
	if m.Ledger() != "store" || !has(m.Events(), store.KindStockSet) || has(m.Events(), store.KindKeyAdd) {
		t.Fatalf("store ledger: %v", kinds(m.Events()))
	}

	tuitest.Press(t, m, "v")
	if m.Ledger() != "account" || !has(m.Events(), store.KindKeyAdd) || has(m.Events(), store.KindStockSet) {
		t.Fatalf("account ledger: %v", kinds(m.Events()))
	}
	if v := tuitest.Plain(m); !strings.Contains(v, "your account's ledger") || !strings.Contains(v, "SHA256:laptop") {
		t.Fatalf("account ledger screen:\n%s", v)
	}
	// Live: a key removed elsewhere joins the account ledger shown.
	svc.Record(ctx, admin, store.ActivityEvent{AccountID: admin.Account.ID, Kind: store.KindKeyRemove, Subject: "SHA256:laptop"})
	cmd := tuitest.Live(m, hub.Event{Kind: hub.ActivityAdded, AccountID: admin.Account.ID})
	tuitest.Settle(t, m, cmd)
	if evs := m.Events(); len(evs) == 0 || evs[0].Kind != store.KindKeyRemove {
		t.Fatalf("account ledger after a live event: %v", kinds(evs))
	}
	// A store's event does not belong to the account ledger.
	if cmd := tuitest.Live(m, hub.Event{Kind: hub.StockChanged, StoreID: f.StoreID}); cmd != nil {
		t.Fatal("a store event reloaded the account ledger")
	}

	tuitest.Press(t, m, "v")
	if m.Ledger() != "admin" || !has(m.Events(), store.KindAccountDisable) || has(m.Events(), store.KindKeyAdd) {
		t.Fatalf("admin ledger: %v", kinds(m.Events()))
	}
	tuitest.Press(t, m, "v")
	if m.Ledger() != "store" || !has(m.Events(), store.KindStockSet) {
		t.Fatalf("back to the store ledger: %s %v", m.Ledger(), kinds(m.Events()))
	}

	// A seller's session has no admin ledger: v goes store, account, store.
	mo := f.Member(t, "Mo Manager", store.RoleManager)
	s := tuitest.Open(t, New(tuitest.Session(svc, mo, tuitest.Epoch, 140, 30)), 140, 28, tuitest.Store[*Model](f.StoreID))
	tuitest.Press(t, s, "v")
	if s.Ledger() != "account" {
		t.Fatalf("a seller's first v: %s", s.Ledger())
	}
	tuitest.Press(t, s, "v")
	if s.Ledger() != "store" {
		t.Fatalf("a seller's second v: %s", s.Ledger())
	}
}
