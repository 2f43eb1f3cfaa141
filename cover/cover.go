// Package cover works out days of cover and restock suggestions from a
// store's rows and the sales of its products. It is pure arithmetic over
// what the store reads, shared by the dashboard (app) and the
// "runs out within N days" alert rule (store/sqlstore).
package cover

import (
	"cmp"
	"container/heap"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/stockroom/stockroom/store"
)

// Cover periods and targets, in days.
const (
	DefaultCoverDays   = 30
	DefaultTargetCover = 30
	MaxCoverDays       = 365
)

// Cover is one variation's recent sales and how long its stock lasts at
// that pace.
type Cover struct {
	// Row is shared (with a Snapshot, say): it must not be modified.
	Row *store.InventoryRow
	// Units and Revenue (hundredths of the store's currency) were sold in
	// the period.
	Units   int
	Revenue int64
	// Velocity is units sold per day: over the period, or over the
	// listing's age when it was listed during the period.
	Velocity float64
	// Days is stock ÷ velocity: +Inf when the variation does not sell,
	// 0 when it is sold out.
	Days float64
	// Restock is how many units bring the stock to the target cover (never
	// past Etsy's 999).
	Restock int
}

// Sells tells whether the variation sold in the period.
func (c Cover) Sells() bool { return c.Velocity > 0 }

// Params are the period sales are counted over and the cover a
// restock aims for.
type Params struct {
	Days   int // the period, default 30
	Target int // the target cover in days, default 30
	Now    time.Time
}

// ComputeCover works out each live row's velocity, days of cover and
// restock from the period's sales, sorted "runs out first": the fewest
// days of cover first, the faster seller first among equals, rows that do
// not sell last. A sales line is matched to its row by Etsy product id,
// else (Etsy reissues product ids on every inventory write) by listing and
// SKU, by listing and variation, or to a listing's only row.
func Compute(rows []*store.InventoryRow, sales []store.ProductSales, p Params) []Cover {
	return Sort(Unsorted(rows, sales, p))
}

// Unsorted is Compute without the sort: the covers in the order of rows.
// A screen that shows a few of 50,000 rows selects them with First
// instead of sorting every one.
func Unsorted(rows []*store.InventoryRow, sales []store.ProductSales, p Params) []Cover {
	p.Days = cmp.Or(p.Days, DefaultCoverDays)
	p.Target = cmp.Or(p.Target, DefaultTargetCover)
	type lv struct {
		listing int64
		key     string
	}
	out := make([]Cover, 0, len(rows))
	byProduct := make(map[int64]int, len(rows))
	for _, r := range rows {
		if r.Gone {
			continue
		}
		byProduct[r.EtsyProductID] = len(out)
		out = append(out, Cover{Row: r})
	}
	// The other keys are needed only for lines whose product id is not
	// current (sold before Etsy reissued it): built at the first such.
	var bySKU, byVariation map[lv]int
	var perListing map[int64]int // listing -> index, -1 when it has several rows
	fallback := func() {
		bySKU, byVariation, perListing = map[lv]int{}, map[lv]int{}, map[int64]int{}
		for i, c := range out {
			r := c.Row
			if r.SKU != "" {
				bySKU[lv{r.EtsyListingID, r.SKU}] = i
			}
			byVariation[lv{r.EtsyListingID, r.Variation}] = i
			if _, ok := perListing[r.EtsyListingID]; ok {
				perListing[r.EtsyListingID] = -1
			} else {
				perListing[r.EtsyListingID] = i
			}
		}
	}
	find := func(x store.ProductSales) (int, bool) {
		if i, ok := byProduct[x.EtsyProductID]; ok && x.EtsyProductID != 0 {
			return i, true
		}
		if bySKU == nil {
			fallback()
		}
		if i, ok := bySKU[lv{x.EtsyListingID, x.SKU}]; ok && x.SKU != "" {
			return i, true
		}
		if i, ok := byVariation[lv{x.EtsyListingID, x.Variation}]; ok {
			return i, true
		}
		if i, ok := perListing[x.EtsyListingID]; ok && i >= 0 {
			return i, true
		}
		return 0, false
	}
	for _, x := range sales {
		if i, ok := find(x); ok {
			out[i].Units += x.Units
			out[i].Revenue += x.Revenue
		}
	}
	period := time.Duration(p.Days) * 24 * time.Hour
	for i := range out {
		c := &out[i]
		c.Velocity, c.Days, c.Restock = coverOf(c.Units, c.Row.Shown(), c.Row.ListedAt, period, p)
	}
	return out
}

