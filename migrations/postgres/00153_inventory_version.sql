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
--
-- The triggers are deferred to commit and move the version once per
-- transaction and store: a transaction takes the version row's lock only
-- when it has no other lock left to wait for, so writers that share
-- offerings cannot deadlock on it, and a 50,000-row sync updates the
-- version once, not 50,000 times.

-- +goose Up
CREATE TABLE inventory_versions (
    store_id BIGINT NOT NULL PRIMARY KEY REFERENCES stores(id) ON DELETE CASCADE,
    version  BIGINT NOT NULL DEFAULT 0
);
INSERT INTO inventory_versions (store_id) SELECT id FROM stores;

-- +goose StatementBegin
CREATE FUNCTION add_inventory_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO inventory_versions (store_id) VALUES (NEW.id);
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER stores_inventory_version AFTER INSERT ON stores
    FOR EACH ROW EXECUTE FUNCTION add_inventory_version();

-- +goose StatementBegin
CREATE FUNCTION bump_inventory_version() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE CONSTRAINT TRIGGER offerings_inventory_write AFTER INSERT OR DELETE ON offerings
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_inventory_version();
CREATE CONSTRAINT TRIGGER offerings_inventory_update AFTER UPDATE ON offerings
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (OLD.version IS DISTINCT FROM NEW.version OR OLD.store_id IS DISTINCT FROM NEW.store_id
        OR OLD.product_id IS DISTINCT FROM NEW.product_id OR OLD.quantity IS DISTINCT FROM NEW.quantity
        OR OLD.desired_quantity IS DISTINCT FROM NEW.desired_quantity OR OLD.desired_version IS DISTINCT FROM NEW.desired_version
        OR OLD.pushed_version IS DISTINCT FROM NEW.pushed_version OR OLD.currency IS DISTINCT FROM NEW.currency
        OR OLD.low_stock_threshold IS DISTINCT FROM NEW.low_stock_threshold)
    EXECUTE FUNCTION bump_inventory_version();

CREATE CONSTRAINT TRIGGER products_inventory_delete AFTER DELETE ON products
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_inventory_version();
CREATE CONSTRAINT TRIGGER products_inventory_update AFTER UPDATE ON products
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (OLD.store_id IS DISTINCT FROM NEW.store_id OR OLD.listing_id IS DISTINCT FROM NEW.listing_id
        OR OLD.sku IS DISTINCT FROM NEW.sku OR OLD.variation IS DISTINCT FROM NEW.variation
        OR OLD.etsy_product_id IS DISTINCT FROM NEW.etsy_product_id OR OLD.gone IS DISTINCT FROM NEW.gone)
    EXECUTE FUNCTION bump_inventory_version();

CREATE CONSTRAINT TRIGGER listings_inventory_delete AFTER DELETE ON listings
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_inventory_version();
CREATE CONSTRAINT TRIGGER listings_inventory_update AFTER UPDATE ON listings
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (OLD.store_id IS DISTINCT FROM NEW.store_id OR OLD.etsy_listing_id IS DISTINCT FROM NEW.etsy_listing_id
        OR OLD.title IS DISTINCT FROM NEW.title OR OLD.state IS DISTINCT FROM NEW.state OR OLD.gone IS DISTINCT FROM NEW.gone
        OR OLD.low_stock_threshold IS DISTINCT FROM NEW.low_stock_threshold
        OR OLD.etsy_created_at IS DISTINCT FROM NEW.etsy_created_at
        OR OLD.stockroom_deactivated IS DISTINCT FROM NEW.stockroom_deactivated)
    EXECUTE FUNCTION bump_inventory_version();

-- +goose Down
DROP TRIGGER listings_inventory_update ON listings;
DROP TRIGGER listings_inventory_delete ON listings;
DROP TRIGGER products_inventory_update ON products;
DROP TRIGGER products_inventory_delete ON products;
DROP TRIGGER offerings_inventory_update ON offerings;
DROP TRIGGER offerings_inventory_write ON offerings;
DROP FUNCTION bump_inventory_version();
DROP TRIGGER stores_inventory_version ON stores;
DROP FUNCTION add_inventory_version();
DROP TABLE inventory_versions;
