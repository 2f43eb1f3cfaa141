// The fleet simulation: many connected shops on the sandbox, each with its
// own OAuth token and its own Etsy limits (10 calls a second, 10,000 a
// day, per token), and one server process (store, River, engine and the
// gocron scheduler wired as cmd/server wires them) keeping them synced.
//
// What is simulated and what is real:
//   - Time is compressed, not faked: every duration the product schedules
//     by (sync interval 15m, reconcile interval 6h, scheduler tick 1m) is
//     divided by the speed-up k, and everything runs on the wall clock. A
//     simulated hour at k=60 takes a real minute, and the process does in it
//     the work of a real hour: every sync, every Etsy call, every database
//     write and River job of that hour, so k times the load per second.
//   - What does not compress stays real: River's own delays (its scheduler
//     makes a due job available within 5 s), Etsy's per-second limit, the
//     per-day limit's rolling 24 h (a run shorter than a real day puts all
//     of a simulated day's calls in one window, as a real day would).
//     Lateness is measured in real seconds, under k times the real sync
//     rate: an upper bound of what a deployment at 1x sees.
//   - That bounds k. A sync starting more than 0.4 of an interval late
//     (with the default jitter 0.2) skips the next slot by design (the
//     schedule takes the grid point nearest the last start), so the real
//     interval must stay well above River's ~5 s: 20x (45 s) in CI. And
//     Etsy's per-second pacing holds a worker ~0.1 s a call in real time,
//     k times as often as at 1x: the long run may give more workers
//     (STOCKROOM_FLEET_WORKERS, the server's STOCKROOM_WORKERS).
//   - CPU is the whole test process (server, in-process sandbox and the
//     sales generator): an upper bound of the server's. Its share of a
//     core at 1x is the measured share divided by k.
//   - Sales: shops sell at random (STOCKROOM_FLEET_SALES a shop a simulated
//     day), so incremental syncs find receipts and read inventory. No
//     webhooks, pushes or sessions: scheduled syncs only.
//
// TestFleet runs a short fleet on every backend by default; TestFleetLong
// is the documented long run (opt-in, see fleetFromEnv).
package syncer_test

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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
	"github.com/stockroom/stockroom/sync/syncer"
	"github.com/stockroom/stockroom/vault"
)

// fleetConfig sizes a fleet run. Durations are simulated; real ones are
// these divided by speed.
type fleetConfig struct {
	shops     int
	listings  int           // per shop
	hours     float64       // simulated hours measured, after every shop's first full sync
	speed     float64       // simulated seconds per real second
	interval  time.Duration // STOCKROOM_SYNC_INTERVAL
	reconcile time.Duration // STOCKROOM_RECONCILE_INTERVAL
	jitter    float64       // STOCKROOM_SYNC_JITTER
	sales     float64       // sales a shop a simulated day
	workers   int           // STOCKROOM_WORKERS
}

// ciFleet is the run every `go test` makes: small enough for a CI machine,
// long enough for every shop to sync several times and reconcile once (its
// reconcile interval is shortened to fit the hour).
var ciFleet = fleetConfig{shops: 500, listings: 5, hours: 0.5, speed: 20, interval: 15 * time.Minute,
	reconcile: 30 * time.Minute, jitter: 0.2, sales: 24, workers: 10}

// fleetFromEnv is the long run's configuration: STOCKROOM_FLEET_SHOPS
// (required), STOCKROOM_FLEET_HOURS (default 24), STOCKROOM_FLEET_SPEED
// (default 10), STOCKROOM_FLEET_SALES (default 24), STOCKROOM_FLEET_WORKERS
// (default 10, STOCKROOM_WORKERS), over the CI defaults.
func fleetFromEnv(t *testing.T) fleetConfig {
	cfg := ciFleet
	cfg.hours, cfg.speed, cfg.reconcile = 24, 10, 6*time.Hour
	num := func(name string, dst *float64) {
		if v := os.Getenv(name); v != "" {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f <= 0 {
				t.Fatalf("%s=%q: want a positive number", name, v)
			}
			*dst = f
		}
	}
	shops := 0.0
	num("STOCKROOM_FLEET_SHOPS", &shops)
	cfg.shops = int(shops)
	num("STOCKROOM_FLEET_HOURS", &cfg.hours)
	num("STOCKROOM_FLEET_SPEED", &cfg.speed)
	num("STOCKROOM_FLEET_SALES", &cfg.sales)
	workers := float64(cfg.workers)
	num("STOCKROOM_FLEET_WORKERS", &workers)
	cfg.workers = int(workers)
	return cfg
}

