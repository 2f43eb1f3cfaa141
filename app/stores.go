// Stores, their settings, connecting a shop, and syncs.
package app

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/stockroom/stockroom/etsy"
	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/store"
)

// StoreView is a store as its member sees it on the Stores screen.
type StoreView struct {
	store.MemberStore
	Budget  etsy.Budget
	LastRun *store.SyncRun
}

// Stores lists the actor's stores with their sync state and Etsy budget.
func (s *Service) Stores(ctx context.Context, a Actor) ([]StoreView, error) {
	if _, err := s.active(ctx, a); err != nil {
		return nil, err
	}
	ms, err := s.db.StoreListForAccount(ctx, a.Account.ID)
	if err != nil {
		return nil, err
	}
	out := make([]StoreView, 0, len(ms))
	for _, m := range ms {
		v := StoreView{MemberStore: m}
		if s.budgets != nil {
			v.Budget = s.budgets.Budget(BudgetKey(m.ID))
		}
		runs, err := s.db.SyncRunList(ctx, &store.SyncRunListParams{AccountID: a.Account.ID, StoreID: m.ID, Limit: 1})
		if err != nil {
			return nil, err
		}
		if len(runs) == 1 {
			v.LastRun = &runs[0]
		}
		out = append(out, v)
	}
	return out, nil
}

// Store returns one of the actor's stores.
func (s *Service) Store(ctx context.Context, a Actor, storeID int64) (store.MemberStore, error) {
	return s.member(ctx, a, storeID)
}

