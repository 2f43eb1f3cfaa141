package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stockroom/stockroom/store"
)

// Store implements store.DB on a Driver.
type Store struct {
	d Driver
	// arrays says the database takes array parameters (PostgreSQL), which
	// bulk statements use instead of long parameter lists.
	arrays bool
}

var _ store.DB = (*Store)(nil)

// New wraps a driver.
func New(d Driver) *Store { return &Store{d: d, arrays: d.Name() == "postgres"} }

func (s *Store) Ping(ctx context.Context) error { return s.d.Ping(ctx) }
func (s *Store) Dialect() string                { return s.d.Name() }
func (s *Store) Close() error                   { return s.d.Close() }

// Driver exposes the underlying driver (River and the live-update hub need
// the database handle).
func (s *Store) Driver() Driver { return s.d }

// err maps a driver error once, adding the operation for context.
func (s *Store) err(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", op, s.d.MapError(err))
}

type txAdapter struct{ tx Tx }

func (t txAdapter) SQL() *sql.Tx { return t.tx.SQL() }
func (t txAdapter) Pgx() pgx.Tx  { return t.tx.Pgx() }

// keepNull is the SET list of a partial update: col = COALESCE($n, col)
// for each column, numbered from first, so a null parameter keeps the
// column as it is.
func keepNull(first int, cols ...string) string {
	set := make([]string, len(cols))
	for i, c := range cols {
		set[i] = fmt.Sprintf("%s = COALESCE($%d, %s)", c, first+i, c)
	}
	return strings.Join(set, ", ")
}

// ms stores times as epoch milliseconds; the zero time is 0.
func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

func now(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now()
	}
	return t
}

// placeholders returns "$from, $from+1, ..., $from+n-1" wrapped in parens.
func placeholders(from, n int) string {
	b := make([]byte, 0, n*4+2)
	b = append(b, '(')
	for i := 0; i < n; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '$')
		b = fmt.Appendf(b, "%d", from+i)
	}
	return string(append(b, ')'))
}

// queryAll runs a query on q and scans every row it returns with scan;
// op names the operation in errors, as s.err does for single rows.
func queryAll[T any](ctx context.Context, s *Store, q Querier, op string, scan func(Row) (T, error), sql string, args ...any) ([]T, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, s.err(op, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, s.err(op, err)
		}
		out = append(out, v)
	}
	return out, s.err(op, rows.Err())
}

// scanInt64 reads a row of one integer column (an id), for queryAll.
func scanInt64(r Row) (int64, error) {
	var v int64
	err := r.Scan(&v)
	return v, err
}

func (s *Store) isNotFound(err error) bool {
	return errors.Is(s.d.MapError(err), store.ErrNotFound)
}
