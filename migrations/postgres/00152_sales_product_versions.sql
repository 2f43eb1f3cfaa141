-- Each kept product sum records the store's sales_version of the write
-- that last touched it, so a reader holding the sums of an earlier
-- version reads only the products that changed since (a sale touches a
-- few of a shop's 50,000) instead of every one again.

-- +goose Up
ALTER TABLE sales_products ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
CREATE INDEX sales_products_version ON sales_products (store_id, version);

-- +goose Down
DROP INDEX sales_products_version;
ALTER TABLE sales_products DROP COLUMN version;
