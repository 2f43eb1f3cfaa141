// Package stores is the Stores screen: the account's shops with their link
// to Etsy, their last sync and the Etsy budget left today; enter makes a
// shop the current store, c connects a new one with an authorization link
// and its QR code, and the screen follows the browser leg by itself.
package stores

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/safetext"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/tui/common"
)

// Model is the Stores screen.
type Model struct {
	c       *common.Common
	stores  []app.StoreView
	cursor  int
	current int64
	loaded  bool
	err     error
	note    string
	connect *connecting
	width   int
	height  int
}

// connecting is an OAuth attempt in progress.
type connecting struct {
	url    string
	qr     string
	cancel context.CancelFunc
	done   bool
	err    error
	shop   string
}

type (
	loadedMsg struct {
		stores []app.StoreView
		err    error
	}
	connectStartedMsg struct {
		url, state string
		err        error
	}
	connectDoneMsg struct {
		state string
		store store.Store
		err   error
	}
	syncAskedMsg struct {
		name string
		err  error
	}
	zeroPolicySetMsg struct {
		store store.Store
		err   error
	}
)

// New returns the screen; Init loads the stores.
func New(c *common.Common) *Model { return &Model{c: c} }

func (m *Model) Init() tea.Cmd { return m.load() }

// Stores is what the screen shows.
func (m *Model) Stores() []app.StoreView { return m.stores }

// Connecting tells whether a connect attempt is on screen.
func (m *Model) Connecting() bool { return m.connect != nil }

// SetStore marks the session's current store.
func (m *Model) SetStore(storeID int64) tea.Cmd {
	m.current = storeID
	return nil
}

func (m *Model) SetSize(width, height int) { m.width, m.height = width, height }

func (m *Model) load() tea.Cmd {
	c := m.c.Copy()
	return func() tea.Msg {
		s, err := c.App.Stores(c.Ctx, c.Actor)
		return loadedMsg{stores: s, err: err}
	}
}

// StartConnect begins connecting a shop, as the c key does.
func (m *Model) StartConnect() tea.Cmd {
	if m.connect != nil && !m.connect.done {
		return nil
	}
	c := m.c.Copy()
	m.connect = &connecting{}
	return func() tea.Msg {
		u, state, err := c.App.StartConnect(c.Ctx, c.Actor)
		return connectStartedMsg{url: u, state: state, err: err}
	}
}

func (m *Model) Update(msg tea.Msg) (common.Component, tea.Cmd) {
	switch msg := msg.(type) {
	case loadedMsg:
		m.loaded, m.err = true, msg.err
		if msg.err == nil {
			m.stores = msg.stores
			m.cursor = max(min(m.cursor, len(m.stores)-1), 0)
		}
	case connectStartedMsg:
		if m.connect == nil {
			return m, nil
		}
		if msg.err != nil {
			m.connect.done, m.connect.err = true, msg.err
			return m, nil
		}
		m.connect.url = msg.url
		m.connect.qr = QR(msg.url)
		ctx, cancel := context.WithCancel(m.c.Ctx)
		m.connect.cancel = cancel
		c := m.c.Copy()
		return m, func() tea.Msg {
			st, err := c.App.WaitConnect(ctx, c.Actor, msg.state)
			return connectDoneMsg{state: msg.state, store: st, err: err}
		}
	case connectDoneMsg:
		if m.connect == nil || m.connect.done {
			return m, nil
		}
		m.connect.done, m.connect.err = true, msg.err
		m.connect.cancel()
		if msg.err != nil {
			return m, nil
		}
		m.connect.shop = msg.store.Name
		id := msg.store.ID
		return m, tea.Batch(m.load(), func() tea.Msg { return common.StoreSelectedMsg{StoreID: id} })
	case syncAskedMsg:
		if msg.err != nil {
			m.note = "sync: " + safetext.Clean(msg.err.Error())
		} else {
			m.note = "sync of " + safetext.Clean(msg.name) + " queued"
		}
	case zeroPolicySetMsg:
		if msg.err != nil {
			m.note = "zero policy: " + safetext.Clean(msg.err.Error())
			return m, nil
		}
		m.note = safetext.Clean(msg.store.Name) + ": " + zeroPolicyText(msg.store.ZeroPolicy)
		return m, m.load()
	case common.LiveMsg:
		switch msg.Event.Kind {
		case hub.StoreChanged, hub.SyncStarted, hub.SyncFinished, hub.AccountChanged:
			return m, m.load()
		}
	case tea.KeyPressMsg:
		return m, m.key(msg)
	}
	return m, nil
}

