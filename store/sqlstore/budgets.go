package sqlstore

import (
	"context"
	"errors"

	"github.com/stockroom/stockroom/store"
)

// RateBudgetReserve is one upsert, so that concurrent reservations of any
// number of processes serialise on the key's row: the WHERE is evaluated
// against the row as the previous reservation left it.
func (s *Store) RateBudgetReserve(ctx context.Context, p *store.RateBudgetReserveParams) (store.RateBudgetReservation, error) {
	now := ms(p.Now)
	var known int
	var probedAt, seq int64
	err := s.d.QueryRow(ctx, `INSERT INTO etsy_budgets (rate_key, known, per_day, remaining, in_flight, reserved_at, probed_at, updated_at, reserved_seq)
		VALUES ($1, 0, 0, 0, 1, $2, 0, 0, 1)
		ON CONFLICT (rate_key) DO UPDATE SET
			reserved_seq = etsy_budgets.reserved_seq + 1,
			in_flight = (CASE WHEN etsy_budgets.reserved_at < $3 THEN 0 ELSE etsy_budgets.in_flight END) + 1,
			remaining = CASE WHEN etsy_budgets.known = 1 AND etsy_budgets.remaining > 0 THEN etsy_budgets.remaining - 1 ELSE etsy_budgets.remaining END,
			probed_at = CASE WHEN etsy_budgets.known = 1 AND etsy_budgets.remaining <= 0 THEN $2 ELSE etsy_budgets.probed_at END,
			reserved_at = $2
		WHERE etsy_budgets.known = 0 OR etsy_budgets.remaining > 0 OR etsy_budgets.probed_at <= $4
		RETURNING known, probed_at, reserved_seq`,
		p.Key, now, now-p.StaleAfter.Milliseconds(), now-p.ProbeEvery.Milliseconds()).Scan(&known, &probedAt, &seq)
	if err != nil {
		err = s.err("rate budget reserve", err)
		if errors.Is(err, store.ErrNotFound) {
			// The WHERE refused: spent, and no probe due.
			return store.RateBudgetReservation{}, nil
		}
		return store.RateBudgetReservation{}, err
	}
	// A probe stamps probed_at with this reservation's time.
	return store.RateBudgetReservation{OK: true, Counted: known == 1 && probedAt != now, Seq: seq}, nil
}

// RateBudgetObserve never lets the figure show budget that is gone. The
// header's remaining figure less the other calls in flight (Etsy may not
// have counted them yet) sets it when this call was the only one reserved
// since its own; otherwise the answer may be older than answers already
// recorded (answers overtake each other), and it can only lower the figure.
func (s *Store) RateBudgetObserve(ctx context.Context, p *store.RateBudgetObserveParams) error {
	now := ms(p.Now)
	_, err := s.d.Exec(ctx, `INSERT INTO etsy_budgets (rate_key, known, per_day, remaining, in_flight, reserved_at, probed_at, updated_at)
		VALUES ($1, 1, $2, $3, 0, 0, $4, $4)
		ON CONFLICT (rate_key) DO UPDATE SET
			known = 1,
			per_day = CASE WHEN excluded.per_day > 0 THEN excluded.per_day ELSE etsy_budgets.per_day END,
			in_flight = CASE WHEN etsy_budgets.in_flight > 0 THEN etsy_budgets.in_flight - 1 ELSE 0 END,
			remaining = CASE
				WHEN excluded.remaining <= etsy_budgets.in_flight - 1 THEN 0
				WHEN etsy_budgets.known = 0 OR (etsy_budgets.reserved_seq = $5 AND etsy_budgets.in_flight <= 1)
					OR etsy_budgets.remaining > excluded.remaining - (CASE WHEN etsy_budgets.in_flight > 0 THEN etsy_budgets.in_flight - 1 ELSE 0 END)
				THEN excluded.remaining - (CASE WHEN etsy_budgets.in_flight > 0 THEN etsy_budgets.in_flight - 1 ELSE 0 END)
				ELSE etsy_budgets.remaining END,
			probed_at = excluded.probed_at,
			updated_at = excluded.updated_at`,
		p.Key, p.PerDay, max(p.Remaining, 0), now, p.Seq)
	return s.err("rate budget observe", err)
}

func (s *Store) RateBudgetRelease(ctx context.Context, p *store.RateBudgetReleaseParams) error {
	refund := 0
	if p.Refund {
		refund = 1
	}
	_, err := s.d.Exec(ctx, `UPDATE etsy_budgets SET
			in_flight = CASE WHEN in_flight > 0 THEN in_flight - 1 ELSE 0 END,
			remaining = CASE WHEN known = 1 THEN remaining + $2 ELSE remaining END
		WHERE rate_key = $1`, p.Key, refund)
	return s.err("rate budget release", err)
}

func (s *Store) RateBudgetGet(ctx context.Context, key string) (store.RateBudget, error) {
	b := store.RateBudget{Key: key}
	var known int
	var updated int64
	err := s.d.QueryRow(ctx, `SELECT known, per_day, remaining, in_flight, updated_at FROM etsy_budgets WHERE rate_key = $1`, key).
		Scan(&known, &b.PerDay, &b.Remaining, &b.InFlight, &updated)
	if err != nil {
		return store.RateBudget{}, s.err("rate budget get", err)
	}
	b.Known, b.UpdatedAt = known == 1, fromMS(updated)
	return b, nil
}
