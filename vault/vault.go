// Package vault keeps each connected shop's Etsy tokens sealed in the store
// and hands them to the Etsy client: it opens the access token on demand,
// refreshes it once per store at a time across goroutines and processes,
// saves Etsy's rotated refresh token before the new access token is used,
// marks a store whose grant Etsy revoked, and re-seals tokens after a key
// rotation.
package vault

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/sethvargo/go-retry"

	"github.com/stockroom/stockroom/etsy"
	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/internal/leaseowner"
	"github.com/stockroom/stockroom/seal"
	"github.com/stockroom/stockroom/store"
)

// ErrNeedsReauth means the store's Etsy grant is dead and only connecting
// the shop again helps. It wraps etsy.ErrRevoked, so
// etsy.NeedsReauthorization reports true for it.
// DefaultRefreshBefore is how long before its expiry an access token is
// refreshed when Config.RefreshBefore is not set.
const DefaultRefreshBefore = 5 * time.Minute

var ErrNeedsReauth = fmt.Errorf("vault: store needs to be connected again: %w", etsy.ErrRevoked)

// Store is the part of the store the vault uses.
type Store interface {
	StoreList(ctx context.Context) ([]store.Store, error)
	StoreGet(ctx context.Context, storeID int64) (store.Store, error)
	StoreTokensGet(ctx context.Context, storeID int64) (store.StoreTokens, error)
	StoreTokensSave(ctx context.Context, p *store.StoreTokensSaveParams) error
	StoreTokenLeaseAcquire(ctx context.Context, p *store.LeaseParams) (bool, error)
	StoreTokenLeaseRelease(ctx context.Context, storeID int64, owner string) error
	StoreSetStatus(ctx context.Context, p *store.StoreSetStatusParams) error
}

// Config configures a Vault. Store, Keyring and Etsy are required.
type Config struct {
	Store   Store
	Keyring *seal.Keyring
	Etsy    *etsy.Client
	// Hub receives StoreChanged when a store needs to be connected again.
	// Optional.
	Hub    *hub.Hub
	Logger *slog.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Owner names this process in the refresh lease; two processes sharing
	// a database must use different owners. Default: host, pid and a random
	// suffix.
	Owner string
	// OnRevoked is told, once per transition, that a store went from
	// connected to needs_reauth (to notify its owner). Optional.
	OnRevoked func(ctx context.Context, storeID int64)

	// RefreshBefore is how close to expiry AccessToken refreshes first.
	// Default 5 minutes.
	RefreshBefore time.Duration
	// DueWindow is how far ahead RefreshDue looks. Default 10 minutes.
	DueWindow time.Duration
	// LeaseTTL bounds how long one refresh may hold a store's lease; the
	// call to Etsy is given half of it, so the rotated token is saved while
	// the lease still holds. Default 1 minute.
	LeaseTTL time.Duration
	// PollInterval is how often a refresh that lost the lease looks for the
	// winner's result. Default 100ms.
	PollInterval time.Duration
}

// Vault is safe for concurrent use.
type Vault struct {
	cfg Config
	log *slog.Logger

	mu     sync.Mutex
	stores map[int64]*storeState
}

// storeState serialises one store's refreshes inside this process and
// remembers the last attempt, so callers that queued behind a refresh take
// its result instead of spending the refresh token again.
type storeState struct {
	lock    chan struct{} // holds one token while a goroutine works on the store
	attempt uint64        // finished refresh attempts
	lastErr error         // result of the last attempt
}

// New returns a Vault.
func New(cfg Config) *Vault {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Owner == "" {
		cfg.Owner = leaseowner.New()
	}
	if cfg.RefreshBefore <= 0 {
		cfg.RefreshBefore = DefaultRefreshBefore
	}
	if cfg.DueWindow <= 0 {
		cfg.DueWindow = 10 * time.Minute
	}
	if cfg.LeaseTTL <= 0 {
		cfg.LeaseTTL = time.Minute
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 100 * time.Millisecond
	}
	return &Vault{cfg: cfg, log: cfg.Logger.With("component", "vault"), stores: map[int64]*storeState{}}
}

// AccessTokenAD and RefreshTokenAD are the associated data that bind a
// store's sealed tokens to their row and column.
func AccessTokenAD(etsyShopID int64) string {
	return "store:" + strconv.FormatInt(etsyShopID, 10) + ":access_token"
}

