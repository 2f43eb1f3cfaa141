// Package sshserver is Stockroom's SSH front door: public-key authentication
// only, the account read from the key that actually authenticated, limits
// per IP and per account, idle and maximum session times, and routing of a
// session to the TUI or to a command. It knows the TUI and the commands only
// through the two functions in Config, which cmd/server wires.
package sshserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/ssh"
	"charm.land/wish/v2"
	gossh "golang.org/x/crypto/ssh"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/config"
	"github.com/stockroom/stockroom/internal/seclog"
)

// Accounts resolves the key that authenticated to an account. *app.Service
// implements it.
type Accounts interface {
	Identify(ctx context.Context, fingerprint string) (app.Actor, error)
	SignupOpen() bool
	// WatchAccess sends, once, why sessions of the key must end
	// (app.ErrKeyRemoved, app.ErrDisabled), and is closed with ctx.
	// accountID is the account Identify found (0: none).
	WatchAccess(ctx context.Context, fingerprint string, accountID int64) <-chan error
}

// TUIParams is what a terminal session hands the TUI.
type TUIParams struct {
	// Ctx ends when the session does (disconnect, idle, shutdown).
	Ctx context.Context
	// Actor is nil for a key with no account: the TUI shows sign-up.
	Actor *app.Actor
	// PublicKey is the key that authenticated, for sign-up.
	PublicKey gossh.PublicKey
	// RemoteAddr is where the session comes from.
	RemoteAddr string
	// Screen is the screen asked for by `ssh -t host SCREEN`, or "".
	Screen string
	Logger *slog.Logger
	// OnActivity must be called on every keypress: it resets the idle
	// timeout, which redraws do not.
	OnActivity func()
}

// Command is one non-interactive session: `ssh host ARGS...`.
type Command struct {
	// Actor is the zero Actor for a key without an account, which gets
	// here only for the commands Config.ForUnknownKey allows.
	Actor app.Actor
	Args  []string
	// PublicKey is the key that authenticated; RemoteAddr where from.
	PublicKey  gossh.PublicKey
	RemoteAddr string
	Stdin      io.Reader
	Stdout     io.Writer
	Stderr     io.Writer
}

// Config holds the server's settings and the two faces it serves.
type Config struct {
	Addr        string
	HostKeyPath string

	Accounts Accounts
	// NewTUI builds the model of one terminal session.
	NewTUI func(TUIParams) tea.Model
	// RunCommand runs one command session and returns its exit status.
	RunCommand func(ctx context.Context, c Command) int
	// ForUnknownKey tells which commands a key without an account may run
	// (redeeming a code), even when sign-up is closed. Nil: none.
	ForUnknownKey func(args []string) bool

	// HandshakeTimeout bounds the time from TCP accept to authenticated
	// (default 30s).
	HandshakeTimeout time.Duration
	// IdleTimeout closes a terminal session after this long without a
	// keypress (0: never).
	IdleTimeout time.Duration
	// MaxSessionTime closes any session after this long (0: never).
	MaxSessionTime time.Duration
	// CommandTimeout bounds one command (default MaxSessionTime).
	CommandTimeout time.Duration
	// MaxConnsPerIP counts TCP connections before authentication (0: no
	// limit).
	MaxConnsPerIP int
	// MaxSessionsPerAccount caps concurrent sessions of one account (0: no
	// limit).
	MaxSessionsPerAccount int
	// ShutdownGrace is how long Shutdown waits for sessions to leave after
	// telling them (default 5s).
	ShutdownGrace time.Duration

	// Refused, when set, is told of every connection or session turned
	// away, by why (for metrics). It runs before the client hears of it.
	Refused func(Refusal)

	Logger *slog.Logger

	// clock runs the idle and maximum-session limits (default the wall
	// clock; tests set a fake one).
	clock clock
}

// Refusal says why the server turned a connection or session away. Its
// value is a metric label, so it stays short and stable.
type Refusal string

const (
	RefusedConnLimit     Refusal = "conn_limit"     // too many connections from one address, before SSH
	RefusedKey           Refusal = "key_refused"    // a weak key or a certificate offered at authentication
	RefusedNoKey         Refusal = "no_key"         // a session authenticated without a public key
	RefusedSignupClosed  Refusal = "signup_closed"  // an unknown key running a command, sign-up closed
	RefusedUnknownKey    Refusal = "unknown_key"    // an unknown key running a command, sign-up open
	RefusedDisabled      Refusal = "disabled"       // a disabled account
	RefusedIdentifyError Refusal = "identify_error" // the key could not be looked up
	RefusedSessionCap    Refusal = "session_cap"    // the account has its most sessions open
	RefusedShutdown      Refusal = "shutting_down"  // the server is stopping
	RefusedTerminalArgs  Refusal = "terminal_args"  // a terminal session given a command line
)

