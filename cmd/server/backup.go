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
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/stockroom/stockroom/backup"
	"github.com/stockroom/stockroom/config"
	"github.com/stockroom/stockroom/seal"
	"github.com/stockroom/stockroom/store/sqlite"
)

// runBackup is `stockroom backup [--to FILE]`: an online copy of the SQLite
// database, safe while the server runs.
func runBackup(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	var to string
	cfg, rest, err := adminConfig("backup", args, getenv, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&to, "to", "", "file to write (default <data-dir>/backups/manual-<time>.db); must not exist")
	})
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil || len(rest) > 0 {
		fmt.Fprintln(stderr, "usage: stockroom backup [--to FILE] [--data-dir DIR]")
		return 2
	}
	if cfg.DatabaseURL != "" {
		fmt.Fprintln(stderr, "backup: with PostgreSQL use pg_dump (see the README's Operations section)")
		return 2
	}
	path := sqlitePath(cfg.DataDir)
	if _, err := os.Stat(path); err != nil {
		fmt.Fprintln(stderr, "backup: no database at", path)
		return 1
	}
	if to == "" {
		to = filepath.Join(cfg.DataDir, backup.Dir, backup.ManualName(time.Now()))
	}
	db, err := sqlite.OpenRaw(path)
	if err != nil {
		fmt.Fprintln(stderr, "backup:", err)
		return 1
	}
	defer db.Close()
	if err := backup.Create(ctx, db, to); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintln(stdout, "backup written to", to)
	return 0
}

// runRestore is `stockroom restore FILE`: check the backup, then put it in
// place of the data dir's database, keeping the old one aside. It refuses
// while a server holds the data dir.
func runRestore(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cfg, rest, err := adminConfig("restore", args, getenv, stderr, nil)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil || len(rest) != 1 {
		fmt.Fprintln(stderr, "usage: stockroom restore FILE [--data-dir DIR]")
		return 2
	}
	src := rest[0]
	if cfg.DatabaseURL != "" {
		fmt.Fprintln(stderr, "restore: with PostgreSQL use pg_restore (see the README's Operations section)")
		return 2
	}
	if err := ensureDataDir(cfg.DataDir, slog.New(slog.NewTextHandler(stderr, nil))); err != nil {
		fmt.Fprintln(stderr, "restore:", err)
		return 1
	}
	release, err := lockDataDir(cfg.DataDir)
	if err != nil {
		fmt.Fprintln(stderr, "restore:", err)
		return 1
	}
	defer release()
	ring, err := restoreKeyring(cfg)
	if err != nil {
		fmt.Fprintln(stderr, "restore:", err)
		return 2
	}
	info, err := backup.Check(ctx, src, ring)
	if err != nil {
		fmt.Fprintln(stderr, "restore: refused:", err)
		return 1
	}
	aside, err := backup.Restore(src, sqlitePath(cfg.DataDir), time.Now())
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintf(stdout, "restored %s (schema version %d, %d stores, tokens sealed with %s)\n", src, info.SchemaVersion, info.Stores,
		orNone(strings.Join(info.KeyIDs, ", ")))
	if aside != "" {
		fmt.Fprintln(stdout, "the replaced database is kept as", aside)
	}
	return 0
}

func orNone(s string) string {
	if s == "" {
		return "no key (no tokens)"
	}
	return "key " + s
}

// restoreKeyring is the key ring the server will start with: the
// configured keys, or the development key already in the data dir. It
// never creates a key.
func restoreKeyring(cfg *config.Config) (*seal.Keyring, error) {
	spec := cfg.EncryptionKeys
	if spec == "" {
		if _, err := os.Stat(filepath.Join(cfg.DataDir, seal.DevKeyFile)); err != nil {
			return &seal.Keyring{}, nil
		}
		var err error
		if spec, _, err = seal.LoadOrCreateDevKey(cfg.DataDir); err != nil {
			return nil, err
		}
	}
	k, err := seal.ParseKeyring(spec)
	if err != nil {
		return nil, &config.Error{Setting: "STOCKROOM_ENCRYPTION_KEYS", Reason: err.Error()}
	}
	return k, nil
}

// scheduleBackups runs scheduled SQLite backups in g until ctx ends.
func scheduleBackups(ctx context.Context, g *errgroup.Group, cfg *config.Config, db any, obs *observer, log *slog.Logger) {
	h, ok := db.(interface{ SQL() *sql.DB })
	if !ok || cfg.DatabaseURL != "" || cfg.BackupInterval <= 0 {
		return
	}
	s := backup.NewScheduler(backup.Config{DB: h.SQL(), DataDir: cfg.DataDir, Interval: cfg.BackupInterval, Keep: cfg.BackupKeep,
		Logger: log.With("component", "backup"), Done: obs.backupDone})
	g.Go(func() error { return s.Run(ctx) })
}
