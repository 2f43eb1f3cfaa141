package jobs_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/stockroom/stockroom/internal/testwait"
	"github.com/stockroom/stockroom/jobs"
	"github.com/stockroom/stockroom/jobs/jobstest"
	"github.com/stockroom/stockroom/store"
)

// backends are the databases every test runs on: a queue beside an empty
// store, as a server process has them.
func backends() []struct {
	name string
	open func(t *testing.T) (*jobs.Queue, store.DB)
} {
	return []struct {
		name string
		open func(t *testing.T) (*jobs.Queue, store.DB)
	}{{"sqlite", openSQLite}, {"postgres", openPostgres}}
}

func openSQLite(t *testing.T) (*jobs.Queue, store.DB) { return jobstest.SQLite(t) }

func openPostgres(t *testing.T) (*jobs.Queue, store.DB) { return jobstest.Postgres(t) }

// eachBackend runs fn on every backend, in parallel subtests.
func eachBackend(t *testing.T, fn func(t *testing.T, q *jobs.Queue, db store.DB)) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			q, db := b.open(t)
			fn(t, q, db)
		})
	}
}

func withWorkers(t *testing.T, q *jobs.Queue) {
	t.Helper()
	river.AddWorker(q.Workers(), jobstest.Nop[jobs.PushArgs]{})
	river.AddWorker(q.Workers(), jobstest.Nop[jobs.SyncArgs]{})
	t.Cleanup(func() { _ = q.Stop(context.Background()) })
}

// startCompleted adds the no-op workers, starts q and returns the events
// of the jobs it completes from then on.
func startCompleted(t *testing.T, q *jobs.Queue) <-chan *river.Event {
	t.Helper()
	withWorkers(t, q)
	events, cancel, err := q.Subscribe(river.EventKindJobCompleted)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cancel)
	if err := q.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	return events
}

