// The database going away in the middle of a sync: every connection of
// the pool is cut, as a PostgreSQL restart or failover does.
package syncer_test

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stockroom/stockroom/etsy/sandbox"
	"github.com/stockroom/stockroom/internal/testwait"
	"github.com/stockroom/stockroom/store"
)

func TestDatabaseRestartMidSyncLosesNothing(t *testing.T) {
	e := newEnv(t, postgresBackend(), sandbox.GenOptions{Seed: 31, Listings: 260, Receipts: 150}, sandbox.Config{})
	products := 0
	for _, l := range e.seed.Shops[0].Listings {
		products += len(l.Inventory.Products)
	}
	// While Etsy serves the second page of listings, a lock holds the
	// listings table, so the page's write is in flight inside its
	// transaction when every connection is cut.
	var pages, cut atomic.Int32
	done := make(chan struct{})
	e.onRequest(func(r *http.Request) {
		if r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, "/listings") || pages.Add(1) != 2 {
			return
		}
		ctx := context.Background()
		locker, err := pgx.Connect(ctx, e.where)
		if err != nil {
			t.Error(err)
			close(done)
			return
		}
		tx, err := locker.Begin(ctx)
		if err == nil {
			_, err = tx.Exec(ctx, "LOCK TABLE listings IN ACCESS EXCLUSIVE MODE")
		}
		if err != nil {
			t.Error(err)
			locker.Close(ctx)
			close(done)
			return
		}
		go func() {
			defer close(done)
			defer locker.Close(ctx)
			for range 200 {
				var waiting int
				if err := tx.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
					WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
					t.Error(err)
					return
				}
				if waiting > 0 {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			var n int32
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
				WHERE datname = current_database() AND pid <> pg_backend_pid()) t`).Scan(&n); err != nil {
				t.Error(err)
				return
			}
			cut.Store(n)
			_ = tx.Rollback(ctx)
		}()
	})
	e.start()
	id, err := e.q.EnqueueSyncJob(e.ctx, e.storeID, store.SyncFull, store.TriggerManual)
	if err != nil {
		t.Fatal(err)
	}
	testwait.Within(t, 30*time.Second, "the sync job to finish", func() bool {
		j, err := e.q.JobGet(e.ctx, id)
		return err == nil && j.FinalizedAt != nil
	})
	<-done
	if cut.Load() == 0 {
		t.Fatal("no connection was cut: the test did not exercise a restart")
	}
	j, _ := e.q.JobGet(e.ctx, id)
	if j.State != "completed" {
		t.Fatalf("sync job %s after %d attempts: %v", j.State, j.Attempt, j.Errors)
	}

	runs, err := e.db.SyncRunList(e.ctx, &store.SyncRunListParams{AccountID: e.account, StoreID: e.storeID, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	failed, ok := 0, 0
	for _, r := range runs {
		switch r.Result {
		case store.ResultFailed:
			failed++
		case store.ResultOK:
			ok++
		default:
			t.Errorf("run %d left %q: a restart must not leave a run that never ends", r.ID, r.Result)
		}
	}
	if failed == 0 || ok != 1 {
		t.Errorf("runs: %d failed, %d ok; want the cut one failed and one ok re-run (%+v)", failed, ok, runs)
	}

	rows := e.rows()
	if len(rows) != products {
		t.Errorf("%d inventory rows, want %d", len(rows), products)
	}
	seen := map[string]bool{}
	for _, r := range rows {
		k := listingSKU(r.EtsyListingID, r.ProductKey)
		if seen[k] {
			t.Errorf("listing %d product %s stored twice", r.EtsyListingID, r.ProductKey)
		}
		seen[k] = true
	}
	receipts, err := e.db.ReceiptList(e.ctx, &store.ReceiptListParams{AccountID: e.account, StoreID: e.storeID, Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[int64]bool{}
	for _, r := range receipts {
		ids[r.EtsyReceiptID] = true
	}
	if len(receipts) != 150 || len(ids) != 150 {
		t.Errorf("%d receipts (%d distinct), want 150", len(receipts), len(ids))
	}

	// A second full sync finds nothing to change.
	again := e.sync(store.SyncFull)
	if again.ListingsChanged != 0 || again.ReceiptsChanged != 0 {
		t.Errorf("full sync after the recovery changed %d listings, %d receipts", again.ListingsChanged, again.ReceiptsChanged)
	}
}
