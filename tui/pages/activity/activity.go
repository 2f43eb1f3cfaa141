// Package activity is the Activity screen: a store's ledger of changes,
// newest first, filtered by person, kind, text and dates, live as changes
// arrive, with the detail of one change and undo of stock edits. A key
// switches to the account's own ledger (keys, admin actions on it) and, for
// admins, the admin ledger: the ledgers `activity --account` and
// `activity --admin` list.
//
// The ledger can hold hundreds of thousands of events, so the screen never
// loads it whole: it reads a page at a time from the store by cursor (the
// last id it holds) as the cursor nears the end of what it has, and draws
// only the rows in the window.
package activity

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/safetext"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/tui/common"
	"github.com/stockroom/stockroom/tui/components/list"
)

// pageSize is how many events one read brings; the next page is read when
// the cursor comes within a screen of the end of what is loaded.
const pageSize = 200

type pageMsg struct {
	seq    int
	before int64 // the cursor the page was read from (0: the newest)
	events []store.ActivityEvent
	err    error
}

// newerMsg carries events that arrived above the newest one shown.
type newerMsg struct {
	seq    int
	events []store.ActivityEvent
	err    error
}

type planMsg struct {
	plan *app.UndoPlan
	err  error
}

type undoneMsg struct {
	event int64
	rows  int
	err   error
}

// ledger is which ledger the screen shows.
type ledger int

const (
	storeLedger ledger = iota
	accountLedger
	adminLedger
)

// Model is the Activity screen.
type Model struct {
	c       *common.Common
	storeID int64
	ledger  ledger

	events []store.ActivityEvent
	list   list.Model
	loads  common.Loads // a page read is loading; a reload makes answers out stale
	end    bool         // the oldest event is loaded
	err    error

	filtering bool
	filter    textinput.Model
	query     app.ActivityQuery
	queryText string

	detail bool
	plan   *app.UndoPlan // an undo waiting for confirmation
	status common.Status

	width, height int
	lines         []string // rows' text, unstyled, by index in events ("" until drawn)
	colHeader     string   // the drawn column header, for width
	headerKey     headerKey
	headerText    string
	paint         painters
}

// painters wrap one line in a style's escape sequences without going
// through lipgloss for each row: the rows are one cleaned line each, and a
// keypress that scrolls draws two of them, so this keeps it cheap.
type painters struct{ row, selected, pending, failed painter }

type painter struct{ pre, post string }

func newPainter(st lipgloss.Style) painter {
	const mark = "\x00"
	pre, post, _ := strings.Cut(st.Render(mark), mark)
	return painter{pre: pre, post: post}
}

func (p painter) paint(s string) string { return p.pre + s + p.post }

// New builds the screen; SetStore loads it.
func New(c *common.Common) *Model {
	f := common.NewInput(c.Styles, "/ ", "who:ada kind:stock since:2026-03-01 until:2026-03-14 SKU or title", 200)
	m := &Model{c: c, list: list.New(list.NewKeyMap(c.Keys)), filter: f}
	st := c.Styles
	m.paint = painters{row: newPainter(st.Row), selected: newPainter(st.Selected), pending: newPainter(st.Pending), failed: newPainter(st.Failed)}
	m.SetSize(c.Width, c.Height)
	return m
}

func (m *Model) Init() tea.Cmd { return nil }

// SetStore shows the ledger of storeID; on the account or admin ledger it
// only remembers the store for the switch back.
func (m *Model) SetStore(storeID int64) tea.Cmd {
	if m.ledger != storeLedger {
		m.storeID = storeID
		return nil
	}
	if storeID != m.storeID {
		m.storeID = storeID
		m.status.Set("", false)
		m.detail, m.plan = false, nil
	}
	return m.reload()
}

// switchLedger moves to the next ledger: the store's (when there is a
// store), the account's, the admin one (admin sessions), and round.
func (m *Model) switchLedger() tea.Cmd {
	next := m.ledger
	for {
		next = (next + 1) % 3
		if (next == storeLedger && m.storeID != 0) || next == accountLedger || (next == adminLedger && m.c.Actor.Account.IsAdmin) {
			break
		}
	}
	if next == m.ledger {
		return nil
	}
	m.ledger = next
	m.status.Set("", false)
	m.detail, m.plan = false, nil
	return m.reload()
}

// Ledger names the ledger shown: "store", "account" or "admin".
func (m *Model) Ledger() string { return [...]string{"store", "account", "admin"}[m.ledger] }

