package e2e

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/stockroom/stockroom/internal/procstat"
	"github.com/stockroom/stockroom/internal/sshtest"
	"github.com/stockroom/stockroom/store/storetest"
)

// BenchmarkIdleServer measures what a server with one connected shop and
// no sessions costs while nothing happens: CPU as a percentage of one core
// and wake-ups (the process's context switches) per second, read from
// /proc over a window after a settling period. The shop is the demo shop,
// connected and fully synced before the settling starts; its sessions are
// closed. It runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL (a
// throwaway database), each beside the anchor, a bare Wish + Bubble Tea
// server (e2e/internal/bare) measured the same way in the same run.
//
//	STOCKROOM_IDLE_SETTLE  wait after the shop's sync before measuring (default 5s)
//	STOCKROOM_IDLE_WINDOW  the measurement window (default 15s)
//	STOCKROOM_BENCH_CPUPROFILE=file  the server's CPU profile over the window
//	                                 (file.sqlite, file.postgres), at most 25s
//	STOCKROOM_BENCH_TRACE=file       instead, its execution trace (go tool
//	                                 trace), which shows every wake-up
//
//	go test ./e2e -run '^$' -bench IdleServer -benchtime 1x
//	STOCKROOM_IDLE_SETTLE=20s STOCKROOM_IDLE_WINDOW=60s go test ./e2e -run '^$' -bench IdleServer -benchtime 1x
func BenchmarkIdleServer(b *testing.B) {
	settle := envDuration(b, "STOCKROOM_IDLE_SETTLE", 5*time.Second)
	window := envDuration(b, "STOCKROOM_IDLE_WINDOW", 15*time.Second)

	bare := startBare(b)
	time.Sleep(settle) // the anchor's settling period, as the server's: not synchronisation
	anchor := measureIdle(b, bare.pid, window, nil)
	bare.stop()
	b.Logf("bare Wish + Bubble Tea, no sessions, over %s: %s", window, anchor)

	b.Run("sqlite", func(b *testing.B) {
		benchIdleServer(b, "sqlite", anchor, settle, window)
	})
	b.Run("postgres", func(b *testing.B) {
		benchIdleServer(b, "postgres", anchor, settle, window, "--database-url", storetest.PostgresDatabase(b))
	})
}

func benchIdleServer(b *testing.B, name string, anchor idleFigures, settle, window time.Duration, extra ...string) {
	profile, kind := os.Getenv("STOCKROOM_BENCH_CPUPROFILE"), "profile"
	if p := os.Getenv("STOCKROOM_BENCH_TRACE"); p != "" {
		profile, kind = p, "trace"
	}
	var metricsAddr string
	if profile != "" {
		metricsAddr = freePort(b)
		extra = append(extra, "--metrics-addr", metricsAddr)
	}
	s := startServer(b, extra...)
	owner := sshtest.NewKey(b)
	// Every connection is closed before the window: a session's watches
	// live as long as its connection.
	c := s.dial(b, owner)
	signUpOn(b, c, "Idle Owner", "")
	c.Close()
	c = s.dial(b, owner)
	connectShop(b, s, c)
	c.Close()
	time.Sleep(settle) // let the connect's work and the sessions' ends pass: a settling period, not synchronisation

	var profileWindow func(time.Duration)
	if profile != "" {
		profileWindow = func(w time.Duration) {
			// The metrics listener ends a response after 30s.
			url := fmt.Sprintf("http://%s/debug/pprof/%s?seconds=%d", metricsAddr, kind, int(min(w, 25*time.Second).Seconds()))
			// Not fetchTo: this runs beside the window, off the benchmark's
			// goroutine, where only Error may be called.
			resp, err := http.Get(url)
			if err != nil {
				b.Error(err)
				return
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err == nil {
				err = os.WriteFile(profile+"."+name, body, 0o644)
			}
			if err != nil {
				b.Error(err)
			}
		}
	}
	fig := measureIdle(b, s.pid, window, profileWindow)
	b.ReportMetric(fig.cpu, "cpu-%")
	b.ReportMetric(fig.wakes, "wakes/s")
	b.ReportMetric(anchor.cpu, "bare-cpu-%")
	b.ReportMetric(anchor.wakes, "bare-wakes/s")
	b.ReportMetric(0, "ns/op")
	b.Logf("%s, 1 shop, no sessions, over %s: Stockroom %s; bare %s", name, window, fig, anchor)
}

// idleFigures is what an idle process cost over a window.
type idleFigures struct {
	cpu   float64 // percent of one core
	sys   float64 // the part of cpu spent in the kernel
	wakes float64 // context switches of all its threads per second
}

func (f idleFigures) String() string {
	return fmt.Sprintf("%.3f%% of a core (%.3f%% in the kernel), %.1f wake-ups/s", f.cpu, f.sys, f.wakes)
}

// measureIdle reads pid's CPU time and context switches window apart.
// profile, when set, runs beside the window (a CPU profile of it).
func measureIdle(b *testing.B, pid int, window time.Duration, profile func(time.Duration)) idleFigures {
	b.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		if profile != nil {
			profile(window)
		}
	}()
	// One window per run, whatever b.N: the figure is a rate.
	u0, s0 := cpuTimes(b, pid)
	w0, t0 := ctxSwitches(b, pid), time.Now()
	time.Sleep(window) // the measurement window itself
	u1, s1 := cpuTimes(b, pid)
	w1 := ctxSwitches(b, pid)
	secs := time.Since(t0).Seconds()
	<-done
	pct := func(ticks int64) float64 { return 100 * float64(ticks) / clockTicks / secs }
	return idleFigures{cpu: pct(u1 - u0 + s1 - s0), sys: pct(s1 - s0), wakes: float64(w1-w0) / secs}
}

func ctxSwitches(tb testing.TB, pid int) int64 {
	tb.Helper()
	n, err := procstat.Wakeups(pid)
	if err != nil {
		tb.Fatal(err)
	}
	return n
}
