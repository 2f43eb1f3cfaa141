package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/stockroom/stockroom/etsy/sandbox"
	"github.com/stockroom/stockroom/internal/sshtest"
	"github.com/stockroom/stockroom/store/storetest"
)

// BenchmarkSyncStall: does a big shop's first full sync stall everyone
// else on the same server? One server (SQLite, then PostgreSQL with
// TEST_DATABASE_URL) talks to an Etsy sandbox of two shops: a 300-listing
// shop whose staff hold N sessions open on its Inventory, and a big shop
// that another seller connects, which queues its full sync. Twice, first
// with nothing else running and then while that sync runs, the benchmark
// measures, one after another until the phase's samples are in:
//
//   - first frame: a new SSH session of the small shop's staff until its
//     Inventory shows rows;
//   - edit latency: `stock set` of a row the small shop's watcher session
//     shows, from the command's start to its exit (accepted), to the
//     watcher's row showing the new number (row shows), and to the row
//     being on Etsy (pushed: the sandbox, in this process, sent its answer
//     to the updateListingInventory call that wrote the new number).
//
// It prints p50/p99 of each, per phase, and how long the sync ran. The
// sandbox answers at STOCKROOM_STALL_QPS calls a second (Etsy's common 10),
// which the sync and the edits' pushes share.
//
//	STOCKROOM_STALL_SESSIONS  N (default 50)
//	STOCKROOM_STALL_LISTINGS  the big shop's listings (default 2,000)
//	STOCKROOM_STALL_SAMPLES   first frames and edits per phase (default 10)
//	STOCKROOM_STALL_QPS       the sandbox's rate limit (default 10)
//	STOCKROOM_BENCH_GOROUTINES=file  the server's goroutines (pprof debug=1)
//	                                 halfway through the samples taken while
//	                                 the sync runs: where sessions wait
//	STOCKROOM_STALL_CPUPROFILE=file  the server's CPU profile over the first
//	                                 10 s of the phase with nothing else
//	                                 running: where an edit's fan-out goes
//
//	go test ./e2e -run '^$' -bench SyncStall -benchtime 1x
//	STOCKROOM_STALL_SESSIONS=500 STOCKROOM_STALL_LISTINGS=10000 STOCKROOM_STALL_SAMPLES=20 go test ./e2e -run '^$' -bench SyncStall -benchtime 1x -timeout 60m
func BenchmarkSyncStall(b *testing.B) {
	cfg := stallConfig{
		sessions: envInt(b, "STOCKROOM_STALL_SESSIONS", 50),
		listings: envInt(b, "STOCKROOM_STALL_LISTINGS", 2000),
		samples:  envInt(b, "STOCKROOM_STALL_SAMPLES", 10),
		qps:      envInt(b, "STOCKROOM_STALL_QPS", 10),
	}
	b.Run("sqlite", func(b *testing.B) { benchSyncStall(b, cfg) })
	b.Run("postgres", func(b *testing.B) {
		benchSyncStall(b, cfg, "--database-url", storetest.PostgresDatabase(b))
	})
}

type stallConfig struct {
	sessions, listings, samples, qps int
}

// The two shops of the stall benchmark's sandbox (sandbox.Generate's ids).
const (
	smallShopListings = 300
	bigShopSeller     = "80001001" // the second shop's seller
)

// stallPhase is what one phase measured.
type stallPhase struct {
	first, accepted, shown, pushed []time.Duration
	cpu                            float64 // the server's CPU over the phase, % of one core
	// cpuPerSample is the server's CPU per sample (a first frame and an
	// edit with its fan-out to every open session), in ms: unlike the
	// latencies, it hardly depends on what else the machine runs.
	cpuPerSample float64
}

func (p *stallPhase) report(b *testing.B, name string) {
	for _, m := range []struct {
		what string
		ds   []time.Duration
	}{{"first-frame", p.first}, {"edit-accepted", p.accepted}, {"edit-shown", p.shown}, {"edit-pushed", p.pushed}} {
		b.ReportMetric(percentile(m.ds, 0.50), name+"-"+m.what+"-p50-ms")
		b.ReportMetric(percentile(m.ds, 0.99), name+"-"+m.what+"-p99-ms")
	}
	b.ReportMetric(p.cpu, name+"-server-cpu-%")
	b.ReportMetric(p.cpuPerSample, name+"-server-cpu-ms/sample")
}