// shows tells whether a ledger is chosen (the store's needs a store).
func (m *Model) shows() bool { return m.ledger != storeLedger || m.storeID != 0 }

// read reads one page of the ledger shown, with the app functions the
// activity command uses for --store, --account and --admin.
func (m *Model) read(q app.ActivityQuery) func() ([]store.ActivityEvent, error) {
	c, actor := m.c, m.c.Actor
	q.Limit = pageSize
	switch m.ledger {
	case accountLedger:
		q.StoreID = 0
	case adminLedger:
		return func() ([]store.ActivityEvent, error) { return c.App.AdminActivity(c.Ctx, actor, q) }
	default:
		q.StoreID = m.storeID
	}
	return func() ([]store.ActivityEvent, error) { return c.App.Activity(c.Ctx, actor, q) }
}

// live tells whether event e may add to the ledger shown.
func (m *Model) live(e hub.Event) bool {
	switch m.ledger {
	case accountLedger:
		return e.Kind == hub.ActivityAdded && e.StoreID == 0 && e.AccountID == m.c.Actor.Account.ID
	case adminLedger:
		return e.Kind == hub.ActivityAdded
	}
	if e.StoreID != m.storeID {
		return false
	}
	switch e.Kind {
	case hub.StockChanged, hub.ActivityAdded, hub.StoreChanged:
		return true
	}
	return false
}

// Events are the events loaded, newest first.
func (m *Model) Events() []store.ActivityEvent { return m.events }

// Selected is the event under the cursor.
func (m *Model) Selected() (store.ActivityEvent, bool) {
	if len(m.events) == 0 {
		return store.ActivityEvent{}, false
	}
	return m.events[m.list.Cursor()], true
}

// Status is the line left by the last undo.
func (m *Model) Status() string { return m.status.Text }

// Capturing tells the root that keys are text while the filter is open.
func (m *Model) Capturing() bool { return m.filtering }

// SetSize leaves the title, the column header, the selected event's line
// and the status line around the list.
func (m *Model) SetSize(width, height int) {
	if width != m.width {
		clear(m.lines)
		m.colHeader = ""
	}
	m.width, m.height = width, height
	m.list.SetHeight(height - 4)
	m.filter.SetWidth(max(width-4, 10))
}

// reload reads the newest page again, for a new store or a new filter.
func (m *Model) reload() tea.Cmd {
	m.events, m.lines, m.end = nil, nil, false
	m.list.Clear()
	m.loads.Reset()
	return m.more()
}

// more reads the page after the last loaded event.
func (m *Model) more() tea.Cmd {
	if !m.shows() || m.loads.Loading() || m.end {
		return nil
	}
	q := m.query
	if n := len(m.events); n > 0 {
		q.Before = m.events[n-1].ID
	}
	seq, read := m.loads.Begin(), m.read(q)
	return func() tea.Msg {
		evs, err := read()
		return pageMsg{seq: seq, before: q.Before, events: evs, err: err}
	}
}

// newer reads what arrived above the newest event shown.
func (m *Model) newer() tea.Cmd {
	if !m.shows() {
		return nil
	}
	if len(m.events) == 0 {
		return m.reload()
	}
	seq, read := m.loads.Seq(), m.read(m.query)
	return func() tea.Msg {
		evs, err := read()
		return newerMsg{seq: seq, events: evs, err: err}
	}
}

func (m *Model) Update(msg tea.Msg) (common.Component, tea.Cmd) {
	switch msg := msg.(type) {
	case pageMsg:
		var next tea.Cmd
		m.loads.Take(msg.seq, msg.err, &m.err, func() {
			m.events = append(m.events, msg.events...)
			m.lines = append(m.lines, make([]string, len(msg.events))...)
			m.end = len(msg.events) < pageSize
			m.list.SetLen(len(m.events))
			next = m.prefetch()
		})
		return m, next
	case newerMsg:
		if !m.loads.Fresh(msg.seq) || msg.err != nil || len(m.events) == 0 {
			return m, nil
		}
		top := m.events[0].ID
		n := 0
		for n < len(msg.events) && msg.events[n].ID > top {
			n++
		}
		if n == len(msg.events) && n > 0 {
			return m, m.reload() // more arrived than a page: start again from the newest
		}
		if n > 0 {
			m.events = append(append(make([]store.ActivityEvent, 0, len(m.events)+n), msg.events[:n]...), m.events...)
			m.lines = append(make([]string, n), m.lines...)
			cur := m.list.Cursor()
			m.list.SetLen(len(m.events))
			if cur > 0 { // keep the selected event selected; at the top, show the newest
				m.list.SetCursor(cur + n)
			}
		}
		// The rest of the page is what was already shown, read again: an
		// edit's Etsy outcome may have come in since.
		for i := n; i < len(msg.events) && i < len(m.events); i++ {
			if m.events[i].ID == msg.events[i].ID {
				m.events[i], m.lines[i] = msg.events[i], ""
			}
		}
	case planMsg:
		if msg.err != nil {
			m.status.Set("Cannot undo: "+msg.err.Error(), true)
			return m, nil
		}
		m.plan = msg.plan
	case undoneMsg:
		if msg.err != nil {
			m.status.Set("Undo failed: "+undoError(msg.err), true)
			return m, nil
		}
		m.status.Set(fmt.Sprintf("Undid #%d: %d row(s) queued for Etsy.", msg.event, msg.rows), false)
		return m, m.newer()
	case common.LiveMsg:
		if m.live(msg.Event) {
			return m, m.newer()
		}
	case tea.KeyPressMsg:
		return m, m.key(msg)
	}
	return m, nil
}

