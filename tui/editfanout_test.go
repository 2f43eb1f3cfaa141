package tui

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/store/storetest"
	"github.com/stockroom/stockroom/tui/internal/tuitest"
)

// BenchmarkEditFanout: one stock edit of a 300-listing shop that N
// sessions show on Inventory, each a Bubble Tea program of its own (its
// renderer writing to io.Discard instead of an SSH channel). An op is the
// edit through the application (what `stock set` runs) until every
// session has drawn a frame whose row shows the new number. Reported: the
// edit's fan-out time (ns/op), when the first and the last session showed
// it, the process's CPU per edit (steadier than the wall time on a shared
// machine), and the queries the sessions' live updates ran per edit and
// per session (the reads of the fan-out: access checks and inventory
// reads).
//
//	go test ./tui -run '^$' -bench EditFanout -benchtime 20x
//	STOCKROOM_FANOUT_SESSIONS=500 (default 500)
func BenchmarkEditFanout(b *testing.B) {
	n := 500
	if s := os.Getenv("STOCKROOM_FANOUT_SESSIONS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n < 1 {
			b.Fatalf("STOCKROOM_FANOUT_SESSIONS=%q: want a positive number", s)
		}
	}
	f := newFanout(b, n)
	want := 900
	var first, last time.Duration
	queries := f.db.Total()
	cpu0 := processCPU(b)
	b.ResetTimer()
	for b.Loop() {
		want++
		if want > 999 {
			want = 900
		}
		d1, dn := f.edit(b, want)
		first += d1
		last += dn
	}
	b.StopTimer()
	ops := float64(b.N)
	// CPU, unlike the wall time, does not depend on what else the shared
	// machine runs.
	b.ReportMetric(float64((processCPU(b)-cpu0).Milliseconds())/ops, "cpu-ms/edit")
	b.ReportMetric(float64(first.Milliseconds())/ops, "first-shown-ms")
	b.ReportMetric(float64(last.Milliseconds())/ops, "all-shown-ms")
	b.ReportMetric(float64(f.db.Total()-queries)/ops/float64(n), "reads/edit/session")
}

// TestEditFanoutEverySessionShowsTheEdit is the benchmark's correctness
// side at a size tests can afford: every open session draws the edited
// row's new number, and the fan-out reads the store a bounded number of
// times per edit, not once or twice per session.
func TestEditFanoutEverySessionShowsTheEdit(t *testing.T) {
	const n = 40
	f := newFanout(t, n)
	before := f.db.Total()
	for want := 901; want <= 903; want++ {
		f.edit(t, want)
	}
	reads := f.db.Total() - before
	// Per edit: the edit's own access check and at most a few reads of
	// the edited row and of the sessions' access, shared by all of them.
	if perEdit := float64(reads) / 3; perEdit > 10 {
		t.Errorf("the fan-out of one edit to %d sessions read the store %.0f times; want a handful shared by all", n, perEdit)
	}
}

// An edit of a row off the screen does not draw the sessions' frames
// again; an edit of a row on it does, and writes the row's new number
// without the screen around it.
func TestEditFanoutDrawsOnlyWhatTheScreenShows(t *testing.T) {
	// The redraw gate is the process's, shared with the tests outside the
	// bubble: it is made out here (a channel made in the bubble could not
	// be used outside it).
	LimitRedraws()
	// In a bubble, settle returns once every session has taken the event,
	// refreshed and written what it would, on a clock of its own: no
	// guessed sleep that a loaded machine could outrun.
	synctest.Test(t, drawsOnlyWhatTheScreenShows)
}

func drawsOnlyWhatTheScreenShows(t *testing.T) {
	// No signal handler: the process's signal watcher is no goroutine of
	// the bubble's to start.
	f := newFanout(t, 3, tea.WithoutSignalHandler())
	rows, err := f.svc.Inventory(context.Background(), f.env.Owner, f.env.StoreID)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(rows, func(r store.InventoryRow) bool { return r.SKU == "MUG-250" })
	if i < 0 {
		t.Fatal("no row MUG-250")
	}
	off := rows[i] // "Mug 250": far below the first page by title
	settle()       // the first frames' last writes
	before := make([]int, len(f.out))
	for j, o := range f.out {
		before[j], _ = o.count()
	}
	if _, err := f.svc.SetStock(context.Background(), f.env.Owner, app.StockParams{StoreID: f.env.StoreID, Source: store.SourceCommand,
		Edits: []store.StockEditItem{{OfferingID: off.OfferingID, Quantity: 77}}}); err != nil {
		t.Fatal(err)
	}
	settle() // each session takes the event and refreshes
	written := make([]int, len(f.out))
	for j, o := range f.out {
		n, text := o.count()
		if n != before[j] {
			t.Errorf("session %d wrote %d times to its terminal after an edit of a row it does not show", j, n-before[j])
		}
		before[j], written[j] = n, len(text)
	}
	f.edit(t, 941)
	settle() // the frame's write follows its view
	for j, o := range f.out {
		n, text := o.count()
		if n == before[j] {
			t.Errorf("session %d wrote nothing after an edit of a row it shows", j)
			continue
		}
		if w := ansi.Strip(text[written[j]:]); !strings.Contains(w, "941") || strings.Contains(w, "Mug") {
			t.Errorf("session %d wrote %q; want the row's new number, not the rows again", j, w)
		}
	}
}

// settle, in a synctest bubble, lets the bubble's clock run on a second
// (every frame tick due meanwhile fires, and each program's render loop
// goes back to sleep) and returns once every goroutine but the caller's
// is blocked with nothing left to do.
func settle() {
	time.Sleep(time.Second)
	synctest.Wait()
}

