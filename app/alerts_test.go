package app_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/internal/testwait"
	"github.com/stockroom/stockroom/notify"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/store/sqlite"
	"github.com/stockroom/stockroom/store/storetest"
)

// alertShop is a store on SQLite whose sync pages fire alerts, announced
// on the Service's hub.
type alertShop struct {
	db    store.DB
	svc   *app.Service
	ev    *notify.Evaluator
	owner app.Actor
	shop  store.Store
}

// ada is the account ada (with email, if not ""), as the owner a session of
// her key acts as.
func ada(t *testing.T, db store.DB, email string) app.Actor {
	t.Helper()
	acct, err := db.AccountCreate(t.Context(), &store.AccountCreateParams{Name: "ada", Email: email, Fingerprint: "SHA256:ada", PublicKey: "ssh-ed25519 AAAAada"})
	if err != nil {
		t.Fatal(err)
	}
	return app.Actor{Account: acct, Fingerprint: "SHA256:ada"}
}

// clay connects owner's shop Clay (Etsy shop 7, in euros) at now.
func clay(t *testing.T, db store.DB, owner app.Actor, now time.Time) store.Store {
	t.Helper()
	shop, err := db.StoreConnect(t.Context(), &store.StoreConnectParams{AccountID: owner.Account.ID, EtsyShopID: 7, Name: "Clay", Currency: "EUR", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return shop
}

func newAlertShop(t *testing.T) *alertShop {
	t.Helper()
	ctx := t.Context()
	db := storetest.OpenSQLite(t)
	h := hub.New()
	s := &alertShop{db: db, svc: app.New(app.Config{Store: db, Hub: h}),
		ev: notify.NewEvaluator(notify.EvaluatorConfig{Store: db, Hub: h})}
	s.owner = ada(t, db, "ada@example.com")
	var err error
	s.shop, err = db.StoreConnect(ctx, &store.StoreConnectParams{AccountID: s.owner.Account.ID, EtsyShopID: 7, EtsyUserID: 8, Name: "Clay & Co",
		Currency: "EUR", AccessToken: []byte("a"), RefreshToken: []byte("r"), TokenExpiresAt: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// listings are n one-offering listings, ids from 1000, all at qty.
func listings(n, qty int) []store.ListingSnapshot {
	out := make([]store.ListingSnapshot, n)
	for i := range out {
		id := int64(1000 + i)
		out[i] = store.ListingSnapshot{EtsyListingID: id, Title: fmt.Sprintf("Mug %d", i), State: "active", Quantity: qty,
			Products: []store.ProductSnapshot{{Key: fmt.Sprintf("MUG-%d", i), EtsyProductID: id*10 + 1, SKU: fmt.Sprintf("MUG-%d", i),
				PropertyValues: "[]", EtsyOfferingID: id*10 + 2, Quantity: qty, Price: store.Money{Amount: 2400, Divisor: 100, Currency: "EUR"}, Enabled: true}}}
	}
	return out
}

// sync writes a page as the sync engine does: alerts in its transaction,
// announced after the commit.
func (s *alertShop) sync(t *testing.T, page []store.ListingSnapshot) {
	t.Helper()
	var res store.AlertEvaluateResult
	_, err := s.db.SyncListingsWrite(t.Context(), &store.SyncListingsWriteParams{StoreID: s.shop.ID, Listings: page,
		OnCommit: func(ctx context.Context, tx store.Tx, w store.SyncWriteResult) error {
			var err error
			res, err = s.ev.EvaluateTx(ctx, tx, s.shop.ID, notify.StockChangeIDs(w.StockChanges))
			return err
		}})
	if err != nil {
		t.Fatal(err)
	}
	s.ev.Announce(s.shop.ID, res)
}

// follower runs FollowAlerts in the background and keeps what it gets.
type follower struct {
	mu   sync.Mutex
	got  []store.AlertView
	done chan error
}

func follow(ctx context.Context, s *alertShop, after int64) *follower {
	f := &follower{done: make(chan error, 1)}
	go func() {
		f.done <- s.svc.FollowAlerts(ctx, s.owner, s.shop.ID, after, func(v store.AlertView) error {
			f.mu.Lock()
			f.got = append(f.got, v)
			f.mu.Unlock()
			return nil
		})
	}()
	return f
}

func (f *follower) alerts() []store.AlertView {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]store.AlertView(nil), f.got...)
}

func TestFollowAlertsDeliversNewAlertsInOrderExactlyOnce(t *testing.T) {
	s := newAlertShop(t)
	const n = 230 // more than one page of the follower's catch-up
	s.sync(t, listings(n, 10))
	before := listings(1, 2)
	s.sync(t, before) // an alert from before the follow
	old, err := s.svc.Alerts(t.Context(), s.owner, s.shop.ID, app.AlertListParams{})
	if err != nil || len(old) != 1 {
		t.Fatalf("alerts before following: %v %v", old, err)
	}

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	f := follow(ctx, s, old[0].ID)

	// Mug 0 escalates to out of stock, mugs 1 and 2 go low one by one,
	// mug 1 recovers (an event, no new alert), then every mug but 0..2
	// goes low in one page.
	page := listings(n, 10)
	page[0] = listings(1, 0)[0]
	s.sync(t, page)
	// Once the first has arrived the follower is past its first catch-up:
	// the rest come through live events.
	testwait.Until(t, "the first alert", func() bool { return len(f.alerts()) == 1 })
	page[1].Quantity, page[1].Products[0].Quantity = 1, 1
	s.sync(t, page)
	page[2].Quantity, page[2].Products[0].Quantity = 3, 3
	s.sync(t, page)
	page[1].Quantity, page[1].Products[0].Quantity = 9, 9
	s.sync(t, page)
	for i := 3; i < n; i++ {
		page[i].Quantity, page[i].Products[0].Quantity = 1, 1
	}
	s.sync(t, page)

	want, err := s.db.AlertList(t.Context(), &store.AlertListParams{AccountID: s.owner.Account.ID, StoreID: s.shop.ID,
		AfterID: old[0].ID, OldestFirst: true, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(want) != 3+n-3 {
		t.Fatalf("%d alerts fired, want %d", len(want), n)
	}
	// A sentinel alert, fired last: the follower delivers in order, so once
	// it has arrived any duplicate of an earlier alert would have too.
	page[1].Quantity, page[1].Products[0].Quantity = 0, 0
	s.sync(t, page)
	last, err := s.db.AlertList(t.Context(), &store.AlertListParams{AccountID: s.owner.Account.ID, StoreID: s.shop.ID,
		AfterID: want[len(want)-1].ID, OldestFirst: true, Limit: 10})
	if err != nil || len(last) != 1 || last[0].Title != "Mug 1" || last[0].Kind != store.AlertOutOfStock {
		t.Fatalf("the sentinel alert: %+v, %v", last, err)
	}
	sentinel := last[0].ID
	testwait.Until(t, "the sentinel alert", func() bool {
		return slices.ContainsFunc(f.alerts(), func(v store.AlertView) bool { return v.ID == sentinel })
	})
	got := f.alerts()
	if got[len(got)-1].ID != sentinel {
		t.Fatalf("alerts followed the sentinel: %+v", got[len(got)-1].Alert)
	}
	got = got[:len(got)-1]
	if len(got) != len(want) {
		t.Fatalf("followed %d alerts before the sentinel, want %d (each exactly once)", len(got), len(want))
	}
	for i := range want {
		if got[i].ID != want[i].ID {
			t.Fatalf("alert %d is %d, want %d: not in firing order", i, got[i].ID, want[i].ID)
		}
	}
	if got[0].Kind != store.AlertOutOfStock || got[0].Title != "Mug 0" || got[1].Title != "Mug 1" || got[2].Title != "Mug 2" {
		t.Fatalf("first alerts %+v %+v %+v", got[0].Alert, got[1].Alert, got[2].Alert)
	}

	cancel()
	if err := testwait.Receive(t, f.done, "the follow to end with its context"); !errors.Is(err, context.Canceled) {
		t.Fatalf("follow ended with %v, want context.Canceled", err)
	}
}

func TestFollowAlertsEndsWhenTheCallbackFails(t *testing.T) {
	s := newAlertShop(t)
	s.sync(t, listings(2, 10))
	stop := errors.New("the session is gone")
	done := make(chan error, 1)
	calls := 0
	go func() {
		done <- s.svc.FollowAlerts(t.Context(), s.owner, s.shop.ID, 0, func(store.AlertView) error {
			calls++
			return stop
		})
	}()
	s.sync(t, listings(2, 0)) // two alerts at once; the first call fails
	if err := testwait.Receive(t, done, "the follow to end after its callback failed"); !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("follow ended with %v after %d calls, want the callback's error after 1", err, calls)
	}
}

func TestFollowAlertsOnlyForMembers(t *testing.T) {
	s := newAlertShop(t)
	ctx := t.Context()
	other, err := s.db.AccountCreate(ctx, &store.AccountCreateParams{Name: "eve", Email: "eve@example.com", Fingerprint: "SHA256:eve", PublicKey: "ssh-ed25519 AAAAeve"})
	if err != nil {
		t.Fatal(err)
	}
	nop := func(store.AlertView) error { return nil }
	if err := s.svc.FollowAlerts(ctx, app.Actor{Account: other}, s.shop.ID, 0, nop); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another seller following this store: %v, want store.ErrNotFound", err)
	}
	disabled := s.owner
	disabled.Account.Disabled = true
	if err := s.svc.FollowAlerts(ctx, disabled, s.shop.ID, 0, nop); !errors.Is(err, app.ErrDisabled) {
		t.Fatalf("a disabled account following: %v, want app.ErrDisabled", err)
	}
}

// Acknowledged and snoozed alerts stay so when the server restarts: the
// state is the alert's row, read by a new process from the same database.
func TestAlertAckAndSnoozeSurviveRestart(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "stockroom.db")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	svc := app.New(app.Config{Store: db, Now: func() time.Time { return now }})
	ev := notify.NewEvaluator(notify.EvaluatorConfig{Store: db})
	owner := ada(t, db, "")
	shop := clay(t, db, owner, now)
	if _, err := db.SyncListingsWrite(ctx, &store.SyncListingsWriteParams{StoreID: shop.ID, Listings: listings(2, 1), Now: now}); err != nil {
		t.Fatal(err)
	}
	if _, err := ev.Evaluate(ctx, shop.ID, nil); err != nil {
		t.Fatal(err)
	}
	fired, err := svc.Alerts(ctx, owner, shop.ID, app.AlertListParams{ActiveOnly: true})
	if err != nil || len(fired) != 2 {
		t.Fatalf("alerts fired: %d, %v", len(fired), err)
	}
	if _, err := svc.HandleAlert(ctx, owner, app.AlertHandling{AlertID: fired[0].ID, Ack: true, Snooze: app.SnoozeDay}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.HandleAlert(ctx, owner, app.AlertHandling{AlertID: fired[1].ID, Snooze: app.SnoozeRestock}); err != nil {
		t.Fatal(err)
	}
	var se *app.SnoozeError
	if _, err := svc.HandleAlert(ctx, owner, app.AlertHandling{AlertID: fired[1].ID, Snooze: "2y"}); !errors.As(err, &se) {
		t.Fatalf("snooze 2y: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	svc = app.New(app.Config{Store: db, Now: func() time.Time { return now }})
	got, err := svc.Alerts(ctx, owner, shop.ID, app.AlertListParams{ActiveOnly: true})
	if err != nil || len(got) != 2 {
		t.Fatalf("after the restart: %d alerts, %v", len(got), err)
	}
	byID := map[int64]store.AlertView{got[0].ID: got[0], got[1].ID: got[1]}
	a, b := byID[fired[0].ID], byID[fired[1].ID]
	if !a.AckedAt.Equal(now) || a.AckedBy != owner.Account.ID || !a.SnoozedUntil.Equal(now.Add(24*time.Hour)) || !a.Snoozed(now) || a.Snoozed(now.Add(25*time.Hour)) {
		t.Errorf("acked and snoozed a day: %+v", a.Alert)
	}
	if !b.SnoozeRestock || !b.AckedAt.IsZero() || !b.Snoozed(now.AddDate(1, 0, 0)) {
		t.Errorf("snoozed until restocked: %+v", b.Alert)
	}
}
