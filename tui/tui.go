// Package tui is Stockroom's terminal interface: one root model per SSH
// session that holds the screens, the header with the account and current
// store, the help bar, the command palette, the status line and the live
// subscription to the current store's changes.
package tui

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"golang.org/x/crypto/ssh"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/safetext"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/tui/common"
	"github.com/stockroom/stockroom/tui/pages/signup"
)

// Smallest terminal the screens are drawn in.
const minWidth, minHeight = 60, 15

// Options is what the SSH server hands to a session's TUI.
type Options struct {
	Ctx context.Context
	App *app.Service
	// Snapshots is the server's shared inventory cache; nil gives the
	// session a cache of its own (correct, but without sharing rows with
	// other sessions of the same store).
	Snapshots *app.Snapshots
	// Actor is the account of the key; nil sends the session to sign-up.
	Actor *app.Actor
	// PublicKey is the key that authenticated, for sign-up.
	PublicKey ssh.PublicKey
	// RemoteAddr is where the session comes from, for the security log.
	RemoteAddr string
	// Screen opens the session on "stores", "inventory", "sales", "sync",
	// "alerts", "activity", "account", "admin" or "home"; "" picks home when the account
	// has a shop, else stores.
	Screen string
	Logger *slog.Logger
	Now    func() time.Time
	// OnActivity is called on every key press and mouse event (not on
	// redraws), for the server's idle timeout.
	OnActivity func()
}

// Model is the root model of a session.
type Model struct {
	opts Options
	c    *common.Common
	help help.Model

	signup  *signup.Model
	screens []*screen
	active  int
	// opened is set once the session knows its first store and has moved
	// to the screen it opens on: only then is a screen built and loaded.
	opened bool
	// held keeps the first frame back until the screen the session opens
	// on has its data (or firstFrameWait passed), and sized says the
	// terminal's size is known. A session otherwise draws a frame at the
	// default size, one with the tabs only, one with the screen loading,
	// then the one with rows: under a burst of sessions each of those
	// frames is paid for by every session before the one that matters.
	// The held frame is blank, which the renderer does not draw: the
	// first frame drawn is the ready one, the moment it is ready.
	held, sized bool
	firstWait   time.Duration // firstFrameWait; tests lengthen it

	storeID   int64
	storeName string
	sub       *hub.Subscription
	adminSub  *hub.Subscription // every store's events, for the admin screen

	palette  *palette
	showHelp bool

	status    string
	statusErr bool

	quitting bool

	// The frame's header, banner and help line, kept with what they were
	// drawn from: Bubble Tea draws after every message, and a live event
	// that changes nothing on screen (another member joining, which every
	// session of a busy store hears) would otherwise style them again in
	// each session.
	memo struct {
		headerKey            headerKey
		bannerKey            string
		header, banner, help string
		// What help was drawn from: the sheet, the width and each enabled
		// key's help, compared field by field rather than joined into a
		// string, which every frame paid for.
		helpSt    *common.Styles
		helpWidth int
		helpKeys  []key.Help
	}
}

// headerKey is what the header is drawn from.
type headerKey struct {
	st             *common.Styles
	width, active  int
	signup         bool
	screens        int
	account, store string
	drawn          bool
}

// Messages of the root.
type (
	liveMsg struct {
		sub   *hub.Subscription
		event hub.Event
		ok    bool
	}
	subscribedMsg struct {
		storeID int64
		name    string
		sub     *hub.Subscription
		err     error
	}
	// firstStoreMsg is the store the session opens on, with its name and
	// live subscription (nil without a store).
	firstStoreMsg struct {
		storeID int64
		name    string
		sub     *hub.Subscription
		err     error
	}
	// revealMsg ends the hold on the first frame, ready or not.
	revealMsg struct{}
)

// firstFrameWait is how long the first frame waits for the data of the
// screen the session opens on; past it, the session shows what it has.
const firstFrameWait = 300 * time.Millisecond

// The style sheets and the keymap are never changed once built: every
// session shares them rather than building its own, which a server holding
// thousands of idle sessions pays per session.
var (
	styleSheets = sync.OnceValue(func() [2]*common.Styles {
		return [2]*common.Styles{common.NewStyles(false), common.NewStyles(true)}
	})
	keyMap = sync.OnceValue(common.DefaultKeyMap)
)

