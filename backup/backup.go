// Package backup copies a live SQLite database to a file (VACUUM INTO: a
// consistent snapshot while the server keeps writing), keeps a number of
// scheduled copies, and checks a copy before it is restored: integrity,
// schema version, and whether this server's key ring opens its sealed
// tokens. A backup holds the tokens sealed, never the keys.
package backup

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the driver openReadOnly names

	"github.com/stockroom/stockroom/internal/durable"
	"github.com/stockroom/stockroom/migrations"
	"github.com/stockroom/stockroom/seal"
	"github.com/stockroom/stockroom/vault"
)

// Dir is where scheduled backups go, inside the data dir.
const Dir = "backups"

// scheduledPrefix names scheduled backups; only these are pruned.
const scheduledPrefix = "stockroom-"

// stamp is the time in a backup's name: sortable, no colons.
const stamp = "20060102T150405Z"

// ScheduledName is the file name of a scheduled backup taken at t.
func ScheduledName(t time.Time) string { return scheduledPrefix + t.UTC().Format(stamp) + ".db" }

// ManualName is the file name of a `stockroom backup` without --to.
func ManualName(t time.Time) string { return "manual-" + t.UTC().Format(stamp) + ".db" }

// Create writes a consistent copy of db to dest, which must not exist. The
// copy is written beside dest under a temporary name, checked, made 0600
// and renamed, so dest is either a whole, sound backup or absent.
func Create(ctx context.Context, db *sql.DB, dest string) error {
	if _, err := os.Stat(dest); err == nil {
		return fmt.Errorf("backup: %s exists", dest)
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o700); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	tmp := dest + ".partial"
	// A partial file left by a crash is removed; if it cannot be, the
	// exclusive create below fails and says so. On the error paths below
	// the partial file is cleaned up the same way, best effort.
	_ = os.Remove(tmp)
	// VACUUM INTO wants a missing or empty file: create it empty with the
	// mode the backup must have, so it is never readable by others.
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	f.Close()
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", tmp); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("backup: vacuum into %s: %w", tmp, err)
	}
	if err := integrity(ctx, tmp); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("backup: %w", err)
	}
	if err := os.Rename(tmp, dest); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}

// openReadOnly opens a backup file without changing it.
func openReadOnly(path string) (*sql.DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	q := url.Values{}
	q.Set("mode", "ro")
	q.Add("_pragma", "busy_timeout(5000)")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("backup: open %s: %w", path, err)
	}
	return db, nil
}

// ErrCorrupt: the file is not a sound SQLite database.
var ErrCorrupt = errors.New("backup: integrity check failed")

func integrity(ctx context.Context, path string) error {
	db, err := openReadOnly(path)
	if err != nil {
		return err
	}
	defer db.Close()
	return checkIntegrity(ctx, db, path)
}

func checkIntegrity(ctx context.Context, db *sql.DB, path string) error {
	rows, err := db.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrCorrupt, path, err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return fmt.Errorf("%w: %s: %v", ErrCorrupt, path, err)
		}
		if s != "ok" {
			problems = append(problems, s)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrCorrupt, path, err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s: %s", ErrCorrupt, path, strings.Join(problems[:min(len(problems), 5)], "; "))
	}
	return nil
}

// Info is what Check learned of a backup.
type Info struct {
	SchemaVersion int64
	Stores        int
	// KeyIDs are the key ids that sealed the backup's tokens.
	KeyIDs []string
}

// ErrSchema: the backup's schema is missing or newer than this binary.
var ErrSchema = errors.New("backup: schema")

// ErrKeys: this server's key ring cannot open the backup's tokens.
var ErrKeys = errors.New("backup: encryption keys")

