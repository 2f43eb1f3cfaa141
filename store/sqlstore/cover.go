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

// CoverRowList counts the store's offerings first: a row is large, and a
// list of 50,000 grown by appending copies itself over and over (most of
// what reading them allocated).
func (s *Store) CoverRowList(ctx context.Context, p *store.InventoryListParams) ([]store.InventoryRow, error) {
	var n int
	if err := s.d.QueryRow(ctx, `SELECT COUNT(*) FROM offerings WHERE store_id = $1`, p.StoreID).Scan(&n); err != nil {
		return nil, s.err("cover rows", err)
	}
	return s.coverRows(ctx, "cover rows", p.StoreID, n, coverCols+`
		WHERE o.store_id = $2`, p.AccountID, p.StoreID)
}

// CoverRowChangedList finds the changed rows through each table's
// (store_id, inventory_stamp) index: an offering written, or its product
// or listing.
func (s *Store) CoverRowChangedList(ctx context.Context, p *store.InventoryListParams, since int64) ([]store.InventoryRow, error) {
	return s.coverRows(ctx, "changed cover rows", p.StoreID, 0, coverCols+`
		WHERE o.store_id = $2 AND o.id IN (
			SELECT id FROM offerings WHERE store_id = $2 AND inventory_stamp >= $3
			UNION SELECT op.id FROM products pp JOIN offerings op ON op.product_id = pp.id
				WHERE pp.store_id = $2 AND pp.inventory_stamp >= $3
			UNION SELECT ol.id FROM listings ll JOIN products pl ON pl.listing_id = ll.id JOIN offerings ol ON ol.product_id = pl.id
				WHERE ll.store_id = $2 AND ll.inventory_stamp >= $3)
		ORDER BY o.id`, p.AccountID, p.StoreID, since)
}

// coverRows scans a query of coverCols on storeID's rows into a list
// with room for n rows.
func (s *Store) coverRows(ctx context.Context, op string, storeID int64, n int, query string, args ...any) ([]store.InventoryRow, error) {
	rows, err := s.d.Query(ctx, query, args...)
	if err != nil {
		return nil, s.err(op, err)
	}
	defer rows.Close()
	out := make([]store.InventoryRow, 0, n)
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
