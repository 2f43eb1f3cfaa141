// PostgreSQL for tests: the one place that decides whether a test runs
// against TEST_DATABASE_URL, and the throwaway schemas and databases the
// tests of the store, the job queue, the notifiers and the sync engine
// commit into.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stockroom/stockroom/store/postgres"
)

// PostgresURL is the server the PostgreSQL tests use (TEST_DATABASE_URL).
// Without it the test is skipped, except under CI=true where a missing
// database fails the test instead of letting it pass unseen.
func PostgresURL(tb testing.TB) string {
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

// PostgresSchema creates an empty schema on the TEST_DATABASE_URL server,
// dropped when the test ends, and returns a URL whose connections use it
// (search_path), so a test commits freely into a namespace of its own. It
// is the cheap choice for the store's own tests; code that listens for
// notifications or runs River wants PostgresDatabase.
func PostgresSchema(tb testing.TB) string {
	tb.Helper()
	u, name := throwaway(tb, "CREATE SCHEMA %s", "DROP SCHEMA IF EXISTS %s CASCADE")
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String()
}

// throwaway runs create (a statement with %s for a fresh name) on the
// TEST_DATABASE_URL server and drop when the test ends, and returns that
// server's URL and the name.
func throwaway(tb testing.TB, create, drop string) (*url.URL, string) {
	tb.Helper()
	base := PostgresURL(tb)
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("TEST_DATABASE_URL: %v", err)
	}
	name := throwawayName()
	adminExec(tb, base, fmt.Sprintf(create, name))
	tb.Cleanup(func() { adminExec(tb, base, fmt.Sprintf(drop, name)) })
	return u, name
}

// PostgresDatabase creates an empty database on the TEST_DATABASE_URL
// server and returns a URL to it, so a test can run River's migrations and
// open several pools as separate server processes would. It is dropped when
// the test ends, after the test's own cleanups (which close its pools) have
// run; WITH (FORCE) ends any connection a failed test left open.
func PostgresDatabase(tb testing.TB) string {
	tb.Helper()
	u, name := throwaway(tb, "CREATE DATABASE %s", "DROP DATABASE IF EXISTS %s WITH (FORCE)")
	u.Path = "/" + name
	return u.String()
}

// OpenPostgres opens a migrated, empty store in a throwaway schema
// (PostgresSchema) and closes it when the test ends.
func OpenPostgres(tb testing.TB) *postgres.DB {
	tb.Helper()
	db, err := postgres.Open(context.Background(), PostgresSchema(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = db.Close() })
	return db
}

// throwawayName is random so that parallel tests, and tests of several
// packages run at once, never share a schema or a database.
func throwawayName() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b) // crypto/rand never fails on supported systems
	return "stockroom_t_" + hex.EncodeToString(b)
}

func adminExec(tb testing.TB, base, stmt string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		tb.Fatalf("connect to TEST_DATABASE_URL: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, stmt); err != nil {
		tb.Fatalf("%s: %v", stmt, err)
	}
}
