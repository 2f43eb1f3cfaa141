-- Stockroom's schema. Times are epoch milliseconds (UTC) in BIGINT columns so
-- that SQLite and PostgreSQL share one query layer and one ordering rule; Etsy
-- itself speaks epoch seconds.

-- +goose Up
CREATE TABLE accounts (
    id              INTEGER PRIMARY KEY,
    name            TEXT    NOT NULL,
    email           TEXT    NOT NULL DEFAULT '',
    is_admin        INTEGER NOT NULL DEFAULT 0,
    disabled        INTEGER NOT NULL DEFAULT 0,
    telegram_chat_id TEXT   NOT NULL DEFAULT '',
    notify_email    INTEGER NOT NULL DEFAULT 1,
    notify_telegram INTEGER NOT NULL DEFAULT 0,
    notify_digest   INTEGER NOT NULL DEFAULT 0,
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL
);

CREATE TABLE account_keys (
    id           INTEGER PRIMARY KEY,
    account_id   BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    fingerprint  TEXT   NOT NULL UNIQUE,
    public_key   TEXT   NOT NULL,
    comment      TEXT   NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX account_keys_account ON account_keys(account_id);

CREATE TABLE stores (
    id                  INTEGER PRIMARY KEY,
    etsy_shop_id        BIGINT  NOT NULL UNIQUE,
    etsy_user_id        BIGINT  NOT NULL,
    name                TEXT    NOT NULL,
    currency            TEXT    NOT NULL DEFAULT '',
    status              TEXT    NOT NULL DEFAULT 'connected'
                        CHECK (status IN ('connected', 'needs_reauth', 'disconnected')),
    is_sandbox          INTEGER NOT NULL DEFAULT 0,
    access_token        BLOB,
    refresh_token       BLOB,
    token_expires_at    BIGINT  NOT NULL DEFAULT 0,
    token_lease_owner   TEXT    NOT NULL DEFAULT '',
    token_lease_until   BIGINT  NOT NULL DEFAULT 0,
    sync_interval_sec   INTEGER NOT NULL DEFAULT 0,
    zero_policy         TEXT    NOT NULL DEFAULT 'deactivate'
                        CHECK (zero_policy IN ('deactivate', 'keep_sold_out')),
    low_stock_default   INTEGER NOT NULL DEFAULT 3,
    receipts_cursor     BIGINT  NOT NULL DEFAULT 0,
    last_sync_at        BIGINT  NOT NULL DEFAULT 0,
    last_full_sync_at   BIGINT  NOT NULL DEFAULT 0,
    last_error          TEXT    NOT NULL DEFAULT '',
    created_at          BIGINT  NOT NULL,
    updated_at          BIGINT  NOT NULL
);

CREATE TABLE memberships (
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    store_id   BIGINT NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    role       TEXT   NOT NULL CHECK (role IN ('owner', 'manager', 'viewer')),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, store_id)
);
CREATE INDEX memberships_store ON memberships(store_id);

CREATE TABLE listings (
    id                  INTEGER PRIMARY KEY,
    store_id            BIGINT  NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    etsy_listing_id     BIGINT  NOT NULL,
    title               TEXT    NOT NULL,
    state               TEXT    NOT NULL,
    url                 TEXT    NOT NULL DEFAULT '',
    quantity            INTEGER NOT NULL DEFAULT 0,
    etsy_updated_at     BIGINT  NOT NULL DEFAULT 0,
    low_stock_threshold INTEGER,
    gone                INTEGER NOT NULL DEFAULT 0,
    synced_at           BIGINT  NOT NULL,
    UNIQUE (store_id, etsy_listing_id)
);

CREATE TABLE products (
    id              INTEGER PRIMARY KEY,
    store_id        BIGINT  NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    listing_id      BIGINT  NOT NULL REFERENCES listings(id) ON DELETE CASCADE,
    product_key     TEXT    NOT NULL,
    sku             TEXT    NOT NULL DEFAULT '',
    variation       TEXT    NOT NULL DEFAULT '',
    property_values TEXT    NOT NULL DEFAULT '[]',
    etsy_product_id BIGINT  NOT NULL DEFAULT 0,
    gone            INTEGER NOT NULL DEFAULT 0,
    UNIQUE (listing_id, product_key)
);
CREATE INDEX products_store_sku ON products(store_id, sku);

