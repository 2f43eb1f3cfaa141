// The chaos soak: Stockroom's one promise, that Etsy ends at what the
// seller set minus what sold, tried the way a real shop meets it. A server
// process (the binary TestMain built) runs against an Etsy sandbox in this
// test process, on SQLite and on PostgreSQL, while the test
//
//   - imports quantities for ~200 SKUs and makes hundreds of `stock set` and
//     `stock add` edits over SSH,
//   - sells on the sandbox at random moments, and right after the sandbox
//     answers an inventory read, inside a push's read-to-write window,
//   - injects lost answers (a write applied, its answer a timeout), 429s,
//     500s and timeouts,
//   - kills the server with SIGKILL several times and starts it again on
//     the same data.
//
// At the end every SKU on the sandbox must equal the value computed from the
// accepted edits and the sales. The report counts edits, doubled (Etsy above
// the expected value by one of the SKU's edits, or off by more than its
// sales explain), sales undone (above it by at most its sales), lost (off by
// minus one of its edits: an edit never applied) and stuck (still pending
// or failed after the settle deadline); all but edits must be 0.
//
// It runs only when STOCKROOM_SOAK is set: "short" (CI: about 200 SKUs, 300
// edits, 3 kills per database) or "long" (2,000 edits, 10 kills).
package e2e

import (
	crand "crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	gossh "golang.org/x/crypto/ssh"

	"github.com/stockroom/stockroom/etsy/sandbox"
	"github.com/stockroom/stockroom/internal/logtest"
	"github.com/stockroom/stockroom/internal/sshtest"
	"github.com/stockroom/stockroom/store/storetest"
)

// soakPlan sizes one soak run.
type soakPlan struct {
	Listings int           // generated listings; ~1.4 usable SKUs each
	Edits    int           // stock set/add commands
	Kills    int           // SIGKILLs of the server, spread over the edits
	Workers  int           // concurrent SSH editors
	Pace     time.Duration // mean pause between one worker's edits
	Faults   int           // injected faults
	Settle   time.Duration // how long pending pushes may take at the end
}

func soakPlanFor(t *testing.T) soakPlan {
	switch mode := os.Getenv("STOCKROOM_SOAK"); mode {
	case "":
		t.Skip("opt-in: the chaos soak runs with STOCKROOM_SOAK=short (CI) or STOCKROOM_SOAK=long")
	case "short":
		return soakPlan{Listings: 140, Edits: 300, Kills: 3, Workers: 4, Pace: 400 * time.Millisecond, Faults: 40, Settle: 60 * time.Second}
	case "long":
		return soakPlan{Listings: 140, Edits: 2000, Kills: 10, Workers: 4, Pace: 400 * time.Millisecond, Faults: 250, Settle: 3 * time.Minute}
	default:
		t.Fatalf("STOCKROOM_SOAK=%q: want short or long", mode)
	}
	return soakPlan{}
}

func TestChaosSoak(t *testing.T) {
	plan := soakPlanFor(t)
	t.Run("sqlite", func(t *testing.T) { runSoak(t, plan, "") })
	t.Run("postgres", func(t *testing.T) { runSoak(t, plan, storetest.PostgresDatabase(t)) })
}

// soakSKU is one SKU the soak edits and sells, with what Etsy must end at.
type soakSKU struct {
	sku       string
	listingID int64
	mu        sync.Mutex // held while an edit or a sale of this SKU is made
	expected  int
	sales     int
	history   []string
	// deltas are the accepted edits' changes of the expected value, to
	// tell an edit applied twice (Etsy off by one of them) from one never
	// applied (off by minus one of them).
	deltas []int
}

func (s *soakSKU) note(format string, a ...any) {
	s.history = append(s.history, fmt.Sprintf(format, a...))
}

// soakServer is the Stockroom process under test: it can be killed with
// SIGKILL and started again on the same data directory and ports.
type soakServer struct {
	*server
	env  []string
	args []string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan error
	client *gossh.Client
	key    gossh.Signer
}

// start runs the server and waits until /healthz answers 200.
func (s *soakServer) start() error {
	cmd := exec.Command(binary, s.args...)
	cmd.Env = s.env
	cmd.Stdout, cmd.Stderr = s.logs, s.logs
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	if err := waitHealthy(s.httpAddr, exited, 30*time.Second); err != nil {
		_ = cmd.Process.Kill() // still starting, or already gone
		return fmt.Errorf("%v; log:\n%s", err, tail(s.logs.String(), 4000))
	}
	if s.hostKey == nil {
		hk, err := readHostKey(s.dataDir)
		if err != nil {
			return err
		}
		s.hostKey = hk
	}
	s.mu.Lock()
	s.cmd, s.exited = cmd, exited
	s.mu.Unlock()
	return nil
}

