// Security events: one structured log line for each thing an operator
// watching for an attack needs to see — who (account and key), what, and
// from where. Codes and tokens never reach these lines: callers pass ids.
package app

import (
	"context"
	"log/slog"
	"net"
	"time"

	"github.com/stockroom/stockroom/internal/ratelimit"
)

// Events a failing or hostile client can cause as fast as it can connect
// are logged at most securityBurst times per address and event in each
// securityWindow; the first line over says how many more to expect.
const (
	securityBurst  = 10
	securityWindow = time.Minute
)

// who identifies the actor of a security event.
type who struct {
	AccountID   int64
	Fingerprint string
	Remote      string
}

func (a Actor) who() who {
	return who{AccountID: a.Account.ID, Fingerprint: a.Fingerprint, Remote: a.RemoteAddr}
}

// security logs one security event.
func (s *Service) security(ctx context.Context, event string, w who, attrs ...any) {
	base := []any{slog.String("security", event), slog.Int64("account", w.AccountID),
		slog.String("key", w.Fingerprint), slog.String("remote", w.Remote)}
	s.log.Log(ctx, slog.LevelInfo, "security: "+event, append(base, attrs...)...)
}

// securityLimited logs an event an attacker can repeat at will, at most
// securityBurst times per window for each address and event.
func (s *Service) securityLimited(ctx context.Context, event string, w who, attrs ...any) {
	ok, n := s.secLimit.AllowN(event + "|" + ipOf(w.Remote))
	switch {
	case ok:
		s.security(ctx, event, w, attrs...)
	case n == securityBurst+1:
		s.log.Log(ctx, slog.LevelWarn, "security: events suppressed", slog.String("security", "suppressed"),
			slog.String("event", event), slog.String("remote", ipOf(w.Remote)),
			slog.Int("limit", securityBurst), slog.Duration("window", securityWindow))
	}
}

// SecurityEvent logs an event the SSH server sees before any account is
// known (a refused login); it is rate-limited per address.
func (s *Service) SecurityEvent(ctx context.Context, event, fingerprint, remote string, attrs ...any) {
	s.securityLimited(ctx, event, who{Fingerprint: fingerprint, Remote: remote}, attrs...)
}

func newSecurityLimiter(now func() time.Time) *ratelimit.Limiter {
	return ratelimit.New(securityBurst, securityWindow, now)
}

// ipOf is the IP of a remote address, without its port.
func ipOf(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}
