// Package inventory is the Inventory screen: every listing × variation of
// the current store, virtualised so a keypress costs what the visible rows
// cost, with a fuzzy filter, sorting, a jump to low stock, an inline stock
// editor, per-row low-stock thresholds and the row's history.
package inventory

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
	"github.com/charmbracelet/x/ansi"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/safetext"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/tui/common"
	"github.com/stockroom/stockroom/tui/components/list"
)

// editMode says what the inline editor edits.
type editMode int

const (
	editNone editMode = iota
	editStock
	editThreshold
)

// historyLimit is how many events the history panel shows.
const historyLimit = 50

// Model is the Inventory screen.
type Model struct {
	c *common.Common

	storeID int64
	role    store.Role
	loads   common.Loads // a load of another store, or an older one, is dropped
	loadErr error

	snap *app.Snapshot
	// order is every row that is still on Etsy, sorted; shared with the
	// other sessions on the same snapshot (sortedOf), so never modified.
	order []int32
	view  []int32 // the rows the filter keeps, in order; order itself when no filter

	cursor, offset int
	col            column
	desc           bool

	filtering bool
	filter    textinput.Model
	q         query

	mode      editMode
	edit      string
	editFresh bool // the first digit replaces the value shown
	// editTyped is set once a digit or backspace changed the value: an
	// edit made only with +/- is a change relative to Etsy's count (an
	// add), a typed one the seller's count (a set).
	editTyped   bool
	editID      int64
	editVersion int64

	history *historyPanel

	note    string
	noteErr bool
	// pushNote is the offering whose push the note reports as under way
	// (0: none), so the note follows the push to Etsy's verdict instead of
	// saying "pushing" next to a row that says "pushed".
	pushNote int64

	width, height int

	// lines caches drawn rows that are not under the cursor. Rows are
	// immutable and replaced by new pointers when they change, so the key
	// is the row itself.
	lines       map[*store.InventoryRow]string
	linesStyles *common.Styles
	lay         layout
	need        need // the widest SKU and variation, for the layout

	// The column header and the footer, kept with what they were drawn
	// from: every session of a store draws its frame again for each live
	// event the store has (an edit, its push, the ledger's entry), and
	// these two lines rarely change with it.
	headerMemo memo[headerKey]
	footerMemo memo[footerKey]
	// The row under the cursor, kept with what it was drawn from like the
	// other rows in lines: a live event redraws every session's frame,
	// and the cursor's row (drawn in the selection style, with the editor
	// when open) is otherwise the one row drawn again each time. An edit
	// of that row replaces its pointer, which draws it anew.
	selectedMemo memo[selectedKey]
}

// selectedKey is what the row under the cursor is drawn from.
type selectedKey struct {
	row    *store.InventoryRow
	st     *common.Styles
	lay    layout
	width  int
	mode   editMode
	edit   string
	editID int64
}

// memo is one drawn string and the key it was drawn from.
type memo[K comparable] struct {
	key K
	val string
	ok  bool
}

// get returns what draw returns for key, drawing only when key changed.
func (m *memo[K]) get(key K, draw func() string) string {
	if !m.ok || m.key != key {
		m.key, m.val, m.ok = key, draw(), true
	}
	return m.val
}

type headerKey struct {
	st   *common.Styles
	lay  layout
	col  column
	desc bool
}

// footerKey is a footer line: its text, its width and its style.
type footerKey struct {
	st    *common.Styles
	style int // footerMuted, footerSuccess, footerError or footerFailed
	text  string
	width int
}

const (
	footerMuted = iota
	footerSuccess
	footerError
	footerFailed
)

type historyPanel struct {
	offeringID int64
	title      string
	events     []store.StockEvent
	loading    bool
}

// New returns the screen with no store; SetStore loads one.
func New(c *common.Common) *Model {
	f := common.NewInput(c.Styles, "/", "title, SKU or variation", 100)
	return &Model{c: c, filter: f, lines: map[*store.InventoryRow]string{}}
}

// Messages the screen's commands answer with.
type (
	loadedMsg struct {
		seq  int
		snap *app.Snapshot
		role store.Role
		err  error
	}
	snapMsg struct {
		storeID int64
		snap    *app.Snapshot
		err     error
	}
	savedMsg struct {
		storeID    int64
		offeringID int64
		snap       *app.Snapshot
		note       string
		typed      int  // the quantity the seller entered
		stock      bool // a stock edit, which a push to Etsy follows
		err        error
	}
	historyMsg struct {
		offeringID int64
		events     []store.StockEvent
		err        error
	}
)

