-- Sales kept added up as receipts are written, so the home screen and the
-- report read a few indexed rows instead of summing every receipt line:
-- per store and UTC day (sales_days), per store, day and Etsy product
-- (sales_product_days), and per product over the days from the store's
-- sales_anchor_day on (sales_products: the recent window, moved forward a
-- day at a time by subtracting that day's product rows). Each row counts
-- its lines, so a row whose lines were all cancelled is known to be empty.
-- A line counts when its receipt is not voided, exactly as the sums over
-- receipt_items did; the write of a receipt page updates all three in its
-- transaction. The backfill sets the anchor to day 0: every line ever sold
-- is in sales_products until the first read moves it. sales_version moves
-- with every change of the sums, so a reader keeps what it read until it
-- does. In SQLite the sums are WITHOUT ROWID tables: a store's rows are
-- read in key order from the table itself.

-- +goose Up
ALTER TABLE stores ADD COLUMN sales_anchor_day BIGINT NOT NULL DEFAULT 0;
ALTER TABLE stores ADD COLUMN sales_version BIGINT NOT NULL DEFAULT 0;
CREATE TABLE sales_days (
    store_id BIGINT  NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    day      BIGINT  NOT NULL,
    units    BIGINT  NOT NULL,
    revenue  BIGINT  NOT NULL,
    lines    BIGINT  NOT NULL,
    PRIMARY KEY (store_id, day)
) WITHOUT ROWID;
CREATE TABLE sales_product_days (
    store_id        BIGINT NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    day             BIGINT NOT NULL,
    etsy_listing_id BIGINT NOT NULL,
    etsy_product_id BIGINT NOT NULL,
    sku             TEXT   NOT NULL,
    variation       TEXT   NOT NULL,
    units           BIGINT NOT NULL,
    revenue         BIGINT NOT NULL,
    lines           BIGINT NOT NULL,
    PRIMARY KEY (store_id, day, etsy_listing_id, etsy_product_id, sku, variation)
) WITHOUT ROWID;
CREATE TABLE sales_products (
    store_id        BIGINT NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    etsy_listing_id BIGINT NOT NULL,
    etsy_product_id BIGINT NOT NULL,
    sku             TEXT   NOT NULL,
    variation       TEXT   NOT NULL,
    units           BIGINT NOT NULL,
    revenue         BIGINT NOT NULL,
    lines           BIGINT NOT NULL,
    PRIMARY KEY (store_id, etsy_listing_id, etsy_product_id, sku, variation)
) WITHOUT ROWID;
INSERT INTO sales_days (store_id, day, units, revenue, lines)
    SELECT store_id, sold_at / 86400000, SUM(quantity),
        SUM(CAST(quantity AS BIGINT) * price_amount * 100 / CASE WHEN price_divisor > 0 THEN price_divisor ELSE 100 END), COUNT(*)
    FROM receipt_items WHERE voided = 0 GROUP BY store_id, sold_at / 86400000;
INSERT INTO sales_product_days (store_id, day, etsy_listing_id, etsy_product_id, sku, variation, units, revenue, lines)
    SELECT store_id, sold_at / 86400000, etsy_listing_id, etsy_product_id, sku, variation, SUM(quantity),
        SUM(CAST(quantity AS BIGINT) * price_amount * 100 / CASE WHEN price_divisor > 0 THEN price_divisor ELSE 100 END), COUNT(*)
    FROM receipt_items WHERE voided = 0 GROUP BY store_id, sold_at / 86400000, etsy_listing_id, etsy_product_id, sku, variation;
INSERT INTO sales_products (store_id, etsy_listing_id, etsy_product_id, sku, variation, units, revenue, lines)
    SELECT store_id, etsy_listing_id, etsy_product_id, sku, variation, SUM(units), SUM(revenue), SUM(lines)
    FROM sales_product_days GROUP BY store_id, etsy_listing_id, etsy_product_id, sku, variation;

-- +goose Down
DROP TABLE sales_products;
DROP TABLE sales_product_days;
DROP TABLE sales_days;
ALTER TABLE stores DROP COLUMN sales_version;
ALTER TABLE stores DROP COLUMN sales_anchor_day;
