package postgres_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/stockroom/stockroom/migrations"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/store/postgres"
	"github.com/stockroom/stockroom/store/storetest"
)

func open(tb testing.TB) store.DB {
	tb.Helper()
	return storetest.OpenPostgres(tb)
}

func TestConformance(t *testing.T) {
	storetest.PostgresURL(t)
	storetest.Run(t, func(t *testing.T) store.DB { return open(t) })
}

// rawDB is a database/sql handle on a fresh schema, for the migration
// tests, closed when the test ends.
func rawDB(t *testing.T) *sql.DB {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), storetest.PostgresSchema(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	db := stdlib.OpenDBFromPool(pool)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func TestMigrations(t *testing.T) {
	storetest.RunMigrations(t, rawDB, migrations.Postgres)
}

func BenchmarkSyncWrite(b *testing.B) {
	storetest.PostgresURL(b)
	storetest.BenchmarkSyncWrite(b, open)
}

func BenchmarkSyncRewrite(b *testing.B) {
	storetest.PostgresURL(b)
	storetest.BenchmarkSyncRewrite(b, open)
}

// An edit and a sync of one listing never deadlock (PostgreSQL locks rows;
// SQLite has one writer at a time).
func TestEditAndSyncOfAListingTakeTurns(t *testing.T) {
	storetest.PostgresURL(t)
	db, blocked := openWithLockWaits(t)
	storetest.EditAndSyncOfAListingTakeTurns(t, db, blocked)
}

// An edit committed while a receipts write corrects a sale of the same
// row is kept (PostgreSQL's read committed lets the correction read the
// row before the edit; SQLite has one writer at a time).
func TestEditDuringASaleCorrectionIsKept(t *testing.T) {
	storetest.PostgresURL(t)
	db, blocked := openWithLockWaits(t)
	storetest.EditDuringASaleCorrectionIsKept(t, db, blocked)
}

// openWithLockWaits opens a database and a probe telling whether some
// transaction waits for a lock on offerings.
func openWithLockWaits(t *testing.T) (store.DB, func() bool) {
	db := open(t)
	pool := db.(*postgres.DB).Pool()
	return db, func() bool {
		var n int
		err := pool.QueryRow(t.Context(), `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%offerings%'`).Scan(&n)
		return err == nil && n > 0
	}
}
