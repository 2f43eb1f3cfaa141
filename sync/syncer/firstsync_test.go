package syncer_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stockroom/stockroom/etsy/sandbox"
	"github.com/stockroom/stockroom/internal/testwait"
	"github.com/stockroom/stockroom/jobs"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/sync/syncer"
)

// A store never synced is due for its first full sync in the slot it is in
// now, and that slot moves on every interval: a pass after a slot boundary
// queues the new slot while the first full sync (queued in the old one) is
// still running. The fleet simulation found such shops read in full twice.
// The first full read, whenever it started, serves every later slot of the
// first full sync.

// TestFirstFullSyncServesTheSlotQueuedWhileItRan: the first full sync
// started before the next slot and finished; the next slot's full sync then
// does nothing.
func TestFirstFullSyncServesTheSlotQueuedWhileItRan(t *testing.T) {
	eachEnv(t, sandbox.GenOptions{Seed: 12, Listings: 10, Receipts: 3}, func(t *testing.T, e *env) {
		e.sync(store.SyncFull) // the first full sync, started before the next slot
		next, _, err := e.q.EnqueueScheduledSync(e.ctx, e.storeID, store.SyncFull, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		e.sb.ResetCalls()
		e.start()
		waitServed(t, e, next)
	})
}

// TestFirstFullSyncServesTheSlotThatWaitedForItsLease: the next slot's job
// read the store while the first full sync ran, and waited for the store's
// sync lease; the first sync finished and gave the lease back. The job must
// look at the store again once it holds the lease.
func TestFirstFullSyncServesTheSlotThatWaitedForItsLease(t *testing.T) {
	eachEnv(t, sandbox.GenOptions{Seed: 12, Listings: 10, Receipts: 3}, func(t *testing.T, e *env) {
		// The first full sync "finishes" as the job takes the lease: it
		// started before the slot, so it is recorded just so.
		started := time.Now().Add(-30 * time.Second)
		db := &finishOnLease{DB: e.db, storeID: e.storeID, started: started}
		e.q, e.eng = e.processWith(db, jobs.Config{Test: true, Workers: 4}, e.hub)
		next, _, err := e.q.EnqueueScheduledSync(e.ctx, e.storeID, store.SyncFull, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		e.start()
		waitServed(t, e, next)
		if !db.fired() {
			t.Fatal("the job never took the store's sync lease: the test did not race the first sync's end")
		}
	})
}

// waitServed waits for the job of a slot already served to end, and checks
// it ended without a run or an Etsy call (the sandbox's calls are counted
// from the job's start).
func waitServed(t *testing.T, e *env, job int64) {
	t.Helper()
	testwait.Until(t, "the served slot's job to end", func() bool {
		j, err := e.q.JobGet(e.ctx, job)
		return err == nil && j.FinalizedAt != nil
	})
	if j, _ := e.q.JobGet(e.ctx, job); j.State != "completed" {
		t.Fatalf("the served slot's job ended %s: %v", j.State, j.Errors)
	}
	if n := e.calls(); n != 0 {
		t.Errorf("a sync for a slot already served made %d Etsy calls", n)
	}
	runs, err := e.db.SyncRunList(e.ctx, &store.SyncRunListParams{AccountID: e.account, StoreID: e.storeID})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		if r.JobID == job {
			t.Errorf("a sync for a slot already served ran a %s sync", r.Kind)
		}
	}
}

// finishOnLease records the store's first full sync as finished the first
// time a worker takes the store's sync lease: the instant the sync that
// held it gave it back.
type finishOnLease struct {
	store.DB
	storeID int64
	started time.Time
	once    sync.Once
	done    atomic.Bool
}

func (f *finishOnLease) LeaseAcquire(ctx context.Context, name, owner string, now, until time.Time) (bool, error) {
	if name == "sync:"+syncer.Key(f.storeID) {
		var err error
		f.once.Do(func() {
			at := f.started
			err = f.DB.StoreSetSyncState(ctx, &store.StoreSetSyncStateParams{StoreID: f.storeID,
				LastSyncAt: &at, LastFullSyncAt: &at, ReceiptsCursor: &at})
			f.done.Store(err == nil)
		})
		if err != nil {
			return false, err
		}
	}
	return f.DB.LeaseAcquire(ctx, name, owner, now, until)
}

func (f *finishOnLease) Unwrap() store.DB { return f.DB }

func (f *finishOnLease) fired() bool { return f.done.Load() }