func RefreshTokenAD(etsyShopID int64) string {
	return "store:" + strconv.FormatInt(etsyShopID, 10) + ":refresh_token"
}

// Shop returns an Etsy client for one store, with its tokens from the vault.
func (v *Vault) Shop(storeID int64) *etsy.ShopClient {
	return v.cfg.Etsy.Shop(etsy.StoreKey(storeID), v.TokenSource(storeID))
}

// TokenSource returns the store's token source for the Etsy client.
func (v *Vault) TokenSource(storeID int64) etsy.TokenSource {
	return &tokenSource{v: v, storeID: storeID}
}

type tokenSource struct {
	v       *Vault
	storeID int64

	mu sync.Mutex
	// handed is the access token AccessToken last gave out: a Refresh after
	// a 401 finding another token in the store knows someone already
	// refreshed (possibly in another process) and takes that one.
	handed string
}

func (t *tokenSource) AccessToken(ctx context.Context) (string, error) {
	tok, err := t.v.token(ctx, t.storeID, t.v.cfg.RefreshBefore, "")
	if err == nil {
		t.mu.Lock()
		t.handed = tok
		t.mu.Unlock()
	}
	return tok, err
}

func (t *tokenSource) Refresh(ctx context.Context) (string, error) {
	t.mu.Lock()
	stale := t.handed
	t.mu.Unlock()
	if stale == "" {
		return t.v.Refresh(ctx, t.storeID)
	}
	return t.v.token(ctx, t.storeID, t.v.cfg.RefreshBefore, stale)
}

// Refresh obtains a new access token for the store now, unless a refresh
// already running in this process finishes first, whose result it shares.
func (v *Vault) Refresh(ctx context.Context, storeID int64) (string, error) {
	return v.refresh(ctx, storeID, func(store.StoreTokens, string) bool { return true })
}

// token returns the store's access token, refreshing it first when it
// expires within before, or when it is stale (the token a 401 just refused).
func (v *Vault) token(ctx context.Context, storeID int64, before time.Duration, stale string) (string, error) {
	need := func(tok store.StoreTokens, access string) bool {
		return !tok.ExpiresAt.After(v.cfg.Now().Add(before)) || (stale != "" && access == stale)
	}
	tok, access, err := v.load(ctx, storeID)
	if err != nil {
		return "", err
	}
	if !need(tok, access) {
		return access, nil
	}
	return v.refresh(ctx, storeID, need)
}

func usable(tok store.StoreTokens) error {
	if tok.Status == store.StatusNeedsReauth || tok.Status == store.StatusDisconnected {
		return fmt.Errorf("%w (store %d is %s)", ErrNeedsReauth, tok.StoreID, tok.Status)
	}
	return nil
}

func (v *Vault) state(storeID int64) *storeState {
	v.mu.Lock()
	defer v.mu.Unlock()
	s, ok := v.stores[storeID]
	if !ok {
		s = &storeState{lock: make(chan struct{}, 1)}
		v.stores[storeID] = s
	}
	return s
}

