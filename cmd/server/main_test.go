package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/stockroom/stockroom/seal"
)

func TestBadSettingExitsTwoWithOneLine(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run([]string{"--sync-interval", "often"}, func(string) string { return "" }, &out, &errOut)
	if code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	if lines := strings.Split(strings.TrimSpace(errOut.String()), "\n"); len(lines) != 1 || !strings.Contains(lines[0], "sync-interval") {
		t.Fatalf("stderr %q", errOut.String())
	}
}

func TestContainerWithoutKeysRefusesToStart(t *testing.T) {
	var out, errOut bytes.Buffer
	env := map[string]string{"STOCKROOM_IN_CONTAINER": "true", "STOCKROOM_DATA_DIR": t.TempDir()}
	code := run(nil, func(k string) string { return env[k] }, &out, &errOut)
	if code != 2 || !strings.Contains(errOut.String(), "STOCKROOM_ENCRYPTION_KEYS") {
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	}
}

func TestKeygenPrintsAUsableKey(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"keygen"}, func(string) string { return "" }, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	cfgKeys := strings.TrimSpace(out.String())
	if _, err := seal.ParseKeyring(cfgKeys); err != nil {
		t.Fatalf("keygen printed %q: %v", cfgKeys, err)
	}
}

// The log handler removes configured secrets wherever they appear.
func TestLoggerRedactsSecrets(t *testing.T) {
	var buf bytes.Buffer
	log := newLogger(&buf, "json", "debug", []string{"tok-123", "pgpass"})
	log.With("dsn", "postgres://u:pgpass@db").Info("refresh tok-123 failed", "err", errors.New("bad tok-123"),
		slog.Group("g", "v", "tok-123"))
	if s := buf.String(); strings.Contains(s, "tok-123") || strings.Contains(s, "pgpass") || !strings.Contains(s, "[redacted]") {
		t.Fatalf("log line: %s", s)
	}
}

func TestAdminKeysFromLinesOrFile(t *testing.T) {
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	pk, _ := ssh.NewPublicKey(pub)
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pk))) + " admin@example"
	got, err := adminFingerprints(line)
	if err != nil || !got[ssh.FingerprintSHA256(pk)] {
		t.Fatalf("from a line: %v %v", got, err)
	}
	path := filepath.Join(t.TempDir(), "admins")
	if err := os.WriteFile(path, []byte("# admins\n"+line+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := adminFingerprints(path); err != nil || len(got) != 1 {
		t.Fatalf("from a file: %v %v", got, err)
	}
	if _, err := adminFingerprints("ssh-ed25519 notbase64"); err == nil {
		t.Fatal("a broken key was accepted")
	}
}

// Issue 17: JSON logs repeated keys ("component":"connect","component":
// "connect"): the server names a component and the package names itself.
func TestLogKeysNotRepeated(t *testing.T) {
	for _, format := range []string{"json", "text"} {
		var buf bytes.Buffer
		log := newLogger(&buf, format, "info", []string{"sekret"})
		log.With("component", "connect").With("component", "connect", "account", 1).Info("connect started", "account", 1)
		if n := strings.Count(buf.String(), "component"); n != 1 {
			t.Errorf("%s: component %d times: %s", format, n, buf.String())
		}
		if n := strings.Count(buf.String(), "account"); n != 1 {
			t.Errorf("%s: account %d times: %s", format, n, buf.String())
		}
	}
}