// styleSheet is the shared sheet for a dark or a light background.
func styleSheet(dark bool) *common.Styles {
	if dark {
		return styleSheets()[1]
	}
	return styleSheets()[0]
}

// LimitRedraws bounds how many sessions of the process draw a redraw at
// once to half the cores, at least one (see tea.SetRedrawLimit): a live
// event that every session of a shop shows redraws them all at the same
// time, and a session opening meanwhile waited for its first frame behind
// all of those frames. A first frame does not wait at the gate. The
// bound is the process's, not a session's, so the server sets it where it
// is assembled, before any session opens; calling it again changes
// nothing.
var LimitRedraws = sync.OnceFunc(func() { tea.SetRedrawLimit(max(runtime.GOMAXPROCS(0)/2, 1)) })

// New builds the TUI of one session.
func New(opts Options) tea.Model {
	if opts.Ctx == nil {
		opts.Ctx = context.Background()
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Snapshots == nil {
		opts.Snapshots = app.NewSnapshots(opts.App)
	}
	c := &common.Common{Ctx: opts.Ctx, App: opts.App, Snapshots: opts.Snapshots, Styles: styleSheet(true),
		Keys: keyMap(), Logger: opts.Logger, Now: opts.Now, Width: 80, Height: 24}
	m := &Model{opts: opts, c: c, help: help.New()}
	m.restyle()
	if opts.Actor == nil {
		m.signup = signup.New(c, opts.PublicKey, opts.RemoteAddr)
	} else {
		c.Actor = *opts.Actor
		m.screens = buildScreens(c)
		m.held, m.firstWait = true, firstFrameWait
	}
	return m
}

// Init asks the terminal for its background (the style sheet depends on
// it) and loads the account's first store.
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{tea.RequestBackgroundColor}
	if m.signup != nil {
		return tea.Batch(append(cmds, m.signup.Init())...)
	}
	cmds = append(cmds, tea.Tick(m.firstWait, func(time.Time) tea.Msg { return revealMsg{} }))
	return tea.Batch(append(cmds, m.start())...)
}

// ready tells whether the first frame can be drawn: the session has moved
// to its first screen, which has its data, and the header its store.
func (m *Model) ready() bool {
	if !m.sized || !m.opened {
		return false
	}
	if m.storeID != 0 && m.storeName == "" && !m.statusErr {
		return false // the store's name is on its way (or its error)
	}
	l, ok := m.current().(interface{ Loading() bool })
	return !ok || !l.Loading()
}

// start picks the first store; the screen the session opens on is built
// once it is known (see built).
func (m *Model) start() tea.Cmd {
	cmds := make([]tea.Cmd, 0, 2)
	c := m.c.Copy()
	if c.Actor.Account.IsAdmin {
		// The admin screen shows every store: it follows their events on
		// a subscription of its own.
		cmds = append(cmds, func() tea.Msg {
			sub, err := c.App.AdminSubscribe(c.Ctx, c.Actor)
			return adminSubMsg{sub: sub, err: err}
		})
	}
	cmds = append(cmds, func() tea.Msg {
		st, sub, err := c.Snapshots.OpenFirstStore(c.Ctx, c.Actor)
		return firstStoreMsg{storeID: st.ID, name: st.Name, sub: sub, err: err}
	})
	return tea.Batch(cmds...)
}

// built builds the current screen if it has not been shown before: it gets
// the size, its Init and the current store.
func (m *Model) built() tea.Cmd {
	if m.signup != nil || !m.opened || m.active >= len(m.screens) {
		return nil
	}
	s := m.screens[m.active]
	if s.comp != nil {
		return nil
	}
	s.comp = s.build(m.c)
	s.comp.SetSize(m.c.Width, m.contentHeight())
	cmds := []tea.Cmd{s.comp.Init()}
	if set, ok := s.comp.(storeSetter); ok && m.storeID != 0 {
		cmds = append(cmds, set.SetStore(m.storeID))
	}
	return tea.Batch(cmds...)
}

