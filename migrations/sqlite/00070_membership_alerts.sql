-- Each member of a store chooses whether its alerts reach them; the
-- channels (email, Telegram) are the account's own. Members of a store had
-- every alert until now, so the default keeps that.

-- +goose Up
ALTER TABLE memberships ADD COLUMN alerts INTEGER NOT NULL DEFAULT 1;

-- +goose Down
ALTER TABLE memberships DROP COLUMN alerts;
