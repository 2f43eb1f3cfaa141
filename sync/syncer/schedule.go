// The schedule: gocron decides when each store's sync is due and enqueues
// it; River runs it. With several processes, a lease-backed elector lets one
// of them schedule, and the sync jobs' uniqueness makes a double sync
// impossible even if two did.
package syncer

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sync"
	"time"

	"github.com/go-co-op/gocron/v2"

	"github.com/stockroom/stockroom/etsy"
	"github.com/stockroom/stockroom/jobs"
	"github.com/stockroom/stockroom/store"
)

// ScheduleConfig configures a Scheduler. Store, Etsy and Queue are required.
type ScheduleConfig struct {
	Store store.DB
	Etsy  *etsy.Client
	Queue *jobs.Queue
	// Interval is the default time between a store's syncs
	// (STOCKROOM_SYNC_INTERVAL); a store's own SyncInterval wins. Default 15m.
	Interval time.Duration
	// ReconcileInterval is the time between full re-reads of a store's
	// listings, which catch edits made on Etsy.com. Default 6h.
	ReconcileInterval time.Duration
	// Tick is how often due stores are looked for. Default 1 minute.
	Tick time.Duration
	// RefreshDue refreshes the tokens that expire soon (the token vault's);
	// nil skips it. RefreshEvery defaults to 5 minutes.
	RefreshDue   func(ctx context.Context) error
	RefreshEvery time.Duration
	// Elector picks the one process that schedules (NewLeaseElector); nil
	// means this process always does.
	Elector gocron.Elector
	Logger  *slog.Logger
	Now    func() time.Time
}

// AbandonAfter is how long after its start a sync run that names no
// process (recorded before runs named theirs) and is still "running" is
// taken for the run of a process that died: longer than River lets any job
// run (jobs.JobTimeout), after which a live run has always been finished,
// with a margin for that last write. Runs that name their process are
// closed as soon as the process is found dead (see Liveness).
const AbandonAfter = jobs.JobTimeout + 5*time.Minute

// AbandonReason is the error an abandoned run shows in the sync log.
const AbandonReason = "interrupted: the process running it stopped"

// Scheduler enqueues due syncs on a clock.
type Scheduler struct {
	cfg   ScheduleConfig
	sched gocron.Scheduler
	mu    sync.Mutex
}

// TickResult is what one scheduling pass did.
type TickResult struct {
	Enqueued  int
	Stretched int // syncs postponed because the store's Etsy budget runs low
}

// NewScheduler checks cfg and returns a Scheduler; Start runs it.
func NewScheduler(cfg ScheduleConfig) (*Scheduler, error) {
	if cfg.Store == nil || cfg.Etsy == nil || cfg.Queue == nil {
		return nil, errors.New("syncer: scheduler needs Store, Etsy and Queue")
	}
	if cfg.Interval <= 0 {
		cfg.Interval = 15 * time.Minute
	}
	if cfg.ReconcileInterval <= 0 {
		cfg.ReconcileInterval = 6 * time.Hour
	}
	if cfg.Tick <= 0 {
		cfg.Tick = time.Minute
	}
	if cfg.RefreshEvery <= 0 {
		cfg.RefreshEvery = 5 * time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Scheduler{cfg: cfg}, nil
}

// Start begins scheduling; the first pass runs at once.
func (s *Scheduler) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sched != nil {
		return errors.New("syncer: scheduler already started")
	}
	opts := []gocron.SchedulerOption{}
	if s.cfg.Elector != nil {
		opts = append(opts, gocron.WithDistributedElector(s.cfg.Elector))
	}
	sched, err := gocron.NewScheduler(opts...)
	if err != nil {
		return fmt.Errorf("syncer: %w", err)
	}
	common := []gocron.JobOption{
		gocron.WithContext(ctx),
		gocron.WithSingletonMode(gocron.LimitModeReschedule),
		gocron.WithStartAt(gocron.WithStartImmediately()),
	}
	if _, err := sched.NewJob(gocron.DurationJob(s.cfg.Tick), gocron.NewTask(func(ctx context.Context) {
		if _, err := s.RunOnce(ctx); err != nil {
			s.cfg.Logger.Error("schedule syncs", "err", err)
		}
	}), append(common, gocron.WithName("syncs"))...); err != nil {
		return fmt.Errorf("syncer: %w", err)
	}
	if s.cfg.RefreshDue != nil {
		if _, err := sched.NewJob(gocron.DurationJob(s.cfg.RefreshEvery), gocron.NewTask(func(ctx context.Context) {
			if err := s.cfg.RefreshDue(ctx); err != nil {
				s.cfg.Logger.Error("refresh tokens", "err", err)
			}
		}), append(common, gocron.WithName("token-refresh"))...); err != nil {
			return fmt.Errorf("syncer: %w", err)
		}
	}
	sched.Start()
	s.sched = sched
	return nil
}