func (m *Model) key(msg tea.KeyPressMsg) tea.Cmd {
	k := m.c.Keys
	if m.connect != nil {
		if m.connect.done && m.connect.err != nil && key.Matches(msg, k.Connect) {
			// The failure screen offers c to try again.
			return m.StartConnect()
		}
		if key.Matches(msg, k.Back) || (m.connect.done && key.Matches(msg, k.Enter)) {
			if m.connect.cancel != nil {
				m.connect.cancel()
			}
			m.connect = nil
		}
		return nil
	}
	m.note = ""
	switch {
	case key.Matches(msg, k.Up):
		m.cursor = max(m.cursor-1, 0)
	case key.Matches(msg, k.Down):
		m.cursor = max(min(m.cursor+1, len(m.stores)-1), 0)
	case key.Matches(msg, k.Enter):
		if m.cursor < len(m.stores) {
			id := m.stores[m.cursor].ID
			return func() tea.Msg { return common.StoreSelectedMsg{StoreID: id} }
		}
	case key.Matches(msg, k.Connect):
		return m.StartConnect()
	case key.Matches(msg, k.SyncNow):
		if m.cursor < len(m.stores) {
			c, s := m.c.Copy(), m.stores[m.cursor]
			return func() tea.Msg {
				return syncAskedMsg{name: s.Name, err: c.App.SyncNow(c.Ctx, c.Actor, s.ID)}
			}
		}
	case key.Matches(msg, k.ZeroPolicy):
		if s := m.selected(); s != nil {
			return m.toggleZeroPolicy(*s)
		}
	case key.Matches(msg, k.Refresh):
		return m.load()
	}
	return nil
}

// toggleZeroPolicy switches what a push does when every variation of the
// store's listing reaches 0 (the owner's to change; the app says so to
// anyone else).
func (m *Model) toggleZeroPolicy(s app.StoreView) tea.Cmd {
	next := store.ZeroKeepSoldOut
	if s.ZeroPolicy == store.ZeroKeepSoldOut {
		next = store.ZeroDeactivate
	}
	c := m.c.Copy()
	return func() tea.Msg {
		st, err := c.App.SetZeroPolicy(c.Ctx, c.Actor, s.ID, next)
		return zeroPolicySetMsg{store: st, err: err}
	}
}

// zeroPolicyText says in a seller's words what a zero policy does.
func zeroPolicyText(p store.ZeroPolicy) string {
	if p == store.ZeroKeepSoldOut {
		return "at 0 in every variation, listings stay as they are on Etsy (keep-sold-out)"
	}
	return "at 0 in every variation, listings are deactivated and come back with stock (deactivate)"
}

func (m *Model) View() string {
	st := m.c.Styles
	if m.connect != nil {
		return m.connectView()
	}
	var b strings.Builder
	b.WriteString(st.Title.Render("Your Etsy shops"))
	b.WriteString("\n\n")
	switch {
	case m.err != nil:
		b.WriteString(st.Error.Render("Cannot list your shops: " + safetext.Clean(m.err.Error())))
		return b.String()
	case !m.loaded:
		b.WriteString(st.Muted.Render("Loading…"))
		return b.String()
	case len(m.stores) == 0:
		b.WriteString("No shop connected yet. Press ")
		b.WriteString(st.Key.Render("c"))
		b.WriteString(" to connect your Etsy shop.")
		return b.String()
	}
	nameW := max(min(m.width-62, 40), 12)
	b.WriteString(st.Header.Render(fmt.Sprintf("  %-*s %-8s %-15s %-16s %s", nameW, "Shop", "Role", "Status", "Last sync", "Etsy calls left today")))
	now := m.c.Now()
	for i, s := range m.stores {
		b.WriteByte('\n')
		mark := "  "
		if s.ID == m.current {
			mark = "● "
		}
		name := safetext.Line(s.Name, nameW)
		name += strings.Repeat(" ", max(nameW-lipgloss.Width(name), 0))
		status, statusStyle := statusText(s, st)
		line := fmt.Sprintf("%s%s %-8s ", mark, name, s.Role)
		rest := fmt.Sprintf(" %-16s %s", lastSync(s, now), budgetText(s))
		if i == m.cursor {
			b.WriteString(st.Selected.Render(line + fmt.Sprintf("%-15s", status) + rest))
			continue
		}
		b.WriteString(line + statusStyle.Render(fmt.Sprintf("%-15s", status)) + rest)
	}
	if s := m.selected(); s != nil {
		b.WriteString("\n\n" + st.Muted.Render(safetext.Line(zeroPolicyText(s.ZeroPolicy), m.width)))
		if s.LastError != "" {
			b.WriteString("\n" + st.Error.Render(safetext.Line("Last error: "+s.LastError, m.width)))
		}
	}
	if m.note != "" {
		b.WriteString("\n\n" + st.Success.Render(m.note))
	}
	return b.String()
}

