// Every pending edit has a push job that will run, or a sync that queues
// one: a listing's "job waiting" mark must never outlive its job.
package syncer_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stockroom/stockroom/etsy/sandbox"
	"github.com/stockroom/stockroom/internal/testwait"
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
	eachBackend(t, func(t *testing.T, b backend) {
		e := newEnv(t, b, sandbox.GenOptions{Seed: 11, Listings: 6, Receipts: 2}, sandbox.Config{})
		e.sync(store.SyncFull)
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
	eachBackend(t, func(t *testing.T, b backend) {
		e := newEnv(t, b, sandbox.GenOptions{Seed: 11, Listings: 6, Receipts: 2}, sandbox.Config{})
		e.sync(store.SyncFull)
		l, r := e.variedListing(3)
		e.edit(r.OfferingID, r.Quantity+5)
		job := e.rawInt(`SELECT max(id) FROM river_job WHERE kind = 'push'`)
		// The job's write landed and was recorded, but its attempt ended
		// in doubt and kept the lease (a crash after the record).
		if err := e.eng.Push(e.ctx, r.OfferingID); err != nil {
			t.Fatal(err)
		}
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
