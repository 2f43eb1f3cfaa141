// Package jobstats reads the state of River's job table for operators: how
// many jobs wait in each queue and for how long, for /healthz and the
// metrics. It reads river_job directly (River has no count API) and never
// writes.
package jobstats

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/stockroom/stockroom/health"
)

// Reader reads queue statistics from one database.
type Reader struct {
	db     *sql.DB
	sqlite bool
	now    func() time.Time
}

// NewSQLite reads River's tables in a SQLite database.
func NewSQLite(db *sql.DB) *Reader { return &Reader{db: db, sqlite: true, now: time.Now} }

// WithClock returns r reading ages against now, for tests.
func (r *Reader) WithClock(now func() time.Time) *Reader {
	c := *r
	c.now = now
	return &c
}

// NewPostgres reads River's tables through a database/sql handle on
// PostgreSQL (stdlib.OpenDBFromPool).
func NewPostgres(db *sql.DB) *Reader { return &Reader{db: db, now: time.Now} }

// sqliteTime is how riversqlite stores times: compare in any other format
// and SQLite's string comparison silently lies.
const sqliteTime = "2006-01-02 15:04:05.000"

// Queues returns, per queue with due jobs, how many wait and how long the
// oldest has been due.
func (r *Reader) Queues(ctx context.Context) ([]health.Queue, error) {
	now := r.now().UTC()
	var arg any = now
	q := `SELECT queue, count(*), min(scheduled_at) FROM river_job WHERE state = 'available' AND scheduled_at <= $1 GROUP BY queue ORDER BY queue`
	if r.sqlite {
		arg = now.Format(sqliteTime)
		q = `SELECT queue, count(*), min(scheduled_at) FROM river_job WHERE state = 'available' AND scheduled_at <= ? GROUP BY queue ORDER BY queue`
	}
	rows, err := r.db.QueryContext(ctx, q, arg)
	if err != nil {
		return nil, fmt.Errorf("jobstats: %w", err)
	}
	defer rows.Close()
	var out []health.Queue
	for rows.Next() {
		var hq health.Queue
		var oldest time.Time
		var at any
		if err := rows.Scan(&hq.Name, &hq.Available, &at); err != nil {
			return nil, fmt.Errorf("jobstats: %w", err)
		}
		switch v := at.(type) {
		case time.Time:
			oldest = v
		case string:
			if oldest, err = time.Parse(sqliteTime, v); err != nil {
				return nil, fmt.Errorf("jobstats: scheduled_at %q: %w", v, err)
			}
		default:
			return nil, fmt.Errorf("jobstats: scheduled_at is a %T", at)
		}
		hq.OldestAge = max(now.Sub(oldest), 0)
		out = append(out, hq)
	}
	return out, rows.Err()
}
