package syncer_test

import (
	"context"
	"sync"
	"testing"

	"github.com/stockroom/stockroom/etsy/sandbox"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/sync/syncer"
)

// wholeStoreChecks counts the whole-store alert checks an engine asks for.
type wholeStoreChecks struct {
	mu    sync.Mutex
	whole int
}

func (a *wholeStoreChecks) EvaluateTx(context.Context, store.Tx, int64, []int64) (store.AlertEvaluateResult, error) {
	return store.AlertEvaluateResult{}, nil
}
func (a *wholeStoreChecks) Announce(int64, store.AlertEvaluateResult) {}
func (a *wholeStoreChecks) Evaluate(_ context.Context, _ int64, ids []int64) (store.AlertEvaluateResult, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if ids == nil {
		a.whole++
	}
	return store.AlertEvaluateResult{}, nil
}

func (a *wholeStoreChecks) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.whole
}

// A sale moves the pace of sales, so the runs-out rule may cross for a
// row whose stock did not move: a sync that wrote sales checks the whole
// store once; one that wrote none does not.
func TestSyncWithSalesChecksTheStoresAlertsOnce(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		e := newEnv(t, b, sandbox.GenOptions{Seed: 51, Listings: 10, Receipts: 3}, sandbox.Config{})
		alerts := &wholeStoreChecks{}
		eng, err := syncer.New(syncer.Config{Store: e.db, Etsy: e.client, Tokens: e.tokens, Queue: e.q, Hub: e.hub, Alerts: alerts})
		if err != nil {
			t.Fatal(err)
		}
		e.eng = eng
		e.sync(store.SyncFull)
		if n := alerts.count(); n != 1 {
			t.Fatalf("full sync with 3 receipts: %d whole-store checks, want 1", n)
		}
		e.sync(store.SyncIncremental)
		if n := alerts.count(); n != 1 {
			t.Fatalf("sync without sales: %d whole-store checks, want still 1", n)
		}
		l, r := e.variedListing(2)
		if _, err := e.sb.SimulateSale(e.shopID, l.ListingID, r.SKU, 1); err != nil {
			t.Fatal(err)
		}
		e.sync(store.SyncIncremental)
		if n := alerts.count(); n != 2 {
			t.Fatalf("sync with a sale: %d whole-store checks, want 2", n)
		}
	})
}
