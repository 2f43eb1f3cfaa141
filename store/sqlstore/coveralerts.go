// The "runs out within N days" alert rule: a row's days of cover (its
// stock at the pace of its last 30 days of sales) below the store's
// runs_out_days. It is checked in AlertEvaluate beside the thresholds, on
// the per-product day sums kept as receipts are written (indexed by store
// and day), never on the receipt lines.
package sqlstore

import (
	"context"
	"math"
	"slices"
	"time"

	"github.com/stockroom/stockroom/cover"
	"github.com/stockroom/stockroom/store"
)

// Alert rules as alerts.rule holds them.
const (
	ruleThreshold = "threshold"
	ruleCover     = "cover"
)

// kindExpr reads a cover alert (stored with kind low_stock, which the
// kind CHECK of SQLite's table allows) back as AlertRunsOut; kindCol is
// the same for a query naming the table al.
const (
	kindExpr = `CASE WHEN rule = 'cover' THEN 'runs_out' ELSE kind END`
	kindCol  = `CASE WHEN al.rule = 'cover' THEN 'runs_out' ELSE al.kind END`
)

// storedKind and ruleOf are how an alert of kind k is written.
func storedKind(k store.AlertKind) store.AlertKind {
	if k == store.AlertRunsOut {
		return store.AlertLowStock
	}
	return k
}

func ruleOf(k store.AlertKind) string {
	if k == store.AlertRunsOut {
		return ruleCover
	}
	return ruleThreshold
}

// evaluateCover decides the cover rule for the rows an evaluation checks
// (all the store's when ids is nil, else every row of the listings of
// ids, so sales lines matched by listing find their row): an alert fires
// for a row that is in stock, sold in the period and holds fewer than N
// days of cover, and resolves when that no longer holds, when the rule is
// turned off (N = 0), or when the row sells out (the out-of-stock alert
// takes over) or is gone. all are the store's rows when ids is nil.
func (s *Store) evaluateCover(ctx context.Context, tx Tx, storeID int64, ids []int64, all []store.InventoryRow, t time.Time) (fire []store.Alert, resolve []int64, err error) {
	var n int
	if err := tx.QueryRow(ctx, `SELECT runs_out_days FROM stores WHERE id = $1`, storeID).Scan(&n); err != nil {
		return nil, nil, err
	}
	rows, listings := all, []int64(nil)
	if ids != nil {
		if listings, err = s.listingsOf(ctx, tx, ids); err != nil {
			return nil, nil, err
		}
		if len(listings) == 0 {
			return nil, nil, nil
		}
		rows = nil
		// +o.store_id keeps SQLite from walking the store's every offering
		// (its index on store_id) for each chunk: the listings' products
		// are found by their index on listing_id instead.
		for part := range slices.Chunk(listings, chunk) {
			got, err := s.queryRows(ctx, tx, "cover rows", `SELECT `+rowCols+rowFrom+` WHERE +o.store_id = $1 AND p.listing_id IN `+
				placeholders(2, len(part)), idArgs(part, storeID)...)
			if err != nil {
				return nil, nil, err
			}
			rows = append(rows, got...)
		}
	}
	active, err := s.activeCoverAlerts(ctx, tx, storeID, listings)
	if err != nil {
		return nil, nil, err
	}
	if n <= 0 {
		for _, a := range active {
			resolve = append(resolve, a.id)
		}
		slices.Sort(resolve)
		return nil, resolve, nil
	}
	sales, err := s.coverSales(ctx, tx, storeID, rows, ids != nil, t)
	if err != nil {
		return nil, nil, err
	}
	ptrs := make([]*store.InventoryRow, len(rows))
	for i := range rows {
		ptrs[i] = &rows[i]
	}
	covers := cover.Compute(ptrs, sales, cover.Params{Now: t})
	byOffering := make(map[int64]cover.Cover, len(covers))
	for _, c := range covers {
		byOffering[c.Row.OfferingID] = c
	}
	for _, r := range rows {
		c, live := byOffering[r.OfferingID] // gone rows are left out
		runsOut := live && r.Shown() > 0 && c.Sells() && c.Days < float64(n)
		a, has := active[r.OfferingID]
		switch {
		case has && !runsOut:
			resolve = append(resolve, a.id)
		case !has && runsOut:
			fire = append(fire, store.Alert{StoreID: storeID, OfferingID: r.OfferingID, Kind: store.AlertRunsOut,
				Quantity: r.Shown(), Threshold: n, CoverDays: math.Floor(c.Days*10) / 10})
		}
	}
	return fire, resolve, nil
}

