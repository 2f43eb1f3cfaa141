// Package admin is the Admin screen: every account and every store of the
// server, each store's sync health and Etsy budget, with disabling an
// account and syncing any store. The application layer refuses non-admins;
// this screen shows that refusal.
package admin

import (
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
	"github.com/stockroom/stockroom/tui/components/list"
)

type section int

const (
	accounts section = iota
	stores
)

type loadedMsg struct {
	seq  int
	view app.AdminView
	err  error
}

type doneMsg struct {
	text string
	err  error
}

// inviteMsg is an account invite just issued.
type inviteMsg struct {
	code app.IssuedCode
	err  error
}

// Model is the Admin screen.
type Model struct {
	c *common.Common

	view  app.AdminView
	loads common.Loads
	stale bool // events arrived during the load
	err   error

	section section
	lists   [2]list.Model // accounts, stores
	// confirm is the account waiting for a yes to be disabled or enabled.
	confirm *store.Account
	// code is the account invite just issued: shown until the next key,
	// never stored (only its hash is).
	code app.IssuedCode

	status common.Status

	width, height int
	km            keymap
}

type keymap struct {
	left, right, toggle, sync, invite, save, cancel, reload key.Binding
}

// New builds the screen; Init loads it.
func New(c *common.Common) *Model {
	k := c.Keys
	nav := list.KeyMap{Up: k.Up, Down: k.Down, Top: k.Top, Bottom: k.Bottom}
	m := &Model{c: c, lists: [2]list.Model{list.New(nav), list.New(nav)}, km: keymap{
		left: common.Relabel(k.Left, "accounts"), right: common.Relabel(k.Right, "stores"),
		toggle: common.Relabel(k.Toggle, "disable/enable account"), sync: common.Relabel(k.SyncNow, "sync store"),
		invite: common.Relabel(k.Invite, "invite a person"),
		save:   common.Relabel(k.Save, "confirm"), cancel: k.Cancel, reload: k.Refresh,
	}}
	m.SetSize(c.Width, c.Height)
	return m
}

func (m *Model) Init() tea.Cmd { return m.load() }

// View data, for the root and tests.
func (m *Model) Overview() app.AdminView { return m.view }

// Err is the load error (app.ErrNotAdmin for everyone else).
func (m *Model) Err() error { return m.err }

// Status is the outcome of the last action.
func (m *Model) Status() string { return m.status.Text }

// Confirming tells the root that enter and esc answer a question.
func (m *Model) Confirming() bool { return m.confirm != nil }

func (m *Model) SetSize(width, height int) {
	m.width, m.height = width, height
	// The two lists share the height: each has a title and a column header;
	// the selected store's members and the status line take two more.
	for s := range m.lists {
		m.lists[s].SetHeight((height - 7) / 2)
	}
}

func (m *Model) load() tea.Cmd {
	seq, c, actor := m.loads.Start(), m.c, m.c.Actor
	return func() tea.Msg {
		v, err := c.App.AdminOverview(c.Ctx, actor)
		return loadedMsg{seq: seq, view: v, err: err}
	}
}

func (m *Model) Update(msg tea.Msg) (common.Component, tea.Cmd) {
	switch msg := msg.(type) {
	case loadedMsg:
		if !m.loads.Take(msg.seq, msg.err, &m.err, func() {
			m.view = msg.view
			m.lists[accounts].SetLen(len(m.view.Accounts))
			m.lists[stores].SetLen(len(m.view.Stores))
		}) {
			return m, nil
		}
		if m.stale {
			// Events came in while this load ran: one more load covers
			// them all.
			m.stale = false
			return m, m.load()
		}
	case inviteMsg:
		if msg.err != nil {
			m.status.Set(msg.err.Error(), true)
			return m, nil
		}
		m.code = msg.code
		m.status.Set("", false)
		return m, nil
	case doneMsg:
		if msg.err != nil {
			m.status.Set(msg.err.Error(), true)
			return m, nil
		}
		m.status.Set(msg.text, false)
		return m, m.load()
	case common.LiveMsg:
		switch msg.Event.Kind {
		case hub.AccountChanged, hub.SyncStarted, hub.SyncFinished, hub.StoreChanged, hub.StockChanged:
			// A push or a sync moves the budget too. Events during a load
			// are coalesced into one more load, so a busy server costs one
			// reload at a time.
			switch {
			case m.err != nil:
			case m.loads.Loading():
				m.stale = true
			default:
				return m, m.load()
			}
		}
	case tea.KeyPressMsg:
		return m, m.key(msg)
	}
	return m, nil
}

