package stores

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"rsc.io/qr"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/tui/common"
	"github.com/stockroom/stockroom/tui/internal/tuitest"
)

const wait = tuitest.Wait

// open is the Stores screen of a for a terminal of width×height, sized
// to screenHeight and loaded.
func open(t *testing.T, env *tuitest.Env, a app.Actor, width, height, screenHeight int) (*Model, common.Component) {
	t.Helper()
	m := tuitest.Open(t, New(env.Common(a, width, height)), width, screenHeight, (*Model).Init)
	return m, m
}

// connectRefused is the Stores screen of a terminal of 120×60, not loaded,
// after c started a connection that conn refuses.
func connectRefused(t *testing.T, conn *connector) (*Model, common.Component) {
	t.Helper()
	env := tuitest.New(t, nil, tuitest.Options{Connect: conn})
	m := New(env.Common(env.Owner, 120, 60))
	m.SetSize(120, 58)
	conn.result <- store.Store{}
	return m, tuitest.Drive(common.Component(m), wait, tuitest.Key("c"))
}

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
	m, comp := open(t, env, env.Owner, 120, 30, 28)
	f := tuitest.Plain(m)
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
	env, m, comp, waitCmd := startConnect(t, conn, 120, 58)
	f := tuitest.Plain(m)
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
	if !selected || !strings.Contains(tuitest.Plain(m), "Connected Olive's Pottery") {
		t.Fatalf("after the browser leg: selected %v\n%s", selected, tuitest.Plain(m))
	}
}

