-- Alerts "runs out within N days": beside the threshold rule (stock at or
-- below a threshold), a store may alert when a variation's days of cover
-- (stock ÷ its units sold per day over the last 30 days) fall below
-- stores.runs_out_days (0: off). alerts.rule says which rule fired an
-- alert; each rule keeps at most one active alert per row, so the unique
-- index is per row and rule. A cover alert is stored with kind low_stock
-- (it is never about a sold-out row: out of stock is the threshold rule's)
-- and read back as the kind runs_out. cover_tenths is the days of cover
-- when it fired, in tenths of a day; threshold holds N. Adding columns and
-- swapping an index keeps the alerts table (and the deliveries pointing at
-- it) as it is: no rebuild.

-- +goose Up
ALTER TABLE stores ADD COLUMN runs_out_days INTEGER NOT NULL DEFAULT 7;
ALTER TABLE alerts ADD COLUMN rule TEXT NOT NULL DEFAULT 'threshold' CHECK (rule IN ('threshold', 'cover'));
ALTER TABLE alerts ADD COLUMN cover_tenths INTEGER NOT NULL DEFAULT 0;
DROP INDEX alerts_one_active;
CREATE UNIQUE INDEX alerts_one_active ON alerts(offering_id, rule) WHERE active = 1;

-- +goose Down
DELETE FROM deliveries WHERE alert_id IN (SELECT id FROM alerts WHERE rule = 'cover');
DELETE FROM alerts WHERE rule = 'cover';
DROP INDEX alerts_one_active;
CREATE UNIQUE INDEX alerts_one_active ON alerts(offering_id) WHERE active = 1;
ALTER TABLE alerts DROP COLUMN cover_tenths;
ALTER TABLE alerts DROP COLUMN rule;
ALTER TABLE stores DROP COLUMN runs_out_days;
