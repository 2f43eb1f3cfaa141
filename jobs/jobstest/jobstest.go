// Package jobstest gives the tests of the job queue and of its workers a
// throwaway PostgreSQL database each, so they can commit, run River's
// migrations and open several pools as separate server processes would.
package jobstest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// BaseURL is the server the PostgreSQL tests use (TEST_DATABASE_URL).
// Without it the test is skipped, except under CI=true where a missing
// database fails the test instead of letting it pass unseen.
func BaseURL(tb testing.TB) string {
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

// Database creates an empty database on the TEST_DATABASE_URL server and
// returns a URL to it. It is dropped when the test ends, after the
// test's own cleanups (which close its pools) have run; WITH (FORCE) ends
// any connection a failed test left open.
func Database(tb testing.TB) string {
	tb.Helper()
	base := BaseURL(tb)
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("TEST_DATABASE_URL: %v", err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "stockroom_t_" + hex.EncodeToString(b)
	admin(tb, base, "CREATE DATABASE "+name)
	tb.Cleanup(func() { admin(tb, base, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") })
	u.Path = "/" + name
	return u.String()
}

func admin(tb testing.TB, base, stmt string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
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
