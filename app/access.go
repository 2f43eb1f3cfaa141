// Access that ends while a session is open: a key removed from its account,
// an account disabled. Every session watches its key and is told, here or
// on another replica (the hub's PostgreSQL bridge carries the event).
package app

import (
	"context"
	"errors"
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
// channel is closed when ctx ends. The subscription exists when this
// returns, so no change after it is missed.
func (s *Service) WatchAccess(ctx context.Context, fingerprint string) <-chan error {
	out := make(chan error, 1)
	sub := s.hub.Subscribe(func(e hub.Event) bool { return e.Kind == hub.AccessChanged })
	go func() {
		defer close(out)
		defer sub.Close()
		// The account is looked up here, not before returning: the
		// session's first frame does not wait for it, and what changes
		// meanwhile waits in the subscription, taken out above.
		var accountID int64
		if acct, err := s.db.AccountGetByFingerprint(ctx, fingerprint); err == nil {
			accountID = acct.ID
		}
		poll := time.NewTicker(accessPoll)
		defer poll.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case e, ok := <-sub.C:
				if !ok {
					return
				}
				if accountID == 0 && e.Key == fingerprint {
					accountID = e.AccountID
				}
				if e.AccountID != accountID && accountID != 0 && !sub.Missed() {
					continue
				}
			case <-poll.C:
			}
			var err error
			if accountID, err = s.accessOf(ctx, fingerprint, accountID); err != nil {
				out <- err
				return
			}
		}
	}()
	return out
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
