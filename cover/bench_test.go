package cover

import (
	"fmt"
	"testing"
	"time"

	"github.com/stockroom/stockroom/store"
)

// benchShop is 50,000 rows (10,000 listings of 5) and the sales of four in
// five of them, as the Home screen's benchmark shop.
func benchShop() ([]*store.InventoryRow, []store.ProductSales, Params) {
	now := time.Date(2026, 3, 31, 12, 0, 0, 0, time.UTC)
	var rows []*store.InventoryRow
	var sales []store.ProductSales
	for l := range 10_000 {
		for v := range 5 {
			id := int64(l*5 + v)
			rows = append(rows, &store.InventoryRow{OfferingID: id + 1, EtsyListingID: int64(l), EtsyProductID: 1_000_000 + id,
				Title: fmt.Sprintf("Listing %d", l), Quantity: int(id % 40), ListedAt: now.AddDate(-1, 0, 0)})
			if id%5 != 0 {
				sales = append(sales, store.ProductSales{EtsyListingID: int64(l), EtsyProductID: 1_000_000 + id,
					Units: int(id%17) + 1, Revenue: 2500})
			}
		}
	}
	return rows, sales, Params{Now: now}
}

// BenchmarkRunsOutFirstSorted is the Home screen's "runs out first" as it
// was: every row's cover, sorted, then the first screenful.
func BenchmarkRunsOutFirstSorted(b *testing.B) {
	rows, sales, p := benchShop()
	b.ReportAllocs()
	for b.Loop() {
		cs := Compute(rows, sales, p)
		n := 0
		for _, c := range cs {
			if n == 30 {
				break
			}
			if c.Sells() {
				n++
			}
		}
	}
}

// BenchmarkRunsOutFirstSelected is the same screenful selected from the
// unsorted covers with a heap of 30.
func BenchmarkRunsOutFirstSelected(b *testing.B) {
	rows, sales, p := benchShop()
	b.ReportAllocs()
	for b.Loop() {
		_ = First(Unsorted(rows, sales, p), 30, Cover.Sells)
	}
}