// kill sends SIGKILL and waits for the process to be gone.
func (s *soakServer) kill() {
	s.mu.Lock()
	cmd, exited, c := s.cmd, s.exited, s.client
	s.client = nil
	s.mu.Unlock()
	if c != nil {
		c.Close()
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-exited
}

// stop ends the server with SIGTERM at the end of the run.
func (s *soakServer) stop(t *testing.T) {
	s.mu.Lock()
	cmd, exited, c := s.cmd, s.exited, s.client
	s.client, s.cmd = nil, nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	if c != nil {
		c.Close()
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
		t.Errorf("server still running 10s after SIGTERM")
	}
}

// sshTimeout bounds one command: a command that hangs is a finding, not a
// reason for the soak to hang.
const sshTimeout = 60 * time.Second

// ssh runs one command; the connection is dialled again after a restart.
func (s *soakServer) ssh(cmd, stdin string) (sshtest.Result, error) {
	return s.sshWithin(cmd, stdin, sshTimeout)
}

// sshWithin is ssh with its own bound on the command.
func (s *soakServer) sshWithin(cmd, stdin string, timeout time.Duration) (sshtest.Result, error) {
	s.mu.Lock()
	c := s.client
	s.mu.Unlock()
	if c == nil {
		var err error
		c, err = gossh.Dial("tcp", s.sshAddr, s.clientConfig(gossh.PublicKeys(s.key)))
		if err != nil {
			return sshtest.Result{}, err
		}
		s.mu.Lock()
		if s.client == nil {
			s.client = c
		} else {
			c.Close()
			c = s.client
		}
		s.mu.Unlock()
	}
	sess, err := c.NewSession()
	if err != nil {
		return sshtest.Result{}, err
	}
	defer sess.Close()
	sess.Stdin = strings.NewReader(stdin)
	var out, errb strings.Builder
	sess.Stdout, sess.Stderr = &out, &errb
	done := make(chan error, 1)
	go func() { done <- sess.Run(cmd) }()
	select {
	case err = <-done:
	case <-time.After(timeout):
		sess.Close()
		return sshtest.Result{}, fmt.Errorf("no answer within %s", timeout)
	}
	code, err := sshtest.Code(err)
	return sshtest.Result{Stdout: out.String(), Stderr: errb.String(), Code: code}, err
}

// soakRun is the state of one soak on one database.
type soakRun struct {
	t    *testing.T
	plan soakPlan
	// databaseURL is PostgreSQL's, or empty for SQLite in the data dir.
	databaseURL string
	sb          *sandbox.Sandbox
	shop        int64
	srv         *soakServer

	skus    []*soakSKU
	bySKU   map[string]*soakSKU
	byList  map[int64][]*soakSKU
	chaos   atomic.Bool  // sales and faults are on
	running sync.RWMutex // edits hold it shared; a kill holds it alone

	edits, refused, sales, windowSales, faults, kills, syncHangs atomic.Int64
}

func runSoak(t *testing.T, plan soakPlan, databaseURL string) {
	r := &soakRun{t: t, plan: plan, databaseURL: databaseURL, bySKU: map[string]*soakSKU{}, byList: map[int64][]*soakSKU{}}
	srv := &soakServer{server: &server{t: t, dataDir: t.TempDir(), sshAddr: freePort(t), httpAddr: freePort(t), logs: &logtest.Buffer{}}}
	r.srv = srv
	public := "http://" + srv.httpAddr

	// The sandbox lives in this process, so it outlives every kill.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.sbxAddr = l.Addr().String()
	sbURL := "http://" + srv.sbxAddr
	r.sb = sandbox.New(sandbox.Config{
		Keystring: "soakkeystring", SharedSecret: "soaksecret", RedirectURIs: []string{public + "/oauth/callback"},
		PerSecond: 50, PerDay: 1_000_000, BaseURL: sbURL, TimeoutDelay: 3 * time.Second,
		Answered: r.saleInWindow,
	})
	if err := r.sb.Load(sandbox.Generate(sandbox.GenOptions{Seed: 11, Listings: plan.Listings, Receipts: 30})); err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: r.sb.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(l) }()
	t.Cleanup(func() { hs.Close() })
	r.shop = r.sb.Shops()[0].ShopID
	key := make([]byte, 32)
	_, _ = crand.Read(key)
	secret := "whsec_" + base64.StdEncoding.EncodeToString(key)
	if err := r.sb.SetWebhook(public+"/etsy/webhook", secret); err != nil {
		t.Fatal(err)
	}

	env := []string{"GOTOOLCHAIN=local"}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "STOCKROOM_") {
			env = append(env, kv)
		}
	}
	env = append(env, "STOCKROOM_ETSY_KEYSTRING=soakkeystring", "STOCKROOM_ETSY_SHARED_SECRET=soaksecret",
		"STOCKROOM_ETSY_API_URL="+sbURL+"/v3", "STOCKROOM_ETSY_AUTH_URL="+sbURL+"/oauth/connect",
		"STOCKROOM_ETSY_TOKEN_URL="+sbURL+"/v3/public/oauth/token", "STOCKROOM_ETSY_WEBHOOK_SECRET="+secret,
		"STOCKROOM_SYNC_INTERVAL=1m", "STOCKROOM_LOG_LEVEL=info")
	if databaseURL != "" {
		env = append(env, "STOCKROOM_DATABASE_URL="+databaseURL)
	}
	srv.env = env
	srv.args = []string{"--data-dir", srv.dataDir, "--ssh-addr", srv.sshAddr, "--http-addr", srv.httpAddr,
		"--public-url", public, "--log-format", "json"}
	if err := srv.start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.stop(t) })

	srv.key = sshtest.NewKey(t)
	signUp(t, srv.server, srv.key, "Soak", "soak@example.com")
	rows := connectShop(t, srv.server, srv.dial(t, srv.key))
	r.pick(rows)
	t.Logf("%d SKUs on %d listings", len(r.skus), len(r.byList))

	start := time.Now()
	r.importAll()
	r.chaos.Store(true)
	var bg sync.WaitGroup
	stop := make(chan struct{})
	bg.Go(func() { r.sellAtRandom(stop) })
	bg.Go(func() { r.injectFaults(stop) })

	// Kills fall evenly over the edits; the first soon after the import,
	// while its pushes are in flight.
	killAt := map[int64]bool{int64(plan.Edits / 20): true}
	for i := 1; i < plan.Kills; i++ {
		killAt[int64(i*plan.Edits/plan.Kills)] = true
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range plan.Workers {
		rng := rand.New(rand.NewPCG(uint64(w), 42))
		wg.Go(func() {
			for {
				n := next.Add(1)
				if n > int64(plan.Edits) {
					return
				}
				if killAt[n] && !r.killAndRestart() {
					return
				}
				r.edit(rng)
				// Seller-paced: the chaos around the edits gets time to
				// happen between them.
				time.Sleep(time.Duration(rng.Int64N(int64(2 * plan.Pace))))
			}
		})
	}
	wg.Wait()
	close(stop)
	bg.Wait()
	r.chaos.Store(false)
	// The chaos is over: a fault injected last and not met yet would fail
	// the settling's sync --wait, which is Stockroom reporting Etsy's
	// failure, not a fault of its own.
	r.sb.ClearFaults()
	chaosTime := time.Since(start)

	stuck := r.settle()
	rep := r.report(stuck)
	t.Logf("soak (%s): %d SKUs, %s of chaos, %d kills, %d faults, %d sales (%d inside push windows), %d edits refused, %d failed or hung sync --wait\n%s",
		dbName(databaseURL), len(r.skus), chaosTime.Round(time.Second), r.kills.Load(), r.faults.Load(), r.sales.Load(),
		r.windowSales.Load(), r.refused.Load(), r.syncHangs.Load(), rep)
	if rep.doubled+rep.undone+rep.lost+rep.stuck != 0 {
		t.Errorf("Etsy does not hold what the seller set minus what sold:\n%s\n%s", rep, rep.details)
		r.logAudit(databaseURL, rep.wrong)
	}
}

