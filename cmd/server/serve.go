package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/mail"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/go-co-op/gocron/v2"
	"golang.org/x/sync/errgroup"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/command"
	"github.com/stockroom/stockroom/config"
	"github.com/stockroom/stockroom/connect"
	"github.com/stockroom/stockroom/health"
	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/internal/ctxsleep"
	"github.com/stockroom/stockroom/notify"
	"github.com/stockroom/stockroom/sshserver"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/sync/syncer"
	"github.com/stockroom/stockroom/tui"
	"github.com/stockroom/stockroom/vault"
	"github.com/stockroom/stockroom/web"
)

// serve runs Stockroom until ctx ends: every part starts in one errgroup
// and stops with it.
func serve(ctx context.Context, cfg *config.Config, logOut io.Writer) error {
	log := newLogger(logOut, cfg.LogFormat, cfg.LogLevel, cfg.Secrets())
	for _, w := range cfg.Warnings() {
		log.Warn(w)
	}
	if err := ensureDataDir(cfg.DataDir, log); err != nil {
		return err
	}
	if cfg.DatabaseURL == "" {
		// SQLite is one process's file: hold the data dir against a second
		// server and against restore or migrate while this one runs.
		release, err := lockDataDir(cfg.DataDir)
		if err != nil {
			return err
		}
		defer release()
	}
	keys, err := keyring(cfg, log)
	if err != nil {
		return err
	}
	admins, err := adminFingerprints(cfg.AdminKeys)
	if err != nil {
		return err
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g, gctx := errgroup.WithContext(ctx)

	obs := newObserver(cfg.MetricsAddr)
	h := hub.New(obs.hubOptions()...)
	process := processID()
	db, err := openDatabase(gctx, cfg, h, process, log)
	if err != nil {
		return err
	}
	defer db.Close()
	obs.db = db
	scheduleBackups(gctx, g, cfg, db.DB, obs, log)
	if db.bridge != nil {
		g.Go(func() error { return db.bridge.Run(gctx) })
	}

	client, err := etsyClient(gctx, cfg, g, obs.etsyTransport(), log, vault.NewBudgetLedger(db))
	if err != nil {
		return err
	}
	obs.client = client

	// Alerts: the evaluator fires them where stock changes; the sender
	// delivers them from the queue.
	var channels []store.Channel
	var mailer notify.EmailSender
	var telegram notify.TelegramSender
	var bot *notify.Telegram
	var botName string
	if cfg.SMTPURL != "" {
		m, err := notify.NewMailer(notify.MailerConfig{URL: cfg.SMTPURL, From: cfg.SMTPFrom})
		if err != nil {
			return &config.Error{Setting: "STOCKROOM_SMTP_URL", Reason: err.Error()}
		}
		mailer, channels = m, append(channels, store.ChannelEmail)
	}
	if cfg.TelegramBotToken != "" {
		t, err := notify.NewTelegram(cfg.TelegramAPIURL, cfg.TelegramBotToken, nil)
		if err != nil {
			return &config.Error{Setting: "STOCKROOM_TELEGRAM_BOT_TOKEN", Reason: err.Error()}
		}
		telegram, bot, channels = t, t, append(channels, store.ChannelTelegram)
		// Sellers are told the bot's name; without an answer they are told
		// "Stockroom's bot", and the server starts all the same.
		me, cancel := context.WithTimeout(ctx, 5*time.Second)
		if name, err := t.Username(me); err == nil {
			botName = name
		} else {
			log.Warn("telegram: the bot's name is unknown", "err", err)
		}
		cancel()
	}
	var whatsapp notify.WhatsAppSender
	if cfg.WhatsAppToken != "" || cfg.WhatsAppPhoneNumberID != "" {
		w, err := notify.NewWhatsApp(notify.WhatsAppConfig{BaseURL: cfg.WhatsAppAPIURL, PhoneNumberID: cfg.WhatsAppPhoneNumberID,
			Token: cfg.WhatsAppToken, Template: cfg.WhatsAppTemplate})
		if err != nil {
			return &config.Error{Setting: "STOCKROOM_WHATSAPP_TOKEN and STOCKROOM_WHATSAPP_PHONE_NUMBER_ID", Reason: err.Error()}
		}
		whatsapp, channels = w, append(channels, store.ChannelWhatsApp)
	}
	mailer, telegram = obs.email(mailer), obs.telegram(telegram)
	evaluator := notify.NewEvaluator(notify.EvaluatorConfig{Store: db, Jobs: db.queue, Hub: h, Channels: channels})
	sender := notify.NewSender(notify.SenderConfig{Store: db, Email: mailer, Telegram: telegram, WhatsApp: whatsapp, Hub: h, Jobs: db.queue,
		MessageIDDomain: fromDomain(cfg.SMTPFrom), Logger: log.With("component", "notify")})
	if err := sender.Register(db.queue.Workers()); err != nil {
		return err
	}

	tokens := vault.New(vault.Config{Store: db, Keyring: keys, Etsy: client, Hub: h, Logger: log.With("component", "vault"),
		OnRevoked: func(ctx context.Context, storeID int64) {
			log.Warn("Etsy revoked a store's access: its owner must connect it again", "store", storeID)
			// The store is marked already: queue the notice even if the
			// call that found the revocation is being cancelled.
			ictx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			if _, err := db.queue.Insert(ictx, notify.RevokedArgs{StoreID: storeID, At: time.Now().Unix()}, nil); err != nil {
				log.Error("the owner of a revoked store could not be told", "store", storeID, "err", err)
			}
		}})
	// Push outcomes the engine records are also activity log lines.
	engine, err := syncer.New(syncer.Config{Store: app.LogPushes(db, log.With("component", "sync")), Etsy: client, Tokens: tokens,
		Queue: db.queue, Hub: h, Alerts: evaluator, Owner: process, Logger: log.With("component", "sync")})
	if err != nil {
		return err
	}
	if err := engine.Register(db.queue.Workers()); err != nil {
		return err
	}

	flow := connect.New(connect.Config{Store: db, Keyring: keys, Etsy: client, Hub: h, IsSandbox: cfg.Demo(), PublicURL: cfg.PublicURL,
		Logger: log.With("component", "connect"),
		OnConnected: func(ctx context.Context, st store.Store) error {
			return db.queue.EnqueueSync(ctx, st.ID, store.SyncFull, store.TriggerConnect)
		}})
	svc := app.New(app.Config{Store: db, Jobs: db.queue, Hub: h, Connect: flow, Budgets: client, Alerts: evaluator, Channels: channels, SyncInterval: cfg.SyncInterval, TelegramBot: botName,
		Demo: cfg.Demo(), SignupOpen: cfg.Signup == "open", AdminFingerprints: admins, Logger: log.With("component", "app")})

	// SSH: the TUI and the commands. Built before anything listens, so the
	// host key exists by the time /healthz says the server is up.
	sc := sshserver.ConfigFrom(cfg)
	sc.Accounts = svc
	sc.Logger = log.With("component", "ssh")
	// One row snapshot per open store, shared by every session of it.
	snapshots := app.NewSnapshots(svc)
	// Redraws of all sessions at once take at most half the cores, so a
	// live update shown by every session of a shop leaves room for a
	// session opening meanwhile (its first frame does not wait).
	tui.LimitRedraws()
	sc.NewTUI = func(p sshserver.TUIParams) tea.Model {
		return tui.New(tui.Options{Ctx: p.Ctx, App: svc, Snapshots: snapshots, Actor: p.Actor, PublicKey: p.PublicKey, RemoteAddr: p.RemoteAddr, Screen: p.Screen,
			Logger: p.Logger, Now: time.Now, OnActivity: p.OnActivity})
	}
	sc.RunCommand = func(ctx context.Context, c sshserver.Command) int {
		return command.Run(ctx, command.Env{App: svc, Actor: c.Actor, Stdin: c.Stdin, Stdout: c.Stdout, Stderr: c.Stderr,
			PublicKey: c.PublicKey, RemoteAddr: c.RemoteAddr}, c.Args)
	}
	sc.ForUnknownKey = command.AllowedForUnknownKey
	obs.ssh(&sc)
	sshSrv, err := sshserver.New(sc)
	if err != nil {
		return err
	}

	// Jobs. The liveness record is written before any job runs, and beaten
	// from then on; every process takes over the work of one that stops
	// beating (see syncer.Liveness).
	if err := obs.start(gctx, g, cfg.MetricsAddr, db.queue, log); err != nil {
		return err
	}
	live, err := syncer.NewLiveness(syncer.LivenessConfig{Store: db, Queue: db.queue, Process: process,
		Logger: log.With("component", "liveness")})
	if err != nil {
		return err
	}
	if err := live.Beat(gctx); err != nil {
		return err
	}
	if err := db.queue.Start(gctx); err != nil {
		return err
	}
	g.Go(func() error { return live.Run(gctx) })
	stopOnDone(gctx, g, 10*time.Second, db.queue.Stop)

	// The clock: syncs, reconciles, token refresh, digests, housekeeping.
	// With PostgreSQL several processes may share the database: a lease
	// picks the one that schedules. SQLite means one process.
	var elector gocron.Elector
	checks := healthChecks(cfg, db)
	if cfg.DatabaseURL != "" {
		lease := health.WatchLease(syncer.NewLeaseElector(db, "scheduler", processName(), 45*time.Second), syncer.ErrNotLeader)
		elector = lease
		checks = append(checks, health.Check{Name: "scheduler", Probe: lease.Probe})
	}
	// Each chore runs on its own and fails on its own: a shop whose token
	// refresh fails stops neither the other shops' refreshes nor the key
	// rotation, the OAuth cleanup or the digests.
	chores := []syncer.Chore{
		{Name: "token-refresh", Every: 5 * time.Minute, Run: tokens.RefreshDue},
		{Name: "key-rotation", Every: 15 * time.Minute, Run: func(ctx context.Context) error {
			_, err := tokens.Rotate(ctx)
			return err
		}},
		{Name: "oauth-state-cleanup", Every: 15 * time.Minute, Run: func(ctx context.Context) error {
			_, err := db.OAuthStateDeleteExpired(ctx, time.Now().Add(-time.Hour))
			return err
		}},
		{Name: "activity-prune", Every: time.Hour, Run: func(ctx context.Context) error {
			_, err := app.PruneActivity(ctx, db, cfg.ActivityRetention, time.Now(), log)
			return err
		}},
		{Name: "digests", Every: 5 * time.Minute, Run: func(ctx context.Context) error {
			_, err := notify.EnqueueDigests(ctx, db, db.queue, time.Now())
			return err
		}},
	}
	sched, err := syncer.NewScheduler(syncer.ScheduleConfig{Store: db, Etsy: client, Queue: db.queue,
		Interval: cfg.SyncInterval, ReconcileInterval: cfg.ReconcileInterval, Jitter: cfg.SyncJitter, Chores: chores,
		Elector: elector, Logger: log.With("component", "schedule")})
	if err != nil {
		return err
	}
	if err := sched.Start(gctx); err != nil {
		return err
	}
	g.Go(func() error {
		<-gctx.Done()
		return sched.Stop()
	})

	// Telegram chat linking: the bot reads one-time codes sellers send it.
	// Telegram lets one poller read a bot's updates, so with several
	// processes the holder of a lease polls.
	if bot != nil {
		linker := notify.NewLinker(notify.LinkerConfig{Telegram: bot, Store: db, Hub: h, Logger: log.With("component", "telegram")})
		g.Go(func() error { return runLeased(gctx, db, "telegram-linker", linker.Poll, log) })
	}

	// HTTP: the OAuth callback, webhooks and /healthz.
	var webhook http.Handler
	if cfg.EtsyWebhookSecret != "" {
		if webhook, err = syncer.NewWebhookHandler(syncer.WebhookConfig{Store: db, Queue: db.queue,
			Secret: cfg.EtsyWebhookSecret, Logger: log.With("component", "webhook")}); err != nil {
			return err
		}
	}
	checker := health.New(health.Config{Checks: checks, CacheFor: 2 * time.Second})
	httpSrv := &http.Server{
		Addr: cfg.HTTPAddr,
		Handler: web.New(web.Config{Store: db, Connect: flow, Health: checker, Webhook: webhook, Logger: log.With("component", "web"),
			InsecureCookies: strings.HasPrefix(cfg.PublicURL, "http://")}),
		ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second,
		MaxHeaderBytes: 64 << 10,
	}
	log.Info("http listening", "addr", cfg.HTTPAddr, "public_url", cfg.PublicURL)
	serveHTTP(gctx, g, httpSrv, "http", 10*time.Second, log.With("component", "web"))

	g.Go(func() error {
		if err := sshSrv.ListenAndServe(); err != nil {
			return fmt.Errorf("ssh: %w", err)
		}
		return nil
	})
	stopOnDone(gctx, g, 10*time.Second, sshSrv.Shutdown)

	checker.SetReady(true)
	g.Go(func() error {
		<-gctx.Done()
		checker.SetReady(false)
		return nil
	})
	log.Info("stockroom started", "version", version, "ssh", cfg.SSHAddr, "http", cfg.HTTPAddr, "demo", cfg.Demo(), "signup", cfg.Signup)
	err = g.Wait()
	log.Info("stockroom stopped")
	return err
}

// runLeased calls poll in a loop while this process holds the named lease,
// and waits for the lease otherwise, until ctx ends.
func runLeased(ctx context.Context, leases store.Leases, name string, poll func(context.Context) error, log *slog.Logger) error {
	owner := processName()
	// Longer than one poll (a Telegram long poll ends within its HTTP
	// client's 30 s), short enough that a process that died hands the
	// poll over within a minute.
	const ttl = 45 * time.Second
	backoff := time.Second
	for ctx.Err() == nil {
		held, err := leases.LeaseAcquire(ctx, name, owner, time.Now(), time.Now().Add(ttl))
		if err != nil || !held {
			if err != nil && ctx.Err() == nil {
				log.Warn("lease unavailable", "lease", name, "err", err)
			}
			_ = ctxsleep.For(ctx, 10*time.Second) // a cancelled wait ends the loop at its next check
			continue
		}
		if err := poll(ctx); err != nil && ctx.Err() == nil {
			log.Warn("poll failed; retrying", "lease", name, "err", err, "in", backoff)
			_ = ctxsleep.For(ctx, backoff)
			backoff = min(2*backoff, time.Minute)
			continue
		}
		backoff = time.Second
	}
	// Released so another process takes over at once; if this fails the
	// lease still expires after ttl.
	if err := leases.LeaseRelease(context.Background(), name, owner); err != nil {
		log.Warn("lease release failed; another process takes over when it expires", "lease", name, "err", err)
	}
	return nil
}

// fromDomain is the domain of the From address, for Message-IDs.
func fromDomain(from string) string {
	if a, err := mail.ParseAddress(from); err == nil {
		if _, d, ok := strings.Cut(a.Address, "@"); ok {
			return d
		}
	}
	return "localhost"
}

// healthChecks are the probes /healthz runs besides the database ping: the
// data directory takes a write (a full disk fails every write the server
// makes), and no queue's oldest due job waits past queueStuckAfter.
func healthChecks(cfg *config.Config, db *database) []health.Check {
	return []health.Check{
		{Name: "disk", Probe: health.DiskProbe(cfg.DataDir, nil)},
		{Name: "queue", Probe: health.QueueProbe(db.queues.Queues, queueStuckAfter)},
	}
}

// queueStuckAfter is longer than any healthy wait: pushes start within
// seconds, and even a 10k import's tail drains in minutes.
const queueStuckAfter = 15 * time.Minute

// serveHTTP runs srv in g until ctx ends, then shuts it down (see
// shutdownHTTP); name prefixes a listening error.
func serveHTTP(ctx context.Context, g *errgroup.Group, srv *http.Server, name string, grace time.Duration, log *slog.Logger) {
	g.Go(func() error {
		if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("%s: %w", name, err)
		}
		return nil
	})
	stopOnDone(ctx, g, grace, shutdownHTTP(srv, name, log))
}

// shutdownHTTP stops srv, giving open requests the context's time to
// finish, then cuts the connections left, logged, not an error of the
// process. Go's Shutdown counts a connection that has sent no request yet
// as busy for its first 5 seconds, and a client's transport keeps such a
// spare connection when a request is cancelled while it dials (the sync's
// Etsy client at exit, against the demo sandbox): that held the exit for
// the whole grace and made it fail with "context deadline exceeded".
func shutdownHTTP(srv *http.Server, name string, log *slog.Logger) func(context.Context) error {
	return func(ctx context.Context) error {
		err := srv.Shutdown(ctx)
		if errors.Is(err, context.DeadlineExceeded) {
			log.Warn(name+": connections still open after the shutdown grace were closed", "err", err)
			return srv.Close()
		}
		return err
	}
}

// stopOnDone runs stop in g once ctx ends, giving it grace to finish.
func stopOnDone(ctx context.Context, g *errgroup.Group, grace time.Duration, stop func(context.Context) error) {
	g.Go(func() error {
		<-ctx.Done()
		sctx, c := context.WithTimeout(context.Background(), grace)
		defer c()
		return stop(sctx)
	})
}
