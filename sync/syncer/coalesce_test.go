// Pushes coalesced per listing: a burst of edits to several variations of
// one listing reaches Etsy in one read and one write.
package syncer_test

import (
	"fmt"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/stockroom/stockroom/etsy"
	"github.com/stockroom/stockroom/etsy/sandbox"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/sync/syncer"
)

// sevenSizes gives a listing with a Size variation seven sizes, each with
// its own SKU and quantity, through Etsy's own inventory write.
func (e *env) sevenSizes() int64 {
	e.t.Helper()
	var id int64
	for _, l := range e.seed.Shops[0].Listings {
		p := l.Inventory.Products
		if l.State == sandbox.StateActive && len(p) >= 2 && len(p[0].PropertyValues) == 1 && p[0].SKU != "" {
			id = l.ListingID
			break
		}
	}
	if id == 0 {
		e.t.Fatal("no listing varying by one property in the generated shop")
	}
	shop := e.client.Shop(syncer.Key(e.storeID), e.tokens[e.storeID])
	inv, err := shop.GetListingInventory(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	proto := inv.Products[0]
	inv.Products = nil
	for i := range 7 {
		p := proto
		p.SKU = fmt.Sprintf("SEVEN-%d", i+1)
		pv := p.PropertyValues[0]
		pv.Values, pv.ValueIDs = []string{fmt.Sprintf("Size %d", i+1)}, nil
		p.PropertyValues = []etsy.PropertyValue{pv}
		p.Offerings = slices.Clone(p.Offerings)
		for k := range p.Offerings {
			p.Offerings[k].Quantity = 10 + i
		}
		inv.Products = append(inv.Products, p)
	}
	inv.QuantityOnProperty = []int64{proto.PropertyValues[0].PropertyID}
	inv.SKUOnProperty = []int64{proto.PropertyValues[0].PropertyID}
	req, err := etsy.BuildInventoryUpdate(inv, etsy.ProductMatch{SKU: "SEVEN-1"}, 10)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := shop.UpdateListingInventory(e.ctx, id, req); err != nil {
		e.t.Fatal(err)
	}
	return id
}

// sevenSizesSynced is an environment whose first listing has seven sizes,
// synced, with that listing's rows in Stockroom.
func sevenSizesSynced(t *testing.T, b backend) (*env, int64, []store.InventoryRow) {
	t.Helper()
	e := newEnv(t, b, sandbox.GenOptions{Seed: 5, Listings: 20, Receipts: 5}, sandbox.Config{})
	listing := e.sevenSizes()
	e.sync(store.SyncFull)
	var rows []store.InventoryRow
	for _, r := range e.rows() {
		if r.EtsyListingID == listing {
			rows = append(rows, r)
		}
	}
	return e, listing, rows
}

func TestImportBurstOnOneListingIsOneReadAndOneWrite(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		e, listing, rows := sevenSizesSynced(t, b)
		if len(rows) != 7 {
			t.Fatalf("listing %d has %d rows in Stockroom, want 7", listing, len(rows))
		}
		e.start()
		e.sb.ResetCalls()

		// An import changes five of the seven sizes in one transaction,
		// each with its own push job, as the application layer does.
		edited := rows[1:6]
		want := map[string]int{}
		items := make([]store.StockEditItem, len(edited))
		for i, r := range edited {
			items[i] = store.StockEditItem{OfferingID: r.OfferingID, Version: r.Version, Quantity: 100 + i}
			want[r.SKU] = 100 + i
		}
		for _, r := range []store.InventoryRow{rows[0], rows[6]} {
			want[r.SKU] = r.Quantity
		}
		e.editAll(store.SourceImport, items)
		for _, r := range edited {
			got := e.waitRow(r.OfferingID, func(x store.InventoryRow) bool { return !x.Pending() })
			if got.PushStatus != store.PushPushed || got.Quantity != want[r.SKU] {
				t.Errorf("%s: %s at %d in Stockroom, want pushed %d", r.SKU, got.PushStatus, got.Quantity, want[r.SKU])
			}
		}
		// The other jobs find nothing pending: once they have all run, no
		// stray call can still come.
		e.settled()
		calls := e.sb.Calls()
		if calls["getListingInventory"] != 1 || calls["updateListingInventory"] != 1 || e.calls() != 2 {
			t.Errorf("calls to Etsy = %v, want one getListingInventory and one updateListingInventory", calls)
		}
		inv, _ := e.sb.Inventory(listing)
		if len(inv.Products) != 7 {
			t.Fatalf("Etsy has %d products, want the 7", len(inv.Products))
		}
		for _, p := range inv.Products {
			if q := p.Offerings[0].Quantity; q != want[p.SKU] {
				t.Errorf("Etsy holds %d of %s, want %d", q, p.SKU, want[p.SKU])
			}
		}
		runs, _ := e.db.SyncRunList(e.ctx, &store.SyncRunListParams{AccountID: e.account, StoreID: e.storeID})
		pushes := 0
		for _, r := range runs {
			if r.Kind == store.SyncPush {
				pushes++
				if r.Result != store.ResultOK || r.APICalls != 2 {
					t.Errorf("push run %+v, want ok with 2 calls", r)
				}
			}
		}
		if pushes != 1 {
			t.Errorf("%d push runs recorded, want 1", pushes)
		}
	})
}

