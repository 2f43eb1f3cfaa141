// The schedule: gocron decides when each store's sync is due and enqueues
// it; River runs it. With several processes, a lease-backed elector lets one
// of them schedule, and the sync jobs' uniqueness makes a double sync
// impossible even if two did.
package syncer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/go-co-op/gocron/v2"
	"github.com/jonboulle/clockwork"

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
	// Tick is how often due stores are looked for; a sync due before the
	// next pass is queued to start at its time. Default 1 minute.
	Tick time.Duration
	// Jitter spreads each sync's start around its slot by up to
	// ±Jitter/2 of the interval (STOCKROOM_SYNC_JITTER, 0..1; values above
	// 0.9 count as 0.9 so that consecutive slots never swap).
	Jitter float64
	// Chores are the housekeeping jobs (token refresh, key rotation, OAuth
	// state cleanup, digests): each runs on its own clock and logs its own
	// error, so one failing never stops another.
	Chores []Chore
	// Clock drives the scheduler's gocron jobs (a fake clock in tests).
	// Default: the wall clock.
	Clock clockwork.Clock
	// Elector picks the one process that schedules (NewLeaseElector); nil
	// means this process always does.
	Elector gocron.Elector
	Logger  *slog.Logger
	Now     func() time.Time
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

// Chore is a housekeeping job the scheduler runs every Every.
type Chore struct {
	Name  string
	Every time.Duration
	Run   func(ctx context.Context) error
}

// Scheduler enqueues due syncs on a clock.
type Scheduler struct {
	cfg   ScheduleConfig
	sched gocron.Scheduler
	mu    sync.Mutex

	// offered remembers, per store, the slot a pass last handed to River
	// and when: later passes skip it until the store has synced (its slot
	// moves) or an interval has gone by. Without it every pass re-inserted
	// every due slot until its job ran: deduplicated by the job's
	// uniqueness, but a query each, and with a backlog thousands a pass on
	// SQLite's one queue connection, holding back the fetches that would
	// clear the backlog. The interval's re-offer is the safety net for a
	// job lost before it ran (deleted, cancelled), which would otherwise
	// stop the store's syncs, since its slot only moves when it syncs.
	passMu  sync.Mutex
	offered map[int64]offer
}

type offer struct{ slot, at time.Time }

