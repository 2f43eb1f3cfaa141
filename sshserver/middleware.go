// The session middleware chain, in one place: recover, log, lifetime,
// identify, route.
package sshserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strconv"
	"time"

	"charm.land/ssh"
	"charm.land/wish/v2"
	gossh "golang.org/x/crypto/ssh"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/internal/seclog"
)

// middleware is the whole chain. Wish composes it so that the LAST listed
// runs FIRST; read it bottom up:
//
//  5. recoverPanics: outermost, so a panic anywhere below ends only this
//     session, with a log line and exit status 1.
//  4. logSessions: wraps the session in *session (the per-session state the
//     rest share) and logs it opening and closing, with key, account,
//     remote address and duration.
//  3. lifetime: registers the session for Shutdown and arms the maximum
//     session time; a session arriving during shutdown is turned away.
//  2. identify: resolves the key that authenticated to an account, refuses
//     unknown keys that may not sign up and disabled accounts, and applies
//     the per-account session cap.
//  1. route: TUI for a terminal, a command otherwise.
func (s *Server) middleware() []wish.Middleware {
	return []wish.Middleware{
		s.route,
		s.identify,
		s.lifetime,
		s.logSessions,
		s.recoverPanics,
	}
}

// session is one SSH session plus what the middlewares learn about it.
type session struct {
	ssh.Session
	// ctx ends the session; its cause is an endReason when the server
	// ended it.
	ctx    context.Context
	cancel context.CancelCauseFunc
	start  time.Time

	fingerprint string
	actor       *app.Actor // nil: a key without an account (sign-up)
	exit        int
	outcome     string
}

// stateOf returns the state logSessions attached. Every middleware below it
// receives a *session, so a miss is a wiring bug, caught by recoverPanics.
func stateOf(sess ssh.Session) *session {
	return sess.(*session)
}

// refuseLogin refuses a session for who it is (no key, an unknown key, a
// disabled account) and records it as a security event, rate-limited per
// address so a flood of attempts does not flood the log.
func (s *Server) refuseLogin(ss *session, why Refusal, outcome, msg string) {
	s.sec.Limited(ss.ctx, "login refused", seclog.Who{Fingerprint: ss.fingerprint, Remote: ss.RemoteAddr().String()},
		"reason", outcome)
	s.refuse(ss, why, 1, outcome, msg)
}

// refuse counts the refusal, tells the person why, on stderr, and ends the
// session.
func (s *Server) refuse(ss *session, why Refusal, code int, outcome, msg string) {
	s.refused(why)
	ss.exit, ss.outcome = code, outcome
	// Best effort: a client that has gone has no one to tell.
	_, _ = io.WriteString(ss.Stderr(), "stockroom: "+msg+"\n")
	_ = ss.Exit(code)
}

// endReason is why the server ended a session, as a context cause.
type endReason int

const (
	endShutdown endReason = iota + 1
	endIdle
	endMaxTime
	endCommandTime
	endKeyRemoved
	endDisabled
)

func (r endReason) Error() string {
	return [...]string{"", "server shutdown", "idle timeout", "maximum session time", "command timeout",
		"key removed", "account disabled"}[r]
}

// message is what the person sees when the server ends their session.
func (s *Server) message(r endReason) string {
	switch r {
	case endShutdown:
		return "Stockroom is restarting; reconnect in a moment."
	case endIdle:
		return fmt.Sprintf("Closed after %s without a keypress; reconnect any time.", human(s.cfg.IdleTimeout))
	case endMaxTime:
		return fmt.Sprintf("This session reached its maximum length of %s; reconnect to continue.", human(s.cfg.MaxSessionTime))
	case endCommandTime:
		return fmt.Sprintf("The command ran longer than %s and was stopped.", human(s.cfg.CommandTimeout))
	case endKeyRemoved:
		return "This key was removed from its Stockroom account, so this session is closed."
	case endDisabled:
		return "This Stockroom account was disabled, so this session is closed; ask the server's admin to enable it."
	}
	return ""
}

// endedBy is the reason the server ended ctx, or 0.
func endedBy(ctx context.Context) endReason {
	var r endReason
	if errors.As(context.Cause(ctx), &r) {
		return r
	}
	return 0
}

// human prints 30m rather than 30m0s.
func human(d time.Duration) string {
	s := d.String()
	for _, zero := range []string{"0s", "0m"} {
		if len(s) > 2 && s[len(s)-2:] == zero && s[len(s)-3] >= 'a' {
			s = s[:len(s)-2]
		}
	}
	return s
}

func (s *Server) recoverPanics(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		defer func() {
			if r := recover(); r != nil {
				s.log.Error("ssh session panicked", "remote", sess.RemoteAddr().String(),
					"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				// Best effort, as in refuse: the session is ending either way.
				_, _ = io.WriteString(sess.Stderr(), "Stockroom hit an internal error and closed this session.\n")
				_ = sess.Exit(1)
			}
		}()
		next(sess)
	}
}

