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

// admin checks the account as it is now: an admin disabled or demoted while
// a session is open loses the admin actions at once.
func (s *Service) admin(ctx context.Context, a Actor) error {
	acct, err := s.active(ctx, a)
	if errors.Is(err, ErrDisabled) || err == nil && !acct.IsAdmin {
		return ErrNotAdmin
	}
	return err
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
			as.Budget = s.budgets.Budget(BudgetKey(st.ID))
		}
		v.Stores = append(v.Stores, as)
	}
	return v, nil
}

// AdminSetDisabled disables or enables an account. Admins cannot disable
// themselves, so a server always keeps one.
func (s *Service) AdminSetDisabled(ctx context.Context, a Actor, accountID int64, disabled bool) error {
	if err := s.admin(ctx, a); err != nil {
		return err
	}
	if accountID == a.Account.ID && disabled {
		return ErrNotAdmin
	}
	if err := s.db.AccountSetDisabled(ctx, accountID, disabled); err != nil {
		return err
	}
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
	if err := s.jobs.EnqueueSync(ctx, storeID, manualSyncKind(st), store.TriggerManual); err != nil {
		return err
	}
	s.Record(ctx, a, store.ActivityEvent{StoreID: storeID, Source: store.SourceAdmin, Kind: store.KindAdminSync, Subject: st.Name})
	return nil
}