// StoreID is the store shown (0: none).
func (m *Model) StoreID() int64 { return m.storeID }

// SetStore shows another store and starts loading it.
func (m *Model) SetStore(storeID int64) tea.Cmd {
	m.storeID, m.role, m.snap, m.order, m.view = storeID, "", nil, nil, nil
	m.cursor, m.offset, m.mode, m.history = 0, 0, editNone, nil
	m.setNote("", false)
	clear(m.lines)
	if storeID == 0 {
		m.loads.Reset()
		return nil
	}
	m.loadErr = nil
	return m.loads.ReadStore(m.c, storeID, func(c *common.Common, storeID int64, seq int) tea.Msg {
		snap, ms, err := c.Snapshots.OpenSince(c.Ctx, c.Actor, storeID, c.LiveSince)
		return loadedMsg{seq: seq, snap: snap, role: ms.Role, err: err}
	})
}

// Capturing tells the root that keys are text for this screen (the filter
// or the editor is open), so global keys such as q or tab must not fire.
func (m *Model) Capturing() bool { return m.filtering || m.mode != editNone }

// Loading tells whether the store's rows are still being read.
func (m *Model) Loading() bool { return m.loads.Loading() }

func (m *Model) Init() tea.Cmd { return nil }

func (m *Model) SetSize(width, height int) {
	if width != m.width {
		clear(m.lines)
	}
	m.width, m.height = width, height
	m.lay = newLayout(width, m.need)
	m.filter.SetWidth(max(width-4, 10))
	m.clampOffset()
}

// visible is the number of rows that fit: the page less its header and
// footer lines.
func (m *Model) visible() int { return max(m.height-2, 1) }

// rebuild recomputes the order from the snapshot and reapplies the filter,
// keeping the cursor on the same offering when it is still shown.
func (m *Model) rebuild() { m.sortKeeping(m.currentID()) }

// sortKeeping takes the snapshot's order by the current column, measures
// it for the layout, reapplies the filter and puts the cursor back on
// offering keep. keep is taken by the caller before it touches the order.
func (m *Model) sortKeeping(keep int64) {
	o := sortedOf(m.snap, m.col, m.desc)
	m.order = o.order
	if o.need != m.need {
		m.need = o.need
		m.lay = newLayout(m.width, o.need)
		clear(m.lines)
	}
	m.applyFilter(false)
	m.moveTo(keep)
}

func (m *Model) rowAt(i int32) *store.InventoryRow { return m.snap.Row(int(i)) }

// applyFilter computes view from order, or from the current view when the
// query only grew (narrowing never needs rows the last query dropped).
func (m *Model) applyFilter(narrowing bool) {
	if len(m.q) == 0 {
		m.view = m.order
		return
	}
	src := m.order
	if narrowing && len(m.view) > 0 && &m.view[0] != &m.order[0] {
		src = m.view
	}
	out := make([]int32, 0, min(len(src), 1024))
	for _, i := range src {
		if m.q.matches(m.rowAt(i)) {
			out = append(out, i)
		}
	}
	m.view = out
}

func (m *Model) currentID() int64 {
	if r := m.current(); r != nil {
		return r.OfferingID
	}
	return 0
}

func (m *Model) current() *store.InventoryRow {
	if m.snap == nil || m.cursor < 0 || m.cursor >= len(m.view) {
		return nil
	}
	return m.rowAt(m.view[m.cursor])
}

// moveTo puts the cursor on an offering when the view holds it.
func (m *Model) moveTo(offeringID int64) {
	if offeringID != 0 {
		if pos, ok := m.snap.Index(offeringID); ok {
			for i, v := range m.view {
				if int(v) == pos {
					m.cursor = i
					m.clampOffset()
					return
				}
			}
		}
	}
	m.cursor = min(m.cursor, max(len(m.view)-1, 0))
	m.clampOffset()
}

func (m *Model) clampOffset() {
	vis := m.visible()
	if m.cursor < m.offset {
		m.offset = m.cursor
	}
	if m.cursor >= m.offset+vis {
		m.offset = m.cursor - vis + 1
	}
	m.offset = max(min(m.offset, len(m.view)-vis), 0)
}

