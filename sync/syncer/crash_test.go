// A server process killed with SIGKILL in the middle of its work: pushes
// in flight (one of them written to Etsy with its answer lost), a full
// sync holding the store's lease, runs "running". The process is a real
// subprocess (this test binary, re-run in child mode by TestMain); the
// process that takes over is a fresh one on the same database.
package syncer_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/stockroom/stockroom/etsy"
	"github.com/stockroom/stockroom/etsy/sandbox"
	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/internal/testwait"
	"github.com/stockroom/stockroom/jobs"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/store/postgres"
	"github.com/stockroom/stockroom/store/sqlite"
	"github.com/stockroom/stockroom/sync/syncer"
)

// crashChildEnv carries a crashChild to the test binary run as a server
// process.
const crashChildEnv = "STOCKROOM_TEST_CRASH_CHILD"

// crashChild is what a child server process runs on.
type crashChild struct {
	Backend string           `json:"backend"`
	Where   string           `json:"where"`
	API     string           `json:"api"`
	Tokens  map[int64]string `json:"tokens"`
	Process string           `json:"process"`
}

func TestMain(m *testing.M) {
	if spec := os.Getenv(crashChildEnv); spec != "" {
		if err := runCrashChild(spec); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runCrashChild runs a server process's engine, queue and liveness with
// the server's settings until it is killed, saying "ready" on stdout once
// it works jobs.
func runCrashChild(spec string) error {
	var c crashChild
	if err := json.Unmarshal([]byte(spec), &c); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	var db store.DB
	var q *jobs.Queue
	cfg := jobs.Config{ID: c.Process}
	switch c.Backend {
	case "sqlite":
		s, err := sqlite.Open(ctx, c.Where)
		if err != nil {
			return err
		}
		if q, err = openSQLiteQueue(c.Where, cfg); err != nil {
			return err
		}
		db = s
	default:
		s, err := postgres.Open(ctx, c.Where)
		if err != nil {
			return err
		}
		if q, err = jobs.NewPostgres(s.Pool(), cfg); err != nil {
			return err
		}
		db = s
	}
	client, err := etsy.New(etsy.Config{APIBaseURL: c.API + "/v3", TokenURL: c.API + "/v3/public/oauth/token",
		Keystring: sbKey, SharedSecret: sbSecret, Timeout: time.Minute})
	if err != nil {
		return err
	}
	tokens := tokenMap{}
	for id, tok := range c.Tokens {
		tokens[id] = staticToken(tok)
	}
	eng, err := syncer.New(syncer.Config{Store: db, Etsy: client, Tokens: tokens, Queue: q, Hub: hub.New(), Owner: c.Process})
	if err != nil {
		return err
	}
	if err := eng.Register(q.Workers()); err != nil {
		return err
	}
	live, err := syncer.NewLiveness(syncer.LivenessConfig{Store: db, Queue: q, Process: c.Process})
	if err != nil {
		return err
	}
	if err := live.Beat(ctx); err != nil {
		return err
	}
	if err := q.Start(ctx); err != nil {
		return err
	}
	fmt.Println("ready")
	return live.Run(ctx)
}

// heldRequests holds the sandbox's answers while the child works: the
// first inventory PUT is applied and its answer never sent (a write in
// doubt), later PUTs and the listings pages of a sync wait unapplied.
type heldRequests struct {
	mu       sync.Mutex
	holding  bool
	release  chan struct{}
	applied  []int64 // listings whose PUT was applied, answer lost
	unsent   []int64 // listings whose PUT never reached the sandbox
	pages    int
	arrivals chan struct{}
}

func newHeldRequests() *heldRequests {
	return &heldRequests{holding: true, release: make(chan struct{}), arrivals: make(chan struct{}, 100)}
}

func putListing(r *http.Request) (int64, bool) {
	rest, ok := strings.CutSuffix(r.URL.Path, "/inventory")
	if r.Method != http.MethodPut || !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(rest[strings.LastIndexByte(rest, '/')+1:], 10, 64)
	return id, err == nil
}

// wrap holds what the child sends while holding; next serves the rest.
func (h *heldRequests) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		holding := h.holding
		listing, isPut := putListing(r)
		page := r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/listings")
		apply := false
		switch {
		case !holding || (!isPut && !page):
			h.mu.Unlock()
			next.ServeHTTP(w, r)
			return
		case isPut && len(h.applied) == 0:
			h.applied = append(h.applied, listing)
			apply = true
		case isPut:
			h.unsent = append(h.unsent, listing)
		default:
			h.pages++
		}
		h.mu.Unlock()
		if apply {
			next.ServeHTTP(httptest.NewRecorder(), r)
		}
		h.arrivals <- struct{}{}
		<-h.release // the process that sent it is dead by then
	})
}

