package syncer_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stockroom/stockroom/etsy/sandbox"
	"github.com/stockroom/stockroom/notify"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/sync/syncer"
)

// salesChecks records the alert checks an engine asks for outside a
// write's transaction (Evaluate): the offerings each names, nil for the
// whole store. With next set, the checks are made for real.
type salesChecks struct {
	next   syncer.AlertChecker
	mu     sync.Mutex
	checks [][]int64
	fail   bool // the next check fails
}

func (a *salesChecks) EvaluateTx(ctx context.Context, tx store.Tx, storeID int64, ids []int64) (store.AlertEvaluateResult, error) {
	if a.next == nil {
		return store.AlertEvaluateResult{}, nil
	}
	return a.next.EvaluateTx(ctx, tx, storeID, ids)
}

func (a *salesChecks) Announce(storeID int64, res store.AlertEvaluateResult) {
	if a.next != nil {
		a.next.Announce(storeID, res)
	}
}

func (a *salesChecks) Evaluate(ctx context.Context, storeID int64, ids []int64) (store.AlertEvaluateResult, error) {
	a.mu.Lock()
	a.checks = append(a.checks, slices.Clone(ids))
	fail := a.fail
	a.fail = false
	a.mu.Unlock()
	if fail {
		return store.AlertEvaluateResult{}, errors.New("database is gone")
	}
	if a.next == nil {
		return store.AlertEvaluateResult{}, nil
	}
	return a.next.Evaluate(ctx, storeID, ids)
}

func (a *salesChecks) all() [][]int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.checks)
}

// checkSales gives the test an engine whose alert checks are recorded
// (and made by next when set), on the clock now (nil: the real one).
func (e *env) checkSales(next syncer.AlertChecker, now func() time.Time) *salesChecks {
	e.t.Helper()
	alerts := &salesChecks{next: next}
	eng, err := syncer.New(syncer.Config{Store: e.db, Etsy: e.client, Tokens: e.tokens, Queue: e.q, Hub: e.hub, Alerts: alerts, Now: now})
	if err != nil {
		e.t.Fatal(err)
	}
	e.eng = eng
	return alerts
}

// offeringsOf are the store's offerings of an Etsy listing.
func (e *env) offeringsOf(etsyListingID int64) []int64 {
	var out []int64
	for _, r := range e.rows() {
		if r.EtsyListingID == etsyListingID {
			out = append(out, r.OfferingID)
		}
	}
	slices.Sort(out)
	return out
}

// A sale moves the pace of sales, so the runs-out rule may cross for a
// row whose stock did not move: a sync that wrote sales checks once, the
// rows of the listings sold; one that wrote none does not check.
func TestSyncWithSalesChecksTheStoresAlertsOnce(t *testing.T) {
	eachEnv(t, sandbox.GenOptions{Seed: 51, Listings: 10, Receipts: 3}, func(t *testing.T, e *env) {
		alerts := e.checkSales(nil, nil)
		e.sync(store.SyncFull)
		if n := len(alerts.all()); n != 1 {
			t.Fatalf("full sync with 3 receipts: %d checks, want 1", n)
		}
		e.sync(store.SyncIncremental)
		if n := len(alerts.all()); n != 1 {
			t.Fatalf("sync without sales: %d checks, want still 1", n)
		}
		l, r := e.variedListing(2)
		if _, err := e.sb.SimulateSale(e.shopID, l.ListingID, r.SKU, 1); err != nil {
			t.Fatal(err)
		}
		e.sync(store.SyncIncremental)
		checks := alerts.all()
		if len(checks) != 2 {
			t.Fatalf("sync with a sale: %d checks, want 2", len(checks))
		}
		if got, want := checks[1], e.offeringsOf(l.ListingID); !slices.Equal(got, want) {
			t.Fatalf("the check after a sale named offerings %v, want the sold listing's %v", got, want)
		}
	})
}

// On a bigger shop, the check after a sale of one listing names that
// listing's rows, not the store's thousand.
func TestSaleOfOneListingChecksItsRowsOnly(t *testing.T) {
	eachEnv(t, sandbox.GenOptions{Seed: 52, Listings: 400, Receipts: 50}, func(t *testing.T, e *env) {
		alerts := e.checkSales(nil, nil)
		e.sync(store.SyncFull)
		l, r := e.variedListing(2)
		if _, err := e.sb.SimulateSale(e.shopID, l.ListingID, r.SKU, 1); err != nil {
			t.Fatal(err)
		}
		before := len(alerts.all())
		e.sync(store.SyncIncremental)
		checks := alerts.all()[before:]
		if len(checks) != 1 {
			t.Fatalf("sync with a sale: %d checks, want 1", len(checks))
		}
		rows := len(e.rows())
		switch got := checks[0]; {
		case got == nil:
			t.Fatalf("a sale of one listing checked the whole store (%d rows)", rows)
		case !slices.Equal(got, e.offeringsOf(l.ListingID)):
			t.Fatalf("a sale of one listing checked offerings %v of %d rows, want the listing's %v", got, rows, e.offeringsOf(l.ListingID))
		}
	})
}

