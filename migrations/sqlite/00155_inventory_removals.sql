-- A removed offering leaves a tombstone (inventory_removals) stamped as a
-- written row is (00154): a reader holding a store's rows drops the ones
-- removed since instead of reading all 50,000 again. Only a row moved to
-- another store (which never happens in practice) still moves
-- inventory_versions.removed. A product or listing removed removes its
-- offerings (ON DELETE CASCADE), whose triggers leave their tombstones.
--
-- Tombstones are pruned once they are removals_window versions old: the
-- store's removals_pruned says below which stamp they may be gone, and a
-- reader holding rows from before it reads every row again. The window
-- is a million writes to the store (twenty full syncs of a 50,000-row
-- shop); the pruning is a range delete on the primary key, which finds
-- nothing on almost every removal.
-- A store removed takes its tombstones with its version row; a tombstone
-- is written only while that row exists, so none outlives it.

-- +goose Up
CREATE TABLE inventory_removals (
    store_id    BIGINT NOT NULL,
    stamp       BIGINT NOT NULL,
    offering_id BIGINT NOT NULL,
    PRIMARY KEY (store_id, stamp, offering_id)
);
ALTER TABLE inventory_versions ADD COLUMN removals_pruned BIGINT NOT NULL DEFAULT 0;

DROP TRIGGER offerings_inventory_delete;
DROP TRIGGER products_inventory_delete;
DROP TRIGGER listings_inventory_delete;

-- +goose StatementBegin
CREATE TRIGGER offerings_inventory_delete AFTER DELETE ON offerings
BEGIN
    UPDATE inventory_versions SET version = version + 1, removals_pruned = MAX(removals_pruned, version + 1 - 1000000)
    WHERE store_id = OLD.store_id;
    INSERT INTO inventory_removals (store_id, stamp, offering_id)
    SELECT store_id, version, OLD.id FROM inventory_versions WHERE store_id = OLD.store_id;
    DELETE FROM inventory_removals WHERE store_id = OLD.store_id
        AND stamp < (SELECT removals_pruned FROM inventory_versions WHERE store_id = OLD.store_id);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER products_inventory_delete AFTER DELETE ON products
BEGIN
    UPDATE inventory_versions SET version = version + 1 WHERE store_id = OLD.store_id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER listings_inventory_delete AFTER DELETE ON listings
BEGIN
    UPDATE inventory_versions SET version = version + 1 WHERE store_id = OLD.store_id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER inventory_versions_removals AFTER DELETE ON inventory_versions
BEGIN
    DELETE FROM inventory_removals WHERE store_id = OLD.store_id;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER inventory_versions_removals;
DROP TRIGGER listings_inventory_delete;
DROP TRIGGER products_inventory_delete;
DROP TRIGGER offerings_inventory_delete;

-- +goose StatementBegin
CREATE TRIGGER offerings_inventory_delete AFTER DELETE ON offerings
BEGIN
    UPDATE inventory_versions SET version = version + 1, removed = removed + 1 WHERE store_id = OLD.store_id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER products_inventory_delete AFTER DELETE ON products
BEGIN
    UPDATE inventory_versions SET version = version + 1, removed = removed + 1 WHERE store_id = OLD.store_id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER listings_inventory_delete AFTER DELETE ON listings
BEGIN
    UPDATE inventory_versions SET version = version + 1, removed = removed + 1 WHERE store_id = OLD.store_id;
END;
-- +goose StatementEnd

ALTER TABLE inventory_versions DROP COLUMN removals_pruned;
DROP TABLE inventory_removals;
