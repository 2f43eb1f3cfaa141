-- WhatsApp as a third alert channel: an account gives the number its
-- alerts go to and turns the channel on.

-- +goose Up
ALTER TABLE accounts ADD COLUMN whatsapp_number TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN notify_whatsapp BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE deliveries DROP CONSTRAINT deliveries_channel_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_channel_check CHECK (channel IN ('email', 'telegram', 'whatsapp'));

-- +goose Down
DELETE FROM deliveries WHERE channel = 'whatsapp';
ALTER TABLE deliveries DROP CONSTRAINT deliveries_channel_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_channel_check CHECK (channel IN ('email', 'telegram'));
ALTER TABLE accounts DROP COLUMN notify_whatsapp;
ALTER TABLE accounts DROP COLUMN whatsapp_number;