func (m *Model) move(delta int) {
	if len(m.view) == 0 {
		return
	}
	m.cursor = max(min(m.cursor+delta, len(m.view)-1), 0)
	m.clampOffset()
}

func (m *Model) setNote(text string, isErr bool) { m.note, m.noteErr, m.pushNote = text, isErr, 0 }

// followPush replaces the "pushing to Etsy" note with the push's outcome
// once the row it is about is no longer pending.
func (m *Model) followPush() {
	if m.pushNote == 0 || m.snap == nil {
		return
	}
	pos, ok := m.snap.Index(m.pushNote)
	if !ok {
		m.setNote("", false)
		return
	}
	switch r := m.snap.Row(pos); {
	case r.Gone:
		m.setNote("", false)
	case r.Pending():
	case r.PushStatus == store.PushFailed && r.PushError != "":
		m.setNote("Etsy refused the last push: "+app.SellerError(r.PushError, ""), true)
	case r.PushStatus == store.PushFailed:
		m.setNote("Etsy refused the last push", true)
	default:
		m.setNote(fmt.Sprintf("%d is on Etsy", r.Quantity), false)
	}
}

// Update handles keys, mouse wheel, live events and command answers.
func (m *Model) Update(msg tea.Msg) (common.Component, tea.Cmd) {
	switch msg := msg.(type) {
	case loadedMsg:
		m.loads.Take(msg.seq, msg.err, &m.loadErr, func() {
			m.snap, m.role = msg.snap, msg.role
			m.rebuild()
		})
	case snapMsg:
		if msg.storeID != m.storeID || m.snap == nil {
			return m, nil
		}
		if msg.err != nil {
			m.setNote("reload failed: "+errText(msg.err), true)
			return m, nil
		}
		m.adopt(msg.snap)
		m.followPush()
	case savedMsg:
		return m, m.saved(msg)
	case historyMsg:
		if m.history == nil || m.history.offeringID != msg.offeringID {
			return m, nil
		}
		m.history.loading = false
		if msg.err != nil {
			m.history = nil
			m.setNote("history: "+errText(msg.err), true)
			return m, nil
		}
		m.history.events = msg.events
	case roleMsg:
		if msg.storeID == m.storeID {
			m.role = msg.role
		}
	case common.LiveMsg:
		return m, m.live(msg.Event)
	case tea.MouseWheelMsg:
		if m.history != nil || m.mode != editNone {
			return m, nil
		}
		switch msg.Button {
		case tea.MouseWheelUp:
			m.move(-3)
		case tea.MouseWheelDown:
			m.move(3)
		}
	case tea.KeyPressMsg:
		return m, m.key(msg)
	}
	return m, nil
}

// adopt switches to a newer snapshot of the same store. Positions stay the
// same when only rows changed, so the order is kept and rows do not jump
// under the cursor; a reload rebuilds it.
func (m *Model) adopt(s *app.Snapshot) {
	if s == m.snap {
		return
	}
	old := m.snap
	m.snap = s
	if s.Len() != old.Len() || !s.LoadedAt.Equal(old.LoadedAt) {
		m.rebuild()
	}
}

func (m *Model) live(e hub.Event) tea.Cmd {
	if e.Kind == hub.AccountChanged && m.loadErr != nil && m.storeID != 0 {
		// The account was enabled again, or its access changed: the
		// refusal on screen may no longer hold.
		return m.SetStore(m.storeID)
	}
	if m.snap == nil || e.StoreID != m.storeID {
		return nil
	}
	if e.Kind == hub.MembersChanged {
		if e.AccountID != m.c.Actor.Account.ID {
			return nil
		}
		return m.loadRole() // an owner changed this account's role
	}
	switch e.Kind {
	case hub.StockChanged, hub.SyncFinished, hub.StoreChanged:
	default:
		return nil
	}
	ids := e.OfferingIDs
	if e.Kind != hub.StockChanged || containsZero(ids) {
		ids = nil // a sync or a listing-wide change: reload the list
	}
	var refreshRole tea.Cmd
	if e.Kind == hub.StoreChanged {
		refreshRole = m.loadRole()
	}
	// The event's own time, not this session's: every session that got
	// the event then shares the one read made after it (see
	// app.Snapshots.Refresh), however late its turn to handle it comes.
	seen := e.At
	if seen.IsZero() {
		seen = time.Now()
	}
	return tea.Batch(m.refresh(ids, seen), refreshRole)
}

