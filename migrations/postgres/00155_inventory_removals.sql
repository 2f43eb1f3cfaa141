-- A removed offering leaves a tombstone (inventory_removals) stamped as a
-- written row is (00154: the removing transaction's id): a reader holding
-- a store's rows drops the ones removed since instead of reading all
-- 50,000 again. Only a row moved to another store (which never happens in
-- practice) still moves inventory_versions.removed. A product or listing
-- removed removes its offerings (ON DELETE CASCADE), whose triggers leave
-- their tombstones.
--
-- Tombstones are pruned once they are ten million transactions old, once
-- per removing transaction and store, at commit with the version's bump:
-- the store's removals_pruned says below which stamp they may be gone,
-- and a reader holding rows from before it reads every row again. The
-- tombstones and removals_pruned move in one transaction, so a reader
-- reading both in one statement never misses one it needs.
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

-- +goose StatementBegin
CREATE FUNCTION record_inventory_removal() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO inventory_removals (store_id, stamp, offering_id)
    SELECT store_id, pg_current_xact_id()::text::bigint, OLD.id FROM inventory_versions WHERE store_id = OLD.store_id;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER offerings_inventory_removal AFTER DELETE ON offerings
    FOR EACH ROW EXECUTE FUNCTION record_inventory_removal();

-- +goose StatementBegin
CREATE FUNCTION drop_inventory_removals() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM inventory_removals WHERE store_id = OLD.store_id;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER inventory_versions_removals AFTER DELETE ON inventory_versions
    FOR EACH ROW EXECUTE FUNCTION drop_inventory_removals();

-- 00154's bump: a delete no longer moves removed (its tombstone tells),
-- and prunes the store's old tombstones once per transaction.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION bump_inventory_version() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    sid BIGINT;
    horizon BIGINT;
BEGIN
    IF TG_OP = 'DELETE' THEN
        sid := OLD.store_id;
    ELSE
        sid := NEW.store_id;
    END IF;
    IF TG_OP = 'DELETE' THEN
        IF current_setting('stockroom.inventory_removed_' || sid, true) IS DISTINCT FROM 'yes' THEN
            horizon := pg_current_xact_id()::text::bigint - 10000000;
            DELETE FROM inventory_removals WHERE store_id = sid AND stamp < horizon;
            UPDATE inventory_versions SET version = version + 1, removals_pruned = GREATEST(removals_pruned, horizon)
            WHERE store_id = sid;
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
DROP TRIGGER inventory_versions_removals ON inventory_versions;
DROP FUNCTION drop_inventory_removals();
DROP TRIGGER offerings_inventory_removal ON offerings;
DROP FUNCTION record_inventory_removal();
ALTER TABLE inventory_versions DROP COLUMN removals_pruned;
DROP TABLE inventory_removals;