// TickResult is what one scheduling pass did.
type TickResult struct {
	Enqueued  int // syncs newly queued (a slot already queued is not counted)
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
	cfg.Jitter = min(max(cfg.Jitter, 0), 0.9)
	for _, c := range cfg.Chores {
		if c.Name == "" || c.Every <= 0 || c.Run == nil {
			return nil, fmt.Errorf("syncer: chore %q needs a name, a period and a func", c.Name)
		}
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
	if s.cfg.Clock != nil {
		opts = append(opts, gocron.WithClock(s.cfg.Clock))
	}
	if s.cfg.Elector != nil {
		opts = append(opts, gocron.WithDistributedElector(s.cfg.Elector))
	}
	sched, err := gocron.NewScheduler(opts...)
	if err != nil {
		return fmt.Errorf("syncer: %w", err)
	}
	common := []gocron.JobOption{
		gocron.WithContext(ctx),
		gocron.WithStartAt(gocron.WithStartImmediately()),
	}
	if _, err := sched.NewJob(gocron.DurationJob(s.cfg.Tick), gocron.NewTask(alone("syncs", s.cfg.Logger, func(ctx context.Context) {
		if _, err := s.RunOnce(ctx); err != nil {
			s.cfg.Logger.Error("schedule syncs", "err", err)
		}
	})), append(common, gocron.WithName("syncs"))...); err != nil {
		return fmt.Errorf("syncer: %w", err)
	}
	for _, c := range s.cfg.Chores {
		if _, err := sched.NewJob(gocron.DurationJob(c.Every), gocron.NewTask(alone(c.Name, s.cfg.Logger, func(ctx context.Context) {
			if err := c.Run(ctx); err != nil && ctx.Err() == nil {
				s.cfg.Logger.Error("chore failed; it runs again at its next time", "chore", c.Name, "err", err)
			}
		})), append(common, gocron.WithName(c.Name))...); err != nil {
			return fmt.Errorf("syncer: chore %s: %w", c.Name, err)
		}
	}
	sched.Start()
	s.sched = sched
	return nil
}

// alone runs f unless its previous run is still going: a run that outlasts
// its period skips the next time rather than running twice at once.
// gocron's own singleton mode does the same, but under a fake clock it left
// a job waiting for good after a skipped run (TestChoresFailAlone failed 2
// times in 100), and a chore that never runs again (the digests, token
// refresh) must not hang on it.
func alone(name string, log *slog.Logger, f func(context.Context)) func(context.Context) {
	var running sync.Mutex
	return func(ctx context.Context) {
		if !running.TryLock() {
			log.Warn("still running at its next time: this run is skipped", "job", name)
			return
		}
		defer running.Unlock()
		f(ctx)
	}
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
	s.passMu.Lock()
	defer s.passMu.Unlock()
	var res TickResult
	now := s.cfg.Now()
	stores, err := s.cfg.Store.StoreList(ctx)
	if err != nil {
		return res, err
	}
	offered := make(map[int64]offer, len(stores))
	for _, st := range stores {
		if st.Status != store.StatusConnected {
			continue
		}
		kind, at, stretched, ok := s.next(st, now)
		if stretched {
			res.Stretched++
		}
		if !ok || at.After(now.Add(s.cfg.Tick)) {
			continue
		}
		if o, seen := s.offered[st.ID]; seen && o.slot.Equal(at) && now.Sub(o.at) < s.interval(st) {
			offered[st.ID] = o
			continue
		}
		_, added, err := s.cfg.Queue.EnqueueScheduledSync(ctx, st.ID, kind, at)
		if err != nil {
			return res, err // the next pass offers this pass's slots again
		}
		offered[st.ID] = offer{slot: at, at: now}
		if added {
			res.Enqueued++
		}
	}
	s.offered = offered // stores gone from the list are forgotten
	return res, nil
}

// interval is a store's time between syncs.
func (s *Scheduler) interval(st store.Store) time.Duration {
	if st.SyncInterval > 0 {
		return st.SyncInterval
	}
	return s.cfg.Interval
}

// next says when a store's next scheduled sync is to start and of which
// kind; ok is false while Etsy blocks the store. A store's syncs fall on a
// grid of its interval (shifted by a phase drawn from its id, so a thousand
// stores connected at once do not fire together), each slot moved by its
// own jitter. The slot after the last sync is the one after the grid point
// nearest it, so a sync that starts a little late (River's fetch delay, a
// busy queue) does not push the next one back: syncs start every interval,
// not every interval plus the delay, and never twice for one slot. A slot
// already passed (the server was down) is due at once. A store never
// fully synced gets a full sync in the slot it is in now (in the past, so
// at once, and the same slot on every pass until it has run).
func (s *Scheduler) next(st store.Store, now time.Time) (kind store.SyncKind, at time.Time, stretched, ok bool) {
	interval := s.interval(st)
	b := s.cfg.Etsy.Budget(Key(st.ID))
	if b.BlockedUntil.After(now) {
		return "", time.Time{}, true, false
	}
	factor := stretch(b, st, now)
	interval *= time.Duration(factor)
	phase := time.Duration(hash64(st.ID, 0) % uint64(interval))
	base := time.Unix(0, 0).Add(phase)
	if st.LastSyncAt.IsZero() || st.LastFullSyncAt.IsZero() {
		return store.SyncFull, base.Add(now.Sub(base) / interval * interval), factor > 1, true
	}
	slot := (st.LastSyncAt.Sub(base) + interval/2) / interval // nearest grid point
	slot++
	at = base.Add(slot * interval).Add(s.slotJitter(st.ID, int64(slot), interval))
	kind = store.SyncIncremental
	if at.Sub(st.LastFullSyncAt) >= s.cfg.ReconcileInterval-interval/2 {
		kind = store.SyncReconcile
	}
	return kind, at, factor > 1, true
}

// errSlotServed means a scheduled sync's slot was already served.
var errSlotServed = errors.New("syncer: a later sync already served this slot")

// slotServed says whether a sync that started at or after slot (Unix
// seconds, so up to a second early) already did the work a scheduled sync
// of kind for that slot would do: any sync for an incremental slot, a
// successful full read for a reconcile one. Such a job is left over:
// queued for a slot that a manual or webhook sync covered.
//
// A scheduled full sync is a store's first (the schedule queues one only
// while the store was never read in full), and any full read serves it,
// whenever it started: a store never synced is due in the slot it is in
// now, which moves every interval, so a pass after a slot boundary queues
// the new slot while the first full sync, queued in the old one, still
// waits or runs.
func slotServed(st store.Store, kind store.SyncKind, slot time.Time) bool {
	switch {
	case slot.IsZero():
		return false
	case kind == store.SyncFull:
		return !st.LastFullSyncAt.IsZero()
	case kind == store.SyncReconcile:
		return !st.LastFullSyncAt.IsZero() && !st.LastFullSyncAt.Before(slot)
	}
	return !st.LastSyncAt.IsZero() && !st.LastSyncAt.Before(slot)
}

// syncLeased runs a sync once this process holds the store's sync lease.
// The store is read again under the lease: a sync that held it until just
// now may have served the slot, or moved the receipts cursor that this
// sync reads from.
func (e *Engine) syncLeased(ctx context.Context, storeID int64, kind store.SyncKind, trigger store.SyncTrigger, jobID int64, slot time.Time) (store.SyncRun, error) {
	st, kind, err := e.syncTarget(ctx, storeID, kind, slot)
	if err != nil {
		return store.SyncRun{}, err
	}
	return e.syncLocked(ctx, st, kind, trigger, jobID)
}

// syncTarget reads the store a sync of kind for slot (zero for none) is
// about to run on, and says which sync it needs: ErrStoreNotConnected or
// errSlotServed if none, a full sync for an incremental one of a store
// never fully read.
func (e *Engine) syncTarget(ctx context.Context, storeID int64, kind store.SyncKind, slot time.Time) (store.Store, store.SyncKind, error) {
	st, err := e.db.StoreGet(ctx, storeID)
	if err != nil {
		return st, kind, err
	}
	if st.Status != store.StatusConnected {
		return st, kind, fmt.Errorf("%w (%s)", ErrStoreNotConnected, st.Status)
	}
	if slotServed(st, kind, slot) {
		return st, kind, errSlotServed
	}
	if kind == store.SyncIncremental && (st.LastFullSyncAt.IsZero() || st.ReceiptsCursor.IsZero()) {
		kind = store.SyncFull
	}
	return st, kind, nil
}

// slotJitter is a slot's own offset within ±Jitter/2 of interval, the same
// on every pass (so a slot is queued once) and different from slot to slot.
func (s *Scheduler) slotJitter(storeID, slot int64, interval time.Duration) time.Duration {
	if s.cfg.Jitter == 0 {
		return 0
	}
	u := float64(hash64(storeID, slot)>>11) / (1 << 53) // [0, 1)
	return time.Duration((u - 0.5) * s.cfg.Jitter * float64(interval))
}

// hash64 mixes two numbers into well-spread bits (splitmix64's finaliser):
// neighbouring slots get unrelated jitters.
func hash64(a, b int64) uint64 {
	x := uint64(a)*0x9e3779b97f4a7c15 ^ uint64(b)
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
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
