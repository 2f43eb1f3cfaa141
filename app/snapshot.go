// Shared, read-only inventory snapshots: every session that shows the same
// store holds the same rows, so a 50,000-row shop costs its memory once per
// server rather than once per open terminal.
package app

import (
	"context"
	"slices"
	"sync"
	"time"
	"weak"

	"github.com/stockroom/stockroom/store"
)

// Snapshot is one store's inventory at one moment. It is never modified
// after it is published: a change produces a new Snapshot that shares the
// unchanged rows (copy-on-write), so readers need no lock.
type Snapshot struct {
	StoreID int64
	// LoadedAt is when the full load that this snapshot descends from
	// started (monotonic), so a reload asked for an event seen before then
	// can be answered with this snapshot.
	LoadedAt time.Time
	rows     []*store.InventoryRow
	pos      map[int64]int32 // offering id → index in rows; shared between versions
}

// Len is the number of rows.
func (s *Snapshot) Len() int { return len(s.rows) }

// Row returns row i. The row must not be modified.
func (s *Snapshot) Row(i int) *store.InventoryRow { return s.rows[i] }

// Index returns the position of an offering.
func (s *Snapshot) Index(offeringID int64) (int, bool) {
	i, ok := s.pos[offeringID]
	return int(i), ok
}

// Snapshots caches the latest Snapshot of each store while at least one
// session holds it. Entries are weak: once no session references a store's
// snapshot, the garbage collector frees it and the next Get loads it again.
// Access is checked on every call, for the acting account.
type Snapshots struct {
	svc    *Service
	mu     sync.Mutex
	stores map[int64]*snapEntry
}

type snapEntry struct {
	mu  sync.Mutex // serialises loads of one store, so N sessions cause one load
	cur weak.Pointer[Snapshot]
	// The rows the last refresh read (sorted ids) and when that read
	// started: the other sessions that receive the same event find it
	// applied without reading again.
	lastIDs    []int64
	lastReadAt time.Time

	// access is the last access check of each account on this store, so
	// that the sessions of one account that receive one event share one
	// check instead of each querying the database (500 sessions of a
	// shop's staff made 1,000 queries per edit, queued on the database's
	// connections ahead of the edit itself and of new sessions).
	accessMu sync.Mutex
	access   map[int64]*accessCheck
}

// accessCheck is one account's latest membership check of a store.
type accessCheck struct {
	mu sync.Mutex // one check at a time: the others wait and share it
	at time.Time  // when the check that found ms started
	ms store.MemberStore
	ok bool // ms is a success to share
}

// NewSnapshots returns an empty cache over svc. One cache serves a whole
// server; the SSH server creates it once next to the Service.
func NewSnapshots(svc *Service) *Snapshots {
	return &Snapshots{svc: svc, stores: map[int64]*snapEntry{}}
}

func (c *Snapshots) entry(storeID int64) *snapEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.stores[storeID]
	if !ok {
		e = &snapEntry{}
		c.stores[storeID] = e
	}
	// Drop entries whose snapshots were collected, so the map does not grow
	// with every store ever opened.
	for id, o := range c.stores {
		if id != storeID && o.cur.Value() == nil && o.mu.TryLock() {
			if o.cur.Value() == nil {
				delete(c.stores, id)
			}
			o.mu.Unlock()
		}
	}
	return e
}

// Get returns the current snapshot of one of the actor's stores, loading it
// when no session holds it.
func (c *Snapshots) Get(ctx context.Context, a Actor, storeID int64) (*Snapshot, error) {
	s, _, err := c.Open(ctx, a, storeID)
	return s, err
}

