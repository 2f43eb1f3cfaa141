-- push_marks: whether a listing has a push job waiting (was
-- listings.push_waiting). An edit marks it after it has written its
-- offerings, a sync writes a listing before its offerings: a mark on the
-- listing row itself made the two lock the same rows in opposite orders,
-- and PostgreSQL broke the deadlock by failing one. The mark's own row is
-- locked by nothing that then locks an offering.

-- +goose Up
CREATE TABLE push_marks (
    listing_id BIGINT  NOT NULL PRIMARY KEY REFERENCES listings(id) ON DELETE CASCADE,
    waiting    INTEGER NOT NULL DEFAULT 0
);
INSERT INTO push_marks (listing_id, waiting) SELECT id, push_waiting FROM listings WHERE push_waiting > 0;
ALTER TABLE listings DROP COLUMN push_waiting;

-- +goose Down
ALTER TABLE listings ADD COLUMN push_waiting INTEGER NOT NULL DEFAULT 0;
UPDATE listings SET push_waiting = (SELECT waiting FROM push_marks WHERE push_marks.listing_id = listings.id)
    WHERE id IN (SELECT listing_id FROM push_marks);
DROP TABLE push_marks;
