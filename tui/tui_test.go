package tui

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/tui/internal/tuitest"
)

// loop runs a root model the way a Bubble Tea program does: commands run
// on their own goroutines and their messages come back through one channel.
type loop struct {
	t  testing.TB
	m  tea.Model
	ch chan tea.Msg
}

// open is a's session of env on a 120×30 terminal, opened on screen.
func open(t testing.TB, env *tuitest.Env, a *app.Actor, screen string) *loop {
	return newLoop(t, New(session(env, a, screen, nil)), 120, 30)
}

// inventorySession is a's session of env on a 120×30 terminal, opened on
// Inventory and showing the shop.
func inventorySession(t testing.TB, env *tuitest.Env, a *app.Actor) *loop {
	l := open(t, env, a, "inventory")
	l.settle("the inventory", func() bool { return strings.Contains(l.plain(), "MUG-OAT") })
	return l
}

// ownerInventory is a new env of shop() with o and its owner's
// inventorySession.
func ownerInventory(t testing.TB, o tuitest.Options) (*tuitest.Env, *loop) {
	env := tuitest.New(t, shop(), o)
	return env, inventorySession(t, env, &env.Owner)
}

func newLoop(t testing.TB, m tea.Model, width, height int) *loop {
	l := &loop{t: t, m: m, ch: make(chan tea.Msg, 64)}
	l.run(m.Init())
	l.send(tea.WindowSizeMsg{Width: width, Height: height})
	return l
}

func (l *loop) run(cmd tea.Cmd) {
	if cmd != nil {
		go func() { l.ch <- cmd() }()
	}
}

func (l *loop) send(msgs ...tea.Msg) {
	for _, msg := range msgs {
		switch msg := msg.(type) {
		case nil:
		case tea.BatchMsg:
			for _, c := range msg {
				l.run(c)
			}
		default:
			var cmd tea.Cmd
			l.m, cmd = l.m.Update(msg)
			l.run(cmd)
		}
	}
}

// settle handles messages until cond holds.
func (l *loop) settle(what string, cond func() bool) {
	l.t.Helper()
	deadline := time.After(5 * time.Second)
	for !cond() {
		select {
		case msg := <-l.ch:
			l.send(msg)
		case <-deadline:
			l.t.Fatalf("timed out waiting for %s; frame:\n%s", what, l.plain())
		}
	}
}

// quiet handles whatever arrives within a short while.
func (l *loop) quiet() {
	for {
		select {
		case msg := <-l.ch:
			l.send(msg)
		case <-time.After(100 * time.Millisecond):
			return
		}
	}
}

// palette runs the palette's first action that typed matches.
func (l *loop) palette(typed string) {
	l.send(tuitest.Key(":"))
	l.send(tuitest.Keys(typed)...)
	l.send(tuitest.Key("enter"))
}

func (l *loop) frame() string { return l.m.View().Content }
func (l *loop) plain() string { return ansi.Strip(l.frame()) }
func (l *loop) root() *Model  { return l.m.(*Model) }

type V = tuitest.Variation

func shop() []store.ListingSnapshot {
	return []store.ListingSnapshot{
		tuitest.Listing(101, "Speckled stoneware mug", V{Name: "Colour: Oat", SKU: "MUG-OAT", Quantity: 12}),
		tuitest.Listing(102, "Linen tote bag", V{Name: "Size: Large", SKU: "TOTE-L", Quantity: 30}),
	}
}

func session(env *tuitest.Env, a *app.Actor, screen string, activity func()) Options {
	return Options{Ctx: context.Background(), App: env.App, Snapshots: env.Snaps, Actor: a,
		Screen: screen, Now: func() time.Time { return tuitest.Epoch }, OnActivity: activity}
}

// A session with a shop opens on Home: how the shop is doing first.
func TestOpensOnHomeWithHeaderAndHelp(t *testing.T) {
	env := tuitest.New(t, shop(), tuitest.Options{Demo: true})
	l := newLoop(t, New(session(env, &env.Owner, "", nil)), 140, 30)
	l.settle("the home screen", func() bool { return strings.Contains(l.plain(), "Runs out first") })
	l.quiet()
	f := l.plain()
	for _, want := range []string{"Stockroom", "2 Inventory", "8 Home", "Home · Olive's Pottery", "Olive Owner · Olive's Pottery",
		"Etsy sandbox", ": commands", "? help"} {
		if !strings.Contains(f, want) {
			t.Errorf("frame lacks %q:\n%s", want, f)
		}
	}
	if got := strings.Count(l.frame(), "\n") + 1; got != 30 {
		t.Errorf("frame is %d lines, want the terminal's 30", got)
	}
	l.send(tuitest.Key("?"))
	if !strings.Contains(l.plain(), "this store / all stores") {
		t.Errorf("? did not show the full help:\n%s", l.plain())
	}
}

