-- Each offering, product and listing records, in inventory_stamp, the
-- store's inventory version of the last write a reader sees (the same
-- writes that move the version), and inventory_versions.removed moves
-- whenever a row leaves the store. A reader holding a store's rows as of
-- a version then reads only the rows stamped after it (a stock edit
-- touches one of a shop's 50,000) instead of every one again; a removal,
-- which leaves no row to stamp, sends it back to a full read.
-- SQLite runs one writer at a time, so a write in progress while a reader
-- reads the version is stamped past it: a reader at version V reads the
-- rows stamped V+1 or later.
-- SQLite cannot set NEW in a trigger: the stamp is a second update of the
-- row just written, by id. The triggers below replace 00153's, same
-- conditions; an update of the stamp alone matches none of them.

-- +goose Up
ALTER TABLE offerings ADD COLUMN inventory_stamp BIGINT NOT NULL DEFAULT 0;
ALTER TABLE products ADD COLUMN inventory_stamp BIGINT NOT NULL DEFAULT 0;
ALTER TABLE listings ADD COLUMN inventory_stamp BIGINT NOT NULL DEFAULT 0;
ALTER TABLE inventory_versions ADD COLUMN removed BIGINT NOT NULL DEFAULT 0;
CREATE INDEX offerings_inventory_stamp ON offerings (store_id, inventory_stamp);
CREATE INDEX products_inventory_stamp ON products (store_id, inventory_stamp);
CREATE INDEX listings_inventory_stamp ON listings (store_id, inventory_stamp);

DROP TRIGGER offerings_inventory_insert;
DROP TRIGGER offerings_inventory_delete;
DROP TRIGGER offerings_inventory_update;
DROP TRIGGER products_inventory_delete;
DROP TRIGGER products_inventory_update;
DROP TRIGGER listings_inventory_delete;
DROP TRIGGER listings_inventory_update;

-- +goose StatementBegin
CREATE TRIGGER offerings_inventory_insert AFTER INSERT ON offerings
BEGIN
    UPDATE inventory_versions SET version = version + 1 WHERE store_id = NEW.store_id;
    UPDATE offerings SET inventory_stamp = (SELECT version FROM inventory_versions WHERE store_id = NEW.store_id)
    WHERE id = NEW.id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER offerings_inventory_delete AFTER DELETE ON offerings
BEGIN
    UPDATE inventory_versions SET version = version + 1, removed = removed + 1 WHERE store_id = OLD.store_id;
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
    UPDATE inventory_versions SET removed = removed + 1 WHERE store_id = OLD.store_id AND OLD.store_id IS NOT NEW.store_id;
    UPDATE offerings SET inventory_stamp = (SELECT version FROM inventory_versions WHERE store_id = NEW.store_id)
    WHERE id = NEW.id;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER products_inventory_delete AFTER DELETE ON products
BEGIN
    UPDATE inventory_versions SET version = version + 1, removed = removed + 1 WHERE store_id = OLD.store_id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER products_inventory_update AFTER UPDATE ON products
WHEN OLD.store_id IS NOT NEW.store_id OR OLD.listing_id IS NOT NEW.listing_id OR OLD.sku IS NOT NEW.sku
    OR OLD.variation IS NOT NEW.variation OR OLD.etsy_product_id IS NOT NEW.etsy_product_id OR OLD.gone IS NOT NEW.gone
BEGIN
    UPDATE inventory_versions SET version = version + 1 WHERE store_id IN (OLD.store_id, NEW.store_id);
    UPDATE inventory_versions SET removed = removed + 1 WHERE store_id = OLD.store_id AND OLD.store_id IS NOT NEW.store_id;
    UPDATE products SET inventory_stamp = (SELECT version FROM inventory_versions WHERE store_id = NEW.store_id)
    WHERE id = NEW.id;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER listings_inventory_delete AFTER DELETE ON listings
BEGIN
    UPDATE inventory_versions SET version = version + 1, removed = removed + 1 WHERE store_id = OLD.store_id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER listings_inventory_update AFTER UPDATE ON listings
WHEN OLD.store_id IS NOT NEW.store_id OR OLD.etsy_listing_id IS NOT NEW.etsy_listing_id OR OLD.title IS NOT NEW.title
    OR OLD.state IS NOT NEW.state OR OLD.gone IS NOT NEW.gone OR OLD.low_stock_threshold IS NOT NEW.low_stock_threshold
    OR OLD.etsy_created_at IS NOT NEW.etsy_created_at OR OLD.stockroom_deactivated IS NOT NEW.stockroom_deactivated
BEGIN
    UPDATE inventory_versions SET version = version + 1 WHERE store_id IN (OLD.store_id, NEW.store_id);
    UPDATE inventory_versions SET removed = removed + 1 WHERE store_id = OLD.store_id AND OLD.store_id IS NOT NEW.store_id;
    UPDATE listings SET inventory_stamp = (SELECT version FROM inventory_versions WHERE store_id = NEW.store_id)
    WHERE id = NEW.id;
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

DROP INDEX listings_inventory_stamp;
DROP INDEX products_inventory_stamp;
DROP INDEX offerings_inventory_stamp;
ALTER TABLE inventory_versions DROP COLUMN removed;
ALTER TABLE listings DROP COLUMN inventory_stamp;
ALTER TABLE products DROP COLUMN inventory_stamp;
ALTER TABLE offerings DROP COLUMN inventory_stamp;
