// Accounts and their SSH keys.
package app

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/ssh"

	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/safetext"
	"github.com/stockroom/stockroom/store"
)

// Identify finds the account of the key that authenticated. An unknown key
// answers ErrUnknownKey; a disabled account ErrDisabled. The actor is an
// admin when this key is named admin in the configuration: admin status
// belongs to the session's key, never to the account, so linking an admin
// key to an account does not make the account's other keys admin.
func (s *Service) Identify(ctx context.Context, fingerprint string) (Actor, error) {
	acct, err := s.db.AccountGetByFingerprint(ctx, fingerprint)
	if errors.Is(err, store.ErrNotFound) {
		return Actor{}, ErrUnknownKey
	}
	if err != nil {
		return Actor{}, err
	}
	if acct.Disabled {
		return Actor{}, ErrDisabled
	}
	acct.IsAdmin = s.admins[fingerprint]
	s.touchKey(fingerprint, s.now())
	return Actor{Account: acct, Fingerprint: fingerprint}, nil
}

// keyTouches are keys' last-use times not written yet. A login does not
// wait for its write: under a burst of logins (a shop's staff at 9:00,
// a failover) one writer records them all after the fact, instead of each
// session queueing for SQLite's write lock before its first frame. What
// piled up while it wrote is written in one statement.
type keyTouches struct {
	mu      sync.Mutex
	pending map[string]time.Time
	writing bool // a goroutine is writing; it takes what is pending before it exits
}

func (s *Service) touchKey(fingerprint string, at time.Time) {
	t := &s.touches
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.pending == nil {
		t.pending = map[string]time.Time{}
	}
	t.pending[fingerprint] = at
	if t.writing {
		return
	}
	t.writing = true
	go func() {
		for {
			t.mu.Lock()
			batch := t.pending
			t.pending = nil
			if len(batch) == 0 {
				t.writing = false
				t.mu.Unlock()
				return
			}
			t.mu.Unlock()
			uses := make([]store.KeyUse, 0, len(batch))
			for fp, at := range batch {
				uses = append(uses, store.KeyUse{Fingerprint: fp, At: at})
			}
			// A last-use time is informative: a failed write must not
			// refuse the login, but an operator should see it.
			if err := s.db.KeyTouchMany(context.Background(), uses); err != nil {
				s.log.Warn("keys' last-used times not recorded", "keys", len(uses), "err", err)
			}
		}
	}()
}

// IsAdminKey tells whether key is named admin in the configuration.
func (s *Service) IsAdminKey(key ssh.PublicKey) bool {
	return key != nil && s.admins[ssh.FingerprintSHA256(key)]
}

// SignUpParams is what a new seller enters.
type SignUpParams struct {
	Name      string
	Email     string
	PublicKey ssh.PublicKey
	// RemoteAddr is where the session comes from, for the security log.
	RemoteAddr string
}

// ValidateName checks a display name.
func ValidateName(name string) (string, error) {
	name = safetext.Clean(name)
	if name == "" {
		return "", errors.New("a name is required")
	}
	if utf8.RuneCountInString(name) > 64 {
		return "", errors.New("the name is longer than 64 characters")
	}
	return name, nil
}

