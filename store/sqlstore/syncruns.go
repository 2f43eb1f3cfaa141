package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/stockroom/stockroom/store"
)

const runCols = `r.id, r.store_id, r.kind, r.trigger, r.result, r.started_at, r.finished_at, r.listings_changed,
	r.receipts_changed, r.api_calls, r.error, r.process, r.job_id`

// runReturning is runCols for RETURNING, where SQLite refuses
// table-qualified names.
var runReturning = strings.ReplaceAll(runCols, "r.", "")

func scanRun(r Row) (store.SyncRun, error) {
	var x store.SyncRun
	var started, finished int64
	err := r.Scan(&x.ID, &x.StoreID, &x.Kind, &x.Trigger, &x.Result, &started, &finished, &x.ListingsChanged,
		&x.ReceiptsChanged, &x.APICalls, &x.Error, &x.Process, &x.JobID)
	x.StartedAt, x.FinishedAt = fromMS(started), fromMS(finished)
	return x, err
}

func (s *Store) SyncRunStart(ctx context.Context, p *store.SyncRunStartParams) (store.SyncRun, error) {
	r, err := scanRun(s.d.QueryRow(ctx, `INSERT INTO sync_runs AS r (store_id, kind, trigger, started_at, process, job_id)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING `+runReturning, p.StoreID, p.Kind, p.Trigger, ms(now(p.Now)), p.Process, p.JobID))
	return r, s.err("sync run start", err)
}

func (s *Store) SyncRunFinish(ctx context.Context, p *store.SyncRunFinishParams) (store.SyncRun, error) {
	r, err := scanRun(s.d.QueryRow(ctx, `UPDATE sync_runs AS r SET result = $2, listings_changed = $3, receipts_changed = $4,
		api_calls = $5, error = $6, finished_at = $7 WHERE r.id = $1 RETURNING `+runReturning,
		p.ID, p.Result, p.ListingsChanged, p.ReceiptsChanged, p.APICalls, p.Error, ms(now(p.Now))))
	return r, s.err("sync run finish", err)
}

func (s *Store) SyncRunList(ctx context.Context, p *store.SyncRunListParams) ([]store.SyncRun, error) {
	return s.listRuns(ctx, `SELECT `+runCols+` FROM sync_runs r JOIN memberships m ON m.store_id = r.store_id
		WHERE m.account_id = $1 AND r.store_id = $2 ORDER BY r.started_at DESC, r.id DESC LIMIT $3`, p.AccountID, p.StoreID, limit(p.Limit, 100))
}

func (s *Store) SyncRunListAll(ctx context.Context, n int) ([]store.SyncRun, error) {
	return s.listRuns(ctx, `SELECT `+runCols+` FROM sync_runs r ORDER BY r.started_at DESC, r.id DESC LIMIT $1`, limit(n, 100))
}

func (s *Store) SyncRunGet(ctx context.Context, id int64) (store.SyncRun, error) {
	r, err := scanRun(s.d.QueryRow(ctx, `SELECT `+runCols+` FROM sync_runs r WHERE r.id = $1`, id))
	return r, s.err("sync run get", err)
}

func (s *Store) SyncRunOfJob(ctx context.Context, p *store.SyncRunOfJobParams) (store.SyncRun, error) {
	if p.JobID <= 0 {
		return store.SyncRun{}, fmt.Errorf("sync run of job: no job: %w", store.ErrInvalid)
	}
	r, err := scanRun(s.d.QueryRow(ctx, `SELECT `+runCols+` FROM sync_runs r JOIN memberships m ON m.store_id = r.store_id
		WHERE m.account_id = $1 AND r.store_id = $2 AND r.job_id = $3 ORDER BY r.id DESC LIMIT 1`, p.AccountID, p.StoreID, p.JobID))
	return r, s.err("sync run of job", err)
}

func (s *Store) SyncRunAbandon(ctx context.Context, p *store.SyncRunAbandonParams) (int, error) {
	if p.Process == "" && p.StartedBefore.IsZero() {
		return 0, fmt.Errorf("sync run abandon: neither a process nor a cutoff: %w", store.ErrInvalid)
	}
	if p.Reason == "" {
		return 0, fmt.Errorf("sync run abandon: no reason: %w", store.ErrInvalid)
	}
	// The result check leaves runs finished meanwhile as they are.
	q := `UPDATE sync_runs SET result = 'failed', error = $2, finished_at = $3 WHERE result = 'running' AND process = $1`
	args := []any{p.Process, p.Reason, ms(now(p.Now))}
	if p.Process == "" {
		q += ` AND started_at < $4`
		args = append(args, ms(p.StartedBefore))
	}
	n, err := s.d.Exec(ctx, q, args...)
	return int(n), s.err("sync run abandon", err)
}

func (s *Store) listRuns(ctx context.Context, q string, args ...any) ([]store.SyncRun, error) {
	return queryAll(ctx, s, s.d, "sync run list", scanRun, q, args...)
}

func limit(n, def int) int {
	if n <= 0 {
		return def
	}
	return n
}
