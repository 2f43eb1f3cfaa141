package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/stockroom/stockroom/config"
	"github.com/stockroom/stockroom/migrations"
	"github.com/stockroom/stockroom/store/sqlite"
)

// version is this build's version, set by the build:
//
//	go build -ldflags "-X main.version=v1.4.0" ./cmd/server
var version = "dev"

// adminConfig parses the flags an offline command (migrate, backup,
// restore) shares with the server: where the database is. Everything else
// comes from STOCKROOM_* as for the server. extra registers the command's
// own flags.
func adminConfig(name string, args []string, getenv func(string) string, stderr io.Writer, extra func(*flag.FlagSet)) (*config.Config, []string, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data-dir", "", "data directory (STOCKROOM_DATA_DIR)")
	dbURL := fs.String("database-url", "", "PostgreSQL URL (STOCKROOM_DATABASE_URL)")
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	var pass []string
	if *dataDir != "" {
		pass = append(pass, "--data-dir", *dataDir)
	}
	if *dbURL != "" {
		pass = append(pass, "--database-url", *dbURL)
	}
	cfg, err := config.Load(pass, getenv, stderr)
	if err != nil {
		return nil, nil, err
	}
	return cfg, fs.Args(), nil
}

// sqlitePath is where the SQLite database lives in a data dir.
func sqlitePath(dataDir string) string { return filepath.Join(dataDir, "stockroom.db") }

// schemaDB opens the database named by cfg for migrations, without
// migrating it. A SQLite file that is not there is created only when
// create is set.
func schemaDB(ctx context.Context, cfg *config.Config, create bool) (*sql.DB, migrations.Dialect, func(), error) {
	if cfg.DatabaseURL == "" {
		path := sqlitePath(cfg.DataDir)
		if create {
			if err := ensureDataDir(cfg.DataDir, slog.New(slog.NewTextHandler(os.Stderr, nil))); err != nil {
				return nil, "", nil, err
			}
		} else if _, err := os.Stat(path); err != nil {
			return nil, "", nil, fmt.Errorf("no database at %s: %w", path, err)
		}
		db, err := sqlite.OpenRaw(path)
		if err != nil {
			return nil, "", nil, err
		}
		return db, migrations.SQLite, func() { db.Close() }, nil
	}
	pool, err := pgxpool.New(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, "", nil, err
	}
	db := stdlib.OpenDBFromPool(pool)
	return db, migrations.Postgres, func() { db.Close(); pool.Close() }, nil
}

const migrateUsage = `usage: stockroom migrate status|up|down --to N [--data-dir DIR] [--database-url URL]

  status        the schema version, and every migration this binary knows
  up            apply every pending migration (the server does this at start)
  down --to N   roll the schema back to version N, refusing to cross a
                migration marked irreversible; run it with the binary that
                wrote the schema, before starting an older one
`

// runMigrate is `stockroom migrate`.
func runMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 || (args[0] != "status" && args[0] != "up" && args[0] != "down") {
		fmt.Fprint(stderr, migrateUsage)
		return 2
	}
	verb := args[0]
	to := int64(-1)
	cfg, rest, err := adminConfig("migrate "+verb, args[1:], getenv, stderr, func(fs *flag.FlagSet) {
		fs.Int64Var(&to, "to", -1, "down: the version to roll back to")
	})
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, migrateUsage)
			return 0
		}
		fmt.Fprintln(stderr, err)
		return 2
	}
	if len(rest) > 0 || (verb == "down" && to < 0) || (verb != "down" && to >= 0) {
		fmt.Fprint(stderr, migrateUsage)
		return 2
	}
	db, dialect, closeDB, err := schemaDB(ctx, cfg, verb == "up")
	if err != nil {
		fmt.Fprintln(stderr, "migrate:", err)
		return 1
	}
	defer closeDB()
	set, err := migrations.Open(db, dialect)
	if err != nil {
		fmt.Fprintln(stderr, "migrate:", err)
		return 1
	}
	if verb != "status" && dialect == migrations.SQLite {
		release, err := lockDataDir(cfg.DataDir)
		if err != nil {
			fmt.Fprintln(stderr, "migrate:", err)
			return 1
		}
		defer release()
	}
	switch verb {
	case "up":
		err = set.Up(ctx)
	case "down":
		err = set.DownTo(ctx, to)
	}
	if err != nil {
		fmt.Fprintln(stderr, "migrate:", err)
		if errors.Is(err, migrations.ErrSchemaTooNew) || errors.Is(err, migrations.ErrIrreversible) {
			return 2
		}
		return 1
	}
	return printSchemaStatus(ctx, set, stdout, stderr, verb == "status")
}

func printSchemaStatus(ctx context.Context, set *migrations.Set, stdout, stderr io.Writer, all bool) int {
	v, err := set.Version(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "migrate:", err)
		return 1
	}
	known, err := set.Known()
	if err != nil {
		fmt.Fprintln(stderr, "migrate:", err)
		return 1
	}
	fmt.Fprintf(stdout, "schema version %d; this stockroom (%s) knows up to %d\n", v, version, known)
	if v > known {
		fmt.Fprintf(stdout, "the database is newer than this binary: run the newer stockroom, or `stockroom migrate down --to %d` with it\n", known)
	}
	if !all {
		return 0
	}
	st, err := set.Status(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "migrate:", err)
		return 1
	}
	for _, m := range st {
		state := "pending"
		if m.Applied {
			state = "applied " + m.AppliedAt.UTC().Format("2006-01-02 15:04:05Z")
		}
		mark := ""
		if m.Irreversible {
			mark = "  (irreversible)"
		}
		fmt.Fprintf(stdout, "%5d  %-40s %s%s\n", m.Version, m.Name, state, mark)
	}
	return 0
}
