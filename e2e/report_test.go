package e2e

import (
	"bytes"
	"strconv"
	"testing"
)

// sellOnEtsy makes a buyer buy qty of a row through the sandbox's admin
// surface.
func sellOnEtsy(t testing.TB, s *server, shopID, listingID int64, sku string, qty int) {
	t.Helper()
	s.sandboxAdmin(t, "sale", map[string]any{"shop_id": shopID, "listing_id": listingID, "sku": sku, "quantity": qty},
		"selling "+sku)
}

type reportTotals struct {
	Units   int    `json:"units"`
	Revenue string `json:"revenue"`
}

type reportOut struct {
	Today      reportTotals `json:"today"`
	Last30Days reportTotals `json:"last_30_days"`
	Cover      []struct {
		SKU       string `json:"sku"`
		UnitsSold int    `json:"units_sold"`
	} `json:"cover"`
}

// cents reads a decimal amount such as "24.50" in hundredths.
func cents(t testing.TB, v string) int64 {
	t.Helper()
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		t.Fatalf("amount %q: %v", v, err)
	}
	return int64(f*100 + 0.5)
}

func TestReportShowsSandboxSales(t *testing.T) {
	s := startServer(t)
	_, c, rows := s.seller(t, "Rae", "rae@example.com")
	target := pickRow(t, rows)
	shopID := etsyShopID(t, c)
	var price string
	for _, r := range decode[[]struct {
		SKU   string `json:"sku"`
		Price string `json:"price"`
	}](t, run(t, c, "inventory --format json", "")) {
		if r.SKU == target.SKU {
			price = r.Price
		}
	}
	before := decode[reportOut](t, run(t, c, "report --format json", ""))

	sellOnEtsy(t, s, shopID, target.ListingID, target.SKU, 2)
	expect(t, run(t, c, "sync --wait", ""), 0)

	after := decode[reportOut](t, run(t, c, "report --format json", ""))
	if after.Today.Units != before.Today.Units+2 || after.Last30Days.Units != before.Last30Days.Units+2 {
		t.Fatalf("units today %d -> %d, 30 days %d -> %d; want 2 more", before.Today.Units, after.Today.Units,
			before.Last30Days.Units, after.Last30Days.Units)
	}
	if got, want := cents(t, after.Today.Revenue)-cents(t, before.Today.Revenue), 2*cents(t, price); got != want {
		t.Fatalf("revenue today grew by %d hundredths, want %d (2 × %s)", got, want, price)
	}
	sold := map[string]int{}
	for _, x := range before.Cover {
		sold[x.SKU] = x.UnitsSold
	}
	for _, x := range after.Cover {
		if x.SKU == target.SKU && x.UnitsSold != sold[x.SKU]+2 {
			t.Fatalf("%s sold %d, want %d", x.SKU, x.UnitsSold, sold[x.SKU]+2)
		}
	}
	if r := run(t, c, "report --format csv", ""); r.code != 0 || !bytes.Contains([]byte(r.stdout), []byte(target.SKU)) {
		t.Fatalf("csv report: %s", r)
	}
}
