// Sales figures: units and revenue per product and per day.
package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/stockroom/stockroom/store"
)

var salesTests = map[string]func(t *testing.T, h *harness){
	"ByProductAndDay": func(t *testing.T, h *harness) {
		ctx := t.Context()
		a := h.account(t, "alice")
		st := h.shop(t, a.ID, 1101)
		other := h.shop(t, a.ID, 1102)
		// 1 and 2 on the first day, 3 the next day, 4 cancelled, 5 before the
		// period, 6 in another store.
		page := []store.Receipt{receipt(1, 0, "paid"), receipt(2, 1, "completed"), receipt(3, 24, "paid"),
			receipt(4, 25, "canceled"), receipt(5, -24*40, "paid")}
		page[1].Items[0].Quantity = 3
		_, err := h.db.SyncReceiptsWrite(ctx, &store.SyncReceiptsWriteParams{StoreID: st.ID, Receipts: page})
		noErr(t, err, "receipts write")
		_, err = h.db.SyncReceiptsWrite(ctx, &store.SyncReceiptsWriteParams{StoreID: other.ID, Receipts: []store.Receipt{receipt(6, 0, "paid")}})
		noErr(t, err, "other store's receipts write")

		period := &store.SalesRangeParams{AccountID: a.ID, StoreID: st.ID, Since: h.at(-30 * 24 * time.Hour), Until: h.at(48 * time.Hour)}
		byProduct, err := h.db.SalesByProductList(ctx, period)
		noErr(t, err, "sales by product")
		got := map[int64]store.ProductSales{}
		for _, x := range byProduct {
			got[x.EtsyProductID] = x
		}
		// Product 11: 1 + 3 + 1 units at 24.00; product 12: three receipts of 1.
		if len(got) != 2 || got[11].Units != 5 || got[11].Revenue != 12000 || got[11].SKU != "MUG-1" || got[11].EtsyListingID != 1 ||
			got[11].Variation != "Blue" || got[12].Units != 3 || got[12].Revenue != 7200 {
			t.Fatalf("by product = %+v", byProduct)
		}

		days, err := h.db.SalesByDayList(ctx, period)
		noErr(t, err, "sales by day")
		day := epoch.Truncate(24 * time.Hour)
		if len(days) != 2 || !days[0].Day.Equal(day) || days[0].Units != 6 || days[0].Revenue != 14400 ||
			!days[1].Day.Equal(day.Add(24*time.Hour)) || days[1].Units != 2 || days[1].Revenue != 4800 {
			t.Fatalf("by day = %+v", days)
		}

		// Etsy cancels receipt 3 after the fact: its lines stop counting.
		cancelled := receipt(3, 24, "canceled")
		cancelled.UpdatedAt = h.at(30 * time.Hour)
		_, err = h.db.SyncReceiptsWrite(ctx, &store.SyncReceiptsWriteParams{StoreID: st.ID, Receipts: []store.Receipt{cancelled}})
		noErr(t, err, "cancel receipt 3")
		days, err = h.db.SalesByDayList(ctx, period)
		noErr(t, err, "sales by day after the cancel")
		if len(days) != 1 || days[0].Units != 6 {
			t.Fatalf("by day after the cancel = %+v", days)
		}

		stranger := h.account(t, "mallory")
		_, err = h.db.SalesByProductList(ctx, &store.SalesRangeParams{AccountID: stranger.ID, StoreID: st.ID})
		wantErr(t, err, store.ErrNotFound, "another account's sales")
		_, err = h.db.SalesByDayList(ctx, &store.SalesRangeParams{AccountID: stranger.ID, StoreID: st.ID})
		if !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("another account's days = %v, want ErrNotFound", err)
		}
	},
	"TargetCoverAndListedAt": func(t *testing.T, h *harness) {
		ctx := t.Context()
		a := h.account(t, "alice")
		st := h.shop(t, a.ID, 1103)
		if st.TargetCoverDays != 30 {
			t.Fatalf("default target cover = %d, want 30", st.TargetCoverDays)
		}
		days := 45
		got, err := h.db.StoreUpdateSettings(ctx, &store.StoreUpdateSettingsParams{AccountID: a.ID, StoreID: st.ID, TargetCoverDays: &days, Now: h.now})
		noErr(t, err, "set target cover")
		if got.TargetCoverDays != 45 || got.LowStockDefault != st.LowStockDefault {
			t.Fatalf("settings = %+v", got)
		}
		if again, _ := h.db.StoreGet(ctx, st.ID); again.TargetCoverDays != 45 {
			t.Fatalf("stored target cover = %d", again.TargetCoverDays)
		}

		l := listing(77, 1, 5)
		l.CreatedAt = h.at(-5 * 24 * time.Hour)
		old := listing(78, 1, 5) // synced before Stockroom kept creation times
		h.write(t, st.ID, l, old)
		rows := h.inventory(t, a.ID, st.ID)
		if len(rows) != 2 || !rows[0].ListedAt.Equal(l.CreatedAt) || !rows[1].ListedAt.IsZero() {
			t.Fatalf("listed at = %v, %v", rows[0].ListedAt, rows[1].ListedAt)
		}
		old.CreatedAt = h.at(-400 * 24 * time.Hour)
		h.write(t, st.ID, old)
		if rows := h.inventory(t, a.ID, st.ID); !rows[1].ListedAt.Equal(old.CreatedAt) {
			t.Fatalf("listed at after a later sync = %v, want %v", rows[1].ListedAt, old.CreatedAt)
		}
	},
}