// Stop stops scheduling and waits for a pass in progress.
func (s *Scheduler) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sched == nil {
		return nil
	}
	err := s.sched.Shutdown()
	s.sched = nil
	return err
}

// RunOnce enqueues the syncs that are due now.
func (s *Scheduler) RunOnce(ctx context.Context) (TickResult, error) {
	var res TickResult
	now := s.cfg.Now()
	stores, err := s.cfg.Store.StoreList(ctx)
	if err != nil {
		return res, err
	}
	for _, st := range stores {
		if st.Status != store.StatusConnected {
			continue
		}
		kind, due, stretched := s.due(st, now)
		if stretched {
			res.Stretched++
		}
		if !due {
			continue
		}
		if err := s.cfg.Queue.EnqueueSync(ctx, st.ID, kind, store.TriggerSchedule); err != nil {
			return res, err
		}
		res.Enqueued++
	}
	return res, nil
}

// due says whether a store's sync is due and of which kind. Each store's
// times are shifted by a fixed fraction of its interval drawn from its id,
// so a thousand stores connected at once do not fire together.
func (s *Scheduler) due(st store.Store, now time.Time) (kind store.SyncKind, due, stretched bool) {
	if st.LastSyncAt.IsZero() || st.LastFullSyncAt.IsZero() {
		return store.SyncFull, true, false
	}
	interval := s.cfg.Interval
	if st.SyncInterval > 0 {
		interval = st.SyncInterval
	}
	b := s.cfg.Etsy.Budget(Key(st.ID))
	if b.BlockedUntil.After(now) {
		return "", false, true
	}
	factor := stretch(b, st, now)
	stretched = factor > 1
	interval *= time.Duration(factor)
	if now.Sub(st.LastFullSyncAt) >= s.cfg.ReconcileInterval+jitter(st.ID, s.cfg.ReconcileInterval) {
		return store.SyncReconcile, true, stretched
	}
	return store.SyncIncremental, now.Sub(st.LastSyncAt) >= interval+jitter(st.ID, interval), stretched
}

// stretch is how many intervals a store waits between syncs given its
// remaining daily Etsy budget: quiet stores (no sale for a day) slow down
// first, every store when the budget is nearly spent, so pushes, which are
// never stretched, still find calls left.
func stretch(b etsy.Budget, st store.Store, now time.Time) int {
	if !b.Known || b.PerDay <= 0 {
		return 1
	}
	left := float64(b.RemainingToday) / float64(b.PerDay)
	quiet := st.ReceiptsCursor.IsZero() || now.Sub(st.ReceiptsCursor) > 24*time.Hour
	switch {
	case left < 0.05:
		if quiet {
			return 16
		}
		return 4
	case left < 0.25:
		if quiet {
			return 4
		}
		return 2
	case left < 0.5 && quiet:
		return 2
	}
	return 1
}

// jitter is a stable offset of up to a tenth of interval for a store.
func jitter(storeID int64, interval time.Duration) time.Duration {
	if interval < 10 {
		return 0
	}
	h := fnv.New64a()
	fmt.Fprint(h, storeID)
	return time.Duration(h.Sum64() % uint64(interval/10))
}

// LeaseElector is a gocron Elector on a store lease: the process holding
// the lease schedules, and renews it on every run; if it dies, another
// takes over when the lease expires.
type LeaseElector struct {
	leases store.Leases
	name   string
	owner  string
	ttl    time.Duration
	now    func() time.Time
}

// ErrNotLeader is what IsLeader answers in processes that do not schedule.
var ErrNotLeader = errors.New("syncer: another process schedules")

// NewLeaseElector returns an elector for owner (this process's name) on
// the lease name. ttl should exceed the scheduler's Tick so the leader
// keeps it between runs.
func NewLeaseElector(leases store.Leases, name, owner string, ttl time.Duration) *LeaseElector {
	return &LeaseElector{leases: leases, name: name, owner: owner, ttl: ttl, now: time.Now}
}

// IsLeader takes or renews the lease.
func (l *LeaseElector) IsLeader(ctx context.Context) error {
	now := l.now()
	ok, err := l.leases.LeaseAcquire(ctx, l.name, l.owner, now, now.Add(l.ttl))
	if err != nil {
		return err
	}
	if !ok {
		return ErrNotLeader
	}
	return nil
}
