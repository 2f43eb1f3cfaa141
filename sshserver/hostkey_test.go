package sshserver

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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

// Issue 17: an unknown key's message lacked the "stockroom:" prefix every
// other command message has.
func TestUnknownKeyMessageHasThePrefix(t *testing.T) {
	f := start(t, nil)
	f.accounts.signup = true
	_, errOut, code := run(t, f.dial(t, f.stranger), "whoami")
	if code != 1 || errOut != "stockroom: "+msgUnknownKey+"\n" {
		t.Fatalf("got %q, exit %d", errOut, code)
	}
}
