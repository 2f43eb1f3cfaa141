package stores

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"charm.land/bubbles/v2/key"
	"github.com/charmbracelet/x/ansi"
	"rsc.io/qr"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/tui/common"
	"github.com/stockroom/stockroom/tui/internal/tuitest"
)

const wait = 5 * time.Second

// connector is an OAuth flow the test finishes by hand.
type connector struct {
	url    string
	result chan store.Store
	err    error
}

func (c *connector) Start(context.Context, int64, string) (string, string, error) {
	return c.url, "state-1", nil
}

func (c *connector) Wait(ctx context.Context, _ string) (store.Store, error) {
	select {
	case st := <-c.result:
		return st, c.err
	case <-ctx.Done():
		return store.Store{}, ctx.Err()
	}
}

func TestListsStoresAndSelects(t *testing.T) {
	env := tuitest.New(t, nil, tuitest.Options{})
	m := New(env.Common(env.Owner, 120, 30))
	m.SetSize(120, 28)
	var comp common.Component = m
	comp = tuitest.Drive(comp, wait, tuitest.Run(m.Init(), wait)...)
	f := ansi.Strip(m.View())
	for _, want := range []string{"Olive's Pottery", "owner", "connected", "never", "not known yet"} {
		if !strings.Contains(f, want) {
			t.Errorf("frame lacks %q:\n%s", want, f)
		}
	}
	_, cmd := comp.Update(tuitest.Key("enter"))
	msgs := tuitest.Run(cmd, wait)
	if len(msgs) != 1 || msgs[0] != (common.StoreSelectedMsg{StoreID: env.StoreID}) {
		t.Fatalf("enter gave %v", msgs)
	}
}

func TestConnectShowsLinkAndQRThenFinishes(t *testing.T) {
	conn := &connector{url: "https://www.etsy.com/oauth/connect?state=state-1", result: make(chan store.Store, 1)}
	env := tuitest.New(t, nil, tuitest.Options{Connect: conn})
	m := New(env.Common(env.Owner, 120, 60))
	m.SetSize(120, 58)
	var comp common.Component = m
	comp = tuitest.Drive(comp, wait, tuitest.Run(m.Init(), wait)...)

	_, cmd := comp.Update(tuitest.Key("c"))
	started := tuitest.Run(cmd, wait)
	_, waitCmd := comp.Update(started[0])
	f := ansi.Strip(m.View())
	if !strings.Contains(f, conn.url) || !strings.Contains(f, "█") || !strings.Contains(f, "Waiting for Etsy") {
		t.Fatalf("connect frame:\n%s", f)
	}

	conn.result <- store.Store{ID: env.StoreID, Name: "Olive's Pottery"}
	done := tuitest.Run(waitCmd, wait)
	_, next := comp.Update(done[0])
	var selected bool
	for _, msg := range tuitest.Run(next, wait) {
		if msg == (common.StoreSelectedMsg{StoreID: env.StoreID}) {
			selected = true
		}
	}
	if !selected || !strings.Contains(ansi.Strip(m.View()), "Connected Olive's Pottery") {
		t.Fatalf("after the browser leg: selected %v\n%s", selected, ansi.Strip(m.View()))
	}
}

func TestConnectFailureIsShown(t *testing.T) {
	conn := &connector{url: "https://www.etsy.com/oauth/connect", result: make(chan store.Store, 1), err: errors.New("Etsy said: access_denied\x1b[2J")}
	env := tuitest.New(t, nil, tuitest.Options{Connect: conn})
	m := New(env.Common(env.Owner, 120, 60))
	m.SetSize(120, 58)
	var comp common.Component = m
	conn.result <- store.Store{}
	tuitest.Drive(comp, wait, tuitest.Key("c"))
	f := m.View()
	if !strings.Contains(ansi.Strip(f), "The shop was not connected: Etsy said: access_denied") || strings.Contains(f, "\x1b[2J") {
		t.Fatalf("frame:\n%q", f)
	}
}

