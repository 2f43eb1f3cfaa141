package cover

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stockroom/stockroom/store"
)

// Sort orders covers exactly as sorting them with
// RunsOutFirst does, ties on days, velocity and title included,
// with sold out, unsold (infinite cover) and negative figures.
func TestRunsOutFirstMatchesTheComparator(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	days := []float64{0, 0.5, 1, 1, 2.5, 10, math.Inf(1), -1}
	vel := []float64{0, 0.1, 0.1, 1.0 / 3, 2, -0.5}
	titles := []string{"", "Mug", "Mug", "Bowl", "mug", "Mug 2", "Ünï"}
	for round := range 54 {
		n := rnd.IntN(400)
		if round >= 50 { // sorted in halves at once, then merged
			n = parallelSortMin + rnd.IntN(3*parallelSortMin)
		}
		cs := make([]Cover, n)
		for i := range cs {
			cs[i] = Cover{Row: &store.InventoryRow{OfferingID: int64(rnd.IntN(1_000_000)*1000 + i), Title: titles[rnd.IntN(len(titles))]},
				Days: days[rnd.IntN(len(days))], Velocity: vel[rnd.IntN(len(vel))]}
		}
		want := slices.Clone(cs)
		slices.SortFunc(want, RunsOutFirst)
		got := Sort(slices.Clone(cs))
		if !slices.EqualFunc(got, want, func(a, b Cover) bool { return a.Row == b.Row }) {
			t.Fatalf("round %d: order differs from RunsOutFirst", round)
		}
	}
}