// TestLostAnswerOfACombinedWriteIsNotAppliedTwice: the write carrying two
// offerings' edits lands on Etsy but its answer is lost. The retry, and the
// other offering's own job, must not apply either change again.
func TestLostAnswerOfACombinedWriteIsNotAppliedTwice(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		e, listing, rows := sevenSizesSynced(t, b)
		if err := e.sb.InjectFault("updateListingInventory", sandbox.Fault{Kind: sandbox.Fault500, Count: 1, Applied: true}); err != nil {
			t.Fatal(err)
		}
		e.start()
		items := []store.StockEditItem{{OfferingID: rows[2].OfferingID, Quantity: rows[2].Quantity + 5},
			{OfferingID: rows[4].OfferingID, Quantity: rows[4].Quantity + 9}}
		e.editAll(store.SourceTUI, items)
		for i, r := range []store.InventoryRow{rows[2], rows[4]} {
			got := e.waitRow(r.OfferingID, func(x store.InventoryRow) bool { return !x.Pending() })
			want := items[i].Quantity
			if q := sandboxQty(t, e.sb, listing, r.SKU); q != want || got.Quantity != want || got.PushStatus != store.PushPushed {
				t.Errorf("%s: Etsy %d, Stockroom %d (%s %q); want %d pushed once", r.SKU, q, got.Quantity, got.PushStatus, got.PushError, want)
			}
		}
		e.settled() // a late second write would have been made by now
		for _, r := range []store.InventoryRow{rows[2], rows[4]} {
			want := r.Quantity + 5
			if r.OfferingID == rows[4].OfferingID {
				want = r.Quantity + 9
			}
			if q := sandboxQty(t, e.sb, listing, r.SKU); q != want {
				t.Errorf("%s: Etsy holds %d after the jobs ended, want %d", r.SKU, q, want)
			}
		}
	})
}

// TestVariationGoneFailsOnlyItself: of two edits of a listing, one names a
// variation no longer on Etsy; the other is still written.
func TestVariationGoneFailsOnlyItself(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		e, listing, rows := sevenSizesSynced(t, b)
		// On Etsy.com the seller drops the last size.
		shop := e.client.Shop(syncer.Key(e.storeID), e.tokens[e.storeID])
		inv, err := shop.GetListingInventory(e.ctx, listing)
		if err != nil {
			t.Fatal(err)
		}
		gone := rows[6]
		inv.Products = slices.DeleteFunc(inv.Products, func(p etsy.Product) bool { return p.SKU == gone.SKU })
		req, err := etsy.BuildInventoryUpdate(inv, etsy.ProductMatch{SKU: rows[0].SKU}, rows[0].Quantity)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := shop.UpdateListingInventory(e.ctx, listing, req); err != nil {
			t.Fatal(err)
		}
		e.start()
		e.edit(gone.OfferingID, 50)
		e.edit(rows[1].OfferingID, 60)
		got := e.waitRow(gone.OfferingID, func(x store.InventoryRow) bool { return !x.Pending() })
		if got.PushStatus != store.PushFailed {
			t.Errorf("the gone variation is %s, want failed", got.PushStatus)
		}
		got = e.waitRow(rows[1].OfferingID, func(x store.InventoryRow) bool { return !x.Pending() })
		if q := sandboxQty(t, e.sb, listing, rows[1].SKU); q != 60 || got.PushStatus != store.PushPushed {
			t.Errorf("the other variation: Etsy %d, %s; want 60 pushed", q, got.PushStatus)
		}
	})
}

