// Waiting for a sync a person asked for: "Sync now" enqueues at once and
// reports when the run is done.
package syncer

import (
	"context"

	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/jobs"
	"github.com/stockroom/stockroom/store"
)

// SyncNow enqueues a manual sync of a store and waits until the run of that
// job finishes, returning its SyncFinished event (RunID, JobID, State "ok"
// or "failed", Error). Another sync that ends meanwhile (a scheduled one, a
// webhook's) is not the one asked for and is not reported. The
// subscription is made before the insert so the end of a fast run is not
// missed. Any process may run the job; with a hub bridge its event reaches
// this one.
func SyncNow(ctx context.Context, h *hub.Hub, q *jobs.Queue, storeID int64, kind store.SyncKind) (hub.Event, error) {
	sub := h.Subscribe(func(e hub.Event) bool { return e.Kind == hub.SyncFinished && e.StoreID == storeID })
	defer sub.Close()
	id, err := q.EnqueueSyncJob(ctx, storeID, kind, store.TriggerManual)
	if err != nil {
		return hub.Event{}, err
	}
	for {
		e, err := WaitRun(ctx, sub)
		if err != nil || e.JobID == id {
			return e, err
		}
	}
}

// WaitRun waits for the next SyncFinished event on sub.
func WaitRun(ctx context.Context, sub *hub.Subscription) (hub.Event, error) {
	for {
		select {
		case <-ctx.Done():
			return hub.Event{}, ctx.Err()
		case e, ok := <-sub.C:
			if !ok {
				return hub.Event{}, context.Canceled
			}
			if e.Kind == hub.SyncFinished {
				return e, nil
			}
		}
	}
}
