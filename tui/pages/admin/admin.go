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
	"github.com/charmbracelet/x/ansi"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/safetext"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/tui/common"
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

// Model is the Admin screen.
type Model struct {
	c *common.Common

	view    app.AdminView
	seq     int
	loading bool
	err     error

	section section
	cursor  [2]int
	offset  [2]int
	// confirm is the account waiting for a yes to be disabled or enabled.
	confirm *store.Account

	status    string
	statusErr bool

	width, height int
	km            keymap
}

type keymap struct {
	up, down, top, bottom, left, right, toggle, sync, save, cancel, reload key.Binding
}

func relabel(b key.Binding, desc string) key.Binding {
	return key.NewBinding(key.WithKeys(b.Keys()...), key.WithHelp(b.Help().Key, desc))
}

// New builds the screen; Init loads it.
func New(c *common.Common) *Model {
	k := c.Keys
	return &Model{c: c, width: c.Width, height: c.Height, km: keymap{
		up: k.Up, down: k.Down, top: k.Top, bottom: k.Bottom,
		left: relabel(k.Left, "accounts"), right: relabel(k.Right, "stores"),
		toggle: relabel(k.Toggle, "disable/enable account"), sync: relabel(k.SyncNow, "sync store"),
		save: relabel(k.Save, "confirm"), cancel: k.Cancel, reload: k.Refresh,
	}}
}

func (m *Model) Init() tea.Cmd { return m.load() }

// View data, for the root and tests.
func (m *Model) Overview() app.AdminView { return m.view }

// Err is the load error (app.ErrNotAdmin for everyone else).
func (m *Model) Err() error { return m.err }

// Status is the outcome of the last action.
func (m *Model) Status() string { return m.status }

// Confirming tells the root that enter and esc answer a question.
func (m *Model) Confirming() bool { return m.confirm != nil }

func (m *Model) SetSize(width, height int) {
	m.width, m.height = width, height
	m.scroll(accounts)
	m.scroll(stores)
}

func (m *Model) load() tea.Cmd {
	m.seq++
	m.loading = true
	seq, c, actor := m.seq, m.c, m.c.Actor
	return func() tea.Msg {
		v, err := c.App.AdminOverview(c.Ctx, actor)
		return loadedMsg{seq: seq, view: v, err: err}
	}
}

func (m *Model) Update(msg tea.Msg) (common.Component, tea.Cmd) {
	switch msg := msg.(type) {
	case loadedMsg:
		if msg.seq != m.seq {
			return m, nil
		}
		m.loading = false
		m.err = msg.err
		if msg.err == nil {
			m.view = msg.view
			for _, s := range []section{accounts, stores} {
				m.cursor[s] = max(0, min(m.cursor[s], m.count(s)-1))
				m.scroll(s)
			}
		}
	case doneMsg:
		if msg.err != nil {
			m.status, m.statusErr = msg.err.Error(), true
			return m, nil
		}
		m.status, m.statusErr = msg.text, false
		return m, m.load()
	case common.LiveMsg:
		switch msg.Event.Kind {
		case hub.AccountChanged, hub.SyncStarted, hub.SyncFinished, hub.StoreChanged:
			if m.err == nil {
				return m, m.load()
			}
		}
	case tea.KeyPressMsg:
		return m, m.key(msg)
	}
	return m, nil
}

func (m *Model) count(s section) int {
	if s == accounts {
		return len(m.view.Accounts)
	}
	return len(m.view.Stores)
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
	s := m.section
	switch {
	case key.Matches(msg, k.up):
		m.move(-1)
	case key.Matches(msg, k.down):
		m.move(1)
	case key.Matches(msg, k.top):
		m.move(-m.count(s))
	case key.Matches(msg, k.bottom):
		m.move(m.count(s))
	case key.Matches(msg, k.left):
		m.section = accounts
	case key.Matches(msg, k.right):
		m.section = stores
	case key.Matches(msg, k.toggle):
		if s == accounts && m.cursor[s] < len(m.view.Accounts) {
			a := m.view.Accounts[m.cursor[s]]
			m.confirm = &a
			m.status = ""
		}
	case key.Matches(msg, k.sync):
		if s == stores && m.cursor[s] < len(m.view.Stores) {
			st := m.view.Stores[m.cursor[s]].Store
			return m.syncStore(st.ID, st.Name)
		}
	case key.Matches(msg, k.reload):
		return m.load()
	}
	return nil
}

func (m *Model) setDisabled(accountID int64, disabled bool, name string) tea.Cmd {
	c, actor := m.c, m.c.Actor
	verb := "enabled"
	if disabled {
		verb = "disabled"
	}
	text := fmt.Sprintf("Account %s %s.", safetext.Clean(name), verb)
	return func() tea.Msg {
		err := c.App.AdminSetDisabled(c.Ctx, actor, accountID, disabled)
		if err != nil && accountID == actor.Account.ID {
			err = fmt.Errorf("you cannot disable your own account: %w", err)
		}
		return doneMsg{text: text, err: err}
	}
}

func (m *Model) syncStore(storeID int64, name string) tea.Cmd {
	c, actor := m.c, m.c.Actor
	text := fmt.Sprintf("Sync of %s queued.", safetext.Clean(name))
	return func() tea.Msg {
		return doneMsg{text: text, err: c.App.AdminSyncStore(c.Ctx, actor, storeID)}
	}
}

