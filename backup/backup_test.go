package backup

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stockroom/stockroom/store/sqlite"
)

func TestScheduledBackupsArePrunedToKeep(t *testing.T) {
	dir := t.TempDir()
	db, err := sqlite.Open(t.Context(), filepath.Join(dir, "stockroom.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	var done []error
	s := NewScheduler(Config{DB: db.SQL(), DataDir: dir, Interval: 6 * time.Hour, Keep: 3, Now: func() time.Time { return now },
		Done: func(_ time.Time, err error) { done = append(done, err) }})
	manual := filepath.Join(dir, Dir, ManualName(now.Add(-48*time.Hour)))
	if err := Create(t.Context(), db.SQL(), manual); err != nil {
		t.Fatal(err)
	}
	if !s.Due() {
		t.Fatal("no scheduled backup yet, and none is due")
	}
	for i := range 5 {
		if _, err := s.RunOnce(t.Context()); err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		if s.Due() {
			t.Fatal("a backup is due right after one was taken")
		}
		now = now.Add(6 * time.Hour)
		if !s.Due() {
			t.Fatal("a backup is not due an interval later")
		}
	}
	entries, _ := os.ReadDir(filepath.Join(dir, Dir))
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
		if fi, _ := e.Info(); fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v", e.Name(), fi.Mode())
		}
	}
	want := []string{filepath.Base(manual), "stockroom-20261130T120000Z.db", "stockroom-20261130T180000Z.db", "stockroom-20261201T000000Z.db"}
	if !slices.Equal(names, want) {
		t.Fatalf("backups %v, want %v", names, want)
	}
	if len(done) != 5 || slices.ContainsFunc(done, func(e error) bool { return e != nil }) {
		t.Fatalf("done %v", done)
	}
}

// A backup made by a newer stockroom (a schema this binary does not know)
// is refused before anything is replaced.
func TestCheckRefusesANewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "b.db")
	db, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL().Exec("INSERT INTO goose_db_version (version_id, is_applied) VALUES (999, 1)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Check(context.Background(), path, nil); !errors.Is(err, ErrSchema) {
		t.Fatalf("check: %v", err)
	}
}
