// Package connect links an Etsy shop to a Stockroom account through OAuth 2.0
// authorization code with PKCE (S256). The SSH side starts an attempt and
// waits for it; the browser side (package web) hands the callback here and
// asks the seller to confirm before anything is saved to a store.
//
// An attempt is a one-time server-side state: its code verifier and the
// tokens awaiting confirmation are sealed, the state is consumed atomically
// when the callback arrives, and the confirmation needs a token that only
// the browser which brought the callback holds.
package connect

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/stockroom/stockroom/etsy"
	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/seal"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/vault"
)

// Errors of the connect flow, each with its own page in the browser.
var (
	ErrMissingState  = errors.New("connect: the link has no state")
	ErrUnknownState  = errors.New("connect: unknown connect link")
	ErrExpired       = errors.New("connect: the connect link has expired")
	ErrUsed          = errors.New("connect: the connect link was already used")
	ErrMissingCode   = errors.New("connect: Etsy sent no authorization code")
	ErrCodeRejected  = errors.New("connect: Etsy refused the authorization code")
	ErrNoShop        = errors.New("connect: this Etsy account has no shop")
	ErrShopLinked    = errors.New("connect: the shop is linked to another Stockroom account")
	ErrBadToken      = errors.New("connect: the confirmation is not valid for this browser")
	ErrCancelled     = errors.New("connect: cancelled")
	ErrEtsyTransient = errors.New("connect: Etsy did not answer")
)

// DeniedError is Etsy's error redirect (the seller chose Deny, or Etsy
// refused the request). Code is one of the RFC 6749 §4.1.2.1 error codes,
// or UnknownErrorCode: the redirect's parameters are whatever the link
// said, and an attacker can write "call support at evil.example" there, so
// no text from it is kept.
type DeniedError struct {
	Code string
}

// UnknownErrorCode stands for an error= value outside RFC 6749's list.
const UnknownErrorCode = "unknown"

// oauthErrorCodes are the error codes of an authorization response (RFC
// 6749 §4.1.2.1).
var oauthErrorCodes = []string{"invalid_request", "unauthorized_client", "access_denied", "unsupported_response_type",
	"invalid_scope", "server_error", "temporarily_unavailable"}

// OAuthErrorCode returns code when it is one of RFC 6749's, else
// UnknownErrorCode.
func OAuthErrorCode(code string) string {
	if slices.Contains(oauthErrorCodes, code) {
		return code
	}
	return UnknownErrorCode
}

func (e *DeniedError) Error() string {
	if e.Code == "access_denied" {
		return "connect: access to the shop was denied on Etsy"
	}
	return "connect: Etsy refused the request (" + e.Code + ")"
}

// FailedError is an attempt another party ended, as Wait reports it.
type FailedError struct{ Reason string }

func (e *FailedError) Error() string { return "connect: " + e.Reason }

// Store is the part of the store the flow uses.
type Store interface {
	OAuthStateCreate(ctx context.Context, s *store.OAuthState) error
	OAuthStateGet(ctx context.Context, state string) (store.OAuthState, error)
	OAuthStateConsume(ctx context.Context, state string, now time.Time) (store.OAuthState, error)
	OAuthStateSetPending(ctx context.Context, s *store.OAuthState) error
	OAuthStateComplete(ctx context.Context, p *store.OAuthStateCompleteParams) (store.Store, error)
	OAuthStateFail(ctx context.Context, state, message string, now time.Time) error
	AccountGetByID(ctx context.Context, id int64) (store.Account, error)
	StoreGet(ctx context.Context, storeID int64) (store.Store, error)
	StoreList(ctx context.Context) ([]store.Store, error)
	MembershipList(ctx context.Context, storeID int64) ([]store.Membership, error)
}

// Config configures a Flow. Store, Keyring and Etsy are required.
type Config struct {
	Store   Store
	Keyring *seal.Keyring
	Etsy    *etsy.Client
	// Hub carries ConnectDone to the waiting SSH session and StoreChanged to
	// every session. Required for Wait.
	Hub    *hub.Hub
	Logger *slog.Logger
	Now    func() time.Time
	// IsSandbox marks stores connected through a sandbox Etsy.
	IsSandbox bool
	// PublicURL is Stockroom's public base URL. When set, ShortLink gives a
	// short link on it that redirects to Etsy's consent page.
	PublicURL string
	// StateTTL is how long a connect link stays valid. Default 10 minutes.
	StateTTL time.Duration
	// PollInterval is how often Wait re-reads the state, to see an attempt
	// finished by another process without a hub bridge. Default 2 seconds.
	PollInterval time.Duration
	// OnConnected runs after a shop is saved, e.g. to queue its first full
	// sync so the seller sees stock at once. Its error is logged: the shop
	// is connected either way and the scheduler syncs it later.
	OnConnected func(ctx context.Context, st store.Store) error
}

