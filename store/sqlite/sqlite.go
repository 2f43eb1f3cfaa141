// Package sqlite is the embedded store: one file in the data directory,
// through modernc.org/sqlite so the binary needs no cgo.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/stockroom/stockroom/migrations"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/store/sqlstore"
)

// DB is the SQLite store.
type DB struct {
	*sqlstore.Store
	db *sql.DB
}

// Open opens (creating if needed) the database file at path and migrates it.
func Open(ctx context.Context, path string) (*DB, error) {
	db, err := OpenRaw(path)
	if err != nil {
		return nil, err
	}
	if err := migrations.Up(ctx, db, migrations.SQLite); err != nil {
		db.Close()
		return nil, err
	}
	return &DB{Store: sqlstore.New(&driver{db: db, stmts: map[string]*sql.Stmt{}}), db: db}, nil
}

// OpenQueueHandle opens the one-connection handle River's queue runs on
// (see jobs.NewSQLite): River's loops then wait their turn behind the
// store's writers instead of competing with each other.
func OpenQueueHandle(path string) (*sql.DB, error) {
	db, err := OpenRaw(path)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

// OpenRaw opens the file with Stockroom's settings and no migration:
// WAL so readers never wait for the writer, a busy timeout so writers queue
// instead of failing, foreign keys on, and IMMEDIATE transactions so a
// transaction that reads then writes cannot deadlock on the upgrade.
func OpenRaw(path string) (*sql.DB, error) {
	if err := createPrivate(path); err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(8)
	// Keep them all open: database/sql otherwise keeps two idle and closes
	// the rest after each burst, so the next burst opens connections again
	// (pragmas, and every prepared statement lost).
	db.SetMaxIdleConns(8)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return db, nil
}

// createPrivate creates the database file with mode 0600 when it does not
// exist. SQLite would create it 0644 (less the umask), readable by every
// user of the machine, and it gives the -wal and -shm files the database
// file's mode, so creating this one file right covers all three.
func createPrivate(path string) error {
	if path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return f.Close()
}

// SQL returns the database handle (River's riversqlite driver uses it).
func (d *DB) SQL() *sql.DB { return d.db }

type driver struct {
	db *sql.DB
	// stmts keeps the statements run outside transactions prepared.
	// SQLite has no statement cache of its own and parsing and planning a
	// query costs more CPU than running most of Stockroom's (a session's
	// first frame runs a dozen small ones): prepared once per connection,
	// they are only bound and stepped.
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

// Statements with more arguments than this are built per call (IN lists
// of ids, batches of rows) and would only fill the cache; and the cache
// stops growing at maxStmts so no input can make it unbounded.
const (
	maxStmtArgs = 16
	maxStmts    = 512
)

// stmt is the prepared statement of q, or nil when q is not kept prepared.
func (d *driver) stmt(ctx context.Context, q string, nargs int) *sql.Stmt {
	if nargs > maxStmtArgs {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if st, ok := d.stmts[q]; ok || len(d.stmts) >= maxStmts {
		return st
	}
	// Preparing under the lock serialises first uses of new statements
	// only: there are a few hundred in all.
	st, err := d.db.PrepareContext(ctx, q)
	if err != nil {
		return nil // run unprepared; the error is the caller's to see
	}
	d.stmts[q] = st
	return st
}

func (d *driver) Name() string { return "sqlite" }
func (d *driver) Close() error {
	d.mu.Lock()
	for _, st := range d.stmts {
		_ = st.Close()
	}
	d.stmts = map[string]*sql.Stmt{}
	d.mu.Unlock()
	return d.db.Close()
}
func (d *driver) Ping(ctx context.Context) error { return d.db.PingContext(ctx) }

// LockInTx has nothing to do: every write transaction begins IMMEDIATE,
// so SQLite already runs them one at a time.
func (d *driver) LockInTx(context.Context, sqlstore.Tx, int32, int32) error { return nil }

func (d *driver) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	q, args = rebind(q, args)
	if st := d.stmt(ctx, q, len(args)); st != nil {
		return rowsAffected(st.ExecContext(ctx, args...))
	}
	return rowsAffected(d.db.ExecContext(ctx, q, args...))
}
func (d *driver) Query(ctx context.Context, q string, args ...any) (sqlstore.Rows, error) {
	q, args = rebind(q, args)
	if st := d.stmt(ctx, q, len(args)); st != nil {
		return wrapRows(st.QueryContext(ctx, args...))
	}
	return wrapRows(d.db.QueryContext(ctx, q, args...))
}
func (d *driver) QueryRow(ctx context.Context, q string, args ...any) sqlstore.Row {
	q, args = rebind(q, args)
	if st := d.stmt(ctx, q, len(args)); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return d.db.QueryRowContext(ctx, q, args...)
}

func (d *driver) InTx(ctx context.Context, fn func(tx sqlstore.Tx) error) error {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(&txn{tx: tx}); err != nil {
		_ = tx.Rollback() // fn's error is the one to report; a failed rollback is discarded with the connection's transaction
		return err
	}
	return tx.Commit()
}

// ExecBatch runs the statements one by one: SQLite is in process, so there
// is no round trip to save.
func (d *driver) ExecBatch(ctx context.Context, q sqlstore.Querier, stmts []sqlstore.Statement) error {
	for _, s := range stmts {
		if _, err := q.Exec(ctx, s.SQL, s.Args...); err != nil {
			return err
		}
	}
	return nil
}

func (d *driver) MapError(err error) error {
	return sqlstore.MapError(err, sql.ErrNoRows, func(err error) error {
		var se *sqlite.Error
		if !errors.As(err, &se) {
			return nil
		}
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return store.ErrConflict
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return store.ErrNotFound
		case sqlite3.SQLITE_CONSTRAINT_CHECK:
			return store.ErrInvalid
		}
		return nil
	})
}

type txn struct{ tx *sql.Tx }

func (t *txn) SQL() *sql.Tx { return t.tx }
func (t *txn) Pgx() pgx.Tx  { return nil }
func (t *txn) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	return execOn(ctx, t.tx, q, args)
}
func (t *txn) Query(ctx context.Context, q string, args ...any) (sqlstore.Rows, error) {
	return queryOn(ctx, t.tx, q, args)
}
func (t *txn) QueryRow(ctx context.Context, q string, args ...any) sqlstore.Row {
	q, args = rebind(q, args)
	return t.tx.QueryRowContext(ctx, q, args...)
}