func (c fleetConfig) real(d time.Duration) time.Duration {
	return time.Duration(float64(d) / c.speed)
}

func TestFleet(t *testing.T) {
	if testing.Short() {
		t.Skip("opt-in: the fleet simulation takes about a minute a backend; run without -short")
	}
	// Both backends at once, to keep the test short: they share the cores,
	// so the CPU figures are TestFleetLong's to give.
	cfg := ciFleet
	if raceDetector {
		// Several times the CPU a sync, beside every other package's tests
		// (CI): a smaller fleet keeps the sync rate within the machine, and
		// the promises checked are the same.
		cfg.shops = 100
	}
	eachBackend(t, func(t *testing.T, b backend) { runFleet(t, b, cfg).check(t) })
}

// TestFleetLong is the long run behind the README's scale figures, e.g.
//
//	STOCKROOM_FLEET_SHOPS=10000 STOCKROOM_FLEET_HOURS=24 go test ./sync/syncer -run TestFleetLong -v -timeout 3h
//
// STOCKROOM_FLEET_BACKENDS picks the backends (default sqlite,postgres).
func TestFleetLong(t *testing.T) {
	if os.Getenv("STOCKROOM_FLEET_SHOPS") == "" {
		t.Skip("opt-in: set STOCKROOM_FLEET_SHOPS (and STOCKROOM_FLEET_HOURS, STOCKROOM_FLEET_SPEED) to run the long fleet simulation")
	}
	cfg := fleetFromEnv(t)
	want := strings.Split(cmp.Or(os.Getenv("STOCKROOM_FLEET_BACKENDS"), "sqlite,postgres"), ",")
	for _, b := range backends() {
		if !slices.Contains(want, b.name) {
			continue
		}
		t.Run(b.name, func(t *testing.T) { runFleet(t, b, cfg).check(t) })
	}
}

// fleetResult is what a run measured.
type fleetResult struct {
	cfg                 fleetConfig
	backend             string
	warmup              time.Duration // every shop's first full sync, real
	window              time.Duration // the measured stretch, real
	expected, done      int           // scheduled syncs due in the window, and run
	missedSlots         int           // gaps between a shop's syncs longer than an interval allows
	late                []time.Duration
	took                []time.Duration // the window's runs, start to finish
	runs, failed        int             // sync runs of the whole test, and failed ones
	calls, floor        int             // Etsy calls of the window's runs, and the least they needed
	overFloor           int             // runs that made more calls than their floor
	sandboxCalls        int             // API calls the sandbox answered in the whole test
	refreshes           int             // calls to the sandbox's token endpoint (token refreshes)
	runCalls            int             // calls the runs of the whole test recorded
	tooMany             int64
	sales               int64
	dbBytes             int64
	cpu                 time.Duration // process CPU in the window
	peakRSS             int64         // bytes
	loadStart, loadEnd  string
	reconciles          int
	fullRuns            int // full syncs of the whole test: one a shop
	incrementalWithSale int
}

