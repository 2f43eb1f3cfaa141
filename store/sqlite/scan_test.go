package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"reflect"
	"testing"
)

// scanBoth scans the one row of q into the targets made by newDest, once
// through the store's rows and once through database/sql alone.
func scanBoth(t *testing.T, d *driver, q string, newDest func() []any) (ours, theirs []any, ourErr, theirErr error) {
	t.Helper()
	ctx := context.Background()
	rows, err := d.Query(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	if !rows.Next() {
		t.Fatalf("%s: no row: %v", q, rows.Err())
	}
	ours = newDest()
	ourErr = rows.Scan(ours...)
	plain, err := d.db.QueryContext(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	if !plain.Next() {
		t.Fatalf("%s: no row: %v", q, plain.Err())
	}
	theirs = newDest()
	theirErr = plain.Scan(theirs...)
	return ours, theirs, ourErr, theirErr
}

// The rows' own integer scan stores what database/sql stores and refuses
// what it refuses, with its error.
func TestScanIntegersAsDatabaseSQL(t *testing.T) {
	raw, err := OpenRaw(filepath.Join(t.TempDir(), "stockroom.db"))
	if err != nil {
		t.Fatal(err)
	}
	d := &driver{db: raw, stmts: map[string]*sql.Stmt{}}
	defer d.Close()
	for _, tc := range []struct {
		q    string
		dest func() []any
	}{
		{"SELECT 1234567, -5, 1, 0, 'x', 9007199254740993", func() []any {
			return []any{new(int64), new(int), new(bool), new(bool), new(string), new(int64)}
		}},
		{"SELECT 7, NULL", func() []any { return []any{new(int), new(int64)} }},
		{"SELECT 7, '42', ' 3'", func() []any { return []any{new(int64), new(int), new(int64)} }},
		{"SELECT 7, 2", func() []any { return []any{new(int64), new(bool)} }},
		{"SELECT 7, 'true'", func() []any { return []any{new(int), new(bool)} }},
		{"SELECT 7, 1.5", func() []any { return []any{new(int), new(int64)} }},
		{"SELECT 7, 8", func() []any { return []any{new(int), (*int64)(nil)} }},
		{"SELECT 7, NULL, 9", func() []any { return []any{new(int), new(sql.NullInt64), new(any)} }},
	} {
		ours, theirs, ourErr, theirErr := scanBoth(t, d, tc.q, tc.dest)
		if (ourErr == nil) != (theirErr == nil) || ourErr != nil && ourErr.Error() != theirErr.Error() {
			t.Errorf("%s: error %v, database/sql's %v", tc.q, ourErr, theirErr)
			continue
		}
		if ourErr == nil && !reflect.DeepEqual(ours, theirs) {
			t.Errorf("%s: scanned %v, database/sql %v", tc.q, deref(ours), deref(theirs))
		}
	}
}

func deref(dest []any) []any {
	out := make([]any, len(dest))
	for i, d := range dest {
		if v := reflect.ValueOf(d); v.Kind() == reflect.Pointer && !v.IsNil() {
			out[i] = v.Elem().Interface()
		}
	}
	return out
}

// A row of integers scans without allocating: database/sql formats an
// integer as text and parses it back for an *int.
func TestScanIntegersAllocateNothing(t *testing.T) {
	raw, err := OpenRaw(filepath.Join(t.TempDir(), "stockroom.db"))
	if err != nil {
		t.Fatal(err)
	}
	d := &driver{db: raw, stmts: map[string]*sql.Stmt{}}
	defer d.Close()
	rows, err := d.Query(context.Background(), "SELECT 1234567, 7654321, 1")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	if !rows.Next() {
		t.Fatal(rows.Err())
	}
	var a int
	var b int64
	var c bool
	dest := []any{&a, &b, &c}
	if n := testing.AllocsPerRun(100, func() {
		if err := rows.Scan(dest...); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Fatalf("scanning a row of integers allocated %v times", n)
	}
	if a != 1234567 || b != 7654321 || !c {
		t.Fatalf("scanned %d, %d, %v", a, b, c)
	}
}
