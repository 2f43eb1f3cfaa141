-- Days of cover and restock suggestions. A line of a receipt carries when
-- it was sold and whether its receipt was cancelled or fully refunded, so
-- the units and revenue of a period come from one covering index of
-- receipt_items, without visiting each receipt. A listing keeps when Etsy
-- created it: a listing younger than the period has sold over its age, not
-- over the whole period. A store chooses how many days of stock it wants to
-- hold (target cover).

-- +goose Up
ALTER TABLE stores ADD COLUMN target_cover_days INTEGER NOT NULL DEFAULT 30;
ALTER TABLE listings ADD COLUMN etsy_created_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE receipt_items ADD COLUMN sold_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE receipt_items ADD COLUMN voided INTEGER NOT NULL DEFAULT 0;
UPDATE receipt_items SET
    sold_at = (SELECT r.etsy_created_at FROM receipts r WHERE r.id = receipt_items.receipt_id),
    voided = (SELECT CASE WHEN r.status IN ('canceled', 'fully refunded') THEN 1 ELSE 0 END FROM receipts r WHERE r.id = receipt_items.receipt_id);
CREATE INDEX receipt_items_store_sold ON receipt_items(store_id, sold_at, voided, etsy_listing_id, etsy_product_id, sku, variation, quantity, price_amount, price_divisor);

-- +goose Down
DROP INDEX receipt_items_store_sold;
ALTER TABLE receipt_items DROP COLUMN voided;
ALTER TABLE receipt_items DROP COLUMN sold_at;
ALTER TABLE listings DROP COLUMN etsy_created_at;
ALTER TABLE stores DROP COLUMN target_cover_days;
