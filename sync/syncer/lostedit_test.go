package syncer_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stockroom/stockroom/etsy/sandbox"
	"github.com/stockroom/stockroom/store"
)

// A push whose write Etsy refused (a 500, nothing applied) is retried.
// Meanwhile the seller changed another variation of the listing on
// Etsy.com, which, like every inventory write, gave every offering a new id.
// The retry must still write the edit: a new offering id proves only that
// some write landed, not that this one did. Found by the chaos soak (a SKU
// ended below its expected value by exactly one of its edits).
func TestRefusedWriteThenEtsyEditOfAnotherVariationStillWrites(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		e := newEnv(t, b, sandbox.GenOptions{Seed: 8, Listings: 10, Receipts: 3}, sandbox.Config{})
		e.sync(store.SyncFull)
		l, r := e.variedListing(2)
		var other string
		for _, p := range l.Inventory.Products {
			if p.SKU != r.SKU {
				other = p.SKU
				break
			}
		}
		if err := e.sb.InjectFault("updateListingInventory", sandbox.Fault{Kind: sandbox.Fault500, Count: 1}); err != nil {
			t.Fatal(err)
		}
		var once sync.Once
		e.onRequest(func(req *http.Request) {
			if req.Method != http.MethodPut || !strings.HasSuffix(req.URL.Path, "/inventory") {
				return
			}
			// The refused write: the seller edits another variation on
			// Etsy.com before the retry.
			once.Do(func() {
				if err := e.sb.EditListing(e.shopID, l.ListingID, sandbox.ListingEdit{Quantities: map[string]int{other: 1}}); err != nil {
					t.Error(err)
				}
			})
		})
		e.start()
		e.edit(r.OfferingID, r.Quantity+5)
		got := e.waitRow(r.OfferingID, func(x store.InventoryRow) bool { return !x.Pending() })
		if q := sandboxQty(t, e.sb, l.ListingID, r.SKU); q != r.Quantity+5 {
			t.Fatalf("Etsy holds %d of %s, want %d: the edit was taken as written (Stockroom shows %d, %s %q)",
				q, r.SKU, r.Quantity+5, got.Quantity, got.PushStatus, got.PushError)
		}
	})
}
