// Stock stays exactly right under lost answers, sales inside a push and
// edits made on Etsy.com: Etsy ends at what the seller set minus what sold.
package syncer_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stockroom/stockroom/etsy/sandbox"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/sync/syncer"
)

// onFirstWrite runs f once, on the first inventory write of the listing,
// before the sandbox handles it.
func (e *env) onFirstWrite(listingID int64, f func()) {
	e.onWrites(listingID, func(n int) {
		if n == 1 {
			f()
		}
	})
}

// onWrites runs f on every inventory write of the listing, before the
// sandbox handles it, with its count (1 for the first); it returns the
// count.
func (e *env) onWrites(listingID int64, f func(n int)) *atomic.Int64 {
	var n atomic.Int64
	e.onRequest(func(r *http.Request) {
		if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/listings/"+itoa(listingID)+"/inventory") {
			f(int(n.Add(1)))
		}
	})
	return &n
}

// onSyncedListing runs fn on every backend, on a generated shop of 20
// listings (from seed) synced in full, with a listing of several
// variations, each holding at least minQty, and its first variation's row.
func onSyncedListing(t *testing.T, seed int64, minQty int, fn func(t *testing.T, e *env, l sandbox.Listing, r store.InventoryRow)) {
	eachSyncedEnv(t, sandbox.GenOptions{Seed: seed, Listings: 20, Receipts: 3}, func(t *testing.T, e *env) {
		l, r := e.variedListing(minQty)
		fn(t, e, l, r)
	})
}

// editKind is a seller's edit of the given kind, with its push job.
func (e *env) editKind(offeringID int64, kind store.EditKind, qty int) {
	e.t.Helper()
	e.editAll(store.SourceCommand, []store.StockEditItem{{OfferingID: offeringID, Kind: kind, Quantity: qty}})
}

// pushesSettle starts the workers and waits for every push to end: Etsy
// must then hold want of the row's SKU (after says what led there) and the
// row have nothing pending.
func (e *env) pushesSettle(l sandbox.Listing, r store.InventoryRow, want int, after string) {
	e.t.Helper()
	e.start()
	e.waitPushesDone()
	if q, got := sandboxQty(e.t, e.sb, l.ListingID, r.SKU), e.row(r.OfferingID); q != want || got.Pending() {
		e.t.Fatalf("Etsy %d, Stockroom %d (%s); want %d: %s (%s)", q, got.Quantity, got.PushStatus, want, after, e.lastEvent(r.OfferingID).Note)
	}
}

// setThenSell sets the row to n, sells one and pushes: Etsy must hold
// n-1. The sales before the set are in the count it was typed on, and
// must not be taken off again.
func (e *env) setThenSell(l sandbox.Listing, r store.InventoryRow, n int) {
	e.t.Helper()
	e.edit(r.OfferingID, n)
	e.sell(l, r)
	e.push(r.OfferingID)
	if q := sandboxQty(e.t, e.sb, l.ListingID, r.SKU); q != n-1 {
		e.t.Fatalf("Etsy %d after set %d and 1 sold, want %d (%s)", q, n, n-1, e.lastEvent(r.OfferingID).Note)
	}
}

// saleSyncedInFirstWrite sells one of sku inside the listing's first
// inventory write, between the push's read and its write, and has an
// incremental sync (a sync tick, a webhook) learn its receipt before the
// push records its outcome.
func (e *env) saleSyncedInFirstWrite(l sandbox.Listing, sku string) {
	e.onFirstWrite(l.ListingID, func() {
		if _, err := e.sb.SimulateSale(e.shopID, l.ListingID, sku, 1); err != nil {
			e.t.Error(err)
		}
		if _, err := e.eng.Sync(e.ctx, e.storeID, store.SyncIncremental, store.TriggerManual); err != nil {
			e.t.Error(err)
		}
	})
}

// pushThenLearnSales pushes the row's edit and checks Etsy then holds want
// (after says what led there), then has an incremental sync learn the
// sales' receipts: the push already counted them, so nothing is corrected
// again and Etsy still holds want.
func (e *env) pushThenLearnSales(l sandbox.Listing, r store.InventoryRow, want int, after string) {
	e.t.Helper()
	e.push(r.OfferingID)
	if q := sandboxQty(e.t, e.sb, l.ListingID, r.SKU); q != want {
		e.t.Fatalf("Etsy %d after %s, want %d", q, after, want)
	}
	e.sync(store.SyncIncremental)
	if x, q := e.row(r.OfferingID), sandboxQty(e.t, e.sb, l.ListingID, r.SKU); x.Pending() || q != want {
		e.t.Fatalf("after %s, learning the sales corrected them again: Etsy %d, want %d; row %+v", after, q, want, x)
	}
}

