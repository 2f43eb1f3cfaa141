// A write whose answer was lost is proved landed by whichever push of the
// listing comes next, not only by the job that sent it: the proof is kept
// per listing in the database.
package syncer_test

import (
	"testing"
	"time"

	"github.com/stockroom/stockroom/etsy/sandbox"
	"github.com/stockroom/stockroom/store"
)

// lostAnswer makes the listing's next inventory write land with its answer
// lost.
func (e *env) lostAnswer() {
	e.t.Helper()
	if err := e.sb.InjectFault("updateListingInventory", sandbox.Fault{Kind: sandbox.FaultTimeout, Count: 1, Applied: true, Delay: 3 * time.Second}); err != nil {
		e.t.Fatal(err)
	}
}

// The write of "+5" lands with its answer lost, and the push gives the
// listing's lease up before it can prove that (a push outside the queue
// always does; a job whose retry fails, is discarded or whose process is
// killed does too). The seller adds 3; the queue's job for the listing
// then pushes. It must apply +3 only: 10 -> 15 -> 18, never 23.
func TestLostAnswerThenLeaseGivenUpAppliesEachDeltaOnce(t *testing.T) {
	onSyncedListing(t, 41, 3, func(t *testing.T, e *env, l sandbox.Listing, r store.InventoryRow) {
		base := r.Quantity
		e.lostAnswer()
		e.editKind(r.OfferingID, store.EditAdd, base+5)
		if err := e.eng.Push(e.ctx, r.OfferingID); err == nil {
			t.Fatal("the push whose answer was lost reported success")
		}
		if q := sandboxQty(t, e.sb, l.ListingID, r.SKU); q != base+5 {
			t.Fatalf("the lost write left Etsy at %d, want %d", q, base+5)
		}
		e.editKind(r.OfferingID, store.EditAdd, base+5+3)
		e.start()
		got := e.waitRow(r.OfferingID, func(x store.InventoryRow) bool { return !x.Pending() })
		if want, q := base+5+3, sandboxQty(t, e.sb, l.ListingID, r.SKU); q != want || got.Quantity != want {
			t.Fatalf("Etsy %d, Stockroom %d; want %d (%d, +5 landed unanswered, +3)", q, got.Quantity, want, base)
		}
	})
}

// Lost answers in a row, each proved by a different push, with an edit
// between each: every delta is applied once, and a set's lost write is
// not taken for an add's.
func TestLostAnswersInARowAcrossPushesApplyEachEditOnce(t *testing.T) {
	onSyncedListing(t, 41, 3, func(t *testing.T, e *env, l sandbox.Listing, r store.InventoryRow) {
		base := r.Quantity
		steps := []struct {
			kind store.EditKind
			qty  int // the edit's desired quantity, from what Stockroom shows
			want int // Etsy once it is written
		}{
			{store.EditAdd, base + 5, base + 5},
			{store.EditAdd, base + 5 + 3, base + 8},
			{store.EditSet, 40, 40},
			{store.EditAdd, 40 - 2, 38},
		}
		for i, s := range steps {
			e.editKind(r.OfferingID, s.kind, s.qty)
			if i < len(steps)-1 {
				e.lostAnswer()
				if err := e.eng.Push(e.ctx, r.OfferingID); err == nil {
					t.Fatalf("step %d: the push whose answer was lost reported success", i)
				}
			} else if err := e.eng.Push(e.ctx, r.OfferingID); err != nil {
				t.Fatal(err)
			}
			if q := sandboxQty(t, e.sb, l.ListingID, r.SKU); q != s.want {
				t.Fatalf("step %d (%s %d): Etsy %d, want %d", i, s.kind, s.qty, q, s.want)
			}
		}
		if got := e.row(r.OfferingID); got.Pending() || got.Quantity != 38 {
			t.Fatalf("Stockroom %+v, want 38 and nothing pending", got)
		}
	})
}

// A write Etsy refused (a 500, nothing applied) whose target a sale then
// reached: Etsy holds the target, but under the offering the write would
// have replaced, so the write did not land and the add is still to apply.
// 10, add -1 refused, 1 sold (9): 8, not 9.
func TestRefusedWriteWhoseTargetASaleReachedStillWrites(t *testing.T) {
	onSyncedListing(t, 41, 3, func(t *testing.T, e *env, l sandbox.Listing, r store.InventoryRow) {
		if err := e.sb.InjectFault("updateListingInventory", sandbox.Fault{Kind: sandbox.Fault500, Count: 1}); err != nil {
			t.Fatal(err)
		}
		e.onFirstWrite(l.ListingID, func() {
			if _, err := e.sb.SimulateSale(e.shopID, l.ListingID, r.SKU, 1); err != nil {
				t.Error(err)
			}
		})
		e.editKind(r.OfferingID, store.EditAdd, r.Quantity-1)
		if err := e.eng.Push(e.ctx, r.OfferingID); err == nil {
			t.Fatal("the refused write reported success")
		}
		e.push(r.OfferingID)
		if want, q := r.Quantity-2, sandboxQty(t, e.sb, l.ListingID, r.SKU); q != want {
			t.Fatalf("Etsy %d, want %d (%d, -1 refused then written, 1 sold)", q, want, r.Quantity)
		}
	})
}

// A sale a write overwrote whose answer was lost, learned before the write
// is settled, with the seller's set still waiting (an add merged into it):
// the set's push must keep the sale though Etsy holds the set's base
// again. Set 60 (answer lost, a sale overwritten), add -4: 55, not 56.
func TestOverwrittenSaleUnderAPendingSetIsKept(t *testing.T) {
	onSyncedListing(t, 42, 2, func(t *testing.T, e *env, l sandbox.Listing, r store.InventoryRow) {
		e.edit(r.OfferingID, 60)
		e.lostAnswer()
		e.onFirstWrite(l.ListingID, func() {
			if _, err := e.sb.SimulateSale(e.shopID, l.ListingID, r.SKU, 1); err != nil {
				t.Error(err)
			}
		})
		if err := e.eng.Push(e.ctx, r.OfferingID); err == nil {
			t.Fatal("the push whose answer was lost reported success")
		}
		if q := sandboxQty(t, e.sb, l.ListingID, r.SKU); q != 60 {
			t.Fatalf("the lost write left Etsy at %d, want 60 (the sale overwritten)", q)
		}
		e.sync(store.SyncIncremental) // learns the sale
		e.editKind(r.OfferingID, store.EditAdd, 56)
		e.push(r.OfferingID)
		e.start()
		e.waitPushesDone()
		if q, got := sandboxQty(t, e.sb, l.ListingID, r.SKU), e.row(r.OfferingID); q != 55 || got.Quantity != 55 || got.Pending() {
			t.Fatalf("Etsy %d, Stockroom %d (%s); want 55 (set 60, 1 sold, -4)", q, got.Quantity, got.PushStatus)
		}
	})
}