func (s *storeState) acquire(ctx context.Context) error {
	select {
	case s.lock <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *storeState) release() { <-s.lock }

// refresh runs one refresh of the store under the in-process lock and the
// store's lease. need re-checks, with the lock held, whether the tokens then
// in the store still call for a refresh.
func (v *Vault) refresh(ctx context.Context, storeID int64, need func(store.StoreTokens, string) bool) (string, error) {
	st := v.state(storeID)
	v.mu.Lock()
	seen := st.attempt
	v.mu.Unlock()
	if err := st.acquire(ctx); err != nil {
		return "", err
	}
	defer st.release()

	v.mu.Lock()
	shared, sharedErr := st.attempt != seen, st.lastErr
	v.mu.Unlock()
	if shared {
		// A refresh finished while this caller queued: its outcome is ours.
		if sharedErr != nil {
			return "", sharedErr
		}
		return v.current(ctx, storeID)
	}

	access, err := v.refreshLeased(ctx, storeID, need)
	if err != nil && ctx.Err() != nil {
		// This caller gave up; those queued behind it try for themselves.
		return "", err
	}
	v.mu.Lock()
	st.attempt++
	st.lastErr = err
	v.mu.Unlock()
	return access, err
}

// current opens the access token the store holds now.
func (v *Vault) current(ctx context.Context, storeID int64) (string, error) {
	_, access, err := v.load(ctx, storeID)
	return access, err
}

// load reads the store's tokens and opens its access token, refusing a
// store that must be connected again.
func (v *Vault) load(ctx context.Context, storeID int64) (store.StoreTokens, string, error) {
	tok, err := v.cfg.Store.StoreTokensGet(ctx, storeID)
	if err != nil {
		return tok, "", fmt.Errorf("vault: store %d: %w", storeID, err)
	}
	if err := usable(tok); err != nil {
		return tok, "", err
	}
	access, err := v.open(tok.AccessToken, AccessTokenAD(tok.EtsyShopID))
	if err != nil {
		return tok, "", fmt.Errorf("vault: store %d access token: %w", storeID, err)
	}
	return tok, access, nil
}

// refreshLeased takes the store's lease, or waits for the process holding it
// to save its result, then refreshes if the tokens still need it.
func (v *Vault) refreshLeased(ctx context.Context, storeID int64, need func(store.StoreTokens, string) bool) (string, error) {
	before, err := v.cfg.Store.StoreTokensGet(ctx, storeID)
	if err != nil {
		return "", fmt.Errorf("vault: store %d: %w", storeID, err)
	}
	for {
		if err := usable(before); err != nil {
			return "", err
		}
		ok, err := v.cfg.Store.StoreTokenLeaseAcquire(ctx, &store.LeaseParams{
			StoreID: storeID, Name: "token_refresh", Owner: v.cfg.Owner,
			Now: v.cfg.Now(), Until: v.cfg.Now().Add(v.cfg.LeaseTTL),
		})
		if err != nil {
			return "", fmt.Errorf("vault: store %d refresh lease: %w", storeID, err)
		}
		if ok {
			return v.refreshHolding(ctx, storeID, need)
		}
		// Another process is refreshing: wait for its save, or for its
		// lease to end without one (then try for the lease again).
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(v.cfg.PollInterval):
		}
		now, err := v.cfg.Store.StoreTokensGet(ctx, storeID)
		if err != nil {
			return "", fmt.Errorf("vault: store %d: %w", storeID, err)
		}
		if string(now.RefreshToken) != string(before.RefreshToken) {
			if err := usable(now); err != nil {
				return "", err
			}
			access, err := v.open(now.AccessToken, AccessTokenAD(now.EtsyShopID))
			if err != nil {
				return "", fmt.Errorf("vault: store %d access token: %w", storeID, err)
			}
			return access, nil
		}
		before = now
	}
}

