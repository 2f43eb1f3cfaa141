// Package sales is the Sales screen: a store's receipts, newest first, with
// their line items and the buyer's message, filtered by status and period.
package sales

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

// Statuses are the receipt states a seller can filter on, in Etsy's words;
// "" is every status.
var statuses = []string{"", "paid", "completed", "open", "payment processing", "canceled", "fully refunded", "partially refunded"}

// periods are the date windows in days; 0 is all time.
var periods = []int{7, 30, 90, 0}

// limit caps one load: a screen of receipts is read by a person, and the
// newest matter most.
const limit = 500

// messageLines caps how much of a buyer's message an expanded receipt shows.
const messageLines = 8

type loadedMsg struct {
	seq      int
	receipts []store.Receipt
	err      error
}

// Model is the Sales screen.
type Model struct {
	c       *common.Common
	storeID int64

	status   int // index into statuses
	period   int // index into periods
	receipts []store.Receipt
	expanded map[int64]bool

	cursor, offset int
	seq            int
	loading        bool
	err            error

	width, height int
	keys          keys
}

type keys struct {
	up, down, pageUp, pageDown, top, bottom key.Binding
	expand, status, shorter, longer, reload key.Binding
}

// relabel keeps a binding's keys from the one keymap and gives it this
// screen's description.
func relabel(b key.Binding, desc string) key.Binding {
	return key.NewBinding(key.WithKeys(b.Keys()...), key.WithHelp(b.Help().Key, desc))
}

// New builds the screen; SetStore loads it.
func New(c *common.Common) *Model {
	k := c.Keys
	return &Model{
		c:        c,
		period:   1,
		expanded: map[int64]bool{},
		width:    c.Width,
		height:   c.Height,
		keys: keys{
			up: k.Up, down: k.Down, pageUp: k.PageUp, pageDown: k.PageDown, top: k.Top, bottom: k.Bottom,
			expand:  relabel(k.Enter, "items & message"),
			status:  relabel(k.Filter, "status"),
			shorter: relabel(k.Left, "shorter period"),
			longer:  relabel(k.Right, "longer period"),
			reload:  k.Refresh,
		},
	}
}

func (m *Model) Init() tea.Cmd { return nil }

// SetStore shows the receipts of storeID.
func (m *Model) SetStore(storeID int64) tea.Cmd {
	if storeID != m.storeID {
		m.storeID = storeID
		m.receipts = nil
		m.expanded = map[int64]bool{}
		m.cursor, m.offset = 0, 0
	}
	return m.load()
}

// StatusFilter is the status shown ("" for all).
func (m *Model) StatusFilter() string { return statuses[m.status] }

// PeriodDays is the period shown in days (0 for all time).
func (m *Model) PeriodDays() int { return periods[m.period] }

// Receipts are the receipts shown, newest first.
func (m *Model) Receipts() []store.Receipt { return m.receipts }

func (m *Model) SetSize(width, height int) { m.width, m.height = width, height; m.scroll() }

func (m *Model) load() tea.Cmd {
	if m.storeID == 0 {
		return nil
	}
	m.seq++
	m.loading = true
	seq, c, actor, storeID := m.seq, m.c, m.c.Actor, m.storeID
	p := store.ReceiptListParams{StoreID: storeID, Status: statuses[m.status], Limit: limit}
	if days := periods[m.period]; days > 0 {
		p.Since = c.Now().Add(-time.Duration(days) * 24 * time.Hour)
	}
	return func() tea.Msg {
		rs, err := c.App.Sales(c.Ctx, actor, p)
		return loadedMsg{seq: seq, receipts: rs, err: err}
	}
}

func (m *Model) Update(msg tea.Msg) (common.Component, tea.Cmd) {
	switch msg := msg.(type) {
	case loadedMsg:
		if msg.seq != m.seq {
			return m, nil // an older filter's answer
		}
		m.loading = false
		m.err = msg.err
		if msg.err == nil {
			m.setReceipts(msg.receipts)
		}
	case common.LiveMsg:
		if msg.Event.StoreID == m.storeID && msg.Event.Kind == hub.SyncFinished {
			return m, m.load()
		}
	case tea.KeyPressMsg:
		return m, m.key(msg)
	}
	return m, nil
}

