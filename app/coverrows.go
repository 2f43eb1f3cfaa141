package app

import (
	"cmp"
	"slices"
	"sync"

	"github.com/stockroom/stockroom/store"
)

// coverRowsCache keeps the lean rows the dashboard computes cover from,
// per store, as of the store's inventory version: the report, which has no
// session to hold a Snapshot and no live events to refresh one, answers
// from memory while the version has not moved. Once it has (an edit, a
// push, a sync that changed what it shows, a row removed), it reads the
// offerings removed since (each removal leaves a stamped tombstone), then
// the rows changed since (each written row is stamped), and merges both
// into a copy. A change of the store's default threshold is applied to
// the kept rows that follow it. A row moved to another store, or kept
// rows older than the oldest tombstone kept, send it back to a full read.
// The version is read before the rows, so a write that lands during the
// read moves it past what the entry records and is read again next time:
// never a stale row, at worst one read too many.
//
// Entries are held strongly (a cron report runs every few minutes, with no
// session between) but bounded: past coverRowsMax rows in all, the least
// recently used stores are dropped.
type coverRowsCache struct {
	mu      sync.Mutex
	m       map[int64]*coverRowsEntry
	total   int   // rows held in all entries
	tick    int64 // use counter, for least recently used
	maxRows int   // 0: coverRowsMax
}

// coverRowsMax is how many rows the cache holds in all: four 50,000-row
// shops, about 40 MB.
const coverRowsMax = 200_000

type coverRowsEntry struct {
	load sync.Mutex // one read per store at a time: N reports cause one
	// Set under coverRowsCache.mu.
	key coverRowsKey
	// since is the Since read with key's version: the rows changed after
	// the entry's were read are stamped at or past it.
	since int64
	rows  []*store.InventoryRow // in offering id order
	used  int64
}

// coverRowsKey is what the rows depend on outside the rows themselves:
// the store's version and removals, and its default threshold (a column
// of stores, which does not move the version).
type coverRowsKey struct {
	version, removed int64
	lowDefault       int
}

// coverReads read a store's rows: where they stand, every row, the rows
// changed at or past a Since (in offering id order), or the offerings
// removed at or past one (complete false: the record does not reach back
// that far).
type coverReads struct {
	version func() (store.InventoryVersion, error)
	all     func() ([]*store.InventoryRow, error)
	changed func(since int64) ([]*store.InventoryRow, error)
	removed func(since int64) (ids []int64, complete bool, err error)
}

// get returns the store's rows at its current version (read first), in
// offering id order: the kept ones, those brought up to date with the
// rows changed since, or all of them read again. The rows are shared:
// callers must not modify them.
func (c *coverRowsCache) get(st store.Store, r coverReads) ([]*store.InventoryRow, error) {
	e := c.entry(st.ID)
	e.load.Lock()
	defer e.load.Unlock()
	v, err := r.version()
	if err != nil {
		return nil, err
	}
	k := coverRowsKey{version: v.Version, removed: v.Removed, lowDefault: st.LowStockDefault}
	held, heldKey, heldSince := c.lookup(e)
	if held != nil && heldKey == k {
		return held, nil
	}
	var rows []*store.InventoryRow
	if held != nil && heldKey.removed == k.removed && heldKey.version <= k.version {
		rows = held
		if heldKey.version < k.version {
			// The removals first: one the rows read next show again is
			// a row back (an id SQLite gave anew), not one gone.
			gone, complete, err := r.removed(heldSince)
			if err != nil {
				return nil, err
			}
			rows = nil
			if complete {
				changed, err := r.changed(heldSince)
				if err != nil {
					return nil, err
				}
				rows = patchRows(held, changed, gone)
			}
		}
		if rows != nil && heldKey.lowDefault != k.lowDefault {
			rows = withDefault(rows, k.lowDefault)
		}
	}
	if rows == nil {
		if rows, err = r.all(); err != nil {
			return nil, err
		}
		byOffering(rows)
		if len(rows) == 0 {
			rows = []*store.InventoryRow{} // held: not nil
		}
	}
	c.put(st.ID, e, k, v.Since, rows)
	return rows, nil
}

