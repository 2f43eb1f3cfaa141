-- Admin status belongs to the key of a session (STOCKROOM_ADMIN_KEYS), not
-- to an account: the flag that once recorded "an admin key signed in here"
-- made every key of such an account admin, including a key squatted onto
-- it. Nothing reads it now; clear what it recorded.

-- +goose Up
UPDATE accounts SET is_admin = FALSE;

-- +goose Down
SELECT 1;
