package app_test

import (
	"math"
	"testing"
	"time"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/store"
)

// coverNow is the fixed clock of the cover tests.
var coverNow = time.Date(2026, 3, 31, 12, 0, 0, 0, time.UTC)

func coverRow(product, listing int64, title, sku string, qty int, listed time.Time) *store.InventoryRow {
	return &store.InventoryRow{EtsyProductID: product, EtsyListingID: listing, Title: title, SKU: sku, Quantity: qty, ListedAt: listed}
}

func TestComputeCoverOnFixedSales(t *testing.T) {
	old := coverNow.AddDate(-1, 0, 0)
	rows := []*store.InventoryRow{
		coverRow(1, 10, "Steady mug", "MUG", 10, old),
		coverRow(2, 20, "Unsold vase", "VASE", 5, old),
		coverRow(3, 30, "Sold-out scarf", "SCARF", 0, old),
		coverRow(4, 40, "New candle", "CANDLE", 4, coverNow.AddDate(0, 0, -5)),
		coverRow(5, 50, "Reissued tote", "TOTE", 3, old),
		coverRow(6, 60, "Unsold and out", "", 0, old),
	}
	gone := coverRow(7, 70, "Gone bowl", "BOWL", 1, old)
	gone.Gone = true
	rows = append(rows, gone)
	sales := []store.ProductSales{
		{EtsyListingID: 10, EtsyProductID: 1, SKU: "MUG", Units: 30, Revenue: 30000},
		{EtsyListingID: 30, EtsyProductID: 3, SKU: "SCARF", Units: 15, Revenue: 4500},
		{EtsyListingID: 40, EtsyProductID: 4, SKU: "CANDLE", Units: 10, Revenue: 2000},
		// Sold before a push made Etsy issue the tote a new product id.
		{EtsyListingID: 50, EtsyProductID: 999, SKU: "TOTE", Units: 6, Revenue: 600},
		{EtsyListingID: 70, EtsyProductID: 7, SKU: "BOWL", Units: 9},
	}
	got := app.ComputeCover(rows, sales, app.CoverParams{Days: 30, Target: 30, Now: coverNow})

	want := []struct {
		title    string
		units    int
		velocity float64
		days     float64
		restock  int
	}{
		{"Sold-out scarf", 15, 0.5, 0, 15},
		{"Unsold and out", 0, 0, 0, 0},
		{"New candle", 10, 2, 2, 56}, // sold over its 5 days, not 30
		{"Steady mug", 30, 1, 10, 20},
		{"Reissued tote", 6, 0.2, 15, 3},
		{"Unsold vase", 0, 0, math.Inf(1), 0},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d rows, want %d (the gone row left out): %+v", len(got), len(want), got)
	}
	for i, w := range want {
		c := got[i]
		if c.Row.Title != w.title || c.Units != w.units || math.Abs(c.Velocity-w.velocity) > 1e-9 ||
			(c.Days != w.days && math.Abs(c.Days-w.days) > 1e-9) || c.Restock != w.restock {
			t.Errorf("row %d = %s units %d velocity %v days %v restock %d; want %+v",
				i, c.Row.Title, c.Units, c.Velocity, c.Days, c.Restock, w)
		}
	}
	if got[5].Sells() || !got[0].Sells() {
		t.Errorf("Sells: unsold vase %v, scarf %v", got[5].Sells(), got[0].Sells())
	}
}

func TestComputeCoverRestockStopsAtEtsysMaximum(t *testing.T) {
	rows := []*store.InventoryRow{coverRow(1, 10, "Bestseller", "", 990, coverNow.AddDate(-1, 0, 0))}
	sales := []store.ProductSales{{EtsyListingID: 10, EtsyProductID: 1, Units: 3000}}
	got := app.ComputeCover(rows, sales, app.CoverParams{Now: coverNow})
	if got[0].Restock != 9 {
		t.Fatalf("restock = %d, want 9 (990 + 9 = Etsy's 999)", got[0].Restock)
	}
}
