// Package app is Stockroom's application layer: every action a seller or an
// admin can take — sign up, manage keys, connect a shop, read inventory,
// edit stock, import a CSV, ask for a sync — as one method that the TUI and
// the SSH commands both call. The acting account and its role are checked
// here, once; the TUI and the commands never reach into the store or the
// Etsy client themselves.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/stockroom/stockroom/etsy"
	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/internal/ratelimit"
	"github.com/stockroom/stockroom/internal/seclog"
	"github.com/stockroom/stockroom/store"
)

// Errors callers show to people. Store errors (store.ErrNotFound, a
// *store.StaleError) pass through wrapped.
var (
	ErrUnknownKey   = errors.New("this SSH key has no Stockroom account")
	ErrSignupClosed = errors.New("sign-up is closed on this server: ask its admin for an invite code")
	ErrDisabled     = errors.New("this account is disabled")
	ErrViewer       = errors.New("viewers can read this store but not change it")
	ErrNotAdmin     = errors.New("only admins can do that")
	ErrNoStore      = errors.New("no store connected yet: connect your Etsy shop first")
)

// QuantityError is a quantity Etsy would refuse.
type QuantityError struct{ Quantity int }

func (e *QuantityError) Error() string {
	return fmt.Sprintf("quantity %d is out of range: Etsy accepts 0 to 999", e.Quantity)
}

// AmbiguousStoreError lists the stores to choose from. Ref is the name or
// id the caller gave that matched none of them, if any.
type AmbiguousStoreError struct {
	Ref     string
	Choices []store.MemberStore
}

func (e *AmbiguousStoreError) Error() string {
	s := "several stores: choose one with --store:"
	if e.Ref != "" {
		s = fmt.Sprintf("no store %q: choose one with --store:", e.Ref)
	}
	for _, c := range e.Choices {
		s += fmt.Sprintf(" %d (%s)", c.ID, c.Name)
	}
	return s
}

// Jobs enqueues durable work (River).
type Jobs interface {
	// EnqueuePushTx inserts a push job in the store transaction of the edit.
	// bulk pushes (an import's) wait behind the pushes of single edits.
	EnqueuePushTx(ctx context.Context, tx store.Tx, storeID, offeringID int64, bulk bool) error
	EnqueueSync(ctx context.Context, storeID int64, kind store.SyncKind, trigger store.SyncTrigger) error
	// EnqueueSyncJob is EnqueueSync that returns the job's id: a manual
	// sync always gets a job of its own.
	EnqueueSyncJob(ctx context.Context, storeID int64, kind store.SyncKind, trigger store.SyncTrigger) (int64, error)
	// JobQueued tells whether a job is queued to run (again), or running.
	JobQueued(ctx context.Context, jobID int64) (queued, running bool, err error)
}

// Connector runs the Etsy OAuth connect flow.
type Connector interface {
	Start(ctx context.Context, accountID int64, keyFingerprint string) (authURL, state string, err error)
	Wait(ctx context.Context, state string) (store.Store, error)
}

// Budgets reads what is known of each store's Etsy rate limits.
type Budgets interface {
	Budget(key string) etsy.Budget
}

// Config holds the Service's dependencies.
type Config struct {
	Store   store.DB
	Jobs    Jobs
	Hub     *hub.Hub
	Connect Connector
	Budgets Budgets
	// Alerts fires and resolves low-stock alerts after stock changes.
	// Optional: without it no alert fires from an edit.
	Alerts AlertChecker
	// Channels are the ways this server can send alerts (email with SMTP
	// configured, Telegram with a bot).
	Channels []store.Channel
	// TelegramBot is the alert bot's username (without @), when known, so
	// sellers are told which bot to write to.
	TelegramBot string
	// SyncInterval is the server's time between a store's syncs
	// (STOCKROOM_SYNC_INTERVAL), for telling when the next is due.
	// Default 15 minutes.
	SyncInterval time.Duration
	// Demo says the server talks to its built-in Etsy sandbox.
	Demo bool
	// SignupOpen lets unknown keys create accounts.
	SignupOpen bool
	// AdminFingerprints are the keys named admin in the configuration.
	AdminFingerprints map[string]bool
	Logger            *slog.Logger
	Now               func() time.Time
}

