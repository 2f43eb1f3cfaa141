// Package hub carries live changes between the parts of Stockroom that
// must see them at once: a sync that finished, stock edited in another
// session, a shop connected in a browser. In one process it is a fan-out of
// channels; with several processes on one PostgreSQL, a Bridge relays events
// through LISTEN/NOTIFY.
package hub

import (
	"context"
	"encoding/json"
	"sync"
	"time"
)

// Kind says what changed.
type Kind string

const (
	StockChanged   Kind = "stock" // offerings of StoreID changed (edit, push, sync)
	SyncStarted    Kind = "sync_started"
	SyncFinished   Kind = "sync_finished"
	StoreChanged   Kind = "store"   // status, settings or tokens of StoreID
	ConnectDone    Kind = "connect" // the OAuth attempt State finished
	AlertsChanged  Kind = "alerts"
	AccountChanged Kind = "account"
	// MembersChanged: AccountID joined, left or changed role in StoreID.
	MembersChanged Kind = "members"
	// AccessChanged: what AccountID may do changed (a key removed, the
	// account disabled or enabled, a membership of StoreID changed).
	// Sessions of the account re-check their access and end or redraw.
	AccessChanged Kind = "access"
	ActivityAdded Kind = "activity" // an event joined the ledger of StoreID (or of AccountID)
)

// Event is one change. Events carry ids, never data: a receiver reloads what
// it shows through the application layer, which checks access.
type Event struct {
	Kind      Kind  `json:"k"`
	StoreID   int64 `json:"s,omitempty"`
	AccountID int64 `json:"a,omitempty"`
	// OfferingIDs names the offerings a StockChanged event is about; none
	// means the whole store (a receiver reloads it).
	OfferingIDs []int64 `json:"o,omitempty"`
	RunID       int64   `json:"r,omitempty"`
	// JobID is the River job of a sync run, so a person waiting for the
	// sync they asked for knows its end from another's.
	JobID int64  `json:"j,omitempty"`
	State string `json:"st,omitempty"`
	// Key is the fingerprint of the SSH key concerned (AccessChanged).
	Key   string `json:"f,omitempty"`
	Error string `json:"e,omitempty"`
	// Origin is the process that published the event, so a bridge does not
	// deliver its own events twice.
	Origin string `json:"p,omitempty"`
	// At is when this process published the event (or heard it from
	// another one), after the change it reports was committed: a read
	// that starts after At sees the change. Every subscriber gets the same
	// At, so the sessions that receive one event can share one read of
	// what it names instead of each reading it again. Not sent between
	// processes: clocks differ.
	At time.Time `json:"-"`
}

// Hub fans events out to subscribers. The zero value is not usable; call New.
type Hub struct {
	mu     sync.Mutex
	subs   map[*Subscription]struct{}
	relay  func(Event) // set by a Bridge
	closed bool
	// dropped is told of every event not delivered: "subscriber" (a slow
	// receiver, which reloads instead) or "relay" (not sent to other
	// processes).
	dropped func(where string)
}

// Option configures a Hub.
type Option func(*Hub)

// WithDropObserver has f told of every event the hub drops, for metrics.
func WithDropObserver(f func(where string)) Option { return func(h *Hub) { h.dropped = f } }

func New(opts ...Option) *Hub {
	h := &Hub{subs: map[*Subscription]struct{}{}, dropped: func(string) {}}
	for _, o := range opts {
		o(h)
	}
	return h
}

// Subscription receives events on C. A slow receiver never blocks the
// publisher: when its buffer is full, events are dropped and Missed is set,
// which a receiver treats as "reload everything".
type Subscription struct {
	C      chan Event
	h      *Hub
	filter func(Event) bool
	mu     sync.Mutex
	missed bool
	// stop unregisters the close that SubscribeContext ties to its context.
	stop  func() bool
	since time.Time
}

// Subscribe returns a subscription for events that pass filter (nil: all).
func (h *Hub) Subscribe(filter func(Event) bool) *Subscription {
	s := &Subscription{C: make(chan Event, 64), h: h, filter: filter}
	h.mu.Lock()
	h.subs[s] = struct{}{}
	h.mu.Unlock()
	s.since = time.Now()
	return s
}

// Since is a moment by which the subscription was receiving (taken after
// it was registered): a check of the database that starts after it needs
// no repeat, since any change committed later is published later and
// reaches C (or sets Missed).
func (s *Subscription) Since() time.Time { return s.since }

// Missed reports, and clears, whether events were dropped.
func (s *Subscription) Missed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.missed
	s.missed = false
	return m
}

// SubscribeContext is Subscribe for a subscription that must not outlive
// ctx (a session): it is closed when ctx ends, even if its owner never got
// to hold it, such as a subscription made as the session was closing.
func (h *Hub) SubscribeContext(ctx context.Context, filter func(Event) bool) *Subscription {
	s := h.Subscribe(filter)
	stop := context.AfterFunc(ctx, s.Close)
	s.mu.Lock()
	s.stop = stop
	s.mu.Unlock()
	return s
}

// Close stops delivery; C is closed.
func (s *Subscription) Close() {
	s.mu.Lock()
	stop := s.stop
	s.mu.Unlock()
	if stop != nil {
		stop()
	}
	s.h.mu.Lock()
	if _, ok := s.h.subs[s]; ok {
		delete(s.h.subs, s)
		close(s.C)
	}
	s.h.mu.Unlock()
}

// Publish delivers e to local subscribers and, with a bridge, to other
// processes.
func (h *Hub) Publish(e Event) {
	if e.At.IsZero() {
		e.At = time.Now()
	}
	h.deliver(e)
	h.mu.Lock()
	relay := h.relay
	h.mu.Unlock()
	if relay != nil {
		relay(e)
	}
}

func (h *Hub) deliver(e Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		if s.filter != nil && !s.filter(e) {
			continue
		}
		select {
		case s.C <- e:
		default:
			s.mu.Lock()
			s.missed = true
			s.mu.Unlock()
			h.dropped("subscriber")
		}
	}
}

// ForStore is a filter for the events of one store.
func ForStore(storeID int64) func(Event) bool {
	return func(e Event) bool { return e.StoreID == storeID }
}

// maxPayload keeps a notification under PostgreSQL's 8000-byte limit on
// pg_notify payloads, with room to spare.
const maxPayload = 7900

// encode renders e for pg_notify. An event too large to send whole (an
// import or a sync touching thousands of offerings) goes without its ids,
// which receivers read as "reload the store": late is fine, lost is not.
func encode(e Event) string {
	b, _ := json.Marshal(e) // Event is plain strings and numbers: Marshal cannot fail
	if len(b) <= maxPayload {
		return string(b)
	}
	e.OfferingIDs = nil
	if len(e.Error) > 1000 {
		e.Error = e.Error[:1000]
	}
	b, _ = json.Marshal(e)
	return string(b)
}
