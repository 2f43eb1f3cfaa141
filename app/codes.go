// One-time codes: a signed-in account links a new key, an admin invites a
// person to a closed server, an owner invites a member to a store. Issuing,
// redeeming, listing and revoking are the same for each kind; what a code
// grants is applied by the store in the transaction that spends it.
package app

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/internal/ratelimit"
	"github.com/stockroom/stockroom/internal/seclog"
	"github.com/stockroom/stockroom/store"
)

// How long each kind of code lives.
const (
	KeyLinkTTL       = 10 * time.Minute
	AccountInviteTTL = 7 * 24 * time.Hour
	StoreInviteTTL   = 7 * 24 * time.Hour
)

// Redemption attempts allowed per key and per remote IP in each window. A
// code has 80 random bits; the limits keep guessing hopeless and stop one
// client from hammering the database.
const (
	redeemPerKey    = 5
	redeemPerIP     = 20
	redeemWindow    = 10 * time.Minute
	codeGroups      = 4
	codeGroupLength = 4
)

var (
	// ErrBadCode is every reason a code cannot be used, told alike so a
	// guesser learns nothing.
	ErrBadCode = errors.New("that code is not valid: codes work once and expire (key links after 10 minutes); ask for a new one")
	// ErrTooManyAttempts is a redemption refused by the rate limit.
	ErrTooManyAttempts = errors.New("too many code attempts from this key or address: wait 10 minutes and try again")
	// ErrKeyHasAccount is redeeming, with a key that already signs in to
	// an account, a code that would give it another.
	ErrKeyHasAccount = errors.New("this key already signs in to a Stockroom account; remove it there first or use another key")
	// ErrNotOwner is a store invite asked for by someone who does not own
	// the store.
	ErrNotOwner = errors.New("only the store's owner can invite members")
)

// IssuedCode is a new code as its issuer sees it, once: the plain code is
// never stored.
type IssuedCode struct {
	Plain string // XXXX-XXXX-XXXX-XXXX
	Code  store.Code
}

// IssueCodeParams says what a code grants.
type IssueCodeParams struct {
	Kind    store.CodeKind
	StoreID int64      // store invites
	Role    store.Role // store invites
}

// newCode draws a code of 16 symbols (80 bits) from Crockford's base32, in
// groups of four.
func newCode() string {
	alpha := store.CodeAlphabet()
	var b strings.Builder
	for i := range codeGroups * codeGroupLength {
		if i > 0 && i%codeGroupLength == 0 {
			b.WriteByte('-')
		}
		b.WriteByte(alpha[randIndex(len(alpha))])
	}
	return b.String()
}

// randIndex draws uniformly below n (a power of two here, so no bias).
func randIndex(n int) int {
	var one [1]byte
	_, _ = rand.Read(one[:]) // crypto/rand never fails on supported systems
	return int(one[0]) % n
}

// IssueCode makes a code. A key link is for the actor's own account; an
// account invite needs an admin session; a store invite the store's owner.
func (s *Service) IssueCode(ctx context.Context, a Actor, p IssueCodeParams) (IssuedCode, error) {
	var ttl time.Duration
	switch p.Kind {
	case store.CodeKeyLink:
		ttl = KeyLinkTTL
		if _, err := s.active(ctx, a); err != nil {
			return IssuedCode{}, err
		}
		p.StoreID, p.Role = 0, ""
	case store.CodeAccountInvite:
		ttl = AccountInviteTTL
		if err := s.admin(ctx, a); err != nil {
			return IssuedCode{}, err
		}
		p.StoreID, p.Role = 0, ""
	case store.CodeStoreInvite:
		ttl = StoreInviteTTL
		m, err := s.member(ctx, a, p.StoreID)
		if err != nil {
			return IssuedCode{}, err
		}
		if m.Role != store.RoleOwner {
			return IssuedCode{}, ErrNotOwner
		}
		if p.Role != store.RoleManager && p.Role != store.RoleViewer && p.Role != store.RoleOwner {
			return IssuedCode{}, errors.New("choose a role: viewer, manager or owner")
		}
	default:
		return IssuedCode{}, errors.New("unknown kind of code")
	}
	code := newCode()
	c, err := s.db.CodeCreate(ctx, &store.CodeCreateParams{Kind: p.Kind, Code: code, AccountID: a.Account.ID,
		StoreID: p.StoreID, Role: p.Role, ExpiresAt: s.now().Add(ttl), Now: s.now()})
	if err != nil {
		return IssuedCode{}, err
	}
	s.security(ctx, "code issued", a.who(), "code_id", c.ID, "kind", string(c.Kind), "store", c.StoreID,
		"role", string(c.Role), "expires", c.ExpiresAt)
	return IssuedCode{Plain: code, Code: c}, nil
}

