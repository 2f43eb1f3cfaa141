package syncer_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/stockroom/stockroom/etsy/sandbox"
	"github.com/stockroom/stockroom/internal/testwait"
	"github.com/stockroom/stockroom/jobs"
	"github.com/stockroom/stockroom/store"
)

// Push jobs of listings another push holds (a job of a killed process, not
// rescued yet, or one keeping the lease while its write is in doubt) give
// their worker back at once instead of waiting on the lease: with every
// worker taken by them, an import's pushes (a lower priority) waited until
// the leases ran out, two minutes, and were still pending a minute after
// the restart. One worker, two held listings: the import's push of a
// third listing reaches Etsy in seconds. Found by the chaos soak on
// PostgreSQL.
func TestPushJobsOfHeldListingsDoNotStarveAnImport(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		e := newEnv(t, b, sandbox.GenOptions{Seed: 51, Listings: 40, Receipts: 3}, sandbox.Config{})
		e.sync(store.SyncFull)
		var rows []store.InventoryRow
		seen := map[int64]bool{}
		for _, r := range e.rows() {
			if r.SKU == "" || seen[r.EtsyListingID] || r.ListingState != sandbox.StateActive {
				continue
			}
			seen[r.EtsyListingID] = true
			rows = append(rows, r)
		}
		if len(rows) < 3 {
			t.Fatalf("%d listings, want 3", len(rows))
		}
		q, _ := e.processWith(e.db, jobs.Config{Test: true, Workers: 1, ID: "one-worker"}, e.hub)
		now := time.Now()
		for _, r := range rows[:2] {
			name := "push:listing:" + strconv.FormatInt(r.EtsyListingID, 10)
			if ok, err := e.db.LeaseAcquire(e.ctx, name, "push-job:999999", now, now.Add(2*time.Minute)); err != nil || !ok {
				t.Fatalf("hold %s: %v %v", name, ok, err)
			}
			if err := editVia(e.ctx, e.db, q, e.account, e.storeID, r.OfferingID, r.Quantity+3); err != nil {
				t.Fatal(err)
			}
		}
		imported := rows[2]
		if err := editAll(e.ctx, e.db, q, e.account, e.storeID, store.SourceImport,
			[]store.StockEditItem{{OfferingID: imported.OfferingID, Quantity: imported.Quantity + 5}}); err != nil {
			t.Fatal(err)
		}
		if err := q.Start(e.ctx); err != nil {
			t.Fatal(err)
		}
		testwait.Within(t, 20*time.Second, "the import's push to reach Etsy beside two held listings", func() bool {
			got, ok := sbQty(e.sb, imported.EtsyListingID, imported.SKU)
			return ok && got == imported.Quantity+5
		})
	})
}
