// Taking over from a process that died: its liveness record, the sync runs
// it left running, and the run a River job started.
package storetest

import (
	"testing"
	"time"

	"github.com/stockroom/stockroom/store"
)

var processTests = map[string]func(t *testing.T, h *harness){
	"BeatListDeadDelete": func(t *testing.T, h *harness) {
		ctx := t.Context()
		noErr(t, h.db.ProcessBeat(ctx, "a", h.at(-time.Minute)), "beat a")
		noErr(t, h.db.ProcessBeat(ctx, "b", h.at(-time.Minute)), "beat b")
		noErr(t, h.db.ProcessBeat(ctx, "b", h.now), "beat b again")
		dead, err := h.db.ProcessListDead(ctx, h.at(-30*time.Second))
		noErr(t, err, "list dead")
		if len(dead) != 1 || dead[0] != "a" {
			t.Fatalf("dead processes = %v, want [a]", dead)
		}
		noErr(t, h.db.ProcessDelete(ctx, "a"), "delete a")
		dead, err = h.db.ProcessListDead(ctx, h.at(time.Second))
		noErr(t, err, "list dead")
		if len(dead) != 1 || dead[0] != "b" {
			t.Fatalf("dead processes after deleting a = %v, want [b]", dead)
		}
	},
}

func init() {
	syncRunTests["Abandon"] = syncRunAbandon
	syncRunTests["AbandonByProcess"] = syncRunAbandonByProcess
	syncRunTests["OfJob"] = syncRunOfJob
}

func (h *harness) startRun(t *testing.T, p store.SyncRunStartParams) store.SyncRun {
	t.Helper()
	if p.Kind == "" {
		p.Kind, p.Trigger = store.SyncFull, store.TriggerSchedule
	}
	r, err := h.db.SyncRunStart(t.Context(), &p)
	noErr(t, err, "start")
	return r
}

func (h *harness) runsByID(t *testing.T) map[int64]store.SyncRun {
	t.Helper()
	all, err := h.db.SyncRunListAll(t.Context(), 100)
	noErr(t, err, "list")
	byID := map[int64]store.SyncRun{}
	for _, r := range all {
		byID[r.ID] = r
	}
	return byID
}

const abandonReason = "interrupted: the process running it stopped"

func syncRunAbandon(t *testing.T, h *harness) {
	ctx := t.Context()
	_, st := h.owner(t, "alice", 1201)
	other := h.shop(t, h.account(t, "bob").ID, 1202)
	stale := h.startRun(t, store.SyncRunStartParams{StoreID: st.ID, Now: h.at(-2 * time.Hour)})
	staleOther := h.startRun(t, store.SyncRunStartParams{StoreID: other.ID, Now: h.at(-time.Hour)})
	finished := h.startRun(t, store.SyncRunStartParams{StoreID: st.ID, Now: h.at(-3 * time.Hour)})
	_, err := h.db.SyncRunFinish(ctx, &store.SyncRunFinishParams{ID: finished.ID, Result: store.ResultOK, Now: h.at(-3 * time.Hour).Add(time.Second)})
	noErr(t, err, "finish")
	atCutoff := h.startRun(t, store.SyncRunStartParams{StoreID: st.ID, Now: h.now})
	live := h.startRun(t, store.SyncRunStartParams{StoreID: st.ID, Now: h.at(time.Minute)})
	// A run of a named process is closed only when that process is.
	named := h.startRun(t, store.SyncRunStartParams{StoreID: st.ID, Process: "p1", Now: h.at(-2 * time.Hour)})

	_, err = h.db.SyncRunAbandon(ctx, &store.SyncRunAbandonParams{Reason: "interrupted", Now: h.now})
	wantErr(t, err, store.ErrInvalid, "abandon without a cutoff or process")
	_, err = h.db.SyncRunAbandon(ctx, &store.SyncRunAbandonParams{StartedBefore: h.now, Now: h.now})
	wantErr(t, err, store.ErrInvalid, "abandon without a reason")

	n, err := h.db.SyncRunAbandon(ctx, &store.SyncRunAbandonParams{StartedBefore: h.now, Reason: abandonReason, Now: h.at(2 * time.Minute)})
	noErr(t, err, "abandon")
	if n != 2 {
		t.Fatalf("abandoned %d runs, want the 2 stale ones", n)
	}
	byID := h.runsByID(t)
	for _, id := range []int64{stale.ID, staleOther.ID} {
		r := byID[id]
		if r.Result != store.ResultFailed || r.Error != abandonReason || !r.FinishedAt.Equal(h.at(2*time.Minute)) {
			t.Errorf("stale run after the sweep = %+v", r)
		}
	}
	if r := byID[finished.ID]; r.Result != store.ResultOK || r.Error != "" || !r.FinishedAt.Equal(h.at(-3*time.Hour).Add(time.Second)) {
		t.Errorf("a finished run was changed: %+v", r)
	}
	for _, id := range []int64{atCutoff.ID, live.ID, named.ID} {
		if r := byID[id]; r.Result != store.ResultRunning || !r.FinishedAt.IsZero() {
			t.Errorf("a run started at or after the cutoff, or of a named process, was changed: %+v", r)
		}
	}
	n, err = h.db.SyncRunAbandon(ctx, &store.SyncRunAbandonParams{StartedBefore: h.now, Reason: abandonReason, Now: h.now})
	if err != nil || n != 0 {
		t.Fatalf("a second sweep abandoned %d runs (%v), want 0", n, err)
	}
	// A run that was alive after all records its real outcome when it
	// finishes.
	r, err := h.db.SyncRunFinish(ctx, &store.SyncRunFinishParams{ID: stale.ID, Result: store.ResultOK, Now: h.now})
	noErr(t, err, "finish an abandoned run")
	if r.Result != store.ResultOK || r.Error != "" {
		t.Fatalf("an abandoned run finished late = %+v", r)
	}
}

