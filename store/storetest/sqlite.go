package storetest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stockroom/stockroom/store/sqlite"
)

// OpenSQLite opens a fresh SQLite store in the test's temporary folder,
// closed when the test ends.
func OpenSQLite(tb testing.TB) *sqlite.DB {
	tb.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "stockroom.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = db.Close() })
	return db
}
