-- What a push needs to keep Etsy at the seller's number minus what sold.
--
-- offerings.edit_kind: whether the pending edit is a count the seller set
-- ('set': sales since its base are taken off) or a change relative to
-- Etsy's count ('add'). base_at is when Etsy held base_quantity (epoch ms),
-- quantity_at when Stockroom last saw Etsy's count change.
--
-- listings.stockroom_deactivated: Stockroom deactivated the listing because
-- every variation reached 0; a push that gives it stock back activates it.
-- listings.push_waiting: a push job of the listing is queued and has not
-- started yet (at most one waits per listing).
--
-- push_windows: when a push read a listing's product and when Etsy answered
-- its write, with the product's id and count as read and the id and count
-- the write gave it. A sale made in between was overwritten by the write;
-- it is taken off Etsy's count once, and push_corrections remembers which
-- transactions were (and those a set already counted).

-- +goose Up
ALTER TABLE offerings ADD COLUMN edit_kind TEXT NOT NULL DEFAULT 'set';
ALTER TABLE offerings ADD COLUMN base_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE offerings ADD COLUMN quantity_at BIGINT NOT NULL DEFAULT 0;
UPDATE offerings SET quantity_at = updated_at, base_at = updated_at;
ALTER TABLE listings ADD COLUMN stockroom_deactivated INTEGER NOT NULL DEFAULT 0;
ALTER TABLE listings ADD COLUMN push_waiting INTEGER NOT NULL DEFAULT 0;

CREATE TABLE push_windows (
    id              INTEGER PRIMARY KEY,
    store_id        BIGINT NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    etsy_listing_id BIGINT NOT NULL,
    etsy_product_id BIGINT NOT NULL,
    product_key     TEXT   NOT NULL,
    read_at         BIGINT NOT NULL,
    wrote_at        BIGINT NOT NULL,
    read_qty        INTEGER NOT NULL,
    new_product_id  BIGINT NOT NULL DEFAULT 0,
    written_qty     INTEGER NOT NULL
);
CREATE INDEX push_windows_product ON push_windows(store_id, etsy_listing_id, etsy_product_id);
CREATE INDEX push_windows_new_product ON push_windows(store_id, etsy_listing_id, new_product_id);
CREATE INDEX push_windows_wrote ON push_windows(wrote_at);

CREATE TABLE push_corrections (
    store_id            BIGINT NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    etsy_transaction_id BIGINT NOT NULL,
    offering_id         BIGINT NOT NULL REFERENCES offerings(id) ON DELETE CASCADE,
    quantity            INTEGER NOT NULL,
    created_at          BIGINT NOT NULL,
    PRIMARY KEY (store_id, etsy_transaction_id)
);

-- +goose Down
DROP TABLE push_corrections;
DROP TABLE push_windows;
ALTER TABLE listings DROP COLUMN push_waiting;
ALTER TABLE listings DROP COLUMN stockroom_deactivated;
ALTER TABLE offerings DROP COLUMN quantity_at;
ALTER TABLE offerings DROP COLUMN base_at;
ALTER TABLE offerings DROP COLUMN edit_kind;
