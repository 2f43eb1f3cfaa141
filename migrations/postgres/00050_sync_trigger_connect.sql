-- A shop's first sync after connecting is recorded as such ('connect'),
-- not as one a person asked for ('manual').

-- +goose Up
ALTER TABLE sync_runs DROP CONSTRAINT sync_runs_trigger_check;
ALTER TABLE sync_runs ADD CONSTRAINT sync_runs_trigger_check
    CHECK (trigger IN ('schedule', 'manual', 'webhook', 'edit', 'connect'));

-- +goose Down
UPDATE sync_runs SET trigger = 'manual' WHERE trigger = 'connect';
ALTER TABLE sync_runs DROP CONSTRAINT sync_runs_trigger_check;
ALTER TABLE sync_runs ADD CONSTRAINT sync_runs_trigger_check
    CHECK (trigger IN ('schedule', 'manual', 'webhook', 'edit'));