func containsZero(ids []int64) bool {
	for _, id := range ids {
		if id == 0 {
			return true
		}
	}
	return false
}

// refresh asks the shared cache for the rows an event names.
func (m *Model) refresh(ids []int64, seen time.Time) tea.Cmd {
	c, storeID := m.c.Copy(), m.storeID
	return func() tea.Msg {
		snap, err := c.Snapshots.Refresh(c.Ctx, c.Actor, storeID, ids, seen)
		return snapMsg{storeID: storeID, snap: snap, err: err}
	}
}

// loadRole reads the actor's role again (an owner may have changed it).
func (m *Model) loadRole() tea.Cmd {
	c, storeID := m.c.Copy(), m.storeID
	return func() tea.Msg {
		ms, err := c.App.Store(c.Ctx, c.Actor, storeID)
		if err != nil {
			return snapMsg{storeID: storeID, err: err}
		}
		return roleMsg{storeID: storeID, role: ms.Role}
	}
}

type roleMsg struct {
	storeID int64
	role    store.Role
}

func (m *Model) key(msg tea.KeyPressMsg) tea.Cmd {
	k := m.c.Keys
	if m.history != nil {
		if key.Matches(msg, k.Back, k.History, k.Enter) {
			m.history = nil
		}
		return nil
	}
	if m.mode != editNone {
		return m.editKey(msg)
	}
	if m.filtering {
		return m.filterKey(msg)
	}
	// The filter needs no rows to open: what is typed while they load
	// applies when they arrive (rebuild reapplies the query).
	if key.Matches(msg, k.Filter) {
		m.filtering = true
		return m.filter.Focus()
	}
	if m.snap == nil {
		return nil
	}
	m.setNote("", false)
	if d, ok := list.NewKeyMap(k).Step(msg, m.visible(), len(m.view)); ok {
		m.move(d)
		return nil
	}
	switch {
	case key.Matches(msg, k.Back):
		if len(m.q) > 0 {
			m.clearFilter()
		}
	case key.Matches(msg, k.Sort):
		m.col = (m.col + 1) % numColumns
		m.desc = false
		m.resort()
	case key.Matches(msg, k.SortReverse):
		m.desc = !m.desc
		m.resort()
	case key.Matches(msg, k.JumpLow):
		m.jumpLow()
	case key.Matches(msg, k.Edit):
		m.openEditor(editStock)
	case key.Matches(msg, k.Threshold):
		m.openEditor(editThreshold)
	case key.Matches(msg, k.History):
		return m.openHistory()
	case key.Matches(msg, k.Refresh):
		return m.refresh(nil, time.Now())
	}
	return nil
}

func (m *Model) clearFilter() {
	keep := m.currentID()
	m.filter.Reset()
	m.q = nil
	m.applyFilter(false)
	m.moveTo(keep)
}

func (m *Model) resort() { m.sortKeeping(m.currentID()) }

// jumpLow moves to the next row at or below its threshold, wrapping.
func (m *Model) jumpLow() {
	n := len(m.view)
	for step := 1; step <= n; step++ {
		i := (m.cursor + step) % n
		if m.rowAt(m.view[i]).Low() {
			m.cursor = i
			m.clampOffset()
			return
		}
	}
	m.setNote("no row is low on stock", false)
}

func (m *Model) filterKey(msg tea.KeyPressMsg) tea.Cmd {
	switch msg.String() {
	case "enter":
		m.filtering = false
		m.filter.Blur()
		return nil
	case "esc":
		m.filtering = false
		m.filter.Blur()
		m.clearFilter()
		return nil
	}
	before := m.filter.Value()
	var cmd tea.Cmd
	m.filter, cmd = m.filter.Update(msg)
	if after := m.filter.Value(); after != before {
		keep := m.currentID()
		m.q = newQuery(after)
		m.applyFilter(strings.HasPrefix(after, before))
		m.cursor = 0
		m.moveTo(keep)
	}
	return cmd
}

func (m *Model) openEditor(mode editMode) {
	r := m.current()
	if r == nil {
		return
	}
	if !m.role.CanEdit() {
		m.setNote("viewers cannot edit", true)
		return
	}
	m.mode, m.editID, m.editVersion, m.editFresh, m.editTyped = mode, r.OfferingID, r.Version, true, false
	if mode == editStock {
		m.edit = strconv.Itoa(r.Shown())
	} else {
		m.edit = strconv.Itoa(r.Threshold)
	}
	m.setNote("", false)
}

