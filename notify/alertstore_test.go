package notify_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/store/postgres"
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

// openPostgres opens a throwaway schema on TEST_DATABASE_URL, dropped when
// the test ends.
func openPostgres(tb testing.TB, base string) store.DB {
	tb.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close(ctx)
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	schema := "stockroom_alerts_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			tb.Error(err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			tb.Error(err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	db, err := postgres.Open(ctx, u.String())
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
	base := os.Getenv("TEST_DATABASE_URL")
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("TEST_DATABASE_URL is not set; CI must run the PostgreSQL tests")
		}
		t.Skip("TEST_DATABASE_URL is not set")
	}
	storetest.RunAlerts(t, func(t *testing.T) store.DB { return openPostgres(t, base) })
}
