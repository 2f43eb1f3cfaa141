package sqlstore

import (
	"context"
	"time"

	"github.com/stockroom/stockroom/store"
)

func (s *Store) LeaseAcquire(ctx context.Context, name, owner string, at, until time.Time) (bool, error) {
	// One statement: insert the lease, or take it over when it is ours or
	// has expired. The WHERE on the update makes a live lease of another
	// owner win.
	n, err := s.d.Exec(ctx, `INSERT INTO leases (name, owner, expires_at) VALUES ($1, $2, $4)
		ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
		WHERE leases.owner = excluded.owner OR leases.expires_at <= $3`, name, owner, ms(at), ms(until))
	return n == 1, s.err("lease acquire", err)
}

func (s *Store) LeaseRelease(ctx context.Context, name, owner string) error {
	_, err := s.d.Exec(ctx, `DELETE FROM leases WHERE name = $1 AND owner = $2`, name, owner)
	return s.err("lease release", err)
}

func (s *Store) WebhookSeen(ctx context.Context, id string, at time.Time, onNew store.TxFunc) (bool, error) {
	var fresh bool
	err := s.d.InTx(ctx, func(tx Tx) error {
		n, err := tx.Exec(ctx, `INSERT INTO webhook_events (id, received_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`, id, ms(at))
		if err != nil {
			return err
		}
		fresh = n == 1
		if fresh && onNew != nil {
			return onNew(ctx, txAdapter{tx})
		}
		return nil
	})
	if err != nil {
		return false, s.err("webhook seen", err)
	}
	return fresh, nil
}
