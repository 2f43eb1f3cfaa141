package tui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
)

// BenchmarkSessionFirstFrame: one session opened on Inventory of a
// 300-listing shop whose rows are already shared (the store's snapshot is
// warm, as it is for a shop's staff connecting after the first), from its
// Bubble Tea program's start until its terminal has been sent the first
// row. It is the server's share of a connect once the SSH handshake is
// done: the model's first view, the frame drawn into a buffer, and the
// renderer's diff against the blank screen written out. Reported: ns/op,
// the process's CPU per session (steadier than wall time on a shared
// machine) and allocations.
//
//	go test ./tui -run '^$' -bench SessionFirstFrame -benchtime 500x
func BenchmarkSessionFirstFrame(b *testing.B) {
	f := newFanout(b, 1) // the shop, its shared snapshot, the redraw gate
	b.ReportAllocs()
	cpu0 := processCPU(b)
	b.ResetTimer()
	for b.Loop() {
		if _, err := openFirstFrame(f); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64((processCPU(b)-cpu0).Microseconds())/float64(b.N), "cpu-µs/session")
}

// BenchmarkSessionFirstFrameBurst: 50 sessions of the shop's staff
// opened at the same moment, in process (no SSH), each until its terminal
// has been sent the first row: the server's drawing side of a connect
// burst, where sessions' first frames compete for the cores and for the
// redraw gate. Reported: p50 and p99 of the sessions' times, and the
// process's CPU per session.
//
//	go test ./tui -run '^$' -bench SessionFirstFrameBurst -benchtime 20x
func BenchmarkSessionFirstFrameBurst(b *testing.B) {
	const sessions = 50
	f := newFanout(b, 1)
	var all []time.Duration
	cpu0 := processCPU(b)
	b.ResetTimer()
	for b.Loop() {
		times := make([]time.Duration, sessions)
		var wg sync.WaitGroup
		start := time.Now()
		errs := make([]error, sessions)
		for i := range sessions {
			wg.Go(func() {
				_, errs[i] = openFirstFrame(f)
				times[i] = time.Since(start)
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			b.Fatal(err)
		}
		all = append(all, times...)
	}
	b.StopTimer()
	slices.Sort(all)
	at := func(q float64) float64 { return float64(all[int(q*float64(len(all)-1))].Microseconds()) / 1000 }
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
	b.ReportMetric(float64((processCPU(b)-cpu0).Microseconds())/float64(len(all)), "cpu-µs/session")
	b.ReportMetric(0, "ns/op")
}

// TestSessionFirstFrameShowsTheFirstRow is the benchmark's own check: the
// bytes it waits for are the first row's, so an op that returned early
// would fail here rather than flatter the figure.
func TestSessionFirstFrameShowsTheFirstRow(t *testing.T) {
	f := newFanout(t, 1)
	out, err := openFirstFrame(f)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(out, []byte(f.target.SKU)) {
		t.Fatalf("the first frame does not name %s: %q", f.target.SKU, out)
	}
}

// openFirstFrame runs one session until its terminal has received the
// target row's SKU, then ends it; it returns what the terminal received.
func openFirstFrame(f *fanout) ([]byte, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &untilWriter{want: []byte(f.target.SKU), done: make(chan struct{})}
	m := New(Options{Ctx: ctx, App: f.svc, Snapshots: f.snaps, Actor: &f.env.Owner, Screen: "inventory"})
	p := tea.NewProgram(m, tea.WithContext(ctx), tea.WithInput(nil), tea.WithOutput(out),
		tea.WithWindowSize(120, 40), tea.WithColorProfile(colorprofile.TrueColor), tea.WithoutSignals(),
		tea.WithEnvironment([]string{"TERM=xterm-256color"}))
	ended := make(chan struct{})
	go func() { _, _ = p.Run(); close(ended) }()
	select {
	case <-out.done:
	case <-ended:
		return nil, fmt.Errorf("the session ended before its terminal showed %s", f.target.SKU)
	}
	cancel()
	<-ended
	out.mu.Lock()
	defer out.mu.Unlock()
	return out.buf.Bytes(), nil
}

// untilWriter is a terminal that closes done once it has received want.
type untilWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want []byte
	done chan struct{}
}

func (w *untilWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	seen := bytes.Contains(w.buf.Bytes(), w.want)
	w.buf.Write(p)
	if !seen && bytes.Contains(w.buf.Bytes(), w.want) {
		close(w.done)
	}
	return len(p), nil
}
