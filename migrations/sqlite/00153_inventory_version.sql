-- A store's inventory version (inventory_versions) moves whenever what
-- the report and the home screen read of its rows changes: an offering,
-- product or listing written, added or removed. A reader keeps the rows
-- it read at a version until the version moves, as sales_version does
-- for the sales sums, so `report` on a 50,000-row shop does not read every
-- row again when nothing changed. Triggers move it, so no write path can
-- forget to; an update that changes none of the columns a reader shows
-- (a sync that only stamps synced_at) leaves it. It has a table of its
-- own, not a column of stores: the writers that lock a store's row (the
-- sales version, sync state, token leases) do not wait for inventory
-- writes, nor these for them. A row is an offering: a product or listing
-- added moves the version with its offerings, and needs no trigger of
-- its own.
-- SQLite runs one writer at a time, so the bump is simply part of each
-- write.

-- +goose Up
CREATE TABLE inventory_versions (
    store_id BIGINT NOT NULL PRIMARY KEY REFERENCES stores(id) ON DELETE CASCADE,
    version  BIGINT NOT NULL DEFAULT 0
);
INSERT INTO inventory_versions (store_id) SELECT id FROM stores;

-- +goose StatementBegin
CREATE TRIGGER stores_inventory_version AFTER INSERT ON stores
BEGIN
    INSERT INTO inventory_versions (store_id) VALUES (NEW.id);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER offerings_inventory_insert AFTER INSERT ON offerings
BEGIN
    UPDATE inventory_versions SET version = version + 1 WHERE store_id = NEW.store_id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER offerings_inventory_delete AFTER DELETE ON offerings
BEGIN
    UPDATE inventory_versions SET version = version + 1 WHERE store_id = OLD.store_id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER offerings_inventory_update AFTER UPDATE ON offerings
WHEN OLD.version IS NOT NEW.version OR OLD.store_id IS NOT NEW.store_id OR OLD.product_id IS NOT NEW.product_id
    OR OLD.quantity IS NOT NEW.quantity OR OLD.desired_quantity IS NOT NEW.desired_quantity
    OR OLD.desired_version IS NOT NEW.desired_version OR OLD.pushed_version IS NOT NEW.pushed_version
    OR OLD.currency IS NOT NEW.currency OR OLD.low_stock_threshold IS NOT NEW.low_stock_threshold
BEGIN
    UPDATE inventory_versions SET version = version + 1 WHERE store_id IN (OLD.store_id, NEW.store_id);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER products_inventory_delete AFTER DELETE ON products
BEGIN
    UPDATE inventory_versions SET version = version + 1 WHERE store_id = OLD.store_id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER products_inventory_update AFTER UPDATE ON products
WHEN OLD.store_id IS NOT NEW.store_id OR OLD.listing_id IS NOT NEW.listing_id OR OLD.sku IS NOT NEW.sku
    OR OLD.variation IS NOT NEW.variation OR OLD.etsy_product_id IS NOT NEW.etsy_product_id OR OLD.gone IS NOT NEW.gone
BEGIN
    UPDATE inventory_versions SET version = version + 1 WHERE store_id IN (OLD.store_id, NEW.store_id);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER listings_inventory_delete AFTER DELETE ON listings
BEGIN
    UPDATE inventory_versions SET version = version + 1 WHERE store_id = OLD.store_id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER listings_inventory_update AFTER UPDATE ON listings
WHEN OLD.store_id IS NOT NEW.store_id OR OLD.etsy_listing_id IS NOT NEW.etsy_listing_id OR OLD.title IS NOT NEW.title
    OR OLD.state IS NOT NEW.state OR OLD.gone IS NOT NEW.gone OR OLD.low_stock_threshold IS NOT NEW.low_stock_threshold
    OR OLD.etsy_created_at IS NOT NEW.etsy_created_at OR OLD.stockroom_deactivated IS NOT NEW.stockroom_deactivated
BEGIN
    UPDATE inventory_versions SET version = version + 1 WHERE store_id IN (OLD.store_id, NEW.store_id);
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER listings_inventory_update;
DROP TRIGGER listings_inventory_delete;
DROP TRIGGER products_inventory_update;
DROP TRIGGER products_inventory_delete;
DROP TRIGGER offerings_inventory_update;
DROP TRIGGER offerings_inventory_delete;
DROP TRIGGER offerings_inventory_insert;
DROP TRIGGER stores_inventory_version;
DROP TABLE inventory_versions;