-- One row per product offering, holding both what Etsy last said and what the
-- seller wants. desired_version > pushed_version means an edit is waiting for
-- Etsy; version moves on every change so a stale editor can be refused.
CREATE TABLE offerings (
    id                  INTEGER PRIMARY KEY,
    store_id            BIGINT  NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    product_id          BIGINT  NOT NULL UNIQUE REFERENCES products(id) ON DELETE CASCADE,
    etsy_offering_id    BIGINT  NOT NULL DEFAULT 0,
    quantity            INTEGER NOT NULL,
    price_amount        BIGINT  NOT NULL,
    price_divisor       INTEGER NOT NULL,
    currency            TEXT    NOT NULL,
    is_enabled          INTEGER NOT NULL DEFAULT 1,
    readiness_state_id  BIGINT  NOT NULL DEFAULT 0,
    desired_quantity    INTEGER NOT NULL DEFAULT 0,
    base_quantity       INTEGER NOT NULL DEFAULT 0,
    version             BIGINT  NOT NULL DEFAULT 1,
    desired_version     BIGINT  NOT NULL DEFAULT 0,
    pushed_version      BIGINT  NOT NULL DEFAULT 0,
    push_status         TEXT    NOT NULL DEFAULT '',
    push_error          TEXT    NOT NULL DEFAULT '',
    pushed_at           BIGINT  NOT NULL DEFAULT 0,
    low_stock_threshold INTEGER,
    updated_at          BIGINT  NOT NULL
);
CREATE INDEX offerings_store ON offerings(store_id);
CREATE INDEX offerings_pending ON offerings(store_id) WHERE desired_version > pushed_version;

CREATE TABLE receipts (
    id                INTEGER PRIMARY KEY,
    store_id          BIGINT  NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    etsy_receipt_id   BIGINT  NOT NULL,
    status            TEXT    NOT NULL,
    buyer_name        TEXT    NOT NULL DEFAULT '',
    message           TEXT    NOT NULL DEFAULT '',
    is_paid           INTEGER NOT NULL DEFAULT 0,
    is_shipped        INTEGER NOT NULL DEFAULT 0,
    total_amount      BIGINT  NOT NULL DEFAULT 0,
    total_divisor     INTEGER NOT NULL DEFAULT 100,
    currency          TEXT    NOT NULL DEFAULT '',
    etsy_created_at   BIGINT  NOT NULL,
    etsy_updated_at   BIGINT  NOT NULL,
    UNIQUE (store_id, etsy_receipt_id)
);
CREATE INDEX receipts_store_created ON receipts(store_id, etsy_created_at);

CREATE TABLE receipt_items (
    id                  INTEGER PRIMARY KEY,
    store_id            BIGINT  NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    receipt_id          BIGINT  NOT NULL REFERENCES receipts(id) ON DELETE CASCADE,
    etsy_transaction_id BIGINT  NOT NULL,
    etsy_listing_id     BIGINT  NOT NULL DEFAULT 0,
    etsy_product_id     BIGINT  NOT NULL DEFAULT 0,
    sku                 TEXT    NOT NULL DEFAULT '',
    title               TEXT    NOT NULL DEFAULT '',
    variation           TEXT    NOT NULL DEFAULT '',
    quantity            INTEGER NOT NULL,
    price_amount        BIGINT  NOT NULL DEFAULT 0,
    price_divisor       INTEGER NOT NULL DEFAULT 100,
    UNIQUE (store_id, etsy_transaction_id)
);
CREATE INDEX receipt_items_receipt ON receipt_items(receipt_id);