// RedeemParams is a code typed by the holder of a key.
type RedeemParams struct {
	// Kinds accepted here; empty accepts any.
	Kinds []store.CodeKind
	Code  string
	// Key is the key that authenticated this session: the one a key link
	// attaches or an invite signs up.
	Key        ssh.PublicKey
	RemoteAddr string
	// Name and Email are the new account's, for invites redeemed by a new
	// person.
	Name  string
	Email string
	// Actor is the signed-in account redeeming a store invite; nil for a
	// key without an account.
	Actor *Actor
}

// RedeemCode spends a code for the key of this session and returns the
// actor that key now is. Attempts are limited per key and per address.
func (s *Service) RedeemCode(ctx context.Context, p RedeemParams) (Actor, store.Code, error) {
	fp := ""
	if p.Key != nil {
		fp = ssh.FingerprintSHA256(p.Key)
	}
	w := seclog.Who{Fingerprint: fp, Remote: p.RemoteAddr}
	if p.Actor != nil {
		w = p.Actor.who()
	}
	limited, err := s.redeemLimited(ctx, fp, ipOf(p.RemoteAddr))
	if err != nil {
		return Actor{}, store.Code{}, err
	}
	if limited {
		s.securityLimited(ctx, "code redemption refused: rate limit", w)
		return Actor{}, store.Code{}, ErrTooManyAttempts
	}
	if p.Key == nil {
		return Actor{}, store.Code{}, errors.New("a code is redeemed by the key that signed in")
	}
	if err := CheckKey(p.Key); err != nil {
		return Actor{}, store.Code{}, err
	}
	rp := &store.CodeRedeemParams{Kinds: p.Kinds, Code: p.Code, Now: s.now()}
	pub := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(p.Key)))
	if p.Actor != nil {
		rp.AccountID = p.Actor.Account.ID
	} else {
		rp.Key = &store.KeyAddParams{Fingerprint: fp, PublicKey: pub, Now: s.now()}
		name, email, err := s.newAccountFields(p.Name, p.Email)
		if err != nil {
			return Actor{}, store.Code{}, err
		}
		rp.Account = &store.AccountCreateParams{Name: name, Email: email, Fingerprint: fp, PublicKey: pub, Now: s.now()}
	}
	r, err := s.db.CodeRedeem(ctx, rp)
	switch {
	case errors.Is(err, store.ErrConflict):
		s.security(ctx, "code redemption failed", w, "reason", "key already has an account")
		return Actor{}, store.Code{}, ErrKeyHasAccount
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrUsed), errors.Is(err, store.ErrExpired),
		errors.Is(err, store.ErrForbidden), errors.Is(err, store.ErrInvalid):
		s.securityLimited(ctx, "code redemption failed", w, "reason", codeFailure(err))
		return Actor{}, store.Code{}, ErrBadCode
	case err != nil:
		return Actor{}, store.Code{}, err
	}
	actor := Actor{Account: r.Account, Fingerprint: fp, RemoteAddr: p.RemoteAddr}
	if p.Actor != nil {
		actor = *p.Actor
	}
	actor.Account.IsAdmin = s.admins[actor.Fingerprint]
	s.security(ctx, "code redeemed", actor.who(), "code_id", r.Code.ID, "kind", string(r.Code.Kind),
		"issuer", r.Code.AccountID, "store", r.Code.StoreID, "role", string(r.Code.Role))
	switch r.Code.Kind {
	case store.CodeKeyLink:
		s.security(ctx, "key linked", actor.who(), "code_id", r.Code.ID)
	case store.CodeAccountInvite:
		s.security(ctx, "account created", actor.who(), "invited_by", r.Code.AccountID)
	case store.CodeStoreInvite:
		s.security(ctx, "member joined", actor.who(), "store", r.Code.StoreID, "role", string(r.Code.Role),
			"invited_by", r.Code.AccountID)
	}
	s.keyJoined(r.Account.ID, actor.Fingerprint)
	s.hub.Publish(hub.Event{Kind: hub.AccountChanged, AccountID: r.Code.AccountID})
	if r.Account.ID != r.Code.AccountID {
		s.hub.Publish(hub.Event{Kind: hub.AccountChanged, AccountID: r.Account.ID})
	}
	return actor, r.Code, nil
}

// newAccountFields checks the name and email of an account an invite may
// create; a blank name becomes "New seller", to be changed on the Account
// screen.
func (s *Service) newAccountFields(name, email string) (string, string, error) {
	if strings.TrimSpace(name) == "" {
		name = "New seller"
	}
	n, err := ValidateName(name)
	if err != nil {
		return "", "", err
	}
	e, err := ValidateEmail(email)
	return n, e, err
}

// codeFailure names why a redemption failed, for the log only.
func codeFailure(err error) string {
	switch {
	case errors.Is(err, store.ErrUsed):
		return "used"
	case errors.Is(err, store.ErrExpired):
		return "expired"
	case errors.Is(err, store.ErrForbidden):
		return "issuer disabled"
	case errors.Is(err, store.ErrInvalid):
		return "malformed"
	}
	return "unknown or revoked"
}

// ListCodesParams filters Codes.
type ListCodesParams struct {
	Kind    store.CodeKind
	StoreID int64
	// All lists spent, expired and revoked codes too.
	All bool
}

