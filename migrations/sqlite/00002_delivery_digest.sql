-- A delivery is either sent on its own by a job of its own or waits for the
-- account's daily digest; the choice is made when the alert fires, so an
-- account switching modes never gets one alert both ways.

-- +goose Up
ALTER TABLE deliveries ADD COLUMN digest INTEGER NOT NULL DEFAULT 0;
CREATE INDEX deliveries_digest_waiting ON deliveries(account_id, channel) WHERE digest = 1 AND status IN ('queued', 'retrying');
CREATE INDEX deliveries_alert ON deliveries(alert_id);

-- +goose Down
DROP INDEX deliveries_alert;
DROP INDEX deliveries_digest_waiting;
ALTER TABLE deliveries DROP COLUMN digest;