// logAudit logs Stockroom's audit trail (stock_events) of the SKUs that
// ended wrong, to tell which push or correction went astray.
func (r *soakRun) logAudit(databaseURL string, skus []string) {
	db, err := r.openDB(databaseURL)
	if err != nil {
		r.t.Log(err)
		return
	}
	defer db.Close()
	for _, sku := range skus {
		rows, err := db.QueryContext(r.t.Context(), `SELECT e.created_at, e.source, e.before_qty, e.after_qty, e.note
			FROM stock_events e JOIN offerings o ON o.id = e.offering_id JOIN products p ON p.id = o.product_id
			WHERE p.sku = $1 ORDER BY e.id`, sku)
		if err != nil {
			r.t.Log(err)
			return
		}
		var lines []string
		for rows.Next() {
			var at int64
			var source, note string
			var before, after int
			if err := rows.Scan(&at, &source, &before, &after, &note); err != nil {
				r.t.Log(err)
				break
			}
			lines = append(lines, fmt.Sprintf("    %s %s %d -> %d %s", time.UnixMilli(at).UTC().Format("15:04:05.000"), source, before, after, note))
		}
		rows.Close()
		r.t.Logf("audit of %s:\n%s", sku, strings.Join(lines, "\n"))
	}
	for _, sku := range skus {
		r.logSales(db, r.bySKU[sku].listingID)
	}
	r.logPushJobs(db)
	// And the server's warnings and errors about their listings.
	listings := map[string]bool{}
	for _, sku := range skus {
		listings[strconv.FormatInt(r.bySKU[sku].listingID, 10)] = true
	}
	var logs, others []string
	for line := range strings.Lines(r.srv.logs.String()) {
		if strings.Contains(line, `"level":"INFO"`) || strings.Contains(line, `"level":"DEBUG"`) {
			continue
		}
		line = tail(strings.TrimSpace(line), 600)
		others = append(others, line)
		for l := range listings {
			if strings.Contains(line, l) {
				logs = append(logs, line)
				break
			}
		}
	}
	r.t.Logf("server warnings about those listings (last 40):\n%s", strings.Join(tailSlice(logs, 40), "\n"))
	r.t.Logf("the server's last warnings (40):\n%s", strings.Join(tailSlice(others, 40), "\n"))
}

