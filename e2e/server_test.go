// The harness: build the server once, run one per test on free loopback
// ports with its own data directory, and talk to it over SSH and HTTP.
package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/stockroom/stockroom/internal/logtest"
	"github.com/stockroom/stockroom/internal/sshtest"
)

// binary is the server built by TestMain.
var binary string

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "stockroom-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "stockroom")
	build := exec.Command("go", "build", "-o", binary, "./cmd/server")
	build.Dir = ".."
	build.Env = append(os.Environ(), "GOTOOLCHAIN=local")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the server: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// server is one running Stockroom process.
type server struct {
	t        testing.TB
	dataDir  string
	sshAddr  string
	httpAddr string
	sbxAddr  string
	hostKey  gossh.PublicKey
	logs     *logtest.Buffer
	pid      int
}

// logged reports whether a line of the server's log matches, waiting a few
// seconds for it: the log comes from another process through a pipe, so a
// line written just before a client saw its answer may still be on its way.
func (s *server) logged(match func(line string) bool) bool {
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		for l := range strings.Lines(s.logs.String()) {
			if match(l) {
				return true
			}
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

// freePort returns a loopback address nothing listens on right now.
func freePort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startServer runs the binary in demo mode with extra flags, waits for
// /healthz, and stops it with SIGTERM at cleanup, which must exit 0.
func startServer(t testing.TB, extra ...string) *server {
	t.Helper()
	return startServerIn(t, t.TempDir(), extra...)
}

// startServerIn is startServer on a data directory of the caller's.
func startServerIn(t testing.TB, dataDir string, extra ...string) *server {
	t.Helper()
	return startServerEnv(t, dataDir, nil, extra...)
}

// startServerEnv is startServerIn with STOCKROOM_* settings of the
// caller's (KEY=value), such as STOCKROOM_DATABASE_URL.
func startServerEnv(t testing.TB, dataDir string, settings []string, extra ...string) *server {
	t.Helper()
	s := &server{t: t, dataDir: dataDir, sshAddr: freePort(t), httpAddr: freePort(t), sbxAddr: freePort(t),
		logs: &logtest.Buffer{}}
	args := append([]string{"--data-dir", s.dataDir, "--ssh-addr", s.sshAddr, "--http-addr", s.httpAddr,
		"--public-url", "http://" + s.httpAddr, "--sandbox-addr", s.sbxAddr, "--log-format", "json"}, extra...)
	cmd := exec.Command(binary, args...)
	// No STOCKROOM_* from the developer's shell may change the server.
	env := []string{"GOTOOLCHAIN=local"}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "STOCKROOM_") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, settings...)
	cmd.Stdout, cmd.Stderr = s.logs, s.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.pid = cmd.Process.Pid
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("server exited with %v after SIGTERM; log:\n%s", err, s.logs)
			}
		case <-time.After(8 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("server still running 8s after SIGTERM; log:\n%s", s.logs)
		}
	})

	if err := waitHealthy(s.httpAddr, exited, 20*time.Second); err != nil {
		t.Fatalf("%v; log:\n%s", err, s.logs)
	}
	hk, err := readHostKey(s.dataDir)
	if err != nil {
		t.Fatal(err)
	}
	s.hostKey = hk
	return s
}

// waitHealthy polls a server's /healthz until it answers 200, for at most
// within; it fails early when the process exits first.
func waitHealthy(httpAddr string, exited <-chan error, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		resp, err := http.Get("http://" + httpAddr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-exited:
			return fmt.Errorf("server exited before it was healthy: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("server not healthy after %s", within)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// readHostKey is the public half of the host key a server made in dataDir.
func readHostKey(dataDir string) (gossh.PublicKey, error) {
	pem, err := os.ReadFile(filepath.Join(dataDir, "ssh_host_ed25519"))
	if err != nil {
		return nil, err
	}
	hk, err := gossh.ParsePrivateKey(pem)
	if err != nil {
		return nil, err
	}
	return hk.PublicKey(), nil
}

func (s *server) clientConfig(auth ...gossh.AuthMethod) *gossh.ClientConfig {
	return sshtest.ClientConfig("seller", s.hostKey, 10*time.Second, auth...)
}

// dial connects with one key; the connection closes at cleanup.
func (s *server) dial(t testing.TB, key gossh.Signer) *gossh.Client {
	t.Helper()
	c, err := gossh.Dial("tcp", s.sshAddr, s.clientConfig(gossh.PublicKeys(key)))
	if err != nil {
		t.Fatalf("ssh dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// result is what a command without a terminal gave back.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
}

// run runs a command like `ssh host cmd < stdin`.
func run(t testing.TB, c *gossh.Client, cmd string, stdin string) result {
	t.Helper()
	r := sshtest.Run(t, c, cmd, strings.NewReader(stdin))
	return result{stdout: r.Stdout, stderr: r.Stderr, code: r.Code}
}

// term is a terminal session: a PTY, the output on a virtual screen.
type term struct {
	*vterm
	*sshtest.PTY
}

// openTerm opens a PTY session like `ssh host` (or `ssh -t host cmd`).
func openTerm(t testing.TB, c *gossh.Client, cmd string, cols, rows int) *term {
	t.Helper()
	v := newVterm(cols, rows)
	return &term{vterm: v, PTY: sshtest.StartPTY(t, c, cmd, rows, cols, v)}
}

// waitFor waits until the screen shows want and returns the screen.
func (tm *term) waitFor(t testing.TB, want string, within time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		sc := tm.Screen()
		if strings.Contains(sc, want) {
			return sc
		}
		if time.Now().After(deadline) {
			t.Fatalf("screen never showed %q within %s; it shows:\n%s", want, within, sc)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitUntil waits until ok(screen) holds.
func (tm *term) waitUntil(t testing.TB, what string, within time.Duration, ok func(string) bool) string {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		sc := tm.Screen()
		if ok(sc) {
			return sc
		}
		if time.Now().After(deadline) {
			t.Fatalf("screen never showed %s within %s; it shows:\n%s", what, within, sc)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// send types keys; a pause between them lets the TUI see separate presses.
func (tm *term) send(t testing.TB, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if _, err := io.WriteString(tm.In, k); err != nil {
			t.Fatalf("typing %q: %v", k, err)
		}
		time.Sleep(30 * time.Millisecond)
	}
}

// exitCode waits for the session to end and returns its exit status.
func (tm *term) exitCode(t testing.TB, within time.Duration) int {
	t.Helper()
	tm.WaitClosed(t, within, tm.Screen)
	return sshtest.ExitStatus(t, tm.Err)
}

// withTimeout is a context for one step of a test.
func withTimeout(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
