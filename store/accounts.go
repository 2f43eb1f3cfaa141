// Accounts and the SSH keys that identify them.
package store

import (
	"context"
	"time"
)

type Accounts interface {
	// AccountCreate makes an account with its first key. A key already in
	// use answers ErrConflict.
	AccountCreate(ctx context.Context, p *AccountCreateParams) (Account, error)
	AccountGetByID(ctx context.Context, id int64) (Account, error)
	// AccountGetByFingerprint finds the account a key belongs to.
	AccountGetByFingerprint(ctx context.Context, fingerprint string) (Account, error)
	AccountList(ctx context.Context) ([]Account, error)
	AccountUpdate(ctx context.Context, p *AccountUpdateParams) (Account, error)
	AccountSetDisabled(ctx context.Context, id int64, disabled bool) error
	AccountSetAdmin(ctx context.Context, id int64, admin bool) error

	KeyList(ctx context.Context, accountID int64) ([]Key, error)
	KeyAdd(ctx context.Context, p *KeyAddParams) (Key, error)
	// KeyRemove refuses (ErrLastKey) to remove an account's only key.
	KeyRemove(ctx context.Context, p *KeyRemoveParams) error
	KeyTouch(ctx context.Context, fingerprint string, at time.Time) error
	// KeyTouchMany records several keys' last use, each its own time, in
	// as few statements as it can (one per 64 keys).
	KeyTouchMany(ctx context.Context, uses []KeyUse) error
}

// KeyUse is when a key was last used.
type KeyUse struct {
	Fingerprint string
	At          time.Time
}

type AccountCreateParams struct {
	Name        string
	Email       string
	IsAdmin     bool
	Fingerprint string
	PublicKey   string
	Comment     string
	Now         time.Time
}

// AccountUpdateParams changes the fields that are not nil.
type AccountUpdateParams struct {
	ID             int64
	Name           *string
	Email          *string
	TelegramChatID *string
	NotifyEmail    *bool
	NotifyTelegram *bool
	NotifyDigest   *bool
	// WhatsAppNumber is in international format, digits only.
	WhatsAppNumber *string
	NotifyWhatsApp *bool
	// DigestHour (0 to 23) in TimeZone (an IANA name) is when the daily
	// digest goes.
	DigestHour *int
	TimeZone   *string
	Now        time.Time
}

type KeyAddParams struct {
	AccountID   int64
	Fingerprint string
	PublicKey   string
	Comment     string
	Now         time.Time
}

type KeyRemoveParams struct {
	AccountID int64
	KeyID     int64
}
