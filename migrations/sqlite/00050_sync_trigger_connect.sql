-- A shop's first sync after connecting is recorded as such ('connect'),
-- not as one a person asked for ('manual'). SQLite cannot change a CHECK
-- constraint, so the table is rebuilt with the same columns and index.

-- +goose Up
CREATE TABLE sync_runs_new (
    id               INTEGER PRIMARY KEY,
    store_id         BIGINT  NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    kind             TEXT    NOT NULL CHECK (kind IN ('full', 'incremental', 'reconcile', 'push')),
    trigger          TEXT    NOT NULL CHECK (trigger IN ('schedule', 'manual', 'webhook', 'edit', 'connect')),
    result           TEXT    NOT NULL DEFAULT 'running' CHECK (result IN ('running', 'ok', 'failed')),
    started_at       BIGINT  NOT NULL,
    finished_at      BIGINT  NOT NULL DEFAULT 0,
    listings_changed INTEGER NOT NULL DEFAULT 0,
    receipts_changed INTEGER NOT NULL DEFAULT 0,
    api_calls        INTEGER NOT NULL DEFAULT 0,
    error            TEXT    NOT NULL DEFAULT '',
    process          TEXT    NOT NULL DEFAULT '',
    job_id           BIGINT  NOT NULL DEFAULT 0
);
INSERT INTO sync_runs_new (id, store_id, kind, trigger, result, started_at, finished_at, listings_changed, receipts_changed, api_calls, error, process, job_id)
    SELECT id, store_id, kind, trigger, result, started_at, finished_at, listings_changed, receipts_changed, api_calls, error,
           process, job_id FROM sync_runs;
DROP TABLE sync_runs;
ALTER TABLE sync_runs_new RENAME TO sync_runs;
CREATE INDEX sync_runs_store_started ON sync_runs(store_id, started_at DESC);
CREATE INDEX sync_runs_running ON sync_runs(result, process);
CREATE INDEX sync_runs_job ON sync_runs(job_id);

-- +goose Down
CREATE TABLE sync_runs_old (
    id               INTEGER PRIMARY KEY,
    store_id         BIGINT  NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    kind             TEXT    NOT NULL CHECK (kind IN ('full', 'incremental', 'reconcile', 'push')),
    trigger          TEXT    NOT NULL CHECK (trigger IN ('schedule', 'manual', 'webhook', 'edit')),
    result           TEXT    NOT NULL DEFAULT 'running' CHECK (result IN ('running', 'ok', 'failed')),
    started_at       BIGINT  NOT NULL,
    finished_at      BIGINT  NOT NULL DEFAULT 0,
    listings_changed INTEGER NOT NULL DEFAULT 0,
    receipts_changed INTEGER NOT NULL DEFAULT 0,
    api_calls        INTEGER NOT NULL DEFAULT 0,
    error            TEXT    NOT NULL DEFAULT '',
    process          TEXT    NOT NULL DEFAULT '',
    job_id           BIGINT  NOT NULL DEFAULT 0
);
INSERT INTO sync_runs_old (id, store_id, kind, trigger, result, started_at, finished_at, listings_changed, receipts_changed, api_calls, error, process, job_id)
    SELECT id, store_id, kind, CASE trigger WHEN 'connect' THEN 'manual' ELSE trigger END, result, started_at, finished_at,
           listings_changed, receipts_changed, api_calls, error, process, job_id FROM sync_runs;
DROP TABLE sync_runs;
ALTER TABLE sync_runs_old RENAME TO sync_runs;
CREATE INDEX sync_runs_store_started ON sync_runs(store_id, started_at DESC);
CREATE INDEX sync_runs_running ON sync_runs(result, process);
CREATE INDEX sync_runs_job ON sync_runs(job_id);
