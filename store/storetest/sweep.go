// The sweep of sync runs left running by a process that died.
package storetest

import (
	"testing"
	"time"

	"github.com/stockroom/stockroom/store"
)

// SyncRunAbandon tests store.SyncRunSweeper, in a subtest of its own, on a
// database from open, which must implement it.
func SyncRunAbandon(t *testing.T, open Opener) {
	t.Run("SyncRunAbandon", func(t *testing.T) { syncRunAbandon(t, &harness{db: open(t), now: epoch}) })
}

func syncRunAbandon(t *testing.T, h *harness) {
	sw, ok := h.db.(store.SyncRunSweeper)
	if !ok {
		t.Fatalf("%T does not implement store.SyncRunSweeper", h.db)
	}
	ctx := t.Context()
	a := h.account(t, "alice")
	st := h.shop(t, a.ID, 1201)
	other := h.shop(t, h.account(t, "bob").ID, 1202)
	start := func(storeID int64, at time.Time) store.SyncRun {
		t.Helper()
		r, err := h.db.SyncRunStart(ctx, &store.SyncRunStartParams{StoreID: storeID, Kind: store.SyncFull, Trigger: store.TriggerSchedule, Now: at})
		noErr(t, err, "start")
		return r
	}
	stale := start(st.ID, h.at(-2*time.Hour))
	staleOther := start(other.ID, h.at(-time.Hour))
	finished := start(st.ID, h.at(-3*time.Hour))
	_, err := h.db.SyncRunFinish(ctx, &store.SyncRunFinishParams{ID: finished.ID, Result: store.ResultOK, Now: h.at(-3 * time.Hour).Add(time.Second)})
	noErr(t, err, "finish")
	atCutoff := start(st.ID, h.now)
	live := start(st.ID, h.at(time.Minute))

	_, err = sw.SyncRunAbandon(ctx, time.Time{}, "interrupted")
	wantErr(t, err, store.ErrInvalid, "abandon without a cutoff")
	_, err = sw.SyncRunAbandon(ctx, h.now, "")
	wantErr(t, err, store.ErrInvalid, "abandon without a reason")

	before := time.Now().Truncate(time.Millisecond)
	n, err := sw.SyncRunAbandon(ctx, h.now, "interrupted: the process running it stopped")
	noErr(t, err, "abandon")
	if n != 2 {
		t.Fatalf("abandoned %d runs, want the 2 stale ones", n)
	}
	all, err := h.db.SyncRunListAll(ctx, 10)
	noErr(t, err, "list")
	byID := map[int64]store.SyncRun{}
	for _, r := range all {
		byID[r.ID] = r
	}
	for _, id := range []int64{stale.ID, staleOther.ID} {
		r := byID[id]
		if r.Result != store.ResultFailed || r.Error != "interrupted: the process running it stopped" || r.FinishedAt.Before(before) {
			t.Errorf("stale run after the sweep = %+v", r)
		}
	}
	if r := byID[finished.ID]; r.Result != store.ResultOK || r.Error != "" || !r.FinishedAt.Equal(h.at(-3*time.Hour).Add(time.Second)) {
		t.Errorf("a finished run was changed: %+v", r)
	}
	for _, id := range []int64{atCutoff.ID, live.ID} {
		if r := byID[id]; r.Result != store.ResultRunning || !r.FinishedAt.IsZero() {
			t.Errorf("a run started at or after the cutoff was changed: %+v", r)
		}
	}
	n, err = sw.SyncRunAbandon(ctx, h.now, "interrupted: the process running it stopped")
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
