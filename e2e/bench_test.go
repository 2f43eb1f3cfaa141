// How long a seller waits for the first frame when many connect at once.
package e2e

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/stockroom/stockroom/internal/procstat"
	"github.com/stockroom/stockroom/internal/sshtest"
	"github.com/stockroom/stockroom/store/storetest"
)

// BenchmarkConnectToFirstFrame: a shop's 50 staff connect at the same
// moment on loopback (a shop's morning, or a failover); each measures TCP
// connect, SSH handshake, PTY and shell until its Inventory screen shows
// rows of the connected demo shop. The same burst against the anchor, a
// bare Wish + Bubble Tea server (e2e/internal/bare), runs in the same
// iteration. Reports p50 and p99 in ms for both, and the CPU each server
// process spent per connect; on a PostgreSQL server on this machine, also
// the CPU its backends for the benchmark's database spent per connect
// (db-cpu-ms/connect), which follows the queries each connect makes.
//
// STOCKROOM_BENCH_CPUPROFILE=file writes the server's CPU profile of the
// timed bursts there (go tool pprof file.*), and
// STOCKROOM_BENCH_ALLOCPROFILE=file its allocations before (file.before) and
// after them (file): go tool pprof -sample_index=alloc_space -base
// file.before file shows what the bursts allocated.
//
// It runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL (a
// throwaway database on that server):
//
//	go test ./e2e -run '^$' -bench ConnectToFirstFrame -benchtime 3x
func BenchmarkConnectToFirstFrame(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchConnectToFirstFrame(b, nil) })
	b.Run("postgres", func(b *testing.B) {
		u := storetest.PostgresDatabase(b)
		benchConnectToFirstFrame(b, []string{"STOCKROOM_DATABASE_URL=" + u}, databaseName(b, u))
	})
}

// benchConnectToFirstFrame: db names the PostgreSQL database ("": none).
func benchConnectToFirstFrame(b *testing.B, settings []string, db ...string) {
	const clients = 50
	metricsAddr := freePort(b)
	// Loopback is one IP: lift the per-IP cap above the crowd.
	s := startServerEnv(b, b.TempDir(), settings, "--max-conns-per-ip", "200", "--metrics-addr", metricsAddr)
	// The staff exist before the clock starts: the owner connects the demo
	// shop, the others join with invite codes. None of it is timed.
	keys := make([]gossh.Signer, clients)
	keys[0] = sshtest.NewKey(b)
	signUp(b, s, keys[0], "Seller 0", "").Sess.Close()
	owner := s.dial(b, keys[0])
	rows := connectShop(b, s, owner)
	for i := 1; i < clients; i++ {
		keys[i] = sshtest.NewKey(b)
		joinWithInvite(b, s, owner, keys[i], fmt.Sprintf("Seller %d", i), net.IPv4(127, 0, 1, byte(i)))
	}
	hasRows := func(screen string) bool {
		for _, r := range rows {
			if r.SKU != "" && strings.Contains(screen, r.SKU) {
				return true
			}
		}
		return false
	}
	bare := startBare(b)
	bareKeys := make([]gossh.Signer, clients)
	for i := range bareKeys {
		bareKeys[i] = sshtest.NewKey(b)
	}
	bareCfg := func(k gossh.Signer) *gossh.ClientConfig {
		return &gossh.ClientConfig{User: "x", Auth: []gossh.AuthMethod{gossh.PublicKeys(k)},
			HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second} //nolint:gosec // the anchor's host key is random per run
	}
	isBare := func(screen string) bool { return strings.Contains(screen, "hello from a bare") }

	var all, allBare []time.Duration
	allocs := os.Getenv("STOCKROOM_BENCH_ALLOCPROFILE")
	if allocs != "" {
		fetchProfile(b, metricsAddr, "allocs", allocs+".before")
	}
	stopProfile := serverProfile(b, metricsAddr, os.Getenv("STOCKROOM_BENCH_CPUPROFILE"))
	b.ResetTimer()
	// The clients run in this process, on the same cores as the servers:
	// their CPU (SSH handshakes, parsing each frame into a screen) is
	// counted too, so that a p99 can be read against what the clients took.
	self := os.Getpid()
	var ticks, bareTicks, dbTicks, clientTicks, bareClientTicks int64
	for b.Loop() {
		c0, own0 := cpuTicks(b, s.pid), cpuTicks(b, self)
		d0 := backendTicks(db...)
		all = append(all, burst(b, clients, func(i int) (time.Duration, error) {
			return firstFrame(s.sshAddr, s.clientConfig(gossh.PublicKeys(keys[i])), "inventory", hasRows)
		})...)
		ticks += cpuTicks(b, s.pid) - c0
		clientTicks += cpuTicks(b, self) - own0
		dbTicks += backendTicks(db...).since(d0)
		c0, own0 = cpuTicks(b, bare.pid), cpuTicks(b, self)
		allBare = append(allBare, burst(b, clients, func(i int) (time.Duration, error) {
			return firstFrame(bare.addr, bareCfg(bareKeys[i]), "", isBare)
		})...)
		bareTicks += cpuTicks(b, bare.pid) - c0
		bareClientTicks += cpuTicks(b, self) - own0
	}
	b.StopTimer()
	stopProfile()
	if allocs != "" {
		fetchProfile(b, metricsAddr, "allocs", allocs)
	}
	b.ReportMetric(percentile(all, 0.50), "p50-ms")
	b.ReportMetric(percentile(all, 0.99), "p99-ms")
	b.ReportMetric(percentile(allBare, 0.50), "bare-p50-ms")
	b.ReportMetric(percentile(allBare, 0.99), "bare-p99-ms")
	// CPU the server spent per connect, in ms: unlike wall time it does not
	// depend on what else the machine runs.
	perConnect := func(t int64) float64 { return float64(t) * 1000 / clockTicks / float64(len(all)) }
	b.ReportMetric(perConnect(ticks), "cpu-ms/connect")
	b.ReportMetric(perConnect(bareTicks), "bare-cpu-ms/connect")
	b.ReportMetric(perConnect(clientTicks), "client-cpu-ms/connect")
	b.ReportMetric(perConnect(bareClientTicks), "bare-client-cpu-ms/connect")
	if len(db) > 0 {
		b.ReportMetric(perConnect(dbTicks), "db-cpu-ms/connect")
	}
	b.ReportMetric(0, "ns/op")
}

