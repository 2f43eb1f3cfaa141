package app

import (
	"sync"

	"github.com/stockroom/stockroom/store"
)

// coverRowsCache keeps the lean rows the dashboard computes cover from,
// per store, as of the store's inventory version: the report, which has no
// session to hold a Snapshot and no live events to refresh one, answers
// from memory while the version has not moved, and reads the store again
// once it has (an edit, a push, a sync that changed what it shows). The
// version is read before the rows, so a write that lands during the read
// moves it past what the entry records and the next caller reads again:
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
	key  coverRowsKey
	rows []*store.InventoryRow
	used int64
}

// coverRowsKey is what the rows depend on outside the rows themselves:
// the store's version, and its default threshold (a column of stores,
// which does not move the version).
type coverRowsKey struct {
	version    int64
	lowDefault int
}

// get returns the store's rows at its current version (read first),
// read when the cache holds none. The rows are shared: callers must not
// modify them.
func (c *coverRowsCache) get(st store.Store, version func() (int64, error), read func() ([]*store.InventoryRow, error)) ([]*store.InventoryRow, error) {
	e := c.entry(st.ID)
	e.load.Lock()
	defer e.load.Unlock()
	v, err := version()
	if err != nil {
		return nil, err
	}
	k := coverRowsKey{version: v, lowDefault: st.LowStockDefault}
	if rows, ok := c.lookup(e, k); ok {
		return rows, nil
	}
	rows, err := read()
	if err != nil {
		return nil, err
	}
	c.put(st.ID, e, k, rows)
	return rows, nil
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

func (c *coverRowsCache) lookup(e *coverRowsEntry, k coverRowsKey) ([]*store.InventoryRow, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e.rows == nil || e.key != k {
		return nil, false
	}
	c.tick++
	e.used = c.tick
	return e.rows, true
}

// put records rows read at k. A version older than the entry's (a reader
// that read the store before a newer one) does not replace it.
func (c *coverRowsCache) put(storeID int64, e *coverRowsEntry, k coverRowsKey, rows []*store.InventoryRow) {
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
	e.key, e.rows, e.used = k, rows, c.tick
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