// logSales logs, for a listing, its write windows and the sales Stockroom
// holds with the product ids they name and whether a write took them off:
// what decides whether a sale was overwritten, and whether a set keeps it.
func (r *soakRun) logSales(db *sql.DB, listingID int64) {
	queries := []struct{ what, q string }{
		{"windows (read, wrote, id read, id written, qty read, qty written)", `SELECT read_at, wrote_at, etsy_product_id, new_product_id,
			read_qty, written_qty FROM push_windows WHERE etsy_listing_id = $1 ORDER BY wrote_at`},
		{"sales (created, seen, transaction, product id, qty, handled at)", `SELECT r.etsy_created_at, r.seen_at, i.etsy_transaction_id,
			i.etsy_product_id, i.quantity, COALESCE(c.created_at, -1) FROM receipt_items i JOIN receipts r ON r.id = i.receipt_id
			LEFT JOIN push_corrections c ON c.store_id = i.store_id AND c.etsy_transaction_id = i.etsy_transaction_id
			WHERE i.etsy_listing_id = $1 ORDER BY r.etsy_created_at`},
	}
	for _, q := range queries {
		rows, err := db.QueryContext(r.t.Context(), q.q, listingID)
		if err != nil {
			r.t.Log(err)
			return
		}
		var lines []string
		for rows.Next() {
			var v [6]int64
			if err := rows.Scan(&v[0], &v[1], &v[2], &v[3], &v[4], &v[5]); err != nil {
				r.t.Log(err)
				break
			}
			at := func(ms int64) string {
				if ms <= 0 {
					return strconv.FormatInt(ms, 10)
				}
				return time.UnixMilli(ms).UTC().Format("15:04:05.000")
			}
			if strings.HasPrefix(q.what, "windows") {
				lines = append(lines, fmt.Sprintf("    %s %s %d→%d %d→%d", at(v[0]), at(v[1]), v[2], v[3], v[4], v[5]))
			} else {
				lines = append(lines, fmt.Sprintf("    %s seen %s tx %d product %d qty %d handled %s", at(v[0]), at(v[1]), v[2], v[3], v[4], at(v[5])))
			}
		}
		rows.Close()
		r.t.Logf("listing %d %s:\n%s", listingID, q.what, strings.Join(tailSlice(lines, 30), "\n"))
	}
}

// openDB opens the server's database read-only beside the server.
func (r *soakRun) openDB(databaseURL string) (*sql.DB, error) {
	if databaseURL == "" {
		return sql.Open("sqlite", "file:"+filepath.Join(r.srv.dataDir, "stockroom.db")+"?_pragma=busy_timeout(10000)&mode=ro")
	}
	return sql.Open("pgx", databaseURL)
}

