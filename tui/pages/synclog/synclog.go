// Package synclog is the Sync log screen: a store's sync runs, newest
// first, what each changed and what it cost in Etsy calls, and "sync now".
package synclog

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/safetext"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/tui/common"
)

// limit is how many runs one load reads: a few days of a busy schedule.
const limit = 200

type loadedMsg struct {
	seq  int
	runs []store.SyncRun
	err  error
}

type syncedMsg struct {
	storeID int64
	err     error
}

// Model is the Sync log screen.
type Model struct {
	c       *common.Common
	storeID int64

	runs           []store.SyncRun
	cursor, offset int
	seq            int
	loading        bool
	err            error

	// status is the outcome of the last "sync now".
	status    string
	statusErr bool

	width, height int
	keys          keys
}

type keys struct {
	up, down, pageUp, pageDown, top, bottom, syncNow, reload key.Binding
}

// New builds the screen; SetStore loads it.
func New(c *common.Common) *Model {
	k := c.Keys
	return &Model{c: c, width: c.Width, height: c.Height, keys: keys{
		up: k.Up, down: k.Down, pageUp: k.PageUp, pageDown: k.PageDown, top: k.Top, bottom: k.Bottom,
		syncNow: k.SyncNow, reload: k.Refresh,
	}}
}

func (m *Model) Init() tea.Cmd { return nil }

// SetStore shows the runs of storeID.
func (m *Model) SetStore(storeID int64) tea.Cmd {
	if storeID != m.storeID {
		m.storeID = storeID
		m.runs = nil
		m.cursor, m.offset = 0, 0
		m.status = ""
	}
	return m.load()
}

// Runs are the runs shown, newest first.
func (m *Model) Runs() []store.SyncRun { return m.runs }

// Status is the line left by the last "sync now".
func (m *Model) Status() string { return m.status }

func (m *Model) SetSize(width, height int) { m.width, m.height = width, height; m.scroll() }

func (m *Model) load() tea.Cmd {
	if m.storeID == 0 {
		return nil
	}
	m.seq++
	m.loading = true
	seq, c, actor, storeID := m.seq, m.c, m.c.Actor, m.storeID
	return func() tea.Msg {
		runs, err := c.App.SyncLog(c.Ctx, actor, storeID, limit)
		return loadedMsg{seq: seq, runs: runs, err: err}
	}
}

func (m *Model) syncNow() tea.Cmd {
	if m.storeID == 0 {
		return nil
	}
	c, actor, storeID := m.c, m.c.Actor, m.storeID
	m.status, m.statusErr = "Asking for a sync…", false
	return func() tea.Msg {
		return syncedMsg{storeID: storeID, err: c.App.SyncNow(c.Ctx, actor, storeID)}
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
			m.runs = msg.runs
			m.cursor = min(m.cursor, max(0, len(m.runs)-1))
			m.scroll()
		}
	case syncedMsg:
		if msg.storeID != m.storeID {
			return m, nil
		}
		if msg.err != nil {
			m.status, m.statusErr = "Sync not started: "+msg.err.Error(), true
			return m, nil
		}
		m.status, m.statusErr = "Sync queued: it appears here when it starts.", false
		return m, func() tea.Msg { return common.StatusMsg{Text: "Sync queued"} }
	case common.LiveMsg:
		e := msg.Event
		if e.StoreID != m.storeID {
			return m, nil
		}
		switch e.Kind {
		case hub.SyncStarted:
			m.status, m.statusErr = "Syncing with Etsy…", false
			return m, m.load()
		case hub.SyncFinished:
			if e.Error != "" {
				m.status, m.statusErr = "Sync failed: "+e.Error, true
			} else {
				m.status, m.statusErr = "Sync finished.", false
			}
			return m, m.load()
		}
	case tea.KeyPressMsg:
		return m, m.key(msg)
	}
	return m, nil
}

func (m *Model) key(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	switch {
	case key.Matches(msg, k.up):
		m.move(-1)
	case key.Matches(msg, k.down):
		m.move(1)
	case key.Matches(msg, k.pageUp):
		m.move(-m.rows())
	case key.Matches(msg, k.pageDown):
		m.move(m.rows())
	case key.Matches(msg, k.top):
		m.move(-len(m.runs))
	case key.Matches(msg, k.bottom):
		m.move(len(m.runs))
	case key.Matches(msg, k.syncNow):
		return m.syncNow()
	case key.Matches(msg, k.reload):
		return m.load()
	}
	return nil
}

