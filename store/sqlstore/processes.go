package sqlstore

import (
	"context"
	"time"
)

func (s *Store) ProcessBeat(ctx context.Context, id string, at time.Time) error {
	t := ms(now(at))
	_, err := s.d.Exec(ctx, `INSERT INTO processes (id, started_at, seen_at) VALUES ($1, $2, $2)
		ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at`, id, t)
	return s.err("process beat", err)
}

func (s *Store) ProcessListDead(ctx context.Context, before time.Time) ([]string, error) {
	return queryAll(ctx, s, s.d, "process list dead", func(r Row) (id string, err error) {
		return id, r.Scan(&id)
	}, `SELECT id FROM processes WHERE seen_at < $1 ORDER BY seen_at`, ms(before))
}

func (s *Store) ProcessDelete(ctx context.Context, id string) error {
	_, err := s.d.Exec(ctx, `DELETE FROM processes WHERE id = $1`, id)
	return s.err("process delete", err)
}
