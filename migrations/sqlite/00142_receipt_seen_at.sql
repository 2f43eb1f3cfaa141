-- receipts.seen_at: when Stockroom first had the receipt from Etsy (ms; 0:
-- not known). Its sale was made before then, so a count Etsy held later
-- already has it: Etsy's whole seconds alone cannot tell a sale just before
-- a count was read from one just after.

-- +goose Up
ALTER TABLE receipts ADD COLUMN seen_at BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE receipts DROP COLUMN seen_at;
