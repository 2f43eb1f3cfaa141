// The server against the OpenSSH client, the one sellers actually use: a
// command without a terminal, and a terminal session under tmux that sees
// the TUI and then the restart message.
package sshserver

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/stockroom/stockroom/store"
)

// opensshClient writes a key and a known_hosts file for f's server and
// returns the ssh arguments that use them.
func opensshClient(t *testing.T, f *fixture) []string {
	t.Helper()
	if _, err := exec.LookPath("ssh"); err != nil {
		t.Skip("no OpenSSH client")
	}
	dir := t.TempDir()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := gossh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	keyPath := filepath.Join(dir, "id_ed25519")
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	signer, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	f.accounts.add(signer, store.Account{ID: 7, Name: "carol"})

	host, port, _ := net.SplitHostPort(f.addr)
	known := filepath.Join(dir, "known_hosts")
	line := fmt.Sprintf("[%s]:%s %s", host, port, gossh.MarshalAuthorizedKey(f.srv.HostKey()))
	if err := os.WriteFile(known, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	return []string{"-F", "/dev/null", "-p", port, "-i", keyPath,
		"-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none", "-o", "BatchMode=yes",
		"-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=" + known, host}
}

func TestOpenSSHCommand(t *testing.T) {
	f := start(t, nil)
	args := opensshClient(t, f)
	out, err := exec.Command("ssh", append(args, "whoami")...).Output()
	if err != nil || string(out) != "7\n" {
		t.Fatalf("ssh whoami: %q, %v", out, err)
	}

	// Password logins are not even offered.
	pw := exec.Command("ssh", append([]string{"-o", "PreferredAuthentications=password,keyboard-interactive"},
		append(args, "whoami")...)...)
	if msg, err := pw.CombinedOutput(); err == nil || !strings.Contains(string(msg), "Permission denied") {
		t.Fatalf("password login: %v, %s", err, msg)
	}
}

func TestOpenSSHTerminalUnderTmux(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("no tmux")
	}
	f := start(t, nil)
	args := opensshClient(t, f)
	sock := filepath.Join(t.TempDir(), "tmux.sock")
	tmux := func(a ...string) (string, error) {
		out, err := exec.Command("tmux", append([]string{"-S", sock, "-f", "/dev/null"}, a...)...).CombinedOutput()
		return string(out), err
	}
	// The shell keeps the pane open after ssh exits, to read what it left.
	cmd := "ssh -t " + strings.Join(args, " ") + " inventory; echo ssh-exited-$?; sleep 60"
	if out, err := tmux("new-session", "-d", "-x", "120", "-y", "40", cmd); err != nil {
		t.Fatalf("tmux: %v, %s", err, out)
	}
	t.Cleanup(func() { _, _ = tmux("kill-server") })

	waitPane := func(want string) string {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			pane, _ := tmux("capture-pane", "-p")
			if strings.Contains(pane, want) {
				return pane
			}
			if time.Now().After(deadline) {
				t.Fatalf("pane never showed %q:\n%s", want, pane)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitPane("who=carol")
	waitPane("screen=inventory")
	if _, err := tmux("send-keys", "x"); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := f.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	pane := waitPane("ssh-exited-")
	if !strings.Contains(pane, "Stockroom is restarting; reconnect in a moment") {
		t.Fatalf("no restart message:\n%s", pane)
	}
}