// A check after sales that failed leaves the rows it should have checked
// unknown: the next check is the whole store's, then targeted again.
func TestFailedSalesCheckIsFollowedByAWholeOne(t *testing.T) {
	eachEnv(t, sandbox.GenOptions{Seed: 54, Listings: 20, Receipts: 5}, func(t *testing.T, e *env) {
		alerts := e.checkSales(nil, nil)
		e.sync(store.SyncFull)
		sell := func() []int64 {
			t.Helper()
			l, r := e.variedListing(3)
			if _, err := e.sb.SimulateSale(e.shopID, l.ListingID, r.SKU, 1); err != nil {
				t.Fatal(err)
			}
			e.sync(store.SyncIncremental)
			checks := alerts.all()
			return checks[len(checks)-1]
		}
		alerts.mu.Lock()
		alerts.fail = true
		alerts.mu.Unlock()
		if got := sell(); got == nil {
			t.Fatalf("the failed check was already the whole store's")
		}
		if got := sell(); got != nil {
			t.Fatalf("after a failed check, the next named %v, want the whole store", got)
		}
		if got := sell(); got == nil {
			t.Fatalf("after a whole-store check, the next is still the whole store's")
		}
	})
}

// The check after sales decides what a check of the whole store would:
// after the first sync's sales, after the period moved on (alerts whose
// sales left it resolve) and a sale pushed another row under N days (it
// fires), a check of the whole store finds nothing left to change.
func TestChecksAfterSalesLeaveNothingForAWholeCheck(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		var now atomic.Pointer[time.Time]
		start := time.Date(2026, 8, 1, 12, 0, 0, 0, time.UTC)
		now.Store(&start)
		clock := func() time.Time { return *now.Load() }
		// Etsy's clock stays: its tokens hold, and the sale below is made
		// at start, inside the 30 days that end 25 days later.
		e := newEnv(t, b, sandbox.GenOptions{Seed: 53, Listings: 60, Receipts: 400, Days: 60, Now: start},
			sandbox.Config{Now: func() time.Time { return start }})
		ev := notify.NewEvaluator(notify.EvaluatorConfig{Store: e.db, Jobs: e.q, Hub: e.hub, Now: clock})
		alerts := e.checkSales(ev, clock)
		days := 120
		if _, err := e.db.StoreUpdateSettings(e.ctx, &store.StoreUpdateSettingsParams{AccountID: e.account, StoreID: e.storeID, RunsOutDays: &days}); err != nil {
			t.Fatal(err)
		}
		whole := func(step string) {
			t.Helper()
			res, err := ev.Evaluate(e.ctx, e.storeID, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Fired) != 0 || len(res.Resolved) != 0 {
				t.Fatalf("%s: a whole-store check still fired %d and resolved %d alerts", step, len(res.Fired), len(res.Resolved))
			}
		}
		active := func() map[int64]bool {
			t.Helper()
			list, err := e.db.AlertList(e.ctx, &store.AlertListParams{AccountID: e.account, StoreID: e.storeID, ActiveOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			out := map[int64]bool{}
			for _, a := range list {
				if a.Kind == store.AlertRunsOut {
					out[a.OfferingID] = true
				}
			}
			return out
		}
		e.sync(store.SyncFull)
		whole("after the first sync")
		first := active()
		if len(first) == 0 {
			t.Fatalf("no runs-out alert after the first sync: the test proves nothing")
		}

		later := start.AddDate(0, 0, 25)
		now.Store(&later)
		var sold int64
		for _, r := range e.rows() {
			if !first[r.OfferingID] && r.SKU != "" && r.Quantity >= 3 && !r.Gone {
				l, ok := e.sb.Listing(r.EtsyListingID)
				if ok && l.State == sandbox.StateActive {
					if _, err := e.sb.SimulateSale(e.shopID, r.EtsyListingID, r.SKU, r.Quantity-1); err != nil {
						t.Fatal(err)
					}
					sold = r.OfferingID
					break
				}
			}
		}
		if sold == 0 {
			t.Fatalf("no row to sell")
		}
		e.sync(store.SyncIncremental)
		if checks := alerts.all(); checks[len(checks)-1] == nil {
			t.Fatalf("the check after one sale was the whole store's")
		}
		got := active()
		whole("after the period moved and a sale")
		if !got[sold] {
			t.Errorf("the row sold down did not fire")
		}
		resolved := 0
		for id := range first {
			if !got[id] {
				resolved++
			}
		}
		if resolved == 0 {
			t.Errorf("no alert resolved as the period moved on: the test proves less than it says")
		}
	})
}
