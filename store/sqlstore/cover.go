package sqlstore

import (
	"context"

	"github.com/stockroom/stockroom/store"
)

func (s *Store) CoverRowList(ctx context.Context, p *store.InventoryListParams) ([]store.InventoryRow, error) {
	const op = "cover rows"
	rows, err := s.d.Query(ctx, `SELECT o.id, o.store_id, l.etsy_listing_id, p.etsy_product_id, l.title, p.sku, p.variation,
			o.quantity, o.desired_quantity, o.desired_version, o.pushed_version, o.currency,
			COALESCE(o.low_stock_threshold, l.low_stock_threshold, s.low_stock_default), l.gone, p.gone, l.etsy_created_at`+rowFrom+`
		JOIN memberships m ON m.store_id = o.store_id AND m.account_id = $1
		WHERE o.store_id = $2`, p.AccountID, p.StoreID)
	if err != nil {
		return nil, s.err(op, err)
	}
	defer rows.Close()
	var out []store.InventoryRow
	for rows.Next() {
		var x store.InventoryRow
		var lgone, pgone bool
		var listed int64
		if err := rows.Scan(&x.OfferingID, &x.StoreID, &x.EtsyListingID, &x.EtsyProductID, &x.Title, &x.SKU, &x.Variation,
			&x.Quantity, &x.DesiredQuantity, &x.DesiredVersion, &x.PushedVersion, &x.Price.Currency,
			&x.Threshold, &lgone, &pgone, &listed); err != nil {
			return nil, s.err(op, err)
		}
		x.Gone, x.ListedAt = lgone || pgone, fromMS(listed)
		out = append(out, x)
	}
	return out, s.err(op, rows.Err())
}

func (s *Store) InventoryVersion(ctx context.Context, storeID int64) (int64, error) {
	var v int64
	err := s.d.QueryRow(ctx, `SELECT version FROM inventory_versions WHERE store_id = $1`, storeID).Scan(&v)
	return v, s.err("inventory version", err)
}