// pushJobsOutstanding counts the push jobs River still has to run (or is
// running). A row that shows nothing pending can still have one: a
// correction of a sale a write overwrote, or a write in doubt whose job a
// restart rescued. Settling waits for them too, or it would judge Etsy
// before they wrote.
func (r *soakRun) pushJobsOutstanding() (int, error) {
	db, err := r.openDB(r.databaseURL)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var n int
	err = db.QueryRowContext(r.t.Context(), `SELECT count(*) FROM river_job
		WHERE kind = 'push' AND state IN ('available', 'running', 'retryable', 'scheduled', 'pending')`).Scan(&n)
	return n, err
}

// jsonText reads a River JSON column as text: River keeps JSON as JSONB
// blobs on SQLite, which json() reads back.
func (r *soakRun) jsonText(col string) string {
	if r.databaseURL == "" {
		return "json(" + col + ")"
	}
	return "CAST(" + col + " AS TEXT)"
}

// logPushJobs logs the push jobs River has not completed: whether a stuck
// edit's job waits, retries later, or is gone.
func (r *soakRun) logPushJobs(db *sql.DB) {
	rows, err := db.QueryContext(r.t.Context(), `SELECT id, state, attempt, max_attempts, CAST(scheduled_at AS TEXT), `+
		r.jsonText("attempted_by")+`, `+r.jsonText("errors")+`
		FROM river_job WHERE kind = 'push' AND state <> 'completed' ORDER BY id`)
	if err != nil {
		r.t.Log(err)
		return
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var id int64
		var state, scheduled string
		var attempt, maxAttempts int
		var by, errs sql.NullString
		if err := rows.Scan(&id, &state, &attempt, &maxAttempts, &scheduled, &by, &errs); err != nil {
			r.t.Log(err)
			return
		}
		lines = append(lines, fmt.Sprintf("    job %d %s attempt %d/%d at %s by %s errors %s", id, state, attempt, maxAttempts,
			scheduled, by.String, tail(errs.String, 300)))
	}
	r.t.Logf("push jobs not completed (%d):\n%s", len(lines), strings.Join(tailSlice(lines, 60), "\n"))
}

func dbName(url string) string {
	if url == "" {
		return "SQLite"
	}
	return "PostgreSQL"
}

// pick takes every SKU that names one product of an active listing.
func (r *soakRun) pick(rows []row) {
	count := map[string]int{}
	for _, w := range rows {
		count[w.SKU]++
	}
	for _, w := range rows {
		if w.SKU == "" || count[w.SKU] != 1 {
			continue
		}
		if l, ok := r.sb.Listing(w.ListingID); !ok || l.State != sandbox.StateActive {
			continue
		}
		s := &soakSKU{sku: w.SKU, listingID: w.ListingID}
		r.skus = append(r.skus, s)
		r.bySKU[s.sku] = s
		r.byList[s.listingID] = append(r.byList[s.listingID], s)
	}
	if len(r.skus) < 100 {
		r.t.Fatalf("only %d usable SKUs", len(r.skus))
	}
}

// importAll sets every SKU at once with `stock import`.
func (r *soakRun) importAll() {
	var b strings.Builder
	b.WriteString("sku,quantity\n")
	before := make([]int, len(r.skus))
	for i, s := range r.skus {
		before[i] = r.onEtsy(s)
		s.expected = 40 + (i*37)%100
		fmt.Fprintf(&b, "%s,%d\n", s.sku, s.expected)
	}
	res, err := r.srv.ssh("stock import", b.String())
	if err != nil || res.Code != 0 {
		r.t.Fatalf("import: %v %s", err, res)
	}
	for i, s := range r.skus {
		s.deltas = append(s.deltas, s.expected-before[i])
		s.note("import %d (Etsy had %d)", s.expected, before[i])
	}
	r.edits.Add(int64(len(r.skus)))
}

// edit makes one stock set or stock add on a random SKU. A set is made
// only when Stockroom holds Etsy's current count for the SKU (no sale it
// has not heard of), so "Etsy ends at the set value minus the sales made
// after it" is the whole contract; otherwise an add is made.
func (r *soakRun) edit(rng *rand.Rand) {
	r.running.RLock()
	defer r.running.RUnlock()
	s := r.skus[rng.IntN(len(r.skus))]
	s.mu.Lock()
	defer s.mu.Unlock()
	if rng.IntN(10) < 3 && r.settled(s) {
		n := 10 + rng.IntN(140)
		if n == s.expected {
			n++
		}
		r.command(s, fmt.Sprintf("stock set %s %d", s.sku, n), func() {
			s.deltas = append(s.deltas, n-s.expected)
			s.expected = n
			s.note("set %d", n)
		})
		return
	}
	d := 2 + rng.IntN(8)
	if rng.IntN(2) == 0 && s.expected-d >= 10 {
		d = -d
	}
	r.command(s, fmt.Sprintf("stock add %s %d", s.sku, d), func() {
		s.deltas = append(s.deltas, d)
		s.expected += d
		s.note("add %+d → %d", d, s.expected)
	})
}

