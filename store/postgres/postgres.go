// Package postgres is the production store on PostgreSQL through pgx/v5,
// for one server or several sharing a database.
package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/stockroom/stockroom/migrations"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/store/sqlstore"
)

// DB is the PostgreSQL store.
type DB struct {
	*sqlstore.Store
	pool *pgxpool.Pool
}

// defaultMaxConns is the pool size when the URL names none. pgxpool's own
// default (the larger of 4 and the CPU count) queues a burst of sessions
// opening at once behind four connections: on a 2-core machine 50 staff
// connecting together waited three times longer for their first frame
// than with 16. PostgreSQL's own limit (100 by default) leaves room for
// several processes at 16 each.
const defaultMaxConns = 16

// poolConfig parses url, sizing the pool at defaultMaxConns unless the URL
// sets pool_max_conns itself.
func poolConfig(url string) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = defaultMaxConns
	}
	return cfg, nil
}

// Open connects to url and migrates the database.
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := poolConfig(url)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err := Migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	return &DB{Store: sqlstore.New(&driver{conn: conn{pool}, pool: pool}), pool: pool}, nil
}

// Migrate applies the schema through a database/sql view of the pool.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	return migrations.Up(ctx, db, migrations.Postgres)
}

// Pool returns the connection pool (River and LISTEN/NOTIFY use it).
func (d *DB) Pool() *pgxpool.Pool { return d.pool }

// driver runs statements outside transactions on the pool.
type driver struct {
	conn
	pool *pgxpool.Pool
}

func (d *driver) Name() string                   { return "postgres" }
func (d *driver) Close() error                   { d.pool.Close(); return nil }
func (d *driver) Ping(ctx context.Context) error { return d.pool.Ping(ctx) }

// LockInTx is a transaction-scoped advisory lock: read committed lets two
// transactions miss each other's rows, and this makes them take turns.
func (d *driver) LockInTx(ctx context.Context, tx sqlstore.Tx, space, key int32) error {
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, space, key)
	return err
}

type pgConn interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// conn is sqlstore's Querier on the pool or on a transaction.
type conn struct{ c pgConn }

func (c conn) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	tag, err := c.c.Exec(ctx, q, args...)
	return tag.RowsAffected(), err
}

func (c conn) Query(ctx context.Context, q string, args ...any) (sqlstore.Rows, error) {
	rows, err := c.c.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return rows, nil
}

func (c conn) QueryRow(ctx context.Context, q string, args ...any) sqlstore.Row {
	return c.c.QueryRow(ctx, q, args...)
}

func (d *driver) InTx(ctx context.Context, fn func(tx sqlstore.Tx) error) error {
	return pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error { return fn(&txn{conn: conn{tx}, tx: tx}) })
}

// ExecBatch pipelines the statements: one round trip for a whole page of
// updates instead of one per row.
func (d *driver) ExecBatch(ctx context.Context, q sqlstore.Querier, stmts []sqlstore.Statement) error {
	if len(stmts) == 0 {
		return nil
	}
	var c pgConn = d.pool
	if t, ok := q.(*txn); ok {
		c = t.tx
	}
	b := &pgx.Batch{}
	for _, s := range stmts {
		b.Queue(s.SQL, s.Args...)
	}
	return c.SendBatch(ctx, b).Close()
}

func (d *driver) MapError(err error) error {
	return sqlstore.MapError(err, pgx.ErrNoRows, func(err error) error {
		var pe *pgconn.PgError
		if !errors.As(err, &pe) {
			return nil
		}
		switch pe.Code {
		case "23505", "40001", "40P01": // unique violation, serialization failure, deadlock
			return store.ErrConflict
		case "23503": // foreign key violation
			return store.ErrNotFound
		case "23514": // check violation
			return store.ErrInvalid
		}
		return nil
	})
}

type txn struct {
	conn
	tx pgx.Tx
}

func (t *txn) SQL() *sql.Tx { return nil }
func (t *txn) Pgx() pgx.Tx  { return t.tx }
