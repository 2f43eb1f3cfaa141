// One-time OAuth connect attempts.
package store

import (
	"context"
	"time"
)

type OAuthStates interface {
	OAuthStateCreate(ctx context.Context, s *OAuthState) error
	OAuthStateGet(ctx context.Context, state string) (OAuthState, error)
	// OAuthStateConsume marks the state used, atomically: of two callbacks
	// with the same state exactly one succeeds. Others get ErrUsed, an old
	// state ErrExpired, an unknown one ErrNotFound.
	OAuthStateConsume(ctx context.Context, state string, now time.Time) (OAuthState, error)
	// OAuthStateSetPending stores the shop and sealed tokens the callback
	// obtained, awaiting the person's confirmation.
	OAuthStateSetPending(ctx context.Context, s *OAuthState) error
	// OAuthStateComplete checks the confirmation token, saves the store and
	// its owner membership, and closes the state, in one transaction.
	OAuthStateComplete(ctx context.Context, p *OAuthStateCompleteParams) (Store, error)
	OAuthStateFail(ctx context.Context, state, message string, now time.Time) error
	OAuthStateDeleteExpired(ctx context.Context, before time.Time) (int, error)
}

type OAuthStateCompleteParams struct {
	State        string
	ConfirmToken string
	IsSandbox    bool
	// Reseal re-seals the pending tokens for the store row (their
	// associated data names the state, then the store).
	Reseal func(access, refresh []byte, shopID int64) ([]byte, []byte, error)
	Now    time.Time
}