func (e *env) lastEvent(offeringID int64) store.StockEvent {
	e.t.Helper()
	ev, err := e.db.StockEventList(e.ctx, &store.StockEventListParams{AccountID: e.account, StoreID: e.storeID, OfferingID: offeringID, Limit: 1})
	if err != nil || len(ev) == 0 {
		e.t.Fatalf("no audit line for offering %d: %v", offeringID, err)
	}
	return ev[0]
}

// The write of "set 100" lands and its answer is lost; the seller sets 50
// before the retry. The retry must not apply the first change again
// (27 -> 100 -> 123).
func TestLostAnswerThenNewEditAppliesOnce(t *testing.T) {
	onSyncedListing(t, 40, 1, func(t *testing.T, e *env, l sandbox.Listing, r store.InventoryRow) {
		if err := e.sb.InjectFault("updateListingInventory", sandbox.Fault{Kind: sandbox.FaultTimeout, Count: 1, Applied: true, Delay: 3 * time.Second}); err != nil {
			t.Fatal(err)
		}
		e.onFirstWrite(l.ListingID, func() { e.edit(r.OfferingID, 50) })
		e.start()
		e.edit(r.OfferingID, 100)
		got := e.waitRow(r.OfferingID, func(x store.InventoryRow) bool { return !x.Pending() && x.DesiredVersion == 2 })
		if q := sandboxQty(t, e.sb, l.ListingID, r.SKU); q != 50 || got.Quantity != 50 {
			t.Fatalf("Etsy %d, Stockroom %d after set 100 (answer lost) then set 50 from %d; want 50", q, got.Quantity, r.Quantity)
		}
	})
}

// Relative edits: each delta is applied once, even when the edit whose
// write landed unanswered was superseded, and sales made before the push
// are kept: 10, sold 2 (8), +5 written unanswered (13), +3 -> 16.
func TestLostAnswerThenNewAddAppliesEachDeltaOnce(t *testing.T) {
	onSyncedListing(t, 41, 3, func(t *testing.T, e *env, l sandbox.Listing, r store.InventoryRow) {
		base := r.Quantity
		if _, err := e.sb.SimulateSale(e.shopID, l.ListingID, r.SKU, 2); err != nil {
			t.Fatal(err)
		}
		if err := e.sb.InjectFault("updateListingInventory", sandbox.Fault{Kind: sandbox.FaultTimeout, Count: 1, Applied: true, Delay: 3 * time.Second}); err != nil {
			t.Fatal(err)
		}
		e.onFirstWrite(l.ListingID, func() { e.editKind(r.OfferingID, store.EditAdd, base+5+3) })
		e.start()
		e.editKind(r.OfferingID, store.EditAdd, base+5)
		got := e.waitRow(r.OfferingID, func(x store.InventoryRow) bool { return !x.Pending() && x.DesiredVersion == 2 })
		if want, q := base-2+5+3, sandboxQty(t, e.sb, l.ListingID, r.SKU); q != want || got.Quantity != want {
			t.Fatalf("Etsy %d, Stockroom %d; want %d (%d, sold 2, +5, +3)", q, got.Quantity, want, base)
		}
	})
}

// Read 11, a sale (Etsy 10), write 13: Etsy holds 13 and the sale is
// undone. When its receipt is learned the sale is taken off again, once,
// and the audit trail says so.
func TestSaleBetweenPushReadAndWriteIsCorrected(t *testing.T) {
	onSyncedListing(t, 42, 2, func(t *testing.T, e *env, l sandbox.Listing, r store.InventoryRow) {
		var receipt int64
		e.onFirstWrite(l.ListingID, func() {
			var err error
			if receipt, err = e.sb.SimulateSale(e.shopID, l.ListingID, r.SKU, 1); err != nil {
				t.Error(err)
			}
		})
		e.edit(r.OfferingID, r.Quantity+2)
		e.push(r.OfferingID)
		if q := sandboxQty(t, e.sb, l.ListingID, r.SKU); q != r.Quantity+2 {
			t.Fatalf("the write left Etsy at %d, want %d (the sale overwritten)", q, r.Quantity+2)
		}
		e.sync(store.SyncIncremental) // learns the receipt
		e.start()
		want := r.Quantity + 1
		got := e.waitRow(r.OfferingID, func(x store.InventoryRow) bool { return !x.Pending() && x.Quantity == want })
		if q := sandboxQty(t, e.sb, l.ListingID, r.SKU); q != want {
			t.Fatalf("Etsy %d, Stockroom %d after the correction; want %d", q, got.Quantity, want)
		}
		found := false
		evs, _ := e.db.StockEventList(e.ctx, &store.StockEventListParams{AccountID: e.account, StoreID: e.storeID, OfferingID: r.OfferingID})
		for _, ev := range evs {
			if strings.Contains(ev.Note, "receipt "+itoa(receipt)) && strings.Contains(ev.Note, "taken off") {
				found = true
			}
		}
		if !found {
			t.Errorf("no audit line names the corrected sale (receipt %d): %+v", receipt, evs)
		}
		// Learning the receipt again corrects nothing again.
		e.sync(store.SyncFull)
		e.sync(store.SyncIncremental)
		if x := e.row(r.OfferingID); x.Pending() {
			t.Fatalf("the same sale was corrected twice: %+v", x)
		}
		if q := sandboxQty(t, e.sb, l.ListingID, r.SKU); q != want {
			t.Fatalf("Etsy %d after re-reading the receipt, want %d", q, want)
		}
	})
}