// fanout is a shop, its edited row and n sessions showing it.
type fanout struct {
	env     *tuitest.Env
	db      *storetest.Reads
	svc     *app.Service
	snaps   *app.Snapshots // the rows the sessions share
	target  store.InventoryRow
	watches []*watch
	seen    chan struct{}  // a session drew the number looked for
	out     []*countWriter // each session's terminal, by watch
}

// countWriter counts what a session's renderer writes to its terminal.
type countWriter struct {
	mu     sync.Mutex
	writes int
	text   strings.Builder
}

func (c *countWriter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writes++
	c.text.Write(p)
	return len(p), nil
}

// count is how many writes the terminal had, and all they wrote.
func (c *countWriter) count() (int, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.writes, c.text.String()
}

// watch is one session's program, which tells when its frame shows the
// target row at the number asked for.
type watch struct {
	tea.Model
	sku  string
	want atomic.Int64 // the number looked for; -1: nothing
	seen chan<- struct{}
}

func (w *watch) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	m, cmd := w.Model.Update(msg)
	w.Model = m
	return w, cmd
}

// View is the session's frame, checked for the number looked for, as the
// renderer asks for it after each message.
func (w *watch) View() tea.View {
	v := w.Model.View()
	if want := w.want.Load(); want >= 0 && rowShows(v.Content, w.sku, strconv.FormatInt(want, 10)) {
		w.want.Store(-1)
		w.seen <- struct{}{}
	}
	return v
}

// rowShows tells whether the frame's line of sku shows the field want.
func rowShows(frame, sku, want string) bool {
	for line := range strings.SplitSeq(frame, "\n") {
		if !strings.Contains(line, sku) {
			continue
		}
		fields := strings.Fields(ansi.Strip(line))
		if slices.Contains(fields, sku) {
			return slices.Contains(fields, want)
		}
	}
	return false
}

// newFanout opens n sessions on Inventory, each a program run with the
// options given besides the fan-out's own.
func newFanout(tb testing.TB, n int, opts ...tea.ProgramOption) *fanout {
	tb.Helper()
	// The sessions redraw through the gate the server sets (the fan-out
	// figures are the server's).
	LimitRedraws()
	listings := make([]store.ListingSnapshot, 300)
	for i := range listings {
		listings[i] = tuitest.Listing(int64(i+1), fmt.Sprintf("Mug %d", i), V{Name: "Colour: Oat", SKU: fmt.Sprintf("MUG-%03d", i), Quantity: i % 50})
	}
	env := tuitest.New(tb, listings, tuitest.Options{})
	db := &storetest.Reads{DB: env.DB}
	svc := app.New(app.Config{Store: db, Jobs: env.Jobs, Hub: env.Hub, SignupOpen: true, Now: time.Now})
	snaps := app.NewSnapshots(svc)
	rows, err := svc.Inventory(context.Background(), env.Owner, env.StoreID)
	if err != nil {
		tb.Fatal(err)
	}
	// The first row by title is on every session's first page.
	i := slices.IndexFunc(rows, func(r store.InventoryRow) bool { return r.SKU == "MUG-000" })
	if i < 0 {
		tb.Fatal("no row MUG-000")
	}
	f := &fanout{env: env, db: db, svc: svc, snaps: snaps, target: rows[i], seen: make(chan struct{}, n)}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	tb.Cleanup(func() { cancel(); wg.Wait() })
	for range n {
		w := &watch{sku: f.target.SKU, seen: f.seen}
		w.Model = New(Options{Ctx: ctx, App: svc, Snapshots: snaps, Actor: &env.Owner, Screen: "inventory"})
		w.want.Store(int64(f.target.Shown()))
		out := &countWriter{}
		f.out = append(f.out, out)
		p := tea.NewProgram(w, append([]tea.ProgramOption{tea.WithContext(ctx), tea.WithInput(nil), tea.WithOutput(out),
			tea.WithWindowSize(120, 40), tea.WithColorProfile(colorprofile.TrueColor), tea.WithoutSignals(),
			tea.WithEnvironment([]string{"TERM=xterm-256color"})}, opts...)...)
		f.watches = append(f.watches, w)
		wg.Go(func() { _, _ = p.Run() })
	}
	f.wait(tb, time.Now(), "the first frame")
	return f
}

// edit sets the target row to want and waits until every session shows
// it: how long until the first and the last did.
func (f *fanout) edit(tb testing.TB, want int) (first, last time.Duration) {
	tb.Helper()
	for _, w := range f.watches {
		w.want.Store(int64(want))
	}
	start := time.Now()
	if _, err := f.svc.SetStock(context.Background(), f.env.Owner, app.StockParams{StoreID: f.env.StoreID, Source: store.SourceCommand,
		Edits: []store.StockEditItem{{OfferingID: f.target.OfferingID, Quantity: want}}}); err != nil {
		tb.Fatal(err)
	}
	return f.wait(tb, start, fmt.Sprintf("%s at %d", f.target.SKU, want))
}

func (f *fanout) wait(tb testing.TB, start time.Time, what string) (first, last time.Duration) {
	tb.Helper()
	deadline := time.After(60 * time.Second)
	for i := range f.watches {
		select {
		case <-f.seen:
		case <-deadline:
			tb.Fatalf("%d of %d sessions did not show %s within 60s", len(f.watches)-i, len(f.watches), what)
		}
		if i == 0 {
			first = time.Since(start)
		}
	}
	return first, time.Since(start)
}

// processCPU is the CPU the test process has used, user and system.
func processCPU(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
