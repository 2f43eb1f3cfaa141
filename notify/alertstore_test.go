package notify_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/store/sqlite"
	"github.com/stockroom/stockroom/store/storetest"
)

func openSQLite(tb testing.TB) *sqlite.DB {
	tb.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "stockroom.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = db.Close() })
	return db
}

func TestAlertStoreSQLite(t *testing.T) {
	storetest.RunAlerts(t, func(t *testing.T) store.DB { return openSQLite(t) })
}

func TestAlertStorePostgres(t *testing.T) {
	storetest.PostgresURL(t)
	storetest.RunAlerts(t, func(t *testing.T) store.DB { return storetest.OpenPostgres(t) })
}
