// Schema migrations up, down and up again.
package storetest

import (
	"database/sql"
	"testing"

	"github.com/stockroom/stockroom/migrations"
)

// Migrations checks that the schema applies to an empty database, rolls
// back to nothing and applies again: a down migration that leaves a table
// behind or an up migration that is not repeatable fails here, not in
// production.
func Migrations(t *testing.T, db *sql.DB, d migrations.Dialect) {
	ctx := t.Context()
	tables := []string{"accounts", "account_keys", "stores", "memberships", "listings", "products", "offerings", "receipts",
		"receipt_items", "sync_runs", "stock_events", "alerts", "deliveries", "oauth_states", "leases", "webhook_events", "activity"}
	present := func() int {
		n := 0
		for _, tbl := range tables {
			var c int
			if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+tbl).Scan(&c); err == nil {
				n++
			}
		}
		return n
	}
	if err := migrations.Up(ctx, db, d); err != nil {
		t.Fatalf("up: %v", err)
	}
	top, err := migrations.Version(ctx, db, d)
	if err != nil || top < 1 {
		t.Fatalf("version after up = %d, %v", top, err)
	}
	if n := present(); n != len(tables) {
		t.Fatalf("%d of %d tables after up", n, len(tables))
	}
	if err := migrations.Up(ctx, db, d); err != nil {
		t.Fatalf("up when current: %v", err)
	}
	if err := migrations.DownTo(ctx, db, d, 0); err != nil {
		t.Fatalf("down: %v", err)
	}
	if v, err := migrations.Version(ctx, db, d); err != nil || v != 0 {
		t.Fatalf("version after down = %d, %v", v, err)
	}
	if n := present(); n != 0 {
		t.Fatalf("%d tables left after down", n)
	}
	if err := migrations.Up(ctx, db, d); err != nil {
		t.Fatalf("up again: %v", err)
	}
	if v, err := migrations.Version(ctx, db, d); err != nil || v != top {
		t.Fatalf("version after up again = %d, %v; want %d", v, err, top)
	}
	if n := present(); n != len(tables) {
		t.Fatalf("%d of %d tables after up again", n, len(tables))
	}
}
