package tea

import (
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// frameLog is a terminal that keeps each write apart, so a test can count
// the frames that showed something.
type frameLog struct {
	mu     sync.Mutex
	writes []string
}

func (f *frameLog) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writes = append(f.writes, string(p))
	return len(p), nil
}

// len is how many writes the terminal had.
func (f *frameLog) len() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.writes)
}

// since is what the terminal was sent after its first n writes.
func (f *frameLog) since(n int) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.writes[n:], "")
}

// nudgeMsg changes nothing on screen.
type nudgeMsg struct{}

// runCounter runs a countModel at 60 frames a second in the bubble and
// returns its program, its terminal and a func that ends it.
func runCounter(t *testing.T) (*Program, *frameLog, func()) {
	out := &frameLog{}
	p := NewProgram(&countModel{}, WithInput(nil), WithOutput(out), WithWindowSize(40, 4),
		WithoutSignalHandler(), WithoutSignals(), WithEnvironment([]string{"TERM=xterm-256color"}))
	done := make(chan struct{})
	go func() { _, _ = p.Run(); close(done) }()
	return p, out, func() { p.Quit(); <-done }
}

// Stockroom patch: a change that comes after a frame interval in which
// nothing was drawn is drawn at once, not at the next tick: a session
// whose first screen becomes ready while its render loop ticks over an
// unchanged view (a frame held back until the screen's data is read) shows
// it without waiting up to a frame for the tick. Changes closer together
// than the frame interval are still drawn at the frame rate.
func TestRenderLoop_drawsAChangeAfterAQuietFrameAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, out, stop := runCounter(t)
		defer stop()
		synctest.Wait()
		// Messages that change nothing keep the loop ticking for 100 ms
		// without a frame to draw.
		for range 20 {
			time.Sleep(5 * time.Millisecond)
			p.Send(nudgeMsg{})
		}
		time.Sleep(7 * time.Millisecond) // off the tick: 107 ms, ticks at 100 and 116.7
		synctest.Wait()
		before := out.len()
		p.Send(incrementMsg{})
		synctest.Wait() // no time passes: only what is drawn at once is on the terminal
		if got := out.since(before); !strings.Contains(got, "1") {
			t.Fatalf("the change was not drawn when it came (wrote %q); want it at once, the last frame being more than an interval old", got)
		}
	})
}

// The frame rate still bounds how often a busy program draws.
func TestRenderLoop_busyProgramDrawsAtTheFrameRate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, out, stop := runCounter(t)
		defer stop()
		synctest.Wait()
		before := out.len()
		// A change every millisecond for 500 ms: at 60 frames a second, 30
		// frames (and one for the first change, drawn at once).
		for range 500 {
			time.Sleep(time.Millisecond)
			p.Send(incrementMsg{})
		}
		time.Sleep(50 * time.Millisecond)
		synctest.Wait()
		if n := out.len() - before; n > 33 || n < 25 {
			t.Errorf("%d frames in 500 ms of changes; want 60 a second (about 31)", n)
		}
		if got := out.since(before); !strings.Contains(got, "500") {
			t.Error("the last change was not drawn")
		}
	})
}

// heldModel holds its first frame back as a blank view until readyMsg, as
// Stockroom's sessions do until their first screen's rows are read.
type heldModel struct{ ready bool }

type readyMsg struct{}

func (m *heldModel) Init() Cmd { return nil }

func (m *heldModel) Update(msg Msg) (Model, Cmd) {
	if _, ok := msg.(readyMsg); ok {
		m.ready = true
	}
	return m, nil
}

func (m *heldModel) View() View {
	v := NewView(" ")
	if m.ready {
		v.SetContent("the first screen")
	}
	v.AltScreen = true
	return v
}

// Stockroom patch: a program that holds its first frame back as a blank
// view draws its first real view the moment it has it, not at the first
// tick; a program whose first view is not blank still draws it at the
// first tick, with what its start changed by then.
func TestRenderLoop_heldFirstFrameIsDrawnWhenReady(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		out := &frameLog{}
		p := NewProgram(&heldModel{}, WithInput(nil), WithOutput(out), WithWindowSize(40, 4),
			WithoutSignalHandler(), WithoutSignals(), WithEnvironment([]string{"TERM=xterm-256color"}))
		done := make(chan struct{})
		go func() { _, _ = p.Run(); close(done) }()
		defer func() { p.Quit(); <-done }()
		time.Sleep(3 * time.Millisecond) // before the first tick
		p.Send(readyMsg{})
		synctest.Wait()
		if got := out.since(0); !strings.Contains(got, "the first screen") {
			t.Fatalf("3 ms in, the ready first frame was not drawn (wrote %q); want it drawn when ready", got)
		}
	})
	// Held past several ticks: nothing is drawn meanwhile (not even the
	// switch to the alternate screen), then the first screen at once.
	synctest.Test(t, func(t *testing.T) {
		out := &frameLog{}
		p := NewProgram(&heldModel{}, WithInput(nil), WithOutput(out), WithWindowSize(40, 4),
			WithoutSignalHandler(), WithoutSignals(), WithEnvironment([]string{"TERM=xterm-256color"}))
		done := make(chan struct{})
		go func() { _, _ = p.Run(); close(done) }()
		defer func() { p.Quit(); <-done }()
		time.Sleep(55 * time.Millisecond) // three ticks: the loop is asleep
		p.Send(nudgeMsg{})                // wakes it; the view is still blank
		synctest.Wait()
		if got := out.since(0); strings.Contains(got, "\x1b[?1049h") || strings.Contains(got, "\x1b[2J") {
			t.Fatalf("a held blank view was drawn: %q", got)
		}
		p.Send(readyMsg{})
		synctest.Wait()
		if got := out.since(0); !strings.Contains(got, "the first screen") || !strings.Contains(got, "\x1b[?1049h") {
			t.Fatalf("the first screen was not drawn when ready: %q", got)
		}
	})
	synctest.Test(t, func(t *testing.T) {
		_, out, stop := runCounter(t)
		defer stop()
		time.Sleep(10 * time.Millisecond)
		synctest.Wait()
		if got := out.since(0); strings.Contains(got, "count") {
			t.Fatalf("a first view that was not held was drawn before the first tick: %q", got)
		}
		time.Sleep(10 * time.Millisecond)
		synctest.Wait()
		if got := out.since(0); !strings.Contains(got, "count 0") {
			t.Fatalf("no first frame at the first tick: %q", got)
		}
	})
}
