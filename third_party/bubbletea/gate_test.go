package tea

import (
	"bytes"
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
