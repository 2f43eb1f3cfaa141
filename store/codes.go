// One-time codes: key links, account invites and store invites share one
// table and one way to be spent.
package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"time"
)

// CodeKind is what a code grants.
type CodeKind string

const (
	// CodeKeyLink lets the key that redeems it join the issuer's account.
	CodeKeyLink CodeKind = "key_link"
	// CodeAccountInvite lets the key that redeems it create an account,
	// even when sign-up is closed.
	CodeAccountInvite CodeKind = "account_invite"
	// CodeStoreInvite makes the redeemer a member of a store with a role.
	CodeStoreInvite CodeKind = "store_invite"
)

// Valid tells whether k is a known kind.
func (k CodeKind) Valid() bool {
	return k == CodeKeyLink || k == CodeAccountInvite || k == CodeStoreInvite
}

// Code is a one-time code as stored: never the code itself.
type Code struct {
	ID        int64
	Kind      CodeKind
	AccountID int64 // who issued it
	StoreID   int64 // store invites only
	Role      Role  // store invites only
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time
	UsedBy    int64 // the account that redeemed it, 0 if gone or unused
	RevokedAt time.Time
}

// Pending tells whether the code can still be redeemed at now.
func (c Code) Pending(now time.Time) bool {
	return c.UsedAt.IsZero() && c.RevokedAt.IsZero() && now.Before(c.ExpiresAt)
}

type Codes interface {
	// CodeCreate stores a code's hash with what it grants. Codes that
	// ended (expired, used or revoked) more than CodeKeep ago are dropped on
	// the way.
	CodeCreate(ctx context.Context, p *CodeCreateParams) (Code, error)
	// CodeRedeem spends a code and applies what it grants in one
	// transaction: of two concurrent redemptions exactly one wins. An
	// unknown, revoked or other-kind code is ErrNotFound, a spent one
	// ErrUsed, an old one ErrExpired; a code whose issuer is disabled is
	// ErrForbidden. When what it grants fails (the key already has an
	// account: ErrConflict) nothing changes and the code stays unspent.
	CodeRedeem(ctx context.Context, p *CodeRedeemParams) (CodeRedemption, error)
	// CodeRevoke ends an unspent code. AccountID, when not zero, must be
	// the issuer (ErrNotFound otherwise); a spent code is ErrUsed; revoking
	// twice is not an error.
	CodeRevoke(ctx context.Context, p *CodeRevokeParams) (Code, error)
	// CodeList lists codes, newest first.
	CodeList(ctx context.Context, p *CodeListParams) ([]Code, error)
	// CodeAttemptAdd records one redemption attempt at Now in each of
	// Buckets and returns, bucket by bucket, the attempts since Since, this
	// one included: every replica counts the same attempts. Attempts before
	// Since, of any bucket, are dropped on the way.
	CodeAttemptAdd(ctx context.Context, p *CodeAttemptAddParams) ([]int, error)
}

type CodeAttemptAddParams struct {
	Buckets []string // e.g. "key:SHA256:…", "ip:192.0.2.1"
	Since   time.Time
	Now     time.Time
}

// CodeKeep is how long an ended code stays listed.
const CodeKeep = 30 * 24 * time.Hour

type CodeCreateParams struct {
	Kind      CodeKind
	Code      string // as shown; see CodeHash
	AccountID int64  // the issuer
	StoreID   int64  // store invites: the store
	Role      Role   // store invites: the role granted
	ExpiresAt time.Time
	Now       time.Time
}

type CodeRedeemParams struct {
	// Kinds the caller accepts; empty accepts any.
	Kinds []CodeKind
	Code  string // as typed
	// Key joins the issuer's account (key links). Its AccountID is ignored.
	Key *KeyAddParams
	// Account is created with its first key (account invites, and store
	// invites redeemed by a new person).
	Account *AccountCreateParams
	// AccountID is the existing account redeeming a store invite.
	AccountID int64
	Now       time.Time
}

// CodeRedemption is what a spent code did.
type CodeRedemption struct {
	Code Code
	// Account is the account the key joined, the one created, or the new
	// member.
	Account Account
	Key     Key // key links
}

type CodeRevokeParams struct {
	ID        int64
	AccountID int64 // the issuer; 0 for an admin revoking any code
	Now       time.Time
}

type CodeListParams struct {
	AccountID int64    // issuer; 0: any
	Kind      CodeKind // "": any
	StoreID   int64    // 0: any
	// Pending lists only codes that can still be redeemed at Now.
	Pending bool
	Now     time.Time
}

// codeAlphabet is Crockford's base32: digits and capitals without I, L, O
// and U, so a code read aloud or copied by hand has no look-alikes.
const codeAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// NormalizeCode turns a code as typed into its canonical form: capitals,
// no spaces or dashes, and the look-alikes O, I and L read as 0, 1 and 1.
// It answers ErrInvalid for anything that is not a code, before any lookup.
func NormalizeCode(code string) (string, error) {
	var b strings.Builder
	for _, r := range strings.ToUpper(code) {
		switch {
		case r == ' ' || r == '-' || r == '\t':
			continue
		case r == 'O':
			r = '0'
		case r == 'I' || r == 'L':
			r = '1'
		}
		if r > 127 || !strings.ContainsRune(codeAlphabet, r) {
			return "", errors.Join(ErrInvalid, errors.New("a code has only letters and digits"))
		}
		b.WriteRune(r)
	}
	if b.Len() < 8 || b.Len() > 64 {
		return "", errors.Join(ErrInvalid, errors.New("a code is 8 to 64 letters and digits"))
	}
	return b.String(), nil
}

// CodeHash is what the database keeps of a code: the SHA-256 of its
// canonical form, so every way of typing it finds the same row.
func CodeHash(code string) (string, error) {
	n, err := NormalizeCode(code)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(n))
	return hex.EncodeToString(sum[:]), nil
}

// CodeAlphabet is the set of symbols a generated code uses.
func CodeAlphabet() string { return codeAlphabet }