// Flow runs connect attempts. It is safe for concurrent use.
type Flow struct {
	cfg Config
	log *slog.Logger
}

// New returns a Flow.
func New(cfg Config) *Flow {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.StateTTL <= 0 {
		cfg.StateTTL = 10 * time.Minute
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 2 * time.Second
	}
	return &Flow{cfg: cfg, log: cfg.Logger.With("component", "connect")}
}

func verifierAD(state string) string { return "oauth:" + state + ":code_verifier" }
func accessAD(state string) string   { return "oauth:" + state + ":access_token" }
func refreshAD(state string) string  { return "oauth:" + state + ":refresh_token" }

func randomToken() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// Start creates a connect attempt for the account and returns the Etsy
// consent URL to show the seller, and the state to Wait on.
func (f *Flow) Start(ctx context.Context, accountID int64, keyFingerprint string) (authURL, state string, err error) {
	if accountID <= 0 {
		return "", "", errors.New("connect: start needs an account")
	}
	state, err = randomToken()
	if err != nil {
		return "", "", fmt.Errorf("connect: %w", err)
	}
	verifier := etsy.GenerateVerifier()
	sealed, err := f.cfg.Keyring.Seal([]byte(verifier), verifierAD(state))
	if err != nil {
		return "", "", fmt.Errorf("connect: seal verifier: %w", err)
	}
	now := f.cfg.Now()
	err = f.cfg.Store.OAuthStateCreate(ctx, &store.OAuthState{
		State: state, AccountID: accountID, KeyFingerprint: keyFingerprint, CodeVerifier: sealed,
		CreatedAt: now, ExpiresAt: now.Add(f.cfg.StateTTL),
	})
	if err != nil {
		return "", "", fmt.Errorf("connect: save state: %w", err)
	}
	f.log.Info("connect started", "account", accountID)
	if short := f.ShortLink(state); short != "" {
		return short, state, nil
	}
	return f.cfg.Etsy.AuthCodeURL(state, verifier), state, nil
}

// ShortLink is a short link to the consent page of the attempt state:
// Etsy's URL runs to some 300 characters, too long to print on one
// terminal line (copied across lines it breaks) or to fit a QR code on an
// 80×24 terminal. It is "" when no PublicURL is configured.
func (f *Flow) ShortLink(state string) string {
	if f.cfg.PublicURL == "" {
		return ""
	}
	return strings.TrimSuffix(f.cfg.PublicURL, "/") + "/c/" + url.PathEscape(state)
}

// AuthURL is Etsy's consent URL of a connect attempt that is still open,
// for the short link to redirect to.
func (f *Flow) AuthURL(ctx context.Context, state string) (string, error) {
	if state == "" {
		return "", ErrMissingState
	}
	o, err := f.cfg.Store.OAuthStateGet(ctx, state)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return "", ErrUnknownState
	case err != nil:
		return "", fmt.Errorf("connect: get state: %w", err)
	case !o.ConsumedAt.IsZero():
		return "", ErrUsed
	case !f.cfg.Now().Before(o.ExpiresAt):
		return "", ErrExpired
	}
	verifier, err := f.cfg.Keyring.Open(o.CodeVerifier, verifierAD(o.State))
	if err != nil {
		return "", fmt.Errorf("connect: open verifier: %w", err)
	}
	return f.cfg.Etsy.AuthCodeURL(state, string(verifier)), nil
}

// CallbackParams is the query of Etsy's redirect to the callback.
// Its error_description is not read: it is free text anyone can write.
type CallbackParams struct {
	State string
	Code  string
	Error string
}

