// Sales figures: units and revenue per product and per day.
package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/stockroom/stockroom/store"
)

var salesTests = map[string]func(t *testing.T, h *harness){
	"ByProductAndDay": func(t *testing.T, h *harness) {
		ctx := t.Context()
		a, st := h.owner(t, "alice", 1101)
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
		a, st := h.owner(t, "alice", 1103)
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

// salesModel is what the sales figures must be: sums over the receipt
// lines as the store lists them, leaving out voided receipts.
type salesModel struct {
	byProduct map[store.ProductSales]store.ProductSales // key: the product with Units and Revenue zero
	byDay     map[time.Time]store.DaySales
}

func modelSales(t *testing.T, h *harness, accountID, storeID int64, since, until time.Time) salesModel {
	t.Helper()
	list, err := h.db.ReceiptList(t.Context(), &store.ReceiptListParams{AccountID: accountID, StoreID: storeID, Limit: 10_000})
	noErr(t, err, "receipt list")
	m := salesModel{byProduct: map[store.ProductSales]store.ProductSales{}, byDay: map[time.Time]store.DaySales{}}
	for _, r := range list {
		if store.ReceiptVoided(r.Status) || r.CreatedAt.Before(since) || (!until.IsZero() && !r.CreatedAt.Before(until)) {
			continue
		}
		for _, it := range r.Items {
			div := it.Price.Divisor
			if div <= 0 {
				div = 100
			}
			rev := int64(it.Quantity) * it.Price.Amount * 100 / int64(div)
			k := store.ProductSales{EtsyListingID: it.EtsyListingID, EtsyProductID: it.EtsyProductID, SKU: it.SKU, Variation: it.Variation}
			x := m.byProduct[k]
			x.EtsyListingID, x.EtsyProductID, x.SKU, x.Variation = k.EtsyListingID, k.EtsyProductID, k.SKU, k.Variation
			x.Units += it.Quantity
			x.Revenue += rev
			m.byProduct[k] = x
			day := r.CreatedAt.UTC().Truncate(24 * time.Hour)
			d := m.byDay[day]
			d.Day = day
			d.Units += it.Quantity
			d.Revenue += rev
			m.byDay[day] = d
		}
	}
	return m
}

// checkSales compares the store's figures for a period with the model.
func checkSales(t *testing.T, h *harness, accountID, storeID int64, since, until, now time.Time, step string) {
	t.Helper()
	want := modelSales(t, h, accountID, storeID, since, until)
	p := &store.SalesRangeParams{AccountID: accountID, StoreID: storeID, Since: since, Until: until, Now: now}
	byProduct, err := h.db.SalesByProductList(t.Context(), p)
	noErr(t, err, step+": sales by product")
	got := map[store.ProductSales]store.ProductSales{}
	for _, x := range byProduct {
		k := store.ProductSales{EtsyListingID: x.EtsyListingID, EtsyProductID: x.EtsyProductID, SKU: x.SKU, Variation: x.Variation}
		if _, dup := got[k]; dup {
			t.Fatalf("%s: product %+v listed twice", step, k)
		}
		got[k] = x
	}
	if len(got) != len(want.byProduct) {
		t.Fatalf("%s [%v, %v) now %v: %d products, want %d:\n got %+v\nwant %+v", step, since, until, now, len(got), len(want.byProduct), got, want.byProduct)
	}
	for k, w := range want.byProduct {
		if got[k] != w {
			t.Fatalf("%s [%v, %v) now %v: product %+v = %+v, want %+v", step, since, until, now, k, got[k], w)
		}
	}
	days, err := h.db.SalesByDayList(t.Context(), p)
	noErr(t, err, step+": sales by day")
	if len(days) != len(want.byDay) {
		t.Fatalf("%s [%v, %v): %d days %+v, want %d %+v", step, since, until, len(days), days, len(want.byDay), want.byDay)
	}
	for i, d := range days {
		if w := want.byDay[d.Day]; d != w || (i > 0 && !days[i-1].Day.Before(d.Day)) {
			t.Fatalf("%s [%v, %v): day %+v, want %+v (in order)", step, since, until, d, w)
		}
	}
}

func init() {
	// The sums kept as receipts are written equal the sums over the lines,
	// whatever the period and the reader's clock, through re-reads of the
	// same pages, cancellations, refunds and changed lines.
	salesTests["KeptSumsEqualLines"] = func(t *testing.T, h *harness) {
		ctx := t.Context()
		a, st := h.owner(t, "alice", 1104)
		other := h.shop(t, a.ID, 1105)
		// 60 receipts every 17 hours back from now: about 42 days, lines
		// of two listings, one without product ids, prices in hundredths
		// and thousandths.
		var all []store.Receipt
		for i := range 60 {
			r := receipt(int64(500+i), -17*i+5, "paid")
			r.Items[0].Quantity = 1 + i%3
			r.Items[1].Price = store.Money{Amount: 12345, Divisor: 1000, Currency: "EUR"}
			if i%4 == 0 {
				r.Items = append(r.Items, store.ReceiptItem{EtsyTransactionID: r.EtsyReceiptID*10 + 2, EtsyListingID: 2, SKU: "PLATE",
					Title: "Plate", Variation: "Large", Quantity: 2, Price: store.Money{Amount: 999, Divisor: 100, Currency: "EUR"}})
			}
			all = append(all, r)
		}
		write := func(storeID int64, page []store.Receipt, step string) {
			t.Helper()
			// A reader of the open periods holding the sums from before
			// the write finds every product that moved among the
			// changed ones.
			day := 24 * time.Hour
			// The dashboard's period last: the write finds the kept
			// window where it puts it.
			periods := []*store.SalesRangeParams{
				{AccountID: a.ID, StoreID: st.ID, Since: h.at(-35 * day), Now: h.at(-5 * day)},
				{AccountID: a.ID, StoreID: st.ID, Since: h.at(-7*day - 5*time.Hour), Now: h.now},
				{AccountID: a.ID, StoreID: st.ID, Since: h.at(-30 * day), Now: h.now},
			}
			before := make([]map[store.ProductSales]store.ProductSales, len(periods))
			for i, p := range periods {
				before[i] = productSums(t, h, p)
			}
			held, err := h.db.StoreGet(ctx, st.ID)
			noErr(t, err, step+": store")
			_, err = h.db.SyncReceiptsWrite(ctx, &store.SyncReceiptsWriteParams{StoreID: storeID, Receipts: page, Now: h.now})
			noErr(t, err, step)
			for i, p := range periods {
				checkChanged(t, h, p, held.SalesVersion, before[i], step)
			}
		}
		check := func(step string) {
			t.Helper()
			day := 24 * time.Hour
			for _, w := range []struct{ since, until, now time.Time }{
				{h.at(-30 * day), time.Time{}, h.now},                            // the dashboard's period
				{h.at(-7 * day), time.Time{}, h.now},                             // a shorter one, same clock
				{h.at(-60 * day), time.Time{}, h.now},                            // a longer one
				{h.at(-27 * day), time.Time{}, h.at(3 * day)},                    // a later clock moves the kept window on
				{h.at(-35 * day), time.Time{}, h.at(-5 * day)},                   // an earlier one moves it back
				{h.at(-20*day - 5*time.Hour), h.at(-3*day + 7*time.Hour), h.now}, // part days at both ends
				{h.at(-10*day + time.Hour), h.at(-10*day + 9*time.Hour), h.now},  // within one day
				{epoch.Truncate(day).Add(-29 * day), time.Time{}, h.now},         // whole days
				{epoch.Truncate(day).Add(-12 * day), epoch.Truncate(day), h.now}, // whole days, closed
				{h.at(-30 * day), time.Time{}, h.now},                            // back to the dashboard's
			} {
				checkSales(t, h, a.ID, st.ID, w.since, w.until, w.now, step)
			}
		}
		for start := 0; start < len(all); start += 25 {
			write(st.ID, all[start:min(start+25, len(all))], "first pages")
		}
		write(other.ID, all[:10], "another store's receipts") // must not count in st
		check("after the first sync")

		write(st.ID, all[:25], "the same page again")
		check("after the same page again")

		// Etsy says the receipts changed, though nothing that counts did.
		touched := slices.Clone(all[:25])
		for i := range touched {
			touched[i].UpdatedAt = h.at(time.Hour)
		}
		write(st.ID, touched, "the page touched")
		write(st.ID, touched, "the touched page again")
		check("after the touched page")

		// One cancelled, one fully refunded, one line's quantity changed,
		// a cancellation reported without lines, and one restored.
		changed := []store.Receipt{all[1], all[2], all[3], all[4], all[40]}
		for i := range changed {
			changed[i].UpdatedAt = h.at(2 * time.Hour)
		}
		changed[0].Status = "canceled"
		changed[1].Status = "fully refunded"
		changed[2].Items = slices.Clone(changed[2].Items)
		changed[2].Items[0].Quantity = 7
		changed[3].Status, changed[3].Items = "canceled", nil
		changed[4].Status = "canceled"
		write(st.ID, changed, "changes")
		write(st.ID, changed, "the changes again")
		check("after the changes")
		restored := all[40]
		restored.UpdatedAt = h.at(3 * time.Hour)
		write(st.ID, []store.Receipt{restored}, "a receipt restored")
		check("after a restore")

		// Only receipts of about 30 days ago change: the start of the
		// dashboard's period, before the kept window.
		old := []store.Receipt{all[42], all[43]}
		for i := range old {
			old[i].UpdatedAt, old[i].Status = h.at(4*time.Hour), "canceled"
		}
		write(st.ID, old, "old receipts cancelled")
		check("after old receipts cancelled")
	}
}

func init() {
	// The lean rows of a report hold what the inventory's rows hold, for
	// the fields cover and the dashboard read.
	salesTests["CoverRowsMatchInventory"] = func(t *testing.T, h *harness) {
		ctx := t.Context()
		s := h.seller(t, "alice", 1106)
		l := listing(90, 3, 2)
		l.CreatedAt = h.at(-3 * 24 * time.Hour)
		h.write(t, s.store.ID, l, listing(91, 1, 7))
		rows := h.inventory(t, s.account.ID, s.store.ID)
		h.edit(t, s, rows[1].OfferingID, rows[1].Version, 40) // pending
		gone := listing(90, 2, 2)                             // the third product is gone
		gone.CreatedAt = l.CreatedAt
		h.write(t, s.store.ID, gone, listing(91, 1, 7))
		want := map[int64]store.InventoryRow{}
		for _, r := range h.inventory(t, s.account.ID, s.store.ID) {
			want[r.OfferingID] = r
		}
		got, err := h.db.CoverRowList(ctx, &store.InventoryListParams{AccountID: s.account.ID, StoreID: s.store.ID})
		noErr(t, err, "cover rows")
		if len(got) != len(want) {
			t.Fatalf("%d cover rows, want %d", len(got), len(want))
		}
		var pending, isGone int
		for _, g := range got {
			w := want[g.OfferingID]
			if g.StoreID != w.StoreID || g.EtsyListingID != w.EtsyListingID || g.EtsyProductID != w.EtsyProductID || g.Title != w.Title ||
				g.SKU != w.SKU || g.Variation != w.Variation || g.Shown() != w.Shown() || g.Pending() != w.Pending() ||
				g.Price.Currency != w.Price.Currency || g.Threshold != w.Threshold || g.Gone != w.Gone || !g.ListedAt.Equal(w.ListedAt) {
				t.Fatalf("cover row %+v\nwant inventory row %+v", g, w)
			}
			if g.Pending() {
				pending++
			}
			if g.Gone {
				isGone++
			}
		}
		if pending != 1 || isGone != 1 {
			t.Fatalf("%d pending, %d gone: want one of each", pending, isGone)
		}
		theirs, err := h.db.CoverRowList(ctx, &store.InventoryListParams{AccountID: h.account(t, "mallory").ID, StoreID: s.store.ID})
		if err != nil || len(theirs) != 0 {
			t.Fatalf("a stranger's cover rows: %d, %v; want none", len(theirs), err)
		}
	}
}

// productSums is SalesByProductList by product.
func productSums(t *testing.T, h *harness, p *store.SalesRangeParams) map[store.ProductSales]store.ProductSales {
	t.Helper()
	list, err := h.db.SalesByProductList(t.Context(), p)
	noErr(t, err, "sales by product")
	out := map[store.ProductSales]store.ProductSales{}
	for _, x := range list {
		out[productKey(x)] = x
	}
	return out
}

func productKey(x store.ProductSales) store.ProductSales {
	x.Units, x.Revenue = 0, 0
	return x
}

// checkChanged compares the products changed after version with the
// sums read in full before (before) and now: each listed product has its
// sums as read now (zero when gone), and every product whose sums moved
// is listed.
func checkChanged(t *testing.T, h *harness, p *store.SalesRangeParams, version int64, before map[store.ProductSales]store.ProductSales, step string) {
	t.Helper()
	after := productSums(t, h, p)
	changed, err := h.db.SalesByProductChangedList(t.Context(), p, version)
	noErr(t, err, step+": changed sales by product")
	listed := map[store.ProductSales]bool{}
	for _, x := range changed {
		k := productKey(x)
		if listed[k] {
			t.Fatalf("%s since %v: product %+v listed twice", step, p.Since, k)
		}
		listed[k] = true
		if w := after[k]; x.Units != w.Units || x.Revenue != w.Revenue {
			t.Fatalf("%s since %v: changed product %+v, want %+v", step, p.Since, x, w)
		}
	}
	for k, w := range after {
		if before[k] != w && !listed[k] {
			t.Fatalf("%s since %v: product %+v moved from %+v and is not listed as changed", step, p.Since, w, before[k])
		}
	}
	for k, b := range before {
		if _, ok := after[k]; !ok && !listed[k] {
			t.Fatalf("%s since %v: product %+v (%+v) no longer sold and is not listed as changed", step, p.Since, k, b)
		}
	}
}