// prefetch reads the next page when the window nears the end of what is
// loaded, so scrolling down never waits at the bottom.
func (m *Model) prefetch() tea.Cmd {
	if m.list.Cursor()+2*m.list.Height() >= len(m.events) {
		return m.more()
	}
	return nil
}

func (m *Model) key(msg tea.KeyPressMsg) tea.Cmd {
	k := m.c.Keys
	switch {
	case m.filtering:
		return m.filterKey(msg)
	case m.plan != nil:
		return m.confirmKey(msg)
	case m.detail:
		if key.Matches(msg, k.Back) || key.Matches(msg, k.Enter) {
			m.detail = false
		}
		if key.Matches(msg, k.Undo) {
			m.detail = false
			return m.planUndo()
		}
		return nil
	case m.list.Update(msg):
		return m.prefetch()
	case key.Matches(msg, k.Enter):
		if len(m.events) > 0 {
			m.detail = true
		}
	case key.Matches(msg, k.Filter):
		m.filtering = true
		return m.filter.Focus()
	case key.Matches(msg, k.Back):
		if m.queryText != "" {
			m.filter.Reset()
			return m.applyFilter()
		}
	case key.Matches(msg, k.Undo):
		return m.planUndo()
	case key.Matches(msg, k.Ledger):
		return m.switchLedger()
	case key.Matches(msg, k.Refresh):
		return m.reload()
	}
	return nil
}

func (m *Model) filterKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.c.Keys
	switch {
	case key.Matches(msg, k.Save):
		m.filtering = false
		m.filter.Blur()
		return m.applyFilter()
	case key.Matches(msg, k.Cancel):
		m.filtering = false
		m.filter.Blur()
		m.filter.SetValue(m.queryText)
		return nil
	}
	var cmd tea.Cmd
	m.filter, cmd = m.filter.Update(msg)
	return cmd
}

// applyFilter reads the filter line and loads what it selects.
func (m *Model) applyFilter() tea.Cmd {
	q, err := ParseFilter(m.filter.Value(), m.c.Now())
	if err != nil {
		m.status.Set(err.Error(), true)
		return nil
	}
	m.query, m.queryText = q, strings.TrimSpace(m.filter.Value())
	m.status.Set("", false)
	return m.reload()
}

// ParseFilter reads the filter line: who:NAME, kind:KIND, since:DATE and
// until:DATE (a date includes that day; 7d and 12h count back from now),
// and any other words as text to find in the SKU or title.
func ParseFilter(s string, now time.Time) (app.ActivityQuery, error) {
	var q app.ActivityQuery
	var text []string
	for _, w := range strings.Fields(s) {
		name, v, ok := strings.Cut(w, ":")
		switch {
		case ok && name == "who":
			q.Who = v
		case ok && name == "kind":
			q.Kind = v
		case ok && (name == "since" || name == "until"):
			t, err := app.ParseWhen(v, now, name == "until")
			if err != nil {
				return q, fmt.Errorf("%s:%w", name, err)
			}
			if name == "since" {
				q.Since = t
			} else {
				q.Until = t
			}
		default:
			text = append(text, w)
		}
	}
	q.Text = strings.Join(text, " ")
	return q, nil
}

