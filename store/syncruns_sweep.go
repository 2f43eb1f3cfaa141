// Sweeping the sync log of runs whose process died before finishing them.
package store

import (
	"context"
	"time"
)

// SyncRunSweeper closes runs left "running" by a process that stopped.
// Both stores implement it; the scheduler calls it on every pass.
type SyncRunSweeper interface {
	// SyncRunAbandon marks every run still running that started before
	// before as failed with reason, finished now, and says how many it
	// marked. before must be later than any run still alive can have
	// started: a live run's result would otherwise be overwritten.
	SyncRunAbandon(ctx context.Context, before time.Time, reason string) (int, error)
}
