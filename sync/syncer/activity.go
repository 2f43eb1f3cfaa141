package syncer

import (
	"context"

	"github.com/stockroom/stockroom/store"
)

// triggerKey carries what started a sync down to the page writes, which
// record the quantities Etsy changed in the activity ledger: a change a
// webhook brought in is told from one a scheduled sync found. It is request
// data of one sync run, set once in syncLocked.
type triggerKey struct{}

func withTrigger(ctx context.Context, t store.SyncTrigger) context.Context {
	return context.WithValue(ctx, triggerKey{}, t)
}

// activitySource is the ledger's source for changes a sync writes.
func activitySource(ctx context.Context) store.Source {
	if t, _ := ctx.Value(triggerKey{}).(store.SyncTrigger); t == store.TriggerWebhook {
		return store.SourceWebhook
	}
	return store.SourceSync
}
