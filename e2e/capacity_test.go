package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/stockroom/stockroom/internal/sshtest"
)

// BenchmarkSessionCapacity is the load tool: it opens N terminal sessions
// over real SSH to one server process, each on the Inventory screen of a
// connected demo shop with its rows drawn, holds them idle, and samples
// the server from /proc (RSS, CPU) and its metrics listener (goroutines).
// Then, with all N still open, it times new sessions' first frames (rows
// visible), and again right after a new member joins the shop: the join is
// news to every open session, and the next new session must not queue
// behind their reaction to it. The anchor, a bare Wish + Bubble Tea server
// (e2e/internal/bare), gets the same N sessions and the same new ones in
// the same run. It prints a table and reports the figures as metrics.
//
//	STOCKROOM_LOAD_SESSIONS  N (default 100)
//	STOCKROOM_LOAD_HOLD      idle window CPU is measured over (default 10s);
//	                         RSS is sampled 10 times in it (at least every
//	                         second) and the slope printed, so a long hold
//	                         (1h, see README.md) shows whether idle sessions
//	                         grow
//	STOCKROOM_LOAD_BARE_HOLD the anchor's hold (default the same): an hour's
//	                         growth check of Stockroom needs the anchor's
//	                         slope, not a second hour
//	STOCKROOM_BENCH_HEAPPROFILE=file  the server's heap profile after the hold
//	                                  (and its goroutines in file.goroutines)
//	STOCKROOM_BENCH_CPUPROFILE=file   its CPU profile during the hold (file.1, file.2, ...)
//
//	go test ./e2e -run '^$' -bench SessionCapacity -benchtime 1x
//	STOCKROOM_LOAD_SESSIONS=1000 STOCKROOM_LOAD_HOLD=30s go test ./e2e -run '^$' -bench SessionCapacity -benchtime 1x -timeout 60m
//
// For 10,000 sessions see README.md (Speed): the client and the server
// each hold one file descriptor per session, so both need ulimit -n above
// N plus a few hundred.
func BenchmarkSessionCapacity(b *testing.B) {
	n := envInt(b, "STOCKROOM_LOAD_SESSIONS", 100)
	hold := envDuration(b, "STOCKROOM_LOAD_HOLD", 10*time.Second)
	bareHold := envDuration(b, "STOCKROOM_LOAD_BARE_HOLD", hold)
	const probes = 20 // new sessions timed while N are open

	// The anchor first, alone on the machine.
	bare := startBare(b)
	bareBase := rssKiB(b, bare.pid)
	isBare := func(screen string) bool { return strings.Contains(screen, "hello from a bare") }
	bareCfg := func() *gossh.ClientConfig {
		return &gossh.ClientConfig{User: "x", Auth: []gossh.AuthMethod{gossh.PublicKeys(sshtest.NewKey(b))},
			HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 30 * time.Second} //nolint:gosec // the anchor's host key is random per run
	}
	openMany(b, n, func() (*gossh.Client, error) { return gossh.Dial("tcp", bare.addr, bareCfg()) }, "", isBare)
	bareCPU, bareSamples := holdSampled(b, bare.pid, bareHold)
	bareRSS := bareSamples[len(bareSamples)-1].kib
	bareFirst := probeFirstFrames(b, probes, func() (time.Duration, error) { return firstFrame(bare.addr, bareCfg(), "", isBare) })
	bare.stop()

	// An account may hold at most 1,000 sessions: the owner's staff share
	// them, 900 each.
	const perAccount = 900
	metricsAddr := freePort(b)
	// The sessions stay idle for the whole hold: the server's idle timeout
	// (30 minutes by default) must not close them during a long one.
	// The crowd comes from several loopback addresses, perIP each: the
	// server's per-IP cap stays within its bounds however large N is.
	const perIP = 5000
	s := startServer(b, "--max-conns-per-ip", strconv.Itoa(min(n, perIP)+100), "--max-sessions-per-account", strconv.Itoa(perAccount+50),
		"--metrics-addr", metricsAddr, "--idle-timeout", max(30*time.Minute, hold+15*time.Minute).String())
	owner := sshtest.NewKey(b)
	signUp(b, s, owner, "Load Owner", "").Sess.Close()
	ownerConn := s.dial(b, owner)
	rows := connectShop(b, s, ownerConn)
	staff := []gossh.Signer{owner}
	for i := 1; i < (n+perAccount-1)/perAccount; i++ {
		k := sshtest.NewKey(b)
		joinWithInvite(b, s, ownerConn, k, fmt.Sprintf("Staff %d", i), net.IPv4(127, 0, 2, byte(i)))
		staff = append(staff, k)
	}
	// An account with room for the probes, joined before the sessions
	// open: a join is news to every open session of the shop.
	prober := sshtest.NewKey(b)
	joinWithInvite(b, s, ownerConn, prober, "Prober", net.IPv4(127, 0, 3, 1))
	hasRows := func(screen string) bool {
		for _, r := range rows {
			if r.SKU != "" && strings.Contains(screen, r.SKU) {
				return true
			}
		}
		return false
	}
	base := rssKiB(b, s.pid)
	baseG := goroutines(b, metricsAddr)
	openBefore := metric(b, metricsAddr, "stockroom_ssh_sessions_open")
	var next atomic.Int64
	clients := openMany(b, n, func() (*gossh.Client, error) {
		i := int(next.Add(1) - 1)
		from := net.IPv4(127, 0, 5, byte(1+i/perIP))
		return dialSSHFrom(s.sshAddr, s.clientConfig(gossh.PublicKeys(staff[i/perAccount])), from)
	}, "inventory", hasRows)
	stopProfile := serverProfile(b, metricsAddr, os.Getenv("STOCKROOM_BENCH_CPUPROFILE"))
	cpu, samples := holdSampled(b, s.pid, hold)
	rss := samples[len(samples)-1].kib
	stopProfile()
	g := goroutines(b, metricsAddr)
	probe := func() (time.Duration, error) {
		return firstFrame(s.sshAddr, s.clientConfig(gossh.PublicKeys(prober)), "inventory", hasRows)
	}
	first := probeFirstFrames(b, probes, probe)
	// A member joins while the N are open: every one of them hears of it.
	// The new sessions timed right after must not wait for that fan-out.
	late := joinWithInvite(b, s, ownerConn, sshtest.NewKey(b), "Late joiner", net.IPv4(127, 0, 3, 2))
	afterJoin := probeFirstFrames(b, probes/4, probe)
	late.Close()
	if path := os.Getenv("STOCKROOM_BENCH_HEAPPROFILE"); path != "" {
		fetchTo(b, "http://"+metricsAddr+"/debug/pprof/heap", path)
		fetchTo(b, "http://"+metricsAddr+"/debug/pprof/goroutine?debug=1", path+".goroutines")
	}
	perSession := func(rss, base int64) float64 { return float64(rss-base) / 1024 / float64(n) }
	b.Logf("new sessions' first frames, in order: Stockroom %v; bare %v; Stockroom after a member joined %v",
		slices.Clone(first), slices.Clone(bareFirst), slices.Clone(afterJoin))
	slope, bareSlope := rssSlope(samples), rssSlope(bareSamples)
	b.Logf("RSS during the hold (MiB, every %s): Stockroom %v; bare %v", samples[1].at-samples[0].at,
		mibs(samples), mibs(bareSamples))
	b.ReportMetric(perSession(rss, base), "MiB/session")
	b.ReportMetric(perSession(bareRSS, bareBase), "bare-MiB/session")
	b.ReportMetric(cpu, "cpu-%")
	b.ReportMetric(bareCPU, "bare-cpu-%")
	b.ReportMetric(percentile(first, 0.99), "first-p99-ms")
	b.ReportMetric(percentile(bareFirst, 0.99), "bare-first-p99-ms")
	b.ReportMetric(float64(g-baseG)/float64(n), "goroutines/session")
	b.ReportMetric(percentile(afterJoin, 1), "join-first-max-ms")
	b.ReportMetric(slope, "rss-MiB/h")
	b.ReportMetric(bareSlope, "bare-rss-MiB/h")
	b.ReportMetric(0, "ns/op")
	b.Logf("%d idle sessions, CPU over %s (bare: %s), then %d new sessions timed to their first frame:\n"+
		"%-32s %12s %12s\n%-32s %12.2f %12.2f\n%-32s %12.2f %12.2f\n%-32s %12.1f %12.1f\n%-32s %12.1f %12.1f\n"+
		"%-32s %12.1f %12s\n%-32s %12.1f %12s\n%-32s %12.1f %12s\n%-32s %12.1f %12.1f",
		n, hold, bareHold, probes,
		"figure", "Stockroom", "bare",
		"RSS per session (MiB)", perSession(rss, base), perSession(bareRSS, bareBase),
		"CPU, idle (% of a core)", cpu, bareCPU,
		"new first frame p50 (ms)", percentile(first, 0.5), percentile(bareFirst, 0.5),
		"new first frame p99 (ms)", percentile(first, 0.99), percentile(bareFirst, 0.99),
		"first frame after a join, max", percentile(afterJoin, 1), "-",
		"goroutines per session", float64(g-baseG)/float64(n), "-",
		"RSS total (MiB)", float64(rss)/1024, "-",
		"RSS slope while idle (MiB/h)", slope, bareSlope)
	// Hang up and let the server wind the sessions down before it is
	// stopped: its stop is given seconds, not the minutes thousands of
	// sessions can take to close.
	for _, c := range clients {
		c.Close()
	}
	deadline := time.Now().Add(2 * time.Minute)
	for metric(b, metricsAddr, "stockroom_ssh_sessions_open") > openBefore {
		if time.Now().After(deadline) {
			b.Fatal("the load's sessions still open on the server 2 minutes after the clients hung up")
		}
		time.Sleep(100 * time.Millisecond) // polling another process's gauge
	}
}

