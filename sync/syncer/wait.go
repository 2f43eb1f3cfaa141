// Waiting for a sync a person asked for: "Sync now" enqueues at once and
// reports when the run is done.
package syncer

import (
	"context"

	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/jobs"
	"github.com/stockroom/stockroom/store"
)

// SyncNow enqueues a manual sync of a store and waits until a sync of that
// store finishes, returning its SyncFinished event (RunID, State "ok" or
// "failed", Error). The subscription is made before the insert so the end
// of a fast run is not missed. Any process may run the job; with a hub
// bridge its event reaches this one.
func SyncNow(ctx context.Context, h *hub.Hub, q *jobs.Queue, storeID int64, kind store.SyncKind) (hub.Event, error) {
	sub := h.Subscribe(func(e hub.Event) bool { return e.Kind == hub.SyncFinished && e.StoreID == storeID })
	defer sub.Close()
	if err := q.EnqueueSync(ctx, storeID, kind, store.TriggerManual); err != nil {
		return hub.Event{}, err
	}
	return WaitRun(ctx, sub)
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
