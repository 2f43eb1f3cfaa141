// Accounts and their SSH keys.
package app

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/ssh"

	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/safetext"
	"github.com/stockroom/stockroom/store"
)

// Identify finds the account of the key that authenticated. An unknown key
// answers ErrUnknownKey; a disabled account ErrDisabled. Keys named admin in
// the configuration make their account an admin.
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
	if s.admins[fingerprint] && !acct.IsAdmin {
		if err := s.db.AccountSetAdmin(ctx, acct.ID, true); err != nil {
			return Actor{}, err
		}
		acct.IsAdmin = true
	}
	_ = s.db.KeyTouch(ctx, fingerprint, s.now())
	return Actor{Account: acct, Fingerprint: fingerprint}, nil
}

// SignUpParams is what a new seller enters.
type SignUpParams struct {
	Name      string
	Email     string
	PublicKey ssh.PublicKey
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
	if !s.signup {
		return Actor{}, ErrSignupClosed
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
		Name: name, Email: email, IsAdmin: s.admins[fp], Fingerprint: fp,
		PublicKey: strings.TrimSpace(string(ssh.MarshalAuthorizedKey(p.PublicKey))), Now: s.now(),
	})
	if err != nil {
		return Actor{}, err
	}
	s.log.Info("account created", "account", acct.ID, "key", fp)
	return Actor{Account: acct, Fingerprint: fp}, nil
}

// ProfileParams changes the fields that are not nil.
type ProfileParams struct {
	Name           *string
	Email          *string
	TelegramChatID *string
	NotifyEmail    *bool
	NotifyTelegram *bool
	NotifyDigest   *bool
}

// UpdateProfile changes the actor's own account.
func (s *Service) UpdateProfile(ctx context.Context, a Actor, p ProfileParams) (store.Account, error) {
	if _, err := s.active(ctx, a); err != nil {
		return store.Account{}, err
	}
	if p.Name != nil {
		n, err := ValidateName(*p.Name)
		if err != nil {
			return store.Account{}, err
		}
		p.Name = &n
	}
	if p.TelegramChatID != nil {
		id := strings.TrimSpace(*p.TelegramChatID)
		if _, err := strconv.ParseInt(id, 10, 64); id != "" && err != nil && !validChannel(id) {
			return store.Account{}, fmt.Errorf("%q is not a Telegram chat id: want a number such as 123456789 or a @channel name", safetext.Clean(id))
		}
		p.TelegramChatID = &id
	}
	if p.Email != nil {
		e, err := ValidateEmail(*p.Email)
		if err != nil {
			return store.Account{}, err
		}
		p.Email = &e
	}
	acct, err := s.db.AccountUpdate(ctx, &store.AccountUpdateParams{ID: a.Account.ID, Name: p.Name, Email: p.Email,
		TelegramChatID: p.TelegramChatID, NotifyEmail: p.NotifyEmail, NotifyTelegram: p.NotifyTelegram,
		NotifyDigest: p.NotifyDigest, Now: s.now()})
	if err == nil {
		s.hub.Publish(hub.Event{Kind: hub.AccountChanged, AccountID: acct.ID})
	}
	return acct, err
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

// Profile returns the actor's own account as it is now.
func (s *Service) Profile(ctx context.Context, a Actor) (store.Account, error) {
	return s.db.AccountGetByID(ctx, a.Account.ID)
}

// Keys lists the actor's keys.
func (s *Service) Keys(ctx context.Context, a Actor) ([]store.Key, error) {
	return s.db.KeyList(ctx, a.Account.ID)
}

// KeyAdd adds a public key given in authorized_keys format.
func (s *Service) KeyAdd(ctx context.Context, a Actor, authorized string) (store.Key, error) {
	if _, err := s.active(ctx, a); err != nil {
		return store.Key{}, err
	}
	pk, comment, _, _, err := ssh.ParseAuthorizedKey([]byte(strings.TrimSpace(authorized)))
	if err != nil {
		return store.Key{}, errors.New("not a public key: paste one line such as \"ssh-ed25519 AAAA... you@laptop\"")
	}
	k, err := s.db.KeyAdd(ctx, &store.KeyAddParams{AccountID: a.Account.ID, Fingerprint: ssh.FingerprintSHA256(pk),
		PublicKey: strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pk))), Comment: safetext.Clean(comment), Now: s.now()})
	if errors.Is(err, store.ErrConflict) {
		return k, errors.New("that key already belongs to a Stockroom account")
	}
	if err == nil {
		s.Record(ctx, a, store.ActivityEvent{AccountID: a.Account.ID, Kind: store.KindKeyAdd, Subject: k.Fingerprint, After: k.Comment})
	}
	return k, err
}

// KeyRemove removes one of the actor's keys; the last one stays.
func (s *Service) KeyRemove(ctx context.Context, a Actor, keyID int64) error {
	if _, err := s.active(ctx, a); err != nil {
		return err
	}
	err := s.db.KeyRemove(ctx, &store.KeyRemoveParams{AccountID: a.Account.ID, KeyID: keyID})
	if errors.Is(err, store.ErrLastKey) {
		return errors.New("this is your only key: add another before removing it")
	}
	if err == nil {
		s.Record(ctx, a, store.ActivityEvent{AccountID: a.Account.ID, Kind: store.KindKeyRemove, Subject: fmt.Sprintf("key %d", keyID)})
	}
	return err
}