func (h *heldRequests) counts() (puts, pages int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.applied) + len(h.unsent), h.pages
}

func (h *heldRequests) stop() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.holding {
		h.holding = false
		close(h.release)
	}
}

// crashResult is what one kill and restart measured.
type crashResult struct {
	restartToLastEdit time.Duration // restart → the last pending edit on Etsy
	leaseUnblocked    time.Duration // kill → a manual sync of the store done
	idleEdit          time.Duration // anchor: an edit → Etsy on the restarted process, nothing pending
}

// crashAndRestart kills a child server process with pushes and a sync in
// flight, starts a fresh process on the database, makes more edits, and
// measures how long the work takes to finish. It checks that every edit
// ends on Etsy exactly once, the dead process's runs are closed as
// abandoned and none of its jobs is left running.
func crashAndRestart(tb testing.TB, b backend) crashResult {
	e := newEnv(tb, b, sandbox.GenOptions{Seed: 51, Listings: 120, Receipts: 10}, sandbox.Config{})
	held := newHeldRequests()
	tb.Cleanup(held.stop)
	// The env's server serves the sandbox; held answers sit in front.
	api := httptest.NewServer(held.wrap(e.srv.Config.Handler))
	tb.Cleanup(api.Close)
	e.sync(store.SyncFull)

	// Offerings with a SKU of their own on distinct active listings: one
	// edit each now, some more after the restart.
	var rows []store.InventoryRow
	seen := map[int64]bool{}
	skus := map[string]int{}
	all := e.rows()
	for _, r := range all {
		skus[listingSKU(r.EtsyListingID, r.SKU)]++
	}
	for _, r := range all {
		if r.SKU == "" || skus[listingSKU(r.EtsyListingID, r.SKU)] > 1 || seen[r.EtsyListingID] || r.ListingState != sandbox.StateActive {
			continue
		}
		seen[r.EtsyListingID] = true
		rows = append(rows, r)
	}
	if len(rows) < 13 {
		tb.Fatalf("%d editable listings, want 13", len(rows))
	}
	before, after := rows[:8], rows[8:12]
	want := map[int64]int{}
	byListing := map[int64]store.InventoryRow{}
	for i, r := range before {
		want[r.OfferingID] = r.Quantity + 10 + i
		byListing[r.EtsyListingID] = r
	}

	tokens := map[int64]string{}
	for id, ts := range e.tokens {
		tok, _ := ts.AccessToken(e.ctx)
		tokens[id] = tok
	}
	spec, err := json.Marshal(crashChild{Backend: b.name, Where: e.where, API: api.URL, Tokens: tokens, Process: "crashing"})
	if err != nil {
		tb.Fatal(err)
	}
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), crashChildEnv+"="+string(spec))
	child.Stderr = os.Stderr
	out, err := child.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := child.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = child.Process.Kill(); _ = child.Wait() })
	ready := make([]byte, 6)
	if _, err := out.Read(ready); err != nil || string(ready) != "ready\n" {
		tb.Fatalf("child: %q %v", ready, err)
	}

	for _, r := range before {
		if err := editVia(e.ctx, e.db, e.q, e.account, e.storeID, r.OfferingID, want[r.OfferingID]); err != nil {
			tb.Fatal(err)
		}
	}
	syncJob, err := e.q.EnqueueSyncJob(e.ctx, e.storeID, store.SyncFull, store.TriggerManual)
	if err != nil {
		tb.Fatal(err)
	}
	// Kill once three pushes are in flight and the sync reads its pages.
	deadline := time.After(60 * time.Second)
	for puts, pages := held.counts(); puts < 3 || pages < 1; puts, pages = held.counts() {
		select {
		case <-held.arrivals:
		case <-deadline:
			tb.Fatalf("the child never had 3 pushes and a sync in flight (%d, %d)", puts, pages)
		}
	}
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		tb.Fatal(err)
	}
	_ = child.Wait()
	killed := time.Now()
	held.stop()

	// The restart: a new process on the database.
	db2 := b.open(tb, e.where)
	h2 := hub.New()
	q2, _ := e.processWith(db2, jobs.Config{ID: "restarted"}, h2)
	live, err := syncer.NewLiveness(syncer.LivenessConfig{Store: db2, Queue: q2, Process: "restarted"})
	if err != nil {
		tb.Fatal(err)
	}
	if err := live.Beat(e.ctx); err != nil {
		tb.Fatal(err)
	}
	restarted := time.Now()
	if err := q2.Start(e.ctx); err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(e.ctx)
	liveDone := make(chan struct{})
	go func() { defer close(liveDone); _ = live.Run(ctx) }()
	tb.Cleanup(func() { cancel(); <-liveDone })

	// A manual sync right after the restart must not wait on the dead
	// process's lease or job for long.
	type syncDone struct {
		ev  hub.Event
		err error
		at  time.Time
	}
	synced := make(chan syncDone, 1)
	go func() {
		ev, err := syncer.SyncNow(e.ctx, h2, q2, e.storeID, store.SyncReconcile)
		synced <- syncDone{ev, err, time.Now()}
	}()
	// Edits after the restart: new offerings, and one whose push the dead
	// process had in flight.
	for i, r := range after {
		want[r.OfferingID] = r.Quantity + 20 + i
	}
	held.mu.Lock()
	reEdit := byListing[held.unsent[0]]
	held.mu.Unlock()
	want[reEdit.OfferingID] += 5
	for _, r := range append(slices.Clone(after), reEdit) {
		if err := editVia(e.ctx, db2, q2, e.account, e.storeID, r.OfferingID, want[r.OfferingID]); err != nil {
			tb.Fatal(err)
		}
	}

	var lastEdit time.Time
	testwait.Within(tb, 3*time.Minute, "every edit to reach Etsy after the restart", func() bool {
		for off, qty := range want {
			r, err := e.db.InventoryGetByID(e.ctx, off)
			if err != nil || r.Pending() {
				return false
			}
			if got, ok := sbQty(e.sb, r.EtsyListingID, r.SKU); !ok || got != qty {
				return false
			}
		}
		lastEdit = time.Now()
		return true
	})
	var sd syncDone
	select {
	case sd = <-synced:
	case <-time.After(3 * time.Minute):
		tb.Fatal("a manual sync after the restart never finished")
	}
	if sd.err != nil || sd.ev.State != string(store.ResultOK) {
		tb.Fatalf("manual sync after the restart: %+v %v", sd.ev, sd.err)
	}

	// Every edit is on Etsy exactly once: the write in doubt was not
	// applied again, whatever else its retry did.
	for off, qty := range want {
		r := e.row(off)
		if got, _ := sbQty(e.sb, r.EtsyListingID, r.SKU); got != qty || r.Quantity != qty {
			tb.Errorf("offering %d (listing %d): Etsy %d, Stockroom %d, want %d", off, r.EtsyListingID, got, r.Quantity, qty)
		}
	}
	// The sync job the dead process held runs again to the end; its runs
	// are closed as abandoned and none of its jobs is left running.
	testwait.Within(tb, time.Minute, "the killed process's sync job to finish", func() bool {
		j, err := q2.JobGet(e.ctx, syncJob)
		return err == nil && j.State == rivertype.JobStateCompleted
	})
	runs, err := e.db.SyncRunListAll(e.ctx, 500)
	if err != nil {
		tb.Fatal(err)
	}
	abandoned := 0
	for _, r := range runs {
		if r.Process == "crashing" {
			if r.Result != store.ResultFailed || r.Error != syncer.AbandonReason {
				tb.Errorf("run %d of the killed process: %s %q, want failed: %s", r.ID, r.Result, r.Error, syncer.AbandonReason)
			}
			abandoned++
		}
		if r.Result == store.ResultRunning {
			tb.Errorf("run %d still running: %+v", r.ID, r)
		}
	}
	if abandoned == 0 {
		tb.Error("the killed process left no run: the test did not exercise one")
	}
	res, err := q2.JobList(e.ctx, river.NewJobListParams().States(rivertype.JobStateRunning).First(100))
	if err != nil {
		tb.Fatal(err)
	}
	for _, j := range res.Jobs {
		if slices.Contains(j.AttemptedBy, "crashing") && j.AttemptedBy[len(j.AttemptedBy)-1] == "crashing" {
			tb.Errorf("job %d (%s) of the killed process still running", j.ID, j.Kind)
		}
	}

	// The anchor: one more edit on the now idle restarted process.
	r := rows[12]
	t0 := time.Now()
	if err := editVia(e.ctx, db2, q2, e.account, e.storeID, r.OfferingID, r.Quantity+7); err != nil {
		tb.Fatal(err)
	}
	var idle time.Duration
	testwait.Within(tb, time.Minute, "the anchor edit to reach Etsy", func() bool {
		got, _ := sbQty(e.sb, r.EtsyListingID, r.SKU)
		idle = time.Since(t0)
		return got == r.Quantity+7
	})
	return crashResult{restartToLastEdit: lastEdit.Sub(restarted), leaseUnblocked: sd.at.Sub(killed), idleEdit: idle}
}

