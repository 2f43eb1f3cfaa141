-- One-time codes: a key link (a signed-in account lets a new key join it),
-- an account invite (an admin lets a person sign up on a closed server) and a
-- store invite (an owner lets a person join a store with a role). Only the
-- SHA-256 of a code is kept, so a copy of the database redeems nothing. A
-- code is spent by setting used_at in the same transaction as what it grants.

-- +goose Up
CREATE TABLE codes (
    id         INTEGER PRIMARY KEY,
    kind       TEXT   NOT NULL CHECK (kind IN ('key_link', 'account_invite', 'store_invite')),
    code_hash  TEXT   NOT NULL UNIQUE,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    store_id   BIGINT REFERENCES stores(id) ON DELETE CASCADE,
    role       TEXT   CHECK (role IN ('owner', 'manager', 'viewer')),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT NOT NULL DEFAULT 0,
    used_by    BIGINT REFERENCES accounts(id) ON DELETE SET NULL,
    revoked_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX codes_account ON codes(account_id);
CREATE INDEX codes_store ON codes(store_id);

-- +goose Down
DROP TABLE codes;
