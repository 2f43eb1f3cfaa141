// Admin actions on accounts and stores for the `admin` commands. Each is
// recorded as a security event (who, what, from where), reads included:
// an admin looking into a seller's store is worth knowing about.
package app

import (
	"context"

	"github.com/stockroom/stockroom/store"
)

// AdminAccounts lists every account, admins marked by the keys they hold.
func (s *Service) AdminAccounts(ctx context.Context, a Actor) ([]store.Account, error) {
	v, err := s.AdminOverview(ctx, a)
	if err != nil {
		return nil, err
	}
	s.security(ctx, "admin listed accounts", a.who(), "admin", true)
	return v.Accounts, nil
}

// AdminStores lists every store with its members and latest run.
func (s *Service) AdminStores(ctx context.Context, a Actor) ([]AdminStore, error) {
	v, err := s.AdminOverview(ctx, a)
	if err != nil {
		return nil, err
	}
	s.security(ctx, "admin listed stores", a.who(), "admin", true)
	return v.Stores, nil
}

// AdminMembers lists the members of any store.
func (s *Service) AdminMembers(ctx context.Context, a Actor, storeID int64) (store.Store, []store.Membership, error) {
	if err := s.admin(ctx, a); err != nil {
		return store.Store{}, nil, err
	}
	st, err := s.db.StoreGet(ctx, storeID)
	if err != nil {
		return st, nil, err
	}
	ms, err := s.db.MembershipList(ctx, storeID)
	if err != nil {
		return st, nil, err
	}
	s.security(ctx, "admin listed a store's members", a.who(), "store", storeID, "admin", true)
	return st, ms, nil
}
