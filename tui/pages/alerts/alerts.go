// Package alerts is the Alerts screen: a store's active alerts (out of
// stock first, then low stock, then runs out within N days) and their
// history, each with the viewing account's own messages about it (sent,
// queued, retrying or failed with the reason), and the store's alert
// rules: the default low-stock threshold, which t changes here, and "runs
// out within N days", which d changes.
// Per-row and per-listing overrides stay on the Inventory screen, next to
// the rows they change.
package alerts

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/tui/common"
	"github.com/stockroom/stockroom/tui/components/list"
	"github.com/stockroom/stockroom/tui/internal/page"
)

// View is which alerts the screen lists.
type View int

const (
	// Active lists the alerts that still hold, out of stock first.
	Active View = iota
	// History lists resolved alerts, the most recently resolved first.
	History
)

const (
	// activeLimit caps the active alerts read at once: more rows than a
	// seller reads on one screen, fewer than a slow query.
	activeLimit = 500
	// historyLimit is how many of the newest alerts the history reads;
	// the active ones among them are left out.
	historyLimit = 500
	// maxThreshold is the largest threshold Etsy's quantities make useful.
	maxThreshold = 999
)

// setting is which store setting the editor changes.
type setting int

const (
	settingThreshold setting = iota
	settingRunsOut
)

// most is the largest value the setting takes.
func (s setting) most() int {
	if s == settingRunsOut {
		return app.MaxCoverDays
	}
	return maxThreshold
}

// what names the setting in messages.
func (s setting) what() string {
	if s == settingRunsOut {
		return "runs-out days"
	}
	return "threshold"
}

type loadedMsg struct {
	seq    int
	view   View
	store  store.MemberStore
	alerts []store.AlertView
	err    error
}

type savedMsg struct {
	storeID int64
	field   setting
	value   int
	store   store.Store
	err     error
}

// Model is the Alerts screen.
type Model struct {
	page.Store

	view   View
	alerts []store.AlertView
	// escalated marks history alerts resolved because their row ran out:
	// an out-of-stock alert replaced them.
	escalated map[int64]bool
	expanded  map[int64]bool
	// st is the store as the viewer sees it (role, default threshold);
	// st.ID is 0 until the first load.
	st store.MemberStore

	// editing is the editor of a store setting (field): edit holds the
	// digits typed, and the first digit replaces the old value.
	editing   bool
	field     setting
	edit      string
	editFresh bool
	saving    bool

	status common.Status
	keys   keys
}

type keys struct {
	active, history, expand, threshold, runsOut, save, cancel, reload key.Binding
	ack, snoozeDay, snoozeWeek, snoozeRestock                         key.Binding
}

// handledMsg is the answer to an acknowledge or a snooze.
type handledMsg struct {
	storeID int64
	alert   store.Alert
	snooze  string
	err     error
}

// handle acknowledges or snoozes the selected alert.
func (m *Model) handle(ack bool, snooze string) tea.Cmd {
	c := m.List.Cursor()
	if m.view != Active || c >= len(m.alerts) {
		return nil
	}
	cc, storeID, id := m.C.Copy(), m.StoreID, m.alerts[c].ID
	return func() tea.Msg {
		a, err := cc.App.HandleAlert(cc.Ctx, cc.Actor, app.AlertHandling{AlertID: id, Ack: ack, Snooze: snooze})
		return handledMsg{storeID: storeID, alert: a, snooze: snooze, err: err}
	}
}

func (m *Model) handled(msg handledMsg) tea.Cmd {
	if msg.storeID != m.StoreID {
		return nil
	}
	var re *app.RoleError
	switch {
	case errors.As(msg.err, &re):
		m.status.Set("Viewers cannot acknowledge or snooze alerts: ask the store's owner or a manager.", true)
		return nil
	case msg.err != nil:
		m.status.Set("Not changed: "+msg.err.Error(), true)
		return nil
	case msg.snooze == app.SnoozeRestock:
		m.status.Set("Snoozed until the row is restocked.", false)
	case msg.snooze != "":
		m.status.Set("Snoozed until "+msg.alert.SnoozedUntil.UTC().Format("Jan 2 15:04")+" UTC.", false)
	default:
		m.status.Set("Acknowledged.", false)
	}
	return m.load()
}