// Refusals is every Refusal, so a counter can start each at 0.
var Refusals = []Refusal{RefusedConnLimit, RefusedKey, RefusedNoKey, RefusedSignupClosed, RefusedUnknownKey,
	RefusedDisabled, RefusedIdentifyError, RefusedSessionCap, RefusedShutdown, RefusedTerminalArgs}

func (s *Server) refused(why Refusal) {
	if s.cfg.Refused != nil {
		s.cfg.Refused(why)
	}
}

// ConfigFrom copies the SSH settings of the server configuration; the caller
// adds Accounts, NewTUI, RunCommand and Logger.
func ConfigFrom(c *config.Config) Config {
	return Config{
		Addr:                  c.SSHAddr,
		HostKeyPath:           c.HostKeyPath,
		IdleTimeout:           c.IdleTimeout,
		MaxSessionTime:        c.MaxSessionTime,
		MaxConnsPerIP:         c.MaxConnsPerIP,
		MaxSessionsPerAccount: c.MaxSessionsPerUser,
	}
}

// Server is the SSH server.
type Server struct {
	cfg      Config
	log      *slog.Logger
	ssh      *ssh.Server
	hostKey  gossh.PublicKey
	perIP    *counter
	perAcct  *counter
	sec      *seclog.Logger
	sessions sync.WaitGroup

	mu      sync.Mutex
	closing bool
	live    map[*session]struct{}
	ln      net.Listener
}

// New loads or creates the host key and builds the server; it does not
// listen yet.
func New(cfg Config) (*Server, error) {
	switch {
	case cfg.Accounts == nil:
		return nil, errors.New("sshserver: Config.Accounts is required")
	case cfg.NewTUI == nil:
		return nil, errors.New("sshserver: Config.NewTUI is required")
	case cfg.RunCommand == nil:
		return nil, errors.New("sshserver: Config.RunCommand is required")
	}
	if cfg.HandshakeTimeout <= 0 {
		cfg.HandshakeTimeout = 30 * time.Second
	}
	if cfg.CommandTimeout <= 0 {
		cfg.CommandTimeout = cfg.MaxSessionTime
	}
	if cfg.clock == nil {
		cfg.clock = wallClock{}
	}
	if cfg.ShutdownGrace <= 0 {
		cfg.ShutdownGrace = 5 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	signer, created, err := LoadOrCreateHostKey(cfg.HostKeyPath)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:     cfg,
		log:     cfg.Logger,
		hostKey: signer.PublicKey(),
		perIP:   newCounter(cfg.MaxConnsPerIP),
		sec:     seclog.New(cfg.Logger, nil),
		perAcct: newCounter(cfg.MaxSessionsPerAccount),
		live:    map[*session]struct{}{},
	}
	s.ssh, err = wish.NewServer(
		wish.WithAddress(cfg.Addr),
		func(srv *ssh.Server) error { srv.AddHostKey(signer); return nil },
		wish.WithPublicKeyAuth(s.acceptKey),
		func(srv *ssh.Server) error {
			srv.HandshakeTimeout = cfg.HandshakeTimeout
			// A backstop for connections that hold no session; sessions
			// end themselves at MaxSessionTime with a message first.
			if cfg.MaxSessionTime > 0 {
				srv.MaxTimeout = cfg.MaxSessionTime + time.Minute
			}
			srv.ConnCallback = s.limitConn
			srv.ConnectionFailedCallback = func(c net.Conn, err error) {
				s.log.Debug("ssh handshake failed", "remote", c.RemoteAddr().String(), "err", err)
			}
			return nil
		},
		wish.WithMiddleware(s.middleware()...),
	)
	if err != nil {
		return nil, fmt.Errorf("sshserver: %w", err)
	}
	// Without a public-key handler the library would let everyone in
	// unauthenticated; password and keyboard-interactive logins are never
	// offered.
	if s.ssh.PublicKeyHandler == nil || s.ssh.PasswordHandler != nil || s.ssh.KeyboardInteractiveHandler != nil {
		return nil, errors.New("sshserver: refusing to start without public-key-only authentication")
	}
	s.log.Info("ssh host key", "path", cfg.HostKeyPath, "fingerprint", gossh.FingerprintSHA256(s.hostKey), "created", created)
	return s, nil
}

