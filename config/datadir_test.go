package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return info.Mode().Perm()
}

// Issue 11 item 5: with umask 022 the database, its -wal and -shm, the keys
// and backups were readable by every user of the machine, and a data dir
// made 0755 by hand stayed so.
func TestDataFilesReadableByOthersAreCorrected(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	files := []string{"stockroom.db", "stockroom.db-wal", "stockroom.db-shm", "ssh_host_ed25519", "dev-encryption.key",
		filepath.Join("backups", "stockroom-20261130.db")}
	if err := os.Mkdir(filepath.Join(dir, "backups"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "private"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}

	fixed, err := PrepareDataDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if m := mode(t, dir); m != 0o700 {
		t.Errorf("data dir mode %04o, want 0700", m)
	}
	if m := mode(t, filepath.Join(dir, "backups")); m != 0o700 {
		t.Errorf("backups dir mode %04o, want 0700", m)
	}
	for _, f := range files {
		if m := mode(t, filepath.Join(dir, f)); m != 0o600 {
			t.Errorf("%s mode %04o, want 0600", f, m)
		}
	}
	var paths []string
	for _, c := range fixed {
		paths = append(paths, c.Path)
		if !strings.Contains(c.String(), "0644") && !strings.Contains(c.String(), "0755") {
			t.Errorf("correction %q does not say what the mode was", c.String())
		}
	}
	for _, f := range append(files, ".", "backups") {
		if !slices.Contains(paths, filepath.Join(dir, f)) {
			t.Errorf("correction of %s not reported: %v", f, paths)
		}
	}
	if slices.Contains(paths, filepath.Join(dir, "private")) {
		t.Errorf("a file already private reported as corrected: %v", paths)
	}

	// A second start has nothing to correct.
	if again, err := PrepareDataDir(dir); err != nil || len(again) != 0 {
		t.Fatalf("second start corrected %v (%v)", again, err)
	}
}

func TestDataDirCreatedPrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "a", "data")
	fixed, err := PrepareDataDir(dir)
	if err != nil || len(fixed) != 0 {
		t.Fatalf("%v %v", fixed, err)
	}
	if m := mode(t, dir); m != 0o700 {
		t.Fatalf("new data dir mode %04o, want 0700", m)
	}
}