// Pushes to several listings of one shop run at once; each run's "Etsy
// calls" in the sync log are its own (one read, one write), not whatever
// the shop's other work spent meanwhile.
func TestConcurrentPushesCountTheirOwnCalls(t *testing.T) {
	eachSyncedEnv(t, sandbox.GenOptions{Seed: 5, Listings: 40, Receipts: 5}, func(t *testing.T, e *env) {
		// One row from each of several listings.
		seen := map[int64]bool{}
		var items []store.StockEditItem
		for _, r := range e.rows() {
			if seen[r.EtsyListingID] || r.Gone || r.ListingState != "active" || r.Quantity < 2 {
				continue
			}
			seen[r.EtsyListingID] = true
			items = append(items, store.StockEditItem{OfferingID: r.OfferingID, Version: r.Version, Quantity: r.Quantity - 1})
			if len(items) == 6 {
				break
			}
		}
		if len(items) < 3 {
			t.Fatalf("only %d listings to edit", len(items))
		}
		e.start()
		e.sb.ResetCalls()
		e.editAll(store.SourceTUI, items)
		for _, it := range items {
			e.waitRow(it.OfferingID, func(x store.InventoryRow) bool { return !x.Pending() })
		}
		e.settled() // every run has recorded its calls
		runs, err := e.db.SyncRunList(e.ctx, &store.SyncRunListParams{AccountID: e.account, StoreID: e.storeID})
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for _, r := range runs {
			if r.Kind != store.SyncPush {
				continue
			}
			total += r.APICalls
			if r.APICalls != 2 {
				t.Errorf("push run %d records %d calls, want its own 2", r.ID, r.APICalls)
			}
		}
		if total != e.calls() {
			t.Errorf("push runs record %d calls in all, Etsy saw %d", total, e.calls())
		}
	})
}

// TestLostAnswerThenSaleIsNotAppliedTwice: the write lands, its answer is
// lost, and a buyer takes one before the retry reads the listing. Etsy no
// longer holds the target, but the offering's new id shows the write
// landed: the retry records it, and does not add the seller's change again.
func TestLostAnswerThenSaleIsNotAppliedTwice(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		e, listing, rows := sevenSizesSynced(t, b)
		var row store.InventoryRow
		for _, r := range rows {
			if r.Quantity >= 2 {
				row = r
				break
			}
		}
		if row.OfferingID == 0 {
			t.Fatal("no row with stock on the listing")
		}
		if err := e.sb.InjectFault("updateListingInventory", sandbox.Fault{Kind: sandbox.Fault500, Count: 1, Applied: true}); err != nil {
			t.Fatal(err)
		}
		invPath := fmt.Sprintf("/v3/application/listings/%d/inventory", listing)
		var put, sold atomic.Bool
		tap := func(r *http.Request) {
			switch {
			case r.URL.Path == invPath && r.Method == http.MethodPut:
				put.Store(true)
			case r.URL.Path == invPath && r.Method == http.MethodGet && put.Load() && sold.CompareAndSwap(false, true):
				if _, err := e.sb.SimulateSale(e.shopID, listing, row.SKU, 1); err != nil {
					t.Errorf("sale: %v", err)
				}
			}
		}
		e.tap.Store(&tap)
		e.start()
		want := row.Quantity + 5 - 1
		e.editAll(store.SourceTUI, []store.StockEditItem{{OfferingID: row.OfferingID, Quantity: row.Quantity + 5}})
		got := e.waitRow(row.OfferingID, func(x store.InventoryRow) bool { return !x.Pending() })
		e.settled() // a late second write would have been made by now
		if !sold.Load() {
			t.Fatal("the retry never read the listing after the lost write")
		}
		if q := sandboxQty(t, e.sb, listing, row.SKU); q != want || got.Quantity != want || got.PushStatus != store.PushPushed {
			t.Errorf("Etsy %d, Stockroom %d (%s %q); want %d: the +5 once, the sale kept", q, got.Quantity, got.PushStatus, got.PushError, want)
		}
	})
}