// refreshHolding runs with the lease held and always releases it.
func (v *Vault) refreshHolding(ctx context.Context, storeID int64, need func(store.StoreTokens, string) bool) (string, error) {
	// Once Etsy may have rotated the refresh token, the caller going away
	// must not stop the new one from being saved.
	work, cancel := context.WithTimeout(context.WithoutCancel(ctx), v.cfg.LeaseTTL)
	defer cancel()
	defer func() {
		if err := v.cfg.Store.StoreTokenLeaseRelease(work, storeID, v.cfg.Owner); err != nil {
			v.log.Warn("refresh lease not released; it expires on its own", "store", storeID, "err", err)
		}
	}()

	// Read again under the lease: another process may have saved between
	// our last look and our acquiring it.
	tok, access, err := v.load(work, storeID)
	if err != nil {
		return "", err
	}
	if !need(tok, access) {
		return access, nil
	}
	refresh, err := v.open(tok.RefreshToken, RefreshTokenAD(tok.EtsyShopID))
	if err != nil {
		return "", fmt.Errorf("vault: store %d refresh token: %w", storeID, err)
	}

	call, cancelCall := context.WithTimeout(work, v.cfg.LeaseTTL/2)
	fresh, err := v.cfg.Etsy.Refresh(call, refresh)
	cancelCall()
	switch {
	case err == nil:
	case etsy.NeedsReauthorization(err):
		v.markRevoked(work, storeID, tok.Status, err)
		return "", fmt.Errorf("%w: %w", ErrNeedsReauth, err)
	default:
		// A 5xx may or may not have spent the refresh token (Etsy #549):
		// keep the store as it is and let a later attempt find out.
		v.log.Warn("token refresh failed", "store", storeID, "err", err)
		return "", fmt.Errorf("vault: store %d refresh: %w", storeID, err)
	}

	sealedAccess, err := v.cfg.Keyring.Seal([]byte(fresh.AccessToken), AccessTokenAD(tok.EtsyShopID))
	if err != nil {
		return "", fmt.Errorf("vault: store %d seal: %w", storeID, err)
	}
	sealedRefresh, err := v.cfg.Keyring.Seal([]byte(fresh.RefreshToken), RefreshTokenAD(tok.EtsyShopID))
	if err != nil {
		return "", fmt.Errorf("vault: store %d seal: %w", storeID, err)
	}
	save := &store.StoreTokensSaveParams{
		StoreID: storeID, AccessToken: sealedAccess, RefreshToken: sealedRefresh,
		ExpiresAt: fresh.Expiry, LeaseOwner: v.cfg.Owner, Now: v.cfg.Now(),
	}
	// The old refresh token is spent: losing the new one would disconnect
	// the shop, so a failing write is retried while the lease lasts.
	err = retry.Do(work, tokenSaveRetry(), func(ctx context.Context) error {
		err := v.cfg.Store.StoreTokensSave(ctx, save)
		if err != nil && !errors.Is(err, store.ErrConflict) {
			return retry.RetryableError(err)
		}
		return err
	})
	if err != nil {
		v.log.Error("rotated refresh token could not be saved", "store", storeID, "err", err)
		return "", fmt.Errorf("vault: store %d save tokens: %w", storeID, err)
	}
	v.log.Debug("token refreshed", "store", storeID, "expires", fresh.Expiry)
	return fresh.AccessToken, nil
}

// tokenSaveRetry is how a failed save of rotated tokens is retried: three
// more tries over about a second, well inside the refresh lease.
func tokenSaveRetry() retry.Backoff {
	return retry.WithMaxRetries(3, retry.NewExponential(200*time.Millisecond))
}

// markRevoked records that the store must be connected again. The caller
// holds the lease, so of several processes only the one that saw the store
// connected tells the owner.
func (v *Vault) markRevoked(ctx context.Context, storeID int64, was store.StoreStatus, cause error) {
	if was == store.StatusNeedsReauth {
		return
	}
	err := v.cfg.Store.StoreSetStatus(ctx, &store.StoreSetStatusParams{
		StoreID: storeID, Status: store.StatusNeedsReauth,
		LastError: "Etsy revoked Stockroom's access to this shop; connect it again",
		Now:       v.cfg.Now(),
	})
	if err != nil {
		v.log.Error("store could not be marked for reconnection", "store", storeID, "err", err)
		return
	}
	v.log.Warn("store needs to be connected again", "store", storeID, "err", cause)
	if v.cfg.Hub != nil {
		v.cfg.Hub.Publish(hub.Event{Kind: hub.StoreChanged, StoreID: storeID})
	}
	if v.cfg.OnRevoked != nil {
		v.cfg.OnRevoked(ctx, storeID)
	}
}

// MarkNeedsReauth is for callers that learn from an API call (not a
// refresh) that the grant is gone, such as an insufficient_scope answer.
func (v *Vault) MarkNeedsReauth(ctx context.Context, storeID int64, cause error) error {
	st := v.state(storeID)
	if err := st.acquire(ctx); err != nil {
		return err
	}
	defer st.release()
	tok, err := v.cfg.Store.StoreTokensGet(ctx, storeID)
	if err != nil {
		return fmt.Errorf("vault: store %d: %w", storeID, err)
	}
	v.markRevoked(ctx, storeID, tok.Status, cause)
	return nil
}

