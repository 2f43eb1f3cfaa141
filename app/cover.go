// Days of cover and restock suggestions: the arithmetic lives in package
// cover, shared with the "runs out within N days" alert rule.
package app

import (
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
	return cover.Compute(rows, sales, p)
}

// SnapshotRows lists a snapshot's rows, for DashboardParams.Rows.
func SnapshotRows(s *Snapshot) []*store.InventoryRow {
	out := make([]*store.InventoryRow, s.Len())
	for i := range out {
		out[i] = s.Row(i)
	}
	return out
}
