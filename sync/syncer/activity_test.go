package syncer_test

import (
	"testing"

	"github.com/stockroom/stockroom/etsy/sandbox"
	"github.com/stockroom/stockroom/store"
)

// A quantity Etsy changed is Etsy's event in the ledger, and says whether a
// webhook or the schedule brought it in.
func TestSyncedChangesAreEtsysInTheLedger(t *testing.T) {
	eachSyncedEnv(t, sandbox.GenOptions{Seed: 12, Listings: 10, Receipts: 1}, func(t *testing.T, e *env) {
		for i, tc := range []struct {
			trigger store.SyncTrigger
			source  store.Source
		}{{store.TriggerWebhook, store.SourceWebhook}, {store.TriggerSchedule, store.SourceSync}} {
			l, r := e.variedListing(2)
			if _, err := e.sb.SimulateSale(e.shopID, l.ListingID, r.SKU, 1); err != nil {
				t.Fatal(err)
			}
			if _, err := e.eng.Sync(e.ctx, e.storeID, store.SyncReconcile, tc.trigger); err != nil {
				t.Fatal(err)
			}
			evs, err := e.db.ActivityList(e.ctx, &store.ActivityListParams{AccountID: e.account, StoreID: e.storeID,
				OfferingID: r.OfferingID, Kind: string(store.KindStockSync), Limit: 1})
			if err != nil || len(evs) != 1 {
				t.Fatalf("%d: ledger of %s: %+v, %v", i, r.SKU, evs, err)
			}
			if ev := evs[0]; ev.Actor != store.ActorEtsy || ev.Source != tc.source || ev.BeforeQty != r.Quantity || ev.AfterQty != r.Quantity-1 {
				t.Fatalf("%s sync: event %+v, want Etsy, %s, %d → %d", tc.trigger, ev, tc.source, r.Quantity, r.Quantity-1)
			}
		}
	})
}
