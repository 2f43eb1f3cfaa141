package jobs_test

import (
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/stockroom/stockroom/internal/procstat"
	"github.com/stockroom/stockroom/jobs"
	"github.com/stockroom/stockroom/jobs/jobstest"
)

// BenchmarkIdleQueue is what the job queue alone costs a process while no
// job is queued: River's client with the server's settings (not the quick
// test settings), started on an empty database, measured over a window
// after a settling second. It reports CPU as a percentage of one core
// (getrusage: the benchmark's own process, which does nothing else
// meanwhile) and wake-ups per second (the process's threads' context
// switches). It isolates the queue's share of an idle server's CPU (see
// e2e BenchmarkIdleServer). STOCKROOM_IDLE_WINDOW sets the window (default
// 10s).
//
//	go test ./jobs -run '^$' -bench IdleQueue -benchtime 1x
func BenchmarkIdleQueue(b *testing.B) {
	window := 10 * time.Second
	if v := os.Getenv("STOCKROOM_IDLE_WINDOW"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatal(err)
		}
		window = d
	}
	b.Run("sqlite", func(b *testing.B) {
		q, _ := jobstest.SQLiteWith(b, jobs.Config{})
		idleQueue(b, q, window)
	})
	b.Run("postgres", func(b *testing.B) {
		q, _ := jobstest.PostgresWith(b, jobs.Config{})
		idleQueue(b, q, window)
	})
}

func idleQueue(b *testing.B, q *jobs.Queue, window time.Duration) {
	river.AddWorker(q.Workers(), jobstest.Nop[jobs.PushArgs]{})
	river.AddWorker(q.Workers(), jobstest.Nop[jobs.SyncArgs]{})
	if err := q.Start(b.Context()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := q.Stop(b.Context()); err != nil {
			b.Error(err)
		}
	})
	time.Sleep(time.Second) // River's start-up (leader election, first fetches): a settling period
	c0, w0, t0 := rusageCPU(b), wakeups(b), time.Now()
	time.Sleep(window) // the measurement window itself
	c1, w1 := rusageCPU(b), wakeups(b)
	secs := time.Since(t0).Seconds()
	cpu := 100 * (c1 - c0).Seconds() / secs
	wakes := float64(w1-w0) / secs
	b.ReportMetric(cpu, "cpu-%")
	b.ReportMetric(wakes, "wakes/s")
	b.ReportMetric(0, "ns/op")
	b.Logf("an idle queue over %s: %.3f%% of a core, %.1f wake-ups/s", window, cpu, wakes)
}

func rusageCPU(tb testing.TB) time.Duration {
	tb.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func wakeups(tb testing.TB) int64 {
	tb.Helper()
	n, err := procstat.Wakeups(os.Getpid())
	if err != nil {
		tb.Fatal(err)
	}
	return n
}