// Codes lists the codes the actor issued; an admin session lists account
// invites of every admin.
func (s *Service) Codes(ctx context.Context, a Actor, p ListCodesParams) ([]store.Code, error) {
	issuer := a.Account.ID
	if p.Kind == store.CodeAccountInvite {
		if err := s.admin(ctx, a); err != nil {
			return nil, err
		}
		issuer = 0
	} else if _, err := s.active(ctx, a); err != nil {
		return nil, err
	}
	return s.db.CodeList(ctx, &store.CodeListParams{AccountID: issuer, Kind: p.Kind, StoreID: p.StoreID,
		Pending: !p.All, Now: s.now()})
}

// RevokeCode ends a code before it is used. The issuer may revoke it; an
// admin session any account invite.
func (s *Service) RevokeCode(ctx context.Context, a Actor, id int64) error {
	if _, err := s.active(ctx, a); err != nil {
		return err
	}
	issuer := a.Account.ID
	if s.admins[a.Fingerprint] && s.admin(ctx, a) == nil {
		issuer = 0
	}
	c, err := s.db.CodeRevoke(ctx, &store.CodeRevokeParams{ID: id, AccountID: issuer, Now: s.now()})
	switch {
	case errors.Is(err, store.ErrNotFound):
		return errors.New("you have no such code")
	case errors.Is(err, store.ErrUsed):
		return errors.New("that code was already used")
	case err != nil:
		return err
	}
	s.security(ctx, "code revoked", a.who(), "code_id", c.ID, "kind", string(c.Kind), "issuer", c.AccountID,
		"admin", issuer == 0)
	return nil
}

// redeemLimited counts one redemption attempt of key fp from address ip
// and tells whether it is over the limits. This process's memory answers
// first, so a client hammering one replica never reaches the database; the
// database's count is what every replica shares.
func (s *Service) redeemLimited(ctx context.Context, fp, ip string) (bool, error) {
	if !s.redeemKey.Allow(fp) || !s.redeemIP.Allow(ip) {
		return true, nil
	}
	n, err := s.db.CodeAttemptAdd(ctx, &store.CodeAttemptAddParams{Buckets: []string{"key:" + fp, "ip:" + ip},
		Since: s.now().Add(-redeemWindow), Now: s.now()})
	if err != nil {
		return false, err
	}
	return n[0] > redeemPerKey || n[1] > redeemPerIP, nil
}

// codeLimiters are the redemption rate limits.
func codeLimiters(now func() time.Time) (perKey, perIP *ratelimit.Limiter) {
	return ratelimit.New(redeemPerKey, redeemWindow, now), ratelimit.New(redeemPerIP, redeemWindow, now)
}

// KeyLinks lists the key link codes the actor issued: those still open, or
// with all, used, expired and revoked ones too.
func (s *Service) KeyLinks(ctx context.Context, a Actor, all bool) ([]store.Code, error) {
	return s.Codes(ctx, a, ListCodesParams{Kind: store.CodeKeyLink, All: all})
}

// KeyLinkRevoke ends one of the actor's own key link codes before a key
// redeems it.
func (s *Service) KeyLinkRevoke(ctx context.Context, a Actor, id int64) error {
	_, err := s.revokeKind(ctx, a, store.CodeKeyLink, id, "you have no link code %d: keys links lists them")
	return err
}

// AdminInvites lists the account invites of every admin (admin sessions
// only).
func (s *Service) AdminInvites(ctx context.Context, a Actor, all bool) ([]store.Code, error) {
	return s.Codes(ctx, a, ListCodesParams{Kind: store.CodeAccountInvite, All: all})
}

// AdminInviteRevoke ends an account invite of any admin before it is used
// (admin sessions only); the action is recorded in the admin ledger.
func (s *Service) AdminInviteRevoke(ctx context.Context, a Actor, id int64) error {
	if err := s.admin(ctx, a); err != nil {
		return err
	}
	c, err := s.revokeKind(ctx, a, store.CodeAccountInvite, id, "there is no account invite %d: admin invites lists them")
	if err != nil {
		return err
	}
	s.Record(ctx, a, store.ActivityEvent{AccountID: a.Account.ID, Kind: store.KindAdminInviteRevoke, Source: store.SourceAdmin,
		Subject: fmt.Sprintf("invite %d", c.ID), Before: "open", After: "revoked"})
	return nil
}

// revokeKind revokes code id when it is one of kind the actor may list, so
// a link code id cannot end an invite or the other way round.
func (s *Service) revokeKind(ctx context.Context, a Actor, kind store.CodeKind, id int64, missing string) (store.Code, error) {
	codes, err := s.Codes(ctx, a, ListCodesParams{Kind: kind, All: true})
	if err != nil {
		return store.Code{}, err
	}
	i := slices.IndexFunc(codes, func(c store.Code) bool { return c.ID == id })
	if i < 0 {
		return store.Code{}, fmt.Errorf(missing, id)
	}
	return codes[i], s.RevokeCode(ctx, a, id)
}