// String is one line: a benchmark's log keeps ten lines unless -v.
func (p *stallPhase) String() string {
	f := func(ds []time.Duration) string {
		return fmt.Sprintf("p50 %.0f p99 %.0f", percentile(ds, 0.5), percentile(ds, 0.99))
	}
	return fmt.Sprintf("first frame %s; edit accepted %s, row shows %s, on Etsy %s (ms, n=%d); server CPU %.0f%% of a core, %.0f ms a sample",
		f(p.first), f(p.accepted), f(p.shown), f(p.pushed), len(p.first), p.cpu, p.cpuPerSample)
}

func benchSyncStall(b *testing.B, cfg stallConfig, extra ...string) {
	seed := sandbox.Generate(sandbox.GenOptions{Seed: 16, Shops: 2, Listings: cfg.listings, Receipts: 300})
	small := &seed.Shops[0]
	small.Listings, small.Receipts = small.Listings[:min(smallShopListings, len(small.Listings))], nil
	pushes := &pushWatch{}
	etsyURL := startSandbox(b, seed, cfg.qps, pushes.answered)

	dump := os.Getenv("STOCKROOM_BENCH_GOROUTINES")
	metricsAddr := freePort(b)
	extra = append(extra, "--metrics-addr", metricsAddr)
	s := startServer(b, append([]string{"--etsy-keystring", "stallkey", "--etsy-shared-secret", "stallsecret",
		"--etsy-api-url", etsyURL + "/v3", "--etsy-auth-url", etsyURL + "/oauth/connect", "--etsy-token-url", etsyURL + "/v3/public/oauth/token",
		"--signup", "open", "--max-conns-per-ip", strconv.Itoa(cfg.sessions + 200),
		"--max-sessions-per-account", strconv.Itoa(cfg.sessions + 100)}, extra...)...)

	// The small shop, connected and synced; its staff's sessions open.
	owner := sshtest.NewKey(b)
	oc := s.dial(b, owner)
	signUpOn(b, oc, "Small Shop Owner", "").Sess.Close()
	rows := connectShop(b, s, oc)
	hasRows := func(screen string) bool {
		for _, r := range rows {
			if r.SKU != "" && strings.Contains(screen, r.SKU) {
				return true
			}
		}
		return false
	}
	skus := make([]string, 0, len(rows))
	for _, r := range rows {
		if r.SKU != "" {
			skus = append(skus, r.SKU)
		}
	}
	openBackground(b, cfg.sessions, func() (*gossh.Client, error) {
		return gossh.Dial("tcp", s.sshAddr, s.clientConfig(gossh.PublicKeys(owner)))
	}, "inventory", skus)
	watcher := openTerm(b, oc, "inventory", 120, 40)
	screen := watcher.waitUntil(b, "rows", 30*time.Second, hasRows)
	targets := editTargets(rows, screen)
	if len(targets) == 0 {
		b.Fatalf("no row with a SKU of its own on the watcher's screen:\n%s", screen)
	}
	probe := func() (time.Duration, error) {
		return firstFrame(s.sshAddr, s.clientConfig(gossh.PublicKeys(owner)), "inventory", hasRows)
	}
	next := 0
	edit := func(p *stallPhase) {
		t := targets[next%len(targets)]
		want := 900 + next // three digits no other column of the row shows
		next++
		stallEdit(b, oc, watcher, pushes, t, want, p)
	}

	// cpuSince is the server's CPU since c0 at t0, in % of one core and
	// in ms for each of n samples.
	cpuSince := func(c0 int64, t0 time.Time, n int) (float64, float64) {
		secs := float64(cpuTicks(b, s.pid)-c0) / clockTicks
		return 100 * secs / time.Since(t0).Seconds(), 1000 * secs / float64(max(n, 1))
	}

	// Idle: nothing else runs.
	var profiled chan error
	if path := os.Getenv("STOCKROOM_STALL_CPUPROFILE"); path != "" {
		profiled = make(chan error, 1)
		go func() { profiled <- download("http://"+metricsAddr+"/debug/pprof/profile?seconds=10", path) }()
	}
	var idle stallPhase
	c0, t0 := cpuTicks(b, s.pid), time.Now()
	for range cfg.samples {
		d, err := probe()
		if err != nil {
			b.Fatal(err)
		}
		idle.first = append(idle.first, d)
		edit(&idle)
	}
	idle.cpu, idle.cpuPerSample = cpuSince(c0, t0, len(idle.first))
	if profiled != nil {
		if err := <-profiled; err != nil {
			b.Fatal(err)
		}
	}

	// The big shop connects: its full sync runs while the same is measured
	// again, until the sync ends (and at least until the samples are in).
	seller := sshtest.NewKey(b)
	sc := s.dial(b, seller)
	signUpOn(b, sc, "Big Shop Owner", "").Sess.Close()
	syncStart := time.Now()
	connectSeller(b, sc, bigShopSeller)
	syncDone := make(chan time.Duration, 1)
	go func() { syncDone <- waitFullSync(sc, syncStart) }()
	var busy stallPhase
	c0, t0 = cpuTicks(b, s.pid), time.Now()
	var took time.Duration
	duringSync := 0
	for finished := false; !finished || len(busy.first) < cfg.samples; {
		d, err := probe()
		if err != nil {
			b.Fatal(err)
		}
		busy.first = append(busy.first, d)
		edit(&busy)
		if !finished {
			duringSync++
			if dump != "" && duringSync == cfg.samples/2 {
				fetchTo(b, "http://"+metricsAddr+"/debug/pprof/goroutine?debug=1", dump)
			}
		}
		select {
		case took = <-syncDone:
			finished = true
			busy.cpu, busy.cpuPerSample = cpuSince(c0, t0, len(busy.first)) // over the samples taken while the sync ran (with the sync's own CPU)
		default:
		}
	}
	if took < 0 {
		b.Fatalf("the big shop's sync did not finish ok; log:\n%s", s.logs)
	}

	idle.report(b, "idle")
	busy.report(b, "sync")
	b.ReportMetric(took.Seconds(), "sync-s")
	b.ReportMetric(0, "ns/op")
	b.Logf("%d sessions open on a %d-listing shop; a %d-listing shop's first full sync took %.1f s at %d calls/s; "+
		"%d of the %d samples of the second phase were taken while it ran.\nnothing else running: %s\nwhile the sync runs:  %s",
		cfg.sessions, len(small.Listings), cfg.listings, took.Seconds(), cfg.qps, duringSync, len(busy.first), &idle, &busy)
}

