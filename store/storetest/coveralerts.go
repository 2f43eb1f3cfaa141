// The "runs out within N days" alert rule.
package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/stockroom/stockroom/store"
)

// coverReceipt sells qty of one product of the seller's listing (Etsy
// listing 10, products 100, 101, 102) hours from the suite's clock.
func coverReceipt(etsyID, product int64, qty, hours int) store.Receipt {
	r := receipt(etsyID, hours, "paid")
	r.Items = []store.ReceiptItem{{EtsyTransactionID: etsyID * 10, EtsyListingID: 10, EtsyProductID: product,
		SKU: "", Title: "Mug", Quantity: qty, Price: store.Money{Amount: 2400, Divisor: 100, Currency: "EUR"}}}
	return r
}

func (h *harness) setRunsOut(t *testing.T, s seller, days int) {
	t.Helper()
	st, err := h.db.StoreUpdateSettings(t.Context(), &store.StoreUpdateSettingsParams{AccountID: s.account.ID, StoreID: s.store.ID,
		RunsOutDays: &days, Now: h.now})
	noErr(t, err, "set runs out")
	if st.RunsOutDays != days {
		t.Fatalf("runs out = %d, want %d", st.RunsOutDays, days)
	}
}

var coverAlertTests = map[string]func(t *testing.T, h *harness){
	// Rows at 10, 11 and 12: the first sells 2 a day (5 days of cover),
	// the second 1 a day (11 days), the third nothing (no end).
	"Lifecycle": func(t *testing.T, h *harness) {
		ctx := t.Context()
		s := h.seller(t, "ada", 1)
		if s.store.RunsOutDays != 7 {
			t.Fatalf("default runs out = %d, want 7", s.store.RunsOutDays)
		}
		_, err := h.db.SyncReceiptsWrite(ctx, &store.SyncReceiptsWriteParams{StoreID: s.store.ID, Receipts: []store.Receipt{
			coverReceipt(1, 100, 60, -2), coverReceipt(2, 101, 30, -3),
			coverReceipt(3, 101, 500, -24*40), // before the 30 days: does not count
		}, Now: h.now})
		noErr(t, err, "receipts")
		res := h.evaluate(t, s.store.ID)
		wantFired(t, res, store.AlertRunsOut)
		a := res.Fired[0]
		if a.OfferingID != s.rows[0].OfferingID || a.Threshold != 7 || a.CoverDays != 5 || a.Quantity != 10 {
			t.Fatalf("fired %+v", a)
		}
		wantFired(t, h.evaluate(t, s.store.ID)) // once
		list := h.alerts(t, s.account.ID, s.store.ID, true)
		if len(list) != 1 || list[0].Kind != store.AlertRunsOut || list[0].CoverDays != 5 || list[0].Threshold != 7 {
			t.Fatalf("listed %+v", list)
		}

		// Acknowledged and snoozed like the others.
		got, err := h.db.AlertHandle(ctx, &store.AlertHandleParams{AccountID: s.account.ID, AlertID: a.ID, Ack: true,
			SnoozeRestock: true, Now: h.now})
		noErr(t, err, "handle")
		if got.Kind != store.AlertRunsOut || got.AckedAt.IsZero() || !got.Snoozed(h.at(365*24*time.Hour)) {
			t.Fatalf("handled %+v", got)
		}

		// Sold out: the threshold rule's out-of-stock alert takes over.
		r := h.edit(t, s, s.rows[0].OfferingID, s.rows[0].Version, 0)
		res = h.evaluate(t, s.store.ID, r.OfferingID)
		wantFired(t, res, store.AlertOutOfStock)
		if len(res.Resolved) != 1 || res.Resolved[0].ID != a.ID || res.Resolved[0].Kind != store.AlertRunsOut {
			t.Fatalf("resolved %+v", res.Resolved)
		}
		// Back to 4 (2 days of cover), above the threshold of 3: out of
		// stock resolves, runs out fires again.
		r = h.edit(t, s, r.OfferingID, r.Version, 4)
		res = h.evaluate(t, s.store.ID, r.OfferingID)
		wantFired(t, res, store.AlertRunsOut)
		if len(res.Resolved) != 1 || res.Resolved[0].Kind != store.AlertOutOfStock {
			t.Fatalf("resolved at 4 %+v", res.Resolved)
		}
		// Restocked to 30 (15 days): every alert of the row clears.
		r = h.edit(t, s, r.OfferingID, r.Version, 30)
		res = h.evaluate(t, s.store.ID, r.OfferingID)
		wantFired(t, res)
		if len(res.Resolved) != 1 || res.Resolved[0].Kind != store.AlertRunsOut {
			t.Fatalf("resolved on restock %+v", res.Resolved)
		}
		if got := h.alerts(t, s.account.ID, s.store.ID, true); len(got) != 0 {
			t.Fatalf("active after the restock %+v", got)
		}

		// N raised to 20: the 11-day row crosses (the 15-day one too);
		// turned off: they resolve.
		h.setRunsOut(t, s, 20)
		wantFired(t, h.evaluate(t, s.store.ID), store.AlertRunsOut, store.AlertRunsOut)
		h.setRunsOut(t, s, 0)
		res = h.evaluate(t, s.store.ID)
		if len(res.Fired) != 0 || len(res.Resolved) != 2 {
			t.Fatalf("turned off: %+v", res)
		}
	},
	// The rows a check after sales needs: those of the listings sold and
	// those with an active cover alert, of that store only.
	"CheckOfferings": func(t *testing.T, h *harness) {
		ctx := t.Context()
		s := h.seller(t, "ada", 1)
		other := h.seller(t, "bob", 2)
		h.write(t, s.store.ID, listing(10, 3, 10), listing(11, 2, 10))
		h.write(t, other.store.ID, listing(20, 3, 10), listing(11, 2, 10))
		_, err := h.db.SyncReceiptsWrite(ctx, &store.SyncReceiptsWriteParams{StoreID: s.store.ID,
			Receipts: []store.Receipt{coverReceipt(1, 100, 60, -2)}, Now: h.now})
		noErr(t, err, "receipts")
		wantFired(t, h.evaluate(t, s.store.ID), store.AlertRunsOut)
		var eleven []int64
		for _, r := range h.inventory(t, s.account.ID, s.store.ID) {
			if r.EtsyListingID == 11 {
				eleven = append(eleven, r.OfferingID)
			}
		}
		alerted := s.rows[0].OfferingID
		for _, c := range []struct {
			listings []int64
			want     []int64
		}{
			{nil, []int64{alerted}},
			{[]int64{11, 11, 404}, append([]int64{alerted}, eleven...)},
		} {
			got, err := h.db.CoverCheckOfferings(ctx, s.store.ID, c.listings)
			noErr(t, err, "cover check offerings")
			slices.Sort(c.want)
			if !slices.Equal(got, c.want) {
				t.Fatalf("listings %v: offerings %v, want %v", c.listings, got, c.want)
			}
		}
	},
	// A row whose product id Etsy reissued is matched to its sales by
	// listing and variation, also when one row of the listing is checked.
	"PartialCheckSeesTheListing": func(t *testing.T, h *harness) {
		s := h.seller(t, "ada", 1)
		sale := coverReceipt(1, 999, 60, -2)
		sale.Items[0].Variation = s.rows[1].Variation
		_, err := h.db.SyncReceiptsWrite(t.Context(), &store.SyncReceiptsWriteParams{StoreID: s.store.ID, Receipts: []store.Receipt{sale}, Now: h.now})
		noErr(t, err, "receipts")
		res := h.evaluate(t, s.store.ID, s.rows[2].OfferingID)
		wantFired(t, res, store.AlertRunsOut)
		if res.Fired[0].OfferingID != s.rows[1].OfferingID {
			t.Fatalf("fired for %d, want %d", res.Fired[0].OfferingID, s.rows[1].OfferingID)
		}
	},
}