func TestTooSmall(t *testing.T) {
	env := tuitest.New(t, shop(), tuitest.Options{})
	l := newLoop(t, New(session(env, &env.Owner, "inventory", nil)), 50, 10)
	if !strings.Contains(l.plain(), "Terminal too small") {
		t.Fatalf("frame:\n%s", l.plain())
	}
	l.send(tea.WindowSizeMsg{Width: 100, Height: 30})
	l.settle("the inventory", func() bool { return strings.Contains(l.plain(), "MUG-OAT") })
}

// TestTooSmallWrapsItsMessage: however narrow the window, the message is
// wrapped rather than cut, so the size needed and the size there is stay
// visible.
func TestTooSmallWrapsItsMessage(t *testing.T) {
	env := tuitest.New(t, shop(), tuitest.Options{})
	for _, size := range [][2]int{{50, 10}, {30, 12}, {20, 8}, {59, 40}, {100, 14}} {
		w, h := size[0], size[1]
		l := newLoop(t, New(session(env, &env.Owner, "", nil)), w, h)
		lines := strings.Split(l.plain(), "\n")
		if len(lines) > h {
			t.Errorf("%d×%d: the message takes %d lines", w, h, len(lines))
		}
		for _, line := range lines {
			if got := ansi.StringWidth(line); got > w {
				t.Errorf("%d×%d: line of width %d would be cut: %q", w, h, got, line)
			}
		}
		text := strings.Join(strings.Fields(strings.Join(lines, " ")), " ")
		want := fmt.Sprintf("Terminal too small: Stockroom needs 60×15, this is %d×%d. Enlarge the window, or press q to quit.", w, h)
		if text != want {
			t.Errorf("%d×%d: the message reads %q, want %q", w, h, text, want)
		}
	}

	// The sign-up form takes q as text: only ctrl+c quits there.
	o := session(env, nil, "", nil)
	o.PublicKey = tuitest.NewKey(t)
	l := newLoop(t, New(o), 50, 10)
	if text := strings.Join(strings.Fields(l.plain()), " "); !strings.HasSuffix(text, "or press ctrl+c to quit.") {
		t.Errorf("sign-up, too small: %q", text)
	}
}

func TestSignUpThenStores(t *testing.T) {
	env := tuitest.New(t, shop(), tuitest.Options{})
	key := tuitest.NewKey(t)
	o := session(env, nil, "", nil)
	o.PublicKey = key
	l := newLoop(t, New(o), 100, 30)
	if !strings.Contains(l.plain(), "Welcome to Stockroom") || !strings.Contains(l.plain(), "SHA256:") {
		t.Fatalf("no sign-up screen:\n%s", l.plain())
	}
	l.send(tuitest.Keys("Quentin q")...) // q is text here, not quit
	l.send(tuitest.Key("enter"))
	l.send(tuitest.Keys("not-an-email")...)
	l.send(tuitest.Key("enter"))
	if !strings.Contains(l.plain(), "is not an email address") {
		t.Fatalf("bad email accepted:\n%s", l.plain())
	}
	for range len("not-an-email") {
		l.send(tuitest.Key("backspace"))
	}
	l.send(tuitest.Key("enter"))
	l.settle("the stores screen", func() bool { return strings.Contains(l.plain(), "No shop connected yet") })
	if got := l.root().c.Actor.Account.Name; got != "Quentin q" {
		t.Errorf("account name %q", got)
	}
}

func TestSignUpClosed(t *testing.T) {
	env := tuitest.New(t, shop(), tuitest.Options{SignupClosed: true})
	o := session(env, nil, "", nil)
	o.PublicKey = tuitest.NewKey(t)
	l := newLoop(t, New(o), 100, 30)
	if !strings.Contains(l.plain(), "Sign-up is closed on this server") {
		t.Fatalf("frame:\n%s", l.plain())
	}
	// Only a code gets in; q is a letter of it.
	l.send(tuitest.Key("q"), tuitest.Key("enter"), tuitest.Key("enter"), tuitest.Key("q"), tuitest.Key("enter"))
	l.settle("the refusal", func() bool { return strings.Contains(l.plain(), "not valid") })
	if l.root().quitting {
		t.Fatal("q left a closed sign-up")
	}
	l.send(tuitest.Key("ctrl+c"))
	if !l.root().quitting {
		t.Error("ctrl+c does not leave a closed sign-up")
	}
}