func (m *Model) key(msg tea.KeyPressMsg) tea.Cmd {
	k := m.km
	if m.confirm != nil {
		switch {
		case key.Matches(msg, k.save):
			a := *m.confirm
			m.confirm = nil
			return m.setDisabled(a.ID, !a.Disabled, a.Name)
		case key.Matches(msg, k.cancel):
			m.confirm = nil
		}
		return nil
	}
	if m.err != nil {
		if key.Matches(msg, k.reload) {
			return m.load()
		}
		return nil
	}
	// The code shows until the next key: it is not kept anywhere.
	m.code = app.IssuedCode{}
	s := m.section
	cur := m.lists[s].Cursor()
	switch {
	case m.lists[s].Update(msg):
	case key.Matches(msg, k.left):
		m.section = accounts
	case key.Matches(msg, k.right):
		m.section = stores
	case key.Matches(msg, k.toggle):
		if s == accounts && cur < len(m.view.Accounts) {
			a := m.view.Accounts[cur]
			m.confirm = &a
			m.status.Set("", false)
		}
	case key.Matches(msg, k.sync):
		if s == stores && cur < len(m.view.Stores) {
			st := m.view.Stores[cur].Store
			return m.syncStore(st.ID, st.Name)
		}
	case key.Matches(msg, k.invite):
		c, actor := m.c, m.c.Actor
		return func() tea.Msg {
			code, err := c.App.AdminInvite(c.Ctx, actor)
			return inviteMsg{code: code, err: err}
		}
	case key.Matches(msg, k.reload):
		return m.load()
	}
	return nil
}

// Code is the account invite on screen, "" when none.
func (m *Model) Code() string { return m.code.Plain }

func (m *Model) setDisabled(accountID int64, disabled bool, name string) tea.Cmd {
	c, actor := m.c, m.c.Actor
	verb := "enabled"
	if disabled {
		verb = "disabled"
	}
	text := fmt.Sprintf("Account %s %s.", safetext.Clean(name), verb)
	return func() tea.Msg {
		return doneMsg{text: text, err: c.App.AdminSetDisabled(c.Ctx, actor, accountID, disabled)}
	}
}

func (m *Model) syncStore(storeID int64, name string) tea.Cmd {
	c, actor := m.c, m.c.Actor
	text := fmt.Sprintf("Sync of %s queued.", safetext.Clean(name))
	return func() tea.Msg {
		return doneMsg{text: text, err: c.App.AdminSyncStore(c.Ctx, actor, storeID)}
	}
}

