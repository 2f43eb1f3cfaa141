// A listing Stockroom deactivated because every variation reached 0 comes
// back when it gets stock; one the seller deactivated stays as it is.
package syncer_test

import (
	"testing"

	"github.com/stockroom/stockroom/etsy/sandbox"
	"github.com/stockroom/stockroom/store"
)

// singleListing finds an active listing of one product with stock.
func (e *env) singleListing() store.InventoryRow {
	e.t.Helper()
	for _, x := range e.rows() {
		l, _ := e.sb.Listing(x.EtsyListingID)
		if len(l.Inventory.Products) == 1 && l.State == sandbox.StateActive && x.Quantity > 0 && !x.Gone {
			return x
		}
	}
	e.t.Fatal("no single-product listing in the generated shop")
	return store.InventoryRow{}
}

func TestRestockReactivatesListingStockroomDeactivated(t *testing.T) {
	eachSyncedEnv(t, sandbox.GenOptions{Seed: 10, Listings: 30, Receipts: 3}, func(t *testing.T, e *env) {
		r := e.singleListing()
		e.start()
		e.edit(r.OfferingID, 0)
		got := e.waitRow(r.OfferingID, func(x store.InventoryRow) bool { return !x.Pending() })
		// The row shows the state at once, not after a full sync.
		if got.ListingState != sandbox.StateInactive || !got.StockroomDeactivated {
			t.Fatalf("after setting 0 the row shows %s (deactivated by Stockroom: %v), want inactive", got.ListingState, got.StockroomDeactivated)
		}
		e.edit(r.OfferingID, 8)
		got = e.waitRow(r.OfferingID, func(x store.InventoryRow) bool { return !x.Pending() })
		l, _ := e.sb.Listing(r.EtsyListingID)
		if l.State != sandbox.StateActive || sandboxQty(t, e.sb, r.EtsyListingID, r.SKU) != 8 {
			t.Fatalf("after restocking 8: Etsy listing %s with %d, want active with 8", l.State, sandboxQty(t, e.sb, r.EtsyListingID, r.SKU))
		}
		if got.ListingState != sandbox.StateActive || got.StockroomDeactivated || got.Quantity != 8 {
			t.Fatalf("the row shows %s, %d (deactivated by Stockroom: %v); want active, 8", got.ListingState, got.Quantity, got.StockroomDeactivated)
		}
	})
}

func TestRestockLeavesSellersInactiveListingInactive(t *testing.T) {
	eachSyncedEnv(t, sandbox.GenOptions{Seed: 10, Listings: 30, Receipts: 3}, func(t *testing.T, e *env) {
		r := e.singleListing()
		inactive := sandbox.StateInactive
		if err := e.sb.EditListing(e.shopID, r.EtsyListingID, sandbox.ListingEdit{State: &inactive}); err != nil {
			t.Fatal(err)
		}
		e.sync(store.SyncFull)
		e.edit(r.OfferingID, r.Quantity+3)
		e.push(r.OfferingID)
		if l, _ := e.sb.Listing(r.EtsyListingID); l.State != sandbox.StateInactive {
			t.Fatalf("a listing the seller deactivated became %s after a restock", l.State)
		}
	})
}
