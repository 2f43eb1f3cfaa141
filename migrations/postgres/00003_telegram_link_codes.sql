-- One-time codes that link an account to a Telegram chat: the account shows
-- the code, the seller sends it to the bot. Only a hash is kept, so a copy of
-- the database cannot link anyone's chat; one code per account at a time.

-- +goose Up
CREATE TABLE telegram_link_codes (
    account_id BIGINT NOT NULL PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    code_hash  TEXT   NOT NULL UNIQUE,
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

-- +goose Down
DROP TABLE telegram_link_codes;