// TestQRMatchesTheCode reads the drawn blocks back into modules.
func TestQRMatchesTheCode(t *testing.T) {
	text := "https://www.etsy.com/oauth/connect?client_id=abc&state=xyz"
	code, err := qr.Encode(text, qr.L)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(QR(text), "\n")
	n := code.Size + 2*quiet
	if len(lines) != (n+1)/2 {
		t.Fatalf("%d lines for %d modules", len(lines), n)
	}
	for row, line := range lines {
		cells := []rune(line)
		if len(cells) != n {
			t.Fatalf("line %d has %d cells, want %d", row, len(cells), n)
		}
		for x, r := range cells {
			for half, y := range []int{2 * row, 2*row + 1} {
				if y >= n {
					continue
				}
				lit := r == '█' || (half == 0 && r == '▀') || (half == 1 && r == '▄')
				cx, cy := x-quiet, y-quiet
				dark := cx >= 0 && cy >= 0 && cx < code.Size && cy < code.Size && code.Black(cx, cy)
				if lit == dark {
					t.Fatalf("module (%d,%d): drawn light %v, code dark %v", x, y, lit, dark)
				}
			}
		}
	}
}

// A link longer than the screen is broken into lines, never cut: joined
// back, the lines give the whole link.
func TestConnectLinkLongerThanTheScreenIsWhole(t *testing.T) {
	long := "https://www.etsy.com/oauth/connect?client_id=abc&state=" + strings.Repeat("s", 150) + "&code_challenge=" + strings.Repeat("c", 43)
	conn := &connector{url: long, result: make(chan store.Store, 1)}
	env := tuitest.New(t, nil, tuitest.Options{Connect: conn})
	m := New(env.Common(env.Owner, 80, 30))
	m.SetSize(80, 28)
	var comp common.Component = m
	comp = tuitest.Drive(comp, wait, tuitest.Run(m.Init(), wait)...)
	_, cmd := comp.Update(tuitest.Key("c"))
	comp.Update(tuitest.Run(cmd, wait)[0])
	var joined strings.Builder
	for _, line := range strings.Split(ansi.Strip(m.View()), "\n") {
		if w := ansi.StringWidth(line); w > 80 {
			t.Fatalf("line of width %d: %q", w, line)
		}
		if strings.HasPrefix(line, "https://") || joined.Len() > 0 && joined.Len() < len(long) {
			joined.WriteString(strings.TrimSpace(line))
		}
	}
	if joined.String() != long {
		t.Fatalf("link on screen %q\nwant %q", joined.String(), long)
	}
}

func TestConnectFailureOffersTryAgain(t *testing.T) {
	conn := &connector{url: "https://www.etsy.com/oauth/connect?state=state-1", result: make(chan store.Store, 2), err: errors.New("access_denied")}
	env := tuitest.New(t, nil, tuitest.Options{Connect: conn})
	m := New(env.Common(env.Owner, 120, 60))
	m.SetSize(120, 58)
	var comp common.Component = m
	conn.result <- store.Store{}
	tuitest.Drive(comp, wait, tuitest.Key("c"))
	if !strings.Contains(ansi.Strip(m.View()), "c to try again") {
		t.Fatalf("frame:\n%s", ansi.Strip(m.View()))
	}
	conn.err = nil
	_, cmd := comp.Update(tuitest.Key("c"))
	started := tuitest.Run(cmd, wait)
	if len(started) != 1 {
		t.Fatalf("c on the failure screen gave %v", started)
	}
	comp.Update(started[0])
	if f := ansi.Strip(m.View()); !strings.Contains(f, conn.url) || !strings.Contains(f, "Waiting for Etsy") {
		t.Fatalf("c did not start a new attempt:\n%s", f)
	}
}

// helpKeys is what a help list offers, as the help bar names the keys.
func helpKeys(groups ...[]key.Binding) string {
	var out []string
	for _, g := range groups {
		for _, b := range g {
			out = append(out, b.Help().Key)
		}
	}
	return strings.Join(out, " ")
}

