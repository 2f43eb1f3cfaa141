// Package home is the Home screen: how the shop is doing (sales today, 7
// and 30 days with a sparkline per day), top sellers, low and sold-out
// counts, sync health, Etsy's budget, pending pushes and the variations
// that run out first. It shows the current store or all stores together.
package home

import (
	"fmt"
	"slices"
	"strconv"
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

type loadedMsg struct {
	seq   int
	dash  app.Dashboard
	snaps []*app.Snapshot
	err   error
}

// Model is the Home screen.
type Model struct {
	c       *common.Common
	storeID int64
	// all shows every store added up instead of the current one.
	all bool
	// shown says the screen is on screen: only then does it load. A
	// session that never looks at Home costs nothing for it, and a
	// change seen while hidden loads once, when it is shown.
	shown, stale bool

	dash *app.Dashboard
	// snaps keeps the shared inventory snapshots the dashboard was drawn
	// from alive, so a reload finds them in memory.
	snaps []*app.Snapshot
	loads common.Loads
	// dirty asks for another load when the one running ends: a burst of
	// live events costs two loads, not one each.
	dirty     bool
	dirtyEv   hub.Event
	dirtySeen time.Time
	err       error

	width, height  int
	reload, allKey key.Binding
	topN           int
}

// New builds the screen; SetStore loads it.
func New(c *common.Common) *Model {
	k := c.Keys
	m := &Model{c: c, reload: k.Refresh, allKey: common.Relabel(k.Toggle, "this store / all stores"), topN: 5}
	m.SetSize(c.Width, c.Height)
	return m
}

func (m *Model) Init() tea.Cmd { return nil }

// SetShown loads what changed while the screen was hidden.
func (m *Model) SetShown(shown bool) tea.Cmd {
	m.shown = shown
	if shown && (m.stale || m.dash == nil) {
		return m.load()
	}
	return nil
}

// SetStore shows storeID (or, after the toggle, every store).
func (m *Model) SetStore(storeID int64) tea.Cmd {
	if storeID != m.storeID {
		m.storeID = storeID
		if !m.all {
			m.dash = nil
		}
	}
	return m.load()
}

// Loading tells whether the figures are being computed.
func (m *Model) Loading() bool { return m.loads.Loading() }

// Dashboard is what the screen shows, nil before the first load.
func (m *Model) Dashboard() *app.Dashboard { return m.dash }

func (m *Model) SetSize(width, height int) { m.width, m.height = width, height }

func (m *Model) load() tea.Cmd { return m.loadAfter(nil, time.Time{}) }

// loadAfter computes the dashboard; after a live event (ev not nil, seen
// when it arrived) the shared snapshot is brought up to date first, as
// the Inventory screen does.
func (m *Model) loadAfter(ev *hub.Event, seen time.Time) tea.Cmd {
	if m.storeID == 0 && !m.all {
		return nil
	}
	if !m.shown {
		m.stale = true
		return nil
	}
	m.stale = false
	seq, c, actor := m.loads.Start(), m.c.Copy(), m.c.Actor
	id := m.storeID
	if m.all {
		id = 0
	}
	return func() tea.Msg {
		// The screen draws a screenful of "runs out first": selected, not
		// a sort of every row.
		p := app.DashboardParams{StoreID: id, Unsorted: true}
		var snaps []*app.Snapshot
		if c.Snapshots != nil {
			if ev != nil {
				ids := ev.OfferingIDs
				if ev.Kind != hub.StockChanged || slices.Contains(ids, 0) {
					ids = nil
				}
				if _, err := c.Snapshots.Refresh(c.Ctx, actor, ev.StoreID, ids, seen); err != nil {
					return loadedMsg{seq: seq, err: err}
				}
			}
			// A check made while the session's subscription hears the
			// account's membership changes stands (see
			// Snapshots.OpenSince): the store's rows and its check come
			// from the shared cache in one call, and the dashboard takes
			// that check as its own.
			open := func(storeID int64) (*app.Snapshot, store.MemberStore, error) {
				s, ms, err := c.Snapshots.OpenSince(c.Ctx, actor, storeID, c.LiveSince)
				if err == nil {
					snaps = append(snaps, s)
				}
				return s, ms, err
			}
			p.Member = func(storeID int64) (store.MemberStore, error) {
				_, ms, err := open(storeID)
				return ms, err
			}
			p.Rows = func(storeID int64) ([]*store.InventoryRow, error) {
				for _, s := range snaps {
					if s.StoreID == storeID {
						return app.SnapshotRows(s), nil
					}
				}
				s, _, err := open(storeID)
				if err != nil {
					return nil, err
				}
				return app.SnapshotRows(s), nil
			}
		}
		d, err := c.App.Dashboard(c.Ctx, actor, p)
		return loadedMsg{seq: seq, dash: d, snaps: snaps, err: err}
	}
}

func (m *Model) Update(msg tea.Msg) (common.Component, tea.Cmd) {
	switch msg := msg.(type) {
	case loadedMsg:
		if !m.loads.Take(msg.seq, msg.err, &m.err, func() { m.dash, m.snaps = &msg.dash, msg.snaps }) {
			return m, nil
		}
		if m.dirty {
			m.dirty = false
			return m, m.loadAfter(&m.dirtyEv, m.dirtySeen)
		}
	case common.LiveMsg:
		e := msg.Event
		if e.StoreID != m.storeID && !m.all {
			return m, nil
		}
		// Sales and Etsy's quantities arrive with syncs; a seller's own
		// edits move pending pushes and low counts.
		switch e.Kind {
		case hub.SyncFinished, hub.StoreChanged, hub.StockChanged:
			if m.loads.Loading() {
				// The events missed name no rows: the snapshot is
				// refreshed whole unless a load started since.
				m.dirty, m.dirtySeen = true, time.Now()
				m.dirtyEv = hub.Event{Kind: hub.SyncFinished, StoreID: e.StoreID}
				return m, nil
			}
			return m, m.loadAfter(&e, time.Now())
		}
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, m.reload):
			return m, m.load()
		case key.Matches(msg, m.allKey):
			m.all = !m.all
			return m, m.load()
		}
	}
	return m, nil
}