// rssSample is the server's RSS at one moment of the hold.
type rssSample struct {
	at  time.Duration // since the hold began
	kib int64
}

// holdSampled is idleCost that also samples RSS ten times over the hold
// (at least a second apart), for the growth check.
func holdSampled(b *testing.B, pid int, hold time.Duration) (cpu float64, samples []rssSample) {
	b.Helper()
	time.Sleep(2 * time.Second) // let first frames and sign-up work finish: a settling period, not synchronisation
	every := max(hold/10, time.Second)
	c0, t0 := cpuTicks(b, pid), time.Now()
	samples = append(samples, rssSample{0, rssKiB(b, pid)})
	for since := time.Duration(0); since < hold; since = time.Since(t0) {
		time.Sleep(min(every, hold-since)) // the measurement window itself
		samples = append(samples, rssSample{time.Since(t0), rssKiB(b, pid)})
	}
	used := float64(cpuTicks(b, pid)-c0) / clockTicks
	return 100 * used / time.Since(t0).Seconds(), samples
}

// rssSlope is the least-squares slope of the samples in MiB per hour: flat
// idle sessions give about 0 over a long hold (a short one mostly shows
// the garbage collector's rhythm).
func rssSlope(samples []rssSample) float64 {
	var sx, sy, sxx, sxy float64
	for _, s := range samples {
		x, y := s.at.Hours(), float64(s.kib)/1024
		sx, sy, sxx, sxy = sx+x, sy+y, sxx+x*x, sxy+x*y
	}
	n := float64(len(samples))
	if d := n*sxx - sx*sx; d != 0 {
		return (n*sxy - sx*sy) / d
	}
	return 0
}