func (m *Model) selected() *app.StoreView {
	if m.cursor < len(m.stores) {
		return &m.stores[m.cursor]
	}
	return nil
}

func statusText(s app.StoreView, st *common.Styles) (string, lipgloss.Style) {
	switch {
	case s.LastRun != nil && s.LastRun.Result == store.ResultRunning:
		return "syncing", st.Pending
	case s.Status == store.StatusConnected:
		return "connected", st.Success
	case s.Status == store.StatusNeedsReauth:
		return "needs re-auth", st.Warning
	}
	return string(s.Status), st.Error
}

func lastSync(s app.StoreView, now time.Time) string {
	if s.LastSyncAt.IsZero() {
		return "never"
	}
	return Age(now.Sub(s.LastSyncAt)) + " ago"
}

func budgetText(s app.StoreView) string {
	switch {
	case !s.Budget.BlockedUntil.IsZero() && s.Budget.BlockedUntil.After(time.Now()):
		return "paused by Etsy until " + s.Budget.BlockedUntil.Local().Format("15:04")
	case !s.Budget.Known:
		return "not known yet"
	case s.Budget.PerDay > 0:
		return fmt.Sprintf("%d of %d", s.Budget.RemainingToday, s.Budget.PerDay)
	}
	return fmt.Sprint(s.Budget.RemainingToday)
}

// Age is a short duration for people: 45s, 12m, 3h, 2d.
func Age(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", max(int(d.Seconds()), 0))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

func (m *Model) connectView() string {
	st, cn := m.c.Styles, m.connect
	var b strings.Builder
	b.WriteString(st.Title.Render("Connect an Etsy shop"))
	b.WriteString("\n\n")
	switch {
	case cn.done && cn.err != nil:
		b.WriteString(st.Error.Render("The shop was not connected: " + safetext.Clean(cn.err.Error())))
		b.WriteString("\n\n" + st.Help.Render("esc to go back, c to try again"))
		return b.String()
	case cn.done:
		b.WriteString(st.Success.Render("Connected " + safetext.Clean(cn.shop) + ". Its listings are syncing now."))
		b.WriteString("\n\n" + st.Help.Render("enter to continue"))
		return b.String()
	case cn.url == "":
		b.WriteString(st.Muted.Render("Preparing the authorization link…"))
		return b.String()
	}
	b.WriteString("Open this link in a browser, sign in to Etsy and allow access:\n\n")
	// The URL is our own (the server builds it); it is printed as plain
	// text, broken into lines of the screen's width rather than cut, so any
	// terminal can select and copy all of it (browsers drop the breaks).
	for i, line := range wrapURL(cn.url, m.width) {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(st.Link.Render(line))
	}
	b.WriteString("\n\n")
	if lipgloss.Height(cn.qr)+lipgloss.Height(b.String())+2 <= m.height && lipgloss.Width(cn.qr) <= m.width {
		b.WriteString("Or scan it with your phone:\n\n")
		b.WriteString(cn.qr)
		b.WriteString("\n")
	} else {
		b.WriteString(st.Muted.Render("(enlarge the terminal to see a QR code of the link)"))
		b.WriteString("\n")
	}
	b.WriteString(st.Muted.Render("Waiting for Etsy… this screen updates by itself."))
	b.WriteString("\n" + st.Help.Render("esc to cancel"))
	return b.String()
}

func (m *Model) ShortHelp() []key.Binding {
	k := m.c.Keys
	if m.connect != nil {
		if m.connect.done && m.connect.err != nil {
			return []key.Binding{k.Back, key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "try again"))}
		}
		return []key.Binding{k.Back}
	}
	var out []key.Binding
	for _, g := range m.FullHelp() {
		out = append(out, g...)
	}
	return out
}

// FullHelp offers only the keys that do something: without a shop there
// is nothing to move to, use or sync, and with one there is nowhere to
// move.
func (m *Model) FullHelp() [][]key.Binding {
	k := m.c.Keys
	if len(m.stores) == 0 {
		return [][]key.Binding{{k.Connect, k.Refresh}}
	}
	use := []key.Binding{key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "use this shop"))}
	if len(m.stores) > 1 {
		use = append([]key.Binding{k.Up, k.Down}, use...)
	}
	actions := []key.Binding{k.Connect, k.SyncNow, k.Refresh}
	if s := m.selected(); s != nil && s.Role == store.RoleOwner {
		actions = append(actions, k.ZeroPolicy)
	}
	return [][]key.Binding{use, actions}
}

// wrapURL breaks a URL (ASCII) into lines of at most width characters.
func wrapURL(u string, width int) []string {
	if width < 20 {
		width = 20
	}
	var out []string
	for len(u) > width {
		out = append(out, u[:width])
		u = u[width:]
	}
	return append(out, u)
}