func (m *Model) restyle() {
	st := m.c.Styles
	m.help.Styles.ShortKey = st.Key
	m.help.Styles.FullKey = st.Key
	m.help.Styles.ShortDesc = st.Help
	m.help.Styles.FullDesc = st.Help
	m.help.Styles.ShortSeparator = st.Muted
	m.help.Styles.FullSeparator = st.Muted
	m.help.Styles.Ellipsis = st.Muted
}

func (m *Model) screenIndex(name string) int {
	for i, s := range m.screens {
		if s.name == name {
			return i
		}
	}
	return -1
}

func (m *Model) current() common.Component {
	if m.signup != nil {
		return m.signup
	}
	if m.active < len(m.screens) {
		if c := m.screens[m.active].comp; c != nil {
			return c
		}
	}
	return nil
}

// capturing tells whether the current screen takes keys as text.
func capturing(c common.Component) bool {
	switch c := c.(type) {
	case interface{ Capturing() bool }:
		return c.Capturing()
	case interface{ Editing() bool }:
		return c.Editing()
	}
	return false
}

// contentHeight is what is left for a screen under the header (and demo
// banner) and above the status and help lines.
func (m *Model) contentHeight() int {
	h := m.c.Height - 3
	if m.opts.App.Demo() {
		h--
	}
	if m.showHelp {
		h -= lipgloss.Height(m.fullHelpView(m.current())) - 1
	}
	return max(h, 1)
}

func (m *Model) resize() {
	m.help.SetWidth(m.c.Width)
	h := m.contentHeight()
	if m.signup != nil {
		m.signup.SetSize(m.c.Width, h)
	}
	for _, s := range m.screens {
		if s.comp != nil {
			s.comp.SetSize(m.c.Width, h)
		}
	}
}

func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	before := m.current()
	next, cmd := m.update(msg)
	if b := m.built(); b != nil {
		cmd = tea.Batch(cmd, b)
	}
	if after := m.current(); after != before {
		cmd = tea.Batch(cmd, common.Shown(before, false), common.Shown(after, true))
	}
	if m.held && m.ready() {
		m.held = false
	}
	return next, cmd
}

