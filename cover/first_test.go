package cover

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stockroom/stockroom/store"
)

// First is the head of a full sort, kept rows only, for every n: on
// covers with many equal days, velocities and titles, sold-out and
// not-selling rows among them.
func TestFirstIsTheHeadOfTheSort(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	cs := make([]Cover, 500)
	for i := range cs {
		c := Cover{Row: &store.InventoryRow{OfferingID: int64(r.IntN(1_000_000)), Title: []string{"a", "b", "c"}[r.IntN(3)]},
			Velocity: float64(r.IntN(4)) / 2, Days: float64(r.IntN(6))}
		switch r.IntN(5) {
		case 0:
			c.Days = 0 // sold out
		case 1:
			c.Velocity, c.Days = 0, math.Inf(1) // does not sell
		}
		cs[i] = c
	}
	sorted := slices.Clone(cs)
	slices.SortFunc(sorted, RunsOutFirst)
	var kept []Cover
	for _, c := range sorted {
		if c.Sells() {
			kept = append(kept, c)
		}
	}
	for _, n := range []int{-1, 0, 1, 2, 7, 40, len(kept) - 1, len(kept), len(cs), 2 * len(cs)} {
		got := First(cs, n, Cover.Sells)
		want := kept[:max(0, min(n, len(kept)))]
		if !slices.EqualFunc(got, want, func(a, b Cover) bool { return a.Row == b.Row }) {
			t.Fatalf("n=%d: First gives %d rows, not the head of the sort (%d)", n, len(got), len(want))
		}
	}
}