type conn interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

func execOn(ctx context.Context, c conn, q string, args []any) (int64, error) {
	q, args = rebind(q, args)
	return rowsAffected(c.ExecContext(ctx, q, args...))
}

func queryOn(ctx context.Context, c conn, q string, args []any) (sqlstore.Rows, error) {
	q, args = rebind(q, args)
	return wrapRows(c.QueryContext(ctx, q, args...))
}

func rowsAffected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func wrapRows(rows *sql.Rows, err error) (sqlstore.Rows, error) {
	if err != nil {
		return nil, err
	}
	return &sqlRows{Rows: rows}, nil
}

// sqlRows drops the error of Close, which Err already reports, and scans
// integers and booleans itself (see Scan).
type sqlRows struct {
	*sql.Rows
	// A row's values as the driver hands them, and the targets given to
	// database/sql: &vals[i], or the caller's own where it converts.
	vals, targets []any
}

func (r *sqlRows) Close() { _ = r.Rows.Close() }

// Scan takes the driver's int64 as it is into an *int64, *int or *bool:
// database/sql converts each by reflection, an int through a string and
// back, which was the better part of reading a 50,000-row report after
// SQLite's own work. Any other value or target is database/sql's, and a
// row with a value this cannot take as it is (NULL, text, a 2 for a
// bool) is scanned again by database/sql alone, its conversions and
// errors unchanged.
func (r *sqlRows) Scan(dest ...any) error {
	if len(r.targets) != len(dest) {
		r.vals, r.targets = make([]any, len(dest)), make([]any, len(dest))
	}
	own := false
	for i, d := range dest {
		r.targets[i] = d
		switch d.(type) {
		case *int64, *int, *bool:
			r.targets[i], own = &r.vals[i], true
		}
	}
	if !own {
		return r.Rows.Scan(dest...)
	}
	if err := r.Rows.Scan(r.targets...); err != nil {
		return err
	}
	for i, d := range dest {
		if r.targets[i] == d {
			continue
		}
		if !assignInt(d, r.vals[i]) {
			return r.Rows.Scan(dest...)
		}
	}
	return nil
}

// assignInt stores v in the integer or boolean target d when v is an
// int64 that database/sql would store unchanged, and tells whether it did.
// When it refuses one, Scan has database/sql scan the whole row again,
// which writes the targets stored before it once more, the same.
func assignInt(d, v any) bool {
	n, ok := v.(int64)
	if !ok {
		return false
	}
	switch d := d.(type) {
	case *int64:
		if d != nil {
			*d = n
			return true
		}
	case *int:
		if d != nil && int64(int(n)) == n {
			*d = int(n)
			return true
		}
	case *bool:
		if d != nil && (n == 0 || n == 1) {
			*d = n == 1
			return true
		}
	}
	return false
}

// rebind turns the shared SQL's $N placeholders into anonymous ?s, with the
// arguments repeated and reordered to match. SQLite keeps $N and ?N as
// named parameters in a list it searches linearly, at parse and again at
// every bind, which makes a statement with thousands of them (a page of
// offerings) quadratic; anonymous ones cost nothing. Quoted text is left
// alone, and a $N without an argument stays as it is for SQLite to refuse.
func rebind(q string, args []any) (string, []any) {
	if !strings.Contains(q, "$") {
		return q, args
	}
	var sb strings.Builder
	sb.Grow(len(q))
	out := make([]any, 0, len(args))
	var quote byte
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '$':
			j := i + 1
			for j < len(q) && q[j] >= '0' && q[j] <= '9' {
				j++
			}
			if n, err := strconv.Atoi(q[i+1 : j]); err == nil && n >= 1 && n <= len(args) {
				sb.WriteByte('?')
				out = append(out, args[n-1])
				i = j - 1
				continue
			}
		}
		sb.WriteByte(c)
	}
	return sb.String(), out
}