func syncRunAbandonByProcess(t *testing.T, h *harness) {
	ctx := t.Context()
	st := h.shop(t, h.account(t, "alice").ID, 1203)
	dead := h.startRun(t, store.SyncRunStartParams{StoreID: st.ID, Process: "dead", Now: h.now})
	deadDone := h.startRun(t, store.SyncRunStartParams{StoreID: st.ID, Process: "dead", Now: h.at(-time.Minute)})
	_, err := h.db.SyncRunFinish(ctx, &store.SyncRunFinishParams{ID: deadDone.ID, Result: store.ResultOK, Now: h.at(-time.Second)})
	noErr(t, err, "finish")
	alive := h.startRun(t, store.SyncRunStartParams{StoreID: st.ID, Process: "alive", Now: h.at(-time.Hour)})
	anonymous := h.startRun(t, store.SyncRunStartParams{StoreID: st.ID, Now: h.at(-time.Hour)})

	n, err := h.db.SyncRunAbandon(ctx, &store.SyncRunAbandonParams{Process: "dead", Reason: abandonReason, Now: h.at(time.Second)})
	noErr(t, err, "abandon")
	if n != 1 {
		t.Fatalf("abandoned %d runs of the dead process, want 1", n)
	}
	byID := h.runsByID(t)
	if r := byID[dead.ID]; r.Result != store.ResultFailed || r.Error != abandonReason || r.Process != "dead" || !r.FinishedAt.Equal(h.at(time.Second)) {
		t.Errorf("the dead process's run = %+v", r)
	}
	if r := byID[deadDone.ID]; r.Result != store.ResultOK {
		t.Errorf("a finished run of the dead process was changed: %+v", r)
	}
	for _, id := range []int64{alive.ID, anonymous.ID} {
		if r := byID[id]; r.Result != store.ResultRunning {
			t.Errorf("a run of another process was closed: %+v", r)
		}
	}
}

func syncRunOfJob(t *testing.T, h *harness) {
	ctx := t.Context()
	a, st := h.owner(t, "alice", 1204)
	mallory := h.account(t, "mallory")
	_, err := h.db.SyncRunOfJob(ctx, &store.SyncRunOfJobParams{AccountID: a.ID, StoreID: st.ID})
	wantErr(t, err, store.ErrInvalid, "run of no job")
	_, err = h.db.SyncRunOfJob(ctx, &store.SyncRunOfJobParams{AccountID: a.ID, StoreID: st.ID, JobID: 7})
	wantErr(t, err, store.ErrNotFound, "run of a job that has not started one")
	first := h.startRun(t, store.SyncRunStartParams{StoreID: st.ID, JobID: 7, Process: "p", Now: h.now})
	h.startRun(t, store.SyncRunStartParams{StoreID: st.ID, JobID: 8, Now: h.at(time.Second)})
	r, err := h.db.SyncRunOfJob(ctx, &store.SyncRunOfJobParams{AccountID: a.ID, StoreID: st.ID, JobID: 7})
	noErr(t, err, "run of job 7")
	if r.ID != first.ID || r.JobID != 7 || r.Process != "p" {
		t.Fatalf("run of job 7 = %+v, want run %d", r, first.ID)
	}
	// A retry of the job starts another run: the latest is the one.
	retry := h.startRun(t, store.SyncRunStartParams{StoreID: st.ID, JobID: 7, Now: h.at(2 * time.Second)})
	if r, err := h.db.SyncRunOfJob(ctx, &store.SyncRunOfJobParams{AccountID: a.ID, StoreID: st.ID, JobID: 7}); err != nil || r.ID != retry.ID {
		t.Fatalf("run of job 7 after a retry = %+v %v, want run %d", r, err, retry.ID)
	}
	_, err = h.db.SyncRunOfJob(ctx, &store.SyncRunOfJobParams{AccountID: mallory.ID, StoreID: st.ID, JobID: 7})
	wantErr(t, err, store.ErrNotFound, "another account's run")
}