// RefreshDue refreshes every connected store whose access token expires
// within DueWindow. One store's failure does not stop the others; the
// errors are joined.
func (v *Vault) RefreshDue(ctx context.Context) error {
	stores, err := v.cfg.Store.StoreList(ctx)
	if err != nil {
		return fmt.Errorf("vault: list stores: %w", err)
	}
	var errs []error
	horizon := v.cfg.Now().Add(v.cfg.DueWindow)
	for _, s := range stores {
		if s.Status != store.StatusConnected || s.TokenExpiresAt.After(horizon) {
			continue
		}
		if _, err := v.token(ctx, s.ID, v.cfg.DueWindow, ""); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Rotate re-seals with the primary key every store token sealed with an
// older one, and returns how many stores it rewrote. Each store is rewritten
// under its refresh lease so a concurrent refresh is never overwritten; a
// store whose lease is busy is left for the next run.
func (v *Vault) Rotate(ctx context.Context) (int, error) {
	stores, err := v.cfg.Store.StoreList(ctx)
	if err != nil {
		return 0, fmt.Errorf("vault: list stores: %w", err)
	}
	n := 0
	var errs []error
	for _, s := range stores {
		done, err := v.rotateOne(ctx, s.ID)
		if err != nil {
			if ctx.Err() != nil {
				return n, ctx.Err()
			}
			errs = append(errs, err)
		}
		if done {
			n++
		}
	}
	return n, errors.Join(errs...)
}

func (v *Vault) rotateOne(ctx context.Context, storeID int64) (bool, error) {
	tok, err := v.cfg.Store.StoreTokensGet(ctx, storeID)
	if err != nil {
		return false, fmt.Errorf("vault: store %d: %w", storeID, err)
	}
	if !v.cfg.Keyring.NeedsRotation(tok.AccessToken) && !v.cfg.Keyring.NeedsRotation(tok.RefreshToken) {
		return false, nil
	}
	st := v.state(storeID)
	if err := st.acquire(ctx); err != nil {
		return false, err
	}
	defer st.release()
	ok, err := v.cfg.Store.StoreTokenLeaseAcquire(ctx, &store.LeaseParams{
		StoreID: storeID, Name: "token_refresh", Owner: v.cfg.Owner,
		Now: v.cfg.Now(), Until: v.cfg.Now().Add(v.cfg.LeaseTTL),
	})
	if err != nil || !ok {
		return false, err
	}
	defer func() {
		if err := v.cfg.Store.StoreTokenLeaseRelease(context.WithoutCancel(ctx), storeID, v.cfg.Owner); err != nil {
			v.log.Warn("refresh lease not released; it expires on its own", "store", storeID, "err", err)
		}
	}()
	// Under the lease the tokens may have changed (a refresh seals with the
	// primary key already).
	if tok, err = v.cfg.Store.StoreTokensGet(ctx, storeID); err != nil {
		return false, fmt.Errorf("vault: store %d: %w", storeID, err)
	}
	access, err := v.reseal(tok.AccessToken, AccessTokenAD(tok.EtsyShopID))
	if err != nil {
		return false, fmt.Errorf("vault: store %d access token: %w", storeID, err)
	}
	refresh, err := v.reseal(tok.RefreshToken, RefreshTokenAD(tok.EtsyShopID))
	if err != nil {
		return false, fmt.Errorf("vault: store %d refresh token: %w", storeID, err)
	}
	if string(access) == string(tok.AccessToken) && string(refresh) == string(tok.RefreshToken) {
		return false, nil
	}
	err = v.cfg.Store.StoreTokensSave(ctx, &store.StoreTokensSaveParams{
		StoreID: storeID, AccessToken: access, RefreshToken: refresh, ExpiresAt: tok.ExpiresAt,
		LeaseOwner: v.cfg.Owner, Now: v.cfg.Now(),
	})
	if err != nil {
		return false, fmt.Errorf("vault: store %d save tokens: %w", storeID, err)
	}
	return true, nil
}

// reseal re-seals a value sealed with an old key and leaves the rest as is.
func (v *Vault) reseal(sealed []byte, ad string) ([]byte, error) {
	if len(sealed) == 0 || !v.cfg.Keyring.NeedsRotation(sealed) {
		return sealed, nil
	}
	return v.cfg.Keyring.Reseal(sealed, ad)
}

func (v *Vault) open(sealed []byte, ad string) (string, error) {
	if len(sealed) == 0 {
		return "", fmt.Errorf("%w: no token stored", ErrNeedsReauth)
	}
	b, err := v.cfg.Keyring.Open(sealed, ad)
	if err != nil {
		return "", err
	}
	return string(b), nil
}
