package health_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stockroom/stockroom/health"
)

func TestDiskProbeWritesAndCleansUp(t *testing.T) {
	dir := t.TempDir()
	if err := health.DiskProbe(dir, nil)(t.Context()); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Fatalf("the probe left %v behind", left)
	}
	if err := health.DiskProbe(filepath.Join(dir, "missing"), nil)(t.Context()); err == nil {
		t.Fatal("a directory that does not exist passed the probe")
	}
}

func TestDiskFullFailsTheCheckUntilSpaceIsBack(t *testing.T) {
	full := true
	write := func(path string, data []byte) error {
		if full {
			return &os.PathError{Op: "write", Path: path, Err: syscall.ENOSPC}
		}
		return nil
	}
	c := health.New(health.Config{Checks: []health.Check{{Name: "disk", Probe: health.DiskProbe("/data", write)}}})
	f := c.Run(t.Context())
	if len(f) != 1 || f[0].Name != "disk" || !strings.Contains(f[0].Reason, "no space left on device") {
		t.Fatalf("full disk: %v", f)
	}
	full = false
	if f := c.Run(t.Context()); len(f) != 0 {
		t.Fatalf("space is back: %v", f)
	}
}

func TestResultsAreReusedForCacheFor(t *testing.T) {
	now := time.Unix(1000, 0)
	calls := 0
	c := health.New(health.Config{CacheFor: 2 * time.Second, Now: func() time.Time { return now },
		Checks: []health.Check{{Name: "x", Probe: func(context.Context) error { calls++; return nil }}}})
	c.Run(t.Context())
	c.Run(t.Context())
	now = now.Add(3 * time.Second)
	c.Run(t.Context())
	if calls != 2 {
		t.Fatalf("probe ran %d times, want 2", calls)
	}
}

type elector struct{ err error }

func (e *elector) IsLeader(context.Context) error { return e.err }

var errNotLeader = errors.New("another process schedules")

// Another process holding the lease is normal; not reaching the lease at
// all is not, until it can be reached again.
func TestLeaseWatchFailsOnlyWhileTheLeaseCannotBeReached(t *testing.T) {
	e := &elector{}
	w := health.WatchLease(e, errNotLeader)
	for _, c := range []struct {
		err  error
		fail bool
	}{{nil, false}, {errNotLeader, false}, {errors.New("connection refused"), true}, {nil, false}} {
		e.err = c.err
		if got := w.IsLeader(t.Context()); !errors.Is(got, c.err) {
			t.Fatalf("IsLeader passed %v on as %v", c.err, got)
		}
		err := w.Probe(t.Context())
		if (err != nil) != c.fail {
			t.Fatalf("after %v: probe %v", c.err, err)
		}
		if err != nil && !strings.Contains(err.Error(), "scheduler lease lost") {
			t.Fatalf("reason %q", err)
		}
	}
}

func TestQueueProbeNamesTheStuckQueue(t *testing.T) {
	qs := []health.Queue{{Name: "push", Available: 2, OldestAge: time.Minute}}
	p := health.QueueProbe(func(context.Context) ([]health.Queue, error) { return qs, nil }, 10*time.Minute)
	if err := p(t.Context()); err != nil {
		t.Fatal(err)
	}
	qs[0].OldestAge = 11 * time.Minute
	if err := p(t.Context()); err == nil || !strings.Contains(err.Error(), "queue push stuck: 2 jobs waiting, the oldest for 11m0s") {
		t.Fatalf("stuck queue: %v", err)
	}
}