// Callback handles Etsy's redirect: it consumes the state, exchanges the
// code, identifies the shop and keeps the sealed tokens pending the
// seller's confirmation. It returns the confirmation token, which the
// browser must present (as a cookie) to confirm.
func (f *Flow) Callback(ctx context.Context, p CallbackParams) (confirmToken string, err error) {
	if p.State == "" {
		return "", ErrMissingState
	}
	o, err := f.cfg.Store.OAuthStateConsume(ctx, p.State, f.cfg.Now())
	switch {
	case errors.Is(err, store.ErrNotFound):
		return "", ErrUnknownState
	case errors.Is(err, store.ErrUsed):
		return "", ErrUsed
	case errors.Is(err, store.ErrExpired):
		return "", ErrExpired
	case err != nil:
		return "", fmt.Errorf("connect: consume state: %w", err)
	}
	// From here the state is ours alone; every failure closes it.
	if p.Error != "" {
		derr := &DeniedError{Code: OAuthErrorCode(p.Error)}
		return "", f.fail(ctx, o, derr, "denied on Etsy ("+derr.Code+")")
	}
	if p.Code == "" {
		return "", f.fail(ctx, o, ErrMissingCode, "no authorization code")
	}
	verifier, err := f.cfg.Keyring.Open(o.CodeVerifier, verifierAD(o.State))
	if err != nil {
		return "", f.fail(ctx, o, fmt.Errorf("connect: open verifier: %w", err), "internal error")
	}
	tok, err := f.cfg.Etsy.Exchange(ctx, p.Code, string(verifier))
	if err != nil {
		f.log.Warn("code exchange failed", "account", o.AccountID, "err", err)
		if etsy.NeedsReauthorization(err) {
			return "", f.fail(ctx, o, ErrCodeRejected, "Etsy refused the authorization code")
		}
		return "", f.fail(ctx, o, fmt.Errorf("%w: %w", ErrEtsyTransient, err), "Etsy did not answer")
	}

	shop, err := f.identify(ctx, tok.AccessToken)
	if err != nil {
		if errors.Is(err, ErrNoShop) {
			return "", f.fail(ctx, o, err, "the Etsy account has no shop")
		}
		return "", f.fail(ctx, o, fmt.Errorf("%w: %w", ErrEtsyTransient, err), "Etsy did not answer")
	}
	linked, err := f.linkedElsewhere(ctx, shop.ShopID, o.AccountID)
	if err != nil {
		return "", f.fail(ctx, o, err, "internal error")
	}
	if linked {
		return "", f.fail(ctx, o, ErrShopLinked, "the shop is linked to another Stockroom account")
	}

	confirm, err := randomToken()
	if err != nil {
		return "", f.fail(ctx, o, err, "internal error")
	}
	sealedAccess, err := f.cfg.Keyring.Seal([]byte(tok.AccessToken), accessAD(o.State))
	if err != nil {
		return "", f.fail(ctx, o, err, "internal error")
	}
	sealedRefresh, err := f.cfg.Keyring.Seal([]byte(tok.RefreshToken), refreshAD(o.State))
	if err != nil {
		return "", f.fail(ctx, o, err, "internal error")
	}
	userID := shop.UserID
	if userID == 0 {
		userID = tok.UserID
	}
	err = f.cfg.Store.OAuthStateSetPending(ctx, &store.OAuthState{
		State: o.State, ConfirmToken: confirm, ShopID: shop.ShopID, ShopName: shop.ShopName,
		EtsyUserID: userID, Currency: shop.CurrencyCode, AccessToken: sealedAccess,
		RefreshToken: sealedRefresh, TokenExpiresAt: tok.Expiry,
	})
	if err != nil {
		return "", f.fail(ctx, o, fmt.Errorf("connect: save pending tokens: %w", err), "internal error")
	}
	f.log.Info("connect awaiting confirmation", "account", o.AccountID, "shop", shop.ShopID)
	return confirm, nil
}

// identify asks Etsy, with the new token, which shop it opens.
func (f *Flow) identify(ctx context.Context, access string) (etsy.Shop, error) {
	c := f.cfg.Etsy.Shop("connect", staticToken(access))
	me, err := c.GetMe(ctx)
	if err != nil {
		return etsy.Shop{}, err
	}
	if me.ShopID == 0 {
		return etsy.Shop{}, ErrNoShop
	}
	return c.GetShop(ctx, me.ShopID)
}