// joinWithInvite signs key up through the sign-up screen with an invite
// code of the owner's shop, and waits until the new member sees the shop.
// It dials from the loopback address from, so that many sign-ups stay under
// the per-address limit on code attempts.
// It returns the new member's connection, still open.
func joinWithInvite(tb testing.TB, s *server, owner *gossh.Client, key gossh.Signer, name string, from net.IP) *gossh.Client {
	tb.Helper()
	r := run(tb, owner, "members invite --role viewer", "")
	code := strings.TrimSpace(r.stdout)
	if r.code != 0 || !codePattern.MatchString(code) {
		tb.Fatalf("members invite: %s", r)
	}
	c := dialFrom(tb, s, key, from)
	tm := openTerm(tb, c, "", 120, 40)
	tm.waitFor(tb, "Welcome to Stockroom", 10*time.Second)
	tm.send(tb, name, "\t", "\t", code, "\r")
	tm.waitFor(tb, "DemoShop", 10*time.Second)
	tm.Sess.Close()
	return c
}

// serverProfile starts a CPU profile of the server through its metrics
// listener when path is set; the returned func ends it and writes the file.
// The profile is fetched in windows of one second until stopped, each
// appended as its own file (path.1, path.2, ...), which go tool pprof merges.
func serverProfile(tb testing.TB, metricsAddr, path string) (stop func()) {
	tb.Helper()
	if path == "" {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for i := 1; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			resp, err := http.Get("http://" + metricsAddr + "/debug/pprof/profile?seconds=1")
			if err != nil {
				tb.Errorf("server profile: %v", err)
				return
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != http.StatusOK {
				tb.Errorf("server profile: %s %v", resp.Status, err)
				return
			}
			if err := os.WriteFile(fmt.Sprintf("%s.%d", path, i), body, 0o644); err != nil {
				tb.Errorf("server profile: %v", err)
				return
			}
		}
	}()
	return func() { close(done); <-finished }
}

