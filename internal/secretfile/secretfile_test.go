package secretfile_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stockroom/stockroom/internal/secretfile"
)

func TestCreateWritesOnceOwnerOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new-dir", "key")
	if err := secretfile.Create(path, []byte("first")); err != nil {
		t.Fatal(err)
	}
	err := secretfile.Create(path, []byte("second"))
	if !errors.Is(err, fs.ErrExist) {
		t.Fatalf("a second create: %v, want fs.ErrExist", err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "first" {
		t.Fatalf("the file holds %q (%v): the first secret was overwritten", b, err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 || secretfile.CheckPrivate(path, info) != nil {
		t.Fatalf("the new file's mode is %04o, want 0600, which CheckPrivate takes", info.Mode().Perm())
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".secret-*"))
	if len(left) != 0 {
		t.Fatalf("temporary files left behind: %v", left)
	}
}

func TestCheckPrivateRefusesAReadableFileWithTheFix(t *testing.T) {
	path := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(path, []byte("x"), 0o640); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	err = secretfile.CheckPrivate(path, info)
	if !errors.Is(err, secretfile.ErrShared) || !strings.Contains(err.Error(), "0640") || !strings.Contains(err.Error(), "chmod 600 "+path) {
		t.Fatalf("CheckPrivate: %v, want ErrShared with the mode and the chmod", err)
	}
}

// A file system without hard links (link fails with EPERM, as on FAT and
// some network mounts) still gets its secret, written once, owner-only,
// with no temporary file left.
func TestCreateWithoutHardLinks(t *testing.T) {
	defer secretfile.SetLink(func(_, _ string) error { return &os.LinkError{Op: "link", Err: syscall.EPERM} })()
	path := filepath.Join(t.TempDir(), "key")
	if err := secretfile.Create(path, []byte("first")); err != nil {
		t.Fatalf("create without hard links: %v", err)
	}
	if err := secretfile.Create(path, []byte("second")); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("a second create: %v, want fs.ErrExist", err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "first" || info.Mode().Perm() != 0o600 {
		t.Fatalf("the file holds %q with mode %04o, want \"first\" and 0600", b, info.Mode().Perm())
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".secret-*")); len(left) != 0 {
		t.Fatalf("temporary files left behind: %v", left)
	}
}