// linkedElsewhere tells whether another account owns the shop. The store
// has no lookup by Etsy shop id, so it scans the stores; OAuthStateComplete
// checks again atomically at confirmation.
func (f *Flow) linkedElsewhere(ctx context.Context, etsyShopID, accountID int64) (bool, error) {
	stores, err := f.cfg.Store.StoreList(ctx)
	if err != nil {
		return false, fmt.Errorf("connect: list stores: %w", err)
	}
	for _, s := range stores {
		if s.EtsyShopID != etsyShopID {
			continue
		}
		members, err := f.cfg.Store.MembershipList(ctx, s.ID)
		if err != nil {
			return false, fmt.Errorf("connect: list members: %w", err)
		}
		for _, m := range members {
			if m.Role == store.RoleOwner && m.AccountID != accountID {
				return true, nil
			}
		}
	}
	return false, nil
}

// staticToken is the token source of a grant not yet saved: it cannot be
// refreshed, and a fresh token needs no refresh.
type staticToken string

func (t staticToken) AccessToken(context.Context) (string, error) { return string(t), nil }
func (t staticToken) Refresh(context.Context) (string, error) {
	return "", errors.New("connect: a new grant cannot be refreshed before it is saved")
}

// fail closes the attempt with reason, tells the waiting session, and
// returns err.
func (f *Flow) fail(ctx context.Context, o store.OAuthState, err error, reason string) error {
	if ferr := f.cfg.Store.OAuthStateFail(context.WithoutCancel(ctx), o.State, reason, f.cfg.Now()); ferr != nil {
		f.log.Error("connect state not closed", "account", o.AccountID, "err", ferr)
	}
	f.publish(hub.Event{Kind: hub.ConnectDone, State: o.State, AccountID: o.AccountID, Error: reason})
	f.log.Info("connect failed", "account", o.AccountID, "reason", reason)
	return err
}

func (f *Flow) publish(e hub.Event) {
	if f.cfg.Hub != nil {
		f.cfg.Hub.Publish(e)
	}
}

// Pending is an attempt awaiting the seller's confirmation, as the confirm
// page shows it.
type Pending struct {
	State          string
	ShopName       string
	AccountName    string
	KeyFingerprint string
	// FormToken goes in the confirm form. It is derived from the
	// confirmation token but does not reveal it, so a page shown to
	// someone without the cookie gives them nothing to confirm with.
	FormToken string
}

// FormToken derives the form's CSRF value from the confirmation token.
func FormToken(confirmToken string) string {
	sum := sha256.Sum256([]byte("stockroom connect form\x00" + confirmToken))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// Pending returns the attempt awaiting confirmation. The caller must hold
// the confirmation token (the browser's cookie).
func (f *Flow) Pending(ctx context.Context, state, confirmToken string) (Pending, error) {
	o, err := f.pending(ctx, state, confirmToken)
	if err != nil {
		return Pending{}, err
	}
	acct, err := f.cfg.Store.AccountGetByID(ctx, o.AccountID)
	if err != nil {
		return Pending{}, fmt.Errorf("connect: account: %w", err)
	}
	return Pending{State: o.State, ShopName: o.ShopName, AccountName: acct.Name,
		KeyFingerprint: o.KeyFingerprint, FormToken: FormToken(o.ConfirmToken)}, nil
}

func (f *Flow) pending(ctx context.Context, state, confirmToken string) (store.OAuthState, error) {
	if state == "" {
		return store.OAuthState{}, ErrMissingState
	}
	o, err := f.cfg.Store.OAuthStateGet(ctx, state)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return o, ErrUnknownState
	case err != nil:
		return o, fmt.Errorf("connect: state: %w", err)
	case !o.CompletedAt.IsZero() || o.Error != "":
		return o, ErrUsed
	case o.ConfirmToken == "":
		// Consumed but never made pending: the callback failed midway.
		return o, ErrUnknownState
	case !o.ExpiresAt.After(f.cfg.Now()):
		return o, ErrExpired
	case subtle.ConstantTimeCompare([]byte(o.ConfirmToken), []byte(confirmToken)) != 1:
		return o, ErrBadToken
	}
	return o, nil
}

