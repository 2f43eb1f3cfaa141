// Two server processes on one database: separate pools, queues, engines
// and schedulers, as two replicas of the server run in production.
package syncer_test

import (
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/stockroom/stockroom/etsy/sandbox"
	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/internal/testwait"
	"github.com/stockroom/stockroom/jobs"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/sync/syncer"
)

func TestTwoProcessesNeverSyncAStoreTwiceAtOnceAndBothWork(t *testing.T) {
	eachEnv(t, sandbox.GenOptions{Seed: 21, Shops: 3, Listings: 40, Receipts: 20}, func(t *testing.T, e *env) {
		type proc struct {
			db     store.DB
			q      *jobs.Queue
			worked atomic.Int64
		}
		procs := []*proc{{db: e.db, q: e.q}, {db: e.b.open(t, e.where)}}
		procs[1].q, _ = e.process(procs[1].db, "server-b", hub.New())

		// Each process counts the jobs it finished; River only tells a
		// client about the jobs it worked itself.
		for i, p := range procs {
			events, cancel, err := p.q.Subscribe(river.EventKindJobCompleted)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(cancel)
			go func() {
				for range events {
					p.worked.Add(1)
				}
			}()
			el := syncer.NewLeaseElector(p.db, "scheduler", []string{"server-a", "server-b"}[i], time.Minute)
			s, err := syncer.NewScheduler(syncer.ScheduleConfig{Store: p.db, Etsy: e.client, Queue: p.q,
				Tick: 50 * time.Millisecond, Elector: el})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Start(e.ctx); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s.Stop() })
			if err := p.q.Start(e.ctx); err != nil {
				t.Fatal(err)
			}
		}

		// Everyone asks for syncs at once, through both processes.
		var ids []int64
		for round := range 2 {
			for _, p := range procs {
				for _, st := range e.stores {
					for _, tr := range []store.SyncTrigger{store.TriggerWebhook, store.TriggerManual} {
						kind := store.SyncIncremental
						if round == 0 && tr == store.TriggerManual {
							kind = store.SyncFull
						}
						id, err := p.q.EnqueueSyncJob(e.ctx, st, kind, tr)
						if err != nil {
							t.Fatal(err)
						}
						ids = append(ids, id)
					}
				}
			}
		}
		// And sellers edit, through both processes, once a store's
		// inventory is there to edit.
		want := map[int64]int{}
		for si, st := range e.stores {
			var rows []store.InventoryRow
			testwait.Within(t, 20*time.Second, "the first sync of store", func() bool {
				rows, _ = e.db.InventoryList(e.ctx, &store.InventoryListParams{AccountID: e.account, StoreID: st})
				return len(rows) > 0
			})
			// Etsy is checked by SKU, so only products with a SKU of their
			// own in their listing are edited.
			skus := map[string]int{}
			for _, r := range rows {
				skus[listingSKU(r.EtsyListingID, r.SKU)]++
			}
			rows = slices.DeleteFunc(rows, func(r store.InventoryRow) bool { return r.SKU == "" || skus[listingSKU(r.EtsyListingID, r.SKU)] > 1 })
			for i, r := range rows[:min(len(rows), 6)] {
				p := procs[(si+i)%2]
				qty := 100 + si*10 + i
				if err := editVia(e.ctx, p.db, p.q, e.account, st, r.OfferingID, qty); err != nil {
					t.Fatal(err)
				}
				want[r.OfferingID] = qty
			}
		}

		testwait.Within(t, 60*time.Second, "every sync job, sync run and push to finish", func() bool {
			// Scheduled syncs run too, queued by whichever process
			// schedules: they must end as well.
			for _, st := range e.stores {
				runs, err := e.db.SyncRunList(e.ctx, &store.SyncRunListParams{AccountID: e.account, StoreID: st, Limit: 1000})
				if err != nil {
					return false
				}
				for _, r := range runs {
					if r.Result == store.ResultRunning {
						return false
					}
				}
			}
			for _, id := range ids {
				j, err := e.q.JobGet(e.ctx, id)
				if err != nil || j.FinalizedAt == nil {
					return false
				}
			}
			for off := range want {
				r, err := e.db.InventoryGetByID(e.ctx, off)
				if err != nil || r.Pending() {
					return false
				}
			}
			return true
		})

		for off, qty := range want {
			r := e.row(off)
			if r.PushStatus != store.PushPushed || r.Quantity != qty || sandboxQty(t, e.sb, r.EtsyListingID, r.SKU) != qty {
				t.Errorf("offering %d: %s %d, Etsy %d; want %d pushed", off, r.PushStatus, r.Quantity,
					sandboxQty(t, e.sb, r.EtsyListingID, r.SKU), qty)
			}
		}
		for _, st := range e.stores {
			runs, err := e.db.SyncRunList(e.ctx, &store.SyncRunListParams{AccountID: e.account, StoreID: st, Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			var syncs []store.SyncRun
			for _, r := range runs {
				if r.Kind == store.SyncPush {
					continue
				}
				if r.FinishedAt.IsZero() {
					t.Errorf("store %d: run %d never finished", st, r.ID)
				}
				syncs = append(syncs, r)
			}
			if len(syncs) < 2 {
				t.Errorf("store %d: %d sync runs, want several", st, len(syncs))
			}
			slices.SortFunc(syncs, func(a, b store.SyncRun) int { return a.StartedAt.Compare(b.StartedAt) })
			for i := 1; i < len(syncs); i++ {
				if prev := syncs[i-1]; syncs[i].StartedAt.Before(prev.FinishedAt) {
					t.Errorf("store %d: run %d (%s-%s) overlaps run %d (%s-%s)", st, syncs[i].ID,
						syncs[i].StartedAt.Format(time.StampMilli), syncs[i].FinishedAt.Format(time.StampMilli),
						prev.ID, prev.StartedAt.Format(time.StampMilli), prev.FinishedAt.Format(time.StampMilli))
				}
			}
		}
		a, bw := procs[0].worked.Load(), procs[1].worked.Load()
		t.Logf("jobs worked: %d by one process, %d by the other", a, bw)
		if a == 0 || bw == 0 {
			t.Errorf("jobs worked: %d and %d; both processes must work jobs", a, bw)
		}
	})
}

func listingSKU(listingID int64, sku string) string { return itoa(listingID) + "/" + sku }