// setReceipts keeps the cursor on the receipt it was on when it is still
// listed.
func (m *Model) setReceipts(rs []store.Receipt) {
	var cur int64
	if m.cursor < len(m.receipts) {
		cur = m.receipts[m.cursor].ID
	}
	m.receipts = rs
	m.cursor = 0
	for i, r := range rs {
		if r.ID == cur {
			m.cursor = i
			break
		}
	}
	m.scroll()
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
		m.move(-len(m.receipts))
	case key.Matches(msg, k.bottom):
		m.move(len(m.receipts))
	case key.Matches(msg, k.expand):
		if m.cursor < len(m.receipts) {
			id := m.receipts[m.cursor].ID
			m.expanded[id] = !m.expanded[id]
			m.scroll()
		}
	case key.Matches(msg, k.status):
		m.status = (m.status + 1) % len(statuses)
		return m.load()
	case key.Matches(msg, k.shorter):
		if m.period > 0 {
			m.period--
			return m.load()
		}
	case key.Matches(msg, k.longer):
		if m.period < len(periods)-1 {
			m.period++
			return m.load()
		}
	case key.Matches(msg, k.reload):
		return m.load()
	}
	return nil
}

func (m *Model) move(d int) {
	m.cursor = max(0, min(m.cursor+d, len(m.receipts)-1))
	m.scroll()
}

// rows is the height of the list below the title and the column header.
func (m *Model) rows() int { return max(1, m.height-2) }

// scroll moves the window so that the cursor's receipt, expanded or not, is
// in view.
func (m *Model) scroll() {
	if m.cursor < m.offset {
		m.offset = m.cursor
	}
	for m.offset < m.cursor {
		n := 0
		for i := m.offset; i <= m.cursor; i++ {
			n += m.linesOf(m.receipts[i])
		}
		if n <= m.rows() {
			break
		}
		m.offset++
	}
}

func (m *Model) linesOf(r store.Receipt) int {
	if !m.expanded[r.ID] {
		return 1
	}
	return 1 + len(r.Items) + len(m.messageOf(r))
}

func (m *Model) messageOf(r store.Receipt) []string {
	msg := safetext.Multiline(r.Message, messageLines)
	if msg == "" {
		return nil
	}
	return strings.Split(msg, "\n")
}

