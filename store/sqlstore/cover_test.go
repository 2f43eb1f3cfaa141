package sqlstore

import (
	"slices"
	"testing"

	"github.com/stockroom/stockroom/store"
)

// The two halves of a store's rows come back as one list, lower then
// upper, whether each filled its part of the list, fell short of it (ids
// with gaps, rows removed meanwhile) or outgrew it (rows added).
func TestJoinHalves(t *testing.T) {
	rows := func(ids ...int64) []store.InventoryRow {
		out := make([]store.InventoryRow, len(ids))
		for i, id := range ids {
			out[i].OfferingID = id
		}
		return out
	}
	for _, tc := range []struct {
		name         string
		n, k         int
		lower, upper []int64
	}{
		{"each fills its part", 5, 3, []int64{1, 2, 3}, []int64{4, 5}},
		{"lower short", 6, 3, []int64{1, 3}, []int64{4, 5, 6}},
		{"upper short", 6, 3, []int64{1, 2, 3}, []int64{6}},
		{"lower outgrew", 4, 2, []int64{1, 2, 3}, []int64{4}},
		{"upper outgrew", 4, 2, []int64{1, 2}, []int64{3, 4, 5}},
		{"none", 0, 0, nil, nil},
	} {
		full := make([]store.InventoryRow, tc.n)
		lower := append(full[:0:tc.k], rows(tc.lower...)...)
		upper := append(full[tc.k:tc.k:tc.n], rows(tc.upper...)...)
		got := joinHalves(full, lower, upper, tc.k)
		var ids []int64
		for _, r := range got {
			ids = append(ids, r.OfferingID)
		}
		if want := append(slices.Clone(tc.lower), tc.upper...); !slices.Equal(ids, want) {
			t.Errorf("%s: %v, want %v", tc.name, ids, want)
		}
	}
}