func TestLiveUpdateWithoutKeypress(t *testing.T) {
	env := tuitest.New(t, shop(), tuitest.Options{})
	manager := env.Member(t, "Mo Manager", store.RoleManager)
	l := open(t, env, &env.Owner, "inventory")
	l.settle("the subscription", func() bool { return l.root().sub != nil && strings.Contains(l.plain(), "TOTE-L") })

	rows, err := env.App.Inventory(context.Background(), manager, env.StoreID)
	if err != nil {
		t.Fatal(err)
	}
	var tote store.InventoryRow
	for _, r := range rows {
		if r.SKU == "TOTE-L" {
			tote = r
		}
	}
	if _, err := env.App.SetStock(context.Background(), manager, app.StockParams{StoreID: env.StoreID, Source: store.SourceCommand,
		Edits: []store.StockEditItem{{OfferingID: tote.OfferingID, Version: tote.Version, Quantity: 17}}}); err != nil {
		t.Fatal(err)
	}
	l.settle("the other session's edit", func() bool {
		for line := range strings.SplitSeq(l.plain(), "\n") {
			if strings.Contains(line, "TOTE-L") && strings.Contains(line, "17") && strings.Contains(line, "pending") {
				return true
			}
		}
		return false
	})

	sub := l.root().sub
	l.send(tuitest.Key("q"))
	if l.root().sub != nil {
		t.Error("quit kept the subscription")
	}
	if _, open := <-sub.C; open {
		t.Error("the subscription channel is still open after quit")
	}
}

func TestPaletteRunsActions(t *testing.T) {
	env, l := ownerInventory(t, tuitest.Options{})
	l.send(tuitest.Key(":"))
	f := l.plain()
	for _, want := range []string{"Go to Stores", "Go to Sales", "Sync the current store now", "Connect an Etsy shop", "Inventory: edit stock (e)"} {
		if !strings.Contains(f, want) {
			t.Errorf("palette lacks %q:\n%s", want, f)
		}
	}
	l.send(tuitest.Keys("gtsales")...)
	l.send(tuitest.Key("enter"))
	if got := l.root().screens[l.root().active].name; got != "sales" {
		t.Fatalf("palette went to %q", got)
	}
	l.palette("syncnow")
	l.settle("the sync", func() bool { return strings.Contains(l.plain(), "sync queued") })
	if len(env.Jobs.SyncCalls()) != 1 {
		t.Errorf("syncs = %v", env.Jobs.SyncCalls())
	}
}

func TestActivityOnInputOnly(t *testing.T) {
	env := tuitest.New(t, shop(), tuitest.Options{})
	n := 0
	l := newLoop(t, New(session(env, &env.Owner, "inventory", func() { n++ })), 120, 30)
	l.settle("the inventory", func() bool { return strings.Contains(l.plain(), "MUG-OAT") })
	l.quiet()
	if n != 0 {
		t.Fatalf("activity without input: %d", n)
	}
	l.send(tuitest.Key("j"), tea.MouseWheelMsg{Button: tea.MouseWheelDown}, tea.WindowSizeMsg{Width: 100, Height: 30})
	if n != 2 {
		t.Errorf("activity = %d, want 2 (a key and a wheel)", n)
	}
}

func TestHostileTextEndToEnd(t *testing.T) {
	hostile := "Mug \x1b]52;c;SGVsbG8=\x07 \x1b]8;;https://evil.example\x07link\x1b]8;;\x07 \x1b[2J \x1b[6n \u009b2J \x9b2J"
	env := tuitest.New(t, []store.ListingSnapshot{tuitest.Listing(101, hostile, V{Name: "Colour: \x1b[6n", SKU: "SKU\x1b[2J", Quantity: 3})}, tuitest.Options{})
	// The shop's name comes from Etsy too.
	if _, err := env.DB.StoreConnect(context.Background(), &store.StoreConnectParams{AccountID: env.Owner.Account.ID, EtsyShopID: 4242,
		Name: "Shop\x1b]52;c;SGVsbG8=\x07\x1b[2J", Currency: "USD", Now: tuitest.Epoch}); err != nil {
		t.Fatal(err)
	}
	l := open(t, env, &env.Owner, "inventory")
	l.settle("the hostile row", func() bool { return strings.Contains(l.plain(), "Mug") })
	l.quiet()
	frames := []string{l.frame()}
	l.send(tuitest.Key("1"))
	frames = append(frames, l.frame())
	for _, f := range frames {
		for _, bad := range []string{"\x1b]", "\x1b[2J", "\x1b[6n", "\u009b", "\x9b", "\x07"} {
			if strings.Contains(f, bad) {
				t.Errorf("frame holds %q:\n%q", bad, f)
			}
		}
	}
	if !strings.Contains(ansi.Strip(frames[1]), "Shop") {
		t.Errorf("stores frame:\n%s", ansi.Strip(frames[1]))
	}
}