func (m *Model) update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.c.Width, m.c.Height = msg.Width, msg.Height
		m.sized = true
		m.resize()
		return m, nil
	case revealMsg:
		m.held = false
		return m, nil
	case tea.BackgroundColorMsg:
		m.c.Styles = styleSheet(msg.IsDark())
		m.restyle()
		return m, nil
	case tea.KeyPressMsg:
		m.activity()
		return m, m.key(msg)
	case tea.MouseMsg:
		m.activity()
		if _, ok := msg.(tea.MouseWheelMsg); ok && m.palette == nil {
			return m, m.updateCurrent(msg)
		}
		return m, nil
	case signup.DoneMsg:
		m.signup = nil
		m.c.Actor = msg.Actor
		m.c.Actor.Source = store.SourceTUI
		m.screens = buildScreens(m.c)
		m.resize()
		m.active = max(m.screenIndex("stores"), 0)
		m.setStatus("Welcome, "+safetext.Clean(msg.Actor.Account.Name)+": connect your Etsy shop with c.", false)
		return m, m.start()
	case firstStoreMsg:
		if msg.err != nil {
			m.setStatus(errorText(msg.err), true)
		}
		m.openScreen(msg.storeID != 0)
		m.opened = true
		if msg.storeID != 0 && m.storeID == 0 {
			// The store came with its name and subscription, and its
			// access check made once the subscription was receiving: the
			// first frame waits for no other query than its screen's
			// rows.
			cmds := m.switchStore(msg.storeID, msg.sub)
			m.storeName = msg.name
			return m, tea.Batch(append(cmds, m.waitLive(msg.sub))...)
		}
		if msg.sub != nil {
			msg.sub.Close() // a store was chosen meanwhile
		}
		if msg.storeID == 0 && msg.err == nil && m.sub == nil {
			return m, m.followAccount()
		}
		return m, nil
	case common.StoreSelectedMsg:
		cmd := m.selectStore(msg.StoreID)
		if i := m.screenIndex("inventory"); i >= 0 && m.screens[m.active].name == "stores" {
			m.active = i
		}
		return m, cmd
	case subscribedMsg:
		if msg.storeID != m.storeID {
			if msg.sub != nil {
				msg.sub.Close()
			}
			return m, nil
		}
		if msg.err != nil {
			m.setStatus("live updates are off: "+errorText(msg.err), true)
			return m, nil
		}
		m.openSub(msg.sub)
		m.storeName = msg.name
		return m, m.waitLive(msg.sub)
	case adminSubMsg:
		if msg.err != nil {
			return m, nil // not an admin (any more): the screen says so
		}
		m.adminSub = msg.sub
		return m, m.waitLive(msg.sub)
	case liveMsg:
		if msg.sub == m.adminSub && m.adminSub != nil {
			if !msg.ok {
				return m, nil
			}
			return m, tea.Batch(m.waitLive(msg.sub), m.sendTo("admin", common.LiveMsg{Event: msg.event}), m.sendTo("activity", common.LiveMsg{Event: msg.event}))
		}
		if msg.sub != m.sub || !msg.ok {
			return m, nil
		}
		ev := msg.event
		if msg.sub.Missed() {
			// Events were dropped: reload everything.
			ev = hub.Event{Kind: hub.StockChanged, StoreID: m.storeID}
			m.c.LiveSince = time.Time{}
		}
		if ev.AccountID == m.c.Actor.Account.ID && (ev.Kind == hub.AccountChanged || ev.Kind == hub.MembersChanged) {
			// The account's access may have changed: a check made
			// before this event no longer stands for the screens'
			// loads from here on.
			m.c.LiveSince = time.Time{}
		}
		if ev.Kind == hub.StoreChanged && ev.StoreID == m.storeID {
			m.storeName = ""
		}
		cmds := []tea.Cmd{m.waitLive(msg.sub), m.broadcast(common.LiveMsg{Event: ev})}
		if m.storeName == "" && m.storeID != 0 {
			cmds = append(cmds, m.loadStoreName())
		}
		if ev.Kind == hub.MembersChanged && ev.AccountID == m.c.Actor.Account.ID {
			cmds = append(cmds, m.recheckStores())
		}
		return m, tea.Batch(cmds...)
	case membershipMsg:
		return m, m.membership(msg)
	case storeNameMsg:
		if msg.storeID == m.storeID {
			m.storeName = msg.name
		}
		return m, nil
	case common.ErrorMsg:
		m.setStatus(errorText(msg.Err), true)
		return m, nil
	case common.StatusMsg:
		m.setStatus(safetext.Clean(msg.Text), false)
		return m, nil
	}
	return m, m.updateCurrentAll(msg)
}

// updateCurrentAll routes a screen's own messages. Command answers carry
// unexported types, so every screen sees them and ignores what is not its
// own; only key presses are the current screen's alone.
func (m *Model) updateCurrentAll(msg tea.Msg) tea.Cmd {
	if m.signup != nil {
		_, cmd := m.signup.Update(msg)
		return cmd
	}
	return m.broadcast(msg)
}

// adminSubMsg is the admin screen's subscription, or why there is none.
type adminSubMsg struct {
	sub *hub.Subscription
	err error
}

// sendTo gives msg to the screen called name only.
func (m *Model) sendTo(name string, msg tea.Msg) tea.Cmd {
	for _, s := range m.screens {
		if s.name == name && s.comp != nil {
			var cmd tea.Cmd
			s.comp, cmd = s.comp.Update(msg)
			return cmd
		}
	}
	return nil
}

// broadcast gives msg to every screen built so far; one not built yet
// reads what is current when it is first shown.
func (m *Model) broadcast(msg tea.Msg) tea.Cmd {
	cmds := make([]tea.Cmd, 0, len(m.screens))
	for _, s := range m.screens {
		if s.comp == nil {
			continue
		}
		var cmd tea.Cmd
		s.comp, cmd = s.comp.Update(msg)
		cmds = append(cmds, cmd)
	}
	return tea.Batch(cmds...)
}

func (m *Model) updateCurrent(msg tea.Msg) tea.Cmd {
	if m.signup != nil {
		_, cmd := m.signup.Update(msg)
		return cmd
	}
	if m.active >= len(m.screens) || m.screens[m.active].comp == nil {
		return nil
	}
	s := m.screens[m.active]
	var cmd tea.Cmd
	s.comp, cmd = s.comp.Update(msg)
	return cmd
}

