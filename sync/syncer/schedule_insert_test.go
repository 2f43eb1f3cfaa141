package syncer_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stockroom/stockroom/etsy/sandbox"
	"github.com/stockroom/stockroom/internal/testwait"
	"github.com/stockroom/stockroom/jobs"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/sync/syncer"
)

// insertCounter counts the job inserts a PostgreSQL pool sends.
type insertCounter struct{ n atomic.Int64 }

func (c *insertCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	if sql := strings.ToLower(d.SQL); strings.Contains(sql, "insert into") && strings.Contains(sql, "river_job") {
		c.n.Add(1)
	}
	return ctx
}

func (*insertCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// TestSchedulePassesDoNotReinsertQueuedSlots: a slot already queued is not
// offered to River again on every pass until it runs. The fleet simulation
// found each pass re-inserting every due store's slot (a unique insert,
// deduplicated, but a query each): with a backlog, thousands of inserts a
// pass on SQLite's one queue connection, which held back River's own
// fetches and so grew the backlog.
func TestSchedulePassesDoNotReinsertQueuedSlots(t *testing.T) {
	e := newEnv(t, postgresBackend(), sandbox.GenOptions{Seed: 12, Shops: 20, Listings: 2, Receipts: 1}, sandbox.Config{})
	cfg, err := pgxpool.ParseConfig(e.where)
	if err != nil {
		t.Fatal(err)
	}
	inserts := &insertCounter{}
	cfg.ConnConfig.Tracer = inserts
	pool, err := pgxpool.NewWithConfig(e.ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	q, err := jobs.NewPostgres(pool, jobs.Config{})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := syncer.New(syncer.Config{Store: e.db, Etsy: e.client, Tokens: e.tokens, Queue: q, Hub: e.hub})
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Register(q.Workers()); err != nil {
		t.Fatal(err)
	}
	// Every store last synced half an hour ago: each one's next slot has
	// passed, and stays put until it syncs.
	now := time.Now()
	synced := now.Add(-30 * time.Minute)
	for _, id := range e.stores {
		if err := e.db.StoreSetSyncState(e.ctx, &store.StoreSetSyncStateParams{StoreID: id,
			LastSyncAt: &synced, LastFullSyncAt: &synced, ReceiptsCursor: &synced}); err != nil {
			t.Fatal(err)
		}
	}
	s, err := syncer.NewScheduler(syncer.ScheduleConfig{Store: e.db, Etsy: e.client, Queue: q, Interval: 15 * time.Minute,
		Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	stores := len(e.stores)
	res, err := s.RunOnce(e.ctx)
	if err != nil || res.Enqueued != stores {
		t.Fatalf("first pass: %+v %v, want all %d due stores queued", res, err, stores)
	}
	first := inserts.n.Load()
	// Nothing has run: the next passes, a tick apart, see the same slots.
	for range 3 {
		now = now.Add(time.Minute)
		if res, err := s.RunOnce(e.ctx); err != nil || res.Enqueued != 0 {
			t.Fatalf("pass: %+v %v, want nothing new", res, err)
		}
	}
	if again := inserts.n.Load() - first; again != 0 {
		t.Errorf("three passes over %d queued slots sent %d job inserts, want none", stores, again)
	}
	// A slot whose job went missing (here: deleted) is offered again an
	// interval later, so a lost job never stops a store's syncs.
	if _, err := pool.Exec(e.ctx, "DELETE FROM river_job"); err != nil {
		t.Fatal(err)
	}
	now = now.Add(15 * time.Minute)
	if res, err := s.RunOnce(e.ctx); err != nil || res.Enqueued != stores {
		t.Fatalf("pass an interval later with the jobs gone: %+v %v, want all %d queued again", res, err, stores)
	}
	// A store that synced has a new slot, queued when it is due.
	synced = now
	if err := e.db.StoreSetSyncState(e.ctx, &store.StoreSetSyncStateParams{StoreID: e.storeID, LastSyncAt: &synced}); err != nil {
		t.Fatal(err)
	}
	now = now.Add(23 * time.Minute)
	if res, err := s.RunOnce(e.ctx); err != nil || res.Enqueued != 1 {
		t.Fatalf("pass after the synced store's next slot: %+v %v, want it queued", res, err)
	}
}

// TestScheduledSyncOfAServedSlotDoesNothing: a scheduled sync whose slot a
// later sync already covered ends without calling Etsy. The fleet
// simulation found the connect burst queueing a second full sync for every
// shop whose first waited longer than an interval (a store never synced is
// due in the slot it is in now, which moves on every interval), each
// holding a worker for a full read after the shop had one.
func TestScheduledSyncOfAServedSlotDoesNothing(t *testing.T) {
	e := newEnv(t, sqliteBackend(), sandbox.GenOptions{Seed: 12, Listings: 10, Receipts: 3}, sandbox.Config{})
	before := time.Now().Add(-time.Minute)
	e.sync(store.SyncFull)
	stale, _, err := e.q.EnqueueScheduledSync(e.ctx, e.storeID, store.SyncFull, before)
	if err != nil {
		t.Fatal(err)
	}
	e.sb.ResetCalls()
	e.start()
	waitServed(t, e, stale)
	// A slot after the last sync still runs.
	next, _, err := e.q.EnqueueScheduledSync(e.ctx, e.storeID, store.SyncIncremental, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, "the next slot's sync", func() bool {
		runs, _ := e.db.SyncRunList(e.ctx, &store.SyncRunListParams{AccountID: e.account, StoreID: e.storeID})
		return len(runs) == 2 && runs[0].JobID == next && runs[0].Result == store.ResultOK
	})
}
