// Received webhook ids, so a retried delivery is handled once.
package store

import (
	"context"
	"time"
)

type Webhooks interface {
	// WebhookSeen records id and reports whether it was new. With
	// onNew set, it runs in the same transaction when the id is new (to
	// queue the work the delivery asks for): if it fails, the id is not
	// recorded, so the sender's retry is handled rather than dropped.
	WebhookSeen(ctx context.Context, id string, now time.Time, onNew TxFunc) (bool, error)
}
