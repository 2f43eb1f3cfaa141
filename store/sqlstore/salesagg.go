package sqlstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/stockroom/stockroom/store"
)

// Sales aggregates (migration 00150): sales_days, sales_product_days and
// sales_products hold the sums of the receipt lines that count (not
// voided), kept in the transaction that writes the lines. A page write
// reads the counting lines of the receipts it changes before and after
// writing them and adds the difference, so a page read again, a receipt
// Etsy updated or cancelled, or a line whose quantity changed is counted
// exactly once.

const dayMS = int64(24 * time.Hour / time.Millisecond)

// saleKey is what the product sums are grouped by.
type saleKey struct {
	listing, product int64
	sku, variation   string
}

// saleSum is units, revenue (hundredths) and a count of lines.
type saleSum struct{ units, revenue, lines int64 }

func (a *saleSum) add(b saleSum, sign int64) {
	a.units += sign * b.units
	a.revenue += sign * b.revenue
	a.lines += sign * b.lines
}

func (a saleSum) zero() bool { return a == saleSum{} }

// saleLine is one counting receipt line's contribution.
type saleLine struct {
	key saleKey
	day int64
	saleSum
}

// lineRevenue is a line's revenue in hundredths, as salesRevenue sums it
// (integer division per line, truncated toward zero in both databases).
func lineRevenue(qty, amount, divisor int64) int64 {
	if divisor <= 0 {
		divisor = 100
	}
	return qty * amount * 100 / divisor
}