func (m *Model) View() string {
	s := m.c.Styles
	period := "all time"
	if d := periods[m.period]; d > 0 {
		period = fmt.Sprintf("last %d days", d)
	}
	status := statuses[m.status]
	if status == "" {
		status = "all"
	}
	title := s.Title.Render("Sales") + s.Muted.Render(fmt.Sprintf(" · status: %s · %s · %d receipts", status, period, len(m.receipts)))
	if len(m.receipts) == limit {
		title += s.Muted.Render(fmt.Sprintf(" (newest %d)", limit))
	}
	if m.loading {
		title += s.Muted.Render(" · loading…")
	}
	lines := []string{fit(title, m.width)}
	switch {
	case m.err != nil:
		lines = append(lines, s.Error.Render(safetext.Line(m.err.Error(), m.width)))
		return strings.Join(lines, "\n")
	case m.storeID == 0:
		lines = append(lines, s.Muted.Render("No store selected."))
		return strings.Join(lines, "\n")
	case len(m.receipts) == 0 && !m.loading:
		lines = append(lines, s.Muted.Render("No receipts match these filters."))
		return strings.Join(lines, "\n")
	}
	lines = append(lines, s.Header.Render(fit(m.row("Date", "Receipt", "Buyer", "Status", "Items", "Total"), m.width)))
	room := m.rows()
	for i := m.offset; i < len(m.receipts) && room > 0; i++ {
		r := m.receipts[i]
		line := m.row(r.CreatedAt.Format("2006-01-02 15:04"), "#"+strconv.FormatInt(r.EtsyReceiptID, 10),
			safetext.Line(r.BuyerName, 20), safetext.Line(r.Status, 18), strconv.Itoa(itemCount(r)), money(r.Total))
		st := s.Row
		if i == m.cursor {
			st = s.Selected
		} else if r.Status == "canceled" || r.Status == "fully refunded" {
			st = s.Muted
		}
		lines = append(lines, st.Render(fit(line, m.width)))
		room--
		if !m.expanded[r.ID] {
			continue
		}
		for _, it := range r.Items {
			if room == 0 {
				break
			}
			desc := safetext.Line(it.Title, 40)
			if v := safetext.Line(it.Variation, 24); v != "" {
				desc += " — " + v
			}
			if sku := safetext.Line(it.SKU, 24); sku != "" {
				desc += "  SKU " + sku
			}
			lines = append(lines, fit(s.Muted.Render(fmt.Sprintf("    %d × ", it.Quantity))+s.Row.Render(desc)+
				s.Muted.Render("  "+money(it.Price)), m.width))
			room--
		}
		for j, ml := range m.messageOf(r) {
			if room == 0 {
				break
			}
			label := "             "
			if j == 0 {
				label = "    Message: "
			}
			lines = append(lines, s.Muted.Render(label)+s.Row.Render(safetext.Line(ml, max(1, m.width-len(label)))))
			room--
		}
	}
	return strings.Join(lines, "\n")
}

func (m *Model) row(date, receipt, buyer, status, items, total string) string {
	return pad(date, 17) + pad(receipt, 13) + pad(buyer, 21) + pad(status, 19) + padLeft(items, 5) + "  " + total
}

func (m *Model) ShortHelp() []key.Binding {
	return []key.Binding{m.keys.expand, m.keys.status, m.keys.shorter, m.keys.longer}
}

func (m *Model) FullHelp() [][]key.Binding {
	k := m.keys
	return [][]key.Binding{
		{k.up, k.down, k.pageUp, k.pageDown, k.top, k.bottom},
		{k.expand, k.status, k.shorter, k.longer, k.reload},
	}
}

func itemCount(r store.Receipt) int {
	n := 0
	for _, it := range r.Items {
		n += it.Quantity
	}
	return n
}

// money formats minor units with as many decimals as the divisor implies;
// the currency code comes from Etsy and is cleaned like any of its text.
func money(m store.Money) string {
	cur := safetext.Line(m.Currency, 3)
	decimals := 0
	for d := m.Divisor; d > 1 && d%10 == 0; d /= 10 {
		decimals++
	}
	var amount string
	switch {
	case m.Divisor <= 1:
		amount = strconv.FormatInt(m.Amount, 10)
	case pow10(decimals) == m.Divisor:
		amount = strconv.FormatFloat(float64(m.Amount)/float64(m.Divisor), 'f', decimals, 64)
	default:
		amount = strconv.FormatFloat(float64(m.Amount)/float64(m.Divisor), 'f', 2, 64)
	}
	return strings.TrimSpace(amount + " " + cur)
}

func pow10(n int) int {
	p := 1
	for range n {
		p *= 10
	}
	return p
}

// pad cuts or fills s to w cells, keeping a space between columns.
func pad(s string, w int) string {
	s = ansi.Truncate(s, w-1, safetext.Ellipsis)
	return s + strings.Repeat(" ", max(0, w-lipgloss.Width(s)))
}

func padLeft(s string, w int) string {
	return strings.Repeat(" ", max(0, w-lipgloss.Width(s))) + s
}

// fit cuts a rendered line to the screen width.
func fit(s string, w int) string {
	if w <= 0 {
		return s
	}
	return ansi.Truncate(s, w, "")
}

var _ common.Component = (*Model)(nil)
