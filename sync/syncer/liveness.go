// Liveness: each process beats a row in the database every few seconds,
// and every process sweeps the work of those that stopped beating. A
// process killed with SIGKILL (or lost with its machine) leaves River jobs
// "running", sync runs "running" and leases held; without this they would
// wait for River's stuck-job rescue (RescueStuckJobsAfter) and the leases'
// TTLs. With it, a dead process is recognised within DeadAfter and its work
// taken over at once, however long its jobs may legitimately run: a live
// process keeps beating while a long full sync works.
package syncer

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/stockroom/stockroom/jobs"
	"github.com/stockroom/stockroom/store"
)

// Liveness defaults.
const (
	// BeatEvery is how often a process records that it is alive.
	BeatEvery = 5 * time.Second
	// DeadAfter is how long a process may go without a beat before the
	// others take over its work.
	DeadAfter = store.ProcessDeadAfter
)

// LivenessConfig configures a Liveness. Store, Queue and Process are
// required.
type LivenessConfig struct {
	Store store.DB
	Queue *jobs.Queue
	// Process is this process's name: its River client id (jobs.Config.ID)
	// and its engine's Owner, so its jobs and runs can be told apart.
	Process   string
	BeatEvery time.Duration
	DeadAfter time.Duration
	Logger    *slog.Logger
	Now       func() time.Time
}

// Liveness beats this process's record and sweeps dead processes' work.
type Liveness struct {
	cfg LivenessConfig
	mu  sync.Mutex
	// upSince is when this process's beats last started succeeding
	// without a failure since; zero while they fail.
	upSince time.Time
}

// SweepResult is what one sweep took over.
type SweepResult struct {
	Processes int // dead processes swept
	Jobs      int // their River jobs made available again
	Runs      int // their sync runs closed as abandoned
}

// NewLiveness checks cfg and returns a Liveness; Run runs it.
func NewLiveness(cfg LivenessConfig) (*Liveness, error) {
	if cfg.Store == nil || cfg.Queue == nil || cfg.Process == "" {
		return nil, errors.New("syncer: liveness needs Store, Queue and Process")
	}
	if cfg.BeatEvery <= 0 {
		cfg.BeatEvery = BeatEvery
	}
	if cfg.DeadAfter <= 0 {
		cfg.DeadAfter = DeadAfter
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Liveness{cfg: cfg}, nil
}

// Beat records that this process is alive now.
func (l *Liveness) Beat(ctx context.Context) error {
	now := l.cfg.Now()
	err := l.cfg.Store.ProcessBeat(ctx, l.cfg.Process, now)
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case err != nil:
		l.upSince = time.Time{}
	case l.upSince.IsZero():
		l.upSince = now
	}
	return err
}

// Sweep takes over the work of every process not seen for DeadAfter:
// its running jobs are made available, its sync runs closed as abandoned,
// and then its record is forgotten. Runs that name no process (recorded
// before processes did) are closed once older than AbandonAfter. Every
// step is idempotent, so any number of processes may sweep at once.
//
// A process sweeps only once its own beats have succeeded for DeadAfter:
// after a database outage every record is stale, and the others must have
// had the time to beat again before any of them is taken for dead.
func (l *Liveness) Sweep(ctx context.Context) (SweepResult, error) {
	var res SweepResult
	now := l.cfg.Now()
	l.mu.Lock()
	up := l.upSince
	l.mu.Unlock()
	if up.IsZero() || now.Sub(up) < l.cfg.DeadAfter {
		return res, nil
	}
	dead, err := l.cfg.Store.ProcessListDead(ctx, now.Add(-l.cfg.DeadAfter))
	if err != nil {
		return res, err
	}
	var errs []error
	for _, p := range dead {
		if p == l.cfg.Process {
			// This process missed its own beats (a database outage): it is
			// alive, and its next beat says so.
			continue
		}
		n, err := l.cfg.Queue.RescueJobsOf(ctx, p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		res.Jobs += n
		runs, err := l.cfg.Store.SyncRunAbandon(ctx, &store.SyncRunAbandonParams{Process: p, Reason: AbandonReason, Now: now})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		res.Runs += runs
		if err := l.cfg.Store.ProcessDelete(ctx, p); err != nil {
			errs = append(errs, err)
			continue
		}
		res.Processes++
		l.cfg.Logger.Warn("took over the work of a stopped process", "process", p, "jobs", n, "runs", runs)
	}
	old, err := l.cfg.Store.SyncRunAbandon(ctx, &store.SyncRunAbandonParams{StartedBefore: now.Add(-AbandonAfter),
		Reason: AbandonReason, Now: now})
	res.Runs += old
	return res, errors.Join(append(errs, err)...)
}

// Run beats and sweeps every BeatEvery until ctx ends. Beat once before the
// queue starts working jobs, so no job runs under a process with no record.
func (l *Liveness) Run(ctx context.Context) error {
	t := time.NewTicker(l.cfg.BeatEvery)
	defer t.Stop()
	for {
		if err := l.Beat(ctx); err != nil && ctx.Err() == nil {
			l.cfg.Logger.Warn("liveness beat", "err", err)
		}
		if _, err := l.Sweep(ctx); err != nil && ctx.Err() == nil {
			l.cfg.Logger.Warn("liveness sweep", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