func (m *Model) activity() {
	if m.opts.OnActivity != nil {
		m.opts.OnActivity()
	}
}

func (m *Model) setStatus(text string, isErr bool) { m.status, m.statusErr = text, isErr }

// errorText is an error for the status line; errors may quote Etsy.
func errorText(err error) string {
	var re *app.RoleError
	if errors.As(err, &re) {
		return re.Error() // names the role and what it may not do
	}
	if errors.Is(err, app.ErrViewer) {
		return "viewers cannot edit"
	}
	return safetext.Clean(err.Error())
}

// openScreen moves to the screen the session was opened on.
func (m *Model) openScreen(hasStore bool) {
	name := m.opts.Screen
	if name == "" {
		name = "stores"
		if hasStore {
			name = "home"
		}
	}
	m.opts.Screen = "" // only once
	if i := m.screenIndex(name); i >= 0 {
		m.active = i
	}
}

func (m *Model) key(msg tea.KeyPressMsg) tea.Cmd {
	k := m.c.Keys
	if msg.String() == "ctrl+c" {
		return m.quit()
	}
	if m.palette != nil {
		cmd, done := m.palette.update(msg)
		if done {
			m.palette = nil
		}
		return cmd
	}
	cur := m.current()
	if cur == nil || capturing(cur) {
		return m.updateCurrent(msg)
	}
	m.status = ""
	switch {
	case key.Matches(msg, k.Quit):
		return m.quit()
	case key.Matches(msg, k.Help):
		m.showHelp = !m.showHelp
		m.resize()
		return nil
	case key.Matches(msg, k.Palette):
		if m.signup == nil {
			m.palette = newPalette(m.c.Styles, m.actions())
		}
		return nil
	}
	if m.signup == nil {
		switch {
		case key.Matches(msg, k.NextTab):
			m.active = (m.active + 1) % len(m.screens)
			return nil
		case key.Matches(msg, k.PrevTab):
			m.active = (m.active + len(m.screens) - 1) % len(m.screens)
			return nil
		}
		for i, b := range k.ScreenKeys() {
			if key.Matches(msg, b) {
				if i < len(m.screens) {
					m.active = i
				}
				return nil
			}
		}
	}
	return m.updateCurrent(msg)
}

func (m *Model) quit() tea.Cmd {
	m.quitting = true
	m.closeSub()
	return tea.Quit
}

// selectStore makes storeID current: the screens load it and the live
// subscription moves to it.
func (m *Model) selectStore(storeID int64) tea.Cmd {
	if storeID == m.storeID {
		return nil
	}
	cmds := m.switchStore(storeID, nil)
	c := m.c.Copy()
	cmds = append(cmds, func() tea.Msg {
		st, sub, err := c.App.SubscribeStore(c.Ctx, c.Actor, storeID)
		return subscribedMsg{storeID: storeID, name: st.Name, sub: sub, err: err}
	})
	return tea.Batch(cmds...)
}

// switchStore makes storeID the current store, its name still to come:
// the previous store's subscription ends and sub (nil: still to come)
// takes its place, and the screens built so far are told.
func (m *Model) switchStore(storeID int64, sub *hub.Subscription) []tea.Cmd {
	m.closeSub()
	m.storeID, m.storeName = storeID, ""
	if sub != nil {
		m.openSub(sub)
	}
	return m.setStore(storeID)
}

// openSub makes sub the current store's subscription: an access check
// made after it began receiving stands for the screens' loads (see
// Snapshots.OpenSince).
func (m *Model) openSub(sub *hub.Subscription) {
	m.sub, m.c.LiveSince = sub, sub.Since()
}

// closeSub ends the current store's subscription, and with it what the
// screens may take as checked while it was open.
func (m *Model) closeSub() {
	if m.sub != nil {
		m.sub.Close()
		m.sub = nil
	}
	m.c.LiveSince = time.Time{}
}

// setStore tells the screens built so far that the current store is now
// storeID.
func (m *Model) setStore(storeID int64) []tea.Cmd {
	var cmds []tea.Cmd
	for _, s := range m.screens {
		if set, ok := s.comp.(storeSetter); ok {
			cmds = append(cmds, set.SetStore(storeID))
		}
	}
	return cmds
}