// command runs an edit; accepted (exit 0) edits change the expected value.
func (r *soakRun) command(s *soakSKU, cmd string, accepted func()) {
	res, err := r.srv.ssh(cmd, "")
	switch {
	case err != nil:
		// Kills hold the edits back, so the server is up: a failure to
		// reach it is a failure of the run, not chaos.
		r.t.Errorf("%s: %v", cmd, err)
	case res.Code == 0:
		accepted()
		r.edits.Add(1)
	default:
		s.note("refused %q: %s", cmd, strings.TrimSpace(res.Stderr))
		r.refused.Add(1)
	}
}

// settled reports whether Stockroom's row for s shows Etsy's current count
// with nothing pending.
func (r *soakRun) settled(s *soakSKU) bool {
	res, err := r.srv.ssh("inventory --format json --filter "+s.sku, "")
	if err != nil || res.Code != 0 {
		return false
	}
	var rows []row
	if json.Unmarshal([]byte(res.Stdout), &rows) != nil {
		return false
	}
	for _, w := range rows {
		if w.SKU == s.sku {
			etsyNow := r.onEtsy(s)
			ok := !w.Pending && w.Quantity == w.EtsyQuantity && w.EtsyQuantity == etsyNow
			if !ok {
				s.note("no set: pending=%v quantity=%d etsy_quantity=%d, Etsy %d", w.Pending, w.Quantity, w.EtsyQuantity, etsyNow)
			}
			return ok
		}
	}
	return false
}

// onEtsy reads the SKU's quantity on the sandbox.
func (r *soakRun) onEtsy(s *soakSKU) int {
	inv, ok := r.sb.Inventory(s.listingID)
	if !ok {
		return -1
	}
	for _, p := range inv.Products {
		if p.SKU == s.sku && len(p.Offerings) > 0 {
			return p.Offerings[0].Quantity
		}
	}
	return -1
}

// sell sells one of s on the sandbox, unless an edit of s is being made
// (its expected value would then depend on the order the two landed in).
func (r *soakRun) sell(s *soakSKU, where string) bool {
	if !s.mu.TryLock() {
		return false
	}
	defer s.mu.Unlock()
	if s.expected < 5 {
		return false
	}
	if _, err := r.sb.SimulateSale(r.shop, s.listingID, s.sku, 1); err != nil {
		s.note("sale refused (%s): %v", where, err)
		return false
	}
	s.expected--
	s.sales++
	s.note("sale %s → %d", where, s.expected)
	r.sales.Add(1)
	return true
}

func (r *soakRun) sellAtRandom(stop <-chan struct{}) {
	rng := rand.New(rand.NewPCG(7, 7))
	for {
		select {
		case <-stop:
			return
		case <-time.After(time.Duration(50+rng.IntN(250)) * time.Millisecond):
		}
		r.sell(r.skus[rng.IntN(len(r.skus))], "at random")
	}
}

// saleInWindow is the sandbox's Answered hook: right after it answers an
// inventory read (a push reads, then writes), one SKU of that listing
// sells, so the sale lands between the push's read and its write.
func (r *soakRun) saleInWindow(op string, req *http.Request) {
	if op != "getListingInventory" || !r.chaos.Load() {
		return
	}
	id, err := strconv.ParseInt(req.PathValue("listing_id"), 10, 64)
	if err != nil {
		return
	}
	skus := r.byList[id]
	if len(skus) == 0 || rand.IntN(3) != 0 {
		return
	}
	if r.sell(skus[rand.IntN(len(skus))], "inside a push window") {
		r.windowSales.Add(1)
	}
}