// BenchmarkRestartToLastEdit reports, over b.N kills of a server process
// with pushes and a sync in flight, the p95 time from the restart to the
// last pending edit on Etsy and from the kill to a manual sync done,
// beside an edit's time to Etsy on the idle restarted process (anchor).
func BenchmarkRestartToLastEdit(b *testing.B) {
	for _, be := range backends() {
		b.Run(be.name, func(b *testing.B) {
			var restart, lease, idle []time.Duration
			for b.Loop() {
				res := crashAndRestart(b, be)
				restart, lease, idle = append(restart, res.restartToLastEdit), append(lease, res.leaseUnblocked), append(idle, res.idleEdit)
			}
			p95 := func(d []time.Duration) float64 {
				slices.Sort(d)
				return d[min(len(d)-1, int(0.95*float64(len(d))))].Seconds()
			}
			b.ReportMetric(p95(restart), "restart_to_last_edit_p95_s")
			b.ReportMetric(p95(lease), "kill_to_sync_done_p95_s")
			b.ReportMetric(p95(idle), "anchor_idle_edit_p95_s")
		})
	}
}

// sbQty is the sandbox's quantity of a listing's SKU.
func sbQty(sb *sandbox.Sandbox, listingID int64, sku string) (int, bool) {
	inv, _ := sb.Inventory(listingID)
	for _, p := range inv.Products {
		if p.SKU == sku {
			return p.Offerings[0].Quantity, true
		}
	}
	return 0, false
}

func TestKilledProcessWorkResumesWithinAMinute(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		res := crashAndRestart(t, b)
		t.Logf("restart → last pending edit on Etsy %s; kill → manual sync done %s",
			res.restartToLastEdit.Round(time.Millisecond), res.leaseUnblocked.Round(time.Millisecond))
		if res.restartToLastEdit > time.Minute {
			t.Errorf("the last pending edit reached Etsy %s after the restart, want within 60 s", res.restartToLastEdit)
		}
		if res.leaseUnblocked > time.Minute {
			t.Errorf("a manual sync finished %s after the kill, want within 60 s", res.leaseUnblocked)
		}
	})
}
