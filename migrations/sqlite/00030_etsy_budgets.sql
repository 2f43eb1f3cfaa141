-- Each Etsy rate-limit key's day budget, shared by every server process on
-- this database: a call is reserved here before it is sent, so workers and
-- processes together never send more than the day allows. remaining already
-- counts calls in flight; in_flight lets an answer's header figure be lowered
-- by the calls Etsy may not have counted yet. known is 0 until an answer
-- carried Etsy's limit headers. reserved_seq numbers reservations, so an
-- answer can tell whether it is the only call since its own reservation and
-- its figure is exact, or may be older than calls already counted and can
-- only lower the figure. Times are epoch milliseconds.

-- +goose Up
CREATE TABLE etsy_budgets (
    rate_key    TEXT    NOT NULL PRIMARY KEY,
    known       INTEGER NOT NULL DEFAULT 0,
    per_day     INTEGER NOT NULL DEFAULT 0,
    remaining   INTEGER NOT NULL DEFAULT 0,
    in_flight   INTEGER NOT NULL DEFAULT 0,
    reserved_at BIGINT  NOT NULL DEFAULT 0,
    probed_at   BIGINT  NOT NULL DEFAULT 0,
    updated_at  BIGINT  NOT NULL DEFAULT 0,
    reserved_seq BIGINT NOT NULL DEFAULT 0
);

-- +goose Down
DROP TABLE etsy_budgets;