// TestHelpBarOffersOnlyKeysThatWork: while a screen takes keys as text,
// :, ? and q are typed, not obeyed, so the help bar must not offer them.
func TestHelpBarOffersOnlyKeysThatWork(t *testing.T) {
	env, l := ownerInventory(t, tuitest.Options{})
	l.quiet()
	footer := func() string {
		lines := strings.Split(l.plain(), "\n")
		return lines[len(lines)-1]
	}
	if f := footer(); !strings.Contains(f, ": commands") || !strings.Contains(f, "q quit") {
		t.Fatalf("browsing footer: %q", f)
	}
	l.send(tuitest.Key("e"))
	if f := footer(); strings.Contains(f, ": commands") || strings.Contains(f, "q quit") || !strings.Contains(f, "ctrl+c quit") {
		t.Errorf("editing footer: %q", f)
	}
	l.send(tuitest.Key("esc"), tuitest.Key("/"))
	if f := footer(); strings.Contains(f, "? help") || !strings.Contains(f, "ctrl+c quit") {
		t.Errorf("filter footer: %q", f)
	}

	o := session(env, nil, "", nil)
	o.PublicKey = tuitest.NewKey(t)
	l = newLoop(t, New(o), 100, 30)
	if f := footer(); strings.Contains(f, "q quit") || strings.Contains(f, ": commands") || strings.Count(f, "ctrl+c quit") != 1 {
		t.Errorf("sign-up footer: %q", f)
	}
}

// TestFullHelpFitsTheTerminal: the session's column of the full help is
// longer than some screens' own; the frame must still be the terminal's
// height, with the last help line (q quit) on it.
func TestFullHelpFitsTheTerminal(t *testing.T) {
	_, l := ownerInventory(t, tuitest.Options{Demo: true})
	for _, screen := range []string{"1", "2", "3", "4", "5", "6", "7"} {
		l.send(tuitest.Key(screen), tuitest.Key("?"))
		f := l.plain()
		if got := strings.Count(f, "\n") + 1; got != 30 {
			t.Errorf("screen %s: full help frame is %d lines, want 30", screen, got)
		}
		if !strings.Contains(f, "quit") {
			t.Errorf("screen %s: full help lacks quit:\n%s", screen, f)
		}
		l.send(tuitest.Key("?"))
	}
}

// TestFullHelpDuringSignUpOffersOnlyWhatWorks: sign-up has no screens to
// move between and no palette, and while its form takes keys as text only
// ctrl+c reaches the session.
func TestFullHelpDuringSignUpOffersOnlyWhatWorks(t *testing.T) {
	absent := []string{"next screen", "previous screen", "1 stores", "2 inventory", "commands"}
	check := func(what, help string, want ...string) {
		t.Helper()
		help = squeeze(help)
		for _, a := range absent {
			if strings.Contains(help, a) {
				t.Errorf("%s: full help offers %q:\n%s", what, a, help)
			}
		}
		for _, w := range want {
			if !strings.Contains(help, w) {
				t.Errorf("%s: full help lacks %q:\n%s", what, w, help)
			}
		}
	}

	env := tuitest.New(t, shop(), tuitest.Options{})
	o := session(env, nil, "", nil)
	o.PublicKey = tuitest.NewKey(t)
	l := newLoop(t, New(o), 100, 30)
	r := l.root()
	check("sign-up form", ansi.Strip(r.fullHelpView(r.current())), "create account", "ctrl+c quit")
	if h := squeeze(ansi.Strip(r.fullHelpView(r.current()))); strings.Contains(h, "? help") || strings.Contains(h, "q quit") {
		t.Errorf("sign-up form: full help offers keys the form takes as text:\n%s", h)
	}

	// Closed, the form still takes an invite or link code as text.
	closed := tuitest.New(t, shop(), tuitest.Options{SignupClosed: true})
	l = newLoop(t, New(session(closed, nil, "", nil)), 100, 30)
	r = l.root()
	check("closed sign-up", ansi.Strip(r.fullHelpView(r.current())), "use the code", "ctrl+c quit")

	// Past sign-up the screens are there to move between.
	l = inventorySession(t, env, &env.Owner)
	l.send(tuitest.Key("?"))
	if f := squeeze(l.plain()); !strings.Contains(f, "tab next screen") || !strings.Contains(f, ": commands") {
		t.Errorf("inventory: full help lacks the session's keys:\n%s", l.plain())
	}
}

// squeeze turns each run of spaces into one, so help columns read as text.
func squeeze(s string) string {
	lines := strings.Split(s, "\n")
	for i, line := range lines {
		lines[i] = strings.Join(strings.Fields(line), " ")
	}
	return strings.Join(lines, "\n")
}