// membershipMsg is the account's stores, read again after an owner
// changed this account's role or removed it from a store.
type membershipMsg struct {
	stores []app.StoreView
	err    error
}

func (m *Model) recheckStores() tea.Cmd {
	c := m.c.Copy()
	return func() tea.Msg {
		s, err := c.App.Stores(c.Ctx, c.Actor)
		return membershipMsg{stores: s, err: err}
	}
}

// membership drops the current store when the account is no longer a
// member of it: every screen forgets it at once and the session moves to
// the account's next store, if any.
func (m *Model) membership(msg membershipMsg) tea.Cmd {
	if msg.err != nil {
		m.setStatus(errorText(msg.err), true)
		return nil
	}
	for _, s := range msg.stores {
		if s.ID == m.storeID {
			return nil
		}
	}
	if m.storeID == 0 {
		if len(msg.stores) > 0 {
			return m.selectStore(msg.stores[0].ID)
		}
		return nil
	}
	lost := m.storeName
	m.closeSub()
	m.storeID, m.storeName = 0, ""
	cmds := m.setStore(0)
	text := "You are no longer a member of this store."
	if lost != "" {
		text = "You are no longer a member of " + safetext.Clean(lost) + "."
	}
	m.setStatus(text, true)
	if len(msg.stores) > 0 {
		cmds = append(cmds, m.selectStore(msg.stores[0].ID))
	} else {
		if i := m.screenIndex("stores"); i >= 0 {
			m.active = i
		}
		cmds = append(cmds, m.followAccount())
	}
	return tea.Batch(cmds...)
}

// followAccount subscribes a session without a store to its account's
// changes, so a store it joins elsewhere (join CODE) opens here at once.
func (m *Model) followAccount() tea.Cmd {
	c := m.c.Copy()
	return func() tea.Msg {
		return subscribedMsg{sub: c.App.SubscribeAccount(c.Actor)}
	}
}

type storeNameMsg struct {
	storeID int64
	name    string
}

func (m *Model) loadStoreName() tea.Cmd {
	c, id := m.c.Copy(), m.storeID
	return func() tea.Msg {
		st, err := c.App.Store(c.Ctx, c.Actor, id)
		if err != nil {
			return common.ErrorMsg{Err: err}
		}
		return storeNameMsg{storeID: id, name: st.Name}
	}
}

// waitLive waits for the subscription's next event; Update issues it again
// after each one, so a screen refreshes without a key press. The session's
// end closes the subscription.
func (m *Model) waitLive(sub *hub.Subscription) tea.Cmd {
	ctx := m.c.Ctx
	return func() tea.Msg {
		select {
		case ev, ok := <-sub.C:
			return liveMsg{sub: sub, event: ev, ok: ok}
		case <-ctx.Done():
			sub.Close()
			return liveMsg{sub: sub}
		}
	}
}

// actions lists everything the palette offers: the screens, the session's
// own actions and every key of the current screen.
func (m *Model) actions() []action {
	var out []action
	for i, s := range m.screens {
		i := i
		out = append(out, action{title: "Go to " + s.title, run: func() tea.Cmd { m.active = i; return nil }})
	}
	c := m.c.Copy()
	if m.storeID != 0 {
		id := m.storeID
		out = append(out, action{title: "Sync the current store now", run: func() tea.Cmd {
			return func() tea.Msg {
				if err := c.App.SyncNow(c.Ctx, c.Actor, id); err != nil {
					return common.ErrorMsg{Err: err}
				}
				return common.StatusMsg{Text: "sync queued"}
			}
		}})
	}
	if i := m.screenIndex("stores"); i >= 0 {
		out = append(out, action{title: "Connect an Etsy shop", run: func() tea.Cmd {
			m.active = i
			built := m.built() // a screen not shown yet is built first, to get the key
			return tea.Batch(built, m.updateCurrent(keyPress("c")))
		}})
	}
	out = append(out,
		action{title: "Show or hide the full help", run: func() tea.Cmd { m.showHelp = !m.showHelp; m.resize(); return nil }},
		action{title: "Quit", run: m.quit},
	)
	if cur := m.current(); cur != nil && m.active < len(m.screens) {
		out = append(out, bindingActions(m.screens[m.active].title, cur.FullHelp(), func(k tea.KeyPressMsg) tea.Cmd {
			return m.updateCurrent(k)
		})...)
	}
	return out
}