// Check verifies a backup before it is restored: a sound SQLite file, a
// Stockroom schema this binary knows, and tokens ring opens (ring nil
// skips the last check). The error names what is wrong; with ErrKeys the
// Info is still returned.
func Check(ctx context.Context, path string, ring *seal.Keyring) (Info, error) {
	var info Info
	db, err := openReadOnly(path)
	if err != nil {
		return info, err
	}
	defer db.Close()
	if err := checkIntegrity(ctx, db, path); err != nil {
		return info, err
	}
	set, err := migrations.Open(db, migrations.SQLite)
	if err != nil {
		return info, err
	}
	known, err := set.Known()
	if err != nil {
		return info, err
	}
	var tables int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('goose_db_version', 'stores')").Scan(&tables); err != nil || tables != 2 {
		return info, fmt.Errorf("%w: %s is not a Stockroom database", ErrSchema, path)
	}
	if err := db.QueryRowContext(ctx, "SELECT coalesce(max(version_id), 0) FROM goose_db_version WHERE is_applied").Scan(&info.SchemaVersion); err != nil {
		return info, fmt.Errorf("%w: %s: %v", ErrSchema, path, err)
	}
	if info.SchemaVersion > known {
		return info, fmt.Errorf("%w: the backup is at schema version %d, newer than this stockroom knows (%d): restore it with the stockroom that made it",
			ErrSchema, info.SchemaVersion, known)
	}
	return info, checkTokens(ctx, db, ring, &info)
}

// checkTokens reads every sealed token's key id and, when the key is in
// ring, opens the token.
func checkTokens(ctx context.Context, db *sql.DB, ring *seal.Keyring, info *Info) error {
	rows, err := db.QueryContext(ctx, "SELECT etsy_shop_id, access_token, refresh_token FROM stores")
	if err != nil {
		return fmt.Errorf("%w: %v", ErrSchema, err)
	}
	defer rows.Close()
	ids := map[string]bool{}
	var missing, wrong []string
	have := map[string]bool{}
	if ring != nil {
		for _, id := range ring.IDs() {
			have[id] = true
		}
	}
	note := func(list *[]string, id string) {
		for _, x := range *list {
			if x == id {
				return
			}
		}
		*list = append(*list, id)
	}
	for rows.Next() {
		var shop int64
		var access, refresh []byte
		if err := rows.Scan(&shop, &access, &refresh); err != nil {
			return err
		}
		info.Stores++
		for _, tok := range []struct {
			c  []byte
			ad string
		}{{access, vault.AccessTokenAD(shop)}, {refresh, vault.RefreshTokenAD(shop)}} {
			if len(tok.c) == 0 {
				continue
			}
			id, err := seal.KeyID(tok.c)
			if err != nil {
				return fmt.Errorf("%w: a token of shop %d is not sealed: %v", ErrKeys, shop, err)
			}
			ids[id] = true
			switch {
			case ring == nil:
			case !have[id]:
				note(&missing, id)
			default:
				if _, err := ring.Open(tok.c, tok.ad); err != nil {
					note(&wrong, id)
				}
			}
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for id := range ids {
		info.KeyIDs = append(info.KeyIDs, id)
	}
	sort.Strings(info.KeyIDs)
	var msgs []string
	if len(missing) > 0 {
		msgs = append(msgs, fmt.Sprintf("the backup's tokens are sealed with key id %s, which this server's key ring (STOCKROOM_ENCRYPTION_KEYS) does not hold",
			strings.Join(missing, ", ")))
	}
	if len(wrong) > 0 {
		msgs = append(msgs, fmt.Sprintf("key id %s in this server's key ring is not the key that sealed the backup's tokens", strings.Join(wrong, ", ")))
	}
	if len(msgs) > 0 {
		return fmt.Errorf("%w: %s; add the key to STOCKROOM_ENCRYPTION_KEYS, or every shop must be connected again", ErrKeys, strings.Join(msgs, "; "))
	}
	return nil
}

// Restore replaces the database at dbPath with a copy of src, keeping the
// replaced one (and its WAL) aside under a name it returns. The caller has
// checked src and holds the data dir's lock: no process may have dbPath
// open.
func Restore(src, dbPath string, now time.Time) (aside string, err error) {
	tmp := dbPath + ".restoring"
	if err := copyFile(src, tmp); err != nil {
		_ = os.Remove(tmp)
		return "", fmt.Errorf("restore: %w", err)
	}
	if _, err := os.Stat(dbPath); err == nil {
		aside = dbPath + ".replaced-" + now.UTC().Format(stamp)
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if _, err := os.Stat(dbPath + suffix); err != nil {
				continue
			}
			if err := os.Rename(dbPath+suffix, aside+suffix); err != nil {
				_ = os.Remove(tmp)
				return "", fmt.Errorf("restore: keep the current database aside: %w", err)
			}
		}
	}
	if err := os.Rename(tmp, dbPath); err != nil {
		return aside, fmt.Errorf("restore: %w", err)
	}
	return aside, nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	return durable.Write(dst, in)
}

// Prune deletes the oldest scheduled backups in dir beyond keep and
// returns their names. Manual backups and other files are left alone.
func Prune(dir string, keep int) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		n := e.Name()
		if e.Type().IsRegular() && strings.HasPrefix(n, scheduledPrefix) && strings.HasSuffix(n, ".db") {
			names = append(names, n)
		}
	}
	sort.Strings(names) // the stamp sorts by time
	var removed []string
	for len(names) > keep {
		if err := os.Remove(filepath.Join(dir, names[0])); err != nil {
			return removed, err
		}
		removed, names = append(removed, names[0]), names[1:]
	}
	return removed, nil
}