// download saves what url answers to path; unlike fetchTo it may run off
// the benchmark's goroutine.
func download(url, path string) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// openBackground opens n sessions of screen, ten at a time, each on its
// own connection, and waits until each has sent one of marks; they stay
// open until the benchmark ends. Unlike openMany it keeps no screen: the
// frames every edit sends them are scanned until the mark and then
// dropped, so that the client, on the same machine, does not spend the
// CPU the server is measured with.
func openBackground(b *testing.B, n int, dial func() (*gossh.Client, error), screen string, marks []string) {
	b.Helper()
	tenAtATime(b, n, func() error { return openMarked(b, dial, screen, marks) })
}

func openMarked(b *testing.B, dial func() (*gossh.Client, error), screen string, marks []string) error {
	c, err := dial()
	if err != nil {
		return err
	}
	b.Cleanup(func() { c.Close() })
	sess, err := c.NewSession()
	if err != nil {
		return err
	}
	if err := sess.RequestPty("xterm-256color", 40, 120, gossh.TerminalModes{}); err != nil {
		return err
	}
	seen := make(chan struct{})
	var tail []byte // what arrived, until a mark did
	sess.Stdout = writerFunc(func(p []byte) (int, error) {
		if tail == nil {
			return len(p), nil
		}
		tail = append(tail, p...)
		for _, m := range marks {
			if strings.Contains(string(tail), m) {
				tail = nil
				close(seen)
				break
			}
		}
		return len(p), nil
	})
	tail = []byte{}
	if err := sess.Start(screen); err != nil {
		return err
	}
	select {
	case <-seen:
		return nil
	case <-time.After(60 * time.Second):
		return fmt.Errorf("a background session showed no row within 60s")
	}
}

// startSandbox serves an Etsy sandbox holding seed at qps calls a second
// on a loopback port and returns its URL. answered is told of every call
// the sandbox answered successfully (sandbox.Config.Answered).
func startSandbox(tb testing.TB, seed sandbox.Seed, qps int, answered func(*sandbox.Sandbox, string, *http.Request)) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	base := "http://" + l.Addr().String()
	var sb *sandbox.Sandbox
	sb = sandbox.New(sandbox.Config{Keystring: "stallkey", SharedSecret: "stallsecret", PerSecond: qps, BaseURL: base,
		Answered: func(op string, r *http.Request) { answered(sb, op, r) }})
	if err := sb.Load(seed); err != nil {
		tb.Fatal(err)
	}
	srv := &http.Server{Handler: sb.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	tb.Cleanup(func() { _ = srv.Close() })
	return base
}

