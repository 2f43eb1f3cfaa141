// Security events of the application layer; see package seclog.
package app

import (
	"context"

	"github.com/stockroom/stockroom/internal/seclog"
)

func (a Actor) who() seclog.Who {
	return seclog.Who{AccountID: a.Account.ID, Fingerprint: a.Fingerprint, Remote: a.RemoteAddr}
}

// security logs one security event.
func (s *Service) security(ctx context.Context, event string, w seclog.Who, attrs ...any) {
	s.sec.Event(ctx, event, w, attrs...)
}

// securityLimited logs an event an attacker can repeat at will,
// rate-limited per address.
func (s *Service) securityLimited(ctx context.Context, event string, w seclog.Who, attrs ...any) {
	s.sec.Limited(ctx, event, w, attrs...)
}

// ipOf is the IP of a remote address, without its port.
func ipOf(addr string) string { return seclog.IP(addr) }