// ValidateEmail checks an optional email address.
func ValidateEmail(email string) (string, error) {
	email = strings.TrimSpace(email)
	if email == "" {
		return "", nil
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Name != "" || strings.ContainsAny(email, "\r\n") {
		return "", fmt.Errorf("%q is not an email address", safetext.Clean(email))
	}
	return a.Address, nil
}

// SignUp creates an account for a key that has none.
func (s *Service) SignUp(ctx context.Context, p SignUpParams) (Actor, error) {
	// Admin keys may sign up on a closed server: someone must be first.
	if !s.signup && !s.IsAdminKey(p.PublicKey) {
		return Actor{}, ErrSignupClosed
	}
	if p.PublicKey == nil {
		return Actor{}, errors.New("sign-up needs the key that signed in")
	}
	if err := CheckKey(p.PublicKey); err != nil {
		return Actor{}, err
	}
	name, err := ValidateName(p.Name)
	if err != nil {
		return Actor{}, err
	}
	email, err := ValidateEmail(p.Email)
	if err != nil {
		return Actor{}, err
	}
	fp := ssh.FingerprintSHA256(p.PublicKey)
	acct, err := s.db.AccountCreate(ctx, &store.AccountCreateParams{
		Name: name, Email: email, Fingerprint: fp,
		PublicKey: strings.TrimSpace(string(ssh.MarshalAuthorizedKey(p.PublicKey))), Now: s.now(),
	})
	if err != nil {
		return Actor{}, err
	}
	acct.IsAdmin = s.admins[fp]
	a := Actor{Account: acct, Fingerprint: fp, RemoteAddr: p.RemoteAddr}
	s.security(ctx, "account created", a.who())
	s.keyJoined(acct.ID, fp)
	return a, nil
}

// ProfileParams changes the fields that are not nil.
type ProfileParams struct {
	Name           *string
	Email          *string
	TelegramChatID *string
	NotifyEmail    *bool
	NotifyTelegram *bool
	NotifyDigest   *bool
	// WhatsAppNumber is in international format (+49 151 2345678); it is
	// kept as digits.
	WhatsAppNumber *string
	NotifyWhatsApp *bool
	// DigestHour (0 to 23) in TimeZone (an IANA name such as
	// Europe/Berlin) is when the daily digest goes.
	DigestHour *int
	TimeZone   *string
}

// DigestAt reads when a daily digest goes: an hour (0 to 23, "18" or
// "18:00") and optionally a time zone ("18 Europe/Berlin"); without one
// the zone stays zone.
func DigestAt(v, zone string) (hour int, tz string, err error) {
	f := strings.Fields(v)
	if len(f) == 0 || len(f) > 2 {
		return 0, "", fmt.Errorf("%q: write an hour and a time zone, such as 18 Europe/Berlin", safetext.Clean(v))
	}
	h, err := strconv.Atoi(strings.TrimSuffix(f[0], ":00"))
	if err != nil || h < 0 || h > 23 {
		return 0, "", fmt.Errorf("%q is not an hour: write 0 to 23, such as 18", safetext.Clean(f[0]))
	}
	tz = zone
	if len(f) == 2 {
		tz = f[1]
	}
	if _, err := time.LoadLocation(tz); err != nil || tz == "" || tz == "Local" {
		return 0, "", fmt.Errorf("%q is not a time zone: write a name such as Europe/Berlin or UTC", safetext.Clean(tz))
	}
	return h, tz, nil
}

// WhatsAppNumber reads a phone number in international format: a country
// code and the number, 8 to 15 digits (E.164), spaces, dashes and a
// leading + allowed. Empty clears it.
func WhatsAppNumber(v string) (string, error) {
	d := strings.NewReplacer(" ", "", "-", "", "(", "", ")", "").Replace(strings.TrimSpace(v))
	d = strings.TrimPrefix(d, "+")
	if d == "" {
		return "", nil
	}
	if len(d) < 8 || len(d) > 15 || strings.Trim(d, "0123456789") != "" || d[0] == '0' {
		return "", fmt.Errorf("%q is not a WhatsApp number: write it with its country code, such as +49 151 2345678", safetext.Clean(v))
	}
	return d, nil
}

// UpdateProfile changes the actor's own account.
func (s *Service) UpdateProfile(ctx context.Context, a Actor, p ProfileParams) (store.Account, error) {
	if _, err := s.active(ctx, a); err != nil {
		return store.Account{}, err
	}
	// Each text field set is checked, and replaced by its clean form, in
	// this order: the first refusal is the one reported.
	for _, f := range []struct {
		v     **string
		clean func(string) (string, error)
	}{{&p.Name, ValidateName}, {&p.TelegramChatID, telegramChatID}, {&p.Email, ValidateEmail}, {&p.WhatsAppNumber, WhatsAppNumber}} {
		if *f.v == nil {
			continue
		}
		v, err := f.clean(**f.v)
		if err != nil {
			return store.Account{}, err
		}
		*f.v = &v
	}
	if p.DigestHour != nil && (*p.DigestHour < 0 || *p.DigestHour > 23) {
		return store.Account{}, fmt.Errorf("%d is not an hour: write 0 to 23", *p.DigestHour)
	}
	if p.TimeZone != nil {
		if _, err := time.LoadLocation(*p.TimeZone); err != nil || *p.TimeZone == "" || *p.TimeZone == "Local" {
			return store.Account{}, fmt.Errorf("%q is not a time zone: write a name such as Europe/Berlin or UTC", safetext.Clean(*p.TimeZone))
		}
	}
	acct, err := s.db.AccountUpdate(ctx, &store.AccountUpdateParams{ID: a.Account.ID, Name: p.Name, Email: p.Email,
		TelegramChatID: p.TelegramChatID, NotifyEmail: p.NotifyEmail, NotifyTelegram: p.NotifyTelegram,
		NotifyDigest: p.NotifyDigest, WhatsAppNumber: p.WhatsAppNumber, NotifyWhatsApp: p.NotifyWhatsApp,
		DigestHour: p.DigestHour, TimeZone: p.TimeZone, Now: s.now()})
	if err == nil {
		s.hub.Publish(hub.Event{Kind: hub.AccountChanged, AccountID: acct.ID})
	}
	return acct, err
}

// telegramChatID reads a Telegram chat id: a number, a public @channel
// name, or "" for none.
func telegramChatID(v string) (string, error) {
	id := strings.TrimSpace(v)
	if _, err := strconv.ParseInt(id, 10, 64); id != "" && err != nil && !validChannel(id) {
		return "", fmt.Errorf("%q is not a Telegram chat id: want a number such as 123456789 or a @channel name", safetext.Clean(id))
	}
	return id, nil
}

// validChannel accepts a public Telegram channel name such as @mystore.
func validChannel(s string) bool {
	if len(s) < 6 || len(s) > 33 || s[0] != '@' {
		return false
	}
	for _, r := range s[1:] {
		if !(r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// Profile returns the actor's own account as it is now, admin when this
// session's key is an admin key.
func (s *Service) Profile(ctx context.Context, a Actor) (store.Account, error) {
	acct, err := s.db.AccountGetByID(ctx, a.Account.ID)
	acct.IsAdmin = s.admins[a.Fingerprint]
	return acct, err
}

// Keys lists the actor's keys.
func (s *Service) Keys(ctx context.Context, a Actor) ([]store.Key, error) {
	return s.db.KeyList(ctx, a.Account.ID)
}

// ErrKeyAddGone answers the old way of adding a key, which took any
// public key without proof that the caller holds its private half.
var ErrKeyAddGone = errors.New("keys are no longer added by pasting them: run keys link here, then " +
	"keys claim CODE with the new key (or enter the code on its sign-up screen)")

// KeyLinkCode issues a code that lets one new key join the actor's account
// within 10 minutes: the key proves possession by signing in to redeem it.
func (s *Service) KeyLinkCode(ctx context.Context, a Actor) (IssuedCode, error) {
	return s.IssueCode(ctx, a, IssueCodeParams{Kind: store.CodeKeyLink})
}

// AdminInvite issues an invite code: the key that redeems it within 7 days
// creates an account, even when sign-up is closed.
func (s *Service) AdminInvite(ctx context.Context, a Actor) (IssuedCode, error) {
	c, err := s.IssueCode(ctx, a, IssueCodeParams{Kind: store.CodeAccountInvite})
	if err == nil {
		s.Record(ctx, a, store.ActivityEvent{AccountID: a.Account.ID, Kind: store.KindAdminInvite, Source: store.SourceAdmin,
			Subject: fmt.Sprintf("invite %d", c.Code.ID), After: "open until " + c.Code.ExpiresAt.UTC().Format(time.RFC3339)})
	}
	return c, err
}

// JoinParams is an invite redeemed by the key of a session.
type JoinParams struct {
	Code       string
	Key        ssh.PublicKey
	RemoteAddr string
	Name       string // for a new account; blank: "New seller"
	Email      string
	// Actor is the signed-in account of the key, nil for a new person.
	Actor *Actor
}

// Join redeems an invite: an account invite creates the key's account; a
// store invite makes the key's account (created if need be) a member.
func (s *Service) Join(ctx context.Context, p JoinParams) (Actor, store.Code, error) {
	kinds := []store.CodeKind{store.CodeAccountInvite, store.CodeStoreInvite}
	if p.Actor != nil {
		kinds = []store.CodeKind{store.CodeStoreInvite}
	}
	a, c, err := s.RedeemCode(ctx, RedeemParams{Kinds: kinds, Code: p.Code, Key: p.Key, RemoteAddr: p.RemoteAddr,
		Name: p.Name, Email: p.Email, Actor: p.Actor})
	return a, c, s.joined(a, c, err, p.Actor != nil)
}

// ClaimKey redeems a key link code for the key of this session.
func (s *Service) ClaimKey(ctx context.Context, key ssh.PublicKey, remoteAddr, code string) (Actor, error) {
	a, c, err := s.RedeemCode(ctx, RedeemParams{Kinds: []store.CodeKind{store.CodeKeyLink}, Code: code, Key: key, RemoteAddr: remoteAddr})
	s.redeemed(ctx, a, c, err)
	return a, err
}

// SignUpWithCode redeems any code typed on the sign-up screen by a key
// without an account: a key link joins the key to its account, an invite
// creates one (a store invite makes it a member too). Each has the effects
// of its command, keys claim or join: the ledger entry, and the event that
// redraws every open Members panel of the store.
func (s *Service) SignUpWithCode(ctx context.Context, p JoinParams) (Actor, store.Code, error) {
	a, c, err := s.RedeemCode(ctx, RedeemParams{Code: p.Code, Key: p.Key, RemoteAddr: p.RemoteAddr, Name: p.Name, Email: p.Email})
	s.redeemed(ctx, a, c, err)
	return a, c, s.joined(a, c, err, false)
}

// redeemed records a key a link code attached, in its account's ledger.
func (s *Service) redeemed(ctx context.Context, a Actor, c store.Code, err error) {
	if err == nil && c.Kind == store.CodeKeyLink {
		s.Record(ctx, a, store.ActivityEvent{AccountID: a.Account.ID, Kind: store.KindKeyAdd, Subject: a.Fingerprint})
	}
}

// KeyRemove removes one of the actor's keys; the last one stays.
func (s *Service) KeyRemove(ctx context.Context, a Actor, keyID int64) error {
	if _, err := s.active(ctx, a); err != nil {
		return err
	}
	removed := ""
	if keys, err := s.db.KeyList(ctx, a.Account.ID); err == nil {
		for _, k := range keys {
			if k.ID == keyID {
				removed = k.Fingerprint
			}
		}
	}
	err := s.db.KeyRemove(ctx, &store.KeyRemoveParams{AccountID: a.Account.ID, KeyID: keyID})
	if errors.Is(err, store.ErrLastKey) {
		return errors.New("this is your only key: link another (keys link) before removing it")
	}
	if err != nil {
		return err
	}
	s.security(ctx, "key removed", a.who(), "removed_key", removed)
	s.Record(ctx, a, store.ActivityEvent{AccountID: a.Account.ID, Kind: store.KindKeyRemove, Subject: removed})
	// Open sessions of the removed key end.
	s.accessChanged(a.Account.ID, 0)
	s.hub.Publish(hub.Event{Kind: hub.AccountChanged, AccountID: a.Account.ID})
	return nil
}

// CheckKey refuses keys the SSH server would refuse at the handshake, with
// the reason: DSA, RSA under 2048 bits, and certificates.
func CheckKey(pk ssh.PublicKey) error {
	switch pk.Type() {
	case ssh.KeyAlgoDSA:
		return errors.New("DSA keys are not accepted (broken, and dropped by OpenSSH): use an Ed25519 key (ssh-keygen -t ed25519)")
	case ssh.KeyAlgoRSA:
		ck, ok := pk.(ssh.CryptoPublicKey)
		if !ok {
			return errors.New("this RSA key cannot be read")
		}
		rk, ok := ck.CryptoPublicKey().(*rsa.PublicKey)
		if !ok {
			return errors.New("this RSA key cannot be read")
		}
		if bits := rk.N.BitLen(); bits < 2048 {
			return fmt.Errorf("this RSA key has %d bits, fewer than the 2048 accepted: use an Ed25519 key (ssh-keygen -t ed25519)", bits)
		}
	}
	if _, isCert := pk.(*ssh.Certificate); isCert {
		return errors.New("SSH certificates are not accepted: use a plain public key")
	}
	return nil
}
