// Package syncer keeps Stockroom and Etsy in step: River workers that pull a
// shop's listings and receipts (full, incremental, reconcile) and push
// sellers' stock edits, a gocron scheduler that decides when to enqueue
// syncs, and the Etsy webhook endpoint that makes a sale show in seconds.
//
// This file holds the Engine, its Config and what both directions share:
// the per-store Etsy client, leases, and error handling.
package syncer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"
	"github.com/sethvargo/go-retry"

	"github.com/stockroom/stockroom/etsy"
	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/internal/leaseowner"
	"github.com/stockroom/stockroom/jobs"
	"github.com/stockroom/stockroom/store"
)

// TokenSources hands out the Etsy token source of a store (the token vault
// implements it).
type TokenSources interface {
	TokenSource(storeID int64) etsy.TokenSource
}

// Config configures an Engine. Store, Etsy, Tokens, Queue and Hub are
// required.
type Config struct {
	Store  store.DB
	Etsy   *etsy.Client
	Tokens TokenSources
	Queue  *jobs.Queue
	Hub    *hub.Hub
	// Alerts fires and resolves low-stock alerts in the transaction of each
	// page that moved stock (*notify.Evaluator). Optional.
	Alerts AlertChecker
	// Owner names this process in leases. Default: host, pid and a random
	// suffix.
	Owner  string
	Logger *slog.Logger
	Now    func() time.Time
}

// AlertChecker is what the engine needs of the low-stock alerts.
type AlertChecker interface {
	EvaluateTx(ctx context.Context, tx store.Tx, storeID int64, offeringIDs []int64) (store.AlertEvaluateResult, error)
	Announce(storeID int64, res store.AlertEvaluateResult)
	Evaluate(ctx context.Context, storeID int64, offeringIDs []int64) (store.AlertEvaluateResult, error)
}

// Engine runs syncs and pushes. It is safe for concurrent use.
type Engine struct {
	db     store.DB
	etsy   *etsy.Client
	tokens TokenSources
	queue  *jobs.Queue
	hub    *hub.Hub
	alerts AlertChecker
	owner  string
	log    *slog.Logger
	now    func() time.Time
	// holds numbers this engine's lease holders: see withLease.
	holds atomic.Uint64
}

