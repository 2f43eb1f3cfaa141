// Package hub carries live changes between the parts of Stockroom that
// must see them at once: a sync that finished, stock edited in another
// session, a shop connected in a browser. In one process it is a fan-out of
// channels; with several processes on one PostgreSQL, a Bridge relays events
// through LISTEN/NOTIFY.
package hub

import (
	"encoding/json"
	"sync"
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
	ActivityAdded  Kind = "activity" // an event joined the ledger of StoreID (or of AccountID)
)

// Event is one change. Events carry ids, never data: a receiver reloads what
// it shows through the application layer, which checks access.
type Event struct {
	Kind        Kind    `json:"k"`
	StoreID     int64   `json:"s,omitempty"`
	AccountID   int64   `json:"a,omitempty"`
	OfferingIDs []int64 `json:"o,omitempty"`
	RunID       int64   `json:"r,omitempty"`
	State       string  `json:"st,omitempty"`
	Error       string  `json:"e,omitempty"`
	// Origin is the process that published the event, so a bridge does not
	// deliver its own events twice.
	Origin string `json:"p,omitempty"`
}

// Hub fans events out to subscribers. The zero value is not usable; call New.
type Hub struct {
	mu     sync.Mutex
	subs   map[*Subscription]struct{}
	relay  func(Event) // set by a Bridge
	closed bool
}

func New() *Hub { return &Hub{subs: map[*Subscription]struct{}{}} }

// Subscription receives events on C. A slow receiver never blocks the
// publisher: when its buffer is full, events are dropped and Missed is set,
// which a receiver treats as "reload everything".
type Subscription struct {
	C      chan Event
	h      *Hub
	filter func(Event) bool
	mu     sync.Mutex
	missed bool
}

// Subscribe returns a subscription for events that pass filter (nil: all).
func (h *Hub) Subscribe(filter func(Event) bool) *Subscription {
	s := &Subscription{C: make(chan Event, 64), h: h, filter: filter}
	h.mu.Lock()
	h.subs[s] = struct{}{}
	h.mu.Unlock()
	return s
}

// Missed reports, and clears, whether events were dropped.
func (s *Subscription) Missed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.missed
	s.missed = false
	return m
}

// Close stops delivery; C is closed.
func (s *Subscription) Close() {
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
		}
	}
}

// ForStore is a filter for the events of one store.
func ForStore(storeID int64) func(Event) bool {
	return func(e Event) bool { return e.StoreID == storeID }
}

func encode(e Event) string {
	b, _ := json.Marshal(e)
	return string(b)
}
