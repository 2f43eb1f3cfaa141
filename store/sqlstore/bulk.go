package sqlstore

// Statements over many rows at once, in the form each database runs
// fastest: PostgreSQL plans a list of thousands of parameters anew on every
// call, so it gets one array parameter per column; SQLite has no arrays and
// gets multi-row VALUES lists.

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// colType is a column's type as PostgreSQL's arrays need it.
type colType int

const (
	colInt colType = iota
	colText
	colBool
)

type bulkCol struct {
	name string
	typ  colType
}

// inInts returns a condition "col is one of ids" whose parameter(s) start
// at $n, and the arguments to append.
func (s *Store) inInts(col string, n int, ids []int64) (string, []any) {
	if s.arrays {
		return col + " = ANY(CAST($" + strconv.Itoa(n) + " AS BIGINT[]))", []any{ids}
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return col + " IN " + placeholders(n, len(ids)), args
}

// storeRowsByKey returns a query for the rows of table in store $1 whose
// key column is one of keys, selecting cols (names of table's columns, the
// table aliased as t). On PostgreSQL each key is an index probe of its own:
// a table never analysed yet (a new database's first sync) otherwise gets
// a plan that scans every row of the store for every page.
func (s *Store) storeRowsByKey(table, cols, key string, storeID int64, keys []int64) (string, []any) {
	if s.arrays {
		return `SELECT ` + cols + ` FROM unnest(CAST($2 AS BIGINT[])) AS k(key_id)
			CROSS JOIN LATERAL (SELECT * FROM ` + table + ` WHERE store_id = $1 AND ` + key + ` = k.key_id LIMIT 1) t`,
			[]any{storeID, keys}
	}
	in, args := s.inInts("t."+key, 2, keys)
	return `SELECT ` + cols + ` FROM ` + table + ` t WHERE t.store_id = $1 AND ` + in, append([]any{storeID}, args...)
}

// insertRows inserts the rows held in vals (len(cols) values per row,
// row after row). With ret set, it is the RETURNING list and scan is called
// for every returned row.
func (s *Store) insertRows(ctx context.Context, q Querier, table string, cols []bulkCol, vals []any, ret string, scan func(Rows) error) error {
	w := len(cols)
	if w == 0 || len(vals) == 0 {
		return nil
	}
	if len(vals)%w != 0 {
		return fmt.Errorf("insert into %s: %d values for %d columns", table, len(vals), w)
	}
	names := make([]string, w)
	for i, c := range cols {
		names[i] = c.name
	}
	head := "INSERT INTO " + table + " (" + strings.Join(names, ", ") + ") "
	tail := ""
	if ret != "" {
		tail = " RETURNING " + ret
	}
	if s.arrays {
		sql, args, err := unnestInsert(head, tail, cols, vals)
		if err != nil {
			return fmt.Errorf("insert into %s: %w", table, err)
		}
		return runInsert(ctx, q, sql, args, scan)
	}
	per := chunk * w
	for start := 0; start < len(vals); start += per {
		part := vals[start:min(start+per, len(vals))]
		var sb strings.Builder
		sb.WriteString(head)
		sb.WriteString("VALUES ")
		for i := 0; i < len(part); i += w {
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString(placeholders(i+1, w))
		}
		sb.WriteString(tail)
		if err := runInsert(ctx, q, sb.String(), part, scan); err != nil {
			return err
		}
	}
	return nil
}

func runInsert(ctx context.Context, q Querier, sql string, args []any, scan func(Rows) error) error {
	if scan == nil {
		_, err := q.Exec(ctx, sql, args...)
		return err
	}
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// column is column c of the rows in vals (w columns a row) as one typed
// array; as converts a value, and a value it refuses is an error naming the
// column and what it should be.
func column[T any](vals []any, w, c int, name, what string, as func(any) (T, bool)) ([]T, error) {
	a := make([]T, len(vals)/w)
	for i := range a {
		v, ok := as(vals[i*w+c])
		if !ok {
			return nil, fmt.Errorf("column %s: %T is not %s", name, vals[i*w+c], what)
		}
		a[i] = v
	}
	return a, nil
}

// unnestInsert turns the rows into one typed array per column:
// INSERT ... SELECT * FROM unnest($1::BIGINT[], $2::TEXT[], ...).
func unnestInsert(head, tail string, cols []bulkCol, vals []any) (string, []any, error) {
	w := len(cols)
	args := make([]any, w)
	var sb strings.Builder
	sb.WriteString(head)
	sb.WriteString("SELECT * FROM unnest(")
	for c, col := range cols {
		if c > 0 {
			sb.WriteString(", ")
		}
		var err error
		switch col.typ {
		case colInt:
			args[c], err = column(vals, w, c, col.name, "an integer", func(v any) (int64, bool) {
				switch v := v.(type) {
				case int64:
					return v, true
				case int:
					return int64(v), true
				}
				return 0, false
			})
			fmt.Fprintf(&sb, "CAST($%d AS BIGINT[])", c+1)
		case colText:
			args[c], err = column(vals, w, c, col.name, "text", func(v any) (string, bool) { s, ok := v.(string); return s, ok })
			fmt.Fprintf(&sb, "CAST($%d AS TEXT[])", c+1)
		case colBool:
			args[c], err = column(vals, w, c, col.name, "a boolean", func(v any) (bool, bool) { b, ok := v.(bool); return b, ok })
			fmt.Fprintf(&sb, "CAST($%d AS BOOLEAN[])", c+1)
		}
		if err != nil {
			return "", nil, err
		}
	}
	sb.WriteString(")")
	sb.WriteString(tail)
	return sb.String(), args, nil
}
