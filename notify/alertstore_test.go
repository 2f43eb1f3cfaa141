package notify_test

import (
	"testing"

	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/store/sqlite"
	"github.com/stockroom/stockroom/store/storetest"
)

func openSQLite(tb testing.TB) *sqlite.DB {
	tb.Helper()
	db := storetest.OpenSQLite(tb)
	return db
}

func TestAlertStoreSQLite(t *testing.T) {
	storetest.RunAlerts(t, func(t *testing.T) store.DB { return openSQLite(t) })
}

func TestAlertStorePostgres(t *testing.T) {
	storetest.PostgresURL(t)
	storetest.RunAlerts(t, func(t *testing.T) store.DB { return storetest.OpenPostgres(t) })
}