// fetchProfile writes the server's profile name (allocs, heap, goroutine)
// to path, fetched through its metrics listener.
func fetchProfile(tb testing.TB, metricsAddr, name, path string) {
	tb.Helper()
	resp, err := http.Get("http://" + metricsAddr + "/debug/pprof/" + name)
	if err != nil {
		tb.Fatalf("server profile %s: %v", name, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		tb.Fatalf("server profile %s: %s %v", name, resp.Status, err)
	}
	if err := os.WriteFile(path, body, 0o644); err != nil {
		tb.Fatal(err)
	}
}

// dialFrom is server.dial from a chosen loopback address.
func dialFrom(tb testing.TB, s *server, key gossh.Signer, from net.IP) *gossh.Client {
	tb.Helper()
	c, err := dialSSHFrom(s.sshAddr, s.clientConfig(gossh.PublicKeys(key)), from)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// dialSSHFrom opens an SSH client to addr from a chosen loopback address:
// a crowd larger than the server's per-IP cap comes from several.
func dialSSHFrom(addr string, cfg *gossh.ClientConfig, from net.IP) (*gossh.Client, error) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: from}, Timeout: cfg.Timeout}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dial from %s: %w", from, err)
	}
	cc, chans, reqs, err := gossh.NewClientConn(conn, addr, cfg)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("ssh from %s: %w", from, err)
	}
	return gossh.NewClient(cc, chans, reqs), nil
}

// burst runs n clients released at the same moment and returns their times.
func burst(tb testing.TB, n int, client func(i int) (time.Duration, error)) []time.Duration {
	tb.Helper()
	start := make(chan struct{})
	took := make([]time.Duration, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			took[i], errs[i] = client(i)
		})
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			tb.Fatal(err)
		}
	}
	return took
}

// percentile is the p-th fraction of ds in milliseconds; it sorts ds.
func percentile(ds []time.Duration, p float64) float64 {
	slices.Sort(ds)
	return float64(ds[min(len(ds)-1, int(p*float64(len(ds))))].Microseconds()) / 1000
}

// firstFrame connects one client, opens screen (a command such as
// "inventory"; "" for the server's default) and waits until ready(screen)
// holds.
func firstFrame(addr string, cfg *gossh.ClientConfig, screen string, ready func(string) bool) (time.Duration, error) {
	t0 := time.Now()
	c, err := gossh.Dial("tcp", addr, cfg)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	sess, err := c.NewSession()
	if err != nil {
		return 0, err
	}
	defer sess.Close()
	if err := sess.RequestPty("xterm-256color", 40, 120, gossh.TerminalModes{}); err != nil {
		return 0, err
	}
	vt := newVterm(120, 40)
	seen := make(chan struct{})
	var once sync.Once
	sess.Stdout = writerFunc(func(p []byte) (int, error) {
		n, err := vt.Write(p)
		if ready(vt.Screen()) {
			once.Do(func() { close(seen) })
		}
		return n, err
	})
	if screen == "" {
		err = sess.Shell()
	} else {
		err = sess.Start(screen)
	}
	if err != nil {
		return 0, err
	}
	select {
	case <-seen:
		return time.Since(t0), nil
	case <-time.After(30 * time.Second):
		return 0, errTimeout(vt.Screen())
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

type errTimeout string

func (e errTimeout) Error() string { return "no first frame within 30s; screen:\n" + string(e) }

// databaseName is the database a PostgreSQL URL names.
func databaseName(tb testing.TB, rawURL string) string {
	tb.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		tb.Fatal(err)
	}
	return strings.TrimPrefix(u.Path, "/")
}

// backends is the CPU, in clock ticks, of each PostgreSQL backend process
// on this machine that serves one of dbs, by pid. A backend's title names
// its database: "postgres: [cluster:] user db host(port) state". A server
// on another machine is not seen: none are found.
type backends map[int]int64

func backendTicks(dbs ...string) backends {
	out := backends{}
	if len(dbs) == 0 {
		return out
	}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return out
	}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmd, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil {
			continue
		}
		f := strings.Fields(strings.ReplaceAll(string(cmd), "\x00", " "))
		if len(f) < 3 || f[0] != "postgres:" || !slices.ContainsFunc(f[1:], func(w string) bool { return slices.Contains(dbs, w) }) {
			continue
		}
		if user, sys, err := procstat.CPU(pid); err == nil {
			out[pid] = user + sys
		}
	}
	return out
}

// since is the CPU spent after before was taken: a backend started since
// counts from zero; one that ended meanwhile is not counted (the server's
// pool keeps its connections through a burst).
func (now backends) since(before backends) int64 {
	var t int64
	for pid, ticks := range now {
		t += ticks - before[pid]
	}
	return t
}