func (m *Model) View() string {
	st := m.c.Styles
	lines := []string{st.Busy(st.Title.Render("Admin"), &m.loads)}
	if m.err != nil {
		return strings.Join(append(lines, st.ErrorLine(m.err, m.width)), "\n")
	}
	lines = append(lines, m.sectionTitle(accounts, fmt.Sprintf("Accounts (%d)", len(m.view.Accounts))))
	lines = append(lines, st.Header.Render(common.Fit(accountRow("ID", "Name", "Email", "Role", "State", "Since"), m.width)))
	for i := range m.lists[accounts].Visible() {
		a := m.view.Accounts[i]
		role, state := "seller", "active"
		if a.IsAdmin {
			role = "admin"
		}
		if a.Disabled {
			state = "disabled"
		}
		line := common.Fit(accountRow(fmt.Sprint(a.ID), safetext.Line(a.Name, 24), safetext.Line(a.Email, 30), role, state,
			a.CreatedAt.Format("2006-01-02")), m.width)
		lines = append(lines, m.rowStyle(accounts, i, a.Disabled).Render(line))
	}
	lines = append(lines, m.sectionTitle(stores, fmt.Sprintf("Stores (%d)", len(m.view.Stores))))
	lines = append(lines, st.Header.Render(common.Fit(storeRow("ID", "Shop", "Status", "Owner", "Last run", "Etsy budget", "Error"), m.width)))
	for i := range m.lists[stores].Visible() {
		s := m.view.Stores[i]
		failed := s.Store.Status != store.StatusConnected || (s.LastRun != nil && s.LastRun.Result == store.ResultFailed)
		line := common.Fit(storeRow(fmt.Sprint(s.Store.ID), safetext.Line(s.Store.Name, 24), string(s.Store.Status), safetext.Line(owner(s), 18),
			m.lastRun(s.LastRun), m.budget(s), safetext.Line(lastError(s), max(1, m.width-108))), m.width)
		lines = append(lines, m.rowStyle(stores, i, failed).Render(line))
	}
	if line := m.membersLine(); line != "" {
		lines = append(lines, st.Muted.Render(common.Fit(line, m.width)))
	}
	if m.confirm != nil {
		verb := "Disable"
		if m.confirm.Disabled {
			verb = "Enable"
		}
		lines = append(lines, st.Warning.Render(common.Fit(fmt.Sprintf("%s account %d (%s)? enter to confirm, esc to cancel.",
			verb, m.confirm.ID, safetext.Line(m.confirm.Name, 24)), m.width)))
	} else if m.code.Plain != "" {
		lines = append(lines, "Invite code (shown only now): "+st.Key.Render(m.code.Plain),
			st.Muted.Render(common.Fit(fmt.Sprintf("Invite %d: the person runs ssh THIS_SERVER join %s --name \"Their name\", or enters it "+
				"on the sign-up screen, once, by %s. admin revoke %d ends it.", m.code.Code.ID, m.code.Plain,
				m.code.Code.ExpiresAt.UTC().Format("2006-01-02 15:04Z"), m.code.Code.ID), m.width)))
	} else if line := m.status.View(st, m.width); line != "" {
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

// membersLine lists the members of the store under the cursor, with the
// stores list in focus.
func (m *Model) membersLine() string {
	cur := m.lists[stores].Cursor()
	if m.section != stores || cur >= len(m.view.Stores) {
		return ""
	}
	s := m.view.Stores[cur]
	parts := make([]string, len(s.Members))
	for i, mb := range s.Members {
		parts[i] = fmt.Sprintf("%s (%s, account %d)", safetext.Line(mb.Name, 24), mb.Role, mb.AccountID)
	}
	return "Members of " + safetext.Line(s.Store.Name, 24) + ": " + strings.Join(parts, " · ")
}

func (m *Model) sectionTitle(s section, text string) string {
	if s == m.section {
		return m.c.Styles.ActiveTab.Render(text)
	}
	return m.c.Styles.Tab.Render(text)
}

func (m *Model) rowStyle(s section, i int, bad bool) lipgloss.Style {
	st := m.c.Styles
	switch {
	case s == m.section && i == m.lists[s].Cursor():
		return st.Selected
	case bad:
		return st.Failed
	}
	return st.Row
}

func (m *Model) lastRun(r *store.SyncRun) string {
	if r == nil {
		return "never"
	}
	return fmt.Sprintf("%s %s", r.Result, common.Ago(m.c.Now().Sub(r.StartedAt)))
}

func (m *Model) budget(s app.AdminStore) string {
	b := s.Budget
	if !b.BlockedUntil.IsZero() && b.BlockedUntil.After(m.c.Now()) {
		return "blocked " + b.BlockedUntil.Sub(m.c.Now()).Round(time.Second).String()
	}
	if !b.Known {
		return "unknown"
	}
	return fmt.Sprintf("%d/%d left", b.RemainingToday, b.PerDay)
}

// owner names the store's first owner and counts its other members
// ("Ada +2"); `admin members STORE` lists them all.
func owner(s app.AdminStore) string {
	for _, mb := range s.Members {
		if mb.Role == store.RoleOwner {
			if n := len(s.Members) - 1; n > 0 {
				return fmt.Sprintf("%s +%d", safetext.Line(mb.Name, 12), n)
			}
			return mb.Name
		}
	}
	return "—"
}

func lastError(s app.AdminStore) string {
	if s.LastRun != nil && s.LastRun.Error != "" {
		return s.LastRun.Error
	}
	return s.Store.LastError
}

func accountRow(id, name, email, role, state, since string) string {
	pad := common.Pad
	return pad(id, 6) + pad(name, 25) + pad(email, 31) + pad(role, 8) + pad(state, 10) + since
}

func storeRow(id, shop, status, owner, last, budget, errText string) string {
	pad := common.Pad
	return pad(id, 6) + pad(shop, 25) + pad(status, 14) + pad(owner, 19) + pad(last, 18) + pad(budget, 22) + errText
}

func (m *Model) ShortHelp() []key.Binding {
	if m.confirm != nil {
		return []key.Binding{m.km.save, m.km.cancel}
	}
	return []key.Binding{m.km.left, m.km.right, m.km.toggle, m.km.sync, m.km.invite}
}

func (m *Model) FullHelp() [][]key.Binding {
	k := m.km
	return [][]key.Binding{append(m.lists[accounts].Keys().Bindings(), k.left, k.right), {k.toggle, k.sync, k.invite, k.reload}, {k.save, k.cancel}}
}

var _ common.Component = (*Model)(nil)
