// Schema migrations up, down and up again.
package storetest

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/stockroom/stockroom/migrations"
)

// RunMigrations runs the migration checks below, each on a database raw
// opens fresh, before any migration: Migrations, ActivityFromStockEvents
// and SalesSumsBackfilled.
func RunMigrations(t *testing.T, raw func(t *testing.T) *sql.DB, d migrations.Dialect) {
	for _, c := range []struct {
		name  string
		check func(t *testing.T, db *sql.DB, d migrations.Dialect)
	}{
		{"UpDownUp", Migrations},
		{"ActivityFromStockEvents", ActivityFromStockEvents},
		{"SalesSumsBackfilled", SalesSumsBackfilled},
	} {
		t.Run(c.name, func(t *testing.T) { c.check(t, raw(t), d) })
	}
}

// Migrations checks that the schema applies to an empty database, rolls
// back to nothing and applies again: a down migration that leaves a table
// behind or an up migration that is not repeatable fails here, not in
// production.
func Migrations(t *testing.T, db *sql.DB, d migrations.Dialect) {
	ctx := t.Context()
	describe := func(when string) Schema {
		t.Helper()
		s, err := DescribeSchema(ctx, db, d)
		if err != nil {
			t.Fatalf("schema %s: %v", when, err)
		}
		return s
	}
	if err := migrations.Up(ctx, db, d); err != nil {
		t.Fatalf("up: %v", err)
	}
	top, err := migrations.Version(ctx, db, d)
	if err != nil || top < 1 {
		t.Fatalf("version after up = %d, %v", top, err)
	}
	first := describe("after up")
	// The tables every part of Stockroom relies on; the rest of the schema
	// is whatever the migrations define, compared as a whole below.
	for _, tbl := range []string{"accounts", "account_keys", "stores", "memberships", "listings", "products", "offerings",
		"receipts", "receipt_items", "sync_runs", "stock_events", "alerts", "deliveries", "oauth_states", "leases",
		"webhook_events", "telegram_link_codes", "etsy_budgets", "codes", "activity"} {
		if _, ok := first.Tables[tbl]; !ok {
			t.Errorf("table %s missing after up", tbl)
		}
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
	if left := describe("after down"); len(left.Tables) != 0 || len(left.Indexes) != 0 {
		t.Fatalf("left after down: tables %v, indexes %v", keys(left.Tables), keys(left.Indexes))
	}
	if err := migrations.Up(ctx, db, d); err != nil {
		t.Fatalf("up again: %v", err)
	}
	if v, err := migrations.Version(ctx, db, d); err != nil || v != top {
		t.Fatalf("version after up again = %d, %v; want %d", v, err, top)
	}
	if diff := SchemaDiff("first up", first, "up again", describe("after up again")); len(diff) > 0 {
		t.Fatalf("up, down, up does not give the same schema:\n%s", strings.Join(diff, "\n"))
	}

	// A rollback to the previous release's schema and forward again keeps
	// what that release's tables hold.
	if err := migrations.DownTo(ctx, db, d, PreviousReleaseSchema); err != nil {
		t.Fatalf("down to the previous release (%d): %v", PreviousReleaseSchema, err)
	}
	if v, err := migrations.Version(ctx, db, d); err != nil || v != PreviousReleaseSchema {
		t.Fatalf("version after down to %d = %d, %v", PreviousReleaseSchema, v, err)
	}
	if _, err := db.ExecContext(ctx, "INSERT INTO accounts (name, created_at, updated_at) VALUES ('ada', 1, 1)"); err != nil {
		t.Fatalf("the previous release's schema takes no account: %v", err)
	}
	if err := migrations.Up(ctx, db, d); err != nil {
		t.Fatalf("up from the previous release: %v", err)
	}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM accounts WHERE name = 'ada'").Scan(&n); err != nil || n != 1 {
		t.Fatalf("after up from the previous release: %d accounts named ada, %v", n, err)
	}
	if v, err := migrations.Version(ctx, db, d); err != nil || v != top {
		t.Fatalf("version after up from the previous release = %d, %v; want %d", v, err, top)
	}
}

func keys[V any](m map[string]V) []string { return unionKeys(m, nil) }

// PreviousReleaseSchema is the schema version of the release before this
// one: an upgrade starts there, and a rollback returns there.
const PreviousReleaseSchema = 3

// upFrom migrates db up, down to version, writes rows with stmts as a
// database at that version held them, and migrates up again: for the
// tests of what a migration makes of the rows before it.
func upFrom(t *testing.T, db *sql.DB, d migrations.Dialect, version int64, stmts ...string) {
	t.Helper()
	ctx := t.Context()
	if err := migrations.Up(ctx, db, d); err != nil {
		t.Fatalf("up: %v", err)
	}
	if err := migrations.DownTo(ctx, db, d, version); err != nil {
		t.Fatalf("down to %d: %v", version, err)
	}
	for _, q := range stmts {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := migrations.Up(ctx, db, d); err != nil {
		t.Fatalf("up: %v", err)
	}
}

// ActivityFromStockEvents checks that the ledger's migration carries the
// stock history written before it forward, so a store's Activity starts
// with its past: a seller's edit stays the seller's, a sync's change is
// Etsy's, with SKU, title and before → after. And that the database
// refuses to update an event.
func ActivityFromStockEvents(t *testing.T, db *sql.DB, d migrations.Dialect) {
	ctx := t.Context()
	upFrom(t, db, d, 79,
		`INSERT INTO accounts (id, name, created_at, updated_at) VALUES (1, 'Ada', 1, 1)`,
		`INSERT INTO stores (id, etsy_shop_id, etsy_user_id, name, created_at, updated_at) VALUES (1, 77, 78, 'Mugs', 1, 1)`,
		`INSERT INTO listings (id, store_id, etsy_listing_id, title, state, synced_at) VALUES (1, 1, 500, 'Speckled mug', 'active', 1)`,
		`INSERT INTO products (id, store_id, listing_id, product_key, sku, variation) VALUES (1, 1, 1, 'MUG-B', 'MUG-B', 'Blue')`,
		`INSERT INTO offerings (id, store_id, product_id, quantity, price_amount, price_divisor, currency, updated_at) VALUES (1, 1, 1, 7, 2400, 100, 'EUR', 1)`,
		`INSERT INTO stock_events (store_id, offering_id, account_id, source, before_qty, after_qty, created_at) VALUES (1, 1, 1, 'tui', 10, 8, 1000)`,
		`INSERT INTO stock_events (store_id, offering_id, source, before_qty, after_qty, created_at) VALUES (1, 1, 'sync', 8, 7, 2000)`)
	rows, err := db.QueryContext(ctx, `SELECT COALESCE(actor_id, 0), actor, source, kind, subject, title, before_qty, after_qty, created_at
		FROM activity ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var actorID, before, after, at int64
		var actor, source, kind, subject, title string
		if err := rows.Scan(&actorID, &actor, &source, &kind, &subject, &title, &before, &after, &at); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%d %q %s %s %s %q %d→%d @%d", actorID, actor, source, kind, subject, title, before, after, at))
	}
	want := []string{
		`1 "" tui stock.set MUG-B "Speckled mug (Blue)" 10→8 @1000`,
		`0 "Etsy" sync stock.sync MUG-B "Speckled mug (Blue)" 8→7 @2000`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("activity after the migration:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The database itself refuses to rewrite an event.
	if _, err := db.ExecContext(ctx, `UPDATE activity SET after_qty = 99`); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Fatalf("UPDATE of the ledger: %v, want it refused as append-only", err)
	}
}
