// The test environment of the engine: an in-memory Etsy sandbox over HTTP,
// a store on one of the backends (SQLite in a temporary directory, or a
// throwaway PostgreSQL database), and River working the jobs.
package syncer_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stockroom/stockroom/etsy"
	"github.com/stockroom/stockroom/etsy/sandbox"
	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/jobs"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/store/postgres"
	"github.com/stockroom/stockroom/store/sqlite"
	"github.com/stockroom/stockroom/store/storetest"
	"github.com/stockroom/stockroom/sync/syncer"
)

const (
	sbKey    = "testkeystring0000000000"
	sbSecret = "testsharedsecret"
	// unlimitedPerSecond is the limit a sandbox configured without one
	// advertises: far above what a test makes.
	unlimitedPerSecond = 10_000
)

// backend is a database the engine runs on. create makes an empty one and
// returns where it is; open and queue open a store and a job queue on it,
// as a server process does (call them twice for two processes).
type backend struct {
	name   string
	create func(tb testing.TB) string
	open   func(tb testing.TB, where string) store.DB
	queue  func(tb testing.TB, where string, db store.DB, cfg jobs.Config) *jobs.Queue
}

func sqliteBackend() backend {
	return backend{
		name:   "sqlite",
		create: func(tb testing.TB) string { return filepath.Join(tb.TempDir(), "stockroom.db") },
		open:   openWith(sqlite.Open),
		queue: func(tb testing.TB, path string, _ store.DB, cfg jobs.Config) *jobs.Queue {
			tb.Helper()
			q, err := openSQLiteQueue(path, cfg)
			if err != nil {
				tb.Fatal(err)
			}
			return q
		},
	}
}

// openSQLiteQueue makes a queue on the SQLite file at path, on a handle of
// its own that the queue closes when it stops, as the server does.
func openSQLiteQueue(path string, cfg jobs.Config) (*jobs.Queue, error) {
	raw, err := sqlite.OpenQueueHandle(path)
	if err != nil {
		return nil, err
	}
	cfg.Close = raw.Close
	q, err := jobs.NewSQLite(raw, cfg)
	if err != nil {
		raw.Close()
	}
	return q, err
}

func postgresBackend() backend {
	return backend{
		name:   "postgres",
		create: storetest.PostgresDatabase,
		open:   openWith(postgres.Open),
		queue: func(tb testing.TB, _ string, db store.DB, cfg jobs.Config) *jobs.Queue {
			tb.Helper()
			// A test's wrapper of the store (one that injects a fault or
			// an event) hands over the store it wraps.
			for u, ok := db.(interface{ Unwrap() store.DB }); ok; u, ok = db.(interface{ Unwrap() store.DB }) {
				db = u.Unwrap()
			}
			q, err := jobs.NewPostgres(db.(*postgres.DB).Pool(), cfg)
			if err != nil {
				tb.Fatal(err)
			}
			return q
		},
	}
}

// openWith is a backend's open through the store's own Open: the store is
// closed when the test ends.
func openWith[D store.DB](open func(ctx context.Context, where string) (D, error)) func(testing.TB, string) store.DB {
	return func(tb testing.TB, where string) store.DB {
		tb.Helper()
		db, err := open(tb.Context(), where)
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { db.Close() })
		return db
	}
}

// backends are the databases every engine test runs on.
func backends() []backend { return []backend{sqliteBackend(), postgresBackend()} }

// eachBackend runs fn on every backend in parallel subtests. The PostgreSQL
// one skips without TEST_DATABASE_URL (and fails under CI).
func eachBackend(t *testing.T, fn func(t *testing.T, b backend)) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			fn(t, b)
		})
	}
}

// eachEnv runs fn, on every backend, in a new environment whose sandbox
// (without limits) holds the shops gen generates.
func eachEnv(t *testing.T, gen sandbox.GenOptions, fn func(t *testing.T, e *env)) {
	eachBackend(t, func(t *testing.T, b backend) { fn(t, newEnv(t, b, gen, sandbox.Config{})) })
}

// eachSyncedEnv is eachEnv with the first shop read in full before fn runs:
// the state of a store the seller has just connected.
func eachSyncedEnv(t *testing.T, gen sandbox.GenOptions, fn func(t *testing.T, e *env)) {
	eachEnv(t, gen, func(t *testing.T, e *env) {
		e.sync(store.SyncFull)
		fn(t, e)
	})
}

// staticToken is a TokenSource for one store with a sandbox-issued token,
// which lasts the test: it is never refreshed.
type staticToken string

func (s staticToken) AccessToken(context.Context) (string, error) { return string(s), nil }
func (s staticToken) Refresh(context.Context) (string, error)     { return "", etsy.ErrRevoked }