// planUndo works out the undo of the selected event, off the update loop;
// the confirmation shows what it would set.
func (m *Model) planUndo() tea.Cmd {
	ev, ok := m.Selected()
	if !ok {
		return nil
	}
	if !ev.Undoable() {
		m.status.Set("Only stock edits made in Stockroom can be undone.", true)
		return nil
	}
	c, actor := m.c, m.c.Actor
	return func() tea.Msg {
		plan, err := c.App.PlanUndo(c.Ctx, actor, app.UndoParams{EventID: ev.ID})
		return planMsg{plan: plan, err: err}
	}
}

func (m *Model) confirmKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.c.Keys
	plan := m.plan
	moved := len(plan.Moved()) > 0
	switch {
	case key.Matches(msg, k.Cancel):
		m.plan = nil
		m.status.Set("Undo cancelled.", false)
	case key.Matches(msg, k.Save) && !moved, key.Matches(msg, k.Force) && moved:
		m.plan = nil
		c, actor := m.c, m.c.Actor
		return func() tea.Msg {
			rows, err := c.App.ApplyUndo(c.Ctx, actor, plan, moved, store.SourceTUI)
			return undoneMsg{event: plan.Lines[0].Event.ID, rows: len(rows), err: err}
		}
	}
	return nil
}

func undoError(err error) string {
	var stale *store.StaleError
	if errors.As(err, &stale) {
		return fmt.Sprintf("%s changed meanwhile (now %d): press u again", stale.Current.SKU, stale.Current.Shown())
	}
	return err.Error()
}

func (m *Model) View() string {
	s := m.c.Styles
	switch {
	case m.filtering:
		return m.header() + "\n" + m.filter.View()
	case m.plan != nil:
		return m.header() + "\n" + m.confirmView()
	case m.detail:
		if ev, ok := m.Selected(); ok {
			return m.detailView(ev)
		}
	}
	lines := []string{m.header()}
	switch {
	case m.err != nil:
		lines = append(lines, s.ErrorLine(m.err, m.width))
	case !m.shows():
		lines = append(lines, s.Muted.Render("No store selected: v shows your account's ledger."))
	case len(m.events) == 0:
		if !m.loads.Loading() {
			lines = append(lines, s.Muted.Render("No changes recorded yet."))
		}
	default:
		if m.colHeader == "" {
			m.colHeader = s.Header.Render(common.Fit(row("When", "Who", "Source", "Kind", "Subject", "Change", "Etsy"), m.width))
		}
		lines = append(lines, m.colHeader)
		for i := range m.list.Visible() {
			lines = append(lines, m.line(i))
		}
	}
	if st := m.status.View(s, m.width); st != "" {
		lines = append(lines, st)
	}
	return strings.Join(lines, "\n")
}

// headerKey is what the title line shows, to redraw it only when it changes.
type headerKey struct {
	n            int
	end, loading bool
	query        string
	width        int
	ledger       ledger
}

func (m *Model) header() string {
	k := headerKey{len(m.events), m.end, m.loads.Loading(), m.queryText, m.width, m.ledger}
	if k != m.headerKey || m.headerText == "" {
		m.headerKey, m.headerText = k, m.drawHeader()
	}
	return m.headerText
}

func (m *Model) drawHeader() string {
	s := m.c.Styles
	n := strconv.Itoa(len(m.events))
	if !m.end {
		n += "+"
	}
	title := s.Title.Render("Activity") + s.Muted.Render(" · "+n+" changes")
	switch m.ledger {
	case accountLedger:
		title += s.Muted.Render(" · your account's ledger")
	case adminLedger:
		title += s.Muted.Render(" · admin ledger: every admin action")
	}
	if m.queryText != "" {
		title += s.Muted.Render(" · filter: " + safetext.Line(m.queryText, 40))
	}
	return common.Fit(s.Busy(title, &m.loads), m.width)
}

// line draws row i. Its text is kept once made, so a keypress that scrolls
// makes the text of one row and only restyles the rest.
func (m *Model) line(i int) string {
	if m.lines[i] == "" {
		m.lines[i] = m.text(i)
	}
	if i == m.list.Cursor() {
		return m.paint.selected.paint(m.lines[i])
	}
	switch outcome(m.events[i]) {
	case "failed":
		return m.paint.failed.paint(m.lines[i])
	case "pending":
		return m.paint.pending.paint(m.lines[i])
	}
	return m.paint.row.paint(m.lines[i])
}

func (m *Model) text(i int) string {
	e := m.events[i]
	subject := e.Subject
	if e.Title != "" {
		subject += " " + e.Title
	}
	return common.Fit(row(e.CreatedAt.UTC().Format("01-02 15:04:05"), safetext.Line(e.Who(), 16), string(e.Source), string(e.Kind),
		safetext.Line(subject, 40), safetext.Line(change(e), 24), outcome(e)), m.width)
}