// ResolveStore picks a store for a command: by id, Etsy shop id or name;
// with ref empty, the actor's only store.
func (s *Service) ResolveStore(ctx context.Context, a Actor, ref string) (store.MemberStore, error) {
	if _, err := s.active(ctx, a); err != nil {
		return store.MemberStore{}, err
	}
	ms, err := s.db.StoreListForAccount(ctx, a.Account.ID)
	if err != nil {
		return store.MemberStore{}, err
	}
	if len(ms) == 0 {
		return store.MemberStore{}, ErrNoStore
	}
	if ref == "" {
		if len(ms) == 1 {
			return ms[0], nil
		}
		return store.MemberStore{}, &AmbiguousStoreError{Choices: ms}
	}
	var found []store.MemberStore
	id, _ := strconv.ParseInt(ref, 10, 64)
	for _, m := range ms {
		if (id != 0 && (m.ID == id || m.EtsyShopID == id)) || strings.EqualFold(m.Name, ref) {
			found = append(found, m)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return store.MemberStore{}, &AmbiguousStoreError{Ref: ref, Choices: ms}
	default:
		return store.MemberStore{}, &AmbiguousStoreError{Choices: found}
	}
}

// StoreSettings changes the fields that are not nil.
type StoreSettings = store.StoreUpdateSettingsParams

// UpdateStoreSettings changes a store's settings (owners and managers).
func (s *Service) UpdateStoreSettings(ctx context.Context, a Actor, p StoreSettings) (store.Store, error) {
	if _, err := s.editor(ctx, a, p.StoreID); err != nil {
		return store.Store{}, err
	}
	if p.LowStockDefault != nil && (*p.LowStockDefault < 0 || *p.LowStockDefault > 999) {
		return store.Store{}, &QuantityError{Quantity: *p.LowStockDefault}
	}
	p.AccountID, p.Now = a.Account.ID, s.now()
	st, err := s.db.StoreUpdateSettings(ctx, &p)
	if err != nil {
		return st, err
	}
	s.hub.Publish(hub.Event{Kind: hub.StoreChanged, StoreID: st.ID})
	if p.LowStockDefault != nil && s.alerts != nil {
		if _, err := s.alerts.Evaluate(ctx, st.ID, nil); err != nil {
			return st, err
		}
	}
	return st, nil
}

// ErrNotOwner refuses a change only the store's owner may make.
var ErrNotOwner = errors.New("only the store's owner can change that")

// ZeroPolicyNames are the names sellers use for the zero policies, in the
// order the TUI cycles through them.
var ZeroPolicyNames = []string{"deactivate", "keep-sold-out"}

// ParseZeroPolicy reads a zero policy as a seller names it.
func ParseZeroPolicy(name string) (store.ZeroPolicy, error) {
	switch strings.TrimSpace(strings.ToLower(name)) {
	case "deactivate":
		return store.ZeroDeactivate, nil
	case "keep-sold-out", "keep_sold_out":
		return store.ZeroKeepSoldOut, nil
	}
	return "", fmt.Errorf("zero policy %q: use deactivate or keep-sold-out", name)
}

// ZeroPolicyName is how a seller names a zero policy.
func ZeroPolicyName(p store.ZeroPolicy) string {
	if p == store.ZeroKeepSoldOut {
		return "keep-sold-out"
	}
	return "deactivate"
}

// SetZeroPolicy says what a push does when every variation of a listing
// would be 0: deactivate the listing (it comes back when it gets stock),
// or keep it as it is on Etsy and tell the seller. Only the owner may
// change it: it decides whether listings leave the shop.
func (s *Service) SetZeroPolicy(ctx context.Context, a Actor, storeID int64, p store.ZeroPolicy) (store.Store, error) {
	if p != store.ZeroDeactivate && p != store.ZeroKeepSoldOut {
		return store.Store{}, fmt.Errorf("zero policy %q: %w", p, store.ErrInvalid)
	}
	m, err := s.member(ctx, a, storeID)
	if err != nil {
		return store.Store{}, err
	}
	if m.Role != store.RoleOwner {
		return store.Store{}, ErrNotOwner
	}
	st, err := s.db.StoreUpdateSettings(ctx, &store.StoreUpdateSettingsParams{AccountID: a.Account.ID, StoreID: storeID, ZeroPolicy: &p, Now: s.now()})
	if err != nil {
		return st, err
	}
	s.hub.Publish(hub.Event{Kind: hub.StoreChanged, StoreID: st.ID})
	return st, nil
}

// StartConnect begins connecting an Etsy shop and returns the page the
// seller opens in a browser.
func (s *Service) StartConnect(ctx context.Context, a Actor) (authURL, state string, err error) {
	if s.connect == nil {
		return "", "", errors.New("connecting shops is not configured on this server")
	}
	if _, err := s.active(ctx, a); err != nil {
		return "", "", err
	}
	return s.connect.Start(ctx, a.Account.ID, a.Fingerprint)
}

// WaitConnect blocks until the browser leg of state finishes.
func (s *Service) WaitConnect(ctx context.Context, a Actor, state string) (store.Store, error) {
	st, err := s.connect.Wait(ctx, state)
	if err != nil {
		return st, err
	}
	if _, err := s.member(ctx, a, st.ID); err != nil {
		return store.Store{}, err
	}
	return st, nil
}

// SyncNow asks for a sync of the store at once.
func (s *Service) SyncNow(ctx context.Context, a Actor, storeID int64) error {
	m, err := s.member(ctx, a, storeID)
	if err != nil {
		return err
	}
	if m.Status != store.StatusConnected {
		return errors.New("the store needs to be connected to Etsy again before it can sync")
	}
	return s.jobs.EnqueueSync(ctx, storeID, manualSyncKind(m.Store), store.TriggerManual)
}

// SyncLog lists a store's recent sync runs, newest first.
func (s *Service) SyncLog(ctx context.Context, a Actor, storeID int64, limit int) ([]store.SyncRun, error) {
	if _, err := s.member(ctx, a, storeID); err != nil {
		return nil, err
	}
	return s.db.SyncRunList(ctx, &store.SyncRunListParams{AccountID: a.Account.ID, StoreID: storeID, Limit: limit})
}

// Sales lists a store's receipts, newest first.
func (s *Service) Sales(ctx context.Context, a Actor, p store.ReceiptListParams) ([]store.Receipt, error) {
	if _, err := s.member(ctx, a, p.StoreID); err != nil {
		return nil, err
	}
	p.AccountID = a.Account.ID
	return s.db.ReceiptList(ctx, &p)
}

// Subscribe returns live events of one of the actor's stores.
func (s *Service) Subscribe(ctx context.Context, a Actor, storeID int64) (*hub.Subscription, error) {
	if _, err := s.member(ctx, a, storeID); err != nil {
		return nil, err
	}
	return s.hub.Subscribe(func(e hub.Event) bool {
		return e.StoreID == storeID || (e.Kind == hub.AccountChanged && e.AccountID == a.Account.ID)
	}), nil
}

// manualSyncKind is what a person asking for a sync gets: a reconcile, which
// re-reads every listing (catching edits made on Etsy.com, which no receipt
// announces) and the receipts since the cursor; a full sync the first time.
// It costs a call per 100 listings of each state, affordable for a sync a
// person asked for, not for every tick.
func manualSyncKind(st store.Store) store.SyncKind {
	if st.LastFullSyncAt.IsZero() {
		return store.SyncFull
	}
	return store.SyncReconcile
}
