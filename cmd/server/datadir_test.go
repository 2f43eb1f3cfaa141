package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Issue 11 item 5: the start corrects a data dir others could read and says
// in the log what it changed.
func TestDataDirCorrectedAtStartIsLogged(t *testing.T) {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "stockroom.db")
	if err := os.WriteFile(db, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(db, 0o644); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := ensureDataDir(dir, newLogger(&buf, "json", "info", nil)); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.Contains(out, "permissions") || !strings.Contains(out, db+" 0644 -> 0600") || !strings.Contains(out, dir+" 0755 -> 0700") {
		t.Fatalf("log does not say what was corrected: %s", out)
	}
	if info, _ := os.Stat(db); info.Mode().Perm() != 0o600 {
		t.Fatalf("db mode %04o", info.Mode().Perm())
	}
}
