package app_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/internal/apptest"
	"github.com/stockroom/stockroom/internal/jobsfake"
	"github.com/stockroom/stockroom/store"
)

type ledgerShop struct {
	db    store.DB
	svc   *app.Service
	owner app.Actor
	shop  store.Store
	logs  *bytes.Buffer
}

// newLedgerShop is Ada's shop of n one-row listings at 10 (newAlertShop's),
// on a Service that queues pushes and logs as JSON into logs.
func newLedgerShop(t *testing.T, n int) *ledgerShop {
	t.Helper()
	a := newAlertShop(t)
	s := &ledgerShop{db: a.db, owner: a.owner, shop: a.shop, logs: &bytes.Buffer{}}
	s.owner.Source = store.SourceCommand
	s.svc = app.New(app.Config{Store: a.db, Hub: hub.New(), Jobs: &jobsfake.Queue{}, Logger: slog.New(slog.NewJSONHandler(s.logs, nil))})
	if _, err := a.db.SyncListingsWrite(t.Context(), &store.SyncListingsWriteParams{StoreID: s.shop.ID, Listings: listings(n, 10)}); err != nil {
		t.Fatal(err)
	}
	return s
}

func (s *ledgerShop) row(t *testing.T, sku string) store.InventoryRow {
	t.Helper()
	return apptest.Row(t, s.svc, s.owner, s.shop.ID, sku)
}

func (s *ledgerShop) set(t *testing.T, sku string, qty int) store.ActivityEvent {
	t.Helper()
	r := s.row(t, sku)
	if _, err := s.svc.SetStock(t.Context(), s.owner, app.StockParams{StoreID: s.shop.ID, Source: store.SourceCommand,
		Edits: []store.StockEditItem{{OfferingID: r.OfferingID, Quantity: qty}}}); err != nil {
		t.Fatal(err)
	}
	return s.last(t)
}

func (s *ledgerShop) last(t *testing.T) store.ActivityEvent {
	t.Helper()
	evs, err := s.svc.Activity(t.Context(), s.owner, app.ActivityQuery{StoreID: s.shop.ID, Kind: "stock.set", Limit: 1})
	if err != nil || len(evs) != 1 {
		t.Fatalf("last stock edit: %v, %v", evs, err)
	}
	return evs[0]
}

func (s *ledgerShop) undo(t *testing.T, p app.UndoParams, force bool) ([]store.InventoryRow, error) {
	t.Helper()
	plan, err := s.svc.PlanUndo(t.Context(), s.owner, p)
	if err != nil {
		return nil, err
	}
	return s.svc.ApplyUndo(t.Context(), s.owner, plan, force, store.SourceCommand)
}