// New builds the screen; SetStore loads it.
func New(c *common.Common) *Model {
	k := c.Keys
	m := &Model{
		// The title, the threshold line, the column header and the status
		// line stand around the list.
		Store:     page.NewStore(c, 4),
		escalated: map[int64]bool{},
		expanded:  map[int64]bool{},
		keys: keys{
			active:        common.Relabel(k.Left, "active"),
			history:       common.Relabel(k.Right, "history"),
			expand:        common.Relabel(k.Enter, "messages"),
			threshold:     common.Relabel(k.Threshold, "store's default threshold"),
			runsOut:       k.RunsOut,
			save:          k.Save,
			cancel:        k.Cancel,
			reload:        k.Refresh,
			ack:           k.Ack,
			snoozeDay:     k.SnoozeDay,
			snoozeWeek:    k.SnoozeWeek,
			snoozeRestock: k.SnoozeRestock,
		},
	}
	// An expanded alert takes the lines of its messages.
	m.List.SetItemHeight(func(i int) int { return 1 + len(m.details(m.alerts[i])) })
	return m
}

// SetStore shows the alerts of storeID.
func (m *Model) SetStore(storeID int64) tea.Cmd {
	if m.Switch(storeID) {
		m.st = store.MemberStore{}
		m.editing, m.saving = false, false
		m.status.Set("", false)
		m.clear()
	}
	return m.load()
}

// Alerts are the alerts listed, in screen order.
func (m *Model) Alerts() []store.AlertView { return m.alerts }

// Showing is the list on screen.
func (m *Model) Showing() View { return m.view }

// DefaultThreshold is the store's default low-stock threshold as last
// loaded.
func (m *Model) DefaultThreshold() int { return m.st.LowStockDefault }

// RunsOutDays is the store's "runs out within N days" as last loaded.
func (m *Model) RunsOutDays() int { return m.st.RunsOutDays }

// Status is the line left by the last action.
func (m *Model) Status() common.Status { return m.status }

// Editing tells the root that keys are typed into the threshold editor,
// so digits do not switch screens.
func (m *Model) Editing() bool { return m.editing }

func (m *Model) clear() {
	m.alerts = nil
	m.escalated = map[int64]bool{}
	m.expanded = map[int64]bool{}
	m.List.Clear()
}

func (m *Model) load() tea.Cmd {
	view := m.view
	return m.Read(func(c *common.Common, storeID int64, seq int) tea.Msg {
		st, err := c.App.Store(c.Ctx, c.Actor, storeID)
		if err != nil {
			return loadedMsg{seq: seq, view: view, err: err}
		}
		p := app.AlertListParams{ActiveOnly: true, Limit: activeLimit}
		if view == History {
			p = app.AlertListParams{Limit: historyLimit}
		}
		as, err := c.App.Alerts(c.Ctx, c.Actor, storeID, p)
		return loadedMsg{seq: seq, view: view, store: st, alerts: as, err: err}
	})
}

func (m *Model) Update(msg tea.Msg) (common.Component, tea.Cmd) {
	switch msg := msg.(type) {
	case loadedMsg:
		// An older load's answer, or the other view's, is dropped.
		m.Take(msg.seq, msg.err, func() {
			m.st = msg.store
			m.setAlerts(msg.view, msg.alerts)
		})
	case handledMsg:
		return m, m.handled(msg)
	case savedMsg:
		return m, m.saved(msg)
	case common.LiveMsg:
		e := msg.Event
		// Another member joining or leaving changes nothing here; this
		// account's role or alert choice does.
		own := e.Kind == hub.MembersChanged && e.StoreID == m.StoreID && e.AccountID == m.C.Actor.Account.ID
		if own || m.Reloads(e, hub.AlertsChanged, hub.StockChanged, hub.StoreChanged, hub.SyncFinished) {
			return m, m.load()
		}
	case tea.KeyPressMsg:
		if m.editing {
			return m, m.editKey(msg)
		}
		return m, m.key(msg)
	}
	return m, nil
}

