// Package migrations holds Stockroom's schema, one goose migration set per
// database, embedded into the binary so a server migrates itself at start.
//
// A binary never runs on a schema newer than it knows (ErrSchemaTooNew):
// the newer binary that wrote it must take it down first. A migration that
// cannot be undone without losing data carries the line
//
//	-- +stockroom irreversible
//
// and DownTo refuses to go below it (ErrIrreversible).
package migrations

import (
	"bytes"
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/pressly/goose/v3"
)

//go:embed sqlite/*.sql postgres/*.sql
var files embed.FS

// Dialect names a migration set.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// irreversibleMark is the line that marks a migration whose down would
// lose what its up made (data moved or merged, a column dropped).
const irreversibleMark = "-- +stockroom irreversible"

// Set is one dialect's migrations on one database.
type Set struct {
	db   *sql.DB
	d    Dialect
	fsys fs.FS
}

// Open returns the embedded migrations of d for db.
func Open(db *sql.DB, d Dialect) (*Set, error) {
	sub, err := fs.Sub(files, string(d))
	if err != nil {
		return nil, err
	}
	return &Set{db: db, d: d, fsys: sub}, nil
}

func (s *Set) provider() (*goose.Provider, error) {
	var gd goose.Dialect
	switch s.d {
	case SQLite:
		gd = goose.DialectSQLite3
	case Postgres:
		gd = goose.DialectPostgres
	default:
		return nil, fmt.Errorf("migrations: unknown dialect %q", s.d)
	}
	return goose.NewProvider(gd, s.db, s.fsys)
}

// ErrSchemaTooNew: the database was migrated by a newer Stockroom.
var ErrSchemaTooNew = errors.New("migrations: database schema is newer than this binary")

// ErrIrreversible: a down would cross a migration that cannot be undone.
var ErrIrreversible = errors.New("migrations: cannot be undone")

// TooNewError says which schema the database has and which this binary
// knows; it matches ErrSchemaTooNew.
type TooNewError struct{ Database, Known int64 }

func (e *TooNewError) Error() string {
	return fmt.Sprintf("the database schema is at version %d, and this stockroom knows versions up to %d: "+
		"run the newer stockroom, or roll the schema back with it first (`stockroom migrate down --to %d`)",
		e.Database, e.Known, e.Known)
}

func (e *TooNewError) Is(target error) bool { return target == ErrSchemaTooNew }

// Known is the newest version this binary has (read from the file
// names, so it needs no database).
func (s *Set) Known() (int64, error) {
	names, err := fs.Glob(s.fsys, "*.sql")
	if err != nil {
		return 0, err
	}
	var top int64
	for _, n := range names {
		v, err := goose.NumericComponent(n)
		if err != nil {
			return 0, fmt.Errorf("migrations: %s: %w", n, err)
		}
		top = max(top, v)
	}
	return top, nil
}

// Version reports the schema version the database is at (0: empty).
func (s *Set) Version(ctx context.Context) (int64, error) {
	p, err := s.provider()
	if err != nil {
		return 0, err
	}
	return p.GetDBVersion(ctx)
}

// Check fails with a *TooNewError when the database is ahead of this
// binary.
func (s *Set) Check(ctx context.Context) error {
	known, err := s.Known()
	if err != nil {
		return err
	}
	v, err := s.Version(ctx)
	if err != nil {
		return fmt.Errorf("migrations: version: %w", err)
	}
	if v > known {
		return &TooNewError{Database: v, Known: known}
	}
	return nil
}

// Up applies every pending migration, after Check.
func (s *Set) Up(ctx context.Context) error {
	if err := s.Check(ctx); err != nil {
		return err
	}
	p, err := s.provider()
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrations: up: %w", err)
	}
	return nil
}

// DownTo rolls back to version (0 removes every table), refusing before
// it starts when an applied migration above version is irreversible.
func (s *Set) DownTo(ctx context.Context, version int64) error {
	if err := s.Check(ctx); err != nil {
		return err
	}
	st, err := s.Status(ctx)
	if err != nil {
		return err
	}
	for i := len(st) - 1; i >= 0; i-- {
		m := st[i]
		if m.Applied && m.Version > version && m.Irreversible {
			return fmt.Errorf("%w: version %d (%s) cannot be rolled back, so the schema cannot go below %d",
				ErrIrreversible, m.Version, m.Name, m.Version)
		}
	}
	p, err := s.provider()
	if err != nil {
		return err
	}
	if _, err := p.DownTo(ctx, version); err != nil {
		return fmt.Errorf("migrations: down: %w", err)
	}
	return nil
}

// Migration is one migration's state in a database.
type Migration struct {
	Version      int64
	Name         string
	Applied      bool
	AppliedAt    time.Time
	Irreversible bool
}

// Status lists every migration this binary knows and whether it is applied.
func (s *Set) Status(ctx context.Context) ([]Migration, error) {
	p, err := s.provider()
	if err != nil {
		return nil, err
	}
	st, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrations: status: %w", err)
	}
	out := make([]Migration, 0, len(st))
	for _, m := range st {
		b, err := fs.ReadFile(s.fsys, m.Source.Path)
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: m.Source.Version, Name: m.Source.Path, Applied: m.State == goose.StateApplied,
			AppliedAt: m.AppliedAt, Irreversible: bytes.Contains(b, []byte(irreversibleMark))})
	}
	return out, nil
}

// Up applies every pending migration of d to db.
func Up(ctx context.Context, db *sql.DB, d Dialect) error {
	s, err := Open(db, d)
	if err != nil {
		return err
	}
	return s.Up(ctx)
}

// DownTo rolls db back to version (0 removes every table).
func DownTo(ctx context.Context, db *sql.DB, d Dialect, version int64) error {
	s, err := Open(db, d)
	if err != nil {
		return err
	}
	return s.DownTo(ctx, version)
}

// Version reports the schema version db is at.
func Version(ctx context.Context, db *sql.DB, d Dialect) (int64, error) {
	s, err := Open(db, d)
	if err != nil {
		return 0, err
	}
	return s.Version(ctx)
}
