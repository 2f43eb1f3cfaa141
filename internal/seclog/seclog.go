// Package seclog writes security events: one structured log line for each
// thing an operator watching for an attack needs to see — who (account and
// key), what, and from where. Events a hostile client can repeat at will
// (refused logins, failed codes) are rate-limited per address, so an attack
// cannot flood the log; the first line over the limit says so. Callers pass
// ids and fingerprints, never codes or tokens.
package seclog

import (
	"context"
	"log/slog"
	"net"
	"time"

	"github.com/stockroom/stockroom/internal/ratelimit"
)

// Burst events of one kind per address are logged in each Window.
const (
	Burst  = 10
	Window = time.Minute
)

// Who is the actor of an event.
type Who struct {
	AccountID   int64
	Fingerprint string
	Remote      string
}

// Logger writes security events to a slog.Logger.
type Logger struct {
	log *slog.Logger
	lim *ratelimit.Limiter
}

// New wraps log; now may be nil for the wall clock.
func New(log *slog.Logger, now func() time.Time) *Logger {
	return &Logger{log: log, lim: ratelimit.New(Burst, Window, now)}
}

// Event logs one event: message "security: EVENT", attribute security=EVENT.
func (l *Logger) Event(ctx context.Context, event string, w Who, attrs ...any) {
	base := []any{slog.String("security", event), slog.Int64("account", w.AccountID),
		slog.String("key", w.Fingerprint), slog.String("remote", w.Remote)}
	l.log.Log(ctx, slog.LevelInfo, "security: "+event, append(base, attrs...)...)
}

// Limited logs an event a client can cause as often as it likes, at most
// Burst times per Window for each address and event.
func (l *Logger) Limited(ctx context.Context, event string, w Who, attrs ...any) {
	ip := IP(w.Remote)
	ok, n := l.lim.AllowN(event + "|" + ip)
	switch {
	case ok:
		l.Event(ctx, event, w, attrs...)
	case n == Burst+1:
		l.log.Log(ctx, slog.LevelWarn, "security: events suppressed", slog.String("security", "suppressed"),
			slog.String("event", event), slog.String("remote", ip), slog.Int("limit", Burst), slog.Duration("window", Window))
	}
}

// IP is the IP of a remote address, without its port.
func IP(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}
