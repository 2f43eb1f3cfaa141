// Shared, read-only inventory snapshots: every session that shows the same
// store holds the same rows, so a 50,000-row shop costs its memory once per
// server rather than once per open terminal.
package app

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"weak"

	"github.com/stockroom/stockroom/hub"
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

	// memo holds what screens derive from this version's rows (see Memo).
	// It belongs to this version only: a new snapshot starts without it,
	// so nothing derived from older rows outlives them.
	memoMu sync.Mutex
	memo   map[any]func() any // sync.OnceValue of each key's compute
}

// Memo returns compute's result for key, computed once per snapshot
// however many sessions ask: the sessions that show one store would
// otherwise each derive the same thing from the same rows (the Inventory
// screen's sorted order: under a burst of 50 sessions opening one shop,
// their sorts were 8 % of the server's CPU). Callers asking for a key
// being computed wait for that computation. The result is shared, so it
// must not be modified; key must be comparable (a screen's own type keeps
// its keys apart from other screens').
func (s *Snapshot) Memo(key any, compute func(*Snapshot) any) any {
	s.memoMu.Lock()
	if s.memo == nil {
		s.memo = map[any]func() any{}
	}
	v, ok := s.memo[key]
	if !ok {
		// A compute that panics panics again for every caller, rather
		// than leaving nil for the next one.
		v = sync.OnceValue(func() any { return compute(s) })
		s.memo[key] = v
	}
	s.memoMu.Unlock()
	return v()
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
	mu sync.Mutex // serialises loads and reads of one store, so N sessions cause one
	// cur is the latest snapshot, written under mu and read without it:
	// a session that finds its answer there (a new session's first
	// frame, or one of many sessions receiving an event another already
	// applied) does not queue behind the sessions that wait for mu.
	cur atomic.Pointer[weak.Pointer[Snapshot]]
	// The rows the last refresh read (sorted ids) and when that read
	// started: the other sessions that receive the same event find it
	// applied without reading again. Written under mu.
	last atomic.Pointer[lastRead]

	// access is the last access check of each account on this store, so
	// that the sessions of one account that receive one event share one
	// check instead of each querying the database (500 sessions of a
	// shop's staff made 1,000 queries per edit, queued on the database's
	// connections ahead of the edit itself and of new sessions).
	accessMu sync.Mutex
	access   map[int64]*accessCheck
	// handed is when a session's first store last left its check here
	// (unix ns) for the screen that opens next: until handedGrace has
	// passed, the entry is kept even without a snapshot, so that a first
	// session of a store does not lose its check to another store's
	// sessions dropping unused entries, and check again.
	handed atomic.Int64
}

// handedGrace is how long an entry without a snapshot keeps a check handed
// to it (see snapEntry.handed).
const handedGrace = 30 * time.Second

// waiting tells whether a check handed to the entry may still be taken.
func (e *snapEntry) waiting(now time.Time) bool {
	return now.UnixNano()-e.handed.Load() < int64(handedGrace)
}

type lastRead struct {
	ids    []int64
	readAt time.Time
}

// current is the latest snapshot, nil when none is held.
func (e *snapEntry) current() *Snapshot {
	if w := e.cur.Load(); w != nil {
		return w.Value()
	}
	return nil
}

// publish makes s the latest snapshot; the caller holds mu.
func (e *snapEntry) publish(s *Snapshot) {
	w := weak.Make(s)
	e.cur.Store(&w)
}

// applied returns the current snapshot when a read of exactly ids started
// after seen, so the caller's event is in it.
func (e *snapEntry) applied(ids []int64, seen time.Time) *Snapshot {
	if l := e.last.Load(); l != nil && l.readAt.After(seen) && slices.Equal(ids, l.ids) {
		return e.current()
	}
	return nil
}

