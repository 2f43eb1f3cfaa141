package tui

import (
	"bytes"
	"context"
	"sync"
	"testing"

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
		openFirstFrame(b, f)
	}
	b.StopTimer()
	b.ReportMetric(float64((processCPU(b)-cpu0).Microseconds())/float64(b.N), "cpu-µs/session")
}

// TestSessionFirstFrameShowsTheFirstRow is the benchmark's own check: the
// bytes it waits for are the first row's, so an op that returned early
// would fail here rather than flatter the figure.
func TestSessionFirstFrameShowsTheFirstRow(t *testing.T) {
	f := newFanout(t, 1)
	out := openFirstFrame(t, f)
	if !bytes.Contains(out, []byte(f.target.SKU)) {
		t.Fatalf("the first frame does not name %s: %q", f.target.SKU, out)
	}
}

// openFirstFrame runs one session until its terminal has received the
// target row's SKU, then ends it; it returns what the terminal received.
func openFirstFrame(tb testing.TB, f *fanout) []byte {
	tb.Helper()
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
		tb.Fatalf("the session ended before its terminal showed %s", f.target.SKU)
	}
	cancel()
	<-ended
	out.mu.Lock()
	defer out.mu.Unlock()
	return out.buf.Bytes()
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