// View draws the whole frame. The renderer downsamples colours to the
// terminal's profile (and to none with NO_COLOR), so styles are written
// once in full colour.
func (m *Model) View() tea.View {
	v := tea.NewView("")
	v.AltScreen = true
	v.MouseMode = tea.MouseModeCellMotion
	v.WindowTitle = "Stockroom"
	if m.quitting {
		return v
	}
	st := m.c.Styles
	w, h := m.c.Width, m.c.Height
	if m.sized && (w < minWidth || h < minHeight) {
		v.SetContent(m.tooSmallView())
		return v
	}
	if m.held {
		// See held. A blank frame, not an empty one: an empty view
		// shrinks the renderer's frame to nothing, and the next frame
		// would clear the terminal a second time to grow it back.
		v.SetContent(" ")
		return v
	}
	var b strings.Builder
	b.WriteString(m.cachedHeader())
	b.WriteByte('\n')
	if m.opts.App.Demo() {
		if k := fmt.Sprintf("%p|%d", st, w); k != m.memo.bannerKey {
			m.memo.bannerKey = k
			m.memo.banner = st.Banner.Render(lineFit("DEMO: this shop is an Etsy sandbox; nothing reaches a real Etsy shop.", w-2))
		}
		b.WriteString(m.memo.banner)
		b.WriteByte('\n')
	}
	ch := m.contentHeight()
	var body string
	if m.palette != nil {
		body = m.palette.view(st, w, ch)
	} else if cur := m.current(); cur != nil {
		body = cur.View()
	}
	body = fitLines(body, ch)
	b.WriteString(body)
	b.WriteByte('\n')
	switch {
	case m.status != "" && m.statusErr:
		b.WriteString(st.Error.Render(lineFit(m.status, w)))
	case m.status != "":
		b.WriteString(st.StatusBar.Render(lineFit(m.status, w)))
	}
	b.WriteByte('\n')
	if cur := m.current(); cur != nil {
		if m.showHelp {
			b.WriteString(m.fullHelpView(cur))
		} else {
			b.WriteString(m.shortHelpView(cur))
		}
	}
	v.SetContent(b.String())
	return v
}

// cachedHeader is header, drawn again only when what it shows changed.
func (m *Model) cachedHeader() string {
	k := headerKey{st: m.c.Styles, width: m.c.Width, active: m.active, signup: m.signup != nil, screens: len(m.screens),
		account: m.c.Actor.Account.Name, store: m.storeName, drawn: true}
	if k != m.memo.headerKey {
		m.memo.headerKey, m.memo.header = k, m.header()
	}
	return m.memo.header
}

// shortHelpView is the help bar, drawn again only when its keys changed.
func (m *Model) shortHelpView(cur common.Component) string {
	bindings := append(cur.ShortHelp(), m.sessionHelp(cur)...)
	if m.memo.helpSt != m.c.Styles || m.memo.helpWidth != m.c.Width || !sameHelp(m.memo.helpKeys, bindings) {
		m.memo.helpSt, m.memo.helpWidth, m.memo.helpKeys = m.c.Styles, m.c.Width, m.memo.helpKeys[:0]
		for _, b := range bindings {
			if b.Enabled() {
				m.memo.helpKeys = append(m.memo.helpKeys, b.Help())
			}
		}
		m.memo.help = m.help.ShortHelpView(bindings)
	}
	return m.memo.help
}

// sameHelp tells whether the enabled bindings have the helps drawn.
func sameHelp(drawn []key.Help, bindings []key.Binding) bool {
	i := 0
	for _, b := range bindings {
		if !b.Enabled() {
			continue
		}
		if i >= len(drawn) || drawn[i] != b.Help() {
			return false
		}
		i++
	}
	return i == len(drawn)
}

