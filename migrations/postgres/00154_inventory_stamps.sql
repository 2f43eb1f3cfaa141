-- Each offering, product and listing records, in inventory_stamp, which
-- transaction last wrote it in a way a reader sees (the writes that move
-- the store's inventory version), and inventory_versions.removed moves
-- whenever a row leaves the store. A reader holding a store's rows then
-- reads only the rows stamped since (a stock edit touches one of a shop's
-- 50,000) instead of every one again; a removal, which leaves no row to
-- stamp, sends it back to a full read.
--
-- The version moves at commit (00153), so it cannot stamp a row without
-- writing it twice. The stamp is the writing transaction's id, set before
-- the row is written: a reader notes its snapshot's xmin before reading
-- the rows, and every transaction whose writes that read did not see has
-- an id at or past it (it was running then, or started later), so the
-- rows stamped at or past that xmin are all the read may lack.

-- +goose Up
ALTER TABLE offerings ADD COLUMN inventory_stamp BIGINT NOT NULL DEFAULT 0;
ALTER TABLE products ADD COLUMN inventory_stamp BIGINT NOT NULL DEFAULT 0;
ALTER TABLE listings ADD COLUMN inventory_stamp BIGINT NOT NULL DEFAULT 0;
ALTER TABLE inventory_versions ADD COLUMN removed BIGINT NOT NULL DEFAULT 0;
CREATE INDEX offerings_inventory_stamp ON offerings (store_id, inventory_stamp);
CREATE INDEX products_inventory_stamp ON products (store_id, inventory_stamp);
CREATE INDEX listings_inventory_stamp ON listings (store_id, inventory_stamp);

-- +goose StatementBegin
CREATE FUNCTION stamp_inventory() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.inventory_stamp := pg_current_xact_id()::text::bigint;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd

-- The same conditions as the version's triggers (00153).
CREATE TRIGGER offerings_inventory_stamp_insert BEFORE INSERT ON offerings
    FOR EACH ROW EXECUTE FUNCTION stamp_inventory();
CREATE TRIGGER offerings_inventory_stamp BEFORE UPDATE ON offerings
    FOR EACH ROW
    WHEN (OLD.version IS DISTINCT FROM NEW.version OR OLD.store_id IS DISTINCT FROM NEW.store_id
        OR OLD.product_id IS DISTINCT FROM NEW.product_id OR OLD.quantity IS DISTINCT FROM NEW.quantity
        OR OLD.desired_quantity IS DISTINCT FROM NEW.desired_quantity OR OLD.desired_version IS DISTINCT FROM NEW.desired_version
        OR OLD.pushed_version IS DISTINCT FROM NEW.pushed_version OR OLD.currency IS DISTINCT FROM NEW.currency
        OR OLD.low_stock_threshold IS DISTINCT FROM NEW.low_stock_threshold)
    EXECUTE FUNCTION stamp_inventory();
CREATE TRIGGER products_inventory_stamp BEFORE UPDATE ON products
    FOR EACH ROW
    WHEN (OLD.store_id IS DISTINCT FROM NEW.store_id OR OLD.listing_id IS DISTINCT FROM NEW.listing_id
        OR OLD.sku IS DISTINCT FROM NEW.sku OR OLD.variation IS DISTINCT FROM NEW.variation
        OR OLD.etsy_product_id IS DISTINCT FROM NEW.etsy_product_id OR OLD.gone IS DISTINCT FROM NEW.gone)
    EXECUTE FUNCTION stamp_inventory();
CREATE TRIGGER listings_inventory_stamp BEFORE UPDATE ON listings
    FOR EACH ROW
    WHEN (OLD.store_id IS DISTINCT FROM NEW.store_id OR OLD.etsy_listing_id IS DISTINCT FROM NEW.etsy_listing_id
        OR OLD.title IS DISTINCT FROM NEW.title OR OLD.state IS DISTINCT FROM NEW.state OR OLD.gone IS DISTINCT FROM NEW.gone
        OR OLD.low_stock_threshold IS DISTINCT FROM NEW.low_stock_threshold
        OR OLD.etsy_created_at IS DISTINCT FROM NEW.etsy_created_at
        OR OLD.stockroom_deactivated IS DISTINCT FROM NEW.stockroom_deactivated)
    EXECUTE FUNCTION stamp_inventory();

-- 00153's bump, now also moving removed on a delete or a row moved to
-- another store, once per transaction and store like the version.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION bump_inventory_version() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    sid BIGINT;
BEGIN
    IF TG_OP = 'DELETE' THEN
        sid := OLD.store_id;
    ELSE
        sid := NEW.store_id;
    END IF;
    IF TG_OP = 'DELETE' THEN
        IF current_setting('stockroom.inventory_removed_' || sid, true) IS DISTINCT FROM 'yes' THEN
            UPDATE inventory_versions SET version = version + 1, removed = removed + 1 WHERE store_id = sid;
            PERFORM set_config('stockroom.inventory_removed_' || sid, 'yes', true);
            PERFORM set_config('stockroom.inventory_bumped_' || sid, 'yes', true);
        END IF;
    ELSIF current_setting('stockroom.inventory_bumped_' || sid, true) IS DISTINCT FROM 'yes' THEN
        UPDATE inventory_versions SET version = version + 1 WHERE store_id = sid;
        PERFORM set_config('stockroom.inventory_bumped_' || sid, 'yes', true);
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.store_id IS DISTINCT FROM NEW.store_id THEN
        UPDATE inventory_versions SET version = version + 1, removed = removed + 1 WHERE store_id = OLD.store_id;
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION bump_inventory_version() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    sid BIGINT;
BEGIN
    IF TG_OP = 'DELETE' THEN
        sid := OLD.store_id;
    ELSE
        sid := NEW.store_id;
    END IF;
    IF current_setting('stockroom.inventory_bumped_' || sid, true) IS DISTINCT FROM 'yes' THEN
        UPDATE inventory_versions SET version = version + 1 WHERE store_id = sid;
        PERFORM set_config('stockroom.inventory_bumped_' || sid, 'yes', true);
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.store_id IS DISTINCT FROM NEW.store_id THEN
        UPDATE inventory_versions SET version = version + 1 WHERE store_id = OLD.store_id;
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
DROP TRIGGER listings_inventory_stamp ON listings;
DROP TRIGGER products_inventory_stamp ON products;
DROP TRIGGER offerings_inventory_stamp ON offerings;
DROP TRIGGER offerings_inventory_stamp_insert ON offerings;
DROP FUNCTION stamp_inventory();
DROP INDEX listings_inventory_stamp;
DROP INDEX products_inventory_stamp;
DROP INDEX offerings_inventory_stamp;
ALTER TABLE inventory_versions DROP COLUMN removed;
ALTER TABLE listings DROP COLUMN inventory_stamp;
ALTER TABLE products DROP COLUMN inventory_stamp;
ALTER TABLE offerings DROP COLUMN inventory_stamp;
