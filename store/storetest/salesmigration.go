// The sales sums migration fills the sums from the receipt lines already
// held.
package storetest

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/stockroom/stockroom/migrations"
)

// SalesSumsBackfilled checks that migration 00150 adds up the lines synced
// before it: per day, per day and product, and per product, leaving out
// voided receipts, revenue per line in hundredths whatever the divisor.
func SalesSumsBackfilled(t *testing.T, db *sql.DB, d migrations.Dialect) {
	ctx := t.Context()
	const day = 86400000
	upFrom(t, db, d, 130,
		`INSERT INTO stores (id, etsy_shop_id, etsy_user_id, name, created_at, updated_at) VALUES (1, 77, 78, 'Mugs', 1, 1)`,
		`INSERT INTO receipts (id, store_id, etsy_receipt_id, status, etsy_created_at, etsy_updated_at) VALUES (1, 1, 501, 'paid', 1, 1)`,
		`INSERT INTO receipts (id, store_id, etsy_receipt_id, status, etsy_created_at, etsy_updated_at) VALUES (2, 1, 502, 'canceled', 1, 1)`,
		`INSERT INTO receipts (id, store_id, etsy_receipt_id, status, etsy_created_at, etsy_updated_at) VALUES (3, 1, 503, 'paid', 1, 1)`,
		fmt.Sprintf(`INSERT INTO receipt_items (store_id, receipt_id, etsy_transaction_id, etsy_listing_id, etsy_product_id, sku, title,
			variation, quantity, price_amount, price_divisor, sold_at, voided) VALUES
			(1, 1, 1, 9, 91, 'MUG-B', 'Mug', 'Blue', 2, 2400, 100, %d, FALSE),
			(1, 1, 2, 9, 92, 'MUG-G', 'Mug', 'Green', 1, 12345, 1000, %d, FALSE),
			(1, 2, 3, 9, 91, 'MUG-B', 'Mug', 'Blue', 5, 2400, 100, %d, TRUE),
			(1, 3, 4, 9, 91, 'MUG-B', 'Mug', 'Blue', 1, 999, 100, %d, FALSE),
			(1, 3, 5, 8, 0, 'PLATE', 'Plate', '', 3, 500, 0, %d, FALSE)`, 20000*day+5, 20000*day+6, 20000*day+7, 20001*day+1, 20001*day+2))
	// Each query makes one text column, the same in both databases.
	read := func(q string) string {
		t.Helper()
		lines, err := QueryStrings(ctx, db, q)
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(lines, "\n")
	}
	cat := func(cols ...string) string {
		for i, c := range cols {
			cols[i] = "CAST(" + c + " AS TEXT)"
		}
		return strings.Join(cols, " || ' ' || ")
	}
	for _, c := range []struct{ q, want string }{
		{`SELECT ` + cat("store_id", "day", "units", "revenue", "lines") + ` FROM sales_days ORDER BY day`,
			"1 20000 3 6034 2\n1 20001 4 2499 2"},
		{`SELECT ` + cat("day", "etsy_listing_id", "etsy_product_id", "sku", "variation", "units", "revenue", "lines") +
			` FROM sales_product_days ORDER BY day, etsy_listing_id, etsy_product_id`,
			"20000 9 91 MUG-B Blue 2 4800 1\n20000 9 92 MUG-G Green 1 1234 1\n20001 8 0 PLATE  3 1500 1\n20001 9 91 MUG-B Blue 1 999 1"},
		{`SELECT ` + cat("etsy_listing_id", "etsy_product_id", "sku", "units", "revenue", "lines") +
			` FROM sales_products ORDER BY etsy_listing_id, etsy_product_id`,
			"8 0 PLATE 3 1500 1\n9 91 MUG-B 3 5799 2\n9 92 MUG-G 1 1234 1"},
		{`SELECT ` + cat("sales_anchor_day", "sales_version") + ` FROM stores`, "0 0"},
	} {
		if got := read(c.q); got != c.want {
			t.Fatalf("%s:\n%s\nwant:\n%s", c.q, got, c.want)
		}
	}
}