// A set is the seller's count: sales since the edit's base are kept (and
// named), an edit made on Etsy.com gives way to the seller's number, and
// finding out costs one extra call only because the count moved.
func TestSetKeepsSalesNotEtsyEdits(t *testing.T) {
	onSyncedListing(t, 43, 3, func(t *testing.T, e *env, l sandbox.Listing, r store.InventoryRow) {
		e.edit(r.OfferingID, 50)
		receipt, err := e.sb.SimulateSale(e.shopID, l.ListingID, r.SKU, 2)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.sb.EditListing(e.shopID, l.ListingID, sandbox.ListingEdit{Quantities: map[string]int{r.SKU: r.Quantity - 2 + 5}}); err != nil {
			t.Fatal(err)
		}
		e.sb.ResetCalls()
		e.push(r.OfferingID)
		if q := sandboxQty(t, e.sb, l.ListingID, r.SKU); q != 48 {
			t.Fatalf("Etsy %d; want 48 (set 50, 2 sold, the Etsy.com +5 overridden)", q)
		}
		if n := e.sb.Calls()["getShopReceipts"]; n != 1 || e.calls() != 3 {
			t.Errorf("%d calls (%v), want 3: read, receipts, write", e.calls(), e.sb.Calls())
		}
		note := e.lastEvent(r.OfferingID).Note
		for _, want := range []string{"set to 48, not 50", "2 sold since your edit (receipt " + itoa(receipt) + ")", "sales kept", "no sale explains"} {
			if !strings.Contains(note, want) {
				t.Errorf("note %q does not say %q", note, want)
			}
		}
	})
}

// A set's push reads Etsy's count, then the receipts: a sale between the
// two is in the target but not in the count read. When the target then
// equals that count, Etsy holds less than it: the target must still be
// written. Set to the count +2, 1 sold before the push and 2 between its
// reads: target = the count read, Etsy 2 below it. Found by
// TestStockRightUnderInterleavings (seed 11: an add never reached Etsy).
func TestSetWhoseTargetEqualsTheCountReadBeforeLaterSalesIsWritten(t *testing.T) {
	onSyncedListing(t, 43, 5, func(t *testing.T, e *env, l sandbox.Listing, r store.InventoryRow) {
		want := r.Quantity + 2 - 3
		e.edit(r.OfferingID, r.Quantity+2)
		e.sell(l, r)
		var once sync.Once
		e.onRequest(func(req *http.Request) {
			if req.Method == http.MethodGet && strings.HasSuffix(req.URL.Path, "/receipts") {
				once.Do(func() { e.sell(l, r); e.sell(l, r) })
			}
		})
		e.push(r.OfferingID)
		if q := sandboxQty(t, e.sb, l.ListingID, r.SKU); q != want {
			t.Fatalf("Etsy %d; want %d (set %d, 3 sold: %s)", q, want, r.Quantity+2, e.lastEvent(r.OfferingID).Note)
		}
		e.pushesSettle(l, r, want, "set, 1 sold, 2 sold between the push's reads")
	})
}

// An edit on Etsy.com alone: no sale to keep, so the note must not claim
// any.
func TestSetOverEtsyEditSaysNoSalesKept(t *testing.T) {
	onSyncedListing(t, 44, 1, func(t *testing.T, e *env, l sandbox.Listing, r store.InventoryRow) {
		e.edit(r.OfferingID, 40)
		if err := e.sb.EditListing(e.shopID, l.ListingID, sandbox.ListingEdit{Quantities: map[string]int{r.SKU: r.Quantity + 7}}); err != nil {
			t.Fatal(err)
		}
		e.push(r.OfferingID)
		if q := sandboxQty(t, e.sb, l.ListingID, r.SKU); q != 40 {
			t.Fatalf("Etsy %d, want 40", q)
		}
		if note := e.lastEvent(r.OfferingID).Note; strings.Contains(note, "sales kept") || !strings.Contains(note, "+7") {
			t.Errorf("note %q: want the +7 named as unexplained and no sales claimed", note)
		}
	})
}

