package durable

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteReplacesTheFileWithOwnerOnlyMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte("an older and longer content"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Write(path, strings.NewReader("new")); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil || string(b) != "new" {
		t.Fatalf("file holds %q (%v), want %q", b, err, "new")
	}
	if err := Write(filepath.Join(path, "under-a-file"), strings.NewReader("x")); err == nil {
		t.Fatal("a write under a regular file succeeded")
	}
	fresh := filepath.Join(t.TempDir(), "fresh")
	if err := Write(fresh, strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(fresh); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("a new file's mode: %v %v, want 0600", st.Mode().Perm(), err)
	}
}
