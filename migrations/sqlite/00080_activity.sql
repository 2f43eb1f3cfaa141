-- The activity ledger: every change to a store (stock, thresholds, settings,
-- connection) and to an account (keys, admin actions), append-only. A row is
-- never updated (a trigger refuses it); rows are deleted only by the
-- operator's retention prune. Stock rows carry the desired version the edit
-- created, which links them to the push that took it to Etsy, and undo rows
-- name the row they undo.
--
-- stock_events stays: it is the row-level quantity trace that the sync, the
-- push worker and the inventory's history read. Its rows are copied here so
-- the ledger starts with the store's whole past.

-- +goose Up
CREATE TABLE activity (
    id          INTEGER PRIMARY KEY,
    store_id    BIGINT  REFERENCES stores(id) ON DELETE CASCADE,
    account_id  BIGINT,
    actor_id    BIGINT,
    actor_key   TEXT    NOT NULL DEFAULT '',
    actor       TEXT    NOT NULL DEFAULT '',
    source      TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    offering_id BIGINT,
    subject     TEXT    NOT NULL DEFAULT '',
    title       TEXT    NOT NULL DEFAULT '',
    before_text TEXT    NOT NULL DEFAULT '',
    after_text  TEXT    NOT NULL DEFAULT '',
    before_qty  INTEGER NOT NULL DEFAULT 0,
    after_qty   INTEGER NOT NULL DEFAULT 0,
    version     BIGINT  NOT NULL DEFAULT 0,
    batch_id    TEXT    NOT NULL DEFAULT '',
    undo_of     BIGINT  NOT NULL DEFAULT 0,
    note        TEXT    NOT NULL DEFAULT '',
    created_at  BIGINT  NOT NULL
);
CREATE INDEX activity_store ON activity(store_id, id);
CREATE INDEX activity_account ON activity(account_id, id);
CREATE INDEX activity_offering ON activity(offering_id, id);
-- The pushes alone, to find the one that carried an edit to Etsy.
CREATE INDEX activity_push ON activity(offering_id, id) WHERE kind IN ('stock.pushed', 'stock.push_failed');
CREATE INDEX activity_batch ON activity(batch_id) WHERE batch_id <> '';
CREATE INDEX activity_created ON activity(created_at);
-- The admin ledger: every admin action, across accounts and stores.
CREATE INDEX activity_admin ON activity(id) WHERE source = 'admin';

-- +goose StatementBegin
CREATE TRIGGER activity_append_only BEFORE UPDATE ON activity
BEGIN
    SELECT RAISE(ABORT, 'activity is append-only');
END;
-- +goose StatementEnd

INSERT INTO activity (store_id, actor_id, actor, source, kind, offering_id, subject, title,
        before_text, after_text, before_qty, after_qty, note, created_at)
SELECT e.store_id, e.account_id,
       CASE WHEN e.source IN ('sync', 'sale') THEN 'Etsy' WHEN e.source = 'push' THEN 'sync' ELSE '' END,
       e.source,
       CASE e.source WHEN 'push' THEN 'stock.pushed' WHEN 'sync' THEN 'stock.sync' WHEN 'sale' THEN 'stock.sync' ELSE 'stock.set' END,
       e.offering_id, p.sku, l.title || CASE WHEN p.variation <> '' THEN ' (' || p.variation || ')' ELSE '' END,
       CAST(e.before_qty AS TEXT), CAST(e.after_qty AS TEXT), e.before_qty, e.after_qty, e.note, e.created_at
FROM stock_events e
JOIN offerings o ON o.id = e.offering_id
JOIN products p ON p.id = o.product_id
JOIN listings l ON l.id = p.listing_id
ORDER BY e.created_at, e.id;

-- +goose Down
DROP TABLE activity;
