package syncer_test

import (
	"testing"
	"time"

	"github.com/stockroom/stockroom/etsy/sandbox"
	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/jobs"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/sync/syncer"
)

func TestScheduleEnqueuesDueSyncsOnce(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		e := newEnv(t, b, sandbox.GenOptions{Seed: 12, Listings: 10, Receipts: 3}, sandbox.Config{})
		now := time.Now()
		s, err := syncer.NewScheduler(syncer.ScheduleConfig{Store: e.db, Etsy: e.client, Queue: e.q, Interval: time.Minute,
			Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		res, err := s.RunOnce(e.ctx)
		if err != nil || res.Enqueued != 1 {
			t.Fatalf("first pass: %+v %v, want the never-synced store enqueued", res, err)
		}
		sub := e.hub.Subscribe(func(ev hub.Event) bool { return ev.Kind == hub.SyncFinished })
		defer sub.Close()
		e.start()
		ev, err := syncer.WaitRun(e.ctx, sub)
		if err != nil || ev.State != string(store.ResultOK) {
			t.Fatalf("scheduled sync: %+v %v", ev, err)
		}
		// Synced just now: nothing is due until the interval (plus jitter).
		if res, _ := s.RunOnce(e.ctx); res.Enqueued != 0 {
			t.Fatalf("a freshly synced store was enqueued again: %+v", res)
		}
		now = now.Add(2 * time.Minute)
		if res, _ := s.RunOnce(e.ctx); res.Enqueued != 1 {
			t.Fatalf("a due store was not enqueued: %+v", res)
		}
		ev, err = syncer.WaitRun(e.ctx, sub)
		if err != nil || ev.State != string(store.ResultOK) {
			t.Fatalf("second scheduled sync: %+v %v", ev, err)
		}
		runs, _ := e.db.SyncRunList(e.ctx, &store.SyncRunListParams{AccountID: e.account, StoreID: e.storeID})
		if len(runs) != 2 || runs[0].Kind != store.SyncIncremental || runs[0].Trigger != store.TriggerSchedule {
			t.Fatalf("sync log: %+v", runs)
		}
	})
}

func TestSyncNowReportsTheRun(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		e := newEnv(t, b, sandbox.GenOptions{Seed: 13, Listings: 10, Receipts: 3}, sandbox.Config{})
		e.start()
		ev, err := syncer.SyncNow(e.ctx, e.hub, e.q, e.storeID, store.SyncFull)
		if err != nil || ev.RunID == 0 || ev.State != string(store.ResultOK) {
			t.Fatalf("sync now: %+v %v", ev, err)
		}
	})
}

func TestLeaseElectorHasOneLeader(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		e := newEnv(t, b, sandbox.GenOptions{Seed: 14, Listings: 2, Receipts: 1}, sandbox.Config{})
		la := syncer.NewLeaseElector(e.db, "scheduler", "a", time.Minute)
		lb := syncer.NewLeaseElector(e.db, "scheduler", "b", time.Minute)
		if err := la.IsLeader(e.ctx); err != nil {
			t.Fatal(err)
		}
		if err := lb.IsLeader(e.ctx); err == nil {
			t.Fatal("two leaders")
		}
		if err := la.IsLeader(e.ctx); err != nil {
			t.Fatal("the leader lost its lease on renewal:", err)
		}
	})
}

func TestLivenessClosesRunsOfAStoppedProcess(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		e := newEnv(t, b, sandbox.GenOptions{Seed: 12, Listings: 10, Receipts: 3}, sandbox.Config{})
		now := time.Now()
		start := func(process string, at time.Time) store.SyncRun {
			t.Helper()
			r, err := e.db.SyncRunStart(e.ctx, &store.SyncRunStartParams{StoreID: e.storeID, Kind: store.SyncFull,
				Trigger: store.TriggerSchedule, Process: process, Now: at})
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		beat := func(process string, at time.Time) {
			t.Helper()
			if err := e.db.ProcessBeat(e.ctx, process, at); err != nil {
				t.Fatal(err)
			}
		}
		// One process stopped beating a minute ago; another beat just now.
		// A run that names no process and started two hours ago is taken
		// for dead; one started within River's job timeout may be alive.
		beat("dead", now.Add(-time.Minute))
		beat("alive", now.Add(-time.Second))
		dead := start("dead", now.Add(-2*time.Minute))
		alive := start("alive", now.Add(-time.Hour))
		oldAnonymous := start("", now.Add(-2*time.Hour))
		anonymous := start("", now.Add(-jobs.JobTimeout+time.Minute))
		l, err := syncer.NewLiveness(syncer.LivenessConfig{Store: e.db, Queue: e.q, Process: "self",
			Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		res, err := l.Sweep(e.ctx)
		if err != nil || res.Processes != 1 || res.Runs != 2 {
			t.Fatalf("sweep: %+v %v, want one dead process and two runs abandoned", res, err)
		}
		runs, _ := e.db.SyncRunList(e.ctx, &store.SyncRunListParams{AccountID: e.account, StoreID: e.storeID})
		got := map[int64]store.SyncRun{}
		for _, r := range runs {
			got[r.ID] = r
		}
		for _, id := range []int64{dead.ID, oldAnonymous.ID} {
			if r := got[id]; r.Result != store.ResultFailed || r.Error != syncer.AbandonReason || r.FinishedAt.IsZero() {
				t.Errorf("a dead process's run = %+v, want failed: %s", r, syncer.AbandonReason)
			}
		}
		for _, id := range []int64{alive.ID, anonymous.ID} {
			if r := got[id]; r.Result != store.ResultRunning {
				t.Errorf("a run that may be alive was closed: %+v", r)
			}
		}
		if res, err := l.Sweep(e.ctx); err != nil || res != (syncer.SweepResult{}) {
			t.Fatalf("second sweep: %+v %v, want nothing more", res, err)
		}
	})
}
