// The store a terminal session opens on, read in as few round trips to the
// database as the checks allow: under a burst of sessions (a shop's staff
// at 9:00, a failover) each one before the first frame is paid by every
// session, and on PostgreSQL each is a wait in the pool's queue.
package app

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/store"
)

// OpenFirstStore is the store a session opens on, the first of the actor's
// (the order StoreIDs gives), with its live events as SubscribeStore gives
// them, until ctx (the session) ends. An actor without a store gets a zero
// store and no subscription.
//
// It checks what StoreIDs and SubscribeStore check, the account still
// active and the membership, but in one statement that lists the
// memberships of an active account, and subscribes on the membership just
// listed: one query instead of StoreIDs' two followed by SubscribeStore's
// two. Only an account that lists no store has its account read, to tell
// a disabled one from one without a store.
func (s *Service) OpenFirstStore(ctx context.Context, a Actor) (store.MemberStore, *hub.Subscription, error) {
	ms, sub, _, err := s.openFirstStore(ctx, a)
	return ms, sub, err
}

// openFirstStore is OpenFirstStore, which also returns when its check
// started. The subscription is made before the check, so the check stands
// for as long as the subscription is open: a membership removed or an
// account disabled after the check started is an event on it. A screen
// that opens on the store therefore need not check again (see
// Snapshots.OpenFirstStore).
func (s *Service) openFirstStore(ctx context.Context, a Actor) (store.MemberStore, *hub.Subscription, time.Time, error) {
	if a.Account.Disabled {
		return store.MemberStore{}, nil, time.Time{}, ErrDisabled
	}
	// The store is not known until the memberships are read: until then
	// the subscription hears the account's own events, which are where a
	// membership removed or an account changed shows.
	var storeID atomic.Int64
	me := a.Account.ID
	sub := s.hub.SubscribeContext(ctx, func(e hub.Event) bool {
		return (e.AccountID == me && accountEvent(e)) || (e.StoreID != 0 && e.StoreID == storeID.Load())
	})
	started := time.Now()
	ms, err := s.db.StoreListForActiveAccount(ctx, a.Account.ID)
	if err == nil && len(ms) == 0 {
		// No store, or an account disabled (or gone) since the session
		// began: the account's own read tells which.
		_, err = s.active(ctx, a)
	}
	if err != nil || len(ms) == 0 {
		sub.Close()
		return store.MemberStore{}, nil, time.Time{}, err
	}
	storeID.Store(ms[0].ID)
	return ms[0], sub, started, nil
}

// storeEvents is what a session on storeID hears: the store's events and
// its own account's (a profile or membership change, its ledger).
func storeEvents(a Actor, storeID int64) func(hub.Event) bool {
	return func(e hub.Event) bool {
		return e.StoreID == storeID || (e.AccountID == a.Account.ID && accountEvent(e))
	}
}
