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

	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/safetext"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/tui/common"
	"github.com/stockroom/stockroom/tui/components/list"
	"github.com/stockroom/stockroom/tui/internal/page"
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
	page.Store

	status   int // index into statuses
	period   int // index into periods
	receipts []store.Receipt
	expanded map[int64]bool

	keys keys
}

type keys struct {
	expand, status, shorter, longer, reload key.Binding
}

// New builds the screen; SetStore loads it.
func New(c *common.Common) *Model {
	k := c.Keys
	m := &Model{
		// The title and the column header stand above the list.
		Store:    page.NewStore(c, 2),
		period:   1,
		expanded: map[int64]bool{},
		keys: keys{
			expand:  common.Relabel(k.Enter, "items & message"),
			status:  common.Relabel(k.Filter, "status"),
			shorter: common.Relabel(k.Left, "shorter period"),
			longer:  common.Relabel(k.Right, "longer period"),
			reload:  k.Refresh,
		},
	}
	// An expanded receipt takes the lines of its items and message.
	m.List.SetItemHeight(func(i int) int { return m.linesOf(m.receipts[i]) })
	return m
}

// SetStore shows the receipts of storeID.
func (m *Model) SetStore(storeID int64) tea.Cmd {
	if m.Switch(storeID) {
		m.receipts = nil
		m.expanded = map[int64]bool{}
	}
	return m.load()
}

// StatusFilter is the status shown ("" for all).
func (m *Model) StatusFilter() string { return statuses[m.status] }

// PeriodDays is the period shown in days (0 for all time).
func (m *Model) PeriodDays() int { return periods[m.period] }

// Receipts are the receipts shown, newest first.
func (m *Model) Receipts() []store.Receipt { return m.receipts }

func (m *Model) load() tea.Cmd {
	p := store.ReceiptListParams{StoreID: m.StoreID, Status: statuses[m.status], Limit: limit}
	if days := periods[m.period]; days > 0 {
		p.Since = m.C.Now().Add(-time.Duration(days) * 24 * time.Hour)
	}
	return m.Read(func(c *common.Common, _ int64, seq int) tea.Msg {
		rs, err := c.App.Sales(c.Ctx, c.Actor, p)
		return loadedMsg{seq: seq, receipts: rs, err: err}
	})
}

func (m *Model) Update(msg tea.Msg) (common.Component, tea.Cmd) {
	switch msg := msg.(type) {
	case loadedMsg:
		// An older filter's answer is dropped.
		m.Take(msg.seq, msg.err, func() { m.setReceipts(msg.receipts) })
	case common.LiveMsg:
		if m.Reloads(msg.Event, hub.SyncFinished) {
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
	prev := m.receipts
	m.receipts = rs
	list.Keep(&m.List, prev, rs, receiptID)
}

func receiptID(r store.Receipt) int64 { return r.ID }

func (m *Model) key(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	switch {
	case m.List.Update(msg):
	case key.Matches(msg, k.expand):
		list.Toggle(&m.List, m.receipts, receiptID, m.expanded)
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
	s := m.C.Styles
	period := "all time"
	if d := periods[m.period]; d > 0 {
		period = fmt.Sprintf("last %d days", d)
	}
	status := statuses[m.status]
	if status == "" {
		status = "all"
	}
	count := fmt.Sprintf("%d receipts", len(m.receipts))
	if len(m.receipts) == 1 {
		count = "1 receipt"
	}
	title := s.Title.Render("Sales") + s.Muted.Render(fmt.Sprintf(" · status: %s · %s · %s", status, period, count))
	if len(m.receipts) == limit {
		title += s.Muted.Render(fmt.Sprintf(" (newest %d)", limit))
	}
	lines, ok := m.Head(title)
	switch {
	case !ok:
		return strings.Join(lines, "\n")
	case len(m.receipts) == 0 && !m.Loads.Loading():
		lines = append(lines, s.Muted.Render("No receipts match these filters."))
		return strings.Join(lines, "\n")
	}
	lines = append(lines, s.Header.Render(common.Fit(m.row("Date", "Receipt", "Buyer", "Status", "Items", "Total"), m.Width)))
	room := m.List.Height()
	for i := range m.List.Visible() {
		r := m.receipts[i]
		line := m.row(r.CreatedAt.Format("2006-01-02 15:04"), "#"+strconv.FormatInt(r.EtsyReceiptID, 10),
			safetext.Line(r.BuyerName, 20), safetext.Line(r.Status, 18), strconv.Itoa(itemCount(r)), money(r.Total))
		st := s.Row
		if i == m.List.Cursor() {
			st = s.Selected
		} else if r.Status == "canceled" || r.Status == "fully refunded" {
			st = s.Muted
		}
		lines = append(lines, st.Render(common.Fit(line, m.Width)))
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
			lines = append(lines, common.Fit(s.Muted.Render(fmt.Sprintf("    %d × ", it.Quantity))+s.Row.Render(desc)+
				s.Muted.Render("  "+money(it.Price)), m.Width))
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
			lines = append(lines, s.Muted.Render(label)+s.Row.Render(safetext.Line(ml, max(1, m.Width-len(label)))))
			room--
		}
	}
	return strings.Join(lines, "\n")
}

func (m *Model) row(date, receipt, buyer, status, items, total string) string {
	pad, padLeft := common.Pad, common.PadLeft
	return pad(date, 17) + pad(receipt, 13) + pad(buyer, 21) + pad(status, 19) + padLeft(items, 5) + "  " + total
}

func (m *Model) ShortHelp() []key.Binding {
	return []key.Binding{m.keys.expand, m.keys.status, m.keys.shorter, m.keys.longer}
}

func (m *Model) FullHelp() [][]key.Binding {
	k := m.keys
	return [][]key.Binding{
		m.List.Keys().Bindings(),
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

var _ common.Component = (*Model)(nil)