// setAlerts orders what was loaded for its view and keeps the cursor on
// the alert it was on when that alert is still listed.
func (m *Model) setAlerts(view View, as []store.AlertView) {
	m.escalated = map[int64]bool{}
	if view == History {
		m.escalated = escalations(as)
		resolved := make([]store.AlertView, 0, len(as))
		for _, a := range as {
			if !a.Active {
				resolved = append(resolved, a)
			}
		}
		as = resolved
		slices.SortStableFunc(as, func(a, b store.AlertView) int {
			return cmp.Or(b.ResolvedAt.Compare(a.ResolvedAt), cmp.Compare(b.ID, a.ID))
		})
	} else {
		// The list comes newest first; out of stock is the more urgent.
		slices.SortStableFunc(as, func(a, b store.AlertView) int { return cmp.Compare(urgency(a.Kind), urgency(b.Kind)) })
	}
	prev := m.alerts
	m.alerts = as
	list.Keep(&m.List, prev, as, alertID)
}

func alertID(a store.AlertView) int64 { return a.ID }

func urgency(k store.AlertKind) int {
	switch k {
	case store.AlertOutOfStock:
		return 0
	case store.AlertLowStock:
		return 1
	}
	return 2
}

// escalations finds the low-stock and runs-out alerts that were resolved because their
// row reached zero: an out-of-stock alert for the same row fired in the
// same evaluation.
func escalations(as []store.AlertView) map[int64]bool {
	type fire struct {
		offering int64
		at       int64
	}
	outs := map[fire]bool{}
	for _, a := range as {
		if a.Kind == store.AlertOutOfStock {
			outs[fire{a.OfferingID, a.FiredAt.UnixMilli()}] = true
		}
	}
	esc := map[int64]bool{}
	for _, a := range as {
		if a.Kind != store.AlertOutOfStock && !a.Active && outs[fire{a.OfferingID, a.ResolvedAt.UnixMilli()}] {
			esc[a.ID] = true
		}
	}
	return esc
}

func (m *Model) key(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	switch {
	case m.List.Update(msg):
	case key.Matches(msg, k.active):
		return m.show(Active)
	case key.Matches(msg, k.history):
		return m.show(History)
	case key.Matches(msg, k.expand):
		list.Toggle(&m.List, m.alerts, alertID, m.expanded)
	case key.Matches(msg, k.threshold):
		m.openEditor(settingThreshold)
	case key.Matches(msg, k.runsOut):
		m.openEditor(settingRunsOut)
	case key.Matches(msg, k.reload):
		return m.load()
	case key.Matches(msg, k.ack):
		return m.handle(true, "")
	case key.Matches(msg, k.snoozeDay):
		return m.handle(false, app.SnoozeDay)
	case key.Matches(msg, k.snoozeWeek):
		return m.handle(false, app.SnoozeWeek)
	case key.Matches(msg, k.snoozeRestock):
		return m.handle(false, app.SnoozeRestock)
	}
	return nil
}

// show switches to view v.
func (m *Model) show(v View) tea.Cmd {
	if v == m.view {
		return nil
	}
	m.view = v
	m.clear()
	return m.load()
}

func (m *Model) openEditor(field setting) {
	switch {
	case m.st.ID == 0:
		m.status.Set("The store is still loading.", true)
	case !m.st.Role.CanEdit():
		m.status.Set(viewerText(field), true)
	case m.saving:
		m.status.Set("Still saving the last change.", true)
	case field == settingRunsOut:
		m.editing, m.editFresh, m.field = true, true, field
		m.edit = strconv.Itoa(m.st.RunsOutDays)
		m.status.Set(fmt.Sprintf("Alert when a row's stock lasts fewer days than this at its last 30 days' sales (1 to %d, 0 off): enter saves, esc cancels.",
			app.MaxCoverDays), false)
	default:
		m.editing, m.editFresh, m.field = true, true, field
		m.edit = strconv.Itoa(m.st.LowStockDefault)
		m.status.Set("Type the default threshold (0 to 999): enter saves, esc cancels.", false)
	}
}

func viewerText(field setting) string {
	if field == settingRunsOut {
		return "Viewers cannot change when runs-out alerts fire: ask the store's owner or a manager."
	}
	return "Viewers cannot change the low-stock threshold: ask the store's owner or a manager."
}

