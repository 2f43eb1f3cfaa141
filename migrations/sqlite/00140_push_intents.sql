-- push_intents: what a push is about to write to a listing, recorded before
-- the write is sent and forgotten once its outcome is recorded. A write
-- whose answer was lost may have landed; whichever push of the listing
-- comes next (the same job's retry, another job, another process) reads it
-- to tell, so a write that landed is never applied again. One per listing:
-- pushes of a listing take turns (its lease).

-- +goose Up
CREATE TABLE push_intents (
    store_id        BIGINT NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    etsy_listing_id BIGINT NOT NULL,
    intent          TEXT   NOT NULL,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (store_id, etsy_listing_id)
);

-- +goose Down
DROP TABLE push_intents;
