// The day budget shared through a ledger. Etsy counts a key's day budget
// for every process that uses the key's token; a limiter in one process
// cannot see the calls of another, so with a Ledger configured each call is
// reserved in it (the database) before it is sent and its answer recorded
// there after.
package etsy

import (
	"context"
	"net/http"
	"time"
)

// ledgerStaleAfter forgets calls in flight when no call of the key was
// reserved for this long: the process that sent them died. It is well
// above the longest call (Timeout).
const ledgerStaleAfter = 2 * time.Minute

// ledgerOpTimeout bounds a ledger update made after the caller's context
// may have ended: the answer must be recorded even if nobody waits for it.
const ledgerOpTimeout = 5 * time.Second

// Ledger keeps each key's day budget where every process using the key
// sees it. vault.BudgetLedger implements it on the store.
type Ledger interface {
	// Reserve takes one call from key's day budget before it is sent.
	// OK is false when the budget is spent and no probe is due (one call
	// per probeEvery is let through to learn what came back).
	Reserve(ctx context.Context, key string, now time.Time, probeEvery, staleAfter time.Duration) (LedgerReservation, error)
	// Observe records the figures of the answer to reservation seq and
	// ends it; perDay 0 keeps the known limit. Only an answer to the one
	// call reserved since seq may raise the figure: any other may be
	// older than answers already recorded.
	Observe(ctx context.Context, key string, seq int64, perDay, remaining int, now time.Time) error
	// Release ends a reservation whose call told nothing of the budget;
	// refund returns its unit (the call was never sent).
	Release(ctx context.Context, key string, refund bool) error
	// Budget reads key's day budget; found is false before any call.
	Budget(ctx context.Context, key string) (b Budget, found bool, err error)
}

// LedgerReservation is a call reserved in a Ledger.
type LedgerReservation struct {
	OK bool
	// Counted says the call took a unit a refund may give back (not a
	// probe, not a key whose budget is still unknown).
	Counted bool
	// Seq numbers the reservation; its answer is recorded with it.
	Seq int64
}

// ledgerTicket is a reservation held in the ledger.
type ledgerTicket struct {
	LedgerReservation
	done bool
}

// reserveShared reserves a call in the ledger; nil ticket and nil error
// when there is no ledger.
func (s *ShopClient) reserveShared(ctx context.Context) (*ledgerTicket, error) {
	c := s.c
	if c.cfg.Ledger == nil {
		return nil, nil
	}
	r, err := c.cfg.Ledger.Reserve(ctx, s.key, c.now(), dailyProbeInterval, ledgerStaleAfter)
	if err != nil {
		return nil, &TransientError{Err: err}
	}
	if !r.OK {
		return nil, &RateLimitError{RetryAfter: dailyProbeInterval, Daily: true, Message: "daily budget spent"}
	}
	return &ledgerTicket{LedgerReservation: r}, nil
}

// settleShared records the end of a ledger reservation: the answer's
// figures when h carries them, otherwise a release (refunded when the call
// was not sent). Errors are logged: the call itself happened or not
// regardless, and a later answer corrects the figure.
func (s *ShopClient) settleShared(ctx context.Context, t *ledgerTicket, h http.Header, sent bool) {
	if t == nil || t.done {
		return
	}
	t.done = true
	c := s.c
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ledgerOpTimeout)
	defer cancel()
	var err error
	if remaining, ok := headerInt(h, "x-remaining-today"); ok && h != nil {
		perDay, _ := headerInt(h, "x-limit-per-day")
		err = c.cfg.Ledger.Observe(ctx, s.key, t.Seq, perDay, remaining, c.now())
	} else {
		err = c.cfg.Ledger.Release(ctx, s.key, t.Counted && !sent)
	}
	if err != nil {
		c.log.Warn("etsy: recording the day budget failed", "key", s.key, "err", err)
	}
}

// sharedBudget overlays the ledger's day figures on what this process
// knows, so every process shows the same live figure.
func (c *Client) sharedBudget(key string, b Budget) Budget {
	if c.cfg.Ledger == nil {
		return b
	}
	ctx, cancel := context.WithTimeout(context.Background(), ledgerOpTimeout)
	defer cancel()
	lb, found, err := c.cfg.Ledger.Budget(ctx, key)
	if err != nil || !found {
		return b
	}
	b.Known = b.Known || lb.Known
	if lb.Known {
		b.PerDay, b.RemainingToday = lb.PerDay, lb.RemainingToday
		if lb.UpdatedAt.After(b.UpdatedAt) {
			b.UpdatedAt = lb.UpdatedAt
		}
	}
	return b
}
