// The OpenSSH client in a real terminal (tmux): sign up and see the TUI.
package e2e

import (
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
)

// needTool skips without a program, except in CI where it must exist.
func needTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required in CI: %v", name, err)
		}
		t.Skipf("no %s", name)
	}
}

func TestOpenSSHSignUpUnderTmux(t *testing.T) {
	needTool(t, "ssh")
	needTool(t, "tmux")
	s := startServer(t)

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
	host, port, _ := net.SplitHostPort(s.sshAddr)
	known := filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(known, []byte(fmt.Sprintf("[%s]:%s %s", host, port, gossh.MarshalAuthorizedKey(s.hostKey))), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"ssh", "-F", "/dev/null", "-p", port, "-i", keyPath, "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none",
		"-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=" + known, host}

	sock := filepath.Join(dir, "tmux.sock")
	tmux := func(a ...string) (string, error) {
		out, err := exec.Command("tmux", append([]string{"-S", sock, "-f", "/dev/null"}, a...)...).CombinedOutput()
		return string(out), err
	}
	// The shell keeps the pane open after ssh exits, to read what it left.
	cmd := "TERM=xterm-256color " + strings.Join(args, " ") + "; echo ssh-exited-$?; sleep 60"
	if out, err := tmux("new-session", "-d", "-x", "120", "-y", "40", cmd); err != nil {
		t.Fatalf("tmux: %v, %s", err, out)
	}
	t.Cleanup(func() { _, _ = tmux("kill-server") })
	pane := func(want string) string {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			p, _ := tmux("capture-pane", "-p")
			if strings.Contains(p, want) {
				return p
			}
			if time.Now().After(deadline) {
				t.Fatalf("pane never showed %q:\n%s", want, p)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	keys := func(k ...string) {
		t.Helper()
		if out, err := tmux(append([]string{"send-keys"}, k...)...); err != nil {
			t.Fatalf("send-keys: %v, %s", err, out)
		}
	}

	pane("Welcome to Stockroom")
	pane(gossh.FingerprintSHA256(mustSigner(t, priv).PublicKey()))
	keys("-l", "Tomás Ceramics")
	keys("Enter")
	keys("-l", "tomas@example.com")
	keys("Enter")
	p := pane(tabBar)
	if !strings.Contains(p, "Tomás Ceramics") || !strings.Contains(p, "2 Inventory") {
		t.Fatalf("the TUI after sign-up:\n%s", p)
	}
	keys("q")
	if p := pane("ssh-exited-"); !strings.Contains(p, "ssh-exited-0") {
		t.Fatalf("ssh did not exit 0 on q:\n%s", p)
	}
	// The same key now runs commands as the new account.
	out, err := exec.Command(args[0], append(args[1:], "whoami", "--format", "json")...).Output()
	if err != nil || !strings.Contains(string(out), `"Tomás Ceramics"`) {
		t.Fatalf("whoami over OpenSSH: %v, %s", err, out)
	}
}

func mustSigner(t *testing.T, priv ed25519.PrivateKey) gossh.Signer {
	t.Helper()
	s, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
