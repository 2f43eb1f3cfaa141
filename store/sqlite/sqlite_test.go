package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"

	"github.com/stockroom/stockroom/migrations"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/store/sqlite"
	"github.com/stockroom/stockroom/store/storetest"
)

func open(tb testing.TB) store.DB {
	tb.Helper()
	db := storetest.OpenSQLite(tb)
	return db
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.DB { return open(t) })
}

// rawDB is a database/sql handle on a fresh file no migration has run
// on, for the migration tests, closed when the test ends.
func rawDB(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sqlite.OpenRaw(filepath.Join(t.TempDir(), "stockroom.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func TestMigrations(t *testing.T) {
	storetest.RunMigrations(t, rawDB, migrations.SQLite)
}

func BenchmarkSyncWrite(b *testing.B) {
	storetest.BenchmarkSyncWrite(b, open)
}

func BenchmarkSyncRewrite(b *testing.B) {
	storetest.BenchmarkSyncRewrite(b, open)
}

// BenchmarkSmallRead is the kind of query a session runs a dozen of before
// its first frame: one indexed row.
func BenchmarkSmallRead(b *testing.B) {
	db := open(b)
	ctx := context.Background()
	for b.Loop() {
		if _, err := db.AccountGetByFingerprint(ctx, "SHA256:nobody"); !errors.Is(err, store.ErrNotFound) {
			b.Fatal(err)
		}
	}
}

func BenchmarkAlertEvaluate(b *testing.B) {
	storetest.BenchmarkAlertEvaluate(b, open)
}
