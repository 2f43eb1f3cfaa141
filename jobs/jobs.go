// Package jobs is Stockroom's durable job queue: River on the same database
// as the store (riversqlite on SQLite, riverpgxv5 on PostgreSQL), so a job
// can be inserted in the transaction of the write that needs it and commits
// or rolls back with it.
//
// The package knows the job kinds and their uniqueness rules; the workers
// that run them live with the code that does the work (sync/syncer) and are
// registered through Workers before Start.
package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/stockroom/stockroom/store"
)

// Queue names. Pushes have their own queue so a long full sync of a big
// shop never makes a seller's edit wait for a free worker.
const (
	QueuePush   = "push"
	QueueSync   = "sync"
	QueueNotify = "notify"
)

// River's limits on a job's life, the same in every process.
const (
	// JobTimeout ends a job that runs longer: a sync of a large shop at a
	// low rate limit takes minutes.
	JobTimeout = 30 * time.Minute
	// RescueStuckJobsAfter is River's own rescue of a job left running,
	// only a backstop: the jobs of a process that died are rescued as soon
	// as its liveness record goes stale (RescueJobsOf, syncer.Liveness),
	// whatever its jobs' length, and a live process's long job is never
	// taken from it.
	RescueStuckJobsAfter = 35 * time.Minute
	// FetchPollInterval is how often an idle worker of the push and sync
	// queues looks for jobs no notification announced. It is not only a
	// backup: River's scheduler makes a job due within its next 5 s
	// available without announcing it (a scheduled sync, a retry), and a
	// job whose insert notification River rate-limits (two inserts in one
	// queue within FetchCooldown) waits for it when no running job's end
	// fetches first, so it bounds how late those jobs start.
	FetchPollInterval = 10 * time.Second
	// NotifyFetchPollInterval is the same for alert deliveries, whose
	// retries may start a minute late: one query a minute instead of six.
	NotifyFetchPollInterval = time.Minute
)

// Config configures a Queue. Zero values take the documented defaults.
type Config struct {
	// Workers is how many jobs of each queue run at once in this process.
	// Default 10.
	Workers int
	// Logger receives River's log. Default: discard.
	Logger *slog.Logger
	// Test makes the queue quick for tests: jobs are fetched within tens of
	// milliseconds and failed jobs retried after a fraction of a second.
	Test bool
	// ID names this process to River (and in its leader election).
	// Default: River's generated id.
	ID string
	// Close, when set, is called once by Stop after River stopped: the
	// dedicated SQLite handle a queue was given is closed with it.
	Close func() error
}