// Open is Get that also returns the actor's membership of the store (its
// name, the actor's role), read by the same access check: a screen opening
// on a store needs both, and each query before a new session's first frame
// counts under a burst of sessions.
func (c *Snapshots) Open(ctx context.Context, a Actor, storeID int64) (*Snapshot, store.MemberStore, error) {
	e := c.entry(storeID)
	ms, err := c.member(ctx, a, e, storeID, time.Now())
	if err != nil {
		return nil, ms, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if s := e.cur.Value(); s != nil {
		return s, ms, nil
	}
	s, err := c.load(ctx, a, e, storeID)
	return s, ms, err
}

// Refresh brings the snapshot up to date after a live event the caller
// received at seen. With offering ids, only those rows are read again and a
// new snapshot shares every other row; when nothing changed (another session
// already applied the event) the current snapshot is returned as is. Without
// ids, or with an id the snapshot does not hold, the store is loaded again
// unless a load started after seen.
//
// seen is also how fresh the access check must be: one that started after
// seen answers for every session of the account that received the same
// event (hub.Event.At), so a fan-out to N sessions checks access once per
// account rather than N times.
func (c *Snapshots) Refresh(ctx context.Context, a Actor, storeID int64, offeringIDs []int64, seen time.Time) (*Snapshot, error) {
	e := c.entry(storeID)
	if _, err := c.member(ctx, a, e, storeID, seen); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	cur := e.cur.Value()
	if cur == nil {
		return c.load(ctx, a, e, storeID)
	}
	// Past a share of the store, one full load reads less than the rows
	// one by one would (and the same query plan as the first load).
	ids := slices.Compact(slices.Sorted(slices.Values(offeringIDs)))
	full := len(ids) == 0 || len(ids) > max(refreshBatchMin, len(cur.rows)/refreshFullShare)
	for _, id := range ids {
		if _, ok := cur.pos[id]; !ok {
			full = true // a row the snapshot does not have: its order is unknown
			break
		}
	}
	var changed []*store.InventoryRow
	if !full && e.lastReadAt.After(seen) && slices.Equal(ids, e.lastIDs) {
		return cur, nil // another session's refresh read these rows after the event
	}
	if !full {
		// One query for every row the event names, whatever their number.
		readAt := time.Now()
		rows, err := c.svc.db.InventoryListByIDs(ctx, &store.InventoryListByIDsParams{
			AccountID: a.Account.ID, StoreID: storeID, OfferingIDs: ids})
		if err != nil {
			return nil, err
		}
		e.lastIDs, e.lastReadAt = ids, readAt
		// A row named but not read back left the store: load it again.
		full = len(rows) != len(ids)
		for i := range rows {
			if r := &rows[i]; !sameRow(cur.rows[cur.pos[r.OfferingID]], r) {
				changed = append(changed, r)
			}
		}
	}
	if full {
		if cur.LoadedAt.After(seen) {
			return cur, nil
		}
		return c.load(ctx, a, e, storeID)
	}
	if len(changed) == 0 {
		return cur, nil
	}
	next := &Snapshot{StoreID: storeID, LoadedAt: cur.LoadedAt, rows: make([]*store.InventoryRow, len(cur.rows)), pos: cur.pos}
	copy(next.rows, cur.rows)
	for _, r := range changed {
		next.rows[cur.pos[r.OfferingID]] = r
	}
	e.cur = weak.Make(next)
	return next, nil
}

// An event naming more than refreshBatchMin rows and more than
// 1/refreshFullShare of the store reloads the store instead of reading
// the rows by id.
const (
	refreshBatchMin  = 64
	refreshFullShare = 4
)

// member is Service.member, answered by a check of the same account that
// started after seen when there is one. Failures are never shared: each
// caller sees its own, and the next caller checks again.
func (c *Snapshots) member(ctx context.Context, a Actor, e *snapEntry, storeID int64, seen time.Time) (store.MemberStore, error) {
	if a.Account.Disabled {
		return store.MemberStore{}, ErrDisabled
	}
	e.accessMu.Lock()
	if e.access == nil {
		e.access = map[int64]*accessCheck{}
	}
	ac, ok := e.access[a.Account.ID]
	if !ok {
		ac = &accessCheck{}
		e.access[a.Account.ID] = ac
	}
	e.accessMu.Unlock()

	ac.mu.Lock()
	defer ac.mu.Unlock()
	if ac.ok && ac.at.After(seen) {
		return ac.ms, nil
	}
	started := time.Now()
	ms, err := c.svc.member(ctx, a, storeID)
	ac.ms, ac.at, ac.ok = ms, started, err == nil
	return ms, err
}

func (c *Snapshots) load(ctx context.Context, a Actor, e *snapEntry, storeID int64) (*Snapshot, error) {
	started := time.Now()
	// Every caller checked membership just before (and the query joins
	// memberships again): no second check per load.
	list, err := c.svc.db.InventoryList(ctx, &store.InventoryListParams{AccountID: a.Account.ID, StoreID: storeID})
	if err != nil {
		return nil, err
	}
	s := &Snapshot{StoreID: storeID, LoadedAt: started, rows: make([]*store.InventoryRow, len(list)), pos: make(map[int64]int32, len(list))}
	for i := range list {
		s.rows[i] = &list[i]
		s.pos[list[i].OfferingID] = int32(i)
	}
	e.cur = weak.Make(s)
	return s, nil
}

// sameRow tells whether two versions of a row show the same thing.
func sameRow(a, b *store.InventoryRow) bool {
	return a.Version == b.Version && a.DesiredVersion == b.DesiredVersion && a.PushedVersion == b.PushedVersion &&
		a.PushStatus == b.PushStatus && a.PushError == b.PushError && a.Quantity == b.Quantity &&
		a.DesiredQuantity == b.DesiredQuantity && a.Threshold == b.Threshold && a.Gone == b.Gone &&
		a.Title == b.Title && a.ListingState == b.ListingState && a.SKU == b.SKU && a.Variation == b.Variation &&
		a.Price == b.Price && a.Enabled == b.Enabled && a.UpdatedAt.Equal(b.UpdatedAt)
}
