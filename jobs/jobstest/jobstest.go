// Package jobstest opens a job queue beside a fresh store, on SQLite and on
// PostgreSQL, as a server process has them: for the tests of jobs and of
// the packages that read its tables.
package jobstest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/riverqueue/river"

	"github.com/stockroom/stockroom/jobs"
	"github.com/stockroom/stockroom/store/postgres"
	"github.com/stockroom/stockroom/store/sqlite"
	"github.com/stockroom/stockroom/store/storetest"
)

// SQLite opens a store in a temporary directory and a test queue on its own
// handle to the same file; both close when the test ends.
func SQLite(t *testing.T) (*jobs.Queue, *sqlite.DB) {
	t.Helper()
	return SQLiteWith(t, jobs.Config{Test: true})
}

// SQLiteWith is SQLite with the queue configured by cfg (a benchmark of the
// server's own settings passes Test: false).
func SQLiteWith(tb testing.TB, cfg jobs.Config) (*jobs.Queue, *sqlite.DB) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "db")
	db, err := sqlite.Open(tb.Context(), path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	raw, err := sqlite.OpenQueueHandle(path)
	if err != nil {
		tb.Fatal(err)
	}
	cfg.Close = raw.Close
	q, err := jobs.NewSQLite(raw, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return q, db
}

// Postgres opens a throwaway database (storetest.PostgresDatabase) and a
// test queue on the store's pool; the store closes when the test ends.
func Postgres(t *testing.T) (*jobs.Queue, *postgres.DB) {
	t.Helper()
	return PostgresWith(t, jobs.Config{Test: true})
}

// PostgresWith is Postgres with the queue configured by cfg.
func PostgresWith(tb testing.TB, cfg jobs.Config) (*jobs.Queue, *postgres.DB) {
	tb.Helper()
	db, err := postgres.Open(tb.Context(), storetest.PostgresDatabase(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	q, err := jobs.NewPostgres(db.Pool(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return q, db
}

// Nop is a worker of T's kind that does nothing: a queue then takes such
// jobs off without running the real work.
type Nop[T river.JobArgs] struct {
	river.WorkerDefaults[T]
}

func (Nop[T]) Work(context.Context, *river.Job[T]) error { return nil }
