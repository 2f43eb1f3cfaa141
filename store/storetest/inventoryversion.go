package storetest

import (
	"testing"

	"github.com/stockroom/stockroom/store"
)

func (h *harness) inventoryVersion(t *testing.T, s seller) int64 {
	t.Helper()
	v, err := h.db.InventoryVersion(t.Context(), s.store.ID)
	noErr(t, err, "inventory version")
	return v
}

var inventoryVersionTests = map[string]func(t *testing.T, h *harness){
	// Every write a reader of the rows would see moves the version; a
	// write that changes nothing shown, or another store's write, does not.
	"MovesWithEveryVisibleChange": func(t *testing.T, h *harness) {
		s := h.seller(t, "ada", 71)
		other := h.seller(t, "bob", 72)
		v := h.inventoryVersion(t, s)
		if v == 0 {
			t.Fatalf("inventory version after the first sync is 0")
		}
		otherV := h.inventoryVersion(t, other)
		step := func(name string, wantMoved bool) {
			t.Helper()
			got := h.inventoryVersion(t, s)
			if moved := got != v; moved != wantMoved {
				t.Fatalf("%s: version %d → %d, want moved=%v", name, v, got, wantMoved)
			}
			v = got
		}
		l := listing(71*10, 3, 10)
		h.write(t, s.store.ID, l)
		step("the same listing synced again", false)

		h.edit(t, s, s.rows[0].OfferingID, s.rows[0].Version, 4)
		step("a stock edit", true)

		noErr(t, h.db.ThresholdSet(t.Context(), &store.ThresholdSetParams{AccountID: s.account.ID, StoreID: s.store.ID,
			ListingID: s.rows[0].ListingID, Threshold: new(7)}), "listing threshold")
		step("a listing's threshold", true)

		noErr(t, h.db.ThresholdSet(t.Context(), &store.ThresholdSetParams{AccountID: s.account.ID, StoreID: s.store.ID,
			OfferingID: s.rows[1].OfferingID, Threshold: new(2)}), "offering threshold")
		step("an offering's threshold", true)

		l.Title = "Hand-thrown mug, renamed"
		h.write(t, s.store.ID, l)
		step("a title synced", true)

		l.Products[2].Quantity = 1
		h.write(t, s.store.ID, l)
		step("Etsy's quantity synced", true)

		h.write(t, s.store.ID, l, listing(71*10+1, 2, 5))
		step("a new listing", true)

		_, err := h.db.SyncListingsMarkGone(t.Context(), s.store.ID, []int64{l.EtsyListingID})
		noErr(t, err, "mark gone")
		step("a listing gone", true)

		if got := h.inventoryVersion(t, other); got != otherV {
			t.Fatalf("another store's version moved %d → %d", otherV, got)
		}
	},
}
