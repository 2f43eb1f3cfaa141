// Package sshtest holds what Stockroom's SSH tests share: throwaway keys,
// client configs, running a command and reading its result, and driving the
// OpenSSH client inside tmux the way a seller's terminal would.
package sshtest

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// UnsignableKey has only the public half of a key, so it cannot sign: a
// client offering another account's key. Signs counts the attempts.
type UnsignableKey struct {
	Public gossh.PublicKey
	Signs  atomic.Int32
}

func (k *UnsignableKey) PublicKey() gossh.PublicKey { return k.Public }

func (k *UnsignableKey) Sign(io.Reader, []byte) (*gossh.Signature, error) {
	k.Signs.Add(1)
	return nil, errors.New("no private key")
}

// NewKey makes a fresh ed25519 SSH key.
func NewKey(t testing.TB) gossh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// ClientConfig logs in as user with auth and trusts only hostKey, so a test
// never talks to a server it did not start.
func ClientConfig(user string, hostKey gossh.PublicKey, timeout time.Duration, auth ...gossh.AuthMethod) *gossh.ClientConfig {
	return &gossh.ClientConfig{User: user, Auth: auth, HostKeyCallback: gossh.FixedHostKey(hostKey), Timeout: timeout}
}

// Result is what a command without a terminal gave back.
type Result struct {
	Stdout, Stderr string
	Code           int
}

func (r Result) String() string {
	return fmt.Sprintf("exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
}

// Run runs cmd like `ssh host cmd < stdin`; a nil stdin sends EOF at once.
// A non-zero exit is a result, not a failure; anything else fails t.
func Run(t testing.TB, c *gossh.Client, cmd string, stdin io.Reader) Result {
	t.Helper()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	sess.Stdin = stdin
	var out, errb bytes.Buffer
	sess.Stdout, sess.Stderr = &out, &errb
	code, err := Code(sess.Run(cmd))
	if err != nil {
		t.Fatalf("ssh %q: %v", cmd, err)
	}
	return Result{Stdout: out.String(), Stderr: errb.String(), Code: code}
}

// PTY is a session with a terminal, as `ssh host` (or `ssh -t host cmd`)
// opens one: In is its keyboard; Done is closed when the session ends, and
// Err is then what Session.Wait returned.
type PTY struct {
	Sess *gossh.Session
	In   io.WriteCloser
	Done chan struct{}
	Err  error
}

// StartPTY opens a session on c with a rows×cols xterm whose output goes to
// out and starts cmd in it ("" starts the shell); the session closes when
// the test ends.
func StartPTY(t testing.TB, c *gossh.Client, cmd string, rows, cols int, out io.Writer) *PTY {
	t.Helper()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sess.Close() })
	if err := sess.RequestPty("xterm-256color", rows, cols, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	sess.Stdout, sess.Stderr = out, out
	p := &PTY{Sess: sess, Done: make(chan struct{})}
	if p.In, err = sess.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if cmd == "" {
		err = sess.Shell()
	} else {
		err = sess.Start(cmd)
	}
	if err != nil {
		t.Fatal(err)
	}
	go func() { p.Err = sess.Wait(); close(p.Done) }()
	return p
}

// WaitClosed waits up to within for the session to end, failing t with
// what screen says the terminal shows when it does not.
func (p *PTY) WaitClosed(t testing.TB, within time.Duration, screen func() string) {
	t.Helper()
	select {
	case <-p.Done:
	case <-time.After(within):
		t.Fatalf("session still open after %s; screen:\n%s", within, screen())
	}
}

// ExitStatus turns what Session.Wait returned into the remote exit status;
// an error that carries no status fails t.
func ExitStatus(t testing.TB, err error) int {
	t.Helper()
	code, err := Code(err)
	if err != nil {
		t.Fatalf("session: %v", err)
	}
	return code
}

// Code reads the remote exit status from what Session.Run or Wait
// returned: 0 for nil, the status an *ssh.ExitError carries, and for any
// other error (the session failed, or ended without a status) the error.
func Code(err error) (int, error) {
	var exit *gossh.ExitError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &exit):
		return exit.ExitStatus(), nil
	}
	return 0, err
}

// NeedTool skips without a program, except in CI (CI=true) where it must
// exist, so a CI image that lost it fails loudly instead of testing less.
func NeedTool(t testing.TB, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required in CI: %v", name, err)
		}
		t.Skipf("no %s", name)
	}
}

// OpenSSHArgs writes a fresh key and a known_hosts file that trusts only
// hostKey at addr, and returns the OpenSSH client arguments (without the
// program name) that use nothing else, and the key's signer. The arguments
// end with the host, so a command may follow.
func OpenSSHArgs(t testing.TB, addr string, hostKey gossh.PublicKey) ([]string, gossh.Signer) {
	t.Helper()
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
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	known := filepath.Join(dir, "known_hosts")
	line := fmt.Sprintf("[%s]:%s %s", host, port, gossh.MarshalAuthorizedKey(hostKey))
	if err := os.WriteFile(known, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	return []string{"-F", "/dev/null", "-p", port, "-i", keyPath,
		"-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none", "-o", "BatchMode=yes",
		"-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=" + known, host}, signer
}

// Tmux is a private tmux server with one 120x40 pane running a shell command.
type Tmux struct {
	sock string
}

// StartTmux runs shellCmd in a new detached session on its own socket; the
// server is killed at cleanup. Callers usually end shellCmd with something
// like `; echo exited-$?; sleep 60` so the pane outlives the program and
// shows how it ended.
func StartTmux(t testing.TB, shellCmd string) *Tmux {
	t.Helper()
	tm := &Tmux{sock: filepath.Join(t.TempDir(), "tmux.sock")}
	if out, err := tm.tmux("new-session", "-d", "-x", "120", "-y", "40", shellCmd); err != nil {
		t.Fatalf("tmux: %v, %s", err, out)
	}
	t.Cleanup(func() { _, _ = tm.tmux("kill-server") })
	return tm
}

func (tm *Tmux) tmux(a ...string) (string, error) {
	out, err := exec.Command("tmux", append([]string{"-S", tm.sock, "-f", "/dev/null"}, a...)...).CombinedOutput()
	return string(out), err
}

// WaitFor waits up to 10s until the pane shows want and returns the pane.
func (tm *Tmux) WaitFor(t testing.TB, want string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		pane, _ := tm.tmux("capture-pane", "-p")
		if strings.Contains(pane, want) {
			return pane
		}
		if time.Now().After(deadline) {
			t.Fatalf("pane never showed %q:\n%s", want, pane)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// SendKeys passes keys to tmux send-keys as they are ("-l" first for
// literal text, key names like "Enter" otherwise).
func (tm *Tmux) SendKeys(t testing.TB, keys ...string) {
	t.Helper()
	if out, err := tm.tmux(append([]string{"send-keys"}, keys...)...); err != nil {
		t.Fatalf("send-keys: %v, %s", err, out)
	}
}
