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
	got := patchRows(held, []*store.InventoryRow{row(50, 2), row(20, 2), row(5, 2), row(25, 2), row(40, 2)})
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
	if got := patchRows(held, nil); !slices.Equal(got, held) {
		t.Fatalf("no change: %v", got)
	}
}