// add stays relative to Etsy's current count, whatever moved it.
func TestAddStaysRelativeToEtsysCount(t *testing.T) {
	onSyncedListing(t, 45, 1, func(t *testing.T, e *env, l sandbox.Listing, r store.InventoryRow) {
		e.editKind(r.OfferingID, store.EditAdd, r.Quantity+5)
		if err := e.sb.EditListing(e.shopID, l.ListingID, sandbox.ListingEdit{Quantities: map[string]int{r.SKU: r.Quantity + 3}}); err != nil {
			t.Fatal(err)
		}
		e.sb.ResetCalls()
		e.push(r.OfferingID)
		if q := sandboxQty(t, e.sb, l.ListingID, r.SKU); q != r.Quantity+8 {
			t.Fatalf("Etsy %d, want %d (+3 on Etsy.com, +5 added)", q, r.Quantity+8)
		}
		if e.calls() != 2 {
			t.Errorf("an add made %d calls (%v), want 2", e.calls(), e.sb.Calls())
		}
	})
}

// flakyAlerts fails its first check of pushed rows.
type flakyAlerts struct {
	mu    sync.Mutex
	calls int
}

func (a *flakyAlerts) EvaluateTx(context.Context, store.Tx, int64, []int64) (store.AlertEvaluateResult, error) {
	return store.AlertEvaluateResult{}, nil
}
func (a *flakyAlerts) Announce(int64, store.AlertEvaluateResult) {}
func (a *flakyAlerts) Evaluate(context.Context, int64, []int64) (store.AlertEvaluateResult, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls++
	if a.calls == 1 {
		return store.AlertEvaluateResult{}, errors.New("database is locked")
	}
	return store.AlertEvaluateResult{}, nil
}

// The low-stock check after a push that kept sales fails once: the push is
// recorded, so it must stay a success, and the check must still happen
// (a retried push would find nothing pending and never check).
func TestAlertCheckFailureDoesNotFailThePush(t *testing.T) {
	eachSyncedEnv(t, sandbox.GenOptions{Seed: 46, Listings: 20, Receipts: 3}, func(t *testing.T, e *env) {
		alerts := &flakyAlerts{}
		eng, err := syncer.New(syncer.Config{Store: e.db, Etsy: e.client, Tokens: e.tokens, Queue: e.q, Hub: e.hub, Alerts: alerts})
		if err != nil {
			t.Fatal(err)
		}
		l, r := e.variedListing(3)
		e.edit(r.OfferingID, r.Quantity+4)
		if _, err := e.sb.SimulateSale(e.shopID, l.ListingID, r.SKU, 2); err != nil {
			t.Fatal(err)
		}
		if err := eng.Push(e.ctx, r.OfferingID); err != nil {
			t.Fatalf("push failed because of the alert check: %v", err)
		}
		runs, _ := e.db.SyncRunList(e.ctx, &store.SyncRunListParams{AccountID: e.account, StoreID: e.storeID})
		if len(runs) == 0 || runs[0].Kind != store.SyncPush || runs[0].Result != store.ResultOK {
			t.Fatalf("latest run %+v, want an ok push", runs[0])
		}
		alerts.mu.Lock()
		defer alerts.mu.Unlock()
		if alerts.calls < 2 {
			t.Fatalf("the alert check ran %d times; a failed check must be retried", alerts.calls)
		}
	})
}

// A sale made after a set's read but before its receipts call is both
// in the target (taken off with the sales since the base) and inside the
// write's window: it must be taken off once, not corrected again.
func TestSaleCountedBySetIsNotCorrectedAgain(t *testing.T) {
	onSyncedListing(t, 49, 3, func(t *testing.T, e *env, l sandbox.Listing, r store.InventoryRow) {
		e.edit(r.OfferingID, 30)
		if _, err := e.sb.SimulateSale(e.shopID, l.ListingID, r.SKU, 1); err != nil {
			t.Fatal(err)
		}
		var once sync.Once
		e.onRequest(func(req *http.Request) {
			if req.Method == http.MethodGet && strings.HasSuffix(req.URL.Path, "/receipts") {
				once.Do(func() {
					if _, err := e.sb.SimulateSale(e.shopID, l.ListingID, r.SKU, 1); err != nil {
						t.Error(err)
					}
				})
			}
		})
		e.pushThenLearnSales(l, r, 28, "set 30 with 2 sold")
	})
}

// A sale made just before a push's read, in the same second, is in the
// count the push read: the write did not overwrite it, and it must not be
// taken off again. Etsy's seconds cannot tell; the product id the sale
// names (issued by Stockroom's previous write) and that write's count can.
func TestSaleJustBeforeReadIsNotTakenOffAgain(t *testing.T) {
	onSyncedListing(t, 50, 1, func(t *testing.T, e *env, l sandbox.Listing, r store.InventoryRow) {
		e.edit(r.OfferingID, 20)
		e.push(r.OfferingID)
		if _, err := e.sb.SimulateSale(e.shopID, l.ListingID, r.SKU, 1); err != nil {
			t.Fatal(err)
		}
		e.editKind(r.OfferingID, store.EditAdd, e.row(r.OfferingID).Shown()+5)
		e.pushThenLearnSales(l, r, 24, "20, a sale, +5")
	})
}