// patchRows returns a copy of held (shared with other readers: never
// modified) with the changed rows in place of theirs and the new ones
// added, both in offering id order, and the removed ones that did not
// change left out.
func patchRows(held, changed []*store.InventoryRow, removed []int64) []*store.InventoryRow {
	byOffering(changed)
	var gone map[int64]bool
	if len(removed) > 0 {
		gone = make(map[int64]bool, len(removed))
		for _, id := range removed {
			gone[id] = true
		}
		for _, x := range changed {
			delete(gone, x.OfferingID) // there again
		}
	}
	out := make([]*store.InventoryRow, 0, len(held)+len(changed))
	keep := func(rows []*store.InventoryRow) {
		if len(gone) == 0 {
			out = append(out, rows...)
			return
		}
		for _, r := range rows {
			if !gone[r.OfferingID] {
				out = append(out, r)
			}
		}
	}
	for _, x := range changed {
		i, found := slices.BinarySearchFunc(held, x.OfferingID, func(r *store.InventoryRow, id int64) int {
			return cmp.Compare(r.OfferingID, id)
		})
		keep(held[:i])
		out = append(out, x)
		if found {
			i++
		}
		held = held[i:]
	}
	keep(held)
	return out
}

// withDefault returns rows with the store's default threshold def in the
// rows that follow it: a copy of those that differ, the others shared.
func withDefault(rows []*store.InventoryRow, def int) []*store.InventoryRow {
	out := make([]*store.InventoryRow, len(rows))
	n := 0
	for _, r := range rows {
		if r.ThresholdIsDefault && r.Threshold != def {
			n++
		}
	}
	copies := make([]store.InventoryRow, 0, n) // one allocation for all
	for i, r := range rows {
		if r.ThresholdIsDefault && r.Threshold != def {
			copies = append(copies, *r)
			r = &copies[len(copies)-1]
			r.Threshold = def
		}
		out[i] = r
	}
	return out
}

// byOffering sorts rows by offering id, unless they already are (as a
// database returns them more often than not).
func byOffering(rows []*store.InventoryRow) {
	less := func(a, b *store.InventoryRow) int { return cmp.Compare(a.OfferingID, b.OfferingID) }
	if !slices.IsSortedFunc(rows, less) {
		slices.SortFunc(rows, less)
	}
}

func (c *coverRowsCache) entry(storeID int64) *coverRowsEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[int64]*coverRowsEntry{}
	}
	e, ok := c.m[storeID]
	if !ok {
		e = &coverRowsEntry{}
		c.m[storeID] = e
	}
	return e
}

// lookup returns what the entry holds, marking it used.
func (c *coverRowsCache) lookup(e *coverRowsEntry) ([]*store.InventoryRow, coverRowsKey, int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tick++
	e.used = c.tick
	return e.rows, e.key, e.since
}

// put records rows read at k. A version older than the entry's (a reader
// that read the store before a newer one) does not replace it.
func (c *coverRowsCache) put(storeID int64, e *coverRowsEntry, k coverRowsKey, since int64, rows []*store.InventoryRow) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e.rows != nil && e.key.version > k.version {
		return
	}
	if c.m[storeID] != e {
		return // dropped while it was read
	}
	c.tick++
	c.total += len(rows) - len(e.rows)
	e.key, e.since, e.rows, e.used = k, since, rows, c.tick
	limit := c.maxRows
	if limit == 0 {
		limit = coverRowsMax
	}
	for c.total > limit {
		var oldest int64
		var victim *coverRowsEntry
		for id, x := range c.m {
			if x != e && x.rows != nil && (victim == nil || x.used < victim.used) {
				oldest, victim = id, x
			}
		}
		if victim == nil {
			break // the store just read is all there is: keep it
		}
		c.total -= len(victim.rows)
		delete(c.m, oldest)
	}
}