// Confirm links the shop to the account: the cookie must be the attempt's
// confirmation token and the form token must be derived from it.
func (f *Flow) Confirm(ctx context.Context, state, confirmToken, formToken string) (store.Store, error) {
	o, err := f.pending(ctx, state, confirmToken)
	if err != nil {
		return store.Store{}, err
	}
	if subtle.ConstantTimeCompare([]byte(FormToken(confirmToken)), []byte(formToken)) != 1 {
		return store.Store{}, ErrBadToken
	}
	st, err := f.cfg.Store.OAuthStateComplete(ctx, &store.OAuthStateCompleteParams{
		State: state, ConfirmToken: confirmToken, IsSandbox: f.cfg.IsSandbox, Now: f.cfg.Now(),
		Reseal: func(access, refresh []byte, shopID int64) ([]byte, []byte, error) {
			a, err := f.move(access, accessAD(state), vault.AccessTokenAD(shopID))
			if err != nil {
				return nil, nil, err
			}
			r, err := f.move(refresh, refreshAD(state), vault.RefreshTokenAD(shopID))
			return a, r, err
		},
	})
	switch {
	case errors.Is(err, store.ErrShopLinked):
		return store.Store{}, f.fail(ctx, o, ErrShopLinked, "the shop is linked to another Stockroom account")
	case errors.Is(err, store.ErrForbidden):
		return store.Store{}, ErrBadToken
	case errors.Is(err, store.ErrUsed):
		return store.Store{}, ErrUsed
	case errors.Is(err, store.ErrExpired):
		return store.Store{}, ErrExpired
	case err != nil:
		return store.Store{}, fmt.Errorf("connect: complete: %w", err)
	}
	f.publish(hub.Event{Kind: hub.ConnectDone, State: state, StoreID: st.ID, AccountID: o.AccountID})
	f.publish(hub.Event{Kind: hub.StoreChanged, StoreID: st.ID, AccountID: o.AccountID})
	f.log.Info("shop connected", "account", o.AccountID, "store", st.ID, "shop", st.EtsyShopID)
	if f.cfg.OnConnected != nil {
		if err := f.cfg.OnConnected(ctx, st); err != nil {
			f.log.Warn("first sync of a new shop not queued; the scheduler will sync it", "store", st.ID, "err", err)
		}
	}
	return st, nil
}

// move re-seals a pending token for its place in the store row.
func (f *Flow) move(sealed []byte, from, to string) ([]byte, error) {
	plain, err := f.cfg.Keyring.Open(sealed, from)
	if err != nil {
		return nil, err
	}
	return f.cfg.Keyring.Seal(plain, to)
}

// Cancel ends a pending attempt at the seller's request; it needs the same
// tokens as Confirm.
func (f *Flow) Cancel(ctx context.Context, state, confirmToken, formToken string) error {
	o, err := f.pending(ctx, state, confirmToken)
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare([]byte(FormToken(confirmToken)), []byte(formToken)) != 1 {
		return ErrBadToken
	}
	// fail logs a failed write itself and returns its cause, ErrCancelled,
	// which here is the outcome the seller asked for.
	_ = f.fail(ctx, o, ErrCancelled, "cancelled")
	return nil
}

// Wait blocks until the attempt completes or fails, or ctx ends. It listens
// on the hub and also re-reads the state, so an attempt finished by another
// process is seen even without a hub bridge.
func (f *Flow) Wait(ctx context.Context, state string) (store.Store, error) {
	var sub *hub.Subscription
	if f.cfg.Hub != nil {
		sub = f.cfg.Hub.Subscribe(func(e hub.Event) bool { return e.Kind == hub.ConnectDone && e.State == state })
		defer sub.Close()
	}
	tick := time.NewTicker(f.cfg.PollInterval)
	defer tick.Stop()
	var events <-chan hub.Event
	if sub != nil {
		events = sub.C
	}
	for {
		o, err := f.cfg.Store.OAuthStateGet(ctx, state)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return store.Store{}, ErrUnknownState
		case err != nil:
			return store.Store{}, fmt.Errorf("connect: state: %w", err)
		case !o.CompletedAt.IsZero():
			st, err := f.cfg.Store.StoreGet(ctx, o.StoreID)
			if err != nil {
				return store.Store{}, fmt.Errorf("connect: store: %w", err)
			}
			return st, nil
		case o.Error == "cancelled":
			return store.Store{}, ErrCancelled
		case o.Error != "":
			return store.Store{}, &FailedError{Reason: o.Error}
		case !o.ExpiresAt.After(f.cfg.Now()):
			return store.Store{}, ErrExpired
		}
		select {
		case <-ctx.Done():
			return store.Store{}, ctx.Err()
		case <-events:
		case <-tick.C:
		}
	}
}