// First returns up to n of cs for which keep holds, the first in
// RunsOutFirst order, sorted: what sorting cs and taking the first n kept
// would give (RunsOutFirst is a total order), in O(len(cs) log n) with a
// heap of n holding the best seen so far, its worst on top.
func First(cs []Cover, n int, keep func(Cover) bool) []Cover {
	if n <= 0 {
		return nil
	}
	h := worstFirst(make([]Cover, 0, min(n, len(cs))))
	for _, c := range cs {
		switch {
		case !keep(c):
		case len(h) < n:
			heap.Push(&h, c)
		case RunsOutFirst(c, h[0]) < 0:
			h[0] = c
			heap.Fix(&h, 0)
		}
	}
	slices.SortFunc(h, RunsOutFirst)
	return h
}

// worstFirst is a heap of covers, the last in RunsOutFirst order on top.
type worstFirst []Cover

func (h worstFirst) Len() int           { return len(h) }
func (h worstFirst) Less(i, j int) bool { return RunsOutFirst(h[i], h[j]) > 0 }
func (h worstFirst) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *worstFirst) Push(x any)        { *h = append(*h, x.(Cover)) }
func (h *worstFirst) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// coverKey is what RunsOutFirst compares, held in line: sorting
// 50,000 covers by it reads no row (each a cache miss away) until two
// rows tie on days and velocity.
type coverKey struct {
	days, negVelocity float64
	title             string
	id                int64
	i                 int
}

// Sort returns cs in RunsOutFirst's order (a total order: offering ids
// differ), sorted by keys. A NaN, which no cover has, would
// compare unlike cmp.Compare: such a list is sorted the plain way. A
// long list is sorted in two halves at once, then merged: a report's
// 50,000 covers are sorted after every read is done, with a second
// core idle.
func Sort(cs []Cover) []Cover {
	keys := make([]coverKey, len(cs))
	for i, c := range cs {
		if math.IsNaN(c.Days) || math.IsNaN(c.Velocity) {
			slices.SortFunc(cs, RunsOutFirst)
			return cs
		}
		keys[i] = coverKey{days: c.Days, negVelocity: -c.Velocity, title: c.Row.Title, id: c.Row.OfferingID, i: i}
	}
	out := make([]Cover, len(cs))
	if len(keys) < parallelSortMin {
		slices.SortFunc(keys, compareKeys)
		for i, k := range keys {
			out[i] = cs[k.i]
		}
		return out
	}
	a, b := keys[:len(keys)/2], keys[len(keys)/2:]
	var wg sync.WaitGroup
	wg.Go(func() { slices.SortFunc(b, compareKeys) })
	slices.SortFunc(a, compareKeys)
	wg.Wait()
	for i := range out {
		if len(b) == 0 || len(a) > 0 && compareKeys(a[0], b[0]) < 0 {
			out[i], a = cs[a[0].i], a[1:]
		} else {
			out[i], b = cs[b[0].i], b[1:]
		}
	}
	return out
}

// parallelSortMin is the length from which Sort sorts halves at once:
// below it a goroutine costs more than it saves.
const parallelSortMin = 8192

// compareKeys is RunsOutFirst on keys.
func compareKeys(a, b coverKey) int {
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
}

// RunsOutFirst orders covers: the fewest days first, the faster seller
// first among equals, then by title and offering for a stable order.
func RunsOutFirst(a, b Cover) int {
	if c := cmp.Compare(a.Days, b.Days); c != 0 {
		return c
	}
	if c := cmp.Compare(b.Velocity, a.Velocity); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Row.Title, b.Row.Title); c != 0 {
		return c
	}
	return cmp.Compare(a.Row.OfferingID, b.Row.OfferingID)
}

// coverOf is one row's velocity, days of cover and restock. A listing
// younger than the period sold over its age (at least a day), so a new
// listing's pace is not diluted by days it did not exist.
func coverOf(units, stock int, listed time.Time, period time.Duration, p Params) (velocity, days float64, restock int) {
	span := period
	if !listed.IsZero() && p.Now.Sub(listed) < period {
		span = max(p.Now.Sub(listed), 24*time.Hour)
	}
	velocity = float64(units) / span.Hours() * 24
	switch {
	case stock <= 0:
		days = 0
	case velocity == 0:
		days = math.Inf(1)
	default:
		days = float64(stock) / velocity
	}
	if velocity > 0 {
		want := int(math.Ceil(velocity*float64(p.Target))) - max(stock, 0)
		restock = min(max(want, 0), 999-max(stock, 0))
	}
	return velocity, days, restock
}