func (m *Model) editKey(msg tea.KeyPressMsg) tea.Cmd {
	s := msg.String()
	switch {
	case key.Matches(msg, m.keys.cancel):
		m.editing = false
		m.status.Set("", false)
	case key.Matches(msg, m.keys.save):
		return m.commit()
	case s == "backspace":
		m.editFresh = false
		if m.edit != "" {
			m.edit = m.edit[:len(m.edit)-1]
		}
		m.status.Set("", false)
	case len(s) == 1 && s[0] >= '0' && s[0] <= '9':
		next := m.edit + s
		if m.editFresh {
			next = s
		}
		n, _ := strconv.Atoi(next) // digits only, checked above; a number too long to parse is 0
		if n > m.field.most() {
			m.status.Set(m.rangeText(n), true)
			return nil
		}
		m.edit, m.editFresh = strconv.Itoa(n), false
		m.status.Set("", false)
	default:
		m.status.Set(fmt.Sprintf("Type a number from 0 to %d: enter saves, esc cancels.", m.field.most()), false)
	}
	return nil
}

func (m *Model) rangeText(n int) string {
	return fmt.Sprintf("%d is out of range: the %s is 0 to %d.", n, m.field.what(), m.field.most())
}

func (m *Model) commit() tea.Cmd {
	if m.edit == "" {
		m.status.Set(fmt.Sprintf("Type a %s from 0 to %d, or esc to cancel.", m.field.what(), m.field.most()), true)
		return nil
	}
	n, err := strconv.Atoi(m.edit)
	if err != nil || n < 0 || n > m.field.most() {
		m.status.Set(m.rangeText(n), true)
		return nil
	}
	m.editing, m.saving = false, true
	m.status.Set("Saving…", false)
	c, storeID, field := m.C.Copy(), m.StoreID, m.field
	p := app.StoreSettings{StoreID: storeID, LowStockDefault: &n}
	if field == settingRunsOut {
		p = app.StoreSettings{StoreID: storeID, RunsOutDays: &n}
	}
	return func() tea.Msg {
		st, err := c.App.UpdateStoreSettings(c.Ctx, c.Actor, p)
		return savedMsg{storeID: storeID, field: field, value: n, store: st, err: err}
	}
}

func (m *Model) saved(msg savedMsg) tea.Cmd {
	if msg.storeID != m.StoreID {
		return nil
	}
	m.saving = false
	switch {
	case errors.Is(msg.err, app.ErrViewer):
		m.status.Set(viewerText(msg.field), true)
		return nil
	case msg.err != nil && msg.field == settingRunsOut:
		m.status.Set("Runs-out days not saved: "+msg.err.Error(), true)
		return nil
	case msg.err != nil:
		m.status.Set("Threshold not saved: "+msg.err.Error(), true)
		return nil
	}
	m.st.Store = msg.store
	switch {
	case msg.field == settingThreshold:
		m.status.Set(fmt.Sprintf("Saved: rows without a threshold of their own are low at %d or fewer.", msg.value), false)
	case msg.value == 0:
		m.status.Set("Saved: runs-out alerts are off.", false)
	default:
		m.status.Set(fmt.Sprintf("Saved: an alert fires when a row's stock lasts fewer than %d days at its last 30 days' sales.", msg.value), false)
	}
	// Alerts fire and resolve under the new default: read them again.
	return m.load()
}

func (m *Model) ShortHelp() []key.Binding {
	k := m.keys
	if m.editing {
		return []key.Binding{k.save, k.cancel}
	}
	return []key.Binding{k.active, k.history, k.expand, k.threshold, k.runsOut}
}

func (m *Model) FullHelp() [][]key.Binding {
	k := m.keys
	if m.editing {
		return [][]key.Binding{{k.save, k.cancel}}
	}
	return [][]key.Binding{m.List.Keys().Bindings(), {k.active, k.history, k.expand, k.threshold, k.runsOut, k.reload},
		{k.ack, k.snoozeDay, k.snoozeWeek, k.snoozeRestock}}
}

var _ common.Component = (*Model)(nil)