// injectFaults spreads the plan's faults over the edits: lost answers of
// inventory writes most, then 429s, 500s and timeouts of reads and writes.
func (r *soakRun) injectFaults(stop <-chan struct{}) {
	rng := rand.New(rand.NewPCG(3, 3))
	kinds := []struct {
		op    string
		fault sandbox.Fault
	}{
		{"updateListingInventory", sandbox.Fault{Kind: sandbox.FaultTimeout, Count: 1, Applied: true, Delay: 2 * time.Second}},
		{"updateListingInventory", sandbox.Fault{Kind: sandbox.FaultTimeout, Count: 1, Applied: true, Delay: 2 * time.Second}},
		{"updateListingInventory", sandbox.Fault{Kind: sandbox.Fault500, Count: 1, Applied: true}},
		{"updateListingInventory", sandbox.Fault{Kind: sandbox.Fault429, Count: 1}},
		{"updateListingInventory", sandbox.Fault{Kind: sandbox.Fault500, Count: 1}},
		{"getListingInventory", sandbox.Fault{Kind: sandbox.Fault429, Count: 2}},
		{"getListingInventory", sandbox.Fault{Kind: sandbox.FaultTimeout, Count: 1, Delay: 2 * time.Second}},
		{"getShopReceipts", sandbox.Fault{Kind: sandbox.Fault500, Count: 1}},
		{"getShopReceipt", sandbox.Fault{Kind: sandbox.Fault500, Count: 1}},
	}
	// Spread over roughly the time the edits take (an edit's own command
	// takes ~100 ms besides the pause).
	every := time.Duration(r.plan.Edits) * (r.plan.Pace + 100*time.Millisecond) / time.Duration(r.plan.Workers) / time.Duration(r.plan.Faults)
	for range r.plan.Faults {
		select {
		case <-stop:
			return
		case <-time.After(every/2 + time.Duration(rng.Int64N(int64(every)))):
		}
		k := kinds[rng.IntN(len(kinds))]
		if err := r.sb.InjectFault(k.op, k.fault); err != nil {
			r.t.Errorf("inject %s %+v: %v", k.op, k.fault, err)
			return
		}
		r.faults.Add(1)
	}
}

// killAndRestart waits for the edits in flight, kills the server with
// SIGKILL (its pushes in flight die with it) and starts it again. false
// means the server did not come back.
func (r *soakRun) killAndRestart() bool {
	r.running.Lock()
	defer r.running.Unlock()
	r.srv.kill()
	r.kills.Add(1)
	if err := r.srv.start(); err != nil {
		r.t.Errorf("restart after kill %d: %v", r.kills.Load(), err)
		return false
	}
	return true
}

// settle waits until no SKU has a push pending (after asking for a sync so
// every sale is known), up to the plan's Settle, and returns the SKUs still
// pending or failed then. Quiet twice, with a sync between, counts as
// settled: a correction a sync decides on is queued after the sync.
func (r *soakRun) settle() map[string]string {
	var stuck map[string]string
	for range 2 {
		r.syncWait()
		if stuck = r.pendingUntil(time.Now().Add(r.plan.Settle)); len(stuck) > 0 {
			break
		}
	}
	return stuck
}

// syncWait runs `sync --wait` once. A sync of the soak's shop takes a
// second or two; one that has not answered in 60 s, the time a restarted
// server has to stop waiting on what its killed predecessor left, is
// counted and reported, and the settling goes on without it.
func (r *soakRun) syncWait() {
	res, err := r.srv.sshWithin("sync --wait", "", 60*time.Second)
	if err == nil && res.Code == 0 {
		return
	}
	r.syncHangs.Add(1)
	r.t.Errorf("sync --wait: %v %s", err, res)
	r.logSyncs()
}

// logSyncs logs the sync jobs River has not completed and the last sync
// runs: what a sync --wait that did not answer was waiting behind.
func (r *soakRun) logSyncs() {
	db, err := r.openDB(r.databaseURL)
	if err != nil {
		r.t.Log(err)
		return
	}
	defer db.Close()
	for _, q := range []struct{ what, q string }{
		{"sync jobs not completed", `SELECT id, state, attempt, CAST(scheduled_at AS TEXT), ` + r.jsonText("args") + `, ` +
			r.jsonText("errors") + ` FROM river_job WHERE kind = 'sync' AND state <> 'completed' ORDER BY id`},
		{"last sync runs", `SELECT id, kind, trigger, result, CAST(started_at AS TEXT), CAST(finished_at AS TEXT), error
			FROM sync_runs WHERE kind <> 'push' ORDER BY id DESC LIMIT 15`},
	} {
		rows, err := db.QueryContext(r.t.Context(), q.q)
		if err != nil {
			r.t.Log(err)
			return
		}
		var lines []string
		for rows.Next() {
			var v [7]sql.NullString
			var dest []any
			cols, _ := rows.Columns()
			for i := range cols {
				dest = append(dest, &v[i])
			}
			if err := rows.Scan(dest...); err != nil {
				r.t.Log(err)
				break
			}
			var f []string
			for i := range cols {
				f = append(f, tail(v[i].String, 200))
			}
			lines = append(lines, "    "+strings.Join(f, " | "))
		}
		rows.Close()
		r.t.Logf("%s:\n%s", q.what, strings.Join(lines, "\n"))
	}
	r.t.Logf("the server's last log lines:\n%s", tail(r.srv.logs.String(), 6000))
}