// spark draws values as a one-line bar chart, one cell a value.
func spark(values []int) string {
	bars := []rune("▁▂▃▄▅▆▇█")
	top := 0
	for _, v := range values {
		top = max(top, v)
	}
	var b strings.Builder
	for _, v := range values {
		switch {
		case v <= 0:
			b.WriteRune(' ')
		default:
			b.WriteRune(bars[min(len(bars)-1, (v*len(bars)-1)/max(top, 1))])
		}
	}
	return b.String()
}

func amount(t app.SalesTotal) string {
	if t.Currency == "" && t.Revenue != 0 {
		return "mixed currencies"
	}
	v := fmt.Sprintf("%d.%02d", t.Revenue/100, t.Revenue%100)
	return strings.TrimSpace(v + " " + safetext.Line(t.Currency, 4))
}

func (m *Model) View() string {
	s := m.c.Styles
	name := "All stores"
	if !m.all && m.dash != nil {
		name = m.dash.Store.Name
	}
	title := s.Title.Render("Home") + s.Muted.Render(" · "+safetext.Line(name, max(1, m.width/2)))
	lines := []string{common.Fit(s.Busy(title, &m.loads), m.width)}
	switch {
	case m.err != nil:
		return strings.Join(append(lines, s.ErrorLine(m.err, m.width)), "\n")
	case m.dash == nil && m.storeID == 0 && !m.all:
		return strings.Join(append(lines, s.Muted.Render("No store yet: connect your Etsy shop on the Stores screen.")), "\n")
	case m.dash == nil:
		return strings.Join(lines, "\n")
	}
	d := m.dash
	units := make([]int, len(d.Daily))
	for i, x := range d.Daily {
		units[i] = x.Units
	}
	pad, padLeft := common.Pad, common.PadLeft
	lines = append(lines, "",
		s.Header.Render(pad("Sales", 10)+padLeft("Units", 8)+padLeft("Revenue", 20)),
		pad("Today", 10)+padLeft(strconv.Itoa(d.Today.Units), 8)+padLeft(amount(d.Today), 20),
		pad("7 days", 10)+padLeft(strconv.Itoa(d.Week.Units), 8)+padLeft(amount(d.Week), 20),
		pad("30 days", 10)+padLeft(strconv.Itoa(d.Month.Units), 8)+padLeft(amount(d.Month), 20)+"  "+
			lipgloss.NewStyle().Foreground(s.Accent).Render(spark(units))+s.Muted.Render(" units a day"),
		"",
		s.Low.Render(fmt.Sprintf("%d low", d.Low))+s.Muted.Render(" · ")+s.Out.Render(fmt.Sprintf("%d out of stock", d.Out))+
			s.Muted.Render(" · ")+s.Pending.Render(fmt.Sprintf("%d pending pushes", d.Pending)),
		m.syncLine(d),
	)
	top := d.TopSellers(m.topN)
	if len(top) > 0 {
		lines = append(lines, "", s.Header.Render(fmt.Sprintf("Top sellers · %d days", d.Days)))
		for _, c := range top {
			lines = append(lines, common.Fit(pad(safetext.Line(c.Row.SKU, 16), 18)+pad(safetext.Line(c.Row.Title, 40), 42)+
				padLeft(strconv.Itoa(c.Units), 6)+" sold", m.width))
		}
	}
	room := m.height - len(lines) - 3
	first := d.RunsOutFirst(max(room, 0))
	lines = append(lines, "", s.Header.Render(common.Fit(pad("Runs out first", 18)+pad("", 42)+
		padLeft("Stock", 6)+padLeft("/day", 7)+padLeft("Cover", 8)+padLeft("Restock", 9), m.width)))
	if len(first) == 0 {
		lines = append(lines, s.Muted.Render(fmt.Sprintf("Nothing sold in the last %d days.", d.Days)))
	}
	for _, c := range first {
		line := common.Fit(pad(safetext.Line(c.Row.SKU, 16), 18)+pad(safetext.Line(c.Row.Title, 40), 42)+
			padLeft(strconv.Itoa(c.Row.Shown()), 6)+padLeft(strconv.FormatFloat(c.Velocity, 'f', 2, 64), 7)+
			padLeft(coverText(c.Days), 8)+padLeft(strconv.Itoa(c.Restock), 9), m.width)
		switch {
		case c.Row.Shown() <= 0:
			line = s.Out.Render(line)
		case c.Row.Low():
			line = s.Low.Render(line)
		default:
			line = s.Row.Render(line)
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

func coverText(days float64) string {
	if days >= 1000 {
		return "999+d"
	}
	return strconv.FormatFloat(days, 'f', 0, 64) + "d"
}

// syncLine is sync health: the last run, the next, the last error and
// Etsy's budget left today.
func (m *Model) syncLine(d *app.Dashboard) string {
	s := m.c.Styles
	now := m.c.Now()
	parts := []string{"never synced"}
	if r := d.LastRun; r != nil {
		parts[0] = "last sync " + common.Ago(now.Sub(r.StartedAt)) + " (" + string(r.Result) + ")"
	}
	if !d.NextSync.IsZero() {
		if d.NextSync.After(now) {
			parts = append(parts, "next in "+strings.TrimSuffix(common.Ago(d.NextSync.Sub(now)), " ago"))
		} else {
			parts = append(parts, "next due now")
		}
	}
	budget := "Etsy budget unknown"
	switch b := d.Budget; {
	case b.BlockedUntil.After(now):
		budget = "paused by Etsy until " + b.BlockedUntil.UTC().Format("15:04Z")
	case b.Known && b.PerDay > 0:
		budget = fmt.Sprintf("Etsy budget %d of %d left today", b.RemainingToday, b.PerDay)
	case b.Known:
		budget = fmt.Sprintf("Etsy budget %d left today", b.RemainingToday)
	}
	parts = append(parts, budget)
	line := s.Muted.Render(common.Fit(strings.Join(parts, " · "), m.width))
	failed := d.LastRun != nil && d.LastRun.Result == store.ResultFailed
	if d.LastError != "" || failed {
		msg := d.LastError
		if msg == "" {
			msg = d.LastRun.Error
		}
		line += "\n" + s.Error.Render(common.Fit("Sync error: "+safetext.Line(app.SellerError(msg, ""), max(1, m.width-12)), m.width))
	}
	return line
}

func (m *Model) ShortHelp() []key.Binding { return []key.Binding{m.allKey, m.reload} }

func (m *Model) FullHelp() [][]key.Binding { return [][]key.Binding{{m.allKey, m.reload}} }

var _ common.Component = (*Model)(nil)
