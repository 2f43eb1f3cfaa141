// The host key: created once with owner-only access, the same key on every
// start, and never replaced silently.
package sshserver

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/stockroom/stockroom/store"
)

// Issue 11 item 5: a host key other users can read lets them impersonate
// the server; it is refused with the command that fixes it, as the
// development encryption key is.
func TestHostKeyReadableByOthersRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "host")
	if _, _, err := LoadOrCreateHostKey(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := LoadOrCreateHostKey(path)
	if err == nil {
		t.Fatal("a host key readable by others was used")
	}
	if want := "chmod 600 " + path; !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "0644") {
		t.Fatalf("error %q does not say the mode and %q", err, want)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, created, err := LoadOrCreateHostKey(path); err != nil || created {
		t.Fatalf("after chmod: %v, created %v", err, created)
	}
}

func TestHostKeyCreatedOnceAndReused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys", "host")
	first, created, err := LoadOrCreateHostKey(path)
	if err != nil || !created {
		t.Fatalf("create: %v, created %v", err, created)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", st.Mode().Perm())
	}
	again, created, err := LoadOrCreateHostKey(path)
	if err != nil || created {
		t.Fatalf("reload: %v, created %v", err, created)
	}
	if !bytes.Equal(first.PublicKey().Marshal(), again.PublicKey().Marshal()) {
		t.Fatal("a different key on the second start")
	}

	// And through New, as a server restart would.
	accounts := &fakeAccounts{byKey: map[string]store.Account{}}
	cfg := Config{HostKeyPath: path, Accounts: accounts, RunCommand: fakeCommand,
		NewTUI: func(p TUIParams) tea.Model { return &fakeTUI{p: p} }}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(srv.HostKey().Marshal(), first.PublicKey().Marshal()) {
		t.Fatal("New made a new host key")
	}
}

func TestHostKeyNeverSilentlyReplaced(t *testing.T) {
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "corrupt")
	garbage := []byte("-----BEGIN OPENSSH PRIVATE KEY-----\nnot a key\n")
	if err := os.WriteFile(corrupt, garbage, 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := LoadOrCreateHostKey(corrupt)
	if err == nil || !strings.Contains(err.Error(), "not a usable private key") {
		t.Fatalf("corrupt key: %v", err)
	}
	if got, _ := os.ReadFile(corrupt); !bytes.Equal(got, garbage) {
		t.Fatal("the corrupt key file was changed")
	}

	unreadable := filepath.Join(dir, "dir")
	if err := os.Mkdir(unreadable, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadOrCreateHostKey(unreadable); err == nil || !strings.Contains(err.Error(), "cannot be read") {
		t.Fatalf("unreadable key: %v", err)
	}
}