// editTargets are the rows with a SKU no other row has that screen shows.
func editTargets(rows []row, screen string) []row {
	count := map[string]int{}
	for _, r := range rows {
		count[r.SKU]++
	}
	var out []row
	for _, r := range rows {
		if r.SKU != "" && count[r.SKU] == 1 && screenRow(screen, r.SKU) != "" {
			out = append(out, r)
		}
	}
	return out
}

// screenRow is the line of screen that shows sku as a word.
func screenRow(screen, sku string) string {
	for _, line := range strings.Split(screen, "\n") {
		if slices.Contains(strings.Fields(line), sku) {
			return line
		}
	}
	return ""
}

// pushWatch tells when the sandbox answered the write that put an
// expected quantity on Etsy: the moment the push is done as far as Etsy
// is concerned, with no polling of the server in between.
type pushWatch struct {
	mu      sync.Mutex
	waiting map[int64]*pushWait // by listing id
}

type pushWait struct {
	sku  string
	want int
	done chan time.Time
}

// expect registers the write of want to sku's row of a listing, before
// the edit that causes it.
func (w *pushWatch) expect(listingID int64, sku string, want int) <-chan time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.waiting == nil {
		w.waiting = map[int64]*pushWait{}
	}
	pw := &pushWait{sku: sku, want: want, done: make(chan time.Time, 1)}
	w.waiting[listingID] = pw
	return pw.done
}

// answered runs on the sandbox's request goroutine once an answer was
// flushed to the server (sandbox.Config.Answered).
func (w *pushWatch) answered(sb *sandbox.Sandbox, op string, r *http.Request) {
	if op != "updateListingInventory" {
		return
	}
	at := time.Now()
	id, err := strconv.ParseInt(r.PathValue("listing_id"), 10, 64)
	if err != nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	pw, ok := w.waiting[id]
	if !ok {
		return
	}
	inv, _ := sb.Inventory(id)
	for _, p := range inv.Products {
		if p.SKU == pw.sku && len(p.Offerings) > 0 && p.Offerings[0].Quantity == pw.want {
			delete(w.waiting, id)
			pw.done <- at
			return
		}
	}
}

// stallEdit sets r to want with `stock set` and records when the command
// returned, when the watcher's row showed want, and when Etsy had it.
func stallEdit(b *testing.B, c *gossh.Client, watcher *term, pushes *pushWatch, r row, want int, p *stallPhase) {
	b.Helper()
	onEtsy := pushes.expect(r.ListingID, r.SKU, want)
	t0 := time.Now()
	res := run(b, c, fmt.Sprintf("stock set %s %d", r.SKU, want), "")
	if res.code != 0 {
		b.Fatalf("stock set: %s", res)
	}
	p.accepted = append(p.accepted, time.Since(t0))
	w := strconv.Itoa(want)
	watcher.waitUntil(b, fmt.Sprintf("%s at %d", r.SKU, want), 30*time.Second, func(sc string) bool {
		return slices.Contains(strings.Fields(screenRow(sc, r.SKU)), w)
	})
	p.shown = append(p.shown, time.Since(t0))
	select {
	case at := <-onEtsy:
		p.pushed = append(p.pushed, at.Sub(t0))
	case <-time.After(60 * time.Second):
		b.Fatalf("%s never reached Etsy at %d within 60s", r.SKU, want)
	}
}

// waitFullSync waits for the seller's first full sync to finish and says
// how long after start it did, or -1 if it failed or never finished.
func waitFullSync(c *gossh.Client, start time.Time) time.Duration {
	deadline := time.Now().Add(30 * time.Minute)
	for time.Now().Before(deadline) {
		var runs []struct {
			Kind       string     `json:"kind"`
			Result     string     `json:"result"`
			FinishedAt *time.Time `json:"finished_at"`
		}
		out, err := runQuiet(c, "sync log --format json")
		if err == nil && json.Unmarshal([]byte(out), &runs) == nil {
			for _, r := range runs {
				if r.Kind == "full" && r.FinishedAt != nil {
					if r.Result != "ok" {
						return -1
					}
					return r.FinishedAt.Sub(start)
				}
			}
		}
		time.Sleep(200 * time.Millisecond) // polling the server's answer
	}
	return -1
}

// runQuiet runs a command off the benchmark's goroutine: errors are
// returned, not reported.
func runQuiet(c *gossh.Client, cmd string) (string, error) {
	sess, err := c.NewSession()
	if err != nil {
		return "", err
	}
	defer sess.Close()
	var out strings.Builder
	sess.Stdout = &out
	if err := sess.Run(cmd); err != nil {
		return "", errors.Join(err, fmt.Errorf("%s: %s", cmd, out.String()))
	}
	return out.String(), nil
}