func runFleet(t *testing.T, b backend, cfg fleetConfig) *fleetResult {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	res := &fleetResult{cfg: cfg, backend: b.name, loadStart: loadavg()}
	interval, tick := cfg.real(cfg.interval), cfg.real(time.Minute)

	// Etsy: every shop small, every token its own limits.
	seed := sandbox.Generate(sandbox.GenOptions{Seed: 16, Shops: cfg.shops, Listings: cfg.listings, Receipts: 3})
	sb := sandbox.New(sandbox.Config{Keystring: sbKey, SharedSecret: sbSecret, PerSecond: 10, PerDay: 10_000, Mode: sandbox.PerToken})
	if err := sb.Load(seed); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb.Handler())
	defer srv.Close()
	tooMany := &count429{next: &http.Transport{MaxIdleConnsPerHost: 64}}

	// The server process: store, River, the budget ledger, engine, scheduler.
	where := b.create(t)
	db := b.open(t, where)
	client, err := etsy.New(etsy.Config{
		APIBaseURL: srv.URL + "/v3", TokenURL: srv.URL + "/v3/public/oauth/token",
		Keystring: sbKey, SharedSecret: sbSecret, Ledger: vault.NewBudgetLedger(db),
		// The default transport keeps two idle connections a host: ten
		// workers calling one sandbox would open a socket a call.
		HTTPClient: &http.Client{Transport: tooMany},
	})
	if err != nil {
		t.Fatal(err)
	}
	acct, err := db.AccountCreate(ctx, &store.AccountCreateParams{Name: "Fleet", Email: "fleet@example.com",
		Fingerprint: "SHA256:fleet", PublicKey: "ssh-ed25519 AAAA fleet", Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	tokens := tokenMap{}
	storeShop := map[int64]int{} // store id -> index in seed
	for i, s := range seed.Shops {
		st, err := db.StoreConnect(ctx, &store.StoreConnectParams{AccountID: acct.ID, EtsyShopID: s.Shop.ShopID, EtsyUserID: s.Shop.UserID,
			Name: s.Shop.Name, Currency: s.Shop.CurrencyCode, IsSandbox: true, AccessToken: []byte("sealed"), RefreshToken: []byte("sealed"),
			TokenExpiresAt: time.Now().Add(time.Hour), Now: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		access, refresh, err := sb.IssueToken(s.Shop.ShopID, etsy.Scopes...)
		if err != nil {
			t.Fatal(err)
		}
		// The sandbox's access tokens, like Etsy's, last an hour: a run
		// longer than that refreshes them, as the vault does.
		tokens[st.ID] = newRefreshingToken(client, time.Now, access, refresh)
		storeShop[st.ID] = i
	}
	q := b.queue(t, where, db, jobs.Config{Workers: cfg.workers, ID: "fleet"})
	eng, err := syncer.New(syncer.Config{Store: db, Etsy: client, Tokens: tokens, Queue: q, Hub: hub.New(), Owner: "fleet"})
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Register(q.Workers()); err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = q.Stop(sctx)
	}()
	sched, err := syncer.NewScheduler(syncer.ScheduleConfig{Store: db, Etsy: client, Queue: q,
		Interval: interval, ReconcileInterval: cfg.real(cfg.reconcile), Tick: tick, Jitter: cfg.jitter})
	if err != nil {
		t.Fatal(err)
	}
	if err := sched.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sched.Stop() }()

	// Warm-up: every shop connected at once gets its first full sync; the
	// measured stretch starts when all have one and the burst's backlog is
	// worked off (no sync left waiting longer than River takes to start a
	// due job), so lateness measures the steady state.
	start := time.Now()
	waitFleet(t, 30*time.Minute, "every shop's first full sync", func() bool {
		stores, err := db.StoreList(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range stores {
			if st.LastFullSyncAt.IsZero() {
				return false
			}
		}
		return true
	})
	waitFleet(t, 30*time.Minute, "the connect burst's backlog", func() bool {
		return !syncsPending(t, ctx, q, time.Now().Add(-riverDelay))
	})
	res.warmup = time.Since(start)

	salesCtx, stopSales := context.WithCancel(ctx)
	defer stopSales()
	salesDone := make(chan struct{})
	go func() {
		defer close(salesDone)
		res.sales = sell(salesCtx, sb, seed, cfg)
	}()
	t0, cpu0 := time.Now(), cpuTime()
	tEnd := t0.Add(time.Duration(cfg.hours * float64(time.Hour) / cfg.speed))
	select {
	case <-time.After(time.Until(tEnd)):
	case <-ctx.Done():
		t.Fatal(ctx.Err())
	}
	// Sales and scheduling stop at the window's end.
	stopSales()
	<-salesDone
	_ = sched.Stop()
	res.cpu = cpuTime() - cpu0
	res.window = time.Since(t0)
	// Syncs due in the window may still wait or run: give them a minute (the
	// lateness budget) to finish; one not run by then counts as not done.
	waitFleet(t, time.Minute+10*time.Second, "the window's syncs to finish", func() bool {
		return !syncsPending(t, ctx, q, tEnd)
	})
	res.loadEnd = loadavg()
	res.peakRSS = peakRSS()
	res.tooMany = tooMany.n.Load()
	for op, n := range sb.Calls() {
		if op == "token" { // refreshes: the vault's, not a sync's
			res.refreshes += n
			continue
		}
		res.sandboxCalls += n
	}
	res.dbBytes = dbSize(t, b, where, db)

	// What ran: River's sync jobs (the completed ones are the schedule's
	// record; the others explain a missed slot), and the sync log of every
	// store.
	syncJobs := allSyncJobs(t, q)
	// Stopping the queue waits for the syncs still running (of slots past
	// the window), so the sync log below accounts for every call.
	sctx, scancel := context.WithTimeout(ctx, time.Minute)
	defer scancel()
	if err := q.Stop(sctx); err != nil {
		t.Fatal(err)
	}
	explained := 0                   // stores whose missed slots were logged
	slots := map[int64][]time.Time{} // store -> slots in the window, run
	due := map[int64]time.Time{}     // job -> when it was to start
	slotOf := map[int64]time.Time{}  // job -> its slot, in whole seconds
	early := map[int64]bool{}        // jobs of slots before the window
	for _, j := range syncJobs {
		if j.State != rivertype.JobStateCompleted {
			continue
		}
		var a jobs.SyncArgs
		if err := json.Unmarshal(j.EncodedArgs, &a); err != nil {
			t.Fatal(err)
		}
		if a.Trigger != store.TriggerSchedule {
			continue
		}
		slot := time.Unix(a.Slot, 0)
		if slot.Before(t0) {
			early[j.ID] = true
		}
		if slot.Before(t0) || slot.After(tEnd) {
			continue
		}
		// A snoozed job's scheduled_at moved past its slot: it was due at the
		// slot (Unix seconds, so up to a second early).
		d := j.ScheduledAt
		if d.Sub(slot) >= time.Second {
			d = slot
		}
		due[j.ID] = d
		slotOf[j.ID] = slot
	}
	// A slot due in the window's last stretch may start after the window
	// closes (the schedule allows a start up to 0.4 of an interval late):
	// syncs due and done are counted up to dueBy. A shop that stops
	// syncing is still caught, by its gap to the window's end (missed).
	dueBy := tEnd.Add(-interval * 2 / 5)
	for id := range storeShop {
		runs, err := db.SyncRunList(ctx, &store.SyncRunListParams{AccountID: acct.ID, StoreID: id, Limit: 100_000})
		if err != nil {
			t.Fatal(err)
		}
		before := syncBefore(runs, early, t0)
		doneHere := 0
		for _, r := range runs {
			res.runs++
			res.runCalls += r.APICalls
			if r.Kind == store.SyncFull {
				res.fullRuns++
			}
			if r.Result != store.ResultOK {
				res.failed++
				t.Logf("store %d run %d %s: %s", id, r.ID, r.Result, r.Error)
			}
			d, ok := due[r.JobID]
			if !ok {
				continue
			}
			// Counted by the slot's whole second, as expectedSlots counts:
			// River on SQLite keeps scheduled_at rounded to the millisecond,
			// up to half of one after the slot.
			if !slotOf[r.JobID].After(dueBy) {
				res.done++
				doneHere++
			}
			slots[id] = append(slots[id], d)
			res.late = append(res.late, r.StartedAt.Sub(d))
			res.took = append(res.took, r.Duration())
			f := callFloor(r)
			res.calls += r.APICalls
			res.floor += f
			if r.APICalls > f {
				res.overFloor++
			}
			switch {
			case r.Kind == store.SyncReconcile:
				res.reconciles++
			case r.ReceiptsChanged > 0:
				res.incrementalWithSale++
			}
		}
		want := expectedSlots(sched, id, before, t0, dueBy)
		res.expected += want
		if doneHere < want && explained < 5 {
			explained++
			explainMissed(t, fmt.Sprintf("ran %d of its %d slots due by %s", doneHere, want, dueBy.Format("15:04:05.000")),
				syncJobs, id, before, t0, tEnd, slots[id], runs)
		}
		m := missed(slots[id], before, tEnd, interval, cfg.jitter)
		res.missedSlots += m
		if m > 0 && explained < 5 {
			explained++
			explainMissed(t, "missed a slot", syncJobs, id, before, t0, tEnd, slots[id], runs)
		}
	}
	slices.Sort(res.late)
	slices.Sort(res.took)
	res.report(t)
	return res
}

// syncBefore is a store's last sync before the window that starts at t0,
// the one its first slot in the window follows from: the latest start of a
// run that started before t0 or ran a slot due before it (early: their
// jobs). A slot due before t0 may start after it, e.g. queued behind the
// connect burst: the schedule takes the next slot from that start.
func syncBefore(runs []store.SyncRun, early map[int64]bool, t0 time.Time) time.Time {
	var before time.Time
	for _, r := range runs {
		if (r.StartedAt.Before(t0) || early[r.JobID]) && r.StartedAt.After(before) {
			before = r.StartedAt
		}
	}
	return before
}

// callFloor is the fewest Etsy calls a run of a small shop (fewer than 100
// listings in each state, 100 receipts a page) can make: a full read takes
// a page of each of the five listing states and a page of receipts; an
// incremental sync a page of receipts, and one batch read of the listings
// its new receipts touch.
func callFloor(r store.SyncRun) int {
	if r.Kind == store.SyncFull || r.Kind == store.SyncReconcile {
		return 6
	}
	if r.ReceiptsChanged > 0 {
		return 2
	}
	return 1
}

// expectedSlots is how many of a store's slots fall in [from, to] when
// every sync starts on time, the first after a sync at last; a slot is
// taken at its whole second (a job's slot), as the runs are counted.
func expectedSlots(s *syncer.Scheduler, id int64, last, from, to time.Time) int {
	st := store.Store{ID: id, Status: store.StatusConnected, LastSyncAt: last, LastFullSyncAt: last, ReceiptsCursor: last}
	n := 0
	for {
		at, ok := s.NextSlot(st, st.LastSyncAt)
		if !ok || at.Truncate(time.Second).After(to) {
			return n
		}
		if !at.Before(from) {
			n++
		}
		st.LastSyncAt = at
	}
}

// missed counts a shop's gaps longer than the schedule allows, each a slot
// that never ran: from its last sync before the window (from) to its first
// slot in it, the slot after the grid point nearest that sync (at most an
// interval and a half, plus half the jitter's spread, later); between
// slots and from the last to the window's end, an interval plus the
// jitter's whole spread.
func missed(slots []time.Time, from, to time.Time, interval time.Duration, jitter float64) int {
	slices.SortFunc(slots, time.Time.Compare)
	jit := time.Duration(jitter * float64(interval))
	n, prev, most := 0, from, interval*3/2+jit/2+time.Second
	for _, s := range append(slots, to) {
		if s.Sub(prev) > most {
			n++
		}
		prev, most = s, interval+jit+time.Second
	}
	return n
}

// percentile is the p-th of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[max(0, min(len(sorted)-1, int(math.Ceil(p*float64(len(sorted))))-1))]
}

func (r *fleetResult) percentile(p float64) time.Duration { return percentile(r.late, p) }

func (r *fleetResult) report(t *testing.T) {
	c := r.cfg
	coreShare := r.cpu.Seconds() / r.window.Seconds()
	per := func(n int) float64 { return float64(n) / float64(max(r.done, 1)) }
	var b strings.Builder
	fmt.Fprintf(&b, "fleet simulation, %s, %d shops of %d listings, %d workers\n", r.backend, c.shops, c.listings, c.workers)
	row := func(k, f string, a ...any) { fmt.Fprintf(&b, "  %-34s %s\n", k, fmt.Sprintf(f, a...)) }
	row("simulated", "%.1f h at %gx (%s real), interval %s (%s real), reconcile %s", c.hours, c.speed,
		r.window.Round(time.Second), c.interval, c.real(c.interval), c.reconcile)
	row("warm-up (full syncs, backlog)", "%s real", r.warmup.Round(time.Millisecond))
	row("scheduled syncs done / expected", "%d / %d (%d missed slots)", r.done, r.expected, r.missedSlots)
	row("  of which reconciles, with a sale", "%d, %d", r.reconciles, r.incrementalWithSale)
	row("lateness p50 / p99 / max (real)", "%s / %s / %s", r.percentile(0.5).Round(time.Millisecond),
		r.percentile(0.99).Round(time.Millisecond), r.percentile(1).Round(time.Millisecond))
	row("sync run time p50 / p99 / max", "%s / %s / %s", percentile(r.took, 0.5).Round(time.Millisecond),
		percentile(r.took, 0.99).Round(time.Millisecond), percentile(r.took, 1).Round(time.Millisecond))
	row("Etsy calls in the window", "%d = %.3f a sync; floor %d = %.3f a sync; %d runs over", r.calls, per(r.calls), r.floor, per(r.floor), r.overFloor)
	row("Etsy calls, whole test", "sandbox answered %d, sync log recorded %d", r.sandboxCalls, r.runCalls)
	row("token refreshes", "%d (access tokens last an hour of real time)", r.refreshes)
	row("429s", "%d", r.tooMany)
	row("runs (whole test) / full / failed", "%d / %d / %d", r.runs, r.fullRuns, r.failed)
	row("sales", "%d", r.sales)
	row("database size", "%.1f MiB", float64(r.dbBytes)/(1<<20))
	row("process CPU in the window", "%.1f s = %.0f%% of a core; at 1x: %.2f%% of a core", r.cpu.Seconds(), 100*coreShare, 100*coreShare/c.speed)
	row("peak RSS", "%.0f MiB", float64(r.peakRSS)/(1<<20))
	row("load average (start, end)", "%s; %s", r.loadStart, r.loadEnd)
	t.Log("\n" + b.String())
}

// check holds the run to the product's promises.
func (r *fleetResult) check(t *testing.T) {
	t.Helper()
	if r.tooMany != 0 {
		t.Errorf("%d answers were 429: the limiter let calls over a shop's limits", r.tooMany)
	}
	if p99 := r.percentile(0.99); p99 > time.Minute {
		t.Errorf("p99 lateness %s, want at most a minute", p99)
	}
	if r.missedSlots != 0 {
		t.Errorf("%d slots never ran: some shop was not synced every interval", r.missedSlots)
	}
	if r.done < r.expected {
		t.Errorf("%d scheduled syncs ran in the window, want %d", r.done, r.expected)
	}
	if r.overFloor != 0 || r.calls != r.floor {
		t.Errorf("the window's syncs made %d Etsy calls, the floor is %d (%d runs over it)", r.calls, r.floor, r.overFloor)
	}
	// A call the client counted may not reach the sandbox (a reused
	// connection the server had just closed): the log may count more,
	// never fewer.
	if r.sandboxCalls > r.runCalls {
		t.Errorf("the sandbox answered %d calls, the sync log records %d: calls outside any run", r.sandboxCalls, r.runCalls)
	}
	if r.fullRuns != r.cfg.shops {
		t.Errorf("%d full syncs for %d shops: a shop's first sync ran twice", r.fullRuns, r.cfg.shops)
	}
	if r.failed != 0 {
		t.Errorf("%d sync runs failed", r.failed)
	}
	window := time.Duration(r.cfg.hours * float64(time.Hour))
	if (r.reconciles == 0 && window >= r.cfg.reconcile) || r.incrementalWithSale == 0 {
		t.Errorf("the window had %d reconciles and %d syncs that found a sale: the run did not exercise both", r.reconciles, r.incrementalWithSale)
	}
}

// sell makes sales at random across the fleet at cfg.sales a shop a
// simulated day until ctx ends, and says how many it made.
func sell(ctx context.Context, sb *sandbox.Sandbox, seed sandbox.Seed, cfg fleetConfig) int64 {
	rng := rand.New(rand.NewPCG(16, 16))
	perSecond := float64(cfg.shops) * cfg.sales / 86400 * cfg.speed
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var owed float64
	var made int64
	for {
		select {
		case <-ctx.Done():
			return made
		case <-tick.C:
		}
		for owed += perSecond / 10; owed >= 1; owed-- {
			shop := seed.Shops[rng.IntN(len(seed.Shops))]
			l, ok := sb.Listing(shop.Listings[rng.IntN(len(shop.Listings))].ListingID)
			if !ok || l.State != sandbox.StateActive {
				continue
			}
			for _, p := range l.Inventory.Products {
				if o := p.Offerings[0]; o.IsEnabled && o.Quantity > 0 && (p.SKU != "" || len(l.Inventory.Products) == 1) {
					if _, err := sb.SimulateSale(shop.Shop.ShopID, l.ListingID, p.SKU, 1); err == nil {
						made++
					}
					break
				}
			}
		}
	}
}

// riverDelay is the longest River normally takes to start a due job that
// no insert announced, as a scheduled sync: its scheduler's 5 s, then a
// worker's fetch poll.
const riverDelay = 5*time.Second + jobs.FetchPollInterval

// syncsPending says whether a sync job due by end still waits or runs.
func syncsPending(t *testing.T, ctx context.Context, q *jobs.Queue, end time.Time) bool {
	params := river.NewJobListParams().Kinds(jobs.SyncArgs{}.Kind()).States(rivertype.JobStateAvailable,
		rivertype.JobStateRunning, rivertype.JobStateRetryable, rivertype.JobStateScheduled, rivertype.JobStatePending).First(10_000)
	res, err := q.JobList(ctx, params)
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range res.Jobs {
		var a jobs.SyncArgs
		if err := json.Unmarshal(j.EncodedArgs, &a); err != nil {
			t.Fatal(err)
		}
		if !time.Unix(a.Slot, 0).After(end) {
			return true
		}
	}
	return false
}

// allSyncJobs lists every sync job River holds.
func allSyncJobs(t *testing.T, q *jobs.Queue) []*rivertype.JobRow {
	var out []*rivertype.JobRow
	params := river.NewJobListParams().Kinds(jobs.SyncArgs{}.Kind()).First(10_000)
	for {
		res, err := q.JobList(context.Background(), params)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, res.Jobs...)
		if len(res.Jobs) < 10_000 {
			return out
		}
		params = params.After(res.LastCursor)
	}
}

