package migrations

import (
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	_ "modernc.org/sqlite"
)

func openSQLite(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// A database migrated by a newer binary (version 60 here) is refused by a
// binary that knows less, naming both versions and the command to run.
func TestSchemaNewerThanTheBinaryIsRefused(t *testing.T) {
	db := openSQLite(t)
	newer := &Set{db: db, d: SQLite, fsys: fstest.MapFS{
		"00001_a.sql": {Data: []byte("-- +goose Up\nCREATE TABLE a (x INTEGER);\n-- +goose Down\nDROP TABLE a;\n")},
		"00060_b.sql": {Data: []byte("-- +goose Up\nCREATE TABLE b (x INTEGER);\n-- +goose Down\nDROP TABLE b;\n")},
	}}
	if err := newer.Up(t.Context()); err != nil {
		t.Fatal(err)
	}
	older := &Set{db: db, d: SQLite, fsys: fstest.MapFS{"00001_a.sql": newer.fsys.(fstest.MapFS)["00001_a.sql"]}}
	for name, err := range map[string]error{"up": older.Up(t.Context()), "down": older.DownTo(t.Context(), 0), "check": older.Check(t.Context())} {
		var tn *TooNewError
		if !errors.Is(err, ErrSchemaTooNew) || !errors.As(err, &tn) || tn.Database != 60 || tn.Known != 1 {
			t.Fatalf("%s: %v", name, err)
		}
		if msg := err.Error(); !strings.Contains(msg, "version 60") || !strings.Contains(msg, "up to 1") || !strings.Contains(msg, "stockroom migrate down --to 1") {
			t.Fatalf("%s: message %q", name, msg)
		}
	}
}

// down stops before a migration marked irreversible, and says which.
func TestDownPastAnIrreversibleMigrationIsRefused(t *testing.T) {
	db := openSQLite(t)
	s := &Set{db: db, d: SQLite, fsys: fstest.MapFS{
		"00001_a.sql": {Data: []byte("-- +goose Up\nCREATE TABLE a (x INTEGER);\n-- +goose Down\nDROP TABLE a;\n")},
		"00002_merge.sql": {Data: []byte("-- Folds b into a; the split cannot be recovered.\n" + irreversibleMark +
			"\n-- +goose Up\nCREATE TABLE b (x INTEGER);\n-- +goose Down\nDROP TABLE b;\n")},
		"00003_c.sql": {Data: []byte("-- +goose Up\nCREATE TABLE c (x INTEGER);\n-- +goose Down\nDROP TABLE c;\n")},
	}}
	if err := s.Up(t.Context()); err != nil {
		t.Fatal(err)
	}
	st, err := s.Status(t.Context())
	if err != nil || len(st) != 3 || !st[1].Irreversible || st[0].Irreversible || !st[2].Applied {
		t.Fatalf("status %+v %v", st, err)
	}
	err = s.DownTo(t.Context(), 1)
	if !errors.Is(err, ErrIrreversible) || !strings.Contains(err.Error(), "version 2") {
		t.Fatalf("down to 1: %v", err)
	}
	if v, _ := s.Version(t.Context()); v != 3 {
		t.Fatalf("a refused down still moved the schema to %d", v)
	}
	if err := s.DownTo(t.Context(), 2); err != nil {
		t.Fatalf("down to 2 (above the mark): %v", err)
	}
	if v, _ := s.Version(t.Context()); v != 2 {
		t.Fatalf("version %d after down to 2", v)
	}
}
