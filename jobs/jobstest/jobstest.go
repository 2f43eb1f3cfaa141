// Package jobstest opens a job queue beside a fresh store, on SQLite and on
// PostgreSQL, as a server process has them: for the tests of jobs and of
// the packages that read its tables.
package jobstest

import (
	"path/filepath"
	"testing"

	"github.com/stockroom/stockroom/jobs"
	"github.com/stockroom/stockroom/store/postgres"
	"github.com/stockroom/stockroom/store/sqlite"
	"github.com/stockroom/stockroom/store/storetest"
)

// SQLite opens a store in a temporary directory and a test queue on its own
// handle to the same file; both close when the test ends.
func SQLite(t *testing.T) (*jobs.Queue, *sqlite.DB) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "db")
	db, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	raw, err := sqlite.OpenQueueHandle(path)
	if err != nil {
		t.Fatal(err)
	}
	q, err := jobs.NewSQLite(raw, jobs.Config{Test: true, Close: raw.Close})
	if err != nil {
		t.Fatal(err)
	}
	return q, db
}

// Postgres opens a throwaway database (storetest.PostgresDatabase) and a
// test queue on the store's pool; the store closes when the test ends.
func Postgres(t *testing.T) (*jobs.Queue, *postgres.DB) {
	t.Helper()
	db, err := postgres.Open(t.Context(), storetest.PostgresDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	q, err := jobs.NewPostgres(db.Pool(), jobs.Config{Test: true})
	if err != nil {
		t.Fatal(err)
	}
	return q, db
}
