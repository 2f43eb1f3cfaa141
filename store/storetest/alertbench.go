// The alert check benchmark: a whole-store evaluation of a large shop
// with sales, as a setting change and each sync that brought sales run.
package storetest

import (
	"testing"
	"time"

	"github.com/stockroom/stockroom/store"
)

// BenchmarkAlertEvaluate checks every row of the 50,000-offering shop of
// benchCatalogue, holding 200,000 receipt lines of the last 30 days,
// after a first evaluation fired what it had to: one op is the check of a
// sync that moved nothing. "threshold" has the runs-out rule off (the
// anchor), "cover" on; "sale" is the check after a pull that sold one
// listing, with the rule on: the rows CoverCheckOfferings names (the
// listing's and the 646 rows with an active runs-out alert), checked.
func BenchmarkAlertEvaluate(b *testing.B, open func(tb testing.TB) store.DB) {
	ctx := b.Context()
	db := open(b)
	a, st := benchStore(b, db)
	for _, page := range benchCatalogue() {
		if _, err := db.SyncListingsWrite(ctx, &store.SyncListingsWriteParams{StoreID: st.ID, Listings: page, Now: epoch}); err != nil {
			b.Fatal(err)
		}
	}
	// 40,000 receipts of 5 lines over the last 30 days.
	const receipts, lines = 40_000, 5
	for start := 0; start < receipts; start += 100 {
		page := make([]store.Receipt, 0, 100)
		for r := start; r < start+100; r++ {
			at := epoch.Add(-30 * 24 * time.Hour * time.Duration(r) / receipts)
			rec := store.Receipt{EtsyReceiptID: int64(r + 1), Status: "paid", IsPaid: true, CreatedAt: at, UpdatedAt: at}
			for l := range lines {
				i := (r*lines + l) * 7919 % benchListings
				id := int64(1_000_000_000 + i)
				rec.Items = append(rec.Items, store.ReceiptItem{EtsyTransactionID: int64(r*lines + l + 1), EtsyListingID: id,
					EtsyProductID: id*10 + int64(l), Quantity: 1, Price: store.Money{Amount: 1500, Divisor: 100, Currency: "USD"}})
			}
			page = append(page, rec)
		}
		if _, err := db.SyncReceiptsWrite(ctx, &store.SyncReceiptsWriteParams{StoreID: st.ID, Receipts: page, Now: epoch}); err != nil {
			b.Fatal(err)
		}
	}
	for _, c := range []struct {
		name string
		days int
		sold bool
	}{{"threshold", 0, false}, {"cover", 7, false}, {"sale", 7, true}} {
		b.Run(c.name, func(b *testing.B) {
			days := c.days
			if _, err := db.StoreUpdateSettings(ctx, &store.StoreUpdateSettingsParams{AccountID: a.ID, StoreID: st.ID, RunsOutDays: &days, Now: epoch}); err != nil {
				b.Fatal(err)
			}
			p := &store.AlertEvaluateParams{StoreID: st.ID, Now: epoch}
			if _, err := db.AlertEvaluate(ctx, p); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if c.sold {
					ids, err := db.CoverCheckOfferings(ctx, st.ID, []int64{1_000_000_000 + 4242})
					if err != nil || len(ids) == 0 {
						b.Fatalf("cover check offerings: %v, %d", err, len(ids))
					}
					p.OfferingIDs = ids
				}
				res, err := db.AlertEvaluate(ctx, p)
				if err != nil {
					b.Fatal(err)
				}
				if res.Changed() {
					b.Fatalf("a second check changed alerts: %d fired", len(res.Fired))
				}
			}
		})
	}
}
