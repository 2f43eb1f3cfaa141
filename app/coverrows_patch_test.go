package app

import (
	"slices"
	"testing"

	"github.com/stockroom/stockroom/store"
)

// patchRows puts each changed row in its place by offering id: a row
// replaced, rows added before the first, between and after the last, in
// whatever order they come, and the held list left as it was.
func TestPatchRowsMergesByOffering(t *testing.T) {
	row := func(id int64, qty int) *store.InventoryRow { return &store.InventoryRow{OfferingID: id, Quantity: qty} }
	held := []*store.InventoryRow{row(10, 1), row(20, 1), row(30, 1), row(40, 1)}
	before := slices.Clone(held)
	got := patchRows(held, []*store.InventoryRow{row(50, 2), row(20, 2), row(5, 2), row(25, 2), row(40, 2)}, nil)
	type idQty struct {
		id  int64
		qty int
	}
	var ids []idQty
	for _, r := range got {
		ids = append(ids, idQty{r.OfferingID, r.Quantity})
	}
	want := []idQty{{5, 2}, {10, 1}, {20, 2}, {25, 2}, {30, 1}, {40, 2}, {50, 2}}
	if !slices.Equal(ids, want) {
		t.Fatalf("patched rows %v, want %v", ids, want)
	}
	if !slices.Equal(held, before) {
		t.Fatalf("the held rows were modified")
	}
	if got := patchRows(held, nil, nil); !slices.Equal(got, held) {
		t.Fatalf("no change: %v", got)
	}
}

// patchRows leaves out the removed rows, wherever they are and whatever
// else changed, unless a changed row brings the id back; an id it does
// not hold changes nothing.
func TestPatchRowsDropsRemoved(t *testing.T) {
	row := func(id int64, qty int) *store.InventoryRow { return &store.InventoryRow{OfferingID: id, Quantity: qty} }
	held := []*store.InventoryRow{row(10, 1), row(20, 1), row(30, 1), row(40, 1), row(50, 1)}
	before := slices.Clone(held)
	got := patchRows(held, []*store.InventoryRow{row(30, 2), row(35, 2), row(50, 2)}, []int64{10, 40, 50, 99})
	var ids []int64
	for _, r := range got {
		ids = append(ids, r.OfferingID)
	}
	if want := []int64{20, 30, 35, 50}; !slices.Equal(ids, want) {
		t.Fatalf("patched rows %v, want %v", ids, want)
	}
	if got[3].Quantity != 2 {
		t.Fatalf("the row back has quantity %d, want the changed row's 2", got[3].Quantity)
	}
	if !slices.Equal(held, before) {
		t.Fatalf("the held rows were modified")
	}
}

// withDefault moves the rows that follow the store's default to the new
// one, leaves the rows with a threshold of their own, and copies rather
// than modifies the shared rows.
func TestWithDefaultFollowsTheStoreDefault(t *testing.T) {
	held := []*store.InventoryRow{
		{OfferingID: 1, Threshold: 5, ThresholdIsDefault: true},
		{OfferingID: 2, Threshold: 9},
		{OfferingID: 3, Threshold: 5, ThresholdIsDefault: true},
	}
	got := withDefault(held, 12)
	var th []int
	for _, r := range got {
		th = append(th, r.Threshold)
	}
	if !slices.Equal(th, []int{12, 9, 12}) {
		t.Fatalf("thresholds %v, want [12 9 12]", th)
	}
	if held[0].Threshold != 5 || held[2].Threshold != 5 {
		t.Fatalf("the held rows were modified")
	}
	if got[1] != held[1] {
		t.Fatalf("a row with its own threshold was copied")
	}
}
