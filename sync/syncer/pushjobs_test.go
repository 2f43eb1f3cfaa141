// Push jobs: every pending edit has one that will run, or a sync that
// queues one (a listing's "job waiting" mark never outlives its job); one
// waits per listing, whatever queues them (an import, a sync that revives
// lost pushes, a push handing over); and those of listings another push
// holds never starve the others.
package syncer_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stockroom/stockroom/etsy/sandbox"
	"github.com/stockroom/stockroom/internal/testwait"
	"github.com/stockroom/stockroom/jobs"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/store/sqlite"
)

// rawExec runs q on the test's database directly, as an operator or a
// crash would leave it.
func (e *env) rawExec(q string) {
	e.t.Helper()
	e.raw(q, nil)
}

// rawInt reads one integer with q from the test's database directly.
func (e *env) rawInt(q string) int64 {
	e.t.Helper()
	var n int64
	e.raw(q, &n)
	return n
}

// raw runs q, scanning its one value into out when set.
func (e *env) raw(q string, out *int64) {
	e.t.Helper()
	var err error
	if e.b.name == "sqlite" {
		db, oerr := sqlite.OpenRaw(e.where)
		if oerr != nil {
			e.t.Fatal(oerr)
		}
		defer db.Close()
		if out != nil {
			err = db.QueryRowContext(e.ctx, q).Scan(out)
		} else {
			_, err = db.ExecContext(e.ctx, q)
		}
	} else {
		conn, cerr := pgx.Connect(e.ctx, e.where)
		if cerr != nil {
			e.t.Fatal(cerr)
		}
		defer conn.Close(context.Background())
		if out != nil {
			err = conn.QueryRow(e.ctx, q).Scan(out)
		} else {
			_, err = conn.Exec(e.ctx, q)
		}
	}
	if err != nil {
		e.t.Fatal(err)
	}
}

// A push job that is discarded (or cancelled) before it starts leaves its
// listing marked as having a job waiting; later edits of the listing then
// queue none. The next sync must queue a job for them.
func TestSyncRevivesEditsWhosePushJobWasDiscarded(t *testing.T) {
	eachSyncedEnv(t, sandbox.GenOptions{Seed: 11, Listings: 6, Receipts: 2}, func(t *testing.T, e *env) {
		_, r := e.variedListing(3)
		e.edit(r.OfferingID, r.Quantity+5)
		// The job is lost before any worker took it.
		e.rawExec(`UPDATE river_job SET state = 'discarded', finalized_at = CURRENT_TIMESTAMP WHERE kind = 'push'`)
		e.edit(r.OfferingID, r.Quantity+7)
		if n := e.waitingPushJobs(); n != 0 {
			t.Fatalf("%d push jobs wait; the test needs the listing's mark set with none", n)
		}
		e.sync(store.SyncFull)
		if n := e.waitingPushJobs(); n != 1 {
			t.Fatalf("after the sync %d push jobs wait for the pending edit, want 1", n)
		}
		e.start()
		got := e.waitRow(r.OfferingID, func(x store.InventoryRow) bool { return !x.Pending() })
		if got.Quantity != r.Quantity+7 {
			t.Fatalf("Etsy holds %d, want %d", got.Quantity, r.Quantity+7)
		}
	})
}

// A job whose earlier attempt kept the listing's lease (its write was in
// doubt) and that then ends with nothing left in doubt gives the lease
// back: the listing's next edits are pushed at once, not after
// pushInDoubtGrace.
func TestPushJobThatEndsGivesBackTheLeaseItKept(t *testing.T) {
	eachSyncedEnv(t, sandbox.GenOptions{Seed: 11, Listings: 6, Receipts: 2}, func(t *testing.T, e *env) {
		l, r := e.variedListing(3)
		e.edit(r.OfferingID, r.Quantity+5)
		job := e.rawInt(`SELECT max(id) FROM river_job WHERE kind = 'push'`)
		// The job's write landed and was recorded, but its attempt ended
		// in doubt and kept the lease (a crash after the record).
		e.push(r.OfferingID)
		now := time.Now()
		ok, err := e.db.LeaseAcquire(e.ctx, "push:listing:"+itoa(l.ListingID), "push-job:"+itoa(job), now, now.Add(time.Hour))
		if err != nil || !ok {
			t.Fatalf("lease: %v %v", ok, err)
		}
		e.start()
		// The job ends (nothing pending); the next edit's job must write.
		testwait.Within(t, 10*time.Second, "the kept job to end", func() bool {
			return e.rawInt(`SELECT count(*) FROM river_job WHERE kind = 'push' AND state = 'completed'`) == 1
		})
		e.edit(r.OfferingID, r.Quantity+7)
		got := e.waitRow(r.OfferingID, func(x store.InventoryRow) bool { return !x.Pending() })
		if q := sandboxQty(t, e.sb, l.ListingID, r.SKU); q != r.Quantity+7 || got.Quantity != q {
			t.Fatalf("Etsy %d, Stockroom %d; want %d", q, got.Quantity, r.Quantity+7)
		}
	})
}

// waitPushesDone waits until no push job waits or runs: every push, and
// the pushes they queued as they ended, are done.
func (e *env) waitPushesDone() {
	e.t.Helper()
	testwait.Within(e.t, 10*time.Second, "every push job to end", func() bool {
		return e.rawInt(`SELECT count(*) FROM river_job WHERE kind = 'push'
			AND state IN ('available', 'pending', 'retryable', 'running', 'scheduled')`) == 0
	})
}

// waitingPushJobs counts push jobs not yet started (or waiting to retry).
func (e *env) waitingPushJobs() int {
	e.t.Helper()
	return int(e.rawInt(`SELECT count(*) FROM river_job WHERE kind = 'push' AND state IN ('available', 'scheduled', 'pending', 'retryable')`))
}

// An import queues pushes for many rows; a sync that finishes before they
// ran (a resumed one) must not queue them again: one job waits per listing.
func TestResumedSyncQueuesOnePushPerListing(t *testing.T) {
	eachSyncedEnv(t, sandbox.GenOptions{Seed: 47, Listings: 40, Receipts: 3}, func(t *testing.T, e *env) {
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

// Push jobs of listings another push holds (a job of a killed process, not
// rescued yet, or one keeping the lease while its write is in doubt) give
// their worker back at once instead of waiting on the lease: with every
// worker taken by them, an import's pushes (a lower priority) waited until
// the leases ran out, two minutes, and were still pending a minute after
// the restart. One worker, two held listings: the import's push of a
// third listing reaches Etsy in seconds. Found by the chaos soak on
// PostgreSQL.
func TestPushJobsOfHeldListingsDoNotStarveAnImport(t *testing.T) {
	eachSyncedEnv(t, sandbox.GenOptions{Seed: 51, Listings: 40, Receipts: 3}, func(t *testing.T, e *env) {
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
			name := "push:listing:" + itoa(r.EtsyListingID)
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
