-- The daily digest goes at an hour the account chooses, in its time
-- zone (an IANA name such as Europe/Berlin), rather than at midnight UTC.

-- +goose Up
ALTER TABLE accounts ADD COLUMN digest_hour INTEGER NOT NULL DEFAULT 8;
ALTER TABLE accounts ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';

-- +goose Down
ALTER TABLE accounts DROP COLUMN time_zone;
ALTER TABLE accounts DROP COLUMN digest_hour;