// listingsOf lists the listings (ids) of the given offerings.
func (s *Store) listingsOf(ctx context.Context, tx Tx, ids []int64) ([]int64, error) {
	var out []int64
	for part := range slices.Chunk(slices.Compact(slices.Sorted(slices.Values(ids))), chunk) {
		got, err := queryAll(ctx, s, tx, "alerts: listings of offerings", scanInt64,
			`SELECT DISTINCT p.listing_id FROM offerings o JOIN products p ON p.id = o.product_id
			WHERE o.id IN `+placeholders(1, len(part)), idArgs(part)...)
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
	}
	return slices.Compact(slices.Sorted(slices.Values(out))), nil
}

// activeCoverAlerts are the store's active cover alerts by offering,
// those of the given listings when listings is not nil.
func (s *Store) activeCoverAlerts(ctx context.Context, tx Tx, storeID int64, listings []int64) (map[int64]activeAlert, error) {
	out := map[int64]activeAlert{}
	load := func(part []int64) error {
		sql := `SELECT al.id, al.offering_id FROM alerts al WHERE al.store_id = $1 AND al.active = $2 AND al.rule = $3`
		if part != nil {
			sql = `SELECT al.id, al.offering_id FROM alerts al JOIN offerings o ON o.id = al.offering_id
				JOIN products p ON p.id = o.product_id
				WHERE al.store_id = $1 AND al.active = $2 AND al.rule = $3 AND p.listing_id IN ` + placeholders(4, len(part))
		}
		q, err := tx.Query(ctx, sql, idArgs(part, storeID, true, ruleCover)...)
		if err != nil {
			return err
		}
		return scanActive(q, out, nil)
	}
	if listings == nil {
		return out, load(nil)
	}
	for part := range slices.Chunk(listings, chunk) {
		if err := load(part); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// coverSales sums the products' sales over the 30 UTC days up to and
// including today, from the per-product day sums (by store and day, in
// their primary key), for the Etsy listings of rows when some is set.
func (s *Store) coverSales(ctx context.Context, tx Tx, storeID int64, rows []store.InventoryRow, some bool, t time.Time) ([]store.ProductSales, error) {
	today := t.UnixMilli() / dayMS
	lo, hi := today-(cover.DefaultCoverDays-1), today+1
	sums := map[saleKey]saleSum{}
	if !some {
		if err := s.productDaySums(ctx, tx, storeID, lo, hi, sums, 1); err != nil {
			return nil, err
		}
	} else {
		etsyIDs := make([]int64, 0, len(rows))
		for _, r := range rows {
			etsyIDs = append(etsyIDs, r.EtsyListingID)
		}
		for part := range slices.Chunk(slices.Compact(slices.Sorted(slices.Values(etsyIDs))), chunk) {
			q, err := tx.Query(ctx, `SELECT `+saleKeyCols+`, SUM(units), SUM(revenue), SUM(lines) FROM sales_product_days
				WHERE store_id = $1 AND day >= $2 AND day < $3 AND etsy_listing_id IN `+placeholders(4, len(part))+`
				GROUP BY `+saleKeyCols, idArgs(part, storeID, lo, hi)...)
			if err != nil {
				return nil, err
			}
			if err := addProductRows(q, sums, 1); err != nil {
				return nil, err
			}
		}
	}
	out := make([]store.ProductSales, 0, len(sums))
	for k, v := range sums {
		out = appendProduct(out, k, v)
	}
	return out, nil
}

func (s *Store) CoverCheckOfferings(ctx context.Context, storeID int64, etsyListingIDs []int64) ([]int64, error) {
	const op = "cover check offerings"
	out, err := queryAll(ctx, s, s.d, op, scanInt64,
		`SELECT offering_id FROM alerts WHERE store_id = $1 AND active = $2 AND rule = $3`, storeID, true, ruleCover)
	if err != nil {
		return nil, err
	}
	for part := range slices.Chunk(slices.Compact(slices.Sorted(slices.Values(etsyListingIDs))), chunk) {
		got, err := queryAll(ctx, s, s.d, op, scanInt64, `SELECT o.id FROM listings l JOIN products p ON p.listing_id = l.id
			JOIN offerings o ON o.product_id = p.id
			WHERE l.store_id = $1 AND l.etsy_listing_id IN `+placeholders(2, len(part)), idArgs(part, storeID)...)
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
	}
	return slices.Compact(slices.Sorted(slices.Values(out))), nil
}