// pendingUntil polls the inventory until no SKU is pending or failed, or
// the deadline passes, and returns those still pending or failed.
func (r *soakRun) pendingUntil(deadline time.Time) map[string]string {
	for {
		stuck := map[string]string{}
		res, err := r.srv.ssh("inventory --format json", "")
		if err != nil || res.Code != 0 {
			r.t.Fatalf("inventory: %v %s", err, res)
		}
		var rows []row
		if err := json.Unmarshal([]byte(res.Stdout), &rows); err != nil {
			r.t.Fatal(err)
		}
		for _, w := range rows {
			if _, ours := r.bySKU[w.SKU]; !ours {
				continue
			}
			if w.Pending || w.PushStatus == "failed" {
				stuck[w.SKU] = fmt.Sprintf("pending=%v status=%s error=%q quantity=%d etsy_quantity=%d",
					w.Pending, w.PushStatus, w.PushError, w.Quantity, w.EtsyQuantity)
			}
		}
		if len(stuck) == 0 {
			jobs, err := r.pushJobsOutstanding()
			if err != nil {
				r.t.Fatalf("push jobs: %v", err)
			}
			if jobs == 0 {
				return stuck
			}
			if time.Now().After(deadline) {
				stuck["(push jobs)"] = fmt.Sprintf("%d push jobs not run at the settle deadline", jobs)
				return stuck
			}
		}
		if time.Now().After(deadline) {
			return stuck
		}
		time.Sleep(500 * time.Millisecond)
	}
}

type soakReport struct {
	edits, doubled, undone, lost, stuck int64
	// units off, by class
	doubledUnits, undoneUnits, lostUnits int
	wrong                                []string // the SKUs that ended wrong
	details                              string
}

func (p soakReport) String() string {
	return fmt.Sprintf("edits %d / doubled %d (%d units) / sales undone %d (%d units) / lost %d (%d units) / stuck %d",
		p.edits, p.doubled, p.doubledUnits, p.undone, p.undoneUnits, p.lost, p.lostUnits, p.stuck)
}

// report compares every SKU on the sandbox with its expected value.
func (r *soakRun) report(stuck map[string]string) soakReport {
	rep := soakReport{edits: r.edits.Load()}
	var lines []string
	if jobs := stuck["(push jobs)"]; jobs != "" {
		rep.stuck++
		lines = append(lines, "  "+jobs)
	}
	for _, s := range r.skus {
		got := r.onEtsy(s)
		diff := got - s.expected
		class := ""
		switch {
		case stuck[s.sku] != "":
			rep.stuck++
			class = "stuck (" + stuck[s.sku] + ")"
		case diff == 0:
			continue
		case diff > 0 && diff <= s.sales && !slices.Contains(s.deltas, diff):
			rep.undone++
			rep.undoneUnits += diff
			class = "sales undone"
		case slices.Contains(s.deltas, -diff) && !slices.Contains(s.deltas, diff):
			rep.lost++
			rep.lostUnits += abs(diff)
			class = "lost (an edit never applied)"
		default:
			// An edit applied twice, or several wrongs adding up: more
			// than the sales explain either way.
			rep.doubled++
			rep.doubledUnits += abs(diff)
			class = "doubled"
		}
		rep.wrong = append(rep.wrong, s.sku)
		lines = append(lines, fmt.Sprintf("  %s (listing %d): Etsy %d, expected %d: %s\n    %s",
			s.sku, s.listingID, got, s.expected, class, strings.Join(tailSlice(s.history, 12), "; ")))
	}
	slices.Sort(lines)
	rep.details = strings.Join(lines, "\n")
	return rep
}

func abs(n int) int { return max(n, -n) }

func tailSlice(s []string, n int) []string {
	if len(s) <= n {
		return s
	}
	return append([]string{"…"}, s[len(s)-n:]...)
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