// waitFleet polls cond every half second (each poll reads every store)
// until it holds, failing after d.
func waitFleet(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	testwait.Every(t, 500*time.Millisecond, d, what, cond)
}

// count429 counts the answers that were 429 (Too Many Requests).
type count429 struct {
	next http.RoundTripper
	n    atomic.Int64
}

func (c *count429) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := c.next.RoundTrip(r)
	if err == nil && res.StatusCode == http.StatusTooManyRequests {
		c.n.Add(1)
	}
	return res, err
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func peakRSS() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Maxrss * 1024 // kilobytes on Linux
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}

// dbSize is the database's size on disk: the SQLite file and its WAL, or
// pg_database_size.
func dbSize(t *testing.T, b backend, where string, db store.DB) int64 {
	if b.name == "postgres" {
		var n int64
		if err := db.(*postgres.DB).Pool().QueryRow(context.Background(), "SELECT pg_database_size(current_database())").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	var n int64
	for _, suffix := range []string{"", "-wal"} {
		if fi, err := os.Stat(where + suffix); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// explainMissed logs what a store that missed a slot, or ran fewer than
// expected (what says which), did around the window (from, its last sync
// before it, t0 to end): the slots its syncs ran for, its runs, and every
// sync job River holds for it.
func explainMissed(t *testing.T, what string, all []*rivertype.JobRow, id int64, before, t0, end time.Time, slots []time.Time, runs []store.SyncRun) {
	at := func(x time.Time) string { return x.Format("15:04:05.000") }
	var b strings.Builder
	fmt.Fprintf(&b, "store %d %s: last sync before the window %s, window %s to %s\n", id, what, at(before), at(t0), at(end))
	for _, s := range slots {
		fmt.Fprintf(&b, "  slot run  %s\n", at(s))
	}
	for _, r := range runs {
		fmt.Fprintf(&b, "  run %d job %d %s %s started %s took %s %s\n", r.ID, r.JobID, r.Kind, r.Trigger, at(r.StartedAt), r.Duration(), r.Result)
	}
	for _, j := range all {
		var a jobs.SyncArgs
		if err := json.Unmarshal(j.EncodedArgs, &a); err != nil || a.StoreID != id {
			continue
		}
		fin := "-"
		if j.FinalizedAt != nil {
			fin = at(*j.FinalizedAt)
		}
		fmt.Fprintf(&b, "  job %d %s %s slot %s created %s scheduled %s finalized %s %s attempt %d, %d errors\n", j.ID, a.Trigger, a.SyncKind,
			time.Unix(a.Slot, 0).Format("15:04:05"), at(j.CreatedAt), at(j.ScheduledAt), fin, j.State, j.Attempt, len(j.Errors))
	}
	t.Log(b.String())
}

// refreshingToken is a shop's OAuth tokens as the vault keeps them: the
// access token until five minutes before it expires (the vault's
// DefaultRefreshBefore), then a refresh through Etsy's token endpoint, which
// rotates both; a token Etsy refuses anyway is refreshed then. A fleet run
// longer than an hour of real time outlives every shop's first access
// token (a static token there sent all 10,000 shops to needs_reauth an
// hour into a day's run). Refreshing only once refused, as this did first,
// cost each shop a refused call an hour: 20,000 calls over the floor in a
// day's run, which the product's vault does not make.
type refreshingToken struct {
	client          *etsy.Client
	now             func() time.Time
	mu              sync.Mutex
	access, refresh string
	expires         time.Time
}

func newRefreshingToken(client *etsy.Client, now func() time.Time, access, refresh string) *refreshingToken {
	// The sandbox's access tokens, like Etsy's, last an hour from issue.
	return &refreshingToken{client: client, now: now, access: access, refresh: refresh, expires: now().Add(time.Hour)}
}

func (r *refreshingToken) AccessToken(ctx context.Context) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.expires.After(r.now().Add(vault.DefaultRefreshBefore)) {
		return r.access, nil
	}
	return r.refreshLocked(ctx)
}

func (r *refreshingToken) Refresh(ctx context.Context) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.refreshLocked(ctx)
}

func (r *refreshingToken) refreshLocked(ctx context.Context) (string, error) {
	tok, err := r.client.Refresh(ctx, r.refresh)
	if err != nil {
		return "", err
	}
	r.access, r.refresh, r.expires = tok.AccessToken, tok.RefreshToken, tok.Expiry
	return r.access, nil
}

// A fleet shop's token outlives the sandbox's one-hour access token: the
// call after the hour refreshes it and goes through, where the static
// token of the first day's run left the shop needing a new connection.
func TestFleetTokenRefreshesAfterTheHour(t *testing.T) {
	now := time.Now()
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	sb := sandbox.New(sandbox.Config{Keystring: sbKey, SharedSecret: sbSecret, Now: clock})
	seed := sandbox.Generate(sandbox.GenOptions{Seed: 16, Shops: 1, Listings: 1})
	if err := sb.Load(seed); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb.Handler())
	defer srv.Close()
	client, err := etsy.New(etsy.Config{APIBaseURL: srv.URL + "/v3", TokenURL: srv.URL + "/v3/public/oauth/token",
		Keystring: sbKey, SharedSecret: sbSecret, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	access, refresh, err := sb.IssueToken(seed.Shops[0].Shop.ShopID, etsy.Scopes...)
	if err != nil {
		t.Fatal(err)
	}
	tok := newRefreshingToken(client, clock, access, refresh)
	shop := client.Shop("1", tok)
	if _, err := shop.GetShop(t.Context(), seed.Shops[0].Shop.ShopID); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	now = now.Add(2 * time.Hour)
	mu.Unlock()
	if _, err := shop.GetShop(t.Context(), seed.Shops[0].Shop.ShopID); err != nil {
		t.Fatalf("a call two hours after the token was issued: %v", err)
	}
	if a, _ := tok.AccessToken(t.Context()); a == access {
		t.Fatal("the access token was not refreshed")
	}
	// Refreshed before the call, as the vault does: no call refused.
	if calls := sb.Calls(); calls["getShop"] != 2 || calls["token"] != 1 {
		t.Fatalf("calls %v, want getShop 2 (none refused) and one refresh", calls)
	}
}
