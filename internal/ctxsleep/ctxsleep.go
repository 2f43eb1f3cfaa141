// Package ctxsleep waits for a while or until a context ends, whichever
// comes first: the one wait the Etsy client's pacing, the sync worker and
// the server's lease loop share.
package ctxsleep

import (
	"context"
	"time"
)

// For waits d, or until ctx ends (its error is returned then).
func For(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Until waits until at (wall clock), or until ctx ends.
func Until(ctx context.Context, at time.Time) error { return For(ctx, time.Until(at)) }