// A sale a push overwrote, then a set the seller typed after it: the set is
// the seller's count, which already leaves the sale out, so learning the
// receipt later takes nothing off again.
func TestSetTypedAfterOverwrittenSaleIsNotCorrectedAgain(t *testing.T) {
	onSyncedListing(t, 42, 2, func(t *testing.T, e *env, l sandbox.Listing, r store.InventoryRow) {
		e.onFirstWrite(l.ListingID, func() {
			if _, err := e.sb.SimulateSale(e.shopID, l.ListingID, r.SKU, 1); err != nil {
				t.Error(err)
			}
		})
		e.edit(r.OfferingID, r.Quantity+2)
		e.push(r.OfferingID)
		const want = 50
		e.edit(r.OfferingID, want)
		e.push(r.OfferingID)
		e.sync(store.SyncIncremental) // learns the receipt
		e.start()
		e.sync(store.SyncIncremental)
		got := e.waitRow(r.OfferingID, func(x store.InventoryRow) bool { return !x.Pending() })
		if q := sandboxQty(t, e.sb, l.ListingID, r.SKU); q != want {
			t.Fatalf("Etsy %d (Stockroom %d), want the seller's %d: a sale made before the set was taken off again", q, got.Quantity, want)
		}
	})
}

// A sale between a push's read and its write whose receipt is synced
// before the push records its outcome (a sync tick, a webhook) is still
// taken off again: the receipt found no window to check, so the window
// checks the receipts already synced.
func TestSaleSyncedBeforeItsPushIsRecordedIsCorrected(t *testing.T) {
	onSyncedListing(t, 42, 2, func(t *testing.T, e *env, l sandbox.Listing, r store.InventoryRow) {
		e.saleSyncedInFirstWrite(l, r.SKU)
		e.edit(r.OfferingID, r.Quantity+2)
		e.push(r.OfferingID)
		e.start()
		want := r.Quantity + 1
		got := e.waitRow(r.OfferingID, func(x store.InventoryRow) bool { return !x.Pending() && x.Quantity == want })
		if q := sandboxQty(t, e.sb, l.ListingID, r.SKU); q != want {
			t.Fatalf("Etsy %d, Stockroom %d; want %d: the overwritten sale was undone", q, got.Quantity, want)
		}
	})
}

// The same for a sale of another variation of the listing, pushed by the
// queue: the correction the window makes has no job of its own, so the
// job that recorded the window queues one as it ends.
//
// The sync inside the write already shows the sale in Stockroom (it read
// the listing before the write landed), so the row alone cannot tell when
// the correction is done: the test waits until no push job is left.
func TestSaleOfAnotherVariationSyncedBeforeThePushIsRecordedIsCorrected(t *testing.T) {
	onSyncedListing(t, 42, 2, func(t *testing.T, e *env, l sandbox.Listing, r store.InventoryRow) {
		var other store.InventoryRow
		for _, x := range e.rows() {
			if x.EtsyListingID == l.ListingID && x.OfferingID != r.OfferingID && x.SKU != "" && x.Quantity >= 2 {
				other = x
			}
		}
		if other.OfferingID == 0 {
			t.Fatal("the listing needs a second variation in stock")
		}
		e.saleSyncedInFirstWrite(l, other.SKU)
		e.edit(r.OfferingID, r.Quantity+2)
		e.start()
		e.waitPushesDone()
		want := other.Quantity - 1
		got := e.row(other.OfferingID)
		if q := sandboxQty(t, e.sb, l.ListingID, other.SKU); q != want || got.Quantity != want || got.Pending() {
			t.Fatalf("Etsy %d of %s, Stockroom %d (%s); want %d: the overwritten sale was undone\n%s\n%s", q, other.SKU, got.Quantity, got.PushStatus, want, salesDump(e, other), auditDump(e, other.OfferingID))
		}
	})
}

// A set, a sale, and an add typed while the set's push is writing: the set
// is written less the sale, and the add that waited on it must keep that
// sale off too: set 40, sold 1, +3 -> 42, not 43. Found by the chaos soak.
func TestAddDuringASetsPushKeepsTheSaleTheSetKept(t *testing.T) {
	onSyncedListing(t, 43, 3, func(t *testing.T, e *env, l sandbox.Listing, r store.InventoryRow) {
		e.edit(r.OfferingID, 40)
		if _, err := e.sb.SimulateSale(e.shopID, l.ListingID, r.SKU, 1); err != nil {
			t.Fatal(err)
		}
		e.onFirstWrite(l.ListingID, func() { e.editKind(r.OfferingID, store.EditAdd, 43) })
		e.push(r.OfferingID)
		if q := sandboxQty(t, e.sb, l.ListingID, r.SKU); q != 42 {
			t.Fatalf("Etsy %d after set 40, a sale, +3; want 42", q)
		}
		if got := e.row(r.OfferingID); got.Pending() || got.Quantity != 42 {
			t.Fatalf("Stockroom %d (%s), want 42 and nothing pending", got.Quantity, got.PushStatus)
		}
	})
}