func (m *Model) move(d int) {
	s := m.section
	m.cursor[s] = max(0, min(m.cursor[s]+d, m.count(s)-1))
	m.scroll(s)
}

// rows splits the height between the two lists: each has a title and a
// column header; the status line takes one more.
func (m *Model) rows() int { return max(1, (m.height-6)/2) }

func (m *Model) scroll(s section) {
	if m.cursor[s] < m.offset[s] {
		m.offset[s] = m.cursor[s]
	}
	if m.cursor[s] >= m.offset[s]+m.rows() {
		m.offset[s] = m.cursor[s] - m.rows() + 1
	}
}

func (m *Model) View() string {
	st := m.c.Styles
	title := st.Title.Render("Admin")
	if m.loading {
		title += st.Muted.Render(" · loading…")
	}
	lines := []string{title}
	if m.err != nil {
		return strings.Join(append(lines, st.Error.Render(safetext.Line(m.err.Error(), max(1, m.width)))), "\n")
	}
	lines = append(lines, m.sectionTitle(accounts, fmt.Sprintf("Accounts (%d)", len(m.view.Accounts))))
	lines = append(lines, st.Header.Render(fit(accountRow("ID", "Name", "Email", "Role", "State", "Since"), m.width)))
	end := min(len(m.view.Accounts), m.offset[accounts]+m.rows())
	for i := m.offset[accounts]; i < end; i++ {
		a := m.view.Accounts[i]
		role, state := "seller", "active"
		if a.IsAdmin {
			role = "admin"
		}
		if a.Disabled {
			state = "disabled"
		}
		line := fit(accountRow(fmt.Sprint(a.ID), safetext.Line(a.Name, 24), safetext.Line(a.Email, 30), role, state,
			a.CreatedAt.Format("2006-01-02")), m.width)
		lines = append(lines, m.rowStyle(accounts, i, a.Disabled).Render(line))
	}
	lines = append(lines, m.sectionTitle(stores, fmt.Sprintf("Stores (%d)", len(m.view.Stores))))
	lines = append(lines, st.Header.Render(fit(storeRow("ID", "Shop", "Status", "Owner", "Last run", "Etsy budget", "Error"), m.width)))
	end = min(len(m.view.Stores), m.offset[stores]+m.rows())
	for i := m.offset[stores]; i < end; i++ {
		s := m.view.Stores[i]
		failed := s.Store.Status != store.StatusConnected || (s.LastRun != nil && s.LastRun.Result == store.ResultFailed)
		line := fit(storeRow(fmt.Sprint(s.Store.ID), safetext.Line(s.Store.Name, 24), string(s.Store.Status), safetext.Line(owner(s), 18),
			m.lastRun(s.LastRun), m.budget(s), safetext.Line(lastError(s), max(1, m.width-108))), m.width)
		lines = append(lines, m.rowStyle(stores, i, failed).Render(line))
	}
	if m.confirm != nil {
		verb := "Disable"
		if m.confirm.Disabled {
			verb = "Enable"
		}
		lines = append(lines, st.Warning.Render(fit(fmt.Sprintf("%s account %d (%s)? enter to confirm, esc to cancel.",
			verb, m.confirm.ID, safetext.Line(m.confirm.Name, 24)), m.width)))
	} else if m.status != "" {
		style := st.Success
		if m.statusErr {
			style = st.Error
		}
		lines = append(lines, style.Render(safetext.Line(m.status, max(1, m.width))))
	}
	return strings.Join(lines, "\n")
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
	case s == m.section && i == m.cursor[s]:
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
	return fmt.Sprintf("%s %s", r.Result, ago(m.c.Now().Sub(r.StartedAt)))
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

func owner(s app.AdminStore) string {
	for _, mb := range s.Members {
		if mb.Role == store.RoleOwner {
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
	return pad(id, 6) + pad(name, 25) + pad(email, 31) + pad(role, 8) + pad(state, 10) + since
}

func storeRow(id, shop, status, owner, last, budget, errText string) string {
	return pad(id, 6) + pad(shop, 25) + pad(status, 14) + pad(owner, 19) + pad(last, 18) + pad(budget, 22) + errText
}

func (m *Model) ShortHelp() []key.Binding {
	if m.confirm != nil {
		return []key.Binding{m.km.save, m.km.cancel}
	}
	return []key.Binding{m.km.left, m.km.right, m.km.toggle, m.km.sync}
}

func (m *Model) FullHelp() [][]key.Binding {
	k := m.km
	return [][]key.Binding{{k.up, k.down, k.top, k.bottom, k.left, k.right}, {k.toggle, k.sync, k.reload}, {k.save, k.cancel}}
}

func ago(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	}
	return fmt.Sprintf("%dd ago", int(d.Hours()/24))
}

func pad(s string, w int) string {
	s = ansi.Truncate(s, w-1, safetext.Ellipsis)
	return s + strings.Repeat(" ", max(0, w-ansi.StringWidth(s)))
}

func fit(s string, w int) string {
	if w <= 0 {
		return s
	}
	return ansi.Truncate(s, w, "")
}

var _ common.Component = (*Model)(nil)