// Config configures scheduled backups.
type Config struct {
	DB       *sql.DB
	DataDir  string
	Interval time.Duration
	Keep     int
	Logger   *slog.Logger
	Now      func() time.Time
	// Done is told of every scheduled backup (metrics).
	Done func(at time.Time, err error)
	// ticks replaces the interval's ticker in tests.
	ticks <-chan time.Time
}

// Scheduler takes a backup every Interval and prunes to Keep.
type Scheduler struct{ cfg Config }

func NewScheduler(cfg Config) *Scheduler {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Done == nil {
		cfg.Done = func(time.Time, error) {}
	}
	return &Scheduler{cfg: cfg}
}

// Result is what one scheduled run did.
type Result struct {
	Path   string
	Pruned []string
}

// RunOnce takes one backup and prunes.
func (s *Scheduler) RunOnce(ctx context.Context) (Result, error) {
	now := s.cfg.Now()
	dir := filepath.Join(s.cfg.DataDir, Dir)
	res := Result{Path: filepath.Join(dir, ScheduledName(now))}
	err := Create(ctx, s.cfg.DB, res.Path)
	if err == nil {
		res.Pruned, err = Prune(dir, s.cfg.Keep)
	}
	s.cfg.Done(now, err)
	return res, err
}

// Due tells whether the newest scheduled backup is older than Interval
// (or there is none), so a server restarted more often than Interval
// still backs up, and one restarted in a loop does not fill the disk.
func (s *Scheduler) Due() bool {
	// A folder that cannot be read shows no backup: one is due, and making
	// it reports the real problem.
	entries, _ := os.ReadDir(filepath.Join(s.cfg.DataDir, Dir))
	var newest time.Time
	for _, e := range entries {
		n := e.Name()
		if !strings.HasPrefix(n, scheduledPrefix) || !strings.HasSuffix(n, ".db") {
			continue
		}
		if t, err := time.Parse(stamp, strings.TrimSuffix(strings.TrimPrefix(n, scheduledPrefix), ".db")); err == nil && t.After(newest) {
			newest = t
		}
	}
	return newest.IsZero() || s.cfg.Now().Sub(newest) >= s.cfg.Interval
}

// Run takes a backup at start when one is due, then every Interval, until
// ctx ends.
func (s *Scheduler) Run(ctx context.Context) error {
	ticks := s.cfg.ticks
	if ticks == nil {
		t := time.NewTicker(s.cfg.Interval)
		defer t.Stop()
		ticks = t.C
	}
	run := func() {
		res, err := s.RunOnce(ctx)
		if err != nil {
			if ctx.Err() == nil {
				s.cfg.Logger.Error("scheduled backup failed", "err", err)
			}
			return
		}
		s.cfg.Logger.Info("backup written", "path", res.Path, "pruned", len(res.Pruned))
	}
	if s.Due() {
		run()
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticks:
			run()
		}
	}
}
