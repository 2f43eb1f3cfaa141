package activity

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/tui/internal/tuitest"
)

func kinds(evs []store.ActivityEvent) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = string(e.Kind)
	}
	return out
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
	if v := ansi.Strip(m.View()); !strings.Contains(v, "your account's ledger") || !strings.Contains(v, "SHA256:laptop") {
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
