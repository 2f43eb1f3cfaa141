-- Attempts to redeem a one-time code, counted in the database so every
-- replica shares the per-key and per-address limits. A bucket is "key:" and
-- a key fingerprint, or "ip:" and an address; rows older than the limits'
-- window are dropped as attempts are added.

-- +goose Up
CREATE TABLE code_attempts (
    id         INTEGER PRIMARY KEY,
    bucket     TEXT   NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX code_attempts_bucket ON code_attempts(bucket, created_at);
CREATE INDEX code_attempts_created ON code_attempts(created_at);

-- +goose Down
DROP TABLE code_attempts;