func mibs(samples []rssSample) []string {
	out := make([]string, len(samples))
	for i, s := range samples {
		out[i] = strconv.FormatFloat(float64(s.kib)/1024, 'f', 1, 64)
	}
	return out
}

// openMany opens n terminal sessions, ten at a time, each on its own
// connection, and waits until each screen is ready. They stay open until
// the benchmark ends.
func openMany(b *testing.B, n int, dial func() (*gossh.Client, error), screen string, ready func(string) bool) []*gossh.Client {
	b.Helper()
	var mu sync.Mutex
	var clients []*gossh.Client
	tenAtATime(b, n, func() error {
		c, err := dial()
		if err != nil {
			return err
		}
		b.Cleanup(func() { c.Close() })
		mu.Lock()
		clients = append(clients, c)
		mu.Unlock()
		tm := openTerm(b, c, screen, 120, 40)
		tm.waitUntil(b, "a ready screen", 60*time.Second, ready)
		return nil
	})
	return clients
}

// tenAtATime runs open n times, ten at once, and fails the benchmark with
// the errors it returned.
func tenAtATime(b *testing.B, n int, open func() error) {
	b.Helper()
	sem := make(chan struct{}, 10)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			errs <- open()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
}

// probeFirstFrames times k new sessions one after another.
func probeFirstFrames(b *testing.B, k int, one func() (time.Duration, error)) []time.Duration {
	b.Helper()
	out := make([]time.Duration, 0, k)
	for range k {
		d, err := one()
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, d)
	}
	return out
}

// goroutines reads go_goroutines from the server's metrics listener.
func goroutines(tb testing.TB, metricsAddr string) int {
	tb.Helper()
	return int(metric(tb, metricsAddr, "go_goroutines"))
}

// metric reads one unlabelled series from the server's metrics listener.
func metric(tb testing.TB, metricsAddr, name string) float64 {
	tb.Helper()
	resp, err := http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				tb.Fatal(err)
			}
			return n
		}
	}
	tb.Fatalf("no %s in /metrics", name)
	return 0
}

func fetchTo(tb testing.TB, url, path string) {
	tb.Helper()
	resp, err := http.Get(url)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	if _, err := io.Copy(f, resp.Body); err != nil {
		tb.Fatal(err)
	}
}

func envDuration(tb testing.TB, name string, def time.Duration) time.Duration {
	tb.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	return d
}