// inOneSecond is a synced shop whose Etsy and a second engine share a
// clock that, from the sync on, stays inside one second (a millisecond a
// reading), where Etsy's whole seconds tell nothing apart; with a listing
// of several variations and its first variation's row.
func inOneSecond(t *testing.T, b backend) (*env, sandbox.Listing, store.InventoryRow) {
	e, l, r, _ := inOneSecondClock(t, b)
	return e, l, r
}

// inOneSecondClock is inOneSecond that also gives the shared clock.
// The engine the test drives by hand (e.eng: e.push, e.sync) runs on that
// clock; the queue's workers keep the one registered on it.
func inOneSecondClock(t *testing.T, b backend) (*env, sandbox.Listing, store.InventoryRow, func() time.Time) {
	var tick atomic.Int64
	var start atomic.Pointer[time.Time]
	clock := func() time.Time {
		if s := start.Load(); s != nil {
			return s.Add(time.Duration(tick.Add(1)) * time.Millisecond)
		}
		return time.Now() // real time until the shop is synced
	}
	e := newEnv(t, b, sandbox.GenOptions{Seed: 49, Listings: 20, Receipts: 3}, sandbox.Config{Now: clock})
	e.sync(store.SyncFull)
	next := time.Now().Truncate(time.Second).Add(time.Second)
	start.Store(&next)
	var err error
	e.eng, err = syncer.New(syncer.Config{Store: e.db, Etsy: e.client, Tokens: e.tokens, Queue: e.q, Hub: e.hub, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	l, r := e.variedListing(4)
	return e, l, r, clock
}

// A set typed while another variation's write is in flight, then a sale
// of the set's variation that the write overwrites, all inside one of
// Etsy's seconds: the set was typed before the write ended, so nothing
// shows the sale came first, and the seller's count (typed on a base that
// predates the sale) must not keep it. Set 71, then 1 sold: 70, not 71.
// Found by the long chaos soak on SQLite (SKU-46-S: set 118, Etsy 113
// where 112 was due).
func TestSaleInsideAnotherWriteAfterASetTypedInItIsTakenOff(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		e, l, r, clock := inOneSecondClock(t, b)
		other := e.sibling(l, r)
		e.onFirstWrite(l.ListingID, func() {
			if err := editAllAt(e.ctx, e.db, e.q, e.account, e.storeID, store.SourceCommand,
				[]store.StockEditItem{{OfferingID: r.OfferingID, Kind: store.EditSet, Quantity: 71}}, clock()); err != nil {
				t.Error(err)
			}
			e.sell(l, r)
		})
		e.edit(other.OfferingID, other.Quantity+3)
		e.push(other.OfferingID)
		if q := sandboxQty(t, e.sb, l.ListingID, r.SKU); q != r.Quantity {
			t.Fatalf("Etsy %d, want %d: the test needs the sale overwritten", q, r.Quantity)
		}
		e.sync(store.SyncIncremental)
		e.push(r.OfferingID)
		e.pushesSettle(l, r, 70, "set 71, then 1 sold")
	})
}

// A sale another variation's write overwrote, then the seller sets the
// count Etsy and Stockroom both show: the set is the seller's count, as
// any other set, and leaves that sale out, so its receipt learned later
// takes nothing off. Found by the chaos soak on SQLite (SKU-35-M: set 58
// on 58, then 1 sold, Etsy 56 for 57).
func TestSetToTheCountShownAfterAnOverwrittenSaleKeepsItOut(t *testing.T) {
	onSyncedListing(t, 42, 2, func(t *testing.T, e *env, l sandbox.Listing, r store.InventoryRow) {
		e.saleOverwrittenBySibling(t, l, r)
		e.edit(r.OfferingID, r.Quantity)
		e.sync(store.SyncIncremental) // learns the overwritten sale
		e.pushesSettle(l, r, r.Quantity, fmt.Sprintf("set %d on the count shown, after the sale", r.Quantity))
	})
}

// sibling is another variation of the row's listing.
func (e *env) sibling(l sandbox.Listing, r store.InventoryRow) store.InventoryRow {
	e.t.Helper()
	for _, x := range e.rows() {
		if x.EtsyListingID == l.ListingID && x.OfferingID != r.OfferingID && x.SKU != "" {
			return x
		}
	}
	e.t.Fatalf("listing %d has no other variation", l.ListingID)
	return store.InventoryRow{}
}

