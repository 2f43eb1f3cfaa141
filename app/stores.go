// Stores, their settings, connecting a shop, and syncs.
package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

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
	ms, err := s.memberships(ctx, a)
	if err != nil {
		return nil, err
	}
	out := make([]StoreView, 0, len(ms))
	for _, m := range ms {
		v := StoreView{MemberStore: m}
		if s.budgets != nil {
			v.Budget = s.budgets.Budget(etsy.StoreKey(m.ID))
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

// StoreIDs lists the actor's stores' ids in the order Stores lists them,
// without Stores' per-store sync runs: what a new session needs to pick
// its first store.
func (s *Service) StoreIDs(ctx context.Context, a Actor) ([]int64, error) {
	ms, err := s.memberships(ctx, a)
	ids := make([]int64, len(ms))
	for i, m := range ms {
		ids[i] = m.ID
	}
	return ids, err
}

// memberships lists the stores of an active actor.
func (s *Service) memberships(ctx context.Context, a Actor) ([]store.MemberStore, error) {
	if _, err := s.active(ctx, a); err != nil {
		return nil, err
	}
	return s.db.StoreListForAccount(ctx, a.Account.ID)
}

// Store returns one of the actor's stores.
func (s *Service) Store(ctx context.Context, a Actor, storeID int64) (store.MemberStore, error) {
	return s.member(ctx, a, storeID)
}

// ResolveStore picks a store for a command: by id, Etsy shop id or name;
// with ref empty, the actor's only store.
func (s *Service) ResolveStore(ctx context.Context, a Actor, ref string) (store.MemberStore, error) {
	ms, err := s.memberships(ctx, a)
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
	id, _ := strconv.ParseInt(ref, 10, 64) // not a number: id 0, and ref is matched as a name
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

// UpdateStoreSettings changes a store's settings. The low-stock default
// and "runs out within N days" are alert rules, which managers set too; how pushes treat a sold-out
// listing, how often the shop syncs and how many days of stock restocks
// aim for are the owners'.
func (s *Service) UpdateStoreSettings(ctx context.Context, a Actor, p StoreSettings) (store.Store, error) {
	if p.ZeroPolicy != nil || p.SyncInterval != nil || p.TargetCoverDays != nil {
		if _, err := s.owner(ctx, a, p.StoreID, "change the store's settings"); err != nil {
			return store.Store{}, err
		}
	}
	m, err := s.editor(ctx, a, p.StoreID)
	if err != nil {
		return store.Store{}, err
	}
	if p.LowStockDefault != nil && (*p.LowStockDefault < 0 || *p.LowStockDefault > 999) {
		return store.Store{}, &QuantityError{Quantity: *p.LowStockDefault}
	}
	if p.RunsOutDays != nil && (*p.RunsOutDays < 0 || *p.RunsOutDays > MaxCoverDays) {
		return store.Store{}, &RunsOutError{Days: *p.RunsOutDays}
	}
	if p.TargetCoverDays != nil && (*p.TargetCoverDays < 1 || *p.TargetCoverDays > MaxCoverDays) {
		return store.Store{}, fmt.Errorf("target cover must be 1 to %d days, not %d", MaxCoverDays, *p.TargetCoverDays)
	}
	p.AccountID, p.Now = a.Account.ID, s.now()
	st, err := s.db.StoreUpdateSettings(ctx, &p)
	if err != nil {
		return st, err
	}
	s.hub.Publish(hub.Event{Kind: hub.StoreChanged, StoreID: st.ID})
	s.recordSettings(ctx, a, m.Store, st)
	// A new rule fires and resolves at once; more crossings than the
	// evaluator's SummarizeOver go out as one summary, not a message each.
	if (p.LowStockDefault != nil || p.RunsOutDays != nil) && s.alerts != nil {
		if _, err := s.alerts.Evaluate(ctx, st.ID, nil); err != nil {
			return st, err
		}
	}
	return st, nil
}

// RunsOutError refuses a "runs out within N days" outside 0 (off) to
// MaxCoverDays.
type RunsOutError struct{ Days int }

func (e *RunsOutError) Error() string {
	return fmt.Sprintf("runs out within %d days: choose 1 to %d days, or 0 to turn these alerts off", e.Days, MaxCoverDays)
}

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
	// The owners' check, the ledger entry and the live event are
	// UpdateStoreSettings'.
	return s.UpdateStoreSettings(ctx, a, StoreSettings{StoreID: storeID, ZeroPolicy: &p})
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
	s.Record(ctx, a, store.ActivityEvent{StoreID: st.ID, Kind: store.KindStoreConnect, Subject: st.Name, After: string(st.Status)})
	return st, nil
}

// SyncNow asks for a sync of the store at once (owners and managers; see
// SyncStart).
func (s *Service) SyncNow(ctx context.Context, a Actor, storeID int64) error {
	_, err := s.SyncStart(ctx, a, storeID)
	return err
}

// SyncRequest is a sync a person asked for: the River job whose run
// reports it. Joined is true when it is a sync of the same kind already
// running, which the request joined instead of queueing another.
type SyncRequest struct {
	Kind   store.SyncKind
	JobID  int64
	Joined bool
}

// SyncStart asks for a sync of the store and says which job's run to
// follow: a sync of the same kind already running in a live process is
// joined, else a job of its own is queued, which runs now (after a sync
// running, if any). A sync whose process has died is never joined.
func (s *Service) SyncStart(ctx context.Context, a Actor, storeID int64) (SyncRequest, error) {
	m, err := s.editor(ctx, a, storeID)
	if err != nil {
		return SyncRequest{}, err
	}
	if m.Status != store.StatusConnected {
		return SyncRequest{}, errors.New("the store needs to be connected to Etsy again before it can sync")
	}
	kind := manualSyncKind(m.Store)
	if run, ok, err := s.runningSync(ctx, a, storeID, kind); err != nil {
		return SyncRequest{}, err
	} else if ok {
		return SyncRequest{Kind: kind, JobID: run.JobID, Joined: true}, nil
	}
	id, err := s.jobs.EnqueueSyncJob(ctx, storeID, kind, store.TriggerManual)
	if err != nil {
		return SyncRequest{}, err
	}
	return SyncRequest{Kind: kind, JobID: id}, nil
}

// runningSync finds a run of kind in progress for the store, by a job in a
// process that is alive.
func (s *Service) runningSync(ctx context.Context, a Actor, storeID int64, kind store.SyncKind) (store.SyncRun, bool, error) {
	runs, err := s.db.SyncRunList(ctx, &store.SyncRunListParams{AccountID: a.Account.ID, StoreID: storeID, Limit: 20})
	if err != nil {
		return store.SyncRun{}, false, err
	}
	var dead []string
	for _, r := range runs {
		if r.Result != store.ResultRunning || r.Kind != kind || r.JobID == 0 || r.Process == "" {
			continue
		}
		if dead == nil {
			if dead, err = s.db.ProcessListDead(ctx, time.Now().Add(-store.ProcessDeadAfter)); err != nil {
				return store.SyncRun{}, false, err
			}
			dead = append(dead, "") // listed: not nil any more
		}
		if !slices.Contains(dead, r.Process) {
			return r, true, nil
		}
	}
	return store.SyncRun{}, false, nil
}

// SyncRunOf returns the latest run of a sync request's job, or
// store.ErrNotFound while it has not started.
func (s *Service) SyncRunOf(ctx context.Context, a Actor, storeID int64, req SyncRequest) (store.SyncRun, error) {
	if _, err := s.member(ctx, a, storeID); err != nil {
		return store.SyncRun{}, err
	}
	return s.db.SyncRunOfJob(ctx, &store.SyncRunOfJobParams{AccountID: a.Account.ID, StoreID: storeID, JobID: req.JobID})
}

// SyncRetry is what comes of the job of a failed run.
type SyncRetry int

const (
	// SyncRetryNone: the run is the sync's outcome.
	SyncRetryNone SyncRetry = iota
	// SyncRetryQueued: River snoozed or rescheduled the job (Etsy's rate
	// limit, another sync holding the store), and the run after it is
	// the sync's real outcome.
	SyncRetryQueued
	// SyncRetryEnding: the job is still running on a live process, being
	// snoozed or ended; ask again.
	SyncRetryEnding
)

// SyncRetries tells whether the job of a failed run runs again. A dead
// process's job is never waited on.
func (s *Service) SyncRetries(ctx context.Context, a Actor, run store.SyncRun) (SyncRetry, error) {
	if _, err := s.member(ctx, a, run.StoreID); err != nil {
		return SyncRetryNone, err
	}
	if run.JobID == 0 || run.Result != store.ResultFailed {
		return SyncRetryNone, nil
	}
	queued, running, err := s.jobs.JobQueued(ctx, run.JobID)
	switch {
	case err != nil:
		return SyncRetryNone, err
	case queued:
		return SyncRetryQueued, nil
	case !running || run.Process == "":
		return SyncRetryNone, nil
	}
	dead, err := s.db.ProcessListDead(ctx, time.Now().Add(-store.ProcessDeadAfter))
	if err != nil || slices.Contains(dead, run.Process) {
		return SyncRetryNone, err
	}
	return SyncRetryEnding, nil
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

// Subscribe returns live events of one of the actor's stores, until ctx
// (the session) ends.
func (s *Service) Subscribe(ctx context.Context, a Actor, storeID int64) (*hub.Subscription, error) {
	_, sub, err := s.SubscribeStore(ctx, a, storeID)
	return sub, err
}

// SubscribeStore is Subscribe that also returns the store, read by the
// same membership check: a session opening on a store needs both, and
// under a burst of sessions each query before the first frame counts.
func (s *Service) SubscribeStore(ctx context.Context, a Actor, storeID int64) (store.MemberStore, *hub.Subscription, error) {
	ms, err := s.member(ctx, a, storeID)
	if err != nil {
		return ms, nil, err
	}
	return ms, s.hub.SubscribeContext(ctx, storeEvents(a, storeID)), nil
}

// SubscribeAccount returns live events of the actor's own account, for a
// session without a store: its memberships changing (a store joined) and
// its profile.
func (s *Service) SubscribeAccount(a Actor) *hub.Subscription {
	me := a.Account.ID
	return s.hub.Subscribe(func(e hub.Event) bool {
		return e.AccountID == me && accountEvent(e)
	})
}

// accountEvent tells whether e, naming an account, is news for that
// account's sessions: its profile or memberships changed, or its own ledger
// grew (the Activity screen's account ledger).
func accountEvent(e hub.Event) bool {
	return e.Kind == hub.AccountChanged || e.Kind == hub.MembersChanged || (e.Kind == hub.ActivityAdded && e.StoreID == 0)
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
