package vault

import (
	"context"
	"errors"
	"time"

	"github.com/stockroom/stockroom/etsy"
	"github.com/stockroom/stockroom/store"
)

// BudgetLedger keeps the Etsy client's day budgets in the store, so every
// server process on one database reserves calls from one figure and shows
// the same one. It implements etsy.Ledger.
type BudgetLedger struct {
	db store.RateBudgets
}

var _ etsy.Ledger = (*BudgetLedger)(nil)

// NewBudgetLedger returns a ledger on db.
func NewBudgetLedger(db store.RateBudgets) *BudgetLedger { return &BudgetLedger{db: db} }

func (l *BudgetLedger) Reserve(ctx context.Context, key string, now time.Time, probeEvery, staleAfter time.Duration) (etsy.LedgerReservation, error) {
	r, err := l.db.RateBudgetReserve(ctx, &store.RateBudgetReserveParams{Key: key, Now: now, ProbeEvery: probeEvery, StaleAfter: staleAfter})
	return etsy.LedgerReservation{OK: r.OK, Counted: r.Counted, Seq: r.Seq}, err
}

func (l *BudgetLedger) Observe(ctx context.Context, key string, seq int64, perDay, remaining int, now time.Time) error {
	return l.db.RateBudgetObserve(ctx, &store.RateBudgetObserveParams{Key: key, Seq: seq, PerDay: perDay, Remaining: remaining, Now: now})
}

func (l *BudgetLedger) Release(ctx context.Context, key string, refund bool) error {
	return l.db.RateBudgetRelease(ctx, &store.RateBudgetReleaseParams{Key: key, Refund: refund})
}

func (l *BudgetLedger) Budget(ctx context.Context, key string) (etsy.Budget, bool, error) {
	b, err := l.db.RateBudgetGet(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return etsy.Budget{}, false, nil
	}
	if err != nil {
		return etsy.Budget{}, false, err
	}
	return etsy.Budget{Known: b.Known, PerDay: b.PerDay, RemainingToday: b.Remaining, UpdatedAt: b.UpdatedAt}, true, nil
}
