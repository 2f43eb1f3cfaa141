// Every pending edit has a push job that will run, or a sync that queues
// one: a listing's "job waiting" mark must never outlive its job.
package syncer_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/stockroom/stockroom/etsy/sandbox"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/store/sqlite"
)

// rawExec runs q on the test's database directly, as an operator or a
// crash would leave it.
func (e *env) rawExec(q string) {
	e.t.Helper()
	if e.b.name == "sqlite" {
		db, err := sqlite.OpenRaw(e.where)
		if err != nil {
			e.t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.ExecContext(e.ctx, q); err != nil {
			e.t.Fatal(err)
		}
		return
	}
	conn, err := pgx.Connect(e.ctx, e.where)
	if err != nil {
		e.t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(e.ctx, q); err != nil {
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
