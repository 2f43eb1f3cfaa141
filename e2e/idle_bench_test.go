package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/stockroom/stockroom/internal/procstat"
	"github.com/stockroom/stockroom/internal/sshtest"
)

// BenchmarkIdleSessions holds N signed-in sessions open and idle and
// measures what they cost the server process over a hold window: CPU as a
// percentage of one core, and resident memory per session. The same is
// measured in the same run for the anchor, a bare Wish + Bubble Tea server
// (e2e/internal/bare), so the figures can be read as ratios on a noisy
// machine. STOCKROOM_IDLE_SESSIONS sets N (default 100) and
// STOCKROOM_IDLE_HOLD the window (default 10s):
//
//	go test ./e2e -run '^$' -bench IdleSessions -benchtime 1x
//	STOCKROOM_IDLE_SESSIONS=1000 STOCKROOM_IDLE_HOLD=60s go test ./e2e -run '^$' -bench IdleSessions -benchtime 1x -timeout 60m
func BenchmarkIdleSessions(b *testing.B) {
	n := envInt(b, "STOCKROOM_IDLE_SESSIONS", 100)
	hold := envDuration(b, "STOCKROOM_IDLE_HOLD", 10*time.Second)

	// The anchor first, alone on the machine.
	bare := startBare(b)
	bareBase := rssKiB(b, bare.pid)
	for range n {
		openIdle(b, bare.addr, sshtest.NewKey(b), nil, "hello from a bare")
	}
	bareCPU, bareRSS := idleCost(b, bare.pid, hold)
	bare.stop()

	s := startServer(b, "--max-conns-per-ip", strconv.Itoa(n+50))
	base := rssKiB(b, s.pid)
	for i := range n {
		tm := signUp(b, s, sshtest.NewKey(b), fmt.Sprintf("Seller %d", i), "")
		_ = tm // open and idle on its first screen
	}
	cpu, rss := idleCost(b, s.pid, hold)

	perSession := func(rss, base int64) float64 { return float64(rss-base) / 1024 / float64(n) }
	b.ReportMetric(cpu, "cpu-%")
	b.ReportMetric(bareCPU, "bare-cpu-%")
	b.ReportMetric(perSession(rss, base), "MiB/session")
	b.ReportMetric(perSession(bareRSS, bareBase), "bare-MiB/session")
	b.ReportMetric(0, "ns/op")
	b.Logf("%d idle sessions over %s: Stockroom %.2f%% of a core, %.2f MiB each; bare Wish + Bubble Tea %.2f%%, %.2f MiB each",
		n, hold, cpu, perSession(rss, base), bareCPU, perSession(bareRSS, bareBase))
}

// idleCost waits for the sessions' first frames to settle, then measures
// the process's CPU (percent of one core) over hold and its RSS after.
func idleCost(b *testing.B, pid int, hold time.Duration) (cpu float64, rss int64) {
	b.Helper()
	time.Sleep(2 * time.Second) // let first frames and sign-up work finish: a settling period, not synchronisation
	// One window per run, whatever b.N: the figure is a rate, not a
	// per-operation time.
	c0, t0 := cpuTicks(b, pid), time.Now()
	time.Sleep(hold) // the measurement window itself
	used := float64(cpuTicks(b, pid)-c0) / clockTicks
	return 100 * used / time.Since(t0).Seconds(), rssKiB(b, pid)
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat's CPU times on Linux.
const clockTicks = procstat.ClockTicks

func cpuTicks(tb testing.TB, pid int) int64 {
	tb.Helper()
	user, sys := cpuTimes(tb, pid)
	return user + sys
}

// cpuTimes are pid's user and system CPU times in clock ticks.
func cpuTimes(tb testing.TB, pid int) (user, sys int64) {
	tb.Helper()
	user, sys, err := procstat.CPU(pid)
	if err != nil {
		tb.Fatal(err)
	}
	return user, sys
}

func rssKiB(tb testing.TB, pid int) int64 {
	tb.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kib, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kib
		}
	}
	tb.Fatal("no VmRSS")
	return 0
}

func envInt(tb testing.TB, name string, def int) int {
	tb.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		tb.Fatalf("%s=%q: want a positive number", name, v)
	}
	return n
}

// bareServer is the anchor process.
type bareServer struct {
	addr string
	pid  int
	stop func()
}

var buildBare = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "stockroom-bare-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "bare")
	build := exec.Command("go", "build", "-o", bin, "./e2e/internal/bare")
	build.Dir = ".."
	build.Env = append(os.Environ(), "GOTOOLCHAIN=local")
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the bare server: %v\n%s", err, out)
	}
	return bin, nil
})

func startBare(tb testing.TB) *bareServer {
	tb.Helper()
	bin, err := buildBare()
	if err != nil {
		tb.Fatal(err)
	}
	addr := freePort(tb)
	cmd := exec.Command(bin, "-addr", addr)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	stop := sync.OnceFunc(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	tb.Cleanup(stop)
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{User: "x", Auth: []gossh.AuthMethod{gossh.PublicKeys(sshtest.NewKey(tb))},
			HostKeyCallback: gossh.InsecureIgnoreHostKey()}) //nolint:gosec // a throwaway loopback anchor with a random host key
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			tb.Fatalf("bare server not listening: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return &bareServer{addr: addr, pid: cmd.Process.Pid, stop: stop}
}

// openIdle opens a terminal session and waits until want is on screen.
func openIdle(tb testing.TB, addr string, key gossh.Signer, hostKey gossh.PublicKey, want string) {
	tb.Helper()
	hk := gossh.InsecureIgnoreHostKey() //nolint:gosec // the anchor's host key is random per run
	if hostKey != nil {
		hk = gossh.FixedHostKey(hostKey)
	}
	c, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{User: "x", Auth: []gossh.AuthMethod{gossh.PublicKeys(key)}, HostKeyCallback: hk})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	tm := openTerm(tb, c, "", 120, 40)
	tm.waitFor(tb, want, 30*time.Second)
}
