// Access that ends while a session is open: a key removed from its account,
// an account disabled. Every session watches its key and is told, here or
// on another replica (the hub's PostgreSQL bridge carries the event).
package app

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/store"
)

// ErrKeyRemoved ends the sessions of a key removed from its account.
var ErrKeyRemoved = errors.New("this key was removed from its Stockroom account")

// accessPoll is the backstop when an event is lost (a replica's bridge
// reconnecting): each session re-checks its key this often anyway.
const accessPoll = 30 * time.Second

// accessChanged tells every session of accountID, in every process, to
// re-check its access.
func (s *Service) accessChanged(accountID, storeID int64) {
	s.hub.Publish(hub.Event{Kind: hub.AccessChanged, AccountID: accountID, StoreID: storeID})
}

// keyJoined tells the session of a key that signed up or redeemed a code
// which account it now opens, so its watch follows that account even if the
// key is removed before the watch looks.
func (s *Service) keyJoined(accountID int64, fingerprint string) {
	s.hub.Publish(hub.Event{Kind: hub.AccessChanged, AccountID: accountID, Key: fingerprint})
}

// WatchAccess reports, once, why a session signed with fingerprint can no
// longer act: ErrKeyRemoved when the key no longer opens the account it
// opened, ErrDisabled when that account is disabled. A session that had
// no account yet (sign-up) is watched from the moment its key gets one.
// The check runs on each access-changed event and every accessPoll; the
// channel is closed when ctx ends. The watch exists when this returns, so
// no change after it is missed. accountID is the account the key opened
// when the session was identified (0: none yet, or not known), so the
// session's start does not read it again.
func (s *Service) WatchAccess(ctx context.Context, fingerprint string, accountID int64) <-chan error {
	w := &watch{fingerprint: fingerprint, accountID: accountID, out: make(chan error, 1)}
	// Without an account, it is looked up after the watch is in place, so
	// a key removed meanwhile is caught by the check its event causes, and
	// before returning, so a removal after it is judged against it.
	s.access.add(s, w)
	if accountID == 0 {
		if acct, err := s.db.AccountGetByFingerprint(ctx, fingerprint); err == nil {
			s.access.mu.Lock()
			if w.accountID == 0 {
				w.accountID = acct.ID
			}
			s.access.mu.Unlock()
		}
	}
	context.AfterFunc(ctx, func() { s.access.drop(w, nil) })
	return w.out
}

// accessWatch serves every open session's watch with one goroutine, one
// hub subscription and one ticker per process, instead of one of each per
// session; a poll checks each distinct key once, however many sessions it
// has open. It runs while at least one watch is open.
type accessWatch struct {
	mu      sync.Mutex
	watches map[*watch]struct{}
	stop    chan struct{} // closed when the last watch goes; nil while not running
}

// watch is one session's. accountID is guarded by accessWatch.mu.
type watch struct {
	fingerprint string
	accountID   int64
	out         chan error
}

func (aw *accessWatch) add(s *Service, w *watch) {
	aw.mu.Lock()
	defer aw.mu.Unlock()
	if aw.watches == nil {
		aw.watches = map[*watch]struct{}{}
	}
	aw.watches[w] = struct{}{}
	if aw.stop == nil {
		aw.stop = make(chan struct{})
		// Subscribed before WatchAccess returns: no change is missed.
		sub := s.hub.Subscribe(func(e hub.Event) bool { return e.Kind == hub.AccessChanged })
		go aw.run(s, sub, aw.stop)
	}
}

// drop ends a watch, telling it err first if not nil.
func (aw *accessWatch) drop(w *watch, err error) {
	aw.mu.Lock()
	defer aw.mu.Unlock()
	if _, ok := aw.watches[w]; !ok {
		return
	}
	delete(aw.watches, w)
	if err != nil {
		w.out <- err
	}
	close(w.out)
	if len(aw.watches) == 0 {
		close(aw.stop)
		aw.stop = nil
	}
}

func (aw *accessWatch) run(s *Service, sub *hub.Subscription, stop chan struct{}) {
	defer sub.Close()
	poll := time.NewTicker(accessPoll)
	defer poll.Stop()
	for {
		var due func(w *watch) bool
		select {
		case <-stop:
			return
		case e, ok := <-sub.C:
			if !ok {
				return
			}
			all := sub.Missed()
			due = func(w *watch) bool {
				if w.accountID == 0 && e.Key == w.fingerprint {
					w.accountID = e.AccountID
				}
				return all || w.accountID == 0 || e.AccountID == w.accountID
			}
		case <-poll.C:
			due = func(*watch) bool { return true }
		}
		aw.check(s, due)
	}
}

// check re-checks the watches due says, one query per distinct key and
// account.
func (aw *accessWatch) check(s *Service, due func(w *watch) bool) {
	type keyOf struct {
		fingerprint string
		accountID   int64
	}
	groups := map[keyOf][]*watch{}
	aw.mu.Lock()
	for w := range aw.watches {
		if due(w) {
			k := keyOf{w.fingerprint, w.accountID}
			groups[k] = append(groups[k], w)
		}
	}
	aw.mu.Unlock()
	for k, ws := range groups {
		ctx, cancel := context.WithTimeout(context.Background(), accessPoll)
		id, err := s.accessOf(ctx, k.fingerprint, k.accountID)
		cancel()
		for _, w := range ws {
			if err != nil {
				aw.drop(w, err)
				continue
			}
			aw.mu.Lock()
			w.accountID = id
			aw.mu.Unlock()
		}
	}
}

// accessOf checks a key against the account it opened (0: none yet) and
// returns the account it opens now. Database errors are not a verdict: the
// session goes on and the next check decides.
func (s *Service) accessOf(ctx context.Context, fingerprint string, accountID int64) (int64, error) {
	acct, err := s.db.AccountGetByFingerprint(ctx, fingerprint)
	switch {
	case errors.Is(err, store.ErrNotFound):
		if accountID != 0 {
			return 0, ErrKeyRemoved
		}
		return 0, nil
	case err != nil:
		return accountID, nil
	case accountID != 0 && acct.ID != accountID:
		return 0, ErrKeyRemoved
	case acct.Disabled:
		return 0, ErrDisabled
	}
	return acct.ID, nil
}