CREATE TABLE sync_runs (
    id               INTEGER PRIMARY KEY,
    store_id         BIGINT  NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    kind             TEXT    NOT NULL CHECK (kind IN ('full', 'incremental', 'reconcile', 'push')),
    trigger          TEXT    NOT NULL CHECK (trigger IN ('schedule', 'manual', 'webhook', 'edit')),
    result           TEXT    NOT NULL DEFAULT 'running' CHECK (result IN ('running', 'ok', 'failed')),
    started_at       BIGINT  NOT NULL,
    finished_at      BIGINT  NOT NULL DEFAULT 0,
    listings_changed INTEGER NOT NULL DEFAULT 0,
    receipts_changed INTEGER NOT NULL DEFAULT 0,
    api_calls        INTEGER NOT NULL DEFAULT 0,
    error            TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX sync_runs_store_started ON sync_runs(store_id, started_at DESC);

CREATE TABLE stock_events (
    id          INTEGER PRIMARY KEY,
    store_id    BIGINT  NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    offering_id BIGINT  NOT NULL REFERENCES offerings(id) ON DELETE CASCADE,
    account_id  BIGINT  REFERENCES accounts(id) ON DELETE SET NULL,
    source      TEXT    NOT NULL CHECK (source IN ('tui', 'command', 'import', 'sync', 'sale', 'push')),
    before_qty  INTEGER NOT NULL,
    after_qty   INTEGER NOT NULL,
    note        TEXT    NOT NULL DEFAULT '',
    created_at  BIGINT  NOT NULL
);
CREATE INDEX stock_events_offering ON stock_events(offering_id, created_at);
CREATE INDEX stock_events_store ON stock_events(store_id, created_at);

-- Alert rules are the thresholds: stores.low_stock_default, overridden by
-- listings.low_stock_threshold and offerings.low_stock_threshold. An alert is
-- active until stock climbs back above its threshold.
CREATE TABLE alerts (
    id          INTEGER PRIMARY KEY,
    store_id    BIGINT  NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    offering_id BIGINT  NOT NULL REFERENCES offerings(id) ON DELETE CASCADE,
    kind        TEXT    NOT NULL CHECK (kind IN ('low_stock', 'out_of_stock')),
    quantity    INTEGER NOT NULL,
    threshold   INTEGER NOT NULL,
    active      INTEGER NOT NULL DEFAULT 1,
    fired_at    BIGINT  NOT NULL,
    resolved_at BIGINT  NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX alerts_one_active ON alerts(offering_id) WHERE active = 1;
CREATE INDEX alerts_store ON alerts(store_id, fired_at DESC);

CREATE TABLE deliveries (
    id          INTEGER PRIMARY KEY,
    alert_id    BIGINT  NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
    account_id  BIGINT  NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    channel     TEXT    NOT NULL CHECK (channel IN ('email', 'telegram')),
    status      TEXT    NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'retrying', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT    NOT NULL DEFAULT '',
    created_at  BIGINT  NOT NULL,
    sent_at     BIGINT  NOT NULL DEFAULT 0,
    UNIQUE (alert_id, account_id, channel)
);

-- One-time OAuth connect attempts. The row also carries the exchanged tokens
-- (sealed) between the callback and the seller's confirmation.
CREATE TABLE oauth_states (
    state            TEXT    PRIMARY KEY,
    account_id       BIGINT  NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    key_fingerprint  TEXT    NOT NULL,
    code_verifier    BLOB   NOT NULL,
    created_at       BIGINT  NOT NULL,
    expires_at       BIGINT  NOT NULL,
    consumed_at      BIGINT  NOT NULL DEFAULT 0,
    confirm_token    TEXT    NOT NULL DEFAULT '',
    shop_id          BIGINT  NOT NULL DEFAULT 0,
    shop_name        TEXT    NOT NULL DEFAULT '',
    etsy_user_id     BIGINT  NOT NULL DEFAULT 0,
    currency         TEXT    NOT NULL DEFAULT '',
    access_token     BLOB,
    refresh_token    BLOB,
    token_expires_at BIGINT  NOT NULL DEFAULT 0,
    completed_at     BIGINT  NOT NULL DEFAULT 0,
    store_id         BIGINT  NOT NULL DEFAULT 0,
    error            TEXT    NOT NULL DEFAULT ''
);

-- Named leases: one scheduler among several processes, one token refresh per
-- store.
CREATE TABLE leases (
    name       TEXT   PRIMARY KEY,
    owner      TEXT   NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE webhook_events (
    id          TEXT   PRIMARY KEY,
    received_at BIGINT NOT NULL
);

-- +goose Down
DROP TABLE webhook_events;
DROP TABLE leases;
DROP TABLE oauth_states;
DROP TABLE deliveries;
DROP TABLE alerts;
DROP TABLE stock_events;
DROP TABLE sync_runs;
DROP TABLE receipt_items;
DROP TABLE receipts;
DROP TABLE offerings;
DROP TABLE products;
DROP TABLE listings;
DROP TABLE memberships;
DROP TABLE stores;
DROP TABLE account_keys;
DROP TABLE accounts;