func (m *Model) move(d int) {
	m.cursor = max(0, min(m.cursor+d, len(m.runs)-1))
	m.scroll()
}

// rows is the list's height: the title, the column header, the selected
// run's error and the status line take the rest.
func (m *Model) rows() int { return max(1, m.height-4) }

func (m *Model) scroll() {
	if m.cursor < m.offset {
		m.offset = m.cursor
	}
	if m.cursor >= m.offset+m.rows() {
		m.offset = m.cursor - m.rows() + 1
	}
	m.offset = max(0, min(m.offset, len(m.runs)-1))
}

func (m *Model) View() string {
	s := m.c.Styles
	title := s.Title.Render("Sync log") + s.Muted.Render(fmt.Sprintf(" · %d runs", len(m.runs)))
	if m.loading {
		title += s.Muted.Render(" · loading…")
	}
	lines := []string{fit(title, m.width)}
	switch {
	case m.err != nil:
		lines = append(lines, s.Error.Render(safetext.Line(m.err.Error(), m.width)))
	case m.storeID == 0:
		lines = append(lines, s.Muted.Render("No store selected."))
	case len(m.runs) == 0 && !m.loading:
		lines = append(lines, s.Muted.Render("No sync has run yet. Press "+m.keys.syncNow.Help().Key+" to sync now."))
	default:
		lines = append(lines, s.Header.Render(fit(row("Started", "Kind", "Trigger", "Took", "Result", "Listings", "Receipts", "Calls", "Error"), m.width)))
		end := min(len(m.runs), m.offset+m.rows())
		for i := m.offset; i < end; i++ {
			lines = append(lines, m.runLine(i))
		}
		if r := m.runs[m.cursor]; r.Error != "" {
			lines = append(lines, s.Error.Render(fit("Error: "+safetext.Line(r.Error, max(1, m.width-7)), m.width)))
		}
	}
	if m.status != "" {
		st := s.Success
		if m.statusErr {
			st = s.Error
		}
		// Errors in the status can carry Etsy's words.
		lines = append(lines, st.Render(safetext.Line(m.status, max(1, m.width))))
	}
	return strings.Join(lines, "\n")
}

func (m *Model) runLine(i int) string {
	s := m.c.Styles
	r := m.runs[i]
	took := "—"
	if r.Result == store.ResultRunning {
		took = duration(m.c.Now().Sub(r.StartedAt)) + "…"
	} else if !r.FinishedAt.IsZero() {
		took = duration(r.Duration())
	}
	line := row(r.StartedAt.Format("01-02 15:04:05"), string(r.Kind), string(r.Trigger), took, string(r.Result),
		strconv.Itoa(r.ListingsChanged), strconv.Itoa(r.ReceiptsChanged), strconv.Itoa(r.APICalls),
		safetext.Line(r.Error, max(1, m.width-98)))
	if i == m.cursor {
		return s.Selected.Render(fit(line, m.width))
	}
	switch r.Result {
	case store.ResultFailed:
		return s.Failed.Render(fit(line, m.width))
	case store.ResultRunning:
		return s.Pending.Render(fit(line, m.width))
	}
	return s.Row.Render(fit(line, m.width))
}

func row(started, kind, trigger, took, result, listings, receipts, calls, errText string) string {
	return pad(started, 16) + pad(kind, 13) + pad(trigger, 10) + padLeft(took, 9) + "  " + pad(result, 9) +
		padLeft(listings, 8) + padLeft(receipts, 9) + padLeft(calls, 6) + "  " + errText
}

// duration is short and human: 850ms, 12s, 3m05s, 1h02m.
func duration(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.0fs", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}

func (m *Model) ShortHelp() []key.Binding { return []key.Binding{m.keys.syncNow, m.keys.reload} }

func (m *Model) FullHelp() [][]key.Binding {
	k := m.keys
	return [][]key.Binding{{k.up, k.down, k.pageUp, k.pageDown, k.top, k.bottom}, {k.syncNow, k.reload}}
}

func pad(s string, w int) string {
	s = ansi.Truncate(s, w-1, safetext.Ellipsis)
	return s + strings.Repeat(" ", max(0, w-lipgloss.Width(s)))
}

func padLeft(s string, w int) string {
	return strings.Repeat(" ", max(0, w-lipgloss.Width(s))) + s
}

func fit(s string, w int) string {
	if w <= 0 {
		return s
	}
	return ansi.Truncate(s, w, "")
}

var _ common.Component = (*Model)(nil)