// accessCheck is one account's latest membership check of a store.
type accessCheck struct {
	// ok is the latest successful check, read without a lock.
	ok atomic.Pointer[accessResult]
	mu sync.Mutex
	// flight is the check under way, which callers that saw their event
	// before it started wait for together (guarded by mu).
	flight *accessFlight
}

type accessResult struct {
	at time.Time // when the check started
	ms store.MemberStore
}

type accessFlight struct {
	started time.Time
	done    chan struct{} // closed when res and err are set
	res     *accessResult
	err     error
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
	now := time.Now()
	for id, o := range c.stores {
		if id != storeID && o.current() == nil && !o.waiting(now) && o.mu.TryLock() {
			if o.current() == nil {
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
	return c.OpenSince(ctx, a, storeID, time.Time{})
}

// OpenSince is Open for a session whose live subscription to the store
// (and to its own account's events) has been receiving since live: an
// access check of the account that started after live stands, since a
// membership removed later reaches the session as an event, and it answers
// instead of a new one. The session's first store comes with such a check
// (OpenFirstStore), so its first screen reads no membership again. A zero
// live checks now, as Open does.
func (c *Snapshots) OpenSince(ctx context.Context, a Actor, storeID int64, live time.Time) (*Snapshot, store.MemberStore, error) {
	e := c.entry(storeID)
	var ms store.MemberStore
	var err error
	if live.IsZero() {
		ms, err = c.checkNow(ctx, a, e, storeID)
	} else {
		ms, err = c.member(ctx, a, e, storeID, live)
	}
	if err != nil {
		return nil, ms, err
	}
	if s := e.current(); s != nil {
		return s, ms, nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if s := e.current(); s != nil {
		return s, ms, nil
	}
	s, err := c.load(ctx, a, e, storeID)
	return s, ms, err
}

// OpenFirstStore is Service.OpenFirstStore, whose access check, made once
// its subscription was receiving, is kept as the account's latest check of
// the store: the screen that opens on it (OpenSince with the
// subscription's Since) takes it instead of reading the account and the
// membership again.
func (c *Snapshots) OpenFirstStore(ctx context.Context, a Actor) (store.MemberStore, *hub.Subscription, error) {
	ms, sub, checked, err := c.svc.openFirstStore(ctx, a)
	if err == nil && sub != nil {
		e := c.entry(ms.ID)
		e.accessOf(a.Account.ID).keep(&accessResult{at: checked, ms: ms})
		e.handed.Store(time.Now().UnixNano())
	}
	return ms, sub, err
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
	ids := slices.Compact(slices.Sorted(slices.Values(offeringIDs)))
	// Most of the sessions that receive an event find it applied by the
	// first of them: they need not wait for the lock.
	if s := e.applied(ids, seen); len(ids) > 0 && s != nil {
		return s, nil
	}
	if s := e.current(); len(ids) == 0 && s != nil && s.LoadedAt.After(seen) {
		return s, nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	cur := e.current()
	if cur == nil {
		return c.load(ctx, a, e, storeID)
	}
	// Past a share of the store, one full load reads less than the rows
	// one by one would (and the same query plan as the first load).
	full := len(ids) == 0 || len(ids) > max(refreshBatchMin, len(cur.rows)/refreshFullShare)
	for _, id := range ids {
		if _, ok := cur.pos[id]; !ok {
			full = true // a row the snapshot does not have: its order is unknown
			break
		}
	}
	var changed []*store.InventoryRow
	if !full && e.applied(ids, seen) != nil {
		return cur, nil // another session's refresh read these rows after the event
	}
	// read is recorded once the snapshot it gives is current: a session
	// that finds it (without the lock) takes the current snapshot.
	var read *lastRead
	if !full {
		// One query for every row the event names, whatever their number.
		read = &lastRead{ids: ids, readAt: time.Now()}
		rows, err := c.svc.db.InventoryListByIDs(ctx, &store.InventoryListByIDsParams{
			AccountID: a.Account.ID, StoreID: storeID, OfferingIDs: ids})
		if err != nil {
			return nil, err
		}
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
			e.recordRead(read)
			return cur, nil
		}
		s, err := c.load(ctx, a, e, storeID)
		if err == nil {
			e.recordRead(read)
		}
		return s, err
	}
	if len(changed) == 0 {
		e.recordRead(read)
		return cur, nil
	}
	next := &Snapshot{StoreID: storeID, LoadedAt: cur.LoadedAt, rows: make([]*store.InventoryRow, len(cur.rows)), pos: cur.pos}
	copy(next.rows, cur.rows)
	for _, r := range changed {
		next.rows[cur.pos[r.OfferingID]] = r
	}
	e.publish(next)
	e.recordRead(read)
	return next, nil
}

// recordRead records a refresh's read (nil: none was made); the caller
// holds mu and has published what the read gave.
func (e *snapEntry) recordRead(r *lastRead) {
	if r != nil {
		e.last.Store(r)
	}
}

// An event naming more than refreshBatchMin rows and more than
// 1/refreshFullShare of the store reloads the store instead of reading
// the rows by id.
const (
	refreshBatchMin  = 64
	refreshFullShare = 4
)

// accessOf is the account's access checks of the store.
func (e *snapEntry) accessOf(accountID int64) *accessCheck {
	e.accessMu.Lock()
	defer e.accessMu.Unlock()
	if e.access == nil {
		e.access = map[int64]*accessCheck{}
	}
	ac, ok := e.access[accountID]
	if !ok {
		ac = &accessCheck{}
		e.access[accountID] = ac
	}
	return ac
}

// keep records a successful check unless a later one is recorded.
func (ac *accessCheck) keep(r *accessResult) {
	for {
		old := ac.ok.Load()
		if old != nil && !r.at.After(old.at) {
			return
		}
		if ac.ok.CompareAndSwap(old, r) {
			return
		}
	}
}

// checkNow is Service.member, asked now (a session opening): it never
// waits for other sessions' checks, and its success answers theirs.
func (c *Snapshots) checkNow(ctx context.Context, a Actor, e *snapEntry, storeID int64) (store.MemberStore, error) {
	started := time.Now()
	ms, err := c.svc.member(ctx, a, storeID)
	if err == nil {
		e.accessOf(a.Account.ID).keep(&accessResult{at: started, ms: ms})
	}
	return ms, err
}

// member is Service.member, answered by a check of the same account that
// started after seen when there is one, or shared with the other sessions
// that wait for one. Failures are never shared: each caller sees its own,
// and the next caller checks again.
func (c *Snapshots) member(ctx context.Context, a Actor, e *snapEntry, storeID int64, seen time.Time) (store.MemberStore, error) {
	if a.Account.Disabled {
		return store.MemberStore{}, ErrDisabled
	}
	ac := e.accessOf(a.Account.ID)
	if r := ac.ok.Load(); r != nil && r.at.After(seen) {
		return r.ms, nil
	}
	ac.mu.Lock()
	if f := ac.flight; f != nil && f.started.After(seen) {
		// A check started after the event: wait for it with the other
		// sessions (all wake at once, not one after another).
		ac.mu.Unlock()
		select {
		case <-f.done:
		case <-ctx.Done():
			return store.MemberStore{}, ctx.Err()
		}
		if f.err == nil {
			return f.res.ms, nil
		}
		return c.svc.member(ctx, a, storeID)
	}
	f := &accessFlight{started: time.Now(), done: make(chan struct{})}
	ac.flight = f
	ac.mu.Unlock()
	ms, err := c.svc.member(ctx, a, storeID)
	f.err = err
	if err == nil {
		f.res = &accessResult{at: f.started, ms: ms}
		ac.keep(f.res)
	}
	ac.mu.Lock()
	if ac.flight == f {
		ac.flight = nil
	}
	ac.mu.Unlock()
	close(f.done)
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
	e.publish(s)
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
