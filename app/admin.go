// The admin view: every account and store, their sync health and budget.
package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/stockroom/stockroom/etsy"
	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/store"
)

// AdminStore is one store with its members and latest run.
type AdminStore struct {
	Store   store.Store
	Members []store.Membership
	LastRun *store.SyncRun
	Budget  etsy.Budget
}

// AdminView is the admin screen's data.
type AdminView struct {
	Accounts []store.Account
	Stores   []AdminStore
}

// admin checks the session as it is now: its key is an admin key
// (STOCKROOM_ADMIN_KEYS) and still opens this account, which is enabled. An
// admin disabled, or whose key was removed, while a session is open loses
// the admin actions at once; an account that merely holds an admin key is
// not admin in sessions of its other keys.
func (s *Service) admin(ctx context.Context, a Actor) error {
	if !s.admins[a.Fingerprint] {
		s.securityLimited(ctx, "admin action refused", a.who())
		return ErrNotAdmin
	}
	acct, err := s.db.AccountGetByFingerprint(ctx, a.Fingerprint)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return ErrNotAdmin
	case err != nil:
		return err
	case acct.ID != a.Account.ID || acct.Disabled:
		return ErrNotAdmin
	}
	return nil
}

// AdminOverview lists every account and store.
func (s *Service) AdminOverview(ctx context.Context, a Actor) (AdminView, error) {
	if err := s.admin(ctx, a); err != nil {
		return AdminView{}, err
	}
	var v AdminView
	var err error
	if v.Accounts, err = s.db.AccountList(ctx); err != nil {
		return v, err
	}
	// Shown as admin: accounts that hold an admin key, whose sessions with
	// that key are admin. The stored flag is not read: admin status
	// belongs to keys.
	for i := range v.Accounts {
		keys, err := s.db.KeyList(ctx, v.Accounts[i].ID)
		if err != nil {
			return v, err
		}
		v.Accounts[i].IsAdmin = false
		for _, k := range keys {
			v.Accounts[i].IsAdmin = v.Accounts[i].IsAdmin || s.admins[k.Fingerprint]
		}
	}
	stores, err := s.db.StoreList(ctx)
	if err != nil {
		return v, err
	}
	runs, err := s.db.SyncRunListAll(ctx, 1000)
	if err != nil {
		return v, err
	}
	last := map[int64]*store.SyncRun{}
	for i := range runs {
		if last[runs[i].StoreID] == nil {
			last[runs[i].StoreID] = &runs[i]
		}
	}
	for _, st := range stores {
		members, err := s.db.MembershipList(ctx, st.ID)
		if err != nil {
			return v, err
		}
		as := AdminStore{Store: st, Members: members, LastRun: last[st.ID]}
		if s.budgets != nil {
			as.Budget = s.budgets.Budget(etsy.StoreKey(st.ID))
		}
		v.Stores = append(v.Stores, as)
	}
	return v, nil
}

// AdminSubscribe follows what the admin view shows, across every store
// and account: a session's own subscription only covers its current store.
func (s *Service) AdminSubscribe(ctx context.Context, a Actor) (*hub.Subscription, error) {
	if err := s.admin(ctx, a); err != nil {
		return nil, err
	}
	return s.hub.Subscribe(func(e hub.Event) bool {
		switch e.Kind {
		case hub.AccountChanged, hub.StoreChanged, hub.SyncStarted, hub.SyncFinished, hub.StockChanged:
			return true
		case hub.ActivityAdded:
			// The Activity screen's admin ledger.
			return true
		}
		return false
	}), nil
}

// ErrDisableSelf refuses an admin's disabling of their own account, so a
// server always keeps an admin.
var ErrDisableSelf = errors.New("you cannot disable your own account: another admin can")

// AdminSetDisabled disables or enables an account. Admins cannot disable
// themselves, so a server always keeps one.
func (s *Service) AdminSetDisabled(ctx context.Context, a Actor, accountID int64, disabled bool) error {
	if err := s.admin(ctx, a); err != nil {
		return err
	}
	if accountID == a.Account.ID && disabled {
		return ErrDisableSelf
	}
	if err := s.db.AccountSetDisabled(ctx, accountID, disabled); err != nil {
		return err
	}
	event := "account enabled"
	if disabled {
		event = "account disabled"
	}
	s.security(ctx, event, a.who(), "target", accountID, "admin", true)
	s.accessChanged(accountID, 0)
	s.hub.Publish(hub.Event{Kind: hub.AccountChanged, AccountID: accountID})
	kind := store.KindAccountEnable
	if disabled {
		kind = store.KindAccountDisable
	}
	s.Record(ctx, a, store.ActivityEvent{AccountID: accountID, Source: store.SourceAdmin, Kind: kind, Subject: fmt.Sprintf("account %d", accountID)})
	return nil
}

// AdminSyncStore enqueues a sync of any store.
func (s *Service) AdminSyncStore(ctx context.Context, a Actor, storeID int64) error {
	if err := s.admin(ctx, a); err != nil {
		return err
	}
	st, err := s.db.StoreGet(ctx, storeID)
	if err != nil {
		return err
	}
	s.security(ctx, "admin synced a store", a.who(), "store", storeID, "admin", true)
	if err := s.jobs.EnqueueSync(ctx, storeID, manualSyncKind(st), store.TriggerManual); err != nil {
		return err
	}
	s.Record(ctx, a, store.ActivityEvent{StoreID: storeID, Source: store.SourceAdmin, Kind: store.KindAdminSync, Subject: st.Name})
	return nil
}