// Service is the application layer. It is safe for concurrent use.
type Service struct {
	db        store.DB
	jobs      Jobs
	hub       *hub.Hub
	connect   Connector
	budgets   Budgets
	alerts    AlertChecker
	chans     []store.Channel
	syncEvery time.Duration
	tgBot     string
	sales     salesCache
	coverRows coverRowsCache
	demo      bool
	signup    bool
	admins    map[string]bool
	log       *slog.Logger
	now       func() time.Time

	// Rate limits of code redemptions.
	redeemKey, redeemIP *ratelimit.Limiter
	sec                 *seclog.Logger

	touches keyTouches
	access  accessWatch
}

func New(cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.SyncInterval <= 0 {
		cfg.SyncInterval = 15 * time.Minute
	}
	if cfg.Hub == nil {
		cfg.Hub = hub.New()
	}
	s := &Service{db: cfg.Store, jobs: cfg.Jobs, hub: cfg.Hub, connect: cfg.Connect, budgets: cfg.Budgets, alerts: cfg.Alerts, chans: cfg.Channels, syncEvery: cfg.SyncInterval, tgBot: cfg.TelegramBot,
		demo: cfg.Demo, signup: cfg.SignupOpen, admins: cfg.AdminFingerprints, log: cfg.Logger, now: cfg.Now}
	s.redeemKey, s.redeemIP = codeLimiters(cfg.Now)
	s.sec = seclog.New(cfg.Logger, cfg.Now)
	return s
}

// Actor is who acts: the account behind the SSH key that authenticated,
// resolved after the handshake.
type Actor struct {
	Account     store.Account
	Fingerprint string
	// RemoteAddr is where the session comes from, for security events.
	RemoteAddr string
	// Source is where the actor works (the TUI or a command), for the
	// activity ledger.
	Source store.Source
}

// AlertChannels are the ways this server can send alerts; none means
// alerts show only in Stockroom.
func (s *Service) AlertChannels() []store.Channel { return s.chans }

// TelegramBot is the alert bot's username without @, or "" when unknown.
func (s *Service) TelegramBot() string { return s.tgBot }

// Demo tells whether the server runs on its Etsy sandbox.
func (s *Service) Demo() bool { return s.demo }

// SignupOpen tells whether unknown keys may create accounts.
func (s *Service) SignupOpen() bool { return s.signup }

// Hub returns the live-update hub, for subscriptions.
func (s *Service) Hub() *hub.Hub { return s.hub }

// active re-reads the actor's account. An Actor is resolved once, when its
// SSH session opens, and an admin may disable the account while sessions
// of it are open: each action checks the account as it is now.
func (s *Service) active(ctx context.Context, a Actor) (store.Account, error) {
	if a.Account.Disabled {
		return a.Account, ErrDisabled
	}
	acct, err := s.db.AccountGetByID(ctx, a.Account.ID)
	if err != nil {
		return acct, err
	}
	if acct.Disabled {
		return acct, ErrDisabled
	}
	return acct, nil
}

// member loads a store the actor belongs to. It reads the account as it
// is now and the membership at the same time, and answers the account's
// error first: one round trip to the database instead of two, on the way
// to every new session's first frame and every action.
func (s *Service) member(ctx context.Context, a Actor, storeID int64) (store.MemberStore, error) {
	if a.Account.Disabled {
		return store.MemberStore{}, ErrDisabled
	}
	active := make(chan error, 1)
	go func() {
		_, err := s.active(ctx, a)
		active <- err
	}()
	ms, err := s.db.StoreGetForAccount(ctx, a.Account.ID, storeID)
	if aerr := <-active; aerr != nil {
		return store.MemberStore{}, aerr
	}
	return ms, err
}

// editor loads a store the actor may change.
func (s *Service) editor(ctx context.Context, a Actor, storeID int64) (store.MemberStore, error) {
	m, err := s.member(ctx, a, storeID)
	if err != nil {
		return m, err
	}
	if !m.Role.CanEdit() {
		return m, &RoleError{Role: m.Role, Action: "change it"}
	}
	return m, nil
}
