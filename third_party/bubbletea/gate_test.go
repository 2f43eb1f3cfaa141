package tea

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	uv "github.com/charmbracelet/ultraviolet"
)

// syncBuffer is a terminal written by one renderer and read by the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// gatedRenderer is a renderer that drew its first frame, content.
func gatedRenderer(t *testing.T, content string) (*cursedRenderer, *syncBuffer) {
	t.Helper()
	out := &syncBuffer{}
	r := newCursedRenderer(out, []string{"TERM=xterm-256color"}, 40, 4)
	r.start()
	show(t, r, content)
	return r, out
}

func show(t *testing.T, r *cursedRenderer, content string) {
	t.Helper()
	v := NewView(content)
	v.AltScreen = true
	r.render(v)
	if err := r.flush(false); err != nil {
		t.Error(err)
	}
}

func screenOf(t *testing.T, r *cursedRenderer) string {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	lines, ok := r.scr.ShareScreen(40, 4)
	if !ok {
		t.Fatal("no screen")
	}
	return (&uv.Buffer{Lines: lines}).Render()
}

// Stockroom patch: while the redraw gate is full, a program's redraw waits
// for its turn (writing nothing), a new program's first frame does not
// wait, and the waiting program, given newer views meanwhile, draws the
// newest when its turn comes: nothing is lost and nothing older comes
// after it. The tests that set the gate do not run in parallel.
func TestRedrawGate_waitsForTurnFirstFramesDoNot(t *testing.T) {
	// In a bubble, synctest.Wait returns once the redraw is blocked for
	// good (at the gate, a channel of the bubble), not after a guessed
	// sleep, and the timeouts below cost no real time.
	synctest.Test(t, waitsForTurnFirstFramesDoNot)
}

func waitsForTurnFirstFramesDoNot(t *testing.T) {
	SetRedrawLimit(1)
	defer SetRedrawLimit(0)
	a, aOut := gatedRenderer(t, "count 1")
	g := *redrawGate.Load()
	g <- struct{}{} // another program is drawing
	written := len(aOut.String())
	drawn := make(chan struct{})
	go func() {
		defer close(drawn)
		show(t, a, "count 2")
	}()
	synctest.Wait()
	if len(aOut.String()) != written {
		t.Fatal("a redraw was drawn while the gate was full")
	}

	// A new program's first frame goes ahead.
	first := make(chan struct{})
	go func() {
		defer close(first)
		gatedRenderer(t, "a new session")
	}()
	select {
	case <-first:
	case <-time.After(2 * time.Second):
		t.Fatal("a first frame waited at the full gate")
	}

	// Newer views reach the waiting program meanwhile.
	for _, c := range []string{"count 3", "count 4"} {
		v := NewView(c)
		v.AltScreen = true
		a.render(v)
	}
	<-g // the other program is done
	select {
	case <-drawn:
	case <-time.After(2 * time.Second):
		t.Fatal("the waiting redraw was not drawn once the gate had room")
	}
	if got := screenOf(t, a); !strings.Contains(got, "count 4") {
		t.Errorf("screen after its turn: %q; want the newest view, count 4", got)
	}
	if w := aOut.String()[written:]; strings.Contains(w, "2") || strings.Contains(w, "3") {
		t.Errorf("wrote %q; want only the newest view", w)
	}
	show(t, a, "count 4") // unchanged: no turn needed, nothing written
	if len(g) != 0 {
		t.Error("the gate kept a place after the redraws")
	}
}

// Stockroom patch: programs redrawing at once through a gate of one each
// show every one of their views, in order, and the gate is empty after.
func TestRedrawGate_everyProgramShowsItsViewsInOrder(t *testing.T) {
	SetRedrawLimit(1)
	defer SetRedrawLimit(0)
	const programs, views = 8, 30
	var wg sync.WaitGroup
	for p := range programs {
		r, _ := gatedRenderer(t, "view 0")
		wg.Go(func() {
			for i := 1; i <= views; i++ {
				want := "view " + strings.Repeat("#", i)
				show(t, r, want)
				if got := screenOf(t, r); strings.TrimRight(strings.SplitN(got, "\n", 2)[0], " ") != want {
					t.Errorf("program %d after view %d: screen %q", p, i, got)
					return
				}
			}
		})
	}
	all := make(chan struct{})
	go func() { wg.Wait(); close(all) }()
	select {
	case <-all:
	case <-time.After(10 * time.Second):
		t.Fatal("the redraws did not get through the gate")
	}
	if len(*redrawGate.Load()) != 0 {
		t.Error("the gate kept a place after the redraws")
	}
}

// countModel shows how many incrementMsg it was sent.
type countModel struct{ n int }

func (m *countModel) Init() Cmd { return nil }

func (m *countModel) Update(msg Msg) (Model, Cmd) {
	if _, ok := msg.(incrementMsg); ok {
		m.n++
	}
	return m, nil
}

func (m *countModel) View() View {
	v := NewView(fmt.Sprintf("count %d", m.n))
	v.AltScreen = true
	return v
}

// Stockroom patch: a program whose context ends while its redraw waits at
// a full gate ends without waiting for the gate to have room: the redraw
// gives up its wait when the program shuts down (an SSH session whose
// client went away must not hold its goroutines until some other
// session's redraw is done). Kill and Quit end the same context first.
func TestRedrawGate_endedProgramStopsWaiting(t *testing.T) {
	// In a bubble, the minute below costs no real time when the program
	// is stuck, and synctest.Wait says when the redraw is at the gate.
	synctest.Test(t, endedProgramStopsWaiting)
}

func endedProgramStopsWaiting(t *testing.T) {
	SetRedrawLimit(1)
	defer SetRedrawLimit(0)
	g := *redrawGate.Load()

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	out := &syncBuffer{}
	p := NewProgram(&countModel{}, WithContext(ctx), WithInput(nil), WithOutput(out),
		WithWindowSize(40, 4), WithoutSignalHandler())
	ran := make(chan error, 1)
	go func() {
		_, err := p.Run()
		ran <- err
	}()
	time.Sleep(time.Second) // the first frame is drawn; the loop goes idle
	synctest.Wait()
	if !strings.Contains(out.String(), "count 0") {
		t.Fatalf("first frame not drawn: %q", out.String())
	}

	g <- struct{}{} // another program is drawing, for good
	// Whatever happens below, give its place back so that the program's
	// goroutines can end and the bubble with them.
	defer func() {
		select {
		case <-g:
		default:
		}
	}()
	p.Send(incrementMsg{})
	time.Sleep(time.Second)
	synctest.Wait()
	if strings.Contains(out.String(), "count 1") {
		t.Fatal("a redraw was drawn while the gate was full")
	}

	cancel()
	select {
	case err := <-ran:
		if !errors.Is(err, ErrProgramKilled) {
			t.Errorf("Run: %v; want %v", err, ErrProgramKilled)
		}
	case <-time.After(time.Minute):
		t.Fatal("the ended program waited for the full gate")
	}
	if strings.Contains(out.String(), "count 1") {
		t.Error("the ended program drew its waiting redraw")
	}
}
