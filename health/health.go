// Package health decides whether this Stockroom process is well: the
// probes behind /healthz and /readyz (database, disk, scheduler lease, job
// queue), each of which recovers by itself once its cause is gone.
package health

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stockroom/stockroom/internal/durable"
)

// Check is one probe. Probe returns nil when the dependency is well, or an
// error whose text is the reason an operator reads.
type Check struct {
	Name  string
	Probe func(ctx context.Context) error
}

// Failure is a failed check and why.
type Failure struct {
	Name   string
	Reason string
}

func (f Failure) String() string { return f.Name + ": " + f.Reason }

// Config configures a Checker.
type Config struct {
	Checks []Check
	// CacheFor reuses a result this long, so a busy load balancer (or a
	// stranger: the HTTP listener is public) cannot turn the disk probe
	// into a write storm. Zero checks on every call.
	CacheFor time.Duration
	// Timeout bounds each probe; default 2s.
	Timeout time.Duration
	Now     func() time.Time
}

// Checker runs the checks. Safe for concurrent use.
type Checker struct {
	cfg   Config
	ready atomic.Bool

	mu   sync.Mutex
	at   time.Time
	last []Failure
}

// New returns a checker; the process is not ready until SetReady(true).
func New(cfg Config) *Checker {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Checker{cfg: cfg}
}

// SetReady says whether the process has finished starting (and has not
// begun to stop), for /readyz.
func (c *Checker) SetReady(ready bool) { c.ready.Store(ready) }

// Ready reports what SetReady said last.
func (c *Checker) Ready() bool { return c.ready.Load() }

// Run runs every check (or returns the cached result) and returns the
// failures, none when all is well.
func (c *Checker) Run(ctx context.Context) []Failure {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.cfg.Now()
	if c.cfg.CacheFor > 0 && !c.at.IsZero() && now.Sub(c.at) < c.cfg.CacheFor {
		return c.last
	}
	var out []Failure
	for _, ch := range c.cfg.Checks {
		pctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
		err := ch.Probe(pctx)
		cancel()
		if err != nil {
			out = append(out, Failure{Name: ch.Name, Reason: err.Error()})
		}
	}
	c.at, c.last = now, out
	return out
}

// probeFile is written and removed by the disk probe.
const probeFile = ".stockroom-health-probe"

// WriteFunc writes data to path durably; the disk probe's seam.
type WriteFunc func(path string, data []byte) error

// DiskProbe writes, syncs and removes a small file in dir: when the disk
// is full (or read-only) every write Stockroom makes fails, and this probe
// fails the same way. write nil uses the file system.
func DiskProbe(dir string, write WriteFunc) func(context.Context) error {
	if write == nil {
		write = writeSync
	}
	block := make([]byte, 4096)
	return func(context.Context) error {
		path := filepath.Join(dir, probeFile)
		err := write(path, block)
		_ = os.Remove(path) // a probe left behind is rewritten by the next check
		if err != nil {
			return fmt.Errorf("cannot write to %s: %w", dir, err)
		}
		return nil
	}
}

func writeSync(path string, data []byte) error { return durable.Write(path, bytes.NewReader(data)) }

// Elector is gocron's leader election, as the scheduler uses it.
type Elector interface {
	IsLeader(ctx context.Context) error
}

// LeaseWatch wraps the scheduler's elector and remembers whether the last
// attempt to take or renew the lease failed. Losing the lease to another
// process (notLeader) is normal; failing to reach it means no process may
// be scheduling syncs.
type LeaseWatch struct {
	next      Elector
	notLeader error
	now       func() time.Time

	mu    sync.Mutex
	err   error
	since time.Time
}

// WatchLease wraps next; notLeader is the error next returns in a process
// that is simply not the leader.
func WatchLease(next Elector, notLeader error) *LeaseWatch {
	return &LeaseWatch{next: next, notLeader: notLeader, now: time.Now}
}

// IsLeader asks the wrapped elector and records the outcome.
func (w *LeaseWatch) IsLeader(ctx context.Context) error {
	err := w.next.IsLeader(ctx)
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case err == nil || errors.Is(err, w.notLeader):
		w.err, w.since = nil, time.Time{}
	case w.err == nil:
		w.err, w.since = err, w.now()
	default:
		w.err = err
	}
	return err
}

// Probe fails while the lease cannot be reached.
func (w *LeaseWatch) Probe(context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return fmt.Errorf("scheduler lease lost since %s: %v", w.since.UTC().Format(time.RFC3339), w.err)
	}
	return nil
}

// Queue is what the queue probe needs: the waiting jobs per queue.
type Queue struct {
	Name string
	// Available is how many jobs are due and waiting for a worker.
	Available int
	// OldestAge is how long the oldest of them has been due.
	OldestAge time.Duration
}

// QueueProbe fails when a queue's oldest due job has waited longer than
// maxAge: workers are stuck or gone.
func QueueProbe(queues func(context.Context) ([]Queue, error), maxAge time.Duration) func(context.Context) error {
	return func(ctx context.Context) error {
		qs, err := queues(ctx)
		if err != nil {
			return fmt.Errorf("cannot read the job queue: %w", err)
		}
		for _, q := range qs {
			if q.Available > 0 && q.OldestAge > maxAge {
				return fmt.Errorf("queue %s stuck: %d jobs waiting, the oldest for %s", q.Name, q.Available, q.OldestAge.Round(time.Second))
			}
		}
		return nil
	}
}
