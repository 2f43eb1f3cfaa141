// One waiting push job per listing, whatever queues them: an import, a
// sync that revives lost pushes, a push handing over.
package syncer_test

import (
	"testing"

	"github.com/stockroom/stockroom/etsy/sandbox"
	"github.com/stockroom/stockroom/store"
)

// waitingPushJobs counts push jobs not yet started (or waiting to retry).
func (e *env) waitingPushJobs() int {
	e.t.Helper()
	return int(e.rawInt(`SELECT count(*) FROM river_job WHERE kind = 'push' AND state IN ('available', 'scheduled', 'pending', 'retryable')`))
}

// An import queues pushes for many rows; a sync that finishes before they
// ran (a resumed one) must not queue them again: one job waits per listing.
func TestResumedSyncQueuesOnePushPerListing(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		e := newEnv(t, b, sandbox.GenOptions{Seed: 47, Listings: 40, Receipts: 3}, sandbox.Config{})
		e.sync(store.SyncFull)
		listings := map[int64]bool{}
		var items []store.StockEditItem
		want := map[int64]int{}
		for _, r := range e.rows() {
			if r.Gone || r.ListingState != sandbox.StateActive {
				continue
			}
			listings[r.EtsyListingID] = true
			items = append(items, store.StockEditItem{OfferingID: r.OfferingID, Quantity: r.Quantity + 1})
			want[r.OfferingID] = r.Quantity + 1
		}
		if len(items) <= len(listings) {
			t.Fatalf("%d rows on %d listings: the shop needs listings with variations", len(items), len(listings))
		}
		e.editAll(store.SourceImport, items)
		if n := e.waitingPushJobs(); n != len(listings) {
			t.Fatalf("an import of %d rows on %d listings queued %d push jobs, want one per listing", len(items), len(listings), n)
		}
		e.sync(store.SyncFull)
		if n := e.waitingPushJobs(); n != len(listings) {
			t.Fatalf("after the sync %d push jobs wait, want %d (one per listing)", n, len(listings))
		}
		e.start()
		for id, q := range want {
			e.waitRow(id, func(x store.InventoryRow) bool { return !x.Pending() })
			if got := e.row(id); got.Quantity != q {
				t.Fatalf("offering %d: Etsy %d, want %d", id, got.Quantity, q)
			}
		}
	})
}
