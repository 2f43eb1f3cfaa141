// Package alerts is the Alerts screen: the rows of a store that are at or
// below their low-stock threshold, out of stock first. It reads them from
// the inventory through the application layer, so it agrees with the
// inventory screen's low-stock marks.
package alerts

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/safetext"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/tui/common"
	"github.com/stockroom/stockroom/tui/components/list"
)

type loadedMsg struct {
	seq  int
	rows []store.InventoryRow
	err  error
}

// Model is the Alerts screen.
type Model struct {
	c       *common.Common
	storeID int64

	rows    []store.InventoryRow // low rows only
	list    list.Model
	seq     int
	loading bool
	err     error

	width, height int
	reload        key.Binding
}

// New builds the screen; SetStore loads it.
func New(c *common.Common) *Model {
	k := c.Keys
	m := &Model{c: c, list: list.New(list.NewKeyMap(k)), reload: k.Refresh}
	m.SetSize(c.Width, c.Height)
	return m
}

func (m *Model) Init() tea.Cmd { return nil }

// SetStore shows the low rows of storeID.
func (m *Model) SetStore(storeID int64) tea.Cmd {
	if storeID != m.storeID {
		m.storeID = storeID
		m.rows = nil
		m.list.SetLen(0)
		m.list.Reset()
	}
	return m.load()
}

// Rows are the low-stock rows shown, out of stock first.
func (m *Model) Rows() []store.InventoryRow { return m.rows }

// SetSize leaves the title and the column header above the list.
func (m *Model) SetSize(width, height int) {
	m.width, m.height = width, height
	m.list.SetHeight(height - 2)
}

func (m *Model) load() tea.Cmd {
	if m.storeID == 0 {
		return nil
	}
	m.seq++
	m.loading = true
	seq, c, actor, storeID := m.seq, m.c, m.c.Actor, m.storeID
	return func() tea.Msg {
		rows, err := c.App.Inventory(c.Ctx, actor, storeID)
		if err != nil {
			return loadedMsg{seq: seq, err: err}
		}
		low := make([]store.InventoryRow, 0, len(rows)/8)
		for _, r := range rows {
			if !r.Gone && r.Enabled && r.Low() {
				low = append(low, r)
			}
		}
		// The emptiest first; then by how far below the threshold.
		slices.SortStableFunc(low, func(a, b store.InventoryRow) int {
			return cmp.Or(cmp.Compare(a.Shown(), b.Shown()), cmp.Compare(b.Threshold-b.Shown(), a.Threshold-a.Shown()),
				cmp.Compare(a.Title, b.Title))
		})
		return loadedMsg{seq: seq, rows: low}
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
			m.rows = msg.rows
			m.list.SetLen(len(m.rows))
		}
	case common.LiveMsg:
		if msg.Event.StoreID != m.storeID {
			return m, nil
		}
		switch msg.Event.Kind {
		case hub.StockChanged, hub.AlertsChanged, hub.SyncFinished, hub.StoreChanged:
			return m, m.load()
		}
	case tea.KeyPressMsg:
		if !m.list.Update(msg) && key.Matches(msg, m.reload) {
			return m, m.load()
		}
	}
	return m, nil
}

func (m *Model) View() string {
	s := m.c.Styles
	out := 0
	for _, r := range m.rows {
		if r.Shown() == 0 {
			out++
		}
	}
	title := s.Title.Render("Low stock") + s.Muted.Render(fmt.Sprintf(" · %d rows · %d out of stock", len(m.rows), out))
	if m.loading {
		title += s.Muted.Render(" · loading…")
	}
	lines := []string{common.Fit(title, m.width)}
	switch {
	case m.err != nil:
		return strings.Join(append(lines, s.ErrorLine(m.err, m.width)), "\n")
	case m.storeID == 0:
		return strings.Join(append(lines, s.Muted.Render("No store selected.")), "\n")
	case len(m.rows) == 0 && !m.loading:
		return strings.Join(append(lines, s.Success.Render("Nothing is low on stock.")), "\n")
	}
	lines = append(lines, s.Header.Render(common.Fit(row("Stock", "Threshold", "SKU", "Listing", "Variation"), m.width)))
	for i := range m.list.Visible() {
		r := m.rows[i]
		stock := strconv.Itoa(r.Shown())
		if r.Pending() {
			stock += "*"
		}
		line := common.Fit(row(stock, strconv.Itoa(r.Threshold), safetext.Line(r.SKU, 20), safetext.Line(r.Title, 50),
			safetext.Line(r.Variation, max(1, m.width-90))), m.width)
		switch {
		case i == m.list.Cursor():
			lines = append(lines, s.Selected.Render(line))
		case r.Shown() == 0:
			lines = append(lines, s.Out.Render(line))
		default:
			lines = append(lines, s.Low.Render(line))
		}
	}
	return strings.Join(lines, "\n")
}

func row(stock, threshold, sku, title, variation string) string {
	return common.PadLeft(stock, 6) + common.PadLeft(threshold, 10) + "  " + common.Pad(sku, 21) + common.Pad(title, 51) + variation
}

func (m *Model) ShortHelp() []key.Binding {
	k := m.list.Keys()
	return []key.Binding{k.Up, k.Down, m.reload}
}

func (m *Model) FullHelp() [][]key.Binding {
	return [][]key.Binding{m.list.Keys().Bindings(), {m.reload}}
}

var _ common.Component = (*Model)(nil)
