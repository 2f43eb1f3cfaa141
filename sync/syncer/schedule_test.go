package syncer_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/stockroom/stockroom/etsy/sandbox"
	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/jobs"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/sync/syncer"
)

func TestScheduleEnqueuesDueSyncsOnce(t *testing.T) {
	eachEnv(t, sandbox.GenOptions{Seed: 12, Listings: 10, Receipts: 3}, func(t *testing.T, e *env) {
		now := time.Now()
		// A pass every two minutes sees the next slot, at most an interval
		// and a half after the last sync.
		s, err := syncer.NewScheduler(syncer.ScheduleConfig{Store: e.db, Etsy: e.client, Queue: e.q, Interval: time.Minute,
			Tick: 2 * time.Minute, Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		res, err := s.RunOnce(e.ctx)
		if err != nil || res.Enqueued != 1 {
			t.Fatalf("first pass: %+v %v, want the never-synced store enqueued", res, err)
		}
		// Passes seconds apart before it has run queue nothing more. The
		// second stays inside the first's slot (a pass in the next slot
		// rightly queues that one): two seconds later, or the slot's last
		// millisecond when the slot ends sooner.
		first := now
		q := scheduledSyncs(t, e)
		if len(q) != 1 {
			t.Fatalf("%d scheduled syncs after the first pass, want 1", len(q))
		}
		now = now.Add(2 * time.Second)
		if last := q[0].ScheduledAt.Add(time.Minute - time.Millisecond); now.After(last) {
			now = last
		}
		if now.Before(first) {
			now = first
		}
		if res, err := s.RunOnce(e.ctx); err != nil || res.Enqueued != 0 {
			t.Fatalf("second pass before the first sync ran: %+v %v, want nothing queued", res, err)
		}
		now = first
		sub := e.hub.Subscribe(func(ev hub.Event) bool { return ev.Kind == hub.SyncFinished })
		defer sub.Close()
		e.start()
		ev, err := syncer.WaitRun(e.ctx, sub)
		if err != nil || ev.State != string(store.ResultOK) {
			t.Fatalf("scheduled sync: %+v %v", ev, err)
		}
		// Synced just now: the next sync is queued for its slot, about an
		// interval later, once however many passes see it.
		res, err = s.RunOnce(e.ctx)
		if err != nil || res.Enqueued != 1 {
			t.Fatalf("pass after the sync: %+v %v, want the next slot queued", res, err)
		}
		if res, _ := s.RunOnce(e.ctx); res.Enqueued != 0 {
			t.Fatalf("a slot was queued twice: %+v", res)
		}
		next := scheduledSyncs(t, e)
		if len(next) != 2 {
			t.Fatalf("%d scheduled syncs, want the first and the next", len(next))
		}
		st, err := e.db.StoreGet(e.ctx, e.storeID)
		if err != nil {
			t.Fatal(err)
		}
		if gap := next[1].ScheduledAt.Sub(st.LastSyncAt); gap < 30*time.Second || gap > 90*time.Second {
			t.Fatalf("the next sync starts %s after the last, want about a minute", gap)
		}
		runs, _ := e.db.SyncRunList(e.ctx, &store.SyncRunListParams{AccountID: e.account, StoreID: e.storeID})
		if len(runs) != 1 || runs[0].Kind != store.SyncFull || runs[0].Trigger != store.TriggerSchedule {
			t.Fatalf("sync log: %+v", runs)
		}
	})
}

func TestSyncNowReportsTheRun(t *testing.T) {
	eachEnv(t, sandbox.GenOptions{Seed: 13, Listings: 10, Receipts: 3}, func(t *testing.T, e *env) {
		e.start()
		ev, err := syncer.SyncNow(e.ctx, e.hub, e.q, e.storeID, store.SyncFull)
		if err != nil || ev.RunID == 0 || ev.State != string(store.ResultOK) {
			t.Fatalf("sync now: %+v %v", ev, err)
		}
	})
}

// TestSyncNowBackToBackRunsWhatWasAsked: two reconciles asked for one
// after the other, with a scheduled incremental sync queued between them,
// each run and each wait reports its own reconcile.
func TestSyncNowBackToBackRunsWhatWasAsked(t *testing.T) {
	eachEnv(t, sandbox.GenOptions{Seed: 13, Listings: 10, Receipts: 3}, func(t *testing.T, e *env) {
		e.start()
		if ev, err := syncer.SyncNow(e.ctx, e.hub, e.q, e.storeID, store.SyncFull); err != nil || ev.State != string(store.ResultOK) {
			t.Fatalf("first sync: %+v %v", ev, err)
		}
		var runs []int64
		for range 2 {
			if _, _, err := e.q.EnqueueScheduledSync(e.ctx, e.storeID, store.SyncIncremental, time.Now()); err != nil {
				t.Fatal(err)
			}
			ev, err := syncer.SyncNow(e.ctx, e.hub, e.q, e.storeID, store.SyncReconcile)
			if err != nil || ev.State != string(store.ResultOK) {
				t.Fatalf("reconcile: %+v %v", ev, err)
			}
			runs = append(runs, ev.RunID)
		}
		log, err := e.db.SyncRunList(e.ctx, &store.SyncRunListParams{AccountID: e.account, StoreID: e.storeID})
		if err != nil {
			t.Fatal(err)
		}
		byID := map[int64]store.SyncRun{}
		for _, r := range log {
			byID[r.ID] = r
		}
		if runs[0] == runs[1] {
			t.Fatalf("the second reconcile reported the first's run %d", runs[0])
		}
		for _, id := range runs {
			if r := byID[id]; r.Kind != store.SyncReconcile || r.Trigger != store.TriggerManual || r.JobID == 0 {
				t.Errorf("a wait for a reconcile reported %+v", r)
			}
		}
	})
}

func TestLeaseElectorHasOneLeader(t *testing.T) {
	eachEnv(t, sandbox.GenOptions{Seed: 14, Listings: 2, Receipts: 1}, func(t *testing.T, e *env) {
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
	eachEnv(t, sandbox.GenOptions{Seed: 12, Listings: 10, Receipts: 3}, func(t *testing.T, e *env) {
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
		clock := now.Add(-syncer.DeadAfter)
		l, err := syncer.NewLiveness(syncer.LivenessConfig{Store: e.db, Queue: e.q, Process: "self",
			Now: func() time.Time { return clock }})
		if err != nil {
			t.Fatal(err)
		}
		// This process has beaten for DeadAfter: it may sweep.
		if err := l.Beat(e.ctx); err != nil {
			t.Fatal(err)
		}
		clock = now
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

// scheduledSyncs lists the scheduled sync jobs of a store, by when they
// are to start.
func scheduledSyncs(t *testing.T, e *env) []*rivertype.JobRow {
	t.Helper()
	res, err := e.q.JobList(e.ctx, river.NewJobListParams().Kinds(jobs.SyncArgs{}.Kind()).First(1000))
	if err != nil {
		t.Fatal(err)
	}
	var out []*rivertype.JobRow
	for _, j := range res.Jobs {
		var a jobs.SyncArgs
		if err := json.Unmarshal(j.EncodedArgs, &a); err != nil {
			t.Fatal(err)
		}
		if a.StoreID == e.storeID && a.Trigger == store.TriggerSchedule {
			out = append(out, j)
		}
	}
	slices.SortFunc(out, func(a, b *rivertype.JobRow) int { return a.ScheduledAt.Compare(b.ScheduledAt) })
	return out
}

// TestScheduledSyncsStartEveryInterval runs the scheduler's passes on a
// fake clock, a pass a minute for half an hour, with the store's syncs
// "run" (recorded as the sync engine records them) the moment they are to
// start. With a 1-minute interval and no jitter a store syncs every
// minute, not every two; with jitter each start stays within the spread.
func TestScheduledSyncsStartEveryInterval(t *testing.T) {
	for _, jit := range []float64{0, 0.5} {
		t.Run(fmt.Sprintf("jitter=%v", jit), func(t *testing.T) {
			e := newEnv(t, sqliteBackend(), sandbox.GenOptions{Seed: 12, Listings: 2, Receipts: 1}, sandbox.Config{})
			start := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
			synced := start.Add(-30 * time.Second)
			if err := e.db.StoreSetSyncState(e.ctx, &store.StoreSetSyncStateParams{StoreID: e.storeID,
				LastSyncAt: &synced, LastFullSyncAt: &synced, ReceiptsCursor: &synced}); err != nil {
				t.Fatal(err)
			}
			now := start
			s, err := syncer.NewScheduler(syncer.ScheduleConfig{Store: e.db, Etsy: e.client, Queue: e.q, Interval: time.Minute,
				Jitter: jit, Now: func() time.Time { return now }})
			if err != nil {
				t.Fatal(err)
			}
			ran := map[int64]bool{}
			for ; now.Before(start.Add(30 * time.Minute)); now = now.Add(time.Minute) {
				if _, err := s.RunOnce(e.ctx); err != nil {
					t.Fatal(err)
				}
				// Every job due by now runs, a little late, as River runs it.
				for _, j := range scheduledSyncs(t, e) {
					if ran[j.ID] || j.ScheduledAt.After(now) {
						continue
					}
					ran[j.ID] = true
					at := j.ScheduledAt.Add(300 * time.Millisecond)
					if err := e.db.StoreSetSyncState(e.ctx, &store.StoreSetSyncStateParams{StoreID: e.storeID, LastSyncAt: &at}); err != nil {
						t.Fatal(err)
					}
				}
			}
			jobs := scheduledSyncs(t, e)
			if len(jobs) < 29 || len(jobs) > 31 {
				t.Fatalf("%d scheduled syncs in 30 minutes at a 1-minute interval, want 30", len(jobs))
			}
			for i := 1; i < len(jobs); i++ {
				gap := jobs[i].ScheduledAt.Sub(jobs[i-1].ScheduledAt)
				lo, hi := time.Duration(float64(time.Minute)*(1-jit)), time.Duration(float64(time.Minute)*(1+jit))
				if gap < lo-time.Second || gap > hi+time.Second {
					t.Errorf("syncs %d and %d start %s apart, want a minute ± %v", i-1, i, gap, jit)
				}
			}
			if jit > 0 {
				// The jitter is used: starts are not all on the minute's grid.
				spread := map[time.Duration]bool{}
				for _, j := range jobs {
					spread[j.ScheduledAt.Sub(start)%time.Minute] = true
				}
				if len(spread) < 5 {
					t.Errorf("starts fall on %d offsets within the minute: jitter %v is not applied", len(spread), jit)
				}
			}
		})
	}
}

// TestChoresFailAlone runs the scheduler's chores on a fake clock: one that
// always fails must not stop another, and each runs on its own period.
func TestChoresFailAlone(t *testing.T) {
	e := newEnv(t, sqliteBackend(), sandbox.GenOptions{Seed: 12, Listings: 2, Receipts: 1}, sandbox.Config{})
	clock := clockwork.NewFakeClock()
	ran := make(chan string, 100)
	chore := func(name string, every time.Duration, err error) syncer.Chore {
		return syncer.Chore{Name: name, Every: every, Run: func(context.Context) error {
			ran <- name
			return err
		}}
	}
	s, err := syncer.NewScheduler(syncer.ScheduleConfig{Store: e.db, Etsy: e.client, Queue: e.q, Tick: time.Hour, Clock: clock,
		Chores: []syncer.Chore{
			chore("token-refresh", 5*time.Minute, errors.New("shop 7: Etsy refused the refresh token")),
			chore("digests", 5*time.Minute, nil),
			chore("oauth-state-cleanup", 15*time.Minute, nil),
		}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(e.ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Stop() })
	count := map[string]int{}
	take := func(name string) { count[name]++ }
	// Each chore runs at once, then every period. The clock moves in
	// 5-minute steps; a step may find a chore still re-arming its timer, so
	// the test counts what ran rather than expecting each step's runs.
	for range 3 {
		select {
		case name := <-ran:
			take(name)
		case <-time.After(10 * time.Second):
			t.Fatalf("chores ran %v at start; want all three", count)
		}
	}
	for step := 0; count["token-refresh"] < 4 || count["digests"] < 4 || count["oauth-state-cleanup"] < 2; step++ {
		if step == 12 {
			t.Fatalf("after an hour of clock, chores ran %v: a failing token refresh must not stop the others", count)
		}
		// The sync pass and the three chores wait on the clock.
		if err := clock.BlockUntilContext(e.ctx, 4); err != nil {
			t.Fatal(err)
		}
		clock.Advance(5 * time.Minute)
		select {
		case name := <-ran:
			take(name)
		case <-time.After(10 * time.Second):
			t.Fatalf("nothing ran after the clock moved 5 minutes; chores ran %v", count)
		}
		for drained := false; !drained; {
			select {
			case name := <-ran:
				take(name)
			default:
				drained = true
			}
		}
	}
	// The failing chore kept its own schedule, and the 15-minute one ran
	// less often than the 5-minute ones.
	if count["oauth-state-cleanup"] >= count["digests"] {
		t.Fatalf("chores ran %v: cleanup runs every 15 minutes, digests every 5", count)
	}
}

// outageStore fails every liveness beat while down, as a database outage
// does.
type outageStore struct {
	store.DB
	down bool
}

func (o *outageStore) ProcessBeat(ctx context.Context, id string, now time.Time) error {
	if o.down {
		return errors.New("connection refused")
	}
	return o.DB.ProcessBeat(ctx, id, now)
}

// TestLivenessSweepsNobodyRightAfterAnOutage: after a database outage every
// record is stale; a process whose beats have just come back must not take
// the others (alive, about to beat) for dead.
func TestLivenessSweepsNobodyRightAfterAnOutage(t *testing.T) {
	e := newEnv(t, sqliteBackend(), sandbox.GenOptions{Seed: 12, Listings: 2, Receipts: 1}, sandbox.Config{})
	now := time.Now()
	db := &outageStore{DB: e.db}
	l, err := syncer.NewLiveness(syncer.LivenessConfig{Store: db, Queue: e.q, Process: "self", Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Beat(e.ctx); err != nil {
		t.Fatal(err)
	}
	if err := e.db.ProcessBeat(e.ctx, "other", now); err != nil {
		t.Fatal(err)
	}
	run, err := e.db.SyncRunStart(e.ctx, &store.SyncRunStartParams{StoreID: e.storeID, Kind: store.SyncFull,
		Trigger: store.TriggerSchedule, Process: "other", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	// A minute of outage: nobody beats.
	db.down = true
	for range 12 {
		now = now.Add(5 * time.Second)
		if err := l.Beat(e.ctx); err == nil {
			t.Fatal("a beat succeeded during the outage")
		}
	}
	db.down = false
	// Back: this process beats again, the other has not had its turn yet.
	for range 3 {
		now = now.Add(5 * time.Second)
		if err := l.Beat(e.ctx); err != nil {
			t.Fatal(err)
		}
		if res, err := l.Sweep(e.ctx); err != nil || res != (syncer.SweepResult{}) {
			t.Fatalf("sweep %s after the outage: %+v %v, want nothing taken over", syncer.DeadAfter, res, err)
		}
	}
	// The other never came back: after DeadAfter of good beats it is dead.
	now = now.Add(syncer.DeadAfter)
	if err := l.Beat(e.ctx); err != nil {
		t.Fatal(err)
	}
	res, err := l.Sweep(e.ctx)
	if err != nil || res.Processes != 1 || res.Runs != 1 {
		t.Fatalf("sweep once the outage is long past: %+v %v, want the other process's run closed", res, err)
	}
	runs, _ := e.db.SyncRunList(e.ctx, &store.SyncRunListParams{AccountID: e.account, StoreID: e.storeID})
	if len(runs) != 1 || runs[0].ID != run.ID || runs[0].Result != store.ResultFailed {
		t.Fatalf("runs: %+v", runs)
	}
}