func row(when, who, source, kind, subject, change, etsy string) string {
	pad := common.Pad
	return pad(when, 16) + pad(who, 14) + pad(source, 9) + pad(kind, 18) + pad(subject, 30) + pad(change, 18) + etsy
}

func change(e store.ActivityEvent) string {
	switch {
	case e.Before == "" && e.After == "":
		return ""
	case e.Before == "":
		return e.After
	}
	return e.Before + " → " + e.After
}

// outcome is what Etsy made of a stock edit: pending, pushed or failed.
func outcome(e store.ActivityEvent) string {
	switch {
	case e.Kind != store.KindStockSet:
		return ""
	case e.Outcome == nil:
		return "pending"
	case e.Outcome.Kind == store.KindStockPushFailed:
		return "failed"
	}
	return "pushed"
}

func (m *Model) detailView(e store.ActivityEvent) string {
	s := m.c.Styles
	field := func(name, v string) string {
		return s.Muted.Render(common.Pad(name, 12)) + safetext.Line(v, max(1, m.width-12))
	}
	who := e.Who()
	if e.ActorKey != "" {
		who += " (" + e.ActorKey + ")"
	}
	lines := []string{s.Title.Render(fmt.Sprintf("Change #%d", e.ID)),
		field("When", e.CreatedAt.UTC().Format(time.RFC3339)),
		field("Who", who),
		field("Source", string(e.Source)),
		field("Kind", string(e.Kind)),
		field("Subject", e.Subject),
		field("Title", e.Title),
		field("Change", change(e)),
	}
	if o := outcome(e); o != "" {
		etsy := o
		if e.Outcome != nil {
			etsy += fmt.Sprintf(" (Etsy has %d", e.Outcome.Etsy)
			if e.Outcome.Note != "" {
				etsy += ": " + e.Outcome.Note
			}
			etsy += ")"
		}
		lines = append(lines, field("Etsy", etsy))
	}
	if e.BatchID != "" {
		lines = append(lines, field("Batch", e.BatchID))
	}
	if e.UndoOf != 0 {
		lines = append(lines, field("Undoes", "#"+strconv.FormatInt(e.UndoOf, 10)))
	}
	if e.Note != "" {
		lines = append(lines, field("Note", e.Note))
	}
	help := "esc closes"
	if e.Undoable() {
		help = "u undoes this change · " + help
	}
	lines = append(lines, "", s.Help.Render(help))
	return strings.Join(lines, "\n")
}

func (m *Model) confirmView() string {
	s := m.c.Styles
	l := m.plan.Lines[0]
	subject := safetext.Line(l.Event.Subject, 40)
	if !l.Moved {
		return s.Dialog.Render(fmt.Sprintf("Undo #%d: set %s back from %d to %d?\n\n", l.Event.ID, subject, l.Now, l.To) +
			s.Help.Render("enter undoes · esc cancels"))
	}
	return s.Dialog.Render(fmt.Sprintf("%s changed since #%d (%s → %s): it is %d now.\n"+
		"Setting %d back would erase what happened since.\n\n", subject, l.Event.ID, safetext.Line(l.Event.Before, 12), safetext.Line(l.Event.After, 12), l.Now, l.Event.BeforeQty) +
		s.Help.Render(fmt.Sprintf("f applies the reverse change (→ %d) · esc cancels", l.To)))
}

func (m *Model) ShortHelp() []key.Binding {
	k := m.c.Keys
	switch {
	case m.filtering:
		return []key.Binding{common.Relabel(k.Save, "apply"), k.Cancel}
	case m.plan != nil && len(m.plan.Moved()) > 0:
		return []key.Binding{k.Force, k.Cancel}
	case m.plan != nil:
		return []key.Binding{common.Relabel(k.Save, "undo"), k.Cancel}
	case m.detail:
		return []key.Binding{k.Undo, k.Back}
	}
	return []key.Binding{k.Down, k.Up, common.Relabel(k.Enter, "detail"), k.Filter, k.Undo, k.Ledger}
}

func (m *Model) FullHelp() [][]key.Binding {
	k := m.c.Keys
	return [][]key.Binding{m.list.Keys().Bindings(), {common.Relabel(k.Enter, "detail"), k.Filter, k.Undo, k.Ledger, k.Refresh}}
}

var _ common.Component = (*Model)(nil)
