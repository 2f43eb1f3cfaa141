// Package store is Stockroom's persistence layer: the domain types, the
// interfaces each area of the application uses, and the sentinel errors every
// driver maps its own errors to. Implementations live in store/sqlite and
// store/postgres; both pass the conformance suite in store/storetest.
//
// Methods are named Entity+Verb and take a params struct so signatures stay
// stable as fields grow. Methods that act for a person take an AccountID and
// answer ErrNotFound for anything outside that account's memberships, which is
// how one seller never sees another seller's store.
package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/jackc/pgx/v5"
)

// Sentinel errors. Drivers wrap them with %w and callers test with errors.Is.
var (
	ErrNotFound  = errors.New("not found")
	ErrConflict  = errors.New("conflict")
	ErrForbidden = errors.New("not allowed")
	ErrInvalid   = errors.New("invalid")
	ErrExpired   = errors.New("expired")
	ErrUsed      = errors.New("already used")
	ErrLastKey   = errors.New("the last key of an account cannot be removed")
	// ErrLastOwner refuses to leave a store without an owner.
	ErrLastOwner = errors.New("a store keeps at least one owner")
	// ErrShopLinked means the Etsy shop is already connected to another
	// Stockroom account.
	ErrShopLinked = errors.New("shop is already linked to another account")
)

// StaleError is returned by a stock edit made from a version that is no
// longer current. Current holds the row as it is now so the caller can say
// "changed elsewhere (now N)".
type StaleError struct {
	Current InventoryRow
}

func (e *StaleError) Error() string {
	return "changed elsewhere"
}

// Unwrap makes errors.Is(err, ErrConflict) true for stale edits.
func (e *StaleError) Unwrap() error { return ErrConflict }

// Tx is an open database transaction handed to callbacks that must commit
// together with a store write, such as inserting a River job. It is the
// driver's own transaction of the database the store is on: SQL on SQLite
// (Pgx nil), Pgx on PostgreSQL (SQL nil). Typed accessors rather than an
// any: a queue on the wrong database is a nil, not a failed assertion.
type Tx interface {
	SQL() *sql.Tx
	Pgx() pgx.Tx
}

// TxFunc runs inside a store transaction; returning an error rolls it back.
type TxFunc func(ctx context.Context, tx Tx) error

// DB is everything Stockroom persists.
type DB interface {
	Accounts
	Stores
	Catalogue
	Sales
	SyncRuns
	OAuthStates
	Leases
	Processes
	Alerts
	Webhooks
	TelegramLinks
	RateBudgets
	Codes
	Activity

	// Ping tells whether the database answers (for /healthz).
	Ping(ctx context.Context) error
	// Dialect names the database ("sqlite" or "postgres").
	Dialect() string
	Close() error
}
