package backup

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stockroom/stockroom/jobs"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/store/postgres"
	"github.com/stockroom/stockroom/store/storetest"
)

// tool finds a PostgreSQL client program; CI installs postgresql-client,
// so there a missing one fails instead of skipping.
func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed; CI must run the PostgreSQL backup runbook", name)
		}
		t.Skipf("%s is not installed", name)
	}
	return p
}

func pgRows(t *testing.T, url string) map[string][][]any {
	t.Helper()
	pool, err := pgxpool.New(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	out := map[string][][]any{}
	for _, tbl := range []string{"accounts", "account_keys", "stores", "memberships", "goose_db_version"} {
		rows, err := pool.Query(t.Context(), "SELECT * FROM "+tbl+" ORDER BY 1")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			v, err := rows.Values()
			if err != nil {
				t.Fatal(err)
			}
			out[tbl] = append(out[tbl], v)
		}
		rows.Close()
	}
	return out
}

// The README's PostgreSQL runbook, run: pg_dump the database, pg_restore
// into a new one, and Stockroom's store and job queue start on the copy
// with the same rows.
func TestPostgresDumpRestoreRunbook(t *testing.T) {
	pgDump, pgRestore := tool(t, "pg_dump"), tool(t, "pg_restore")
	src := storetest.PostgresDatabase(t)
	ctx := context.Background()
	db, err := postgres.Open(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jobs.NewPostgres(db.Pool(), jobs.Config{Test: true}); err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_790_000_000, 0)
	acct, err := db.AccountCreate(ctx, &store.AccountCreateParams{Name: "Ada", Email: "ada@example.com", Fingerprint: "SHA256:ada",
		PublicKey: "ssh-ed25519 AAAA ada", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.StoreConnect(ctx, &store.StoreConnectParams{AccountID: acct.ID, EtsyShopID: 77, EtsyUserID: 9, Name: "Shop",
		AccessToken: []byte{1, 3, 'd', 'e', 'v', 0}, RefreshToken: []byte{1, 3, 'd', 'e', 'v', 1}, TokenExpiresAt: now, Now: now}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	want := pgRows(t, src)

	dump := filepath.Join(t.TempDir(), "stockroom.dump")
	if out, err := exec.Command(pgDump, "--format=custom", "--no-owner", "--file", dump, "--dbname", src).CombinedOutput(); err != nil {
		t.Fatalf("pg_dump: %v\n%s", err, out)
	}
	dst := storetest.PostgresDatabase(t)
	if out, err := exec.Command(pgRestore, "--no-owner", "--exit-on-error", "--dbname", dst, dump).CombinedOutput(); err != nil {
		t.Fatalf("pg_restore: %v\n%s", err, out)
	}

	restored, err := postgres.Open(ctx, dst)
	if err != nil {
		t.Fatalf("the store does not start on the restored database: %v", err)
	}
	defer restored.Close()
	if _, err := jobs.NewPostgres(restored.Pool(), jobs.Config{Test: true}); err != nil {
		t.Fatalf("the job queue does not start on the restored database: %v", err)
	}
	stores, err := restored.StoreList(ctx)
	if err != nil || len(stores) != 1 || stores[0].EtsyShopID != 77 {
		t.Fatalf("stores after restore: %+v %v", stores, err)
	}
	if got := pgRows(t, dst); !reflect.DeepEqual(got, want) {
		t.Fatalf("restored rows differ:\n got %v\nwant %v", got, want)
	}
}
