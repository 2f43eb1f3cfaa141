// Package sqlstore implements store.DB once, in SQL that SQLite and
// PostgreSQL both accept ($N placeholders, ON CONFLICT, RETURNING, epoch
// millisecond times). The database specifics (connections, transactions,
// batching, error codes) sit behind Driver, implemented by store/sqlite and
// store/postgres.
package sqlstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/stockroom/stockroom/store"
)

// Querier runs statements on a connection pool or inside a transaction.
type Querier interface {
	Exec(ctx context.Context, sql string, args ...any) (int64, error)
	Query(ctx context.Context, sql string, args ...any) (Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) Row
}

type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

type Row interface {
	Scan(dest ...any) error
}

// Tx is a Querier inside a transaction. Its store.Tx side hands River the
// driver's transaction so jobs are inserted in the same transaction.
type Tx interface {
	Querier
	store.Tx
}

// Statement is one statement of a batch.
type Statement struct {
	SQL  string
	Args []any
}

// Driver is what a database must provide.
type Driver interface {
	Querier
	// InTx runs fn in a transaction, committing when it returns nil.
	InTx(ctx context.Context, fn func(tx Tx) error) error
	// ExecBatch runs statements in order; PostgreSQL pipelines them in one
	// round trip.
	ExecBatch(ctx context.Context, q Querier, stmts []Statement) error
	// MapError turns driver errors into the store's sentinels; it is the
	// only place driver error codes are read.
	MapError(err error) error
	// LockInTx takes a lock named by (space, key) until tx ends, so that
	// transactions which each read what the other writes take turns. A
	// database that runs one writer at a time has nothing to do.
	LockInTx(ctx context.Context, tx Tx, space, key int32) error
	Ping(ctx context.Context) error
	Name() string
	Close() error
}

// MapError is a Driver's MapError: noRows is the driver's error for a
// query that found no row, and sentinel names the store sentinel a driver
// error stands for (a constraint violated, a conflict), or nil.
func MapError(err, noRows error, sentinel func(error) error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, noRows) {
		return fmt.Errorf("%w", store.ErrNotFound)
	}
	if s := sentinel(err); s != nil {
		return fmt.Errorf("%w: %v", s, err)
	}
	return err
}
