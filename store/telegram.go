// One-time codes that link an account to the Telegram chat they are sent
// from.
package store

import (
	"context"
	"time"
)

type TelegramLinks interface {
	// TelegramLinkCodeCreate stores a code for an account, replacing the
	// account's earlier code; only its hash is kept. Expired codes of all
	// accounts are dropped on the way.
	TelegramLinkCodeCreate(ctx context.Context, p *TelegramLinkCodeCreateParams) error
	// TelegramLinkCodeUse spends a code: the account it belongs to gets
	// ChatID as its Telegram chat, and the code is gone, in one
	// transaction. An unknown code is ErrNotFound, an old one ErrExpired,
	// one of a disabled account ErrForbidden; each is spent all the same.
	TelegramLinkCodeUse(ctx context.Context, p *TelegramLinkCodeUseParams) (Account, error)
}

type TelegramLinkCodeCreateParams struct {
	AccountID int64
	// Code is the code as shown; letters are compared without case,
	// spaces and dashes ignored.
	Code      string
	ExpiresAt time.Time
	Now       time.Time
}

type TelegramLinkCodeUseParams struct {
	Code   string // as typed
	ChatID string
	Now    time.Time
}
