-- offerings.set_at: when the seller last set the offering's count (ms). A
-- sale a push overwrote is not taken off again when the seller typed a set
-- after it: the seller's count already leaves it out.

-- +goose Up
ALTER TABLE offerings ADD COLUMN set_at BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE offerings DROP COLUMN set_at;