// New checks cfg and returns an Engine.
func New(cfg Config) (*Engine, error) {
	switch {
	case cfg.Store == nil:
		return nil, errors.New("syncer: Store is required")
	case cfg.Etsy == nil:
		return nil, errors.New("syncer: Etsy is required")
	case cfg.Tokens == nil:
		return nil, errors.New("syncer: Tokens is required")
	case cfg.Queue == nil:
		return nil, errors.New("syncer: Queue is required")
	case cfg.Hub == nil:
		return nil, errors.New("syncer: Hub is required")
	}
	if cfg.Owner == "" {
		cfg.Owner = leaseowner.New()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Engine{db: cfg.Store, etsy: cfg.Etsy, tokens: cfg.Tokens, queue: cfg.Queue, hub: cfg.Hub,
		alerts: cfg.Alerts, owner: cfg.Owner, log: cfg.Logger, now: cfg.Now}, nil
}

// Register adds the sync and push workers to a queue's workers; call it
// before the queue's first Insert or Start.
func (e *Engine) Register(w *river.Workers) error {
	if err := river.AddWorkerSafely[jobs.SyncArgs](w, &SyncWorker{e: e}); err != nil {
		return fmt.Errorf("syncer: %w", err)
	}
	if err := river.AddWorkerSafely[jobs.PushArgs](w, &PushWorker{e: e}); err != nil {
		return fmt.Errorf("syncer: %w", err)
	}
	return nil
}

// Key is etsy.StoreKey, the Etsy rate-limit key of a store, under the name
// this package has long used for it.
func Key(storeID int64) string { return etsy.StoreKey(storeID) }

func (e *Engine) shop(storeID int64) *etsy.ShopClient {
	return e.etsy.Shop(Key(storeID), e.tokens.TokenSource(storeID))
}

// errBusy means another worker holds the lease the work needs.
var errBusy = errors.New("syncer: busy elsewhere")

// withLease runs fn while holding the named lease, waiting up to wait for
// it. The lease is a row, so it excludes workers of this process and of
// others alike. Its TTL is short and a heartbeat renews it every third of
// it while fn runs, so however long fn takes, a holder that died (or lost
// the database) blocks others for at most one TTL. If the lease is lost
// (not renewed in time and taken by another), fn's context is cancelled
// with errLeaseLost. Each hold has its own holder name (the engine's owner
// and a sequence number): a lease renews for the same holder, so sharing
// the owner's name would let two workers of one process hold it at once.
func (e *Engine) withLease(ctx context.Context, name string, ttl, wait time.Duration, fn func(ctx context.Context) error) error {
	holder := e.newHolder()
	if err := e.acquireLease(ctx, name, holder, ttl, wait, 20*time.Millisecond, nil); err != nil {
		return err
	}
	defer e.releaseLease(ctx, name, holder)
	lctx, cancel := context.WithCancelCause(ctx)
	done := make(chan struct{})
	defer func() { cancel(nil); <-done }()
	go func() {
		defer close(done)
		e.keepLease(lctx, cancel, name, holder, ttl)
	}()
	err := fn(lctx)
	if cause := context.Cause(lctx); errors.Is(cause, errLeaseLost) && err != nil {
		err = fmt.Errorf("%w: %w", cause, err)
	}
	return err
}

// errLeaseLost means a lease's heartbeat could not renew it before it
// expired, or found it taken: the work under it must stop.
var errLeaseLost = errors.New("syncer: lost the lease (not renewed in time)")

// keepLease renews holder's lease every ttl/3 until ctx ends. A failed
// renewal (the database briefly away) is retried on the next beat; once
// the lease has expired unrenewed, or another holder has it, lost is
// called.
func (e *Engine) keepLease(ctx context.Context, lost context.CancelCauseFunc, name, holder string, ttl time.Duration) {
	t := time.NewTicker(ttl / 3)
	defer t.Stop()
	expires := e.now().Add(ttl)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := e.now()
		ok, err := e.db.LeaseAcquire(ctx, name, holder, now, now.Add(ttl))
		switch {
		case err == nil && ok:
			expires = now.Add(ttl)
		case err == nil || !now.Before(expires):
			if ctx.Err() == nil {
				e.log.Warn("lease lost", "lease", name, "err", err)
			}
			lost(errLeaseLost)
			return
		}
	}
}

// newHolder is a holder name of its own for one hold of a lease.
func (e *Engine) newHolder() string {
	return e.owner + "#" + strconv.FormatUint(e.holds.Add(1), 10)
}

// acquireLease takes the named lease for holder, trying again every poll
// for up to wait, else fails with errBusy. settled, when set, says whether
// the work that wants the lease is already done (its error, such as
// errPushed, ends the wait): it is asked after each pause, and once before
// giving up when there was none.
func (e *Engine) acquireLease(ctx context.Context, name, holder string, ttl, wait, poll time.Duration,
	settled func(context.Context) error) error {
	deadline := time.Now().Add(wait)
	asked := false
	ask := func() error {
		asked = true
		if settled == nil {
			return nil
		}
		return settled(ctx)
	}
	for {
		now := e.now()
		ok, err := e.db.LeaseAcquire(ctx, name, holder, now, now.Add(ttl))
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			if !asked {
				if err := ask(); err != nil {
					return err
				}
			}
			return errBusy
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(poll):
		}
		if err := ask(); err != nil {
			return err
		}
	}
}