// maxEditDigits bounds what the editor takes: enough to show an
// out-of-range number as typed, not a screenful.
const maxEditDigits = 6

func (m *Model) editKey(msg tea.KeyPressMsg) tea.Cmd {
	s := msg.String()
	switch {
	case s == "esc":
		m.mode = editNone
		m.setNote("", false)
		return nil
	case s == "enter":
		return m.commitEdit()
	case s == "backspace":
		m.editFresh, m.editTyped = false, true
		if m.edit != "" {
			m.edit = m.edit[:len(m.edit)-1]
		}
	case key.Matches(msg, m.c.Keys.Inc), key.Matches(msg, m.c.Keys.Dec):
		n, _ := strconv.Atoi(m.edit)
		if key.Matches(msg, m.c.Keys.Inc) {
			n++
		} else {
			n--
		}
		if err := app.CheckQuantity(n); err != nil {
			m.setNote(err.Error(), true)
			return nil
		}
		m.edit, m.editFresh = strconv.Itoa(n), false
	case len(s) == 1 && s[0] >= '0' && s[0] <= '9':
		next := m.edit + s
		if m.editFresh {
			next = s
		}
		if len(next) > maxEditDigits {
			return nil
		}
		// Keep what was typed, even out of range: dropping the digit would
		// leave a number the seller did not type (1000 read as 100), which
		// enter would then save. Enter refuses it instead.
		n, _ := strconv.Atoi(next)
		m.edit, m.editFresh, m.editTyped = strconv.Itoa(n), false, true
		if err := app.CheckQuantity(n); err != nil {
			m.setNote(err.Error(), true)
			return nil
		}
	default:
		m.setNote("type a number from 0 to 999, +/- to step, enter to save, esc to cancel", false)
		return nil
	}
	m.setNote("", false)
	return nil
}

func (m *Model) commitEdit() tea.Cmd {
	mode := m.mode
	m.mode = editNone
	c, storeID, id, version := m.c.Copy(), m.storeID, m.editID, m.editVersion
	if mode == editThreshold {
		var th *int
		if m.edit != "" {
			n, _ := strconv.Atoi(m.edit)
			if err := app.CheckQuantity(n); err != nil {
				m.setNote(err.Error(), true)
				m.mode = editThreshold
				return nil
			}
			th = &n
		}
		return func() tea.Msg {
			err := c.App.SetThreshold(c.Ctx, c.Actor, store.ThresholdSetParams{StoreID: storeID, OfferingID: id, Threshold: th})
			if err != nil {
				return savedMsg{storeID: storeID, offeringID: id, err: err}
			}
			snap, err := c.Snapshots.Refresh(c.Ctx, c.Actor, storeID, []int64{id}, time.Now())
			note := "threshold cleared"
			if th != nil {
				note = fmt.Sprintf("low-stock threshold set to %d", *th)
			}
			return savedMsg{storeID: storeID, offeringID: id, snap: snap, note: note, err: err}
		}
	}
	if m.edit == "" {
		m.setNote("type a quantity from 0 to 999", true)
		m.mode = editStock
		return nil
	}
	qty, _ := strconv.Atoi(m.edit)
	if err := app.CheckQuantity(qty); err != nil {
		m.setNote(err.Error(), true)
		m.mode = editStock
		return nil
	}
	kind := store.EditSet
	if !m.editTyped {
		kind = store.EditAdd
	}
	return func() tea.Msg {
		_, err := c.App.SetStock(c.Ctx, c.Actor, app.StockParams{StoreID: storeID, Source: store.SourceTUI,
			Edits: []store.StockEditItem{{OfferingID: id, Version: version, Kind: kind, Quantity: qty}}})
		if err != nil {
			var snap *app.Snapshot
			var stale *store.StaleError
			if errors.As(err, &stale) {
				// Show the row as it is now, alongside the message.
				snap, _ = c.Snapshots.Refresh(c.Ctx, c.Actor, storeID, []int64{id}, time.Now())
			}
			return savedMsg{storeID: storeID, offeringID: id, snap: snap, typed: qty, err: err}
		}
		snap, err := c.Snapshots.Refresh(c.Ctx, c.Actor, storeID, []int64{id}, time.Now())
		return savedMsg{storeID: storeID, offeringID: id, snap: snap, note: fmt.Sprintf("saved %d: pushing to Etsy", qty), stock: true, err: err}
	}
}

