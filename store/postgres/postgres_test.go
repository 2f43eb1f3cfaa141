package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/stockroom/stockroom/migrations"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/store/postgres"
	"github.com/stockroom/stockroom/store/storetest"
)

// databaseURL is the server the tests use. Locally the tests skip without
// it; in CI a missing database is a failure, not a silent pass.
func databaseURL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv("TEST_DATABASE_URL")
	if u == "" {
		if os.Getenv("CI") == "true" {
			tb.Fatal("TEST_DATABASE_URL is not set; CI must run the PostgreSQL tests")
		}
		tb.Skip("TEST_DATABASE_URL is not set")
	}
	return u
}

// schemaURL creates a throwaway schema, dropped when the test ends, and
// returns a URL whose connections use it, so each test commits freely into
// an empty database of its own.
func schemaURL(tb testing.TB) string {
	tb.Helper()
	base := databaseURL(tb)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close(ctx)
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	schema := "stockroom_test_" + hex.EncodeToString(b)
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
	return u.String()
}

func open(tb testing.TB) store.DB {
	tb.Helper()
	db, err := postgres.Open(context.Background(), schemaURL(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = db.Close() })
	return db
}

func TestConformance(t *testing.T) {
	databaseURL(t)
	storetest.Run(t, func(t *testing.T) store.DB { return open(t) })
}

func TestMigrations(t *testing.T) {
	pool, err := pgxpool.New(context.Background(), schemaURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	storetest.Migrations(t, db, migrations.Postgres)
}

func BenchmarkSyncWrite(b *testing.B) {
	databaseURL(b)
	storetest.BenchmarkSyncWrite(b, open)
}

func BenchmarkSyncRewrite(b *testing.B) {
	databaseURL(b)
	storetest.BenchmarkSyncRewrite(b, open)
}