// tooSmallView asks for a larger terminal. It is wrapped, not cut, to the
// terminal's width, so the size needed and the size there is stay on
// screen however narrow the window is.
func (m *Model) tooSmallView() string {
	st, w := m.c.Styles, max(m.c.Width, 1)
	quit := "q"
	if cur := m.current(); cur != nil && capturing(cur) {
		quit = "ctrl+c" // q is text there
	}
	need := fmt.Sprintf("Terminal too small: Stockroom needs %d×%d, this is %d×%d.", minWidth, minHeight, m.c.Width, m.c.Height)
	return st.Warning.Render(lipgloss.Wrap(need, w, "")) + "\n" +
		st.Muted.Render(lipgloss.Wrap("Enlarge the window, or press "+quit+" to quit.", w, ""))
}

// sessionHelp is what the help bar adds to a screen's keys. While the
// screen takes keys as text (an edit, a filter, sign-up) only ctrl+c still
// reaches the root, so :, ? and q are not offered then; sign-up has no
// palette.
func (m *Model) sessionHelp(cur common.Component) []key.Binding {
	if capturing(cur) {
		return []key.Binding{key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit"))}
	}
	if m.signup != nil {
		return []key.Binding{m.c.Keys.Help, m.c.Keys.Quit}
	}
	return []key.Binding{m.c.Keys.Palette, m.c.Keys.Help, m.c.Keys.Quit}
}

// fullHelpView is the help ? opens: the screen's keys and the session's.
// The content height is measured on this very view, so the frame stays
// the terminal's height whatever column is the longest.
func (m *Model) fullHelpView(cur common.Component) string {
	return m.help.FullHelpView(append(cur.FullHelp(), m.globalHelp(cur)))
}

// globalHelp is the session's column of the full help: the same keys as
// sessionHelp, and the keys that move between screens when there are
// screens and the current one does not take them as text.
func (m *Model) globalHelp(cur common.Component) []key.Binding {
	if m.signup != nil || capturing(cur) {
		return m.sessionHelp(cur)
	}
	k := m.c.Keys
	out := []key.Binding{k.NextTab, k.PrevTab}
	screenKeys := k.ScreenKeys()
	// Each number names the screen it opens in this session: the screens
	// an account has differ (admin, home).
	for i, b := range screenKeys[:min(len(m.screens), len(screenKeys))] {
		out = append(out, common.Relabel(b, screenHelp(m.screens[i])))
	}
	return append(out, m.sessionHelp(cur)...)
}

// header is the tabs on the left and who and where on the right.
func (m *Model) header() string {
	st := m.c.Styles
	left := m.tabs(false)
	if lipgloss.Width(left) > m.c.Width {
		// Too narrow for every name: the other screens keep their
		// number, so none disappears off the edge.
		left = m.tabs(true)
	}
	room := m.c.Width - lipgloss.Width(left) - 1
	if m.signup != nil || room < 8 {
		return left
	}
	who := m.c.Actor.Account.Name
	if m.storeName != "" {
		who += " · " + m.storeName
	}
	right := st.Muted.Render(safetext.Line(who, room))
	return left + strings.Repeat(" ", max(room-lipgloss.Width(right)+1, 1)) + right
}

// tabs is the tab bar: the product name and a tab per screen, named, or
// only numbered but the active one when short.
func (m *Model) tabs(short bool) string {
	st := m.c.Styles
	var tabs strings.Builder
	if !short {
		tabs.WriteString(st.Title.Render("Stockroom") + " ")
	}
	if m.signup != nil {
		tabs.WriteString(st.ActiveTab.Render("Sign up"))
	}
	for i, s := range m.screens {
		label := fmt.Sprintf("%d %s", i+1, s.title)
		switch {
		case i == m.active:
			tabs.WriteString(st.ActiveTab.Render(label))
		case short:
			tabs.WriteString(st.Tab.Render(strconv.Itoa(i + 1)))
		default:
			tabs.WriteString(st.Tab.Render(label))
		}
	}
	return tabs.String()
}

// lineFit cleans and cuts text to width.
func lineFit(s string, width int) string { return safetext.Line(s, width) }

// fitLines pads or cuts s to exactly n lines, so the bars stay in place.
func fitLines(s string, n int) string {
	if strings.Count(s, "\n") == n-1 {
		return s // a screen drawn at its size, as most frames are
	}
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[:n]
	}
	for len(lines) < n {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}