func (m *Model) saved(msg savedMsg) tea.Cmd {
	if msg.storeID != m.storeID {
		return nil
	}
	if msg.snap != nil && m.snap != nil {
		m.adopt(msg.snap)
	}
	var stale *store.StaleError
	switch {
	case msg.err == nil:
		m.setNote(msg.note, false)
		if msg.stock {
			m.pushNote = msg.offeringID
			m.followPush()
		}
	case errors.As(msg.err, &stale):
		m.setNote(fmt.Sprintf("changed elsewhere (now %d): your %d was not saved; e to edit again", stale.Current.Shown(), msg.typed), true)
	case errors.Is(msg.err, app.ErrViewer):
		m.setNote("viewers cannot edit", true)
	default:
		m.setNote(errText(msg.err), true)
	}
	return nil
}

func (m *Model) openHistory() tea.Cmd {
	r := m.current()
	if r == nil {
		return nil
	}
	m.history = &historyPanel{offeringID: r.OfferingID, title: r.Title + " · " + r.Variation, loading: true}
	c, storeID, id := m.c.Copy(), m.storeID, r.OfferingID
	return func() tea.Msg {
		ev, err := c.App.History(c.Ctx, c.Actor, storeID, id, historyLimit)
		return historyMsg{offeringID: id, events: ev, err: err}
	}
}

// errText is an error as a person reads it. Errors may quote Etsy, so they
// are cleaned before they reach the terminal.
func errText(err error) string { return safetext.Clean(err.Error()) }

// View draws the header, the visible rows only, and a footer line.
func (m *Model) View() string {
	st := m.c.Styles
	if st != m.linesStyles {
		clear(m.lines)
		m.linesStyles = st
	}
	switch {
	case m.storeID == 0:
		return st.Muted.Render("No store selected: choose one on the Stores screen (press 1).")
	case m.loadErr != nil:
		return st.Error.Render("Cannot load the inventory: " + errText(m.loadErr))
	case m.loads.Loading() || m.snap == nil:
		return st.Muted.Render("Loading inventory…")
	case m.history != nil:
		return m.historyView()
	}
	var b strings.Builder
	b.Grow((m.width + 32) * (m.visible() + 2))
	b.WriteString(m.headerLine())
	vis := m.visible()
	end := min(m.offset+vis, len(m.view))
	if len(m.lines) > 4*vis+16 {
		clear(m.lines)
	}
	for i := m.offset; i < end; i++ {
		b.WriteByte('\n')
		r := m.rowAt(m.view[i])
		if i == m.cursor {
			b.WriteString(m.selectedMemo.get(selectedKey{row: r, st: st, lay: m.lay, width: m.width, mode: m.mode, edit: m.edit, editID: m.editID},
				func() string { return m.drawRow(r, true) }))
			continue
		}
		line, ok := m.lines[r]
		if !ok {
			line = m.drawRow(r, false)
			m.lines[r] = line
		}
		b.WriteString(line)
	}
	for i := end - m.offset; i < vis; i++ {
		b.WriteByte('\n')
	}
	if len(m.view) == 0 {
		// The empty list says why it is empty, in the first row's place.
		empty := "No listings yet: the first sync may still be running."
		if len(m.q) > 0 {
			empty = "Nothing matches the filter (esc clears it)."
		}
		return m.headerLine() + "\n" + st.Muted.Render(empty) + strings.Repeat("\n", vis) + m.footer()
	}
	b.WriteByte('\n')
	b.WriteString(m.footer())
	return b.String()
}

func (m *Model) headerLine() string {
	return m.headerMemo.get(headerKey{st: m.c.Styles, lay: m.lay, col: m.col, desc: m.desc}, m.drawHeaderLine)
}

