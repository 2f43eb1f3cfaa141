-- WhatsApp as a third alert channel: an account gives the number its
-- alerts go to and turns the channel on. SQLite cannot change the CHECK
-- on deliveries.channel, so that table is rebuilt with the same columns
-- (digest last, as it was added) and indexes.

-- +goose Up
ALTER TABLE accounts ADD COLUMN whatsapp_number TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN notify_whatsapp INTEGER NOT NULL DEFAULT 0;
CREATE TABLE deliveries_new (
    id          INTEGER PRIMARY KEY,
    alert_id    BIGINT  NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
    account_id  BIGINT  NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    channel     TEXT    NOT NULL CHECK (channel IN ('email', 'telegram', 'whatsapp')),
    status      TEXT    NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'retrying', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT    NOT NULL DEFAULT '',
    created_at  BIGINT  NOT NULL,
    sent_at     BIGINT  NOT NULL DEFAULT 0,
    digest      INTEGER NOT NULL DEFAULT 0,
    UNIQUE (alert_id, account_id, channel)
);
INSERT INTO deliveries_new (id, alert_id, account_id, channel, status, attempts, last_error, created_at, sent_at, digest)
    SELECT id, alert_id, account_id, channel, status, attempts, last_error, created_at, sent_at, digest FROM deliveries;
DROP TABLE deliveries;
ALTER TABLE deliveries_new RENAME TO deliveries;
CREATE INDEX deliveries_digest_waiting ON deliveries(account_id, channel) WHERE digest = 1 AND status IN ('queued', 'retrying');
CREATE INDEX deliveries_alert ON deliveries(alert_id);

-- +goose Down
DELETE FROM deliveries WHERE channel = 'whatsapp';
CREATE TABLE deliveries_old (
    id          INTEGER PRIMARY KEY,
    alert_id    BIGINT  NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
    account_id  BIGINT  NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    channel     TEXT    NOT NULL CHECK (channel IN ('email', 'telegram')),
    status      TEXT    NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'retrying', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT    NOT NULL DEFAULT '',
    created_at  BIGINT  NOT NULL,
    sent_at     BIGINT  NOT NULL DEFAULT 0,
    digest      INTEGER NOT NULL DEFAULT 0,
    UNIQUE (alert_id, account_id, channel)
);
INSERT INTO deliveries_old (id, alert_id, account_id, channel, status, attempts, last_error, created_at, sent_at, digest)
    SELECT id, alert_id, account_id, channel, status, attempts, last_error, created_at, sent_at, digest FROM deliveries;
DROP TABLE deliveries;
ALTER TABLE deliveries_old RENAME TO deliveries;
CREATE INDEX deliveries_digest_waiting ON deliveries(account_id, channel) WHERE digest = 1 AND status IN ('queued', 'retrying');
CREATE INDEX deliveries_alert ON deliveries(alert_id);
ALTER TABLE accounts DROP COLUMN notify_whatsapp;
ALTER TABLE accounts DROP COLUMN whatsapp_number;