func (s *Server) logSessions(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		ctx, cancel := context.WithCancelCause(sess.Context())
		defer cancel(nil)
		ss := &session{Session: sess, ctx: ctx, cancel: cancel, start: time.Now()}
		if pk := sess.PublicKey(); pk != nil {
			ss.fingerprint = gossh.FingerprintSHA256(pk)
		}
		_, _, pty := sess.Pty()
		var name string
		if args := sess.Command(); len(args) > 0 {
			name = args[0] // arguments may be private (emails, names): only the verb
		}
		s.log.Info("ssh session opened", "remote", sess.RemoteAddr().String(), "key", ss.fingerprint,
			"pty", pty, "command", name)
		defer func() {
			account := ""
			if ss.actor != nil {
				account = strconv.FormatInt(ss.actor.Account.ID, 10)
			}
			outcome := ss.outcome
			if r := endedBy(ctx); r != 0 {
				outcome = r.Error()
			}
			s.log.Info("ssh session closed", "remote", sess.RemoteAddr().String(), "key", ss.fingerprint,
				"account", account, "duration", time.Since(ss.start).Round(time.Millisecond),
				"exit", ss.exit, "outcome", outcome)
		}()
		next(ss)
	}
}

func (s *Server) lifetime(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		ss := stateOf(sess)
		if !s.track(ss) {
			s.refuse(ss, RefusedShutdown, 1, "refused: shutting down", s.message(endShutdown))
			return
		}
		defer s.untrack(ss)
		if d := s.cfg.MaxSessionTime; d > 0 {
			t := s.cfg.clock.AfterFunc(d, func() { ss.cancel(endMaxTime) })
			defer t.Stop()
		}
		next(ss)
	}
}

// Messages for keys and accounts that may not come in.
const (
	msgSignupClosed = "this key is not registered; sign-up is closed: with an invite code run join CODE, " +
		"or connect with a terminal and enter it"
	msgUnknownKey = "unknown key: connect interactively once to sign up, or redeem a code (keys claim CODE, join CODE)"
	msgDisabled   = "this Stockroom account is disabled; ask the server's admin to enable it"
)

func (s *Server) identify(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		ss := stateOf(sess)
		// The key that signed, read after the handshake: never the user
		// name, never anything the auth callback saw.
		if ss.fingerprint == "" {
			s.refuseLogin(ss, RefusedNoKey, "refused: no public key", "Stockroom accepts SSH keys only.")
			return
		}
		_, _, pty := ss.Pty()
		actor, err := s.cfg.Accounts.Identify(ss.ctx, ss.fingerprint)
		switch {
		case err == nil:
			actor.RemoteAddr = ss.RemoteAddr().String()
			ss.actor = &actor
		case errors.Is(err, app.ErrUnknownKey):
			// A terminal gets the sign-up screen, which on a closed server
			// takes only a code; a command only when it redeems one. What
			// a code grants is checked where it is redeemed.
			redeem := !pty && s.cfg.ForUnknownKey != nil && s.cfg.ForUnknownKey(ss.Command())
			switch {
			case pty || redeem:
			case !s.cfg.Accounts.SignupOpen():
				s.refuseLogin(ss, RefusedSignupClosed, "refused: unknown key, sign-up closed", msgSignupClosed)
				return
			default:
				s.refuseLogin(ss, RefusedUnknownKey, "refused: unknown key running a command", msgUnknownKey)
				return
			}
		case errors.Is(err, app.ErrDisabled):
			s.refuseLogin(ss, RefusedDisabled, "refused: account disabled", msgDisabled)
			return
		default:
			s.log.Error("ssh identify", "key", ss.fingerprint, "err", err)
			s.refuse(ss, RefusedIdentifyError, 1, "refused: identify failed", "Stockroom could not check your key just now; try again in a moment.")
			return
		}

		slot := "key:" + ss.fingerprint
		if ss.actor != nil {
			slot = "account:" + strconv.FormatInt(ss.actor.Account.ID, 10)
		}
		release, ok := s.perAcct.acquire(slot)
		if !ok {
			s.refuse(ss, RefusedSessionCap, 1, "refused: session cap", fmt.Sprintf(
				"this account already has %d open sessions, the most allowed; close one and try again", s.cfg.MaxSessionsPerAccount))
			return
		}
		defer release()
		s.watchAccess(ss)
		next(ss)
	}
}

// watchAccess ends the session, with the reason, as soon as its key is
// removed or its account disabled, whichever session or replica did it.
// A sign-up session is watched too: its key may get an account and lose
// it while the session is open.
func (s *Server) watchAccess(ss *session) {
	var accountID int64
	if ss.actor != nil {
		accountID = ss.actor.Account.ID
	}
	ch := s.cfg.Accounts.WatchAccess(ss.ctx, ss.fingerprint, accountID)
	go func() {
		err, ok := <-ch
		if !ok || err == nil {
			return
		}
		reason := endKeyRemoved
		if errors.Is(err, app.ErrDisabled) {
			reason = endDisabled
		}
		s.log.Info("ssh session ended: access withdrawn", "key", ss.fingerprint, "remote", ss.RemoteAddr().String(),
			"reason", reason.Error())
		ss.cancel(reason)
	}()
}
