package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"time"

	tea "charm.land/bubbletea/v2"
	"golang.org/x/sync/errgroup"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/etsy"
	"github.com/stockroom/stockroom/health"
	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/jobs"
	"github.com/stockroom/stockroom/metrics"
	"github.com/stockroom/stockroom/notify"
	"github.com/stockroom/stockroom/sshserver"
	"github.com/stockroom/stockroom/store"
)

// observer is the process's metrics, or nothing when STOCKROOM_METRICS_ADDR
// is empty: every method is then a no-op that leaves what it wraps as it
// was, so metrics off costs nothing.
type observer struct {
	m *metrics.Metrics
	// Late-bound: the scrape-time readers need the database and the Etsy
	// client, which are built after the hub the metrics count drops of.
	db     *database
	client *etsy.Client
}

func newObserver(addr string) *observer {
	o := &observer{}
	if addr == "" {
		return o
	}
	o.m = metrics.New(metrics.Config{Version: version, Budgets: o.budgets, Queues: func(ctx context.Context) ([]health.Queue, error) {
		return o.db.queues.Queues(ctx)
	}})
	return o
}

// budgets is every known shop's remaining daily Etsy budget.
func (o *observer) budgets(ctx context.Context) ([]int, error) {
	stores, err := o.db.StoreList(ctx)
	if err != nil {
		return nil, err
	}
	var out []int
	for _, st := range stores {
		if b := o.client.Budget(etsy.StoreKey(st.ID)); b.Known {
			out = append(out, b.RemainingToday)
		}
	}
	return out, nil
}

func (o *observer) hubOptions() []hub.Option {
	if o.m == nil {
		return nil
	}
	return []hub.Option{hub.WithDropObserver(o.m.HubDropped)}
}

// backupDone counts a scheduled backup.
func (o *observer) backupDone(at time.Time, err error) {
	if o.m != nil {
		o.m.BackupDone(at, err)
	}
}

// etsyTransport is the Etsy client's transport (nil: the default).
func (o *observer) etsyTransport() http.RoundTripper {
	if o.m == nil {
		return nil
	}
	return o.m.EtsyTransport(nil)
}

func (o *observer) email(s notify.EmailSender) notify.EmailSender {
	if o.m == nil || s == nil {
		return s
	}
	return countedEmail{s, o.m}
}

func (o *observer) telegram(s notify.TelegramSender) notify.TelegramSender {
	if o.m == nil || s == nil {
		return s
	}
	return countedTelegram{s, o.m}
}

type countedEmail struct {
	next notify.EmailSender
	m    *metrics.Metrics
}

func (c countedEmail) Send(ctx context.Context, e notify.Email) error {
	err := c.next.Send(ctx, e)
	c.m.AlertSent(string(store.ChannelEmail), err)
	return err
}

type countedTelegram struct {
	next notify.TelegramSender
	m    *metrics.Metrics
}

func (c countedTelegram) Send(ctx context.Context, chatID, text string) error {
	err := c.next.Send(ctx, chatID, text)
	c.m.AlertSent(string(store.ChannelTelegram), err)
	return err
}

// ssh counts sessions and refusals around the SSH server's hooks.
func (o *observer) ssh(sc *sshserver.Config) {
	if o.m == nil {
		return
	}
	m := o.m
	sc.Accounts = countedAccounts{sc.Accounts, m}
	for _, why := range sshserver.Refusals {
		m.SSHRefusalReasons(string(why))
	}
	sc.Refused = func(why sshserver.Refusal) { m.SSHRefused(string(why)) }
	newTUI, runCommand := sc.NewTUI, sc.RunCommand
	sc.NewTUI = func(p sshserver.TUIParams) tea.Model {
		ended := m.SessionStarted("tui")
		context.AfterFunc(p.Ctx, ended)
		return newTUI(p)
	}
	sc.RunCommand = func(ctx context.Context, c sshserver.Command) int {
		defer m.SessionStarted("command")()
		return runCommand(ctx, c)
	}
}

// countedAccounts counts the keys the SSH server turns away after the
// handshake: a key with no account, a disabled account, a failed lookup.
type countedAccounts struct {
	sshserver.Accounts
	m *metrics.Metrics
}

func (c countedAccounts) Identify(ctx context.Context, fingerprint string) (app.Actor, error) {
	a, err := c.Accounts.Identify(ctx, fingerprint)
	switch {
	case err == nil:
	case errors.Is(err, app.ErrUnknownKey):
		c.m.AuthFailed("unknown_key")
	case errors.Is(err, app.ErrDisabled):
		c.m.AuthFailed("disabled")
	default:
		c.m.AuthFailed("error")
	}
	return a, err
}

// start serves /metrics on addr and reads River's job events, until ctx
// ends.
func (o *observer) start(ctx context.Context, g *errgroup.Group, addr string, q *jobs.Queue, log *slog.Logger) error {
	if o.m == nil {
		return nil
	}
	events, cancel, err := q.Subscribe(metrics.JobEventKinds...)
	if err != nil {
		return err
	}
	g.Go(func() error {
		defer cancel()
		o.m.WatchJobs(ctx, events)
		return nil
	})
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", o.m.Handler())
	// Go's profiles on the same private listener: where a busy or growing
	// process spends its CPU and memory is an operator's question too.
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	// An execution trace shows every wake-up of every goroutine: what keeps
	// an idle process from sleeping, which a CPU profile samples too rarely
	// to see.
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second}
	log.Info("metrics listening", "addr", addr)
	serveHTTP(ctx, g, srv, "metrics", 5*time.Second, log)
	return nil
}
