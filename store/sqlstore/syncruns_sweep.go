package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/stockroom/stockroom/store"
)

var _ store.SyncRunSweeper = (*Store)(nil)

func (s *Store) SyncRunAbandon(ctx context.Context, before time.Time, reason string) (int, error) {
	if before.IsZero() {
		return 0, fmt.Errorf("sync run abandon: no cutoff: %w", store.ErrInvalid)
	}
	if reason == "" {
		return 0, fmt.Errorf("sync run abandon: no reason: %w", store.ErrInvalid)
	}
	// A run still running only ever has finished_at 0; the result check
	// leaves runs finished meanwhile as they are.
	n, err := s.d.Exec(ctx, `UPDATE sync_runs SET result = 'failed', error = $2, finished_at = $3
		WHERE result = 'running' AND started_at < $1`, ms(before), reason, ms(time.Now()))
	return int(n), s.err("sync run abandon", err)
}
