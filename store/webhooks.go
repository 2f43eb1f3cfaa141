// Received webhook ids, so a retried delivery is handled once.
package store

import (
	"context"
	"time"
)

type Webhooks interface {
	// WebhookSeen records id and reports whether it was new.
	WebhookSeen(ctx context.Context, id string, now time.Time) (bool, error)
}
