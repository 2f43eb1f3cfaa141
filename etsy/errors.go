// Errors the Etsy client returns, typed by what the caller should do next:
// re-authorise the store, wait, retry later, or show Etsy's message to the
// seller.
package etsy

import (
	"errors"
	"fmt"
	"time"
)

var (
	// ErrTokenExpired means Etsy rejected the access token even after one
	// refresh and one retry.
	ErrTokenExpired = errors.New("etsy: access token expired")
	// ErrRevoked means Etsy answered invalid_grant: the authorization code or
	// refresh token is dead and the store must be connected again.
	ErrRevoked = errors.New("etsy: authorization revoked, the shop must be connected again")
	// ErrInsufficientScope means the token lacks a scope Stockroom needs; only
	// a new authorization grants it.
	ErrInsufficientScope = errors.New("etsy: insufficient scope, the shop must be connected again")
	// ErrQuantityRange means a quantity outside Etsy's 0..999 per offering.
	ErrQuantityRange = errors.New("etsy: quantity must be between 0 and 999")
	// ErrAllZero means an inventory update would set every offering to 0,
	// which Etsy refuses; deactivate the listing instead.
	ErrAllZero = errors.New("etsy: every offering would have quantity 0; deactivate the listing instead")
	// ErrNoProduct means a ProductMatch found no product in the inventory.
	ErrNoProduct = errors.New("etsy: no product matches")
	// ErrAmbiguousProduct means a ProductMatch found more than one product.
	ErrAmbiguousProduct = errors.New("etsy: more than one product matches")
)

// RateLimitError reports that a call was refused, by Etsy (429) or before
// sending because the key's budget is spent. Calls for the same key are held
// back until RetryAfter has passed.
type RateLimitError struct {
	RetryAfter time.Duration
	// Daily is true when the rolling 24 hour budget is spent, which can last
	// hours; false for the per-second limit.
	Daily   bool
	Message string
}

func (e *RateLimitError) Error() string {
	kind := "per-second"
	if e.Daily {
		kind = "daily"
	}
	msg := fmt.Sprintf("etsy: %s rate limit reached, retry after %s", kind, e.RetryAfter)
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// TransientError is a failure worth retrying later: a 5xx, a timeout, a
// broken connection, or a body that is malformed or too large.
type TransientError struct {
	Status    int // 0 when no response arrived
	RequestID string
	Err       error
}

func (e *TransientError) Error() string {
	s := "etsy: temporary failure"
	if e.Status != 0 {
		s += fmt.Sprintf(" (HTTP %d)", e.Status)
	}
	if e.RequestID != "" {
		s += " [request " + e.RequestID + "]"
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *TransientError) Unwrap() error { return e.Err }

// RejectedError is a 4xx Etsy gave for this request; Message is Etsy's own
// explanation, fit to show the seller (after sanitizing).
type RejectedError struct {
	Status    int
	Message   string
	RequestID string
}

func (e *RejectedError) Error() string {
	s := fmt.Sprintf("etsy: request rejected (HTTP %d): %s", e.Status, e.Message)
	if e.RequestID != "" {
		s += " [request " + e.RequestID + "]"
	}
	return s
}

// IsTransient reports whether err is worth retrying later as is.
func IsTransient(err error) bool {
	var te *TransientError
	return errors.As(err, &te)
}

// IsRateLimited reports whether err is a rate limit and how long to wait.
func IsRateLimited(err error) (time.Duration, bool) {
	var rl *RateLimitError
	if errors.As(err, &rl) {
		return rl.RetryAfter, true
	}
	return 0, false
}

// NeedsReauthorization reports whether only connecting the shop again can
// fix err.
func NeedsReauthorization(err error) bool {
	return errors.Is(err, ErrRevoked) || errors.Is(err, ErrInsufficientScope)
}

// IsNotFound reports whether Etsy answered 404.
func IsNotFound(err error) bool {
	var re *RejectedError
	return errors.As(err, &re) && re.Status == 404
}
