-- Which server process is alive: each process beats its row every few
-- seconds, so the work of one that died (its River jobs, its sync runs) is
-- recognised within seconds instead of after a long timeout. A sync run
-- names the process running it and the job that asked for it, so a dead
-- process's runs can be closed and `sync --wait` can follow its own run.

-- +goose Up
CREATE TABLE processes (
    id         TEXT   PRIMARY KEY,
    started_at BIGINT NOT NULL,
    seen_at    BIGINT NOT NULL
);
CREATE INDEX processes_seen ON processes(seen_at);

ALTER TABLE sync_runs ADD COLUMN process TEXT NOT NULL DEFAULT '';
ALTER TABLE sync_runs ADD COLUMN job_id BIGINT NOT NULL DEFAULT 0;
CREATE INDEX sync_runs_running ON sync_runs(result, process);
CREATE INDEX sync_runs_job ON sync_runs(job_id);

-- +goose Down
DROP INDEX sync_runs_job;
DROP INDEX sync_runs_running;
ALTER TABLE sync_runs DROP COLUMN job_id;
ALTER TABLE sync_runs DROP COLUMN process;
DROP TABLE processes;
