-- Alerts that can be handled: a member acknowledges an alert (it stays
-- listed, marked as seen by them) or snoozes it for a while or until the
-- row is restocked (it leaves the active list until then). The state is
-- the alert's own, so it survives restarts and every member sees it.

-- +goose Up
ALTER TABLE alerts ADD COLUMN acked_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE alerts ADD COLUMN acked_by BIGINT NOT NULL DEFAULT 0;
ALTER TABLE alerts ADD COLUMN snoozed_until BIGINT NOT NULL DEFAULT 0;
ALTER TABLE alerts ADD COLUMN snooze_restock INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE alerts DROP COLUMN snooze_restock;
ALTER TABLE alerts DROP COLUMN snoozed_until;
ALTER TABLE alerts DROP COLUMN acked_by;
ALTER TABLE alerts DROP COLUMN acked_at;
