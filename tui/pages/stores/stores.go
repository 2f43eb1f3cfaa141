// Package stores is the Stores screen: the account's shops with their link
// to Etsy, their last sync and the Etsy budget left today; enter makes a
// shop the current store, c connects a new one with an authorization link
// and its QR code, and the screen follows the browser leg by itself; m
// opens the shop's Members panel, D disconnects it (owners, after a
// confirmation).
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
	loads   common.Loads // a reload makes an answer still out stale
	err     error
	note    string
	connect *connecting
	members *membersPanel
	// disconnecting asks to confirm disconnecting the selected shop.
	disconnecting bool
	width         int
	height        int
}

// connecting is an OAuth attempt in progress.
type connecting struct {
	url    string
	qr     string
	cancel context.CancelFunc
	done   bool
	err    error
	shop   string
	// storeID is the shop connected; its first sync's end changes the
	// message, which would otherwise say "syncing" for ever.
	storeID int64
	synced  bool
	syncErr string
}

type (
	loadedMsg struct {
		seq    int
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
	disconnectedMsg struct {
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

// Capturing tells the root that keys answer a question here (a
// confirmation, a role to choose), so q and digits do not leave.
func (m *Model) Capturing() bool {
	return m.disconnecting || (m.members != nil && m.members.capturing())
}

// Loading tells whether the list of stores is still being read: a session
// that opens on this screen holds its first frame until it is, so that what
// the seller first sees (and presses keys on) is the list, not "Loading…".
func (m *Model) Loading() bool { return m.loads.Loading() }

// MembersOpen tells whether the Members panel is on screen.
func (m *Model) MembersOpen() bool { return m.members != nil }

// SetStore marks the session's current store.
func (m *Model) SetStore(storeID int64) tea.Cmd {
	m.current = storeID
	return nil
}

func (m *Model) SetSize(width, height int) { m.width, m.height = width, height }

func (m *Model) load() tea.Cmd {
	c, seq := m.c.Copy(), m.loads.Start()
	return func() tea.Msg {
		s, err := c.App.Stores(c.Ctx, c.Actor)
		return loadedMsg{seq: seq, stores: s, err: err}
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
		// An older load's answer is dropped.
		if m.loads.Take(msg.seq, msg.err, &m.err, func() {
			m.stores = msg.stores
			m.cursor = max(min(m.cursor, len(m.stores)-1), 0)
		}) {
			m.loaded = true
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
		m.connect.shop, m.connect.storeID = msg.store.Name, msg.store.ID
		id := msg.store.ID
		return m, tea.Batch(m.load(), func() tea.Msg { return common.StoreSelectedMsg{StoreID: id} })
	case membersLoadedMsg, memberDoneMsg:
		if m.members == nil {
			return m, nil
		}
		cmd := m.members.update(msg)
		if m.members.left {
			m.note = m.members.note
			m.members = nil
			return m, m.load()
		}
		return m, cmd
	case disconnectedMsg:
		if msg.err != nil {
			m.note = "disconnect: " + errText(msg.err)
		} else {
			m.note = "disconnected " + safetext.Clean(msg.name) + ": its history stays; c connects it again"
		}
		return m, m.load()
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
		ev := msg.Event
		if cn := m.connect; cn != nil && ev.Kind == hub.SyncFinished && cn.storeID != 0 && ev.StoreID == cn.storeID {
			cn.synced, cn.syncErr = true, ev.Error
		}
		var cmd tea.Cmd
		if m.members != nil {
			cmd = m.members.update(msg)
		}
		switch msg.Event.Kind {
		case hub.MembersChanged:
			// The list shows this account's stores and roles: another
			// account's join or removal changes none of it.
			if msg.Event.AccountID == m.c.Actor.Account.ID {
				return m, tea.Batch(cmd, m.load())
			}
		case hub.StoreChanged, hub.SyncStarted, hub.SyncFinished, hub.AccountChanged:
			return m, tea.Batch(cmd, m.load())
		}
		return m, cmd
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
	if m.members != nil {
		if !m.members.capturing() && key.Matches(msg, k.Back) {
			m.members = nil
			return nil
		}
		return m.members.key(msg)
	}
	if m.disconnecting {
		m.disconnecting = false
		if s := m.selected(); s != nil && key.Matches(msg, k.Yes) {
			c, id, name := m.c.Copy(), s.ID, s.Name
			return func() tea.Msg {
				return disconnectedMsg{name: name, err: c.App.Disconnect(c.Ctx, c.Actor, id)}
			}
		}
		return nil
	}
	m.note = ""
	switch {
	case key.Matches(msg, k.Members):
		if s := m.selected(); s != nil {
			m.members = newMembersPanel(m.c, *s)
			return m.members.load()
		}
	case key.Matches(msg, k.Disconnect):
		if s := m.selected(); s != nil && s.Role == store.RoleOwner && s.Status != store.StatusDisconnected {
			m.disconnecting = true
		}
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
	if m.members != nil {
		return m.members.view(m.width)
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
			b.WriteString("\n" + st.Error.Render(safetext.Line("Last error: "+app.SellerError(s.LastError, s.Name), m.width)))
		}
	}
	if m.disconnecting {
		if s := m.selected(); s != nil {
			b.WriteString("\n\n" + st.Warning.Render("Disconnect "+safetext.Clean(s.Name)+" from Etsy? Stockroom's tokens are deleted and syncs and pushes stop; "+
				"its history stays readable and c connects it again. y yes · n no"))
		}
	} else if m.note != "" {
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
	return common.Age(now.Sub(s.LastSyncAt)) + " ago"
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
	case cn.done && cn.synced && cn.syncErr != "":
		b.WriteString(st.Success.Render("Connected "+safetext.Clean(cn.shop)+".") + " " +
			st.Error.Render("Its first sync failed: "+safetext.Line(app.SellerError(cn.syncErr, cn.shop), max(m.width-40, 20))+" (the Sync screen has more; it is retried)"))
		b.WriteString("\n\n" + st.Help.Render("enter to continue"))
		return b.String()
	case cn.done && cn.synced:
		b.WriteString(st.Success.Render("Connected " + safetext.Clean(cn.shop) + ". Its listings are synced."))
		b.WriteString("\n\n" + st.Help.Render("enter to continue"))
		return b.String()
	case cn.done:
		b.WriteString(st.Success.Render("Connected " + safetext.Clean(cn.shop) + ". Its listings are syncing now."))
		b.WriteString("\n\n" + st.Help.Render("enter to continue"))
		return b.String()
	case cn.url == "":
		b.WriteString(st.Muted.Render("Preparing the authorization link…"))
		return b.String()
	}
	return m.linkView(st.Title.Render("Connect an Etsy shop"), cn.url, cn.qr)
}

// Sizes of the connect screen's parts around the QR code.
const (
	qrGap      = 2  // columns between the text and the code
	qrMinText  = 30 // the narrowest the text beside the code may be
	chromeRows = 3  // the tab bar and footer around a page
)

// linkView shows the link and, where it fits, its QR code: beside the text
// when the screen is wide enough (so 80×24 holds it), else below it, else a
// line saying what size the code needs. The link is printed whole on one
// line when the screen is wide enough, else broken at the screen's width,
// and every piece is an OSC 8 hyperlink to the whole link, so a terminal
// that supports them opens the right page from any piece.
func (m *Model) linkView(title, u, code string) string {
	st := m.c.Styles
	link := st.Link.Hyperlink(u)
	var links []string
	for _, line := range wrapURL(u, m.width) {
		links = append(links, link.Render(line))
	}
	linkBlock := strings.Join(links, "\n")
	waiting := st.Muted.Render("Waiting for Etsy… this screen updates by itself.") + "\n" + st.Help.Render("esc to cancel")
	qrW, qrH := lipgloss.Width(code), lipgloss.Height(code)

	// Beside: the text on the left, the code on the right, the link below.
	if textW := m.width - qrW - qrGap; code != "" && textW >= qrMinText {
		text := lipgloss.NewStyle().Width(textW).Render(title + "\n\n" +
			"Open the link below in a browser, sign in to Etsy and allow access.\n\n" +
			"Or scan this code with your phone.\n\n" + waiting)
		top := lipgloss.JoinHorizontal(lipgloss.Top, text, strings.Repeat(" ", qrGap), code)
		if lipgloss.Height(top)+len(links) <= m.height {
			return top + "\n" + linkBlock
		}
	}
	var b strings.Builder
	b.WriteString(title + "\n\n")
	b.WriteString("Open this link in a browser, sign in to Etsy and allow access:\n\n")
	b.WriteString(linkBlock)
	b.WriteString("\n\n")
	if code != "" && qrW <= m.width && lipgloss.Height(b.String())+qrH+4 <= m.height {
		b.WriteString("Or scan it with your phone:\n\n" + code + "\n")
	} else if code != "" {
		// The smallest screen that holds it beside the text.
		b.WriteString(st.Muted.Render(fmt.Sprintf("(a QR code of the link needs a terminal of at least %d×%d)",
			max(qrW+qrGap+qrMinText, 80), max(qrH, 9)+len(wrapURL(u, 80))+chromeRows)))
		b.WriteString("\n")
	}
	b.WriteString(waiting)
	return b.String()
}

func (m *Model) ShortHelp() []key.Binding {
	k := m.c.Keys
	if m.members != nil {
		return m.members.help()
	}
	if m.disconnecting {
		return []key.Binding{k.Yes, k.No}
	}
	if m.connect != nil {
		if m.connect.done && m.connect.err != nil {
			return []key.Binding{k.Back, common.Relabel(k.Connect, "try again")}
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
	if m.members != nil || m.disconnecting {
		return [][]key.Binding{m.ShortHelp()}
	}
	use := []key.Binding{common.Relabel(k.Enter, "use this shop")}
	if len(m.stores) > 1 {
		use = append([]key.Binding{k.Up, k.Down}, use...)
	}
	shop := []key.Binding{k.Connect}
	s := m.selected()
	if s != nil && s.Role.CanEdit() {
		shop = append(shop, k.SyncNow)
	}
	shop = append(shop, k.Members)
	if s != nil && s.Role == store.RoleOwner && s.Status != store.StatusDisconnected {
		shop = append(shop, k.Disconnect)
	}
	if s != nil && s.Role == store.RoleOwner {
		shop = append(shop, k.ZeroPolicy)
	}
	return [][]key.Binding{use, append(shop, k.Refresh)}
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
