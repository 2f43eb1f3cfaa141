package app

import (
	"errors"
	"strings"
	"testing"

	"github.com/stockroom/stockroom/store"
)

func rows() []store.InventoryRow {
	return []store.InventoryRow{
		{OfferingID: 1, EtsyListingID: 10, SKU: "MUG-S", Quantity: 4},
		{OfferingID: 2, EtsyListingID: 10, SKU: "MUG-M", Quantity: 5},
		{OfferingID: 3, EtsyListingID: 10, SKU: "MUG-L", Quantity: 6},
		{OfferingID: 4, EtsyListingID: 20, SKU: "BOWL", Quantity: 7},
		{OfferingID: 5, EtsyListingID: 30, SKU: "PLATE", Quantity: 8},
	}
}

// Etsy writes a listing's whole inventory at once, so changed rows of one
// listing cost one read and one write together; unchanged rows cost nothing.
func TestPlanCountsCallsPerListing(t *testing.T) {
	plan, err := PlanImport(rows(), ImportParams{StoreID: 1, Input: strings.NewReader("sku,quantity,title\nMUG-S,1,x\nMUG-M,2,x\nMUG-L,6,x\nBOWL,9,x\nPLATE,8,x\n")})
	if err != nil {
		t.Fatal(err)
	}
	if plan.Changes != 3 {
		t.Errorf("changes = %d, want 3 (MUG-S, MUG-M, BOWL)", plan.Changes)
	}
	if plan.EtsyCalls != 4 {
		t.Errorf("Etsy calls = %d, want 4: a read and a write for listings 10 and 20", plan.EtsyCalls)
	}
}

// Every invalid line is reported with its number, and no plan comes back.
func TestPlanReportsEveryBadLine(t *testing.T) {
	csv := "sku,quantity\nMUG-S,1\nNOPE,2\nMUG-M,1000\nBOWL,two\nMUG-S,3\n\"PLATE,4\n"
	plan, err := PlanImport(rows(), ImportParams{StoreID: 1, Input: strings.NewReader(csv)})
	var ie *ImportError
	if plan != nil || !errors.As(err, &ie) {
		t.Fatalf("plan %v, err %v", plan, err)
	}
	want := map[int]string{3: "unknown SKU", 4: "0 to 999", 5: "not a whole number", 6: "also on line 2", 7: "malformed CSV"}
	got := map[int]string{}
	for _, p := range ie.Problems {
		got[p.Line] = p.Reason
	}
	for line, part := range want {
		if !strings.Contains(got[line], part) {
			t.Errorf("line %d: %q, want it to say %q", line, got[line], part)
		}
	}
	if len(ie.Problems) != len(want) {
		t.Errorf("problems %+v", ie.Problems)
	}
}

func TestPlanNeedsTheHeader(t *testing.T) {
	for _, in := range []string{"", "MUG-S,1\n", "code,qty\nMUG-S,1\n"} {
		if _, err := PlanImport(rows(), ImportParams{StoreID: 1, Input: strings.NewReader(in)}); err == nil {
			t.Errorf("%q was accepted", in)
		}
	}
}