type tokenMap map[int64]etsy.TokenSource

func (m tokenMap) TokenSource(id int64) etsy.TokenSource { return m[id] }

type env struct {
	t       testing.TB
	ctx     context.Context
	b       backend
	where   string
	sb      *sandbox.Sandbox
	srv     *httptest.Server
	db      store.DB
	q       *jobs.Queue
	eng     *syncer.Engine
	hub     *hub.Hub
	client  *etsy.Client
	tokens  tokenMap
	seed    sandbox.Seed
	shopID  int64
	storeID int64
	account int64
	// stores are the store ids of every shop of the seed, in its order.
	stores []int64
	// tap, when set, sees every request before the sandbox does.
	tap atomic.Pointer[func(*http.Request)]
}

func newEnv(t testing.TB, b backend, gen sandbox.GenOptions, sbcfg sandbox.Config) *env {
	t.Helper()
	ctx := t.Context()
	e := &env{t: t, ctx: ctx, b: b, seed: sandbox.Generate(gen), tokens: tokenMap{}}
	sbcfg.Keystring, sbcfg.SharedSecret = sbKey, sbSecret
	if sbcfg.PerSecond == 0 && sbcfg.PerDay == 0 {
		// Without limit headers the client paces a key at a cautious 5
		// calls a second, as it does before Etsy's first answer; a sandbox
		// "without limits" advertises generous ones instead, as Etsy
		// always sends them.
		sbcfg.PerSecond, sbcfg.PerDay = unlimitedPerSecond, 10_000_000
	}
	e.sb = sandbox.New(sbcfg)
	if err := e.sb.Load(e.seed); err != nil {
		t.Fatal(err)
	}
	handler := e.sb.Handler()
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f := e.tap.Load(); f != nil {
			(*f)(r)
		}
		handler.ServeHTTP(w, r)
	}))
	t.Cleanup(e.srv.Close)
	e.sb.SetBaseURL(e.srv.URL)
	var err error
	e.client, err = etsy.New(etsy.Config{
		APIBaseURL: e.srv.URL + "/v3", TokenURL: e.srv.URL + "/v3/public/oauth/token",
		Keystring: sbKey, SharedSecret: sbSecret, Timeout: 2 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.where = b.create(t)
	e.db = b.open(t, e.where)
	acct, err := e.db.AccountCreate(ctx, &store.AccountCreateParams{Name: "Ada", Email: "ada@example.com",
		Fingerprint: "SHA256:test", PublicKey: "ssh-ed25519 AAAA test", Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	e.account = acct.ID
	for _, s := range e.seed.Shops {
		shop := s.Shop
		st, err := e.db.StoreConnect(ctx, &store.StoreConnectParams{AccountID: acct.ID, EtsyShopID: shop.ShopID, EtsyUserID: shop.UserID,
			Name: shop.Name, Currency: shop.CurrencyCode, IsSandbox: true, AccessToken: []byte("sealed"), RefreshToken: []byte("sealed"),
			TokenExpiresAt: time.Now().Add(time.Hour), Now: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		access, _, err := e.sb.IssueToken(shop.ShopID, etsy.Scopes...)
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[st.ID] = staticToken(access)
		e.stores = append(e.stores, st.ID)
	}
	e.shopID, e.storeID = e.seed.Shops[0].Shop.ShopID, e.stores[0]
	e.hub = hub.New()
	e.q, e.eng = e.process(e.db, "", e.hub)
	return e
}

// process builds what one server process runs on db: a job queue and an
// engine registered on it, owning leases as owner (default: generated).
// The queue is stopped when the test ends.
func (e *env) process(db store.DB, owner string, h *hub.Hub) (*jobs.Queue, *syncer.Engine) {
	e.t.Helper()
	return e.processWith(db, jobs.Config{Test: true, Workers: 4, ID: owner}, h)
}

// processWith is process with the queue's configuration; its ID is the
// engine's owner.
func (e *env) processWith(db store.DB, cfg jobs.Config, h *hub.Hub) (*jobs.Queue, *syncer.Engine) {
	e.t.Helper()
	q := e.b.queue(e.t, e.where, db, cfg)
	eng, err := syncer.New(syncer.Config{Store: db, Etsy: e.client, Tokens: e.tokens, Queue: q, Hub: h, Owner: cfg.ID})
	if err != nil {
		e.t.Fatal(err)
	}
	if err := eng.Register(q.Workers()); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = q.Stop(sctx)
	})
	return q, eng
}

// onRequest has f see every request to the sandbox from now on.
func (e *env) onRequest(f func(*http.Request)) { e.tap.Store(&f) }

func (e *env) start() {
	e.t.Helper()
	if err := e.q.Start(e.ctx); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) calls() int {
	n := 0
	for _, c := range e.sb.Calls() {
		n += c
	}
	return n
}

func (e *env) sync(kind store.SyncKind) store.SyncRun {
	e.t.Helper()
	run, err := e.eng.Sync(e.ctx, e.storeID, kind, store.TriggerManual)
	if err != nil {
		e.t.Fatalf("%s sync: %v", kind, err)
	}
	return run
}

func (e *env) rows() []store.InventoryRow {
	e.t.Helper()
	rows, err := e.db.InventoryList(e.ctx, &store.InventoryListParams{AccountID: e.account, StoreID: e.storeID})
	if err != nil {
		e.t.Fatal(err)
	}
	return rows
}

// variedListing finds a listing with several products, each with a SKU and
// stock of at least min, and returns it with the row of its first product.
func (e *env) variedListing(minQty int) (sandbox.Listing, store.InventoryRow) {
	e.t.Helper()
	for _, r := range e.rows() {
		l, ok := e.sb.Listing(r.EtsyListingID)
		if !ok || len(l.Inventory.Products) < 2 || r.SKU == "" || l.State != sandbox.StateActive {
			continue
		}
		good := true
		for _, p := range l.Inventory.Products {
			if p.SKU == "" || p.Offerings[0].Quantity < minQty {
				good = false
			}
		}
		if good {
			return l, r
		}
	}
	e.t.Fatal("no listing with variations in the generated shop")
	return sandbox.Listing{}, store.InventoryRow{}
}

func (e *env) row(offeringID int64) store.InventoryRow {
	e.t.Helper()
	r, err := e.db.InventoryGetByID(e.ctx, offeringID)
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

// edit makes a seller's edit the way the application layer does: the
// desired quantity and its push job in one transaction.
func (e *env) edit(offeringID int64, qty int) {
	e.t.Helper()
	if err := editVia(e.ctx, e.db, e.q, e.account, e.storeID, offeringID, qty); err != nil {
		e.t.Fatal(err)
	}
}

// push runs the offering's push job's work now, in the test's goroutine.
func (e *env) push(offeringID int64) {
	e.t.Helper()
	if err := e.eng.Push(e.ctx, offeringID); err != nil {
		e.t.Fatal(err)
	}
}

// editVia is edit through a given process's store and queue.
func editVia(ctx context.Context, db store.DB, q *jobs.Queue, account, storeID, offeringID int64, qty int) error {
	return editAll(ctx, db, q, account, storeID, store.SourceTUI, []store.StockEditItem{{OfferingID: offeringID, Quantity: qty}})
}

// editAll saves edits and queues their pushes in one transaction, as the
// application layer does (one waiting job per listing); imports queue at
// bulk priority.
func editAll(ctx context.Context, db store.DB, q *jobs.Queue, account, storeID int64, source store.Source, items []store.StockEditItem) error {
	return editAllAt(ctx, db, q, account, storeID, source, items, time.Now())
}

// editAllAt is editAll typed at now.
func editAllAt(ctx context.Context, db store.DB, q *jobs.Queue, account, storeID int64, source store.Source, items []store.StockEditItem,
	now time.Time) error {
	_, err := db.StockEdit(ctx, &store.StockEditParams{AccountID: account, StoreID: storeID, Source: source,
		Edits: items, Now: now,
		OnCommit: func(ctx context.Context, tx store.Tx, rows []store.InventoryRow) error {
			ids := make([]int64, len(rows))
			for i, r := range rows {
				ids[i] = r.OfferingID
			}
			need, err := db.PushQueueClaim(ctx, tx, ids)
			if err != nil {
				return err
			}
			for _, id := range need {
				if err := q.EnqueuePushTx(ctx, tx, storeID, id, source == store.SourceImport); err != nil {
					return err
				}
			}
			return nil
		}})
	return err
}

// editAll is editAll on the test's store.
func (e *env) editAll(source store.Source, items []store.StockEditItem) {
	e.t.Helper()
	if err := editAll(e.ctx, e.db, e.q, e.account, e.storeID, source, items); err != nil {
		e.t.Fatal(err)
	}
}

// waitRow waits, on the hub's stock events, until cond holds for the row.
func (e *env) waitRow(offeringID int64, cond func(store.InventoryRow) bool) store.InventoryRow {
	e.t.Helper()
	sub := e.hub.Subscribe(hub.ForStore(e.storeID))
	defer sub.Close()
	deadline := time.After(10 * time.Second)
	for {
		r := e.row(offeringID)
		if cond(r) {
			return r
		}
		select {
		case <-sub.C:
		case <-time.After(200 * time.Millisecond): // an event may predate the subscription
		case <-deadline:
			e.t.Fatalf("row never reached the expected state: %+v", r)
		}
	}
}