func (m *Model) drawHeaderLine() string {
	l := m.lay
	arrow := " ▲"
	if m.desc {
		arrow = " ▼"
	}
	name := func(c column, s string) string {
		if c == m.col {
			return s + arrow
		}
		return s
	}
	var b strings.Builder
	b.WriteString("  ")
	cell(&b, name(colTitle, "Title"), l.title, false)
	cell(&b, name(colVariation, "Variation"), l.variation, false)
	cell(&b, name(colSKU, "SKU"), l.sku, false)
	cell(&b, name(colQuantity, "Qty"), l.qty, true)
	cell(&b, name(colPrice, "Price"), l.price, true)
	cell(&b, name(colState, "State"), l.state, false)
	cell(&b, name(colPush, "Push"), l.push, false)
	cell(&b, "Stock", l.mark, false)
	return m.c.Styles.Header.Render(strings.TrimRight(b.String(), " "))
}

// cell writes text cut and padded to width, then a separator; a column of
// width 0 is not shown. Text from Etsy is cut by safetext.Line, which also
// cleans it.
func cell(b *strings.Builder, text string, width int, right bool) {
	if width <= 0 {
		return
	}
	text = safetext.Line(text, width)
	pad := width - lipgloss.Width(text)
	if right {
		b.WriteString(strings.Repeat(" ", max(pad, 0)))
		b.WriteString(text)
	} else {
		b.WriteString(text)
		b.WriteString(strings.Repeat(" ", max(pad, 0)))
	}
	b.WriteByte(' ')
}

func pushLabel(r *store.InventoryRow) string {
	switch {
	case r.PushStatus == store.PushFailed:
		return "failed"
	case r.Pending():
		return "pending"
	case r.PushStatus == store.PushPushed:
		return "pushed"
	}
	return ""
}

// drawRow draws one row. The row under the cursor is drawn as plain text
// in the selection style (inner colours would break its background) and
// holds the editor when it is open.
func (m *Model) drawRow(r *store.InventoryRow, selected bool) string {
	st, l := m.c.Styles, m.lay
	var b strings.Builder
	b.Grow(m.width + 16)
	if selected {
		b.WriteString("› ")
	} else {
		b.WriteString("  ")
	}
	cell(&b, r.Title, l.title, false)
	cell(&b, middleCut(r.Variation, l.variation), l.variation, false)
	cell(&b, middleCut(r.SKU, l.sku), l.sku, false)
	editing := selected && m.mode != editNone && m.editID == r.OfferingID
	qty := strconv.Itoa(r.Shown())
	if editing && m.mode == editStock {
		qty = m.edit + "▏"
	}
	cell(&b, qty, l.qty, true)
	cell(&b, formatPrice(r.Price), l.price, true)
	cell(&b, r.ListingState, l.state, false)
	plain := b.String()
	push := pushLabel(r)
	mark := ""
	switch {
	case r.Shown() == 0:
		mark = "OUT"
	case r.Low():
		mark = "LOW"
	}
	if selected {
		if editing && m.mode == editThreshold {
			return st.Selected.Render(plain) + st.Editor.Render(padTo("low ≤ "+m.edit+"▏", l.push+l.mark+1))
		}
		var t strings.Builder
		t.WriteString(plain)
		cell(&t, push, l.push, false)
		cell(&t, mark, l.mark, false)
		if editing {
			return st.Editor.Render(padTo(t.String(), m.width))
		}
		return st.Selected.Render(padTo(t.String(), m.width))
	}
	var pushStyled string
	switch push {
	case "failed":
		pushStyled = st.Failed.Render(padTo(push, l.push))
	case "pending":
		pushStyled = st.Pending.Render(padTo(push, l.push))
	case "pushed":
		pushStyled = st.Pushed.Render(padTo(push, l.push))
	default:
		pushStyled = strings.Repeat(" ", l.push)
	}
	var markStyled string
	switch mark {
	case "OUT":
		markStyled = st.Out.Render(mark)
	case "LOW":
		markStyled = st.Low.Render(mark)
	}
	return plain + pushStyled + " " + markStyled
}

// middleCutMin is the narrowest column cut in the middle.
const middleCutMin = 16

// middleCut cleans s and, when it is wider than width, keeps its start and
// its end around an ellipsis: variations and SKUs of one listing often
// differ only at the end ("… / Glaze: Matte" and "… / Glaze: Glossy"),
// which cutting the end would hide.
func middleCut(s string, width int) string {
	s = safetext.Clean(s)
	w := textWidth(s)
	if width < middleCutMin || w <= width {
		return s // cell cuts the end: too narrow for two readable halves
	}
	head := (width - 1) / 2
	tail := width - 1 - head
	return ansi.Truncate(s, head, "") + safetext.Ellipsis + ansi.TruncateLeft(s, w-tail, "")
}