// saleOverwrittenBySibling sells one of the row's product inside the write
// of an edit of another variation of its listing, which overwrites it.
func (e *env) saleOverwrittenBySibling(t *testing.T, l sandbox.Listing, r store.InventoryRow) {
	t.Helper()
	other := e.sibling(l, r)
	e.onFirstWrite(l.ListingID, func() { e.sell(l, r) })
	e.edit(other.OfferingID, other.Quantity+3)
	e.push(other.OfferingID)
	if q := sandboxQty(t, e.sb, l.ListingID, r.SKU); q != r.Quantity {
		t.Fatalf("Etsy %d, want %d: the test needs the sale overwritten", q, r.Quantity)
	}
}

// sell sells one of the row's product on Etsy.
func (e *env) sell(l sandbox.Listing, r store.InventoryRow) {
	if _, err := e.sb.SimulateSale(e.shopID, l.ListingID, r.SKU, 1); err != nil {
		e.t.Error(err)
	}
}

// Sales a set's write kept are in the count it left: a set made on that
// count must not take them off again, though Etsy's whole seconds put
// them in the same second as the base. Etsy and Stockroom share a clock
// here that stays inside one second. Set 30 with 2 sold (28), set 50, 1
// sold: 49, not 47. Found by the chaos soak.
func TestSetOnACountASetLeftKeepsItsSalesOnce(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		e, l, r := inOneSecond(t, b)
		sell := func() { e.sell(l, r) }
		e.edit(r.OfferingID, 30)
		sell()
		var once sync.Once
		e.onRequest(func(req *http.Request) {
			if req.Method == http.MethodGet && strings.HasSuffix(req.URL.Path, "/receipts") {
				once.Do(sell) // after the read: counted by the set, inside its window
			}
		})
		e.push(r.OfferingID)
		if q := sandboxQty(t, e.sb, l.ListingID, r.SKU); q != 28 {
			t.Fatalf("Etsy %d after set 30 with 2 sold, want 28", q)
		}
		e.setThenSell(l, r, 50)
	})
}

// A sale just before a sync read Etsy's count, in the same second: the
// count has it, and a set made on that count must not take it off again.
// The sync had its receipt before it read the count, which Etsy's whole
// seconds cannot tell. Etsy and Stockroom share a clock inside one second.
// 1 sold, synced, set 50, 1 sold: 49, not 48. Found by the chaos soak.
func TestSetOnASyncedCountKeepsTheSaleBeforeItOnce(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		e, l, r := inOneSecond(t, b)
		sell := func() { e.sell(l, r) }
		sell()
		e.sync(store.SyncIncremental)
		if got := e.row(r.OfferingID); got.Quantity != r.Quantity-1 {
			t.Fatalf("the sync shows %d, want %d", got.Quantity, r.Quantity-1)
		}
		e.setThenSell(l, r, 50)
	})
}

// A sale the write of the seller's own edit overwrote, then a set typed on
// the count that write left, before the sale's receipt is learned: the
// count the set was made on is the write's, which the sale is not in, so
// the set's push must not take it off, though Etsy's whole seconds put it
// in the base's own second. The sale names the product id the write
// replaced: it came before the write landed. Etsy and Stockroom share a
// clock inside one second. Set 12 (1 sold inside its write: 12), set 50,
// 1 sold: 49, not 48. Found by the chaos soak on PostgreSQL.
func TestSetOnACountThatOverwroteASaleKeepsOnlyLaterSales(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		e, l, r := inOneSecond(t, b)
		e.onFirstWrite(l.ListingID, func() { e.sell(l, r) })
		e.edit(r.OfferingID, 12)
		e.push(r.OfferingID)
		if q := sandboxQty(t, e.sb, l.ListingID, r.SKU); q != 12 {
			t.Fatalf("Etsy %d, want 12: the test needs the sale overwritten", q)
		}
		e.setThenSell(l, r, 50)
	})
}

// A sale inside an import's write whose receipt is written only once the
// listing's next push (an add merged into the import's set) has read Etsy:
// the receipt finds that set pending, but its push planned on the count
// without the sale, so the sale is taken off by a correction after it.
// Import 36, 1 sold inside its write, add -3: 32. Found by the chaos soak
// (SKU-34-M ended at 70, not 69).
func TestSaleLearnedWhileTheNextPushWritesIsCorrected(t *testing.T) {
	onSyncedListing(t, 42, 2, func(t *testing.T, e *env, l sandbox.Listing, r store.InventoryRow) {
		e.onWrites(l.ListingID, func(puts int) {
			switch puts {
			case 1: // the import's write: a sale, and an add typed meanwhile
				e.sell(l, r)
				e.editKind(r.OfferingID, store.EditAdd, 33)
			case 2: // the add's write, planned before the receipt was known
				if _, err := e.eng.Sync(e.ctx, e.storeID, store.SyncIncremental, store.TriggerManual); err != nil {
					t.Error(err)
				}
			}
		})
		e.editAll(store.SourceImport, []store.StockEditItem{{OfferingID: r.OfferingID, Quantity: 36}})
		e.push(r.OfferingID)
		e.push(r.OfferingID)
		e.pushesSettle(l, r, 32, "import 36, 1 sold inside its write, add -3")
	})
}

