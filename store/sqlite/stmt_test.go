package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
)

// Statements run outside transactions stay prepared, but no input can make
// the cache grow without bound: queries with many arguments are never
// kept, and past maxStmts new ones run unprepared, with the same results.
func TestPreparedStatementsStayBounded(t *testing.T) {
	raw, err := OpenRaw(filepath.Join(t.TempDir(), "stockroom.db"))
	if err != nil {
		t.Fatal(err)
	}
	d := &driver{db: raw, stmts: map[string]*sql.Stmt{}}
	defer d.Close()
	ctx := context.Background()
	for i := range maxStmts + 50 {
		var got int
		if err := d.QueryRow(ctx, fmt.Sprintf("SELECT %d + $1", i), 1).Scan(&got); err != nil || got != i+1 {
			t.Fatalf("query %d: got %d, %v", i, got, err)
		}
	}
	if len(d.stmts) != maxStmts {
		t.Fatalf("%d statements kept, want the cap %d", len(d.stmts), maxStmts)
	}
	// Kept statements run again with new arguments.
	var got int
	if err := d.QueryRow(ctx, "SELECT 3 + $1", 4).Scan(&got); err != nil || got != 7 {
		t.Fatalf("kept statement: got %d, %v", got, err)
	}
	// A statement with many arguments is never kept.
	d2 := &driver{db: raw, stmts: map[string]*sql.Stmt{}}
	args := make([]any, maxStmtArgs+1)
	for i := range args {
		args[i] = i
	}
	q := "SELECT 0"
	for i := range args {
		q += fmt.Sprintf(" + $%d", i+1)
	}
	if err := d2.QueryRow(ctx, q, args...).Scan(&got); err != nil || got != (maxStmtArgs+1)*maxStmtArgs/2 {
		t.Fatalf("many arguments: got %d, %v", got, err)
	}
	if len(d2.stmts) != 0 {
		t.Fatalf("a statement with %d arguments was kept", len(args))
	}
}