// countingLines reads the lines that count of the given receipts.
func (s *Store) countingLines(ctx context.Context, tx Tx, storeID int64, etsyReceiptIDs []int64) ([]saleLine, error) {
	var out []saleLine
	for start := 0; start < len(etsyReceiptIDs); start += chunk {
		part := etsyReceiptIDs[start:min(start+chunk, len(etsyReceiptIDs))]
		rows, err := tx.Query(ctx, `SELECT i.etsy_listing_id, i.etsy_product_id, i.sku, i.variation, i.quantity, i.price_amount,
				i.price_divisor, i.sold_at
			FROM receipts r JOIN receipt_items i ON i.receipt_id = r.id
			WHERE r.store_id = $1 AND i.voided = $2 AND r.etsy_receipt_id IN `+placeholders(3, len(part)),
			idArgs(part, storeID, false)...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var l saleLine
			var amount, divisor, soldAt int64
			if err := rows.Scan(&l.key.listing, &l.key.product, &l.key.sku, &l.key.variation, &l.units, &amount, &divisor, &soldAt); err != nil {
				rows.Close()
				return nil, err
			}
			l.revenue, l.lines, l.day = lineRevenue(l.units, amount, divisor), 1, soldAt/dayMS
			out = append(out, l)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

type dayKey struct {
	day int64
	saleKey
}

// applySales adds after − before to the store's aggregates. The lock on
// the store's sale windows, taken by the caller, orders it with a move of
// the anchor.
func (s *Store) applySales(ctx context.Context, tx Tx, storeID int64, before, after []saleLine) error {
	days := map[int64]saleSum{}
	productDays := map[dayKey]saleSum{}
	for sign, lines := range map[int64][]saleLine{-1: before, 1: after} {
		for _, l := range lines {
			d := days[l.day]
			d.add(l.saleSum, sign)
			days[l.day] = d
			k := dayKey{l.day, l.key}
			pd := productDays[k]
			pd.add(l.saleSum, sign)
			productDays[k] = pd
		}
	}
	var anchor int64
	if err := tx.QueryRow(ctx, `SELECT sales_anchor_day FROM stores WHERE id = $1`, storeID).Scan(&anchor); err != nil {
		return err
	}
	// Every product touched is stamped with the new version, a sale of a
	// day before the anchor too (its sums add nothing here but the
	// reader's period edge moved), so a reader holding an earlier version
	// reads exactly these again.
	products := map[saleKey]saleSum{}
	for k, v := range productDays {
		if v.zero() {
			continue
		}
		p := products[k.saleKey]
		if k.day >= anchor {
			p.add(v, 1)
		}
		products[k.saleKey] = p
	}
	var dayRows, pdRows [][]any
	for d, v := range days {
		if !v.zero() {
			dayRows = append(dayRows, []any{storeID, d, v.units, v.revenue, v.lines})
		}
	}
	for k, v := range productDays {
		if !v.zero() {
			pdRows = append(pdRows, []any{storeID, k.day, k.listing, k.product, k.sku, k.variation, v.units, v.revenue, v.lines})
		}
	}
	if len(dayRows)+len(pdRows) == 0 {
		return nil
	}
	version, err := bumpSalesVersion(ctx, tx, storeID)
	if err != nil {
		return err
	}
	pRows := make([][]any, 0, len(products))
	for k, v := range products {
		pRows = append(pRows, []any{storeID, k.listing, k.product, k.sku, k.variation, v.units, v.revenue, v.lines, version})
	}
	if err := s.addSums(ctx, tx, "sales_days", "store_id, day", "", dayRows); err != nil {
		return err
	}
	if err := s.addSums(ctx, tx, "sales_product_days", "store_id, day", saleKeyCols, pdRows); err != nil {
		return err
	}
	return s.addSums(ctx, tx, "sales_products", "store_id", saleKeyCols, pRows)
}

const saleKeyCols = "etsy_listing_id, etsy_product_id, sku, variation"

// addSums adds rows of (key..., units, revenue, lines) to a sums table.
// Rows of sales_products may end with the version that wrote them, which
// then replaces the row's.
func (s *Store) addSums(ctx context.Context, tx Tx, table, head, key string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	cols, stamp := "units, revenue, lines", ""
	if table == "sales_products" && len(rows[0]) == 9 {
		cols, stamp = cols+", version", ", version = excluded.version"
	}
	// Sorted, so two writers touch rows in the same order.
	slices.SortFunc(rows, func(a, b []any) int {
		for i := range a {
			var c int
			switch x := a[i].(type) {
			case int64:
				c = cmp.Compare(x, b[i].(int64))
			case string:
				c = cmp.Compare(x, b[i].(string))
			}
			if c != 0 {
				return c
			}
		}
		return 0
	})
	keys := head
	if key != "" {
		keys += ", " + key
	}
	n := len(rows[0])
	for start := 0; start < len(rows); start += chunk {
		part := rows[start:min(start+chunk, len(rows))]
		var sb strings.Builder
		sb.WriteString(`INSERT INTO ` + table + ` (` + keys + `, ` + cols + `) VALUES `)
		args := make([]any, 0, len(part)*n)
		for i, r := range part {
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString(placeholders(len(args)+1, n))
			args = append(args, r...)
		}
		sb.WriteString(` ON CONFLICT (` + keys + `) DO UPDATE SET units = ` + table + `.units + excluded.units,
			revenue = ` + table + `.revenue + excluded.revenue, lines = ` + table + `.lines + excluded.lines` + stamp)
		if _, err := tx.Exec(ctx, sb.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// salesWindowDays is the period the product sums are kept for: the
// dashboard's default.
const salesWindowDays = 30

// anchorSales moves the store's product sums to start at day to,
// subtracting (forward) or adding (backward) the product rows of the days
// in between, and drops the products left with no lines. The caller holds
// the lock on the store's sale windows.
func (s *Store) anchorSales(ctx context.Context, tx Tx, storeID, from, to int64) error {
	lo, hi, sign := from, to, int64(-1)
	if to < from {
		lo, hi, sign = to, from, 1
	}
	diff := map[saleKey]saleSum{}
	if err := s.productDaySums(ctx, tx, storeID, lo, hi, diff, sign); err != nil {
		return err
	}
	rows := make([][]any, 0, len(diff))
	for k, v := range diff {
		rows = append(rows, []any{storeID, k.listing, k.product, k.sku, k.variation, v.units, v.revenue, v.lines})
	}
	if err := s.addSums(ctx, tx, "sales_products", "store_id", saleKeyCols, rows); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM sales_products WHERE store_id = $1 AND lines = 0`, storeID); err != nil {
		return err
	}
	// The figures of any period are the same after the move: the version
	// stays.
	_, err := tx.Exec(ctx, `UPDATE stores SET sales_anchor_day = $2 WHERE id = $1`, storeID, to)
	return err
}

// bumpSalesVersion moves the store's sales version and returns the new one.
func bumpSalesVersion(ctx context.Context, tx Tx, storeID int64) (int64, error) {
	var v int64
	err := tx.QueryRow(ctx, `UPDATE stores SET sales_version = sales_version + 1 WHERE id = $1 RETURNING sales_version`, storeID).Scan(&v)
	return v, err
}

// productDaySums adds the product rows of days [lo, hi), times sign, into
// sums.
func (s *Store) productDaySums(ctx context.Context, q Querier, storeID, lo, hi int64, into map[saleKey]saleSum, sign int64) error {
	if lo >= hi {
		return nil
	}
	rows, err := q.Query(ctx, `SELECT `+saleKeyCols+`, SUM(units), SUM(revenue), SUM(lines) FROM sales_product_days
		WHERE store_id = $1 AND day >= $2 AND day < $3 GROUP BY `+saleKeyCols, storeID, lo, hi)
	if err != nil {
		return err
	}
	return addProductRows(rows, into, sign)
}

// addProductRows adds rows of (key, units, revenue, lines) into sums,
// times sign, and closes them.
func addProductRows(rows Rows, into map[saleKey]saleSum, sign int64) error {
	return eachProductRow(rows, func(k saleKey, v saleSum) {
		x := into[k]
		x.add(v, sign)
		into[k] = x
	})
}

// eachProductRow calls fn with each row of (key, units, revenue, lines)
// and closes them.
func eachProductRow(rows Rows, fn func(saleKey, saleSum)) error {
	defer rows.Close()
	for rows.Next() {
		var k saleKey
		var v saleSum
		if err := rows.Scan(&k.listing, &k.product, &k.sku, &k.variation, &v.units, &v.revenue, &v.lines); err != nil {
			return err
		}
		fn(k, v)
	}
	return rows.Err()
}

// lineSums adds up the counting lines sold in [since, until) (ms), for the
// part of a period that is not whole days; with listings not nil, of
// those listings only. The lines are read from their covering index as
// they are and added up here: grouping them in SQL would sort them first.
func (s *Store) lineSums(ctx context.Context, storeID, since, until int64, into map[saleKey]saleSum, listings []int64) error {
	if since >= until {
		return nil
	}
	query := `SELECT ` + saleKeyCols + `, quantity, price_amount, price_divisor FROM receipt_items
		WHERE store_id = $1 AND sold_at >= $2 AND sold_at < $3 AND voided = $4`
	if listings == nil {
		return s.addLines(ctx, query, []any{storeID, since, until, false}, into)
	}
	for start := 0; start < len(listings); start += chunk {
		part := listings[start:min(start+chunk, len(listings))]
		if err := s.addLines(ctx, query+` AND etsy_listing_id IN `+placeholders(5, len(part)),
			idArgs(part, storeID, since, until, false), into); err != nil {
			return err
		}
	}
	return nil
}

// addLines adds the lines a lineSums query reads into sums.
func (s *Store) addLines(ctx context.Context, query string, args []any, into map[saleKey]saleSum) error {
	rows, err := s.d.Query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k saleKey
		var qty, amount, divisor int64
		if err := rows.Scan(&k.listing, &k.product, &k.sku, &k.variation, &qty, &amount, &divisor); err != nil {
			return err
		}
		x := into[k]
		x.add(saleSum{units: qty, revenue: lineRevenue(qty, amount, divisor), lines: 1}, 1)
		into[k] = x
	}
	return rows.Err()
}

// wholeDays splits [since, until) (ms) into whole UTC days [first, last)
// and the parts before and after them.
func wholeDays(since, until int64) (first, last int64) {
	first = (since + dayMS - 1) / dayMS
	last = until / dayMS
	if last < first {
		last = first
	}
	return first, last
}

// salesDays is salesRange with the period's whole days (wholeDays).
func (s *Store) salesDays(ctx context.Context, p *store.SalesRangeParams) (since, until, first, last int64, err error) {
	if since, until, err = s.salesRange(ctx, p); err != nil {
		return 0, 0, 0, 0, err
	}
	first, last = wholeDays(since, until)
	return since, until, first, last, nil
}

// openEnd is the end of a period without one.
const openEnd = 1<<62 - 1

func (s *Store) SalesByProductList(ctx context.Context, p *store.SalesRangeParams) ([]store.ProductSales, error) {
	since, until, first, last, err := s.salesDays(ctx, p)
	if err != nil {
		return nil, s.err("sales by product", err)
	}
	// The part of a day before the whole days (and after them, for a
	// closed period) comes from the lines; it is small, kept in a map the
	// whole days are added to.
	sums := map[saleKey]saleSum{}
	err = s.lineSums(ctx, p.StoreID, since, min(first*dayMS, until), sums, nil)
	var out []store.ProductSales
	if err == nil && until == openEnd {
		out, err = s.recentProductSums(ctx, p, first, sums)
	} else if err == nil {
		err = s.lineSums(ctx, p.StoreID, max(last*dayMS, since), until, sums, nil)
		if err == nil {
			err = s.productDaySums(ctx, s.d, p.StoreID, first, last, sums, 1)
		}
	}
	if err != nil {
		return nil, s.err("sales by product", err)
	}
	for k, v := range sums {
		out = appendProduct(out, k, v)
	}
	return out, nil
}

func appendProduct(out []store.ProductSales, k saleKey, v saleSum) []store.ProductSales {
	if v.lines == 0 {
		return out
	}
	return append(out, store.ProductSales{EtsyListingID: k.listing, EtsyProductID: k.product, SKU: k.sku, Variation: k.variation,
		Units: int(v.units), Revenue: v.revenue})
}

// recentProductSums lists every product's sums from day first on, plus
// extra: the kept window, moved to the reader's window when it no longer
// starts where the reader's 30 days do, and corrected by the product rows
// of the days between its start and first. The products of extra it
// lists are taken out of it; the caller adds the rest.
func (s *Store) recentProductSums(ctx context.Context, p *store.SalesRangeParams, first int64, extra map[saleKey]saleSum) ([]store.ProductSales, error) {
	var out []store.ProductSales
	err := s.keptProductSums(ctx, p, first, extra, -1, func() { out = nil },
		func(k saleKey, v saleSum) { out = appendProduct(out, k, v) })
	return out, err
}

// keptProductSums calls fn with the sums of every product from day first
// on plus extra (see recentProductSums), or with changedAfter not
// negative, of the products whose kept sums a write after that version
// touched, zero included. reset is called as the transaction starts
// (again when retried).
func (s *Store) keptProductSums(ctx context.Context, p *store.SalesRangeParams, first int64, extra map[saleKey]saleSum,
	changedAfter int64, reset func(), fn func(saleKey, saleSum)) error {
	want := now(p.Now).UnixMilli()/dayMS - (salesWindowDays - 1)
	// Under the lock writes take: the sums and the correction agree.
	return s.d.InTx(ctx, func(tx Tx) error {
		reset()
		if err := s.lockSaleWindows(ctx, tx, p.StoreID); err != nil {
			return err
		}
		var anchor int64
		if err := tx.QueryRow(ctx, `SELECT sales_anchor_day FROM stores WHERE id = $1`, p.StoreID).Scan(&anchor); err != nil {
			return err
		}
		if anchor != want {
			if err := s.anchorSales(ctx, tx, p.StoreID, anchor, want); err != nil {
				return err
			}
			anchor = want
		}
		lo, hi, sign := anchor, first, int64(-1)
		if first < anchor {
			lo, hi, sign = first, anchor, 1
		}
		if changedAfter < 0 {
			if err := s.productDaySums(ctx, tx, p.StoreID, lo, hi, extra, sign); err != nil {
				return err
			}
		} else {
			// The products a write touched, a few: the correction is
			// added to them only.
			correction := map[saleKey]saleSum{}
			if err := s.productDaySums(ctx, tx, p.StoreID, lo, hi, correction, sign); err != nil {
				return err
			}
			rows, err := tx.Query(ctx, `SELECT `+saleKeyCols+`, units, revenue, lines FROM sales_products
				WHERE store_id = $1 AND version > $2`, p.StoreID, changedAfter)
			if err != nil {
				return err
			}
			return eachProductRow(rows, func(k saleKey, v saleSum) {
				v.add(correction[k], 1)
				v.add(extra[k], 1)
				fn(k, v)
			})
		}
		rows, err := tx.Query(ctx, `SELECT `+saleKeyCols+`, units, revenue, lines FROM sales_products WHERE store_id = $1 AND lines <> 0`, p.StoreID)
		if err != nil {
			return err
		}
		// Straight to fn: a map of 50,000 products costs more than the
		// read.
		return eachProductRow(rows, func(k saleKey, v saleSum) {
			if x, ok := extra[k]; ok {
				v.add(x, 1)
				delete(extra, k)
			}
			fn(k, v)
		})
	})
}

// SalesByProductChangedList lists the open period's sums of the products
// a receipt write touched after version (see store.Sales).
func (s *Store) SalesByProductChangedList(ctx context.Context, p *store.SalesRangeParams, version int64) ([]store.ProductSales, error) {
	var out []store.ProductSales
	since, until, first, _, err := s.salesDays(ctx, p)
	if err == nil && until != openEnd {
		err = fmt.Errorf("a closed period reads every product")
	}
	if err != nil {
		return out, s.err("sales by product", err)
	}
	// The kept sums of the changed products first, then the lines of the
	// period's first part day of their listings only: a day of a busy
	// shop's lines costs more than the rest.
	changed := map[saleKey]saleSum{}
	err = s.keptProductSums(ctx, p, first, nil, max(version, 0), func() { clear(changed) }, func(k saleKey, v saleSum) { changed[k] = v })
	var listings []int64
	for k := range changed {
		listings = append(listings, k.listing)
	}
	slices.Sort(listings)
	listings = slices.Compact(listings)
	edge := map[saleKey]saleSum{}
	if err == nil && len(listings) > 0 {
		err = s.lineSums(ctx, p.StoreID, since, min(first*dayMS, until), edge, listings)
	}
	for k, v := range changed {
		v.add(edge[k], 1)
		out = append(out, store.ProductSales{EtsyListingID: k.listing, EtsyProductID: k.product, SKU: k.sku,
			Variation: k.variation, Units: int(v.units), Revenue: v.revenue})
	}
	if err != nil {
		return nil, s.err("sales by product", err)
	}
	return out, nil
}

func (s *Store) SalesByDayList(ctx context.Context, p *store.SalesRangeParams) ([]store.DaySales, error) {
	since, until, first, last, err := s.salesDays(ctx, p)
	if err != nil {
		return nil, s.err("sales by day", err)
	}
	byDay := map[int64]saleSum{}
	edge := func(from, to int64) error {
		if from >= to {
			return nil
		}
		rows, err := s.d.Query(ctx, `SELECT sold_at / 86400000, SUM(quantity), `+salesRevenue+`, COUNT(*) FROM receipt_items
			WHERE store_id = $1 AND sold_at >= $2 AND sold_at < $3 AND voided = $4 GROUP BY sold_at / 86400000`,
			p.StoreID, from, to, false)
		if err != nil {
			return err
		}
		return scanDays(rows, byDay)
	}
	err = edge(since, min(first*dayMS, until))
	if err == nil && last > first {
		var rows Rows
		rows, err = s.d.Query(ctx, `SELECT day, units, revenue, lines FROM sales_days WHERE store_id = $1 AND day >= $2 AND day < $3`,
			p.StoreID, first, last)
		if err == nil {
			err = scanDays(rows, byDay)
		}
	}
	if err == nil && until != openEnd {
		err = edge(max(last*dayMS, since), until)
	}
	if err != nil {
		return nil, s.err("sales by day", err)
	}
	out := make([]store.DaySales, 0, len(byDay))
	for day, v := range byDay {
		if v.lines != 0 {
			out = append(out, store.DaySales{Day: time.UnixMilli(day * dayMS).UTC(), Units: int(v.units), Revenue: v.revenue})
		}
	}
	slices.SortFunc(out, func(a, b store.DaySales) int { return a.Day.Compare(b.Day) })
	return out, nil
}

func scanDays(rows Rows, into map[int64]saleSum) error {
	defer rows.Close()
	for rows.Next() {
		var day int64
		var v saleSum
		if err := rows.Scan(&day, &v.units, &v.revenue, &v.lines); err != nil {
			return err
		}
		x := into[day]
		x.add(v, 1)
		into[day] = x
	}
	return rows.Err()
}
