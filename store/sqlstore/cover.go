package sqlstore

import (
	"context"

	"github.com/stockroom/stockroom/store"
)

// coverCols are what days of cover and the dashboard's counts read of a
// row (scanCoverRow's order). Every column costs a conversion per row (on
// SQLite the better part of reading 50,000 rows): the store id is the
// one asked for, and a row is gone when its listing or product is, so
// neither takes a column.
const coverCols = `SELECT o.id, l.etsy_listing_id, p.etsy_product_id, l.title, p.sku, p.variation,
			o.quantity, o.desired_quantity, o.desired_version, o.pushed_version, o.currency,
			COALESCE(o.low_stock_threshold, l.low_stock_threshold, s.low_stock_default),
			o.low_stock_threshold IS NULL AND l.low_stock_threshold IS NULL, l.gone OR p.gone, l.etsy_created_at` + rowFrom + `
		JOIN memberships m ON m.store_id = o.store_id AND m.account_id = $1`

// CoverRowList reads the lower and the upper half of the store's
// offering ids at once, each on a connection of its own: on SQLite
// reading 50,000 rows is one goroutine's work of some 120 ms, the
// longest part of a first report, while the sales sums beside it take
// half that. Each row is read in a snapshot taken after the caller read
// the inventory version, as with one query. The offerings are counted
// first: a row is large, and a list of 50,000 grown by appending copies
// itself over and over (most of what reading them allocated); both
// halves are read into one list, each into its part.
func (s *Store) CoverRowList(ctx context.Context, p *store.InventoryListParams) ([]store.InventoryRow, error) {
	const op = "cover rows"
	var n int
	var lo, hi int64
	if err := s.d.QueryRow(ctx, `SELECT COUNT(*), COALESCE(MIN(id), 0), COALESCE(MAX(id), 0) FROM offerings WHERE store_id = $1`,
		p.StoreID).Scan(&n, &lo, &hi); err != nil {
		return nil, s.err(op, err)
	}
	mid := lo + (hi-lo)/2
	// The rows at or below mid when the store's ids run without gaps
	// (one store's offerings, written together, mostly do).
	k := int(min(int64(n), mid-lo+1))
	full := make([]store.InventoryRow, n)
	query := coverCols + `
		WHERE o.store_id = $2 AND o.id `
	var upper []store.InventoryRow
	var upperErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		upper, upperErr = s.coverRows(ctx, op, p.StoreID, full[k:k:n], query+`> $3`, p.AccountID, p.StoreID, mid)
	}()
	lower, err := s.coverRows(ctx, op, p.StoreID, full[:0:k], query+`<= $3`, p.AccountID, p.StoreID, mid)
	<-done
	if err != nil {
		return nil, err
	}
	if upperErr != nil {
		return nil, upperErr
	}
	return joinHalves(full, lower, upper, k), nil
}

// joinHalves is lower then upper, read into full[:k] and full[k:]: in
// place when neither outgrew its part (append moved neither), else in
// a list of their own.
func joinHalves(full, lower, upper []store.InventoryRow, k int) []store.InventoryRow {
	if len(lower) > k || len(upper) > len(full)-k {
		out := make([]store.InventoryRow, 0, len(lower)+len(upper))
		return append(append(out, lower...), upper...)
	}
	if len(lower) < k {
		copy(full[len(lower):], upper)
	}
	return full[:len(lower)+len(upper)]
}

// CoverRowChangedList finds the changed rows through each table's
// (store_id, inventory_stamp) index: an offering written, or its product
// or listing.
func (s *Store) CoverRowChangedList(ctx context.Context, p *store.InventoryListParams, since int64) ([]store.InventoryRow, error) {
	return s.coverRows(ctx, "changed cover rows", p.StoreID, nil, coverCols+`
		WHERE o.store_id = $2 AND o.id IN (
			SELECT id FROM offerings WHERE store_id = $2 AND inventory_stamp >= $3
			UNION SELECT op.id FROM products pp JOIN offerings op ON op.product_id = pp.id
				WHERE pp.store_id = $2 AND pp.inventory_stamp >= $3
			UNION SELECT ol.id FROM listings ll JOIN products pl ON pl.listing_id = ll.id JOIN offerings ol ON ol.product_id = pl.id
				WHERE ll.store_id = $2 AND ll.inventory_stamp >= $3)
		ORDER BY o.id`, p.AccountID, p.StoreID, since)
}

// coverRows scans a query of coverCols on storeID's rows, appending
// them to out.
func (s *Store) coverRows(ctx context.Context, op string, storeID int64, out []store.InventoryRow, query string, args ...any) ([]store.InventoryRow, error) {
	rows, err := s.d.Query(ctx, query, args...)
	if err != nil {
		return nil, s.err(op, err)
	}
	defer rows.Close()
	// One set of scan targets for every row: targets declared in the loop
	// escape to the heap once per row (a whole InventoryRow each).
	var x store.InventoryRow
	var listed int64
	dest := []any{&x.OfferingID, &x.EtsyListingID, &x.EtsyProductID, &x.Title, &x.SKU, &x.Variation,
		&x.Quantity, &x.DesiredQuantity, &x.DesiredVersion, &x.PushedVersion, &x.Price.Currency,
		&x.Threshold, &x.ThresholdIsDefault, &x.Gone, &listed}
	x.StoreID = storeID
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, s.err(op, err)
		}
		x.ListedAt = fromMS(listed)
		out = append(out, x)
	}
	return out, s.err(op, rows.Err())
}

// InventoryVersion reads the version, the removals and where the next
// changes begin in one statement. On SQLite, which runs one writer at a
// time, a write not yet committed builds on the version read and stamps
// past it. On PostgreSQL the stamp is the writing transaction's id, and a
// transaction whose writes a later read does not see has an id at or past
// this statement's snapshot's xmin (it was running, or started later).
func (s *Store) InventoryVersion(ctx context.Context, storeID int64) (store.InventoryVersion, error) {
	since := `version + 1`
	if s.d.Name() == "postgres" {
		since = `pg_snapshot_xmin(pg_current_snapshot())::text::bigint`
	}
	var v store.InventoryVersion
	err := s.d.QueryRow(ctx, `SELECT version, removed, `+since+` FROM inventory_versions WHERE store_id = $1`, storeID).
		Scan(&v.Version, &v.Removed, &v.Since)
	return v, s.err("inventory version", err)
}

// CoverRowRemovedList reads the tombstones and where they were pruned in
// one statement (one snapshot): a prune commits with the tombstones it
// deletes, so a read that finds removals_pruned at or below since finds
// every tombstone it needs. The -1 row, never an offering id, says the
// record no longer reaches back to since.
func (s *Store) CoverRowRemovedList(ctx context.Context, p *store.InventoryListParams, since int64) ([]int64, bool, error) {
	rows, err := s.d.Query(ctx, `SELECT offering_id FROM inventory_removals WHERE store_id = $1 AND stamp >= $2
		UNION ALL SELECT -1 FROM inventory_versions WHERE store_id = $1 AND removals_pruned > $2`, p.StoreID, since)
	if err != nil {
		return nil, false, s.err("removed cover rows", err)
	}
	defer rows.Close()
	var ids []int64
	complete := true
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, false, s.err("removed cover rows", err)
		}
		if id < 0 {
			complete = false
			continue
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, false, s.err("removed cover rows", err)
	}
	return ids, complete, nil
}
