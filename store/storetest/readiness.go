// A null readiness_state_id in Etsy's reads.
package storetest

import (
	"testing"
	"time"
)

var readinessTests = map[string]func(t *testing.T, h *harness){
	// Etsy sends readiness_state_id only on shop-scoped or single-listing
	// reads of active listings and null otherwise (a batch inventory read
	// of an incremental sync): null (0 in a snapshot) says nothing about the
	// profile, so the profile known stays and nothing counts as changed,
	// which would bump the row's version and turn a seller's edit made
	// meanwhile into a false "changed elsewhere".
	"NullReadinessKeepsTheKnownProfile": func(t *testing.T, h *harness) {
		a, st := h.owner(t, "alice", 807)
		l := listing(8070, 2, 5)
		h.write(t, st.ID, l)
		before := h.inventory(t, a.ID, st.ID)
		null := listing(8070, 2, 5)
		for i := range null.Products {
			null.Products[i].ReadinessID = 0
		}
		h.now = h.at(time.Minute)
		if res := h.write(t, st.ID, null); res.OfferingsChanged != 0 || len(res.StockChanges) != 0 {
			t.Fatalf("a read with null readiness reported changes: %+v", res)
		}
		after := h.inventory(t, a.ID, st.ID)
		for i := range after {
			if after[i] != before[i] {
				t.Fatalf("a read with null readiness changed a row:\n%+v\n%+v", before[i], after[i])
			}
		}
		moved := listing(8070, 2, 5)
		moved.Products[0].ReadinessID = 2
		h.now = h.at(2 * time.Minute)
		if res := h.write(t, st.ID, moved); res.OfferingsChanged != 1 {
			t.Fatalf("a new profile was not recorded: %+v", res)
		}
		if r := bySKU(h.inventory(t, a.ID, st.ID))[moved.Products[0].SKU]; r.ReadinessID != 2 {
			t.Fatalf("readiness %d, want 2", r.ReadinessID)
		}
	},
}