// padTo pads plain text with spaces to width cells.
func padTo(s string, width int) string {
	if w := lipgloss.Width(s); w < width {
		return s + strings.Repeat(" ", width-w)
	}
	return s
}

func (m *Model) footer() string {
	if m.filtering {
		return m.filter.View()
	}
	if m.note != "" {
		if m.noteErr {
			return m.footerLine(footerError, m.note)
		}
		return m.footerLine(footerSuccess, m.note)
	}
	if r := m.current(); r != nil && r.PushStatus == store.PushFailed && r.PushError != "" {
		return m.footerLine(footerFailed, "Etsy refused the last push: "+app.SellerError(r.PushError, ""))
	}
	dir := "▲"
	if m.desc {
		dir = "▼"
	}
	s := fmt.Sprintf("%d of %d rows · sorted by %s %s", min(m.cursor+1, len(m.view)), len(m.view), m.col, dir)
	if len(m.q) > 0 {
		s += " · filter: " + m.filter.Value()
	}
	if !m.role.CanEdit() && m.role != "" {
		s += " · read only (viewer)"
	}
	return m.footerLine(footerMuted, s)
}

// footerLine is text cleaned, cut to the width and styled, drawn again
// only when one of those changed.
func (m *Model) footerLine(style int, text string) string {
	return m.footerMemo.get(footerKey{st: m.c.Styles, style: style, text: text, width: m.width}, func() string {
		st := m.c.Styles
		line := safetext.Line(text, m.width)
		switch style {
		case footerError:
			return st.Error.Render(line)
		case footerSuccess:
			return st.Success.Render(line)
		case footerFailed:
			return st.Failed.Render(line)
		}
		return st.Muted.Render(line)
	})
}

func (m *Model) historyView() string {
	st := m.c.Styles
	h := m.history
	var b strings.Builder
	b.WriteString(st.Title.Render(safetext.Line("History: "+h.title, m.width)))
	b.WriteByte('\n')
	switch {
	case h.loading:
		b.WriteString(st.Muted.Render("Loading…"))
	case len(h.events) == 0:
		b.WriteString(st.Muted.Render("No changes recorded yet."))
	default:
		for i, e := range h.events {
			if i >= m.height-3 {
				break
			}
			line := fmt.Sprintf("%s  %-13s %3d → %-3d %s", e.CreatedAt.In(time.Local).Format("2006-01-02 15:04"), sourceText(e.Source), e.Before, e.After, e.Note)
			b.WriteString(safetext.Line(line, m.width))
			b.WriteByte('\n')
		}
	}
	b.WriteString("\n" + st.Help.Render("esc closes the history"))
	return b.String()
}

// ShortHelp is the one-line help of the screen in its current state.
func (m *Model) ShortHelp() []key.Binding {
	k := m.c.Keys
	switch {
	case m.mode != editNone:
		return []key.Binding{k.Save, k.Cancel, k.Inc, k.Dec}
	case m.filtering:
		return []key.Binding{
			common.Relabel(k.Enter, "apply"),
			common.Relabel(k.Back, "clear"),
		}
	case m.history != nil:
		return []key.Binding{k.Back}
	}
	return []key.Binding{k.Down, k.Up, k.Edit, k.Filter, k.Sort, k.JumpLow, k.History}
}

// FullHelp lists the keys that work in the screen's state: the editor's
// own keys while it is open (the palette offers these same keys as
// actions, and +, enter or esc do nothing outside the editor).
func (m *Model) FullHelp() [][]key.Binding {
	k := m.c.Keys
	if m.mode != editNone || m.filtering || m.history != nil {
		return [][]key.Binding{m.ShortHelp()}
	}
	return [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom},
		{k.Filter, k.Sort, k.SortReverse, k.JumpLow, k.Refresh},
		{k.Edit, k.Threshold, k.History},
	}
}

// sourceText names where a change came from in a seller's words.
func sourceText(s store.Source) string {
	switch s {
	case store.SourceTUI:
		return "your edit"
	case store.SourceCommand:
		return "command"
	case store.SourceImport:
		return "CSV import"
	case store.SourceSync:
		return "seen on Etsy"
	case store.SourceSale:
		return "sale"
	case store.SourcePush:
		return "sent to Etsy"
	}
	return string(s)
}