// The help offers only keys that do something with the shops there are.
func TestHelpOffersOnlyWhatWorks(t *testing.T) {
	env := tuitest.New(t, nil, tuitest.Options{})
	load := func(a app.Actor) *Model {
		m := New(env.Common(a, 120, 30))
		m.SetSize(120, 28)
		tuitest.Drive[common.Component](m, wait, tuitest.Run(m.Init(), wait)...)
		return m
	}

	none := load(env.SignUp(t, "Nell Newcomer"))
	if got, want := helpKeys(none.ShortHelp()), "c r"; got != want {
		t.Errorf("no shop: short help offers %q, want %q", got, want)
	}
	if got, want := helpKeys(none.FullHelp()...), "c r"; got != want {
		t.Errorf("no shop: full help offers %q, want %q", got, want)
	}

	one := load(env.Owner)
	if got, want := helpKeys(one.ShortHelp()), "enter c y r z"; got != want {
		t.Errorf("one shop: short help offers %q, want %q", got, want)
	}

	if _, err := env.DB.StoreConnect(context.Background(), &store.StoreConnectParams{AccountID: env.Owner.Account.ID, EtsyShopID: 4343,
		Name: "Olive's Linens", Currency: "USD", AccessToken: []byte("sealed"), RefreshToken: []byte("sealed"),
		TokenExpiresAt: tuitest.Epoch.Add(time.Hour), Now: tuitest.Epoch}); err != nil {
		t.Fatal(err)
	}
	two := load(env.Owner)
	if got, want := helpKeys(two.FullHelp()...), "↑/k ↓/j enter c y r z"; got != want {
		t.Errorf("two shops: full help offers %q, want %q", got, want)
	}
	// Only the owner may change the zero policy: a manager is not offered z.
	mgr := load(env.Member(t, "Max Manager", store.RoleManager))
	if got, want := helpKeys(mgr.ShortHelp()), "enter c y r"; got != want {
		t.Errorf("manager: short help offers %q, want %q", got, want)
	}
}

// z switches the selected store between deactivating listings at 0 and
// keeping them as they are, says so, and a manager is told it is the
// owner's to change.
func TestZeroPolicyKey(t *testing.T) {
	env := tuitest.New(t, nil, tuitest.Options{})
	m := New(env.Common(env.Owner, 120, 30))
	m.SetSize(120, 28)
	var comp common.Component = m
	comp = tuitest.Drive(comp, wait, tuitest.Run(m.Init(), wait)...)
	if f := ansi.Strip(m.View()); !strings.Contains(f, "listings are deactivated") {
		t.Fatalf("the screen does not say what happens at 0:\n%s", f)
	}
	comp = tuitest.Drive(comp, wait, tuitest.Key("z"))
	if st, _ := env.DB.StoreGet(t.Context(), env.StoreID); st.ZeroPolicy != store.ZeroKeepSoldOut {
		t.Fatalf("after z the policy is %q, want keep_sold_out", st.ZeroPolicy)
	}
	if f := ansi.Strip(m.View()); !strings.Contains(f, "keep-sold-out") {
		t.Fatalf("after z the screen does not show keep-sold-out:\n%s", f)
	}
	tuitest.Drive(comp, wait, tuitest.Key("z"))
	if st, _ := env.DB.StoreGet(t.Context(), env.StoreID); st.ZeroPolicy != store.ZeroDeactivate {
		t.Fatalf("after z again the policy is %q, want deactivate", st.ZeroPolicy)
	}

	mm := New(env.Common(env.Member(t, "Max Manager", store.RoleManager), 120, 30))
	mm.SetSize(120, 28)
	var mc common.Component = mm
	mc = tuitest.Drive(mc, wait, tuitest.Run(mm.Init(), wait)...)
	tuitest.Drive(mc, wait, tuitest.Key("z"))
	if f := ansi.Strip(mm.View()); !strings.Contains(f, "owner") {
		t.Fatalf("a manager's z does not say it is the owner's to change:\n%s", f)
	}
	if st, _ := env.DB.StoreGet(t.Context(), env.StoreID); st.ZeroPolicy != store.ZeroDeactivate {
		t.Fatalf("a manager changed the policy to %q", st.ZeroPolicy)
	}
}