// HostKey is the server's public host key.
func (s *Server) HostKey() gossh.PublicKey { return s.hostKey }

// acceptKey lets any well-formed user key try to authenticate. Which account
// a session belongs to is decided afterwards from the key that signed
// (Session.PublicKey), never here: the SSH library may call this for several
// keys before one of them proves possession of its private half. Weak keys
// (DSA, RSA under 2048 bits) and certificates are refused by the same check
// that refuses them wherever a key is attached to an account.
func (s *Server) acceptKey(ctx ssh.Context, key ssh.PublicKey) bool {
	err := app.CheckKey(key)
	if err != nil {
		w := seclog.Who{}
		if c, ok := key.(*gossh.Certificate); ok && c.Key != nil {
			w.Fingerprint = gossh.FingerprintSHA256(c.Key) // a certificate's own bytes need its signature
		} else if !ok {
			w.Fingerprint = gossh.FingerprintSHA256(key)
		}
		if ctx != nil {
			w.Remote = ctx.RemoteAddr().String()
		}
		s.sec.Limited(context.Background(), "login refused", w, "reason", "key refused: "+err.Error())
		s.refused(RefusedKey)
	}
	return err == nil
}

// limitConn counts a TCP connection against its IP before any SSH byte is
// read, and refuses the connection when that IP is at its limit.
func (s *Server) limitConn(_ ssh.Context, c net.Conn) net.Conn {
	ip := ipKey(c.RemoteAddr())
	release, ok := s.perIP.acquire(ip)
	if !ok {
		s.refused(RefusedConnLimit)
		s.sec.Limited(context.Background(), "connection refused: too many from one address", seclog.Who{Remote: ip},
			"limit", s.cfg.MaxConnsPerIP)
		// Lines before the version string are allowed by RFC 4253 and
		// shown by some clients.
		// Best effort: the connection is refused whether or not the line
		// reaches the client.
		_ = c.SetWriteDeadline(time.Now().Add(time.Second))
		_, _ = io.WriteString(c, "Too many connections from your address; try again later.\r\n")
		return nil
	}
	return &countedConn{Conn: c, release: release}
}

// ListenAndServe listens on Config.Addr and serves until Shutdown, then
// returns nil.
func (s *Server) ListenAndServe() error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("ssh listen: %w", err)
	}
	return s.Serve(ln)
}

// Serve serves on l until Shutdown, then returns nil.
func (s *Server) Serve(l net.Listener) error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		_ = l.Close() // refused after shutdown: nothing listens on it either way
		return nil
	}
	s.ln = l
	s.mu.Unlock()
	s.log.Info("ssh listening", "addr", l.Addr().String())
	err := s.ssh.Serve(l)
	if errors.Is(err, ssh.ErrServerClosed) {
		return nil
	}
	return err
}

// Addr is the address being served, or nil before Serve.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// Shutdown stops accepting connections, tells every open session that the
// server is restarting, waits for sessions and then connections to end (up
// to ctx or the shutdown grace, whichever ends first) and closes what is
// left.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	live := make([]*session, 0, len(s.live))
	for ss := range s.live {
		live = append(live, ss)
	}
	s.mu.Unlock()
	s.log.Info("ssh shutting down", "sessions", len(live))

	// A done context makes the library close its listeners at once without
	// waiting, so no new connection arrives while sessions leave.
	now, stop := context.WithCancel(context.Background())
	stop()
	_ = s.ssh.Shutdown(now) // with a done context it returns that context's error, by design
	for _, ss := range live {
		ss.cancel(endShutdown)
	}

	ctx, cancel := context.WithTimeout(ctx, s.cfg.ShutdownGrace)
	defer cancel()
	left := make(chan struct{})
	go func() { s.sessions.Wait(); close(left) }()
	select {
	case <-left:
		// Clients hang up once their last session ends; give them a
		// moment to, so nothing they were sent is cut off.
		hangup, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		if s.ssh.Shutdown(hangup) == nil {
			return nil
		}
	case <-ctx.Done():
	}
	if err := s.ssh.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		return err
	}
	return nil
}

// track registers a session so Shutdown can reach it; false means the server
// is closing and the session must not start.
func (s *Server) track(ss *session) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.live[ss] = struct{}{}
	s.sessions.Add(1)
	return true
}

func (s *Server) untrack(ss *session) {
	s.mu.Lock()
	delete(s.live, ss)
	s.mu.Unlock()
	s.sessions.Done()
}
