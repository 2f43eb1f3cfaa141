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

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/safetext"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/tui/common"
	"github.com/stockroom/stockroom/tui/internal/page"
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
	page.Store

	runs []store.SyncRun

	// status is the outcome of the last "sync now".
	status common.Status

	syncKey, reload key.Binding
}

// New builds the screen; SetStore loads it.
func New(c *common.Common) *Model {
	k := c.Keys
	// The title, the column header, the selected run's error and the
	// status line stand around the list.
	return &Model{Store: page.NewStore(c, 4), syncKey: k.SyncNow, reload: k.Refresh}
}

// SetStore shows the runs of storeID.
func (m *Model) SetStore(storeID int64) tea.Cmd {
	if m.Switch(storeID) {
		m.runs = nil
		m.status.Set("", false)
	}
	return m.load()
}

// Runs are the runs shown, newest first.
func (m *Model) Runs() []store.SyncRun { return m.runs }

// Status is the line left by the last "sync now".
func (m *Model) Status() string { return m.status.Text }

func (m *Model) load() tea.Cmd {
	return m.Read(func(c *common.Common, storeID int64, seq int) tea.Msg {
		runs, err := c.App.SyncLog(c.Ctx, c.Actor, storeID, limit)
		return loadedMsg{seq: seq, runs: runs, err: err}
	})
}

func (m *Model) syncNow() tea.Cmd {
	if m.StoreID == 0 {
		return nil
	}
	c, actor, storeID := m.C, m.C.Actor, m.StoreID
	m.status.Set("Asking for a sync…", false)
	return func() tea.Msg {
		return syncedMsg{storeID: storeID, err: c.App.SyncNow(c.Ctx, actor, storeID)}
	}
}

func (m *Model) Update(msg tea.Msg) (common.Component, tea.Cmd) {
	switch msg := msg.(type) {
	case loadedMsg:
		m.Take(msg.seq, msg.err, func() {
			m.runs = msg.runs
			m.List.SetLen(len(m.runs))
		})
	case syncedMsg:
		if msg.storeID != m.StoreID {
			return m, nil
		}
		if msg.err != nil {
			m.status.Set("Sync not started: "+msg.err.Error(), true)
			return m, nil
		}
		m.status.Set("Sync queued: it appears here when it starts.", false)
		return m, func() tea.Msg { return common.StatusMsg{Text: "Sync queued"} }
	case common.LiveMsg:
		e := msg.Event
		if !m.Reloads(e, hub.SyncStarted, hub.SyncFinished) {
			return m, nil
		}
		switch e.Kind {
		case hub.SyncStarted:
			m.status.Set("Syncing with Etsy…", false)
		case hub.SyncFinished:
			if e.Error != "" {
				m.status.Set("Sync failed: "+app.SellerError(e.Error, ""), true)
			} else {
				m.status.Set("Sync finished.", false)
			}
		}
		return m, m.load()
	case tea.KeyPressMsg:
		return m, m.key(msg)
	}
	return m, nil
}

func (m *Model) key(msg tea.KeyPressMsg) tea.Cmd {
	switch {
	case m.List.Update(msg):
	case key.Matches(msg, m.syncKey):
		return m.syncNow()
	case key.Matches(msg, m.reload):
		return m.load()
	}
	return nil
}

func (m *Model) View() string {
	s := m.C.Styles
	title := s.Title.Render("Sync log") + s.Muted.Render(fmt.Sprintf(" · %d runs", len(m.runs)))
	lines, ok := m.Head(title)
	switch {
	case !ok:
	case len(m.runs) == 0:
		// While the first load runs the title says loading; there is no
		// run to draw (nor a selected one to read the error of).
		if !m.Loads.Loading() {
			lines = append(lines, s.Muted.Render("No sync has run yet. Press "+m.syncKey.Help().Key+" to sync now."))
		}
	default:
		lines = append(lines, s.Header.Render(common.Fit(row("Started", "Kind", "Trigger", "Took", "Result", "Listings", "Receipts", "Calls", "Error"), m.Width)))
		for i := range m.List.Visible() {
			lines = append(lines, m.runLine(i))
		}
		if r := m.runs[m.List.Cursor()]; r.Error != "" {
			lines = append(lines, s.Error.Render(common.Fit("Error: "+safetext.Line(app.SellerError(r.Error, ""), max(1, m.Width-7)), m.Width)))
		}
	}
	if st := m.status.View(s, m.Width); st != "" {
		lines = append(lines, st)
	}
	return strings.Join(lines, "\n")
}

func (m *Model) runLine(i int) string {
	s := m.C.Styles
	r := m.runs[i]
	took := "—"
	if r.Result == store.ResultRunning {
		took = duration(m.C.Now().Sub(r.StartedAt)) + "…"
	} else if !r.FinishedAt.IsZero() {
		took = duration(r.Duration())
	}
	line := row(r.StartedAt.Format("01-02 15:04:05"), string(r.Kind), string(r.Trigger), took, string(r.Result),
		strconv.Itoa(r.ListingsChanged), strconv.Itoa(r.ReceiptsChanged), strconv.Itoa(r.APICalls),
		safetext.Line(r.Error, max(1, m.Width-98)))
	line = common.Fit(line, m.Width)
	if i == m.List.Cursor() {
		return s.Selected.Render(line)
	}
	switch r.Result {
	case store.ResultFailed:
		return s.Failed.Render(line)
	case store.ResultRunning:
		return s.Pending.Render(line)
	}
	return s.Row.Render(line)
}

func row(started, kind, trigger, took, result, listings, receipts, calls, errText string) string {
	pad, padLeft := common.Pad, common.PadLeft
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

func (m *Model) ShortHelp() []key.Binding { return []key.Binding{m.syncKey, m.reload} }

func (m *Model) FullHelp() [][]key.Binding {
	return [][]key.Binding{m.List.Keys().Bindings(), {m.syncKey, m.reload}}
}

var _ common.Component = (*Model)(nil)