func (c Config) withDefaults() Config {
	if c.Workers <= 0 {
		c.Workers = 10
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// PushArgs asks for an offering's pending edit to be written to Etsy. It
// carries no quantity: the worker reads the desired state when it runs, so
// a burst of edits needs one job and the last edit wins. The worker writes
// every pending offering of the listing at once, so the jobs of the others
// then find nothing to do.
type PushArgs struct {
	StoreID    int64 `json:"store_id"`
	OfferingID int64 `json:"offering_id" river:"unique"`
	// Bulk marks a push that comes from a bulk change (a CSV import, the
	// sweep that re-queues lost pushes): it waits behind a seller's single
	// edits. A seller's edit of an offering whose bulk push is still
	// waiting gets a job of its own at the seller's priority (edits are
	// never deduplicated); its
	// push writes the whole listing, so the bulk job, and those of the
	// listing's other offerings, then find nothing pending and end without
	// calling Etsy.
	Bulk bool `json:"bulk,omitempty" river:"unique"`
	// Sweep marks a push queued by the sweep that revives edits whose job
	// was lost, or by a push handing over to a new job. Only these are
	// unique per offering (see InsertOpts).
	Sweep bool `json:"sweep,omitempty" river:"unique"`
}

func (PushArgs) Kind() string { return "push" }

// Push priorities: River fetches lower numbers first.
const (
	PriorityEdit = 1
	PriorityBulk = 3
)

// InsertOpts makes a sweep's push unique per offering (and lane) while it
// waits or runs: however often the sweep runs, an offering waits with one
// sweep job. A seller's edit always gets a job of its own: a job that has
// just found nothing pending still counts as running until River records
// its end, and an edit committed in that instant would join it and never
// be pushed. A job whose edit an earlier push already wrote ends after one
// read, without calling Etsy.
func (a PushArgs) InsertOpts() river.InsertOpts {
	prio := PriorityEdit
	if a.Bulk {
		prio = PriorityBulk
	}
	opts := river.InsertOpts{Queue: QueuePush, Priority: prio}
	if a.Sweep {
		opts.UniqueOpts = river.UniqueOpts{ByArgs: true, ByState: activeStates()}
	}
	return opts
}

// SyncArgs asks for a sync of a store.
type SyncArgs struct {
	StoreID  int64             `json:"store_id" river:"unique"`
	SyncKind store.SyncKind    `json:"kind"`
	Trigger  store.SyncTrigger `json:"trigger"`
	// Slot is when a scheduled sync is to start (Unix seconds): one job per
	// store and slot, however many passes or processes schedule it. A
	// webhook's sync has the second after the webhook as its slot.
	Slot int64 `json:"slot,omitempty" river:"unique"`
}

func (SyncArgs) Kind() string { return "sync" }

func (SyncArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueSync, Priority: 2}
}

// activeStates are the job states River requires in a custom ByState: a
// job waiting or running. Leaving out completed lets a finished job be
// followed by a new one at once.
func activeStates() []rivertype.JobState {
	return []rivertype.JobState{
		rivertype.JobStateAvailable,
		rivertype.JobStatePending,
		rivertype.JobStateRunning,
		rivertype.JobStateScheduled,
	}
}

// client is what Queue needs of a River client, whatever its transaction
// type.
type client interface {
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	insertTx(ctx context.Context, tx store.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	JobGet(ctx context.Context, id int64) (*rivertype.JobRow, error)
	JobUpdate(ctx context.Context, id int64, p *river.JobUpdateParams) (*rivertype.JobRow, error)
	JobList(ctx context.Context, p *river.JobListParams) (*river.JobListResult, error)
	rescueMany(ctx context.Context, p *riverdriver.JobRescueManyParams, queues []string) error
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	Subscribe(kinds ...river.EventKind) (<-chan *river.Event, func())
}

type typedClient[TTx any] struct {
	*river.Client[TTx]
	// unwrap is the store transaction's side for this queue's database:
	// store.Tx.SQL on SQLite, store.Tx.Pgx on PostgreSQL; false when the
	// transaction is of the other database.
	unwrap func(store.Tx) (TTx, bool)
}

func (c typedClient[TTx]) insertTx(ctx context.Context, tx store.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	t, ok := c.unwrap(tx)
	if !ok {
		return nil, fmt.Errorf("jobs: the transaction is not on the queue's database: %w", store.ErrInvalid)
	}
	return c.InsertTx(ctx, t, args, opts)
}

func sqlTx(tx store.Tx) (*sql.Tx, bool) {
	t := tx.SQL()
	return t, t != nil
}

func pgxTx(tx store.Tx) (pgx.Tx, bool) {
	t := tx.Pgx()
	return t, t != nil
}

// rescueMany rescues the jobs and announces them as River announces an
// insert, so idle workers of queues take them at once instead of at their
// next fetch poll.
func (c typedClient[TTx]) rescueMany(ctx context.Context, p *riverdriver.JobRescueManyParams, queues []string) error {
	exec := c.Driver().GetExecutor()
	if _, err := exec.JobRescueMany(ctx, p); err != nil {
		return err
	}
	payloads := make([]string, len(queues))
	for i, q := range queues {
		b, err := json.Marshal(struct {
			Queue string `json:"queue"`
		}{q})
		if err != nil {
			return err
		}
		payloads[i] = string(b)
	}
	return exec.NotifyMany(ctx, &riverdriver.NotifyManyParams{Topic: "river_insert", Payload: payloads})
}

// Queue is the job queue of one process. Register workers on Workers, then
// Start; inserting works before Start (and in processes that never start).
type Queue struct {
	cfg     Config
	workers *river.Workers
	newFn   func(*river.Config) (client, error)

	// wake, on SQLite, has the quiet listener read River's notifications
	// at once after this process queues a job.
	wake *waker

	mu     sync.Mutex
	client client
}

// NewSQLite makes a queue on a SQLite database and migrates River's tables
// into it. db should be a handle of its own with one connection (the
// server opens it with sqlite.OpenRaw and SetMaxOpenConns(1), and closes it
// after Stop): River runs several maintenance loops at once, and SQLite
// allows one writer, so River's own traffic is funnelled through a single
// connection that waits its turn (busy timeout) behind the store's writers
// instead of competing with itself. Jobs inserted with InsertTx ride on the
// store's own transaction, whichever handle it came from.
func NewSQLite(db *sql.DB, cfg Config) (*Queue, error) {
	wake := newWaker()
	drv := quietDriver{Driver: riversqlite.New(db), wake: wake}
	if err := migrate(context.Background(), drv); err != nil {
		return nil, err
	}
	q := newQueue(cfg, func(rc *river.Config) (client, error) {
		c, err := river.NewClient[*sql.Tx](drv, rc)
		if err != nil {
			return nil, err
		}
		return typedClient[*sql.Tx]{c, sqlTx}, nil
	})
	q.wake = wake
	return q, nil
}

// NewPostgres makes a queue on the store's PostgreSQL pool and migrates
// River's tables.
func NewPostgres(pool *pgxpool.Pool, cfg Config) (*Queue, error) {
	drv := riverpgxv5.New(pool)
	if err := migrate(context.Background(), drv); err != nil {
		return nil, err
	}
	return newQueue(cfg, func(rc *river.Config) (client, error) {
		c, err := river.NewClient(drv, rc)
		if err != nil {
			return nil, err
		}
		return typedClient[pgx.Tx]{c, pgxTx}, nil
	}), nil
}

func migrate[TTx any](ctx context.Context, drv riverdriver.Driver[TTx]) error {
	m, err := rivermigrate.New(drv, &rivermigrate.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return fmt.Errorf("jobs: migrate: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("jobs: migrate: %w", err)
	}
	return nil
}

func newQueue(cfg Config, newFn func(*river.Config) (client, error)) *Queue {
	return &Queue{cfg: cfg.withDefaults(), workers: river.NewWorkers(), newFn: newFn}
}

// Workers is where workers are registered (river.AddWorker) before the
// first Insert or Start.
func (q *Queue) Workers() *river.Workers { return q.workers }

// get builds the River client on first use, once every worker is known.
func (q *Queue) get() (client, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.client != nil {
		return q.client, nil
	}
	rc := &river.Config{
		ID:     q.cfg.ID,
		Logger: q.cfg.Logger,
		Queues: map[string]river.QueueConfig{
			QueuePush: {MaxWorkers: q.cfg.Workers},
			QueueSync: {MaxWorkers: q.cfg.Workers},
			// Alert deliveries: SMTP and Telegram calls are short.
			QueueNotify: {MaxWorkers: q.cfg.Workers, FetchPollInterval: NotifyFetchPollInterval},
		},
		Workers:              q.workers,
		JobTimeout:           JobTimeout,
		RescueStuckJobsAfter: RescueStuckJobsAfter,
		RetryPolicy:          RetryPolicy{Max: map[string]time.Duration{PushArgs{}.Kind(): PushRetryMax}},
	}
	// Inserts wake workers through notifications (LISTEN on PostgreSQL,
	// the quiet listener on SQLite); the fetch poll catches what they do
	// not announce (see FetchPollInterval).
	rc.FetchPollInterval = FetchPollInterval
	if q.cfg.Test {
		rc.FetchCooldown = 5 * time.Millisecond
		rc.FetchPollInterval = 20 * time.Millisecond
		for name, qc := range rc.Queues {
			qc.FetchPollInterval = 0 // the client's
			rc.Queues[name] = qc
		}
		rc.RetryPolicy = quickRetry{}
	}
	c, err := q.newFn(rc)
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	q.client = c
	return c, nil
}

// kick tells this process's listener that a job was queued.
func (q *Queue) kick() {
	if q.wake != nil {
		q.wake.kick()
	}
}

// quickRetry retries failed jobs within a fraction of a second, for tests.
type quickRetry struct{}

func (quickRetry) NextRetry(job *rivertype.JobRow) time.Time {
	return time.Now().Add(time.Duration(job.Attempt) * 50 * time.Millisecond)
}

// Start begins working jobs.
func (q *Queue) Start(ctx context.Context) error {
	c, err := q.get()
	if err != nil {
		return err
	}
	return c.Start(ctx)
}

// Stop waits for running jobs to finish (until ctx ends) and stops.
func (q *Queue) Stop(ctx context.Context) error {
	q.mu.Lock()
	c := q.client
	q.mu.Unlock()
	var err error
	if c != nil {
		err = c.Stop(ctx)
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			err = nil
		}
	}
	if q.cfg.Close != nil {
		err = errors.Join(err, q.cfg.Close())
		q.cfg.Close = nil
	}
	return err
}

// Insert adds a job now and returns its id; a job deduplicated by its
// uniqueness rules returns the id of the one already there.
func (q *Queue) Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (int64, error) {
	c, err := q.get()
	if err != nil {
		return 0, err
	}
	res, err := c.Insert(ctx, args, opts)
	if err != nil {
		return 0, fmt.Errorf("jobs: insert %s: %w", args.Kind(), err)
	}
	q.kick()
	return res.Job.ID, nil
}

// InsertTx adds a job in the store transaction tx, so it exists exactly
// when the transaction commits.
func (q *Queue) InsertTx(ctx context.Context, tx store.Tx, args river.JobArgs, opts *river.InsertOpts) error {
	c, err := q.get()
	if err != nil {
		return err
	}
	if _, err := c.insertTx(ctx, tx, args, opts); err != nil {
		return fmt.Errorf("jobs: insert %s: %w", args.Kind(), err)
	}
	q.kick()
	return nil
}

// EnqueuePushTx queues the push of an offering's edit in the transaction
// that records the edit (StockEdit's OnCommit). bulk is true for edits of
// many rows at once (an import), whose pushes wait behind single edits.
func (q *Queue) EnqueuePushTx(ctx context.Context, tx store.Tx, storeID, offeringID int64, bulk bool) error {
	return q.InsertTx(ctx, tx, PushArgs{StoreID: storeID, OfferingID: offeringID, Bulk: bulk}, nil)
}

// EnqueuePush queues the push of an offering's pending edit outside any
// transaction (the sweep that re-queues edits whose job was lost, a push
// that hands over to a new job). The caller has claimed the listing (see
// store.Catalogue.PushQueueClaim), so the job is not made unique: a
// unique insert skipped as a duplicate of a job already running (past its
// claim) would leave the listing claimed with no job to clear it.
func (q *Queue) EnqueuePush(ctx context.Context, storeID, offeringID int64, bulk bool) error {
	_, err := q.Insert(ctx, PushArgs{StoreID: storeID, OfferingID: offeringID, Bulk: bulk}, nil)
	return err
}

// PushJobOfferings are the offerings of the push jobs that wait or run:
// those that will still push their listing.
func (q *Queue) PushJobOfferings(ctx context.Context) (map[int64]bool, error) {
	c, err := q.get()
	if err != nil {
		return nil, err
	}
	out := map[int64]bool{}
	params := river.NewJobListParams().Kinds(PushArgs{}.Kind()).States(append(activeStates(), rivertype.JobStateRetryable)...).First(1000)
	for {
		res, err := c.JobList(ctx, params)
		if err != nil {
			return nil, fmt.Errorf("jobs: push jobs: %w", err)
		}
		for _, j := range res.Jobs {
			var a PushArgs
			if err := json.Unmarshal(j.EncodedArgs, &a); err != nil {
				return nil, fmt.Errorf("jobs: push job %d: %w", j.ID, err)
			}
			out[a.OfferingID] = true
		}
		if len(res.Jobs) < 1000 {
			return out, nil
		}
		params = params.After(res.LastCursor)
	}
}

// EnqueueSync queues a sync of a store.
func (q *Queue) EnqueueSync(ctx context.Context, storeID int64, kind store.SyncKind, trigger store.SyncTrigger) error {
	_, err := q.EnqueueSyncJob(ctx, storeID, kind, trigger)
	return err
}

// EnqueueSyncJob is EnqueueSync that returns the job's id. A manual sync
// always gets a job of its own, which runs now (after the one running, if
// any: the store's sync lease keeps them apart), so a person who asks for a
// reconcile gets one and `sync --wait` can follow that job; a webhook too
// always queues one, as the sync running may have read receipts before the
// sale the webhook announces. Scheduled syncs go through
// EnqueueScheduledSync.
func (q *Queue) EnqueueSyncJob(ctx context.Context, storeID int64, kind store.SyncKind, trigger store.SyncTrigger) (int64, error) {
	if trigger == store.TriggerSchedule {
		id, _, err := q.EnqueueScheduledSync(ctx, storeID, kind, time.Now())
		return id, err
	}
	args, opts, err := syncJob(storeID, kind, trigger, time.Now())
	if err != nil {
		return 0, err
	}
	return q.Insert(ctx, args, &opts)
}

// EnqueueScheduledSync queues the scheduled sync of a store that is to
// start at at, and returns its job's id and whether it is new. It is unique
// per store and slot (at, to the second) across every process, so two
// schedulers (or two passes of one) never queue a slot twice.
func (q *Queue) EnqueueScheduledSync(ctx context.Context, storeID int64, kind store.SyncKind, at time.Time) (int64, bool, error) {
	args, opts, err := syncJob(storeID, kind, store.TriggerSchedule, at)
	if err != nil {
		return 0, false, err
	}
	c, err := q.get()
	if err != nil {
		return 0, false, err
	}
	res, err := c.Insert(ctx, args, &opts)
	if err != nil {
		return 0, false, fmt.Errorf("jobs: insert %s: %w", args.Kind(), err)
	}
	q.kick()
	return res.Job.ID, !res.UniqueSkippedAsDuplicate, nil
}

// EnqueueSyncTx is EnqueueSync in the store transaction tx.
func (q *Queue) EnqueueSyncTx(ctx context.Context, tx store.Tx, storeID int64, kind store.SyncKind, trigger store.SyncTrigger) error {
	args, opts, err := syncJob(storeID, kind, trigger, time.Now())
	if err != nil {
		return err
	}
	return q.InsertTx(ctx, tx, args, &opts)
}

func syncJob(storeID int64, kind store.SyncKind, trigger store.SyncTrigger, at time.Time) (SyncArgs, river.InsertOpts, error) {
	opts := SyncArgs{}.InsertOpts()
	args := SyncArgs{StoreID: storeID, SyncKind: kind, Trigger: trigger}
	switch trigger {
	case store.TriggerSchedule:
		args.Slot = at.Unix()
		opts.ScheduledAt = at
		opts.UniqueOpts = river.UniqueOpts{ByArgs: true}
	case store.TriggerWebhook:
		// Every sale of a busy shop brings a webhook: those of one second
		// share one job, which reads Etsy once that second is over (the
		// worker waits for its slot), so it reads every sale they announce
		// and a burst of sales is one sync a second, not one a sale (a
		// seller's Sync now waited behind thousands). The job is available
		// at once: a scheduled one would wait for River's scheduler.
		args.Slot = at.Truncate(time.Second).Add(time.Second).Unix()
		opts.Priority = 1
		opts.UniqueOpts = river.UniqueOpts{ByArgs: true}
	case store.TriggerManual, store.TriggerConnect:
		opts.Priority = 1
	default:
		return SyncArgs{}, opts, fmt.Errorf("jobs: sync trigger %q: %w", trigger, store.ErrInvalid)
	}
	switch kind {
	case store.SyncFull, store.SyncIncremental, store.SyncReconcile:
	default:
		return SyncArgs{}, opts, fmt.Errorf("jobs: sync kind %q: %w", kind, store.ErrInvalid)
	}
	return args, opts, nil
}

// JobOutputSet stores output on a job at once, even while it runs: a worker
// records what it is about to do so that a retry after a crash can tell
// whether it was done.
func (q *Queue) JobOutputSet(ctx context.Context, jobID int64, output any) error {
	c, err := q.get()
	if err != nil {
		return err
	}
	if _, err := c.JobUpdate(ctx, jobID, &river.JobUpdateParams{Output: output}); err != nil {
		return fmt.Errorf("jobs: record output of job %d: %w", jobID, err)
	}
	return nil
}

// RescueReason is the error a job rescued from a dead process records.
const RescueReason = "rescued: the process running it stopped"

// RescueJobsOf makes the jobs that the dead process clientID (its Config.ID)
// was running available again at once, instead of after River's
// RescueStuckJobsAfter: the process's liveness record (store.Processes)
// says it is gone, so no worker of it can still be running them. A job that
// had used its last attempt is discarded, as River's own rescue does. It
// says how many jobs it rescued.
func (q *Queue) RescueJobsOf(ctx context.Context, clientID string) (int, error) {
	if clientID == "" {
		return 0, fmt.Errorf("jobs: rescue: no process: %w", store.ErrInvalid)
	}
	c, err := q.get()
	if err != nil {
		return 0, err
	}
	now := time.Now().UTC()
	p := &riverdriver.JobRescueManyParams{StuckHorizon: now.Add(time.Second)}
	var queues []string
	params := river.NewJobListParams().States(rivertype.JobStateRunning).First(500)
	for {
		res, err := c.JobList(ctx, params)
		if err != nil {
			return 0, fmt.Errorf("jobs: rescue: %w", err)
		}
		for _, j := range res.Jobs {
			if len(j.AttemptedBy) == 0 || j.AttemptedBy[len(j.AttemptedBy)-1] != clientID {
				continue
			}
			e, err := json.Marshal(rivertype.AttemptError{At: now, Attempt: max(j.Attempt, 0), Error: RescueReason})
			if err != nil {
				return 0, err
			}
			state, finalized := rivertype.JobStateAvailable, (*time.Time)(nil)
			if j.Attempt >= j.MaxAttempts {
				state, finalized = rivertype.JobStateDiscarded, &now
			}
			p.ID = append(p.ID, j.ID)
			p.Error = append(p.Error, e)
			p.FinalizedAt = append(p.FinalizedAt, finalized)
			p.ScheduledAt = append(p.ScheduledAt, now)
			p.State = append(p.State, string(state))
			if !slices.Contains(queues, j.Queue) {
				queues = append(queues, j.Queue)
			}
		}
		if len(res.Jobs) < 500 {
			break
		}
		params = params.After(res.LastCursor)
	}
	if len(p.ID) == 0 {
		return 0, nil
	}
	if err := c.rescueMany(ctx, p, queues); err != nil {
		return 0, fmt.Errorf("jobs: rescue: %w", err)
	}
	q.kick()
	return len(p.ID), nil
}

// JobList lists jobs (River's filters and paging).
func (q *Queue) JobList(ctx context.Context, params *river.JobListParams) (*river.JobListResult, error) {
	c, err := q.get()
	if err != nil {
		return nil, err
	}
	return c.JobList(ctx, params)
}

// JobGet returns a job's row.
func (q *Queue) JobGet(ctx context.Context, jobID int64) (*rivertype.JobRow, error) {
	c, err := q.get()
	if err != nil {
		return nil, err
	}
	return c.JobGet(ctx, jobID)
}

// JobQueued tells whether a job is queued to run (again): waiting its
// turn, snoozed (a rate limit, a busy store) or scheduled for a retry;
// running says it is running now. A job River no longer holds is neither.
func (q *Queue) JobQueued(ctx context.Context, jobID int64) (queued, running bool, err error) {
	row, err := q.JobGet(ctx, jobID)
	if errors.Is(err, river.ErrNotFound) {
		return false, false, nil
	}
	if err != nil {
		return false, false, err
	}
	switch row.State {
	case rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateScheduled, rivertype.JobStateRetryable:
		return true, false, nil
	case rivertype.JobStateRunning:
		return false, true, nil
	}
	return false, false, nil
}

// Subscribe delivers River's job events (completed, failed, snoozed...),
// for tests and metrics. Call the returned func to stop.
func (q *Queue) Subscribe(kinds ...river.EventKind) (<-chan *river.Event, func(), error) {
	c, err := q.get()
	if err != nil {
		return nil, nil, err
	}
	ch, cancel := c.Subscribe(kinds...)
	return ch, cancel, nil
}
