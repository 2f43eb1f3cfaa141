package hub

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// channel is the PostgreSQL notification channel.
const channel = "stockroom_events"

// Bridge relays a Hub's events between processes sharing one PostgreSQL
// database. Each process publishes with pg_notify and listens on one
// dedicated connection, reconnecting after failures.
type Bridge struct {
	hub    *Hub
	pool   *pgxpool.Pool
	origin string
	log    *slog.Logger
	out    chan Event
}

// NewBridge attaches a bridge to h. origin names this process.
func NewBridge(h *Hub, pool *pgxpool.Pool, origin string, log *slog.Logger) *Bridge {
	b := &Bridge{hub: h, pool: pool, origin: origin, log: log, out: make(chan Event, 1024)}
	h.mu.Lock()
	h.relay = func(e Event) {
		if e.Origin != "" {
			return // came from another process: do not echo
		}
		e.Origin = origin
		select {
		case b.out <- e:
		default:
			h.dropped("relay")
			log.Warn("live-update relay queue full; event dropped", "kind", e.Kind, "store", e.StoreID)
		}
	}
	h.mu.Unlock()
	return b
}

// Run listens and sends until ctx ends.
func (b *Bridge) Run(ctx context.Context) error {
	go b.send(ctx)
	for ctx.Err() == nil {
		if err := b.listen(ctx); err != nil && ctx.Err() == nil {
			b.log.Warn("live-update listener lost its connection; retrying", "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
	return nil
}

func (b *Bridge) listen(ctx context.Context) error {
	conn, err := b.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "LISTEN "+channel); err != nil {
		return err
	}
	for {
		n, err := conn.Conn().WaitForNotification(ctx)
		if err != nil {
			return err
		}
		var e Event
		if json.Unmarshal([]byte(n.Payload), &e) != nil || e.Origin == b.origin {
			continue
		}
		e.At = time.Now() // the change committed before its notification arrived
		b.hub.deliver(e)
	}
}

func (b *Bridge) send(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case e := <-b.out:
			if _, err := b.pool.Exec(ctx, "SELECT pg_notify($1, $2)", channel, encode(e)); err != nil && ctx.Err() == nil {
				b.log.Warn("live-update notify failed", "err", err)
			}
		}
	}
}
