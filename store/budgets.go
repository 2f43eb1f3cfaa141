// Etsy day budgets shared by every process on one database.
package store

import (
	"context"
	"time"
)

// RateBudgets keeps each Etsy rate-limit key's day budget in the database,
// so that two server processes sharing it reserve calls from one figure.
type RateBudgets interface {
	// RateBudgetReserve takes one call from the key's day budget before the
	// call is sent. It refuses (OK false) when the budget reads 0 and no
	// probe is due; an unknown key is let through, since only an answer
	// tells the budget.
	RateBudgetReserve(ctx context.Context, p *RateBudgetReserveParams) (RateBudgetReservation, error)
	// RateBudgetObserve records what an answer's headers said and ends
	// its call's reservation.
	RateBudgetObserve(ctx context.Context, p *RateBudgetObserveParams) error
	// RateBudgetRelease ends a reservation whose call told nothing of the
	// budget; Refund returns its unit when the call was never sent.
	RateBudgetRelease(ctx context.Context, p *RateBudgetReleaseParams) error
	// RateBudgetGet reads a key's budget; ErrNotFound when no call of the
	// key was ever reserved.
	RateBudgetGet(ctx context.Context, key string) (RateBudget, error)
}

// RateBudget is one key's day budget as every process sees it.
type RateBudget struct {
	Key string
	// Known is false until an answer carried Etsy's limit headers.
	Known bool
	// PerDay is Etsy's limit; Remaining is what is left once the calls in
	// flight are counted.
	PerDay, Remaining int
	// InFlight counts reserved calls whose answer has not been recorded.
	InFlight  int
	UpdatedAt time.Time
}

type RateBudgetReserveParams struct {
	Key string
	Now time.Time
	// ProbeEvery is how often one call is let through while the budget
	// reads 0: Etsy's window slides, and only a call tells what came back.
	ProbeEvery time.Duration
	// StaleAfter forgets calls in flight when no call was reserved for this
	// long: their process died before recording the answer.
	StaleAfter time.Duration
}

// RateBudgetReservation is the outcome of a reservation.
type RateBudgetReservation struct {
	OK bool
	// Counted says the reservation took a unit of a known budget (not a
	// probe, not an unknown key): a refund gives it back.
	Counted bool
	// Seq numbers the reservation among the key's; its answer carries it.
	Seq int64
}

type RateBudgetObserveParams struct {
	Key string
	// Seq is the answered call's reservation. An answer to the only call
	// reserved since (and including) Seq sets the figure; any other may be
	// older than answers already recorded, so it can only lower it.
	Seq int64
	// PerDay 0 keeps the known limit (the answer did not carry it).
	PerDay    int
	Remaining int
	Now       time.Time
}

type RateBudgetReleaseParams struct {
	Key string
	// Refund gives the reserved unit back: the call was never sent.
	Refund bool
}