// A sale inside an import's write, an add typed meanwhile (it joins the
// import's set), the add's write landing with its answer lost, and the
// sale's receipt learned before the retry: the receipt finds the set still
// pending and raises its base, but the write it would have corrected had
// already landed. The retry, finding the write landed, must still take the
// sale off. Import 36, 1 sold inside its write, add +3: 38, not 39.
// Found by the chaos soak on SQLite (SKU-19-L: set 117, 1 sold inside its
// write, add +3, 1 sold; Etsy 119 for 118).
func TestSaleLearnedAfterALostAnswerLandedIsCorrected(t *testing.T) {
	onSyncedListing(t, 42, 2, func(t *testing.T, e *env, l sandbox.Listing, r store.InventoryRow) {
		puts := e.onWrites(l.ListingID, func(puts int) {
			switch puts {
			case 1: // the import's write: a sale, and an add typed meanwhile
				e.sell(l, r)
				e.editKind(r.OfferingID, store.EditAdd, 39)
			case 2: // the add's write lands, its answer is lost
				if err := e.sb.InjectFault("updateListingInventory", sandbox.Fault{Kind: sandbox.Fault500, Count: 1, Applied: true}); err != nil {
					t.Error(err)
				}
			}
		})
		e.editAll(store.SourceImport, []store.StockEditItem{{OfferingID: r.OfferingID, Quantity: 36}})
		if err := e.eng.Push(e.ctx, r.OfferingID); err == nil || puts.Load() != 2 {
			t.Fatalf("push: %v after %d writes; the test needs the add's answer lost", err, puts.Load())
		}
		if q := sandboxQty(t, e.sb, l.ListingID, r.SKU); q != 39 {
			t.Fatalf("Etsy %d, want 39: the test needs the sale overwritten and the add's write landed", q)
		}
		e.sync(store.SyncIncremental) // learns the overwritten sale
		e.push(r.OfferingID)
		e.pushesSettle(l, r, 38, "import 36, 1 sold inside its write, add +3 written with its answer lost")
	})
}

// A sale another variation's write overwrote, then a set typed before its
// receipt is learned: the set is the seller's count, which leaves that
// sale out, so neither its correction nor the set's push takes it off;
// a sale after the set is kept. Set 71, then 1 sold: 70. Found by the
// chaos soak twice: with the receipt learned before the set's push (set 71
// gave 68), and with the push first, reading the sale live from Etsy
// though the other variation's write left this row's count as it was, so
// the row's base time is older than that write (70, not 69, on PostgreSQL:
// SKU-96-S-W).
func TestSetTypedAfterAnOverwrittenSaleKeepsOnlyLaterSales(t *testing.T) {
	for _, learnFirst := range []bool{true, false} {
		name := map[bool]string{true: "receipt learned first", false: "push before the receipt"}[learnFirst]
		t.Run(name, func(t *testing.T) {
			onSyncedListing(t, 42, 2, func(t *testing.T, e *env, l sandbox.Listing, r store.InventoryRow) {
				e.saleOverwrittenBySibling(t, l, r)
				e.edit(r.OfferingID, 71)
				e.sell(l, r)
				if learnFirst {
					e.sync(store.SyncIncremental) // learns both sales
				}
				e.push(r.OfferingID)
				if !learnFirst {
					// The push alone, with no receipt learned, leaves the sale out.
					if q := sandboxQty(t, e.sb, l.ListingID, r.SKU); q != 70 {
						t.Fatalf("Etsy %d, want 70: set 71, then 1 sold (%s)", q, e.lastEvent(r.OfferingID).Note)
					}
				}
				e.pushesSettle(l, r, 70, "set 71, then 1 sold")
			})
		})
	}
}

// A push whose write Etsy refused (a 500, nothing applied) is retried.
// Meanwhile the seller changed another variation of the listing on
// Etsy.com, which, like every inventory write, gave every offering a new id.
// The retry must still write the edit: a new offering id proves only that
// some write landed, not that this one did. Found by the chaos soak (a SKU
// ended below its expected value by exactly one of its edits).
func TestRefusedWriteThenEtsyEditOfAnotherVariationStillWrites(t *testing.T) {
	eachSyncedEnv(t, sandbox.GenOptions{Seed: 8, Listings: 10, Receipts: 3}, func(t *testing.T, e *env) {
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
