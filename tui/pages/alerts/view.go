// Drawing the Alerts screen: the view switch and the store's default
// threshold on top, one line per alert, its messages when opened, and the
// status line.
package alerts

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/stockroom/stockroom/safetext"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/tui/common"
)

// reasonLines caps how much of one failure's reason an opened alert shows:
// a mail server can answer with a page of text.
const reasonLines = 4

// Column widths, separators included.
const (
	kindW    = 16
	stockW   = 9
	ageW     = 10
	skuW     = 15
	summaryW = 40 // the most one reason takes on an alert's line
	// The listing column gives way to the messages on a narrow screen,
	// down to minListingW.
	minListingW, maxListingW, minMessagesW = 16, 42, 24
	indent                                 = "    "
	subIndent                              = "      "
)

func (m *Model) View() string {
	s := m.C.Styles
	lines, ok := m.Head(m.titleLine())
	if !ok {
		return strings.Join(lines, "\n")
	}
	lines = append(lines, common.Fit(m.thresholdLine(), m.Width))
	switch {
	case len(m.alerts) == 0 && m.Loads.Loading():
	case len(m.alerts) == 0 && m.view == Active:
		lines = append(lines, s.Success.Render(common.Fit("No active alerts.", m.Width)),
			s.Muted.Render(common.Fit("An alert fires when stock falls to its threshold, or lasts fewer days than the store's", m.Width)),
			s.Muted.Render(common.Fit("runs-out days at its last 30 days' sales. Rows already low when the shop", m.Width)),
			s.Muted.Render(common.Fit("was connected show LOW on the Inventory screen, where L jumps to them.", m.Width)))
	case len(m.alerts) == 0:
		lines = append(lines, s.Muted.Render(common.Fit("No resolved alerts yet.", m.Width)))
	default:
		lines = append(lines, s.Header.Render(common.Fit(m.header(), m.Width)))
		room := m.List.Height()
		for i := range m.List.Visible() {
			lines = append(lines, m.alertLine(i))
			room--
			for _, d := range m.details(m.alerts[i]) {
				if room <= 0 {
					break
				}
				lines = append(lines, common.Fit(d, m.Width))
				room--
			}
		}
	}
	if st := m.status.View(s, m.Width); st != "" {
		lines = append(lines, st)
	}
	return strings.Join(lines, "\n")
}

func (m *Model) titleLine() string {
	s := m.C.Styles
	tab := func(name string, v View) string {
		if v == m.view {
			return s.ActiveTab.Render(name)
		}
		return s.Tab.Render(name)
	}
	title := s.Title.Render("Alerts") + " " + tab("Active", Active) + tab("History", History)
	if m.StoreID != 0 && !m.Loads.Loading() && m.Err == nil {
		title += s.Muted.Render(" · " + m.countText())
	}
	return title
}