// releaseLease gives a lease back, even when ctx is done, else it blocks
// others until its TTL.
func (e *Engine) releaseLease(ctx context.Context, name, holder string) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := retryWrite(rctx, func(ctx context.Context) error { return e.db.LeaseRelease(ctx, name, holder) }); err != nil {
		e.log.Warn("lease release", "lease", name, "err", err)
	}
}

// retryWrite runs a bookkeeping write (finishing a run, releasing a lease)
// until it succeeds or ctx ends. After a database restart the pool may hand
// out a few dead connections before it notices; one failed attempt must not
// leave a run "running" for ever or a lease held until its TTL.
func retryWrite(ctx context.Context, write func(context.Context) error) error {
	var last error
	err := retry.Do(ctx, bookkeepingRetry(), func(ctx context.Context) error {
		last = write(ctx)
		if last == nil || errors.Is(last, store.ErrNotFound) || errors.Is(last, store.ErrInvalid) {
			return last
		}
		return retry.RetryableError(last)
	})
	if err != nil && last != nil {
		return last // the write's own error says more than the context's
	}
	return err
}

// bookkeepingRetry is how retryWrite paces its tries: from 20 ms, doubling,
// at most a second apart, until the caller's context ends.
func bookkeepingRetry() retry.Backoff {
	return retry.WithCappedDuration(time.Second, retry.NewExponential(20*time.Millisecond))
}

// markNeedsReauth stops a store's work until the seller connects it again.
func (e *Engine) markNeedsReauth(ctx context.Context, storeID int64, cause error) {
	if err := e.db.StoreSetStatus(ctx, &store.StoreSetStatusParams{
		StoreID: storeID, Status: store.StatusNeedsReauth, LastError: cause.Error(), Now: e.now(),
	}); err != nil {
		e.log.Error("mark store needs reauth", "store", storeID, "err", err)
		return
	}
	e.hub.Publish(hub.Event{Kind: hub.StoreChanged, StoreID: storeID, State: string(store.StatusNeedsReauth), Error: cause.Error()})
}

// jobError turns an Etsy failure into what River should do with the job:
// wait out a rate limit without spending an attempt, retry transient
// failures with backoff, and give up on the rest (already recorded).
func jobError(err error) error {
	if err == nil {
		return nil
	}
	if d, ok := etsy.IsRateLimited(err); ok {
		return river.JobSnooze(max(d, time.Second))
	}
	if errors.Is(err, errBusy) {
		return river.JobSnooze(time.Second)
	}
	return err
}

// writeListings writes one page of listings read from Etsy at readAt and,
// in the same transaction, fires the alerts the page's stock changes call
// for: an alert is durable exactly when the change that caused it is.
func (e *Engine) writeListings(ctx context.Context, storeID int64, snaps []store.ListingSnapshot, readAt time.Time, confirm bool) (store.SyncWriteResult, error) {
	p := &store.SyncListingsWriteParams{StoreID: storeID, Listings: snaps, Now: e.now(), ReadAt: readAt, Confirm: confirm, Source: activitySource(ctx)}
	var fired store.AlertEvaluateResult
	if e.alerts != nil {
		p.OnCommit = func(ctx context.Context, tx store.Tx, res store.SyncWriteResult) error {
			ids := res.AlertIDs() // new rows too: one already low needs its alert
			if len(ids) == 0 {
				return nil
			}
			var err error
			fired, err = e.alerts.EvaluateTx(ctx, tx, storeID, ids)
			return err
		}
	}
	res, err := e.db.SyncListingsWrite(ctx, p)
	if err == nil && e.alerts != nil {
		e.alerts.Announce(storeID, fired)
	}
	// The quantities Etsy changed, as the operators' log lines beside the
	// ledger's events.
	for _, c := range res.StockChanges {
		e.log.Info("activity", "kind", store.KindStockSync, "source", p.Source, "store", storeID, "actor", store.ActorEtsy,
			"offering", c.OfferingID, "before", c.Before, "after", c.After)
	}
	return res, err
}
