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
	rows, err := s.d.Query(ctx, `SELECT id FROM processes WHERE seen_at < $1 ORDER BY seen_at`, ms(before))
	if err != nil {
		return nil, s.err("process list dead", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, s.err("process list dead", err)
		}
		out = append(out, id)
	}
	return out, s.err("process list dead", rows.Err())
}

func (s *Store) ProcessDelete(ctx context.Context, id string) error {
	_, err := s.d.Exec(ctx, `DELETE FROM processes WHERE id = $1`, id)
	return s.err("process delete", err)
}