func TestConnectFailureIsShown(t *testing.T) {
	conn := &connector{url: "https://www.etsy.com/oauth/connect", result: make(chan store.Store, 1), err: errors.New("Etsy said: access_denied\x1b[2J")}
	m, _ := connectRefused(t, conn)
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
	m, comp := open(t, env, env.Owner, 80, 30, 28)
	_, cmd := comp.Update(tuitest.Key("c"))
	comp.Update(tuitest.Run(cmd, wait)[0])
	var joined strings.Builder
	for _, line := range strings.Split(tuitest.Plain(m), "\n") {
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
	m, comp := connectRefused(t, conn)
	if !strings.Contains(tuitest.Plain(m), "c to try again") {
		t.Fatalf("frame:\n%s", tuitest.Plain(m))
	}
	conn.err = nil
	_, cmd := comp.Update(tuitest.Key("c"))
	started := tuitest.Run(cmd, wait)
	if len(started) != 1 {
		t.Fatalf("c on the failure screen gave %v", started)
	}
	comp.Update(started[0])
	if f := tuitest.Plain(m); !strings.Contains(f, conn.url) || !strings.Contains(f, "Waiting for Etsy") {
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
		m, _ := open(t, env, a, 120, 30, 28)
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
	if got, want := helpKeys(one.ShortHelp()), "enter c y m D z r"; got != want {
		t.Errorf("one shop: short help offers %q, want %q", got, want)
	}
	// A viewer cannot sync or disconnect: neither key is offered.
	viewer := load(env.Member(t, "Vera Viewer", store.RoleViewer))
	if got, want := helpKeys(viewer.ShortHelp()), "enter c m r"; got != want {
		t.Errorf("viewer: short help offers %q, want %q", got, want)
	}

	if _, err := env.DB.StoreConnect(context.Background(), &store.StoreConnectParams{AccountID: env.Owner.Account.ID, EtsyShopID: 4343,
		Name: "Olive's Linens", Currency: "USD", AccessToken: []byte("sealed"), RefreshToken: []byte("sealed"),
		TokenExpiresAt: tuitest.Epoch.Add(time.Hour), Now: tuitest.Epoch}); err != nil {
		t.Fatal(err)
	}
	two := load(env.Owner)
	if got, want := helpKeys(two.FullHelp()...), "↑/k ↓/j enter c y m D z r"; got != want {
		t.Errorf("two shops: full help offers %q, want %q", got, want)
	}
	// Only the owner may change the zero policy: a manager is not offered z.
	mgr := load(env.Member(t, "Max Manager", store.RoleManager))
	if got, want := helpKeys(mgr.ShortHelp()), "enter c y m r"; got != want {
		t.Errorf("manager: short help offers %q, want %q", got, want)
	}
}

// z switches the selected store between deactivating listings at 0 and
// keeping them as they are, says so, and a manager is told it is the
// owner's to change.
func TestZeroPolicyKey(t *testing.T) {
	env := tuitest.New(t, nil, tuitest.Options{})
	m, comp := open(t, env, env.Owner, 120, 30, 28)
	if f := tuitest.Plain(m); !strings.Contains(f, "listings are deactivated") {
		t.Fatalf("the screen does not say what happens at 0:\n%s", f)
	}
	comp = tuitest.Drive(comp, wait, tuitest.Key("z"))
	if st, _ := env.DB.StoreGet(t.Context(), env.StoreID); st.ZeroPolicy != store.ZeroKeepSoldOut {
		t.Fatalf("after z the policy is %q, want keep_sold_out", st.ZeroPolicy)
	}
	if f := tuitest.Plain(m); !strings.Contains(f, "keep-sold-out") {
		t.Fatalf("after z the screen does not show keep-sold-out:\n%s", f)
	}
	tuitest.Drive(comp, wait, tuitest.Key("z"))
	if st, _ := env.DB.StoreGet(t.Context(), env.StoreID); st.ZeroPolicy != store.ZeroDeactivate {
		t.Fatalf("after z again the policy is %q, want deactivate", st.ZeroPolicy)
	}

	mm, mc := open(t, env, env.Member(t, "Max Manager", store.RoleManager), 120, 30, 28)
	tuitest.Drive(mc, wait, tuitest.Key("z"))
	if f := tuitest.Plain(mm); !strings.Contains(f, "owner") {
		t.Fatalf("a manager's z does not say it is the owner's to change:\n%s", f)
	}
	if st, _ := env.DB.StoreGet(t.Context(), env.StoreID); st.ZeroPolicy != store.ZeroDeactivate {
		t.Fatalf("a manager changed the policy to %q", st.ZeroPolicy)
	}
}

// connectFrame opens the connect screen at width×height with link.
func connectFrame(t *testing.T, link string, width, height int) *Model {
	t.Helper()
	_, m, _, _ := startConnect(t, &connector{url: link, result: make(chan store.Store, 1)}, width, height)
	return m
}

// startConnect opens the Stores screen on a page of width×height, presses
// c, and returns what waits for the browser leg.
func startConnect(t *testing.T, conn *connector, width, height int) (*tuitest.Env, *Model, common.Component, tea.Cmd) {
	t.Helper()
	env := tuitest.New(t, nil, tuitest.Options{Connect: conn})
	m, comp := open(t, env, env.Owner, width, height+3, height)
	_, cmd := comp.Update(tuitest.Key("c"))
	_, waitCmd := comp.Update(tuitest.Run(cmd, wait)[0])
	return env, m, comp, waitCmd
}

// Issue 17: the connect link was broken into hard lines (copied, it is a
// broken URL) and the QR code needed a very tall terminal. On 80×24 (the
// page gets 80×21) the short link is on one line, is an OSC 8 hyperlink,
// and the QR code fits beside the text.
func TestConnectLinkWholeWithQROn80x24(t *testing.T) {
	link := "https://stockroom.example.com/c/" + strings.Repeat("S", 43)
	m := connectFrame(t, link, 80, 21)
	raw := m.View()
	f := ansi.Strip(raw)
	lines := strings.Split(f, "\n")
	if len(lines) > 21 {
		t.Errorf("%d lines on a 21-line page:\n%s", len(lines), f)
	}
	whole := false
	for _, line := range lines {
		if ansi.StringWidth(line) > 80 {
			t.Errorf("line wider than 80: %q", line)
		}
		if strings.TrimSpace(line) == link {
			whole = true
		}
	}
	if !whole {
		t.Errorf("the link is not on one line:\n%s", f)
	}
	if !strings.Contains(f, "█") {
		t.Errorf("no QR code on 80×24:\n%s", f)
	}
	if !strings.Contains(raw, ansi.SetHyperlink(link)) {
		t.Errorf("the link is not an OSC 8 hyperlink: %q", raw)
	}
}

// Where the QR code cannot fit, the screen says what size it needs.
func TestConnectSaysHowToGetTheQR(t *testing.T) {
	link := "https://stockroom.example.com/c/" + strings.Repeat("S", 43)
	m := connectFrame(t, link, 60, 12)
	f := tuitest.Plain(m)
	if strings.Contains(f, "█") || !strings.Contains(f, "QR code") || !strings.Contains(f, "at least 80×") {
		t.Errorf("small screen:\n%s", f)
	}
}

// Issue 17: "Its listings are syncing now" stayed after the sync.
func TestConnectedMessageFollowsTheFirstSync(t *testing.T) {
	conn := &connector{url: "https://stockroom.example.com/c/state-1", result: make(chan store.Store, 1)}
	env, m, comp, waitCmd := startConnect(t, conn, 120, 37)
	conn.result <- store.Store{ID: env.StoreID, Name: "Olive's Pottery"}
	comp = tuitest.Drive(comp, wait, tuitest.Run(waitCmd, wait)...)
	if f := tuitest.Plain(m); !strings.Contains(f, "syncing now") {
		t.Fatalf("before the sync ends:\n%s", f)
	}
	tuitest.Drive(comp, wait, common.LiveMsg{Event: hub.Event{Kind: hub.SyncFinished, StoreID: env.StoreID, State: "ok"}})
	if f := tuitest.Plain(m); strings.Contains(f, "syncing now") || !strings.Contains(f, "synced") {
		t.Fatalf("after the sync ended:\n%s", f)
	}
}

// Issue 17: the last error read "etsy: refresh access token: vault: store
// needs to be connected again: etsy: authorization revoked…".
func TestLastErrorInSellersWords(t *testing.T) {
	env := tuitest.New(t, nil, tuitest.Options{})
	if err := env.DB.StoreSetStatus(t.Context(), &store.StoreSetStatusParams{StoreID: env.StoreID, Status: store.StatusNeedsReauth,
		LastError: "etsy: refresh access token: vault: store needs to be connected again: etsy: authorization revoked, the shop must be connected again",
		Now:       tuitest.Epoch}); err != nil {
		t.Fatal(err)
	}
	m, _ := open(t, env, env.Owner, 120, 30, 28)
	f := tuitest.Plain(m)
	if !strings.Contains(f, "Etsy access was revoked: press c to connect Olive's Pottery again") || strings.Contains(f, "vault:") {
		t.Fatalf("frame:\n%s", f)
	}
}

// The Members panel: an owner invites (the code shows once), sees the
// invitee join, changes their role and removes them.
func TestMembersPanelOwner(t *testing.T) {
	env := tuitest.New(t, nil, tuitest.Options{})
	m, _ := open(t, env, env.Owner, 120, 40, 38)
	tuitest.Press(t, m, "m")
	f := tuitest.Plain(m)
	if !strings.Contains(f, "Members of Olive's Pottery") || !strings.Contains(f, "Olive Owner (you)") || !strings.Contains(f, "No open invites") {
		t.Fatalf("panel:\n%s", f)
	}
	tuitest.Press(t, m, "i")
	if !m.Capturing() || !strings.Contains(tuitest.Plain(m), "Invite as: v viewer") {
		t.Fatalf("i asks for a role:\n%s", tuitest.Plain(m))
	}
	tuitest.Press(t, m, "v")
	f = tuitest.Plain(m)
	if !strings.Contains(f, "Invite code (shown only now)") {
		t.Fatalf("no code shown:\n%s", f)
	}
	invites, err := env.App.Invites(t.Context(), env.Owner, env.StoreID, false)
	if err != nil || len(invites) != 1 || invites[0].Role != store.RoleViewer {
		t.Fatalf("invites %+v %v", invites, err)
	}
	code := ""
	for _, line := range strings.Split(f, "\n") {
		if _, after, ok := strings.Cut(line, "Invite code (shown only now): "); ok {
			code = strings.TrimSpace(after)
		}
	}
	bobKey := tuitest.NewKey(t)
	bob, err := env.App.SignUp(t.Context(), app.SignUpParams{Name: "Bob Helper", PublicKey: bobKey})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := env.App.Join(t.Context(), app.JoinParams{Code: code, Key: bobKey, Actor: &bob}); err != nil {
		t.Fatalf("joining with the code on screen %q: %v", code, err)
	}
	cmd := tuitest.Live(m, hub.Event{Kind: hub.MembersChanged, StoreID: env.StoreID, AccountID: bob.Account.ID})
	tuitest.Settle(t, m, cmd)
	f = tuitest.Plain(m)
	if !strings.Contains(f, "Bob Helper") || !strings.Contains(f, "No open invites") {
		t.Fatalf("after the join:\n%s", f)
	}
	// Bob is listed after the owner: down, o, m makes him manager.
	tuitest.Press(t, m, "j", "o", "m")
	if ms, _ := env.App.Members(t.Context(), env.Owner, env.StoreID); ms[1].Role != store.RoleManager {
		t.Fatalf("after o m: %+v\n%s", ms, tuitest.Plain(m))
	}
	if f = tuitest.Plain(m); !strings.Contains(f, "Bob Helper is now manager") {
		t.Fatalf("no note:\n%s", f)
	}
	tuitest.Press(t, m, "x", "n")
	if ms, _ := env.App.Members(t.Context(), env.Owner, env.StoreID); len(ms) != 2 {
		t.Fatal("n removed bob")
	}
	tuitest.Press(t, m, "x", "y")
	if ms, _ := env.App.Members(t.Context(), env.Owner, env.StoreID); len(ms) != 1 {
		t.Fatalf("x y left %+v", ms)
	}
	// The last owner cannot leave: the panel says why.
	tuitest.Press(t, m, "X", "y")
	if f = tuitest.Plain(m); !strings.Contains(f, "needs an owner") {
		t.Fatalf("leaving as the last owner:\n%s", f)
	}
	tuitest.Press(t, m, "esc")
	if m.MembersOpen() {
		t.Fatal("esc left the panel open")
	}
}

// A viewer sees the members but no invites, cannot invite, and can leave.
func TestMembersPanelViewerLeaves(t *testing.T) {
	env := tuitest.New(t, nil, tuitest.Options{})
	vic := env.Member(t, "Vic Viewer", store.RoleViewer)
	m, _ := open(t, env, vic, 120, 40, 38)
	tuitest.Press(t, m, "m", "i")
	f := tuitest.Plain(m)
	if m.Capturing() || strings.Contains(f, "Invite as") || strings.Contains(f, "open invites") || !strings.Contains(f, "Olive Owner") {
		t.Fatalf("viewer's panel:\n%s", f)
	}
	if got := helpKeys(m.ShortHelp()); slices.Contains(strings.Fields(got), "i") || slices.Contains(strings.Fields(got), "o") {
		t.Fatalf("viewer offered owners' keys: %s", got)
	}
	// Space turns the store's alerts off for the viewer alone.
	tuitest.Press(t, m, "space")
	if ms, _ := env.App.Members(t.Context(), vic, env.StoreID); ms[0].Alerts == ms[1].Alerts || !ms[0].Alerts {
		t.Fatalf("after space: %+v", ms)
	}
	if f := tuitest.Plain(m); !strings.Contains(f, "no longer reach you") {
		t.Fatalf("after space:\n%s", f)
	}
	tuitest.Press(t, m, "X", "y")
	if m.MembersOpen() {
		t.Fatalf("the panel stayed after leaving:\n%s", tuitest.Plain(m))
	}
	if len(m.Stores()) != 0 {
		t.Fatalf("the viewer still lists %+v", m.Stores())
	}
}

// D asks first; y disconnects; a viewer is not offered D.
func TestDisconnectAsksFirst(t *testing.T) {
	env := tuitest.New(t, nil, tuitest.Options{})
	m, _ := open(t, env, env.Owner, 120, 40, 38)
	tuitest.Press(t, m, "D")
	if f := tuitest.Plain(m); !m.Capturing() || !strings.Contains(f, "Disconnect Olive's Pottery from Etsy?") {
		t.Fatalf("D:\n%s", f)
	}
	tuitest.Press(t, m, "n")
	if st, _ := env.DB.StoreGet(t.Context(), env.StoreID); st.Status != store.StatusConnected {
		t.Fatal("n disconnected")
	}
	tuitest.Press(t, m, "D", "y")
	if st, _ := env.DB.StoreGet(t.Context(), env.StoreID); st.Status != store.StatusDisconnected {
		t.Fatalf("D y: %s", st.Status)
	}
	if f := tuitest.Plain(m); !strings.Contains(f, "disconnected") {
		t.Fatalf("after D y:\n%s", f)
	}
}

// Every write key of the Stores screen refuses a viewer or is not there:
// y (sync) is refused naming the role, D and the owners' member keys do
// nothing, and nothing is queued or changed.
func TestViewerWriteKeys(t *testing.T) {
	env := tuitest.New(t, nil, tuitest.Options{})
	vic := env.Member(t, "Vic Viewer", store.RoleViewer)
	m, _ := open(t, env, vic, 120, 40, 38)
	tuitest.Press(t, m, "y")
	if f := tuitest.Plain(m); !strings.Contains(f, "you are a viewer") {
		t.Fatalf("y by a viewer:\n%s", f)
	}
	tuitest.Press(t, m, "D")
	if m.Capturing() {
		t.Fatal("D asked a viewer to confirm a disconnect")
	}
	tuitest.Press(t, m, "m", "i", "o", "x")
	if m.Capturing() {
		t.Fatalf("an owner's key opened a prompt for a viewer:\n%s", tuitest.Plain(m))
	}
	if len(env.Jobs.SyncCalls()) != 0 {
		t.Fatalf("a viewer queued syncs: %v", env.Jobs.SyncCalls())
	}
	if ms, _ := env.App.Members(t.Context(), vic, env.StoreID); len(ms) != 2 {
		t.Fatalf("members changed: %+v", ms)
	}
	if st, _ := env.DB.StoreGet(t.Context(), env.StoreID); st.Status != store.StatusConnected {
		t.Fatalf("status %s", st.Status)
	}
}

func TestAnOlderLoadArrivingLastIsDropped(t *testing.T) {
	env := tuitest.New(t, nil, tuitest.Options{})
	m := New(env.Common(env.Owner, 120, 30))
	m.SetSize(120, 28)
	older := m.load()() // read before the second shop was connected
	if _, err := env.DB.StoreConnect(t.Context(), &store.StoreConnectParams{AccountID: env.Owner.Account.ID, EtsyShopID: 4343,
		Name: "Second Shop", Currency: "USD", AccessToken: []byte("sealed"), RefreshToken: []byte("sealed"),
		TokenExpiresAt: tuitest.Epoch.Add(time.Hour), Now: tuitest.Epoch}); err != nil {
		t.Fatal(err)
	}
	newer := m.load()()
	m.Update(newer)
	m.Update(older) // the older answer comes back last
	if f := tuitest.Plain(m); !strings.Contains(f, "Second Shop") {
		t.Fatalf("an older answer replaced the newer list:\n%s", f)
	}
}

// Another account joining a store is news to every session of the store;
// the list shows this account's stores and roles, so it reads nothing for
// it, and reads again for this account's own membership change.
func TestAnotherMembersJoinReadsNothing(t *testing.T) {
	env := tuitest.New(t, nil, tuitest.Options{})
	_, comp := open(t, env, env.Owner, 120, 30, 28)
	join := func(accountID int64) common.LiveMsg {
		return common.LiveMsg{Event: hub.Event{Kind: hub.MembersChanged, StoreID: env.StoreID, AccountID: accountID}}
	}
	if _, cmd := comp.Update(join(env.Owner.Account.ID + 1)); cmd != nil {
		t.Error("another account's join made the stores list read again")
	}
	if _, cmd := comp.Update(join(env.Owner.Account.ID)); cmd == nil {
		t.Error("this account's own membership change did not read the list again")
	}
}