func (s *ledgerShop) mustUndo(t *testing.T, p app.UndoParams, force bool) []store.InventoryRow {
	t.Helper()
	rows, err := s.undo(t, p, force)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func (s *ledgerShop) wantShown(t *testing.T, sku string, want int, what string) {
	t.Helper()
	if got := s.row(t, sku).Shown(); got != want {
		t.Fatalf("%s: %s shows %d, want %d", what, sku, got, want)
	}
}

// An undo sets the value before the change back, through the normal edit,
// and is itself in the ledger, naming the event it undoes.
func TestUndoRestoresTheValueBefore(t *testing.T) {
	s := newLedgerShop(t, 1)
	ev := s.set(t, "MUG-0", 7)
	if ev.BeforeQty != 10 || ev.AfterQty != 7 || ev.ActorKey != "SHA256:ada" || ev.Source != store.SourceCommand {
		t.Fatalf("edit event = %+v", ev)
	}
	rows := s.mustUndo(t, app.UndoParams{EventID: ev.ID}, false)
	if len(rows) != 1 || rows[0].Shown() != 10 || !rows[0].Pending() {
		t.Fatalf("after undo: %+v", rows)
	}
	u := s.last(t)
	if u.UndoOf != ev.ID || u.BeforeQty != 7 || u.AfterQty != 10 || !strings.Contains(u.Note, fmt.Sprint(ev.ID)) {
		t.Fatalf("undo event = %+v", u)
	}
	// Undo of the undo brings the edit back.
	s.mustUndo(t, app.UndoParams{EventID: u.ID}, false)
	s.wantShown(t, "MUG-0", 7, "after undoing the undo")
}

// A sale between an edit and its undo is kept: the plain undo refuses and
// says why; forced, it applies the reverse change to what is there now.
func TestUndoKeepsASaleMadeSince(t *testing.T) {
	s := newLedgerShop(t, 1)
	ctx := t.Context()
	ev := s.set(t, "MUG-0", 7)
	r := s.row(t, "MUG-0")
	if _, err := s.db.PushDone(ctx, &store.PushDoneParams{OfferingID: r.OfferingID, DesiredVersion: r.DesiredVersion, Pushed: 7, Etsy: 7}); err != nil {
		t.Fatal(err)
	}
	sold := listings(1, 6) // a sale on Etsy: 7 → 6
	if _, err := s.db.SyncListingsWrite(ctx, &store.SyncListingsWriteParams{StoreID: s.shop.ID, Listings: sold}); err != nil {
		t.Fatal(err)
	}
	_, err := s.undo(t, app.UndoParams{EventID: ev.ID}, false)
	var moved *app.MovedError
	if !errors.As(err, &moved) || len(moved.Lines) != 1 || !strings.Contains(err.Error(), "now 6") || !strings.Contains(err.Error(), "--force sets 9") {
		t.Fatalf("plain undo of a moved row: %v", err)
	}
	s.wantShown(t, "MUG-0", 6, "after a refused undo")
	s.mustUndo(t, app.UndoParams{EventID: ev.ID}, true)
	s.wantShown(t, "MUG-0", 9, "forced undo (6 now + the 3 the edit took away)")
}

// An import is one batch, undone together.
func TestUndoBatchOfAnImport(t *testing.T) {
	s := newLedgerShop(t, 50)
	ctx := t.Context()
	var csv strings.Builder
	csv.WriteString("sku,quantity\n")
	for i := range 50 {
		fmt.Fprintf(&csv, "MUG-%d,%d\n", i, i%7)
	}
	plan, err := s.svc.PlanImport(ctx, s.owner, app.ImportParams{StoreID: s.shop.ID, Input: strings.NewReader(csv.String())})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.ApplyImport(ctx, s.owner, plan); err != nil {
		t.Fatal(err)
	}
	if plan.BatchID == "" {
		t.Fatal("the import has no batch id")
	}
	evs, err := s.svc.Activity(ctx, s.owner, app.ActivityQuery{StoreID: s.shop.ID, BatchID: plan.BatchID, Limit: 1000})
	if err != nil || len(evs) != 50 {
		t.Fatalf("batch events: %d, %v", len(evs), err)
	}
	rows, err := s.undo(t, app.UndoParams{StoreID: s.shop.ID, BatchID: plan.BatchID}, false)
	if err != nil || len(rows) != 50 {
		t.Fatalf("batch undo: %d rows, %v", len(rows), err)
	}
	all, _ := s.svc.Inventory(ctx, s.owner, s.shop.ID)
	for _, r := range all {
		if r.Shown() != 10 {
			t.Fatalf("%s is %d after the batch undo, want 10", r.SKU, r.Shown())
		}
	}
	if u := s.last(t); u.BatchID == "" || u.BatchID == plan.BatchID || u.UndoOf == 0 {
		t.Fatalf("batch undo event = %+v: want its own batch, naming what it undoes", u)
	}
}

// Viewers read the ledger but cannot undo.
func TestViewerCannotUndo(t *testing.T) {
	s := newLedgerShop(t, 1)
	ctx := t.Context()
	ev := s.set(t, "MUG-0", 7)
	viewer := addMember(t, s.db, s.shop.ID, "vic", store.RoleViewer)
	if evs, err := s.svc.Activity(ctx, viewer, app.ActivityQuery{StoreID: s.shop.ID}); err != nil || len(evs) == 0 {
		t.Fatalf("viewer reads the ledger: %d, %v", len(evs), err)
	}
	if _, err := s.svc.PlanUndo(ctx, viewer, app.UndoParams{EventID: ev.ID}); !errors.Is(err, app.ErrViewer) {
		t.Fatalf("viewer undo: %v, want ErrViewer", err)
	}
}

// Only a person's stock edit can be undone.
func TestUndoRefusesWhatIsNotAnEdit(t *testing.T) {
	s := newLedgerShop(t, 1)
	ctx := t.Context()
	low := 6
	if _, err := s.svc.UpdateStoreSettings(ctx, s.owner, app.StoreSettings{StoreID: s.shop.ID, LowStockDefault: &low}); err != nil {
		t.Fatal(err)
	}
	evs, err := s.svc.Activity(ctx, s.owner, app.ActivityQuery{StoreID: s.shop.ID, Kind: "store"})
	if err != nil || len(evs) != 1 {
		t.Fatalf("settings events: %+v, %v", evs, err)
	}
	if _, err := s.svc.PlanUndo(ctx, s.owner, app.UndoParams{EventID: evs[0].ID}); err == nil || !strings.Contains(err.Error(), "only stock edits") {
		t.Fatalf("undo of a settings change: %v", err)
	}
}

// Every recorded change is also a structured log line for operators.
func TestActivityIsLogged(t *testing.T) {
	s := newLedgerShop(t, 1)
	low := 4
	if _, err := s.svc.UpdateStoreSettings(t.Context(), s.owner, app.StoreSettings{StoreID: s.shop.ID, LowStockDefault: &low}); err != nil {
		t.Fatal(err)
	}
	ev := s.set(t, "MUG-0", 2)
	logs := s.logs.String()
	for _, want := range []string{`"msg":"activity","id":` + fmt.Sprint(ev.ID) + `,"kind":"stock.set","source":"command"`,
		`"actor_key":"SHA256:ada"`, `"kind":"store.settings"`, `"subject":"low_stock_default","before":"3","after":"4"`, `"before":"10","after":"2"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %s:\n%s", want, logs)
		}
	}
}

// Without a retention nothing is ever pruned; with one, only what is older.
func TestPruneActivityOnlyWithRetention(t *testing.T) {
	s := newLedgerShop(t, 1)
	ctx := t.Context()
	s.set(t, "MUG-0", 7)
	later := time.Now().Add(400 * 24 * time.Hour)
	if n, err := app.PruneActivity(ctx, s.db, 0, later, slog.New(slog.DiscardHandler)); n != 0 || err != nil {
		t.Fatalf("prune without retention: %d, %v", n, err)
	}
	if n, err := app.PruneActivity(ctx, s.db, 365*24*time.Hour, time.Now(), slog.New(slog.DiscardHandler)); n != 0 || err != nil {
		t.Fatalf("prune of recent events: %d, %v", n, err)
	}
	if n, err := app.PruneActivity(ctx, s.db, 365*24*time.Hour, later, slog.New(slog.DiscardHandler)); n == 0 || err != nil {
		t.Fatalf("prune of year-old events: %d, %v", n, err)
	}
}

// An admin's actions are in the admin ledger, which only admins read, and
// in the ledger of the account they were done to.
func TestAdminActionsAreInTheAdminLedger(t *testing.T) {
	s := newLedgerShop(t, 1)
	ctx := t.Context()
	v, err := s.db.AccountCreate(ctx, &store.AccountCreateParams{Name: "vic", Fingerprint: "SHA256:vic", PublicKey: "ssh-ed25519 AAAAvic"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.AdminActivity(ctx, s.owner, app.ActivityQuery{}); !errors.Is(err, app.ErrNotAdmin) {
		t.Fatalf("a non-admin read the admin ledger: %v", err)
	}
	// Admin rights come from the key of the session, named in the server's
	// configuration.
	s.svc = app.New(app.Config{Store: s.db, Hub: hub.New(), Jobs: &jobsfake.Queue{}, Logger: slog.New(slog.NewJSONHandler(s.logs, nil)),
		AdminFingerprints: map[string]bool{s.owner.Fingerprint: true}})
	if err := s.svc.AdminSetDisabled(ctx, s.owner, v.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := s.svc.AdminSetDisabled(ctx, s.owner, v.ID, false); err != nil {
		t.Fatal(err)
	}
	evs, err := s.svc.AdminActivity(ctx, s.owner, app.ActivityQuery{})
	if err != nil || len(evs) != 2 || evs[0].Kind != store.KindAccountEnable || evs[1].Kind != store.KindAccountDisable ||
		evs[1].AccountID != v.ID || evs[1].ActorKey != "SHA256:ada" || evs[1].Source != store.SourceAdmin {
		t.Fatalf("admin ledger: %+v, %v", evs, err)
	}
	own, err := s.svc.Activity(ctx, app.Actor{Account: v, Fingerprint: "SHA256:vic"}, app.ActivityQuery{})
	if err != nil || len(own) != 2 {
		t.Fatalf("vic's own ledger: %+v, %v", own, err)
	}
}

// ledgerUnreadable fails every read of the activity ledger.
type ledgerUnreadable struct{ store.DB }

func (ledgerUnreadable) ActivityList(context.Context, *store.ActivityListParams) ([]store.ActivityEvent, error) {
	return nil, errors.New("ledger unreadable")
}

// A stock edit whose ledger entries cannot be read back for the log says so
// in the log, for a single edit and for a batch.
func TestActivityLogSaysWhenTheLedgerCannotBeRead(t *testing.T) {
	s := newLedgerShop(t, 2)
	s.svc = app.New(app.Config{Store: ledgerUnreadable{s.db}, Hub: hub.New(), Jobs: &jobsfake.Queue{}, Logger: slog.New(slog.NewJSONHandler(s.logs, nil))})
	for _, batch := range []string{"", app.NewBatchID("import")} {
		s.logs.Reset()
		r := s.row(t, "MUG-1")
		if _, err := s.svc.SetStock(t.Context(), s.owner, app.StockParams{StoreID: s.shop.ID, Source: store.SourceCommand, BatchID: batch,
			Edits: []store.StockEditItem{{OfferingID: r.OfferingID, Quantity: r.Quantity + 1}}}); err != nil {
			t.Fatal(err)
		}
		if logs := s.logs.String(); !strings.Contains(logs, `"err":"ledger unreadable"`) {
			t.Errorf("batch %q: the log does not say the ledger was unreadable:\n%s", batch, logs)
		}
	}
}