func TestSweepPushesUniquePerOffering(t *testing.T) {
	eachBackend(t, func(t *testing.T, q *jobs.Queue, db store.DB) {
		withWorkers(t, q)
		ctx := t.Context()
		var ids []int64
		for range 3 {
			id, err := q.Insert(ctx, jobs.PushArgs{StoreID: 1, OfferingID: 42, Sweep: true}, nil)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		if ids[0] != ids[1] || ids[1] != ids[2] {
			t.Fatalf("sweeps of one offering made jobs %v, want one", ids)
		}
		other, _ := q.Insert(ctx, jobs.PushArgs{StoreID: 1, OfferingID: 43, Sweep: true}, nil)
		if other == ids[0] {
			t.Fatal("another offering shared the job")
		}
	})
}

func TestScheduledSyncUniquePerSlotManualRunsNow(t *testing.T) {
	eachBackend(t, func(t *testing.T, q *jobs.Queue, db store.DB) {
		withWorkers(t, q)
		ctx := t.Context()
		slot := time.Now().Add(time.Minute)
		a, added, err := q.EnqueueScheduledSync(ctx, 7, store.SyncIncremental, slot)
		if err != nil || !added {
			t.Fatal(added, err)
		}
		b, added, _ := q.EnqueueScheduledSync(ctx, 7, store.SyncIncremental, slot)
		if a != b || added {
			t.Fatalf("one slot queued twice: %d, %d (added %v)", a, b, added)
		}
		if c, _, _ := q.EnqueueScheduledSync(ctx, 8, store.SyncIncremental, slot); c == a {
			t.Fatal("another store's sync was deduplicated")
		}
		if d, _, _ := q.EnqueueScheduledSync(ctx, 7, store.SyncIncremental, slot.Add(time.Minute)); d == a {
			t.Fatal("the next slot was deduplicated")
		}
		// A person's request always runs: a second Sync now is not
		// swallowed by the first (the wait follows its own job).
		m1, _ := q.EnqueueSyncJob(ctx, 7, store.SyncReconcile, store.TriggerManual)
		m2, _ := q.EnqueueSyncJob(ctx, 7, store.SyncReconcile, store.TriggerManual)
		if m1 == m2 || m1 == a {
			t.Fatal("a Sync now joined another job")
		}
		if _, err := q.EnqueueSyncJob(ctx, 7, "weekly", store.TriggerManual); err == nil {
			t.Fatal("an unknown kind was queued")
		}
	})
}

func TestBulkPushesWaitBehindEdits(t *testing.T) {
	eachBackend(t, func(t *testing.T, q *jobs.Queue, db store.DB) {
		withWorkers(t, q)
		ctx := t.Context()
		bulk, err := q.Insert(ctx, jobs.PushArgs{StoreID: 1, OfferingID: 42, Bulk: true}, nil)
		if err != nil {
			t.Fatal(err)
		}
		// Every edit has its own job: one committed as a push ends must
		// not join it.
		again, err := q.Insert(ctx, jobs.PushArgs{StoreID: 1, OfferingID: 42, Bulk: true}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if again == bulk {
			t.Fatal("a second edit of one offering joined the first one's job")
		}
		// The seller's edit of the same offering does not join the waiting
		// bulk job, whose priority would make the seller wait.
		edit, err := q.Insert(ctx, jobs.PushArgs{StoreID: 1, OfferingID: 42}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if edit == bulk {
			t.Fatal("the seller's edit joined the waiting bulk push")
		}
		for id, want := range map[int64]int{bulk: jobs.PriorityBulk, edit: jobs.PriorityEdit} {
			row, err := q.JobGet(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if row.Priority != want {
				t.Fatalf("job %d has priority %d, want %d", id, row.Priority, want)
			}
		}
		if jobs.PriorityEdit >= jobs.PriorityBulk {
			t.Fatal("River fetches lower priorities first: an edit must have the lower number")
		}
	})
}

func TestInsertTxCommitsWithTheStoreWrite(t *testing.T) {
	eachBackend(t, func(t *testing.T, q *jobs.Queue, db store.DB) {
		ctx := t.Context()
		events := startCompleted(t, q)
		// A store write whose OnCommit enqueues: the job runs once committed.
		_, err := db.SyncListingsWrite(ctx, &store.SyncListingsWriteParams{StoreID: 1, Now: time.Now(),
			OnCommit: func(ctx context.Context, tx store.Tx, _ store.SyncWriteResult) error {
				return q.EnqueuePushTx(ctx, tx, 1, 99, false)
			}})
		if err != nil {
			t.Fatal(err)
		}
		if ev := testwait.Receive(t, events, "the job inserted in the store transaction to run"); ev.Job.Kind != "push" {
			t.Fatalf("completed %s", ev.Job.Kind)
		}
	})
}

// JobQueued tells a job that will still run (queued, or snoozed to a later
// time, as a sync Etsy's rate limit stopped is) from one River no longer
// holds: `sync --wait` follows the first and reports the run of the other.
func TestJobQueuedTellsAJobThatRunsAgain(t *testing.T) {
	eachBackend(t, func(t *testing.T, q *jobs.Queue, db store.DB) {
		withWorkers(t, q)
		ctx := t.Context()
		id, err := q.EnqueueSyncJob(ctx, 7, store.SyncReconcile, store.TriggerManual)
		if err != nil {
			t.Fatal(err)
		}
		if queued, running, err := q.JobQueued(ctx, id); err != nil || !queued || running {
			t.Fatalf("a queued job: queued %v running %v err %v", queued, running, err)
		}
		later := time.Now().Add(time.Hour)
		snoozed, err := q.Insert(ctx, jobs.SyncArgs{StoreID: 8, SyncKind: store.SyncReconcile, Trigger: store.TriggerManual},
			&river.InsertOpts{ScheduledAt: later})
		if err != nil {
			t.Fatal(err)
		}
		if queued, _, err := q.JobQueued(ctx, snoozed); err != nil || !queued {
			t.Fatalf("a job scheduled for later: queued %v err %v", queued, err)
		}
		if queued, running, err := q.JobQueued(ctx, 987654321); err != nil || queued || running {
			t.Fatalf("a job River does not hold: queued %v running %v err %v", queued, running, err)
		}
	})
}

// Every sale of a busy shop brings a webhook, and each asked for its own
// incremental sync: the chaos soak's ~2,000 sales in four minutes queued
// ~4,600 sync jobs, and a seller's `sync --wait` waited behind them for
// over a minute. Webhooks of a store within one second share one job, run
// once that second is over, so it reads every sale they announce.
func TestWebhookSyncsOfABurstShareAJob(t *testing.T) {
	eachBackend(t, func(t *testing.T, q *jobs.Queue, db store.DB) {
		withWorkers(t, q)
		ctx := t.Context()
		start := time.Now()
		for i := range 30 {
			if _, err := db.WebhookSeen(ctx, fmt.Sprintf("msg_%d", i), time.Now(), func(ctx context.Context, tx store.Tx) error {
				return q.EnqueueSyncTx(ctx, tx, 7, store.SyncIncremental, store.TriggerWebhook)
			}); err != nil {
				t.Fatal(err)
			}
		}
		elapsed := time.Since(start)
		res, err := q.JobList(ctx, river.NewJobListParams().Kinds(jobs.SyncArgs{}.Kind()).First(100))
		if err != nil {
			t.Fatal(err)
		}
		// The burst took elapsed: it can span that many seconds, plus one.
		if most := int(elapsed/time.Second) + 2; len(res.Jobs) > most {
			t.Fatalf("30 webhooks in %s queued %d sync jobs, want at most %d", elapsed, len(res.Jobs), most)
		}
		for _, j := range res.Jobs {
			var a jobs.SyncArgs
			if err := json.Unmarshal(j.EncodedArgs, &a); err != nil {
				t.Fatal(err)
			}
			if slot := time.Unix(a.Slot, 0); !slot.After(start) {
				t.Errorf("job %d reads Etsy from %s, not after the second of the webhooks it serves (%s)", j.ID, slot, start)
			}
			if j.State != rivertype.JobStateAvailable {
				t.Errorf("job %d is %s, want available at once", j.ID, j.State)
			}
		}
	})
}