func (m *Model) countText() string {
	if m.view == History {
		return plural(len(m.alerts), "resolved alert")
	}
	out := 0
	for _, a := range m.alerts {
		if a.Kind == store.AlertOutOfStock {
			out++
		}
	}
	return plural(len(m.alerts), "active alert") + fmt.Sprintf(" · %d out of stock", out)
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// thresholdLine shows the store's alert rules (the default threshold and
// runs out within N days), or the editor of one.
func (m *Model) thresholdLine() string {
	s := m.C.Styles
	t, d := m.keys.threshold.Help().Key, m.keys.runsOut.Help().Key
	if m.editing {
		keys := s.Muted.Render(" · " + m.keys.save.Help().Key + " saves, " + m.keys.cancel.Help().Key + " cancels")
		if m.field == settingRunsOut {
			return s.Row.Render("Runs out within ") + s.Editor.Render(" "+m.edit+"_ ") + s.Muted.Render(" days (0 off)") + keys
		}
		return s.Row.Render("Low stock at ≤ ") + s.Editor.Render(" "+m.edit+"_ ") + s.Muted.Render(" by default") + keys
	}
	if m.st.ID == 0 {
		return s.Muted.Render("Low-stock default: loading…")
	}
	change := func(k string) string {
		if m.st.Role.CanEdit() {
			return s.Muted.Render(" (" + k + " to change)")
		}
		return ""
	}
	runsOut := "Runs-out alerts off"
	if m.st.RunsOutDays > 0 {
		runsOut = fmt.Sprintf("Runs out within %d days", m.st.RunsOutDays)
	}
	// Runs-out before the hint, so a narrow screen still shows both rules.
	return s.Row.Render(fmt.Sprintf("Low stock at ≤ %d by default", m.st.LowStockDefault)) + change(t) +
		s.Muted.Render(" · ") + s.Row.Render(runsOut) + change(d) +
		s.Muted.Render("; override thresholds per row with "+t+" on the Inventory screen")
}

// listingW is the width of the listing column on this screen.
func (m *Model) listingW() int {
	fixed := kindW + stockW + ageW + skuW
	if m.view == History {
		fixed += ageW
	}
	return max(minListingW, min(maxListingW, m.Width-fixed-minMessagesW))
}

func (m *Model) header() string {
	// The quantity is the one the alert fired at: the row may have moved
	// since without leaving its threshold.
	h := common.Pad("Kind", kindW) + common.Pad("Fired at", stockW) + common.Pad("When", ageW)
	if m.view == History {
		h += common.Pad("Resolved", ageW)
	}
	return h + common.Pad("SKU", skuW) + common.Pad("Listing", m.listingW()) + "Your messages"
}

func (m *Model) alertLine(i int) string {
	s := m.C.Styles
	a := m.alerts[i]
	now := m.C.Now()
	marker := "▸ "
	if m.expanded[a.ID] {
		marker = "▾ "
	}
	line := common.Pad(marker+kindText(a.Kind), kindW) +
		common.Pad(firedText(a.Alert), stockW) +
		common.Pad(common.Ago(now.Sub(a.FiredAt)), ageW)
	if m.view == History {
		resolved := common.Ago(now.Sub(a.ResolvedAt))
		if m.escalated[a.ID] {
			resolved = "ran out"
		}
		line += common.Pad(resolved, ageW)
	}
	lw := m.listingW()
	line += common.Pad(safetext.Line(a.SKU, skuW), skuW) + common.Pad(listingText(a, lw), lw)
	switch {
	case m.view != Active:
	case a.SnoozeRestock:
		line += "snoozed until restocked · "
	case a.Snoozed(now):
		line += "snoozed until " + a.SnoozedUntil.UTC().Format("Jan 2 15:04") + " · "
	case !a.AckedAt.IsZero():
		line += "acknowledged · "
	}
	used := ansi.StringWidth(line)
	line += summary(a.Deliveries, max(1, m.Width-used))
	line = common.Fit(line, m.Width)
	switch {
	case i == m.List.Cursor():
		return s.Selected.Render(line)
	case m.view == History:
		return s.Row.Render(line)
	case a.Kind == store.AlertOutOfStock:
		return s.Out.Render(line)
	}
	return s.Low.Render(line)
}

// firedText is what the alert fired at: the stock against the
// threshold, or the days of cover against N.
func firedText(a store.Alert) string {
	if a.Kind == store.AlertRunsOut {
		return fmt.Sprintf("%.1f<%dd", a.CoverDays, a.Threshold)
	}
	return fmt.Sprintf("%d ≤ %d", a.Quantity, a.Threshold)
}

func kindText(k store.AlertKind) string {
	switch k {
	case store.AlertOutOfStock:
		return "Out of stock"
	case store.AlertLowStock:
		return "Low stock"
	case store.AlertRunsOut:
		return "Runs out"
	}
	return safetext.Line(string(k), kindW)
}

// listingText is the listing's title and the row's variation, both
// Etsy's words, cleaned.
func listingText(a store.AlertView, w int) string {
	t := safetext.Line(a.Title, w)
	if v := safetext.Line(a.Variation, w); v != "" {
		t += " — " + v
	}
	return t
}

// summary is the account's messages about an alert on one line: "email
// sent · telegram retrying (3): <reason>".
func summary(ds []store.Delivery, w int) string {
	if len(ds) == 0 {
		return "none"
	}
	parts := make([]string, 0, len(ds))
	for _, d := range ds {
		parts = append(parts, deliveryText(d, summaryW))
	}
	return safetext.Line(strings.Join(parts, " · "), w)
}

// deliveryText is one message's state, its reason cut to reasonW cells.
func deliveryText(d store.Delivery, reasonW int) string {
	ch := safetext.Line(string(d.Channel), 12)
	switch d.Status {
	case store.DeliverySent:
		return ch + " sent"
	case store.DeliveryQueued:
		if d.Digest {
			return ch + " in daily digest"
		}
		return ch + " queued"
	case store.DeliveryRetrying:
		return fmt.Sprintf("%s retrying (%d)%s", ch, d.Attempts, reasonSuffix(d.LastError, reasonW))
	case store.DeliveryFailed:
		return ch + " failed" + reasonSuffix(d.LastError, reasonW)
	}
	return ch + " " + safetext.Line(string(d.Status), 12)
}

func reasonSuffix(reason string, w int) string {
	if r := safetext.Line(reason, w); r != "" {
		return ": " + r
	}
	return ""
}

// details are the lines an opened alert shows under its own: each message
// with its reason wrapped, and the listing's address. A closed alert has
// none.
func (m *Model) details(a store.AlertView) []string {
	if !m.expanded[a.ID] {
		return nil
	}
	s := m.C.Styles
	now := m.C.Now()
	var out []string
	if len(a.Deliveries) == 0 {
		why := "choose email or Telegram on the Account screen."
		if len(m.C.App.AlertChannels()) == 0 {
			why = "this server sends no email or Telegram; alerts show here."
		}
		out = append(out, s.Muted.Render(indent+"No messages to you about this alert: "+why))
	}
	for _, d := range a.Deliveries {
		ch := safetext.Line(string(d.Channel), 12)
		var text string
		style := s.Muted
		switch d.Status {
		case store.DeliverySent:
			text, style = "sent", s.Success
			if !d.SentAt.IsZero() {
				text += " " + common.Ago(now.Sub(d.SentAt))
			}
		case store.DeliveryQueued:
			text = "queued " + common.Ago(now.Sub(d.CreatedAt))
			if d.Digest {
				text = "waiting for your daily digest"
			}
		case store.DeliveryRetrying:
			text, style = fmt.Sprintf("retrying: %s failed so far", plural(d.Attempts, "attempt")), s.Warning
		case store.DeliveryFailed:
			text, style = fmt.Sprintf("failed for good after %s", plural(d.Attempts, "attempt")), s.Failed
		default:
			text = safetext.Line(string(d.Status), 12)
		}
		out = append(out, style.Render(indent+ch+" · "+text))
		for _, r := range wrapReason(d.LastError, m.Width-len(subIndent)) {
			out = append(out, s.Muted.Render(subIndent)+s.Row.Render(r))
		}
	}
	if u := safetext.Line(a.URL, max(1, m.Width-len(indent))); u != "" {
		out = append(out, s.Muted.Render(indent)+s.Link.Render(u))
	}
	return out
}

// wrapReason cleans a failure's reason (a mail server's or Telegram's
// words) and wraps it to w cells, at most reasonLines lines.
func wrapReason(reason string, w int) []string {
	r := safetext.Clean(reason)
	if r == "" {
		return nil
	}
	w = max(w, 20)
	lines := strings.Split(ansi.Wrap(r, w, " "), "\n")
	if len(lines) > reasonLines {
		lines = lines[:reasonLines]
		last := ansi.Truncate(lines[reasonLines-1], w-1, "")
		lines[reasonLines-1] = strings.TrimRight(last, " ") + safetext.Ellipsis
	}
	return lines
}
