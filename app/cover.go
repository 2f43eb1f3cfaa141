// Days of cover and restock suggestions: the arithmetic lives in package
// cover, shared with the "runs out within N days" alert rule.
package app

import (
	"cmp"
	"math"
	"slices"

	"github.com/stockroom/stockroom/cover"
	"github.com/stockroom/stockroom/store"
)

// Cover periods and targets, in days.
const (
	DefaultCoverDays   = cover.DefaultCoverDays
	DefaultTargetCover = cover.DefaultTargetCover
	MaxCoverDays       = cover.MaxCoverDays
)

// Cover is one variation's recent sales and how long its stock lasts.
type Cover = cover.Cover

// CoverParams are the period sales are counted over and the cover a
// restock aims for.
type CoverParams = cover.Params

// ComputeCover works out each live row's velocity, days of cover and
// restock, sorted "runs out first" (see cover.Compute).
func ComputeCover(rows []*store.InventoryRow, sales []store.ProductSales, p CoverParams) []Cover {
	return runsOutFirst(cover.Unsorted(rows, sales, p))
}

// coverKey is what cover.RunsOutFirst compares, held in line: sorting
// 50,000 covers by it reads no row (each a cache miss away) until two
// rows tie on days and velocity.
type coverKey struct {
	days, negVelocity float64
	title             string
	id                int64
	i                 int
}

// runsOutFirst returns cs in cover.RunsOutFirst's order (a total order:
// offering ids differ), sorted by keys. A NaN, which no cover has, would
// compare unlike cmp.Compare: such a list is sorted the plain way.
func runsOutFirst(cs []Cover) []Cover {
	keys := make([]coverKey, len(cs))
	for i, c := range cs {
		if math.IsNaN(c.Days) || math.IsNaN(c.Velocity) {
			slices.SortFunc(cs, cover.RunsOutFirst)
			return cs
		}
		keys[i] = coverKey{days: c.Days, negVelocity: -c.Velocity, title: c.Row.Title, id: c.Row.OfferingID, i: i}
	}
	slices.SortFunc(keys, func(a, b coverKey) int {
		switch {
		case a.days < b.days:
			return -1
		case a.days > b.days:
			return 1
		case a.negVelocity < b.negVelocity:
			return -1
		case a.negVelocity > b.negVelocity:
			return 1
		}
		if a.title != b.title {
			if a.title < b.title {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.id, b.id)
	})
	out := make([]Cover, len(cs))
	for i, k := range keys {
		out[i] = cs[k.i]
	}
	return out
}

// SnapshotRows lists a snapshot's rows, for DashboardParams.Rows.
func SnapshotRows(s *Snapshot) []*store.InventoryRow {
	out := make([]*store.InventoryRow, s.Len())
	for i := range out {
		out[i] = s.Row(i)
	}
	return out
}
