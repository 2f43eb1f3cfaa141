// Package account is the Account screen: the seller's own profile and
// notification preferences, and the SSH keys that open their account.
package account

import (
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/safetext"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/tui/common"
	"github.com/stockroom/stockroom/tui/components/list"
)

// field is one editable line of the profile.
type field int

const (
	fieldName field = iota
	fieldEmail
	fieldTelegram
	fieldNotifyEmail
	fieldNotifyTelegram
	fieldNotifyDigest
	// WhatsApp's come last so the other fields keep their places.
	fieldWhatsApp
	fieldNotifyWhatsApp
	fieldDigestAt
	fieldCount
)

var fieldLabels = [fieldCount]string{"Name", "Email", "Telegram chat id", "Email alerts", "Telegram alerts", "Daily digest",
	"WhatsApp number", "WhatsApp alerts", "Digest at"}

func (f field) isToggle() bool {
	return f == fieldNotifyEmail || f == fieldNotifyTelegram || f == fieldNotifyDigest || f == fieldNotifyWhatsApp
}

// hasWhatsApp tells whether this server sends WhatsApp alerts.
func (m *Model) hasWhatsApp() bool {
	return slices.Contains(m.c.App.AlertChannels(), store.ChannelWhatsApp)
}

// mode is what the keyboard is doing.
type mode int

const (
	browsing   mode = iota
	editing         // a profile text field
	confirming      // removing a key
)

type loadedMsg struct {
	seq     int
	account store.Account
	keys    []store.Key
	err     error
}

type savedMsg struct {
	account store.Account
	err     error
}

// keyLinkMsg carries a code that lets a new key join this account.
type keyLinkMsg struct {
	code app.IssuedCode
	err  error
}

type linkCodeMsg struct {
	code string
	err  error
}

type keyRemovedMsg struct {
	fingerprint string
	err         error
}

// Model is the Account screen.
type Model struct {
	c *common.Common

	account store.Account
	keys    []store.Key
	loaded  bool
	loads   common.Loads
	err     error

	// list runs over the profile fields, which stay put, then the keys,
	// which scroll.
	list     list.Model
	mode     mode
	input    textinput.Model
	editing  field
	removing store.Key

	status common.Status

	width, height int
	km            keymap
}

type keymap struct {
	enter, toggle, add, remove, save, cancel, reload, link key.Binding
}

// New builds the screen from the session's account; Init loads its keys.
func New(c *common.Common) *Model {
	k := c.Keys
	// The limit and placeholder are the field's, set when it is edited.
	in := common.NewInput(c.Styles, "> ", "", 0)
	m := &Model{c: c, account: c.Actor.Account, input: in,
		list: list.New(list.KeyMap{Up: k.Up, Down: k.Down, Top: k.Top, Bottom: k.Bottom}),
		km: keymap{
			enter:  common.Relabel(k.Enter, "edit"),
			toggle: k.Toggle,
			add:    common.Relabel(k.Add, "link a key"),
			remove: common.Relabel(k.Remove, "remove key"),
			save:   k.Save, cancel: k.Cancel, reload: k.Refresh, link: k.LinkTelegram,
		}}
	m.list.SetFixed(int(fieldCount))
	m.list.SetLen(m.items())
	m.SetSize(c.Width, c.Height)
	return m
}

func (m *Model) Init() tea.Cmd { return m.load() }

// Editing tells the root that keys are going to a text field, so screen
// switches and quit must wait.
func (m *Model) Editing() bool { return m.mode != browsing }

// Account is the profile shown.
func (m *Model) Account() store.Account { return m.account }

// Keys are the keys shown.
func (m *Model) Keys() []store.Key { return m.keys }

// Status is the outcome of the last change.
func (m *Model) Status() string { return m.status.Text }

func (m *Model) SetSize(width, height int) {
	m.width, m.height = width, height
	m.input.SetWidth(max(10, width-4))
	// The keys get what the title, six profile lines, a blank, the keys
	// header, and the input or status lines below leave.
	m.list.SetHeight(height - 12)
}

// load reads the profile afresh (Identify also refuses a disabled account)
// and the keys.
func (m *Model) load() tea.Cmd {
	seq, c, actor := m.loads.Start(), m.c, m.c.Actor
	return func() tea.Msg {
		a, err := c.App.Identify(c.Ctx, actor.Fingerprint)
		if err != nil {
			return loadedMsg{seq: seq, err: err}
		}
		keys, err := c.App.Keys(c.Ctx, a)
		return loadedMsg{seq: seq, account: a.Account, keys: keys, err: err}
	}
}

func (m *Model) Update(msg tea.Msg) (common.Component, tea.Cmd) {
	switch msg := msg.(type) {
	case loadedMsg:
		m.loads.Take(msg.seq, msg.err, &m.err, func() {
			m.loaded = true
			m.setAccount(msg.account)
			m.keys = msg.keys
			m.list.SetLen(m.items())
		})
		return m, nil
	case savedMsg:
		if msg.err != nil {
			m.setStatus("Not saved: "+msg.err.Error(), true)
			return m, nil
		}
		m.setAccount(msg.account)
		m.mode = browsing
		m.input.Blur()
		m.setStatus("Saved.", false)
		return m, nil
	case keyLinkMsg:
		if msg.err != nil {
			m.setStatus("No link code: "+msg.err.Error(), true)
			return m, nil
		}
		m.setStatus(fmt.Sprintf("Link code %s: with the new key, run ssh THIS_SERVER keys claim %s, or connect and enter it on "+
			"the sign-up screen. It works once, for %d minutes.", msg.code.Plain, msg.code.Plain, int(app.KeyLinkTTL.Minutes())), false)
		return m, nil
	case linkCodeMsg:
		if msg.err != nil {
			m.setStatus("No link code: "+msg.err.Error(), true)
			return m, nil
		}
		bot := "Stockroom's Telegram bot"
		if name := m.c.App.TelegramBot(); name != "" {
			bot = "@" + safetext.Line(name, 40) + " (https://t.me/" + safetext.Line(name, 40) + ")"
		}
		m.setStatus(fmt.Sprintf("Send %s to %s within %d minutes: the chat you send it from gets your alerts.",
			msg.code, bot, int(app.TelegramLinkTTL.Minutes())), false)
		return m, nil
	case keyRemovedMsg:
		m.mode = browsing
		if msg.err != nil {
			m.setStatus("Key not removed: "+msg.err.Error(), true)
			return m, nil
		}
		m.setStatus("Key "+msg.fingerprint+" removed.", false)
		return m, m.load()
	case common.LiveMsg:
		if msg.Event.Kind == hub.AccountChanged && msg.Event.AccountID == m.account.ID && m.mode == browsing {
			return m, m.load()
		}
		return m, nil
	case tea.KeyPressMsg:
		return m, m.key(msg)
	}
	if m.mode == editing {
		// Pastes, cursor blinks and the like belong to the input.
		var cmd tea.Cmd
		m.input, cmd = m.input.Update(msg)
		return m, cmd
	}
	return m, nil
}

// setAccount also refreshes the session's copy, so other screens greet the
// seller by their new name.
func (m *Model) setAccount(a store.Account) {
	m.account = a
	m.c.Actor.Account = a
}

func (m *Model) setStatus(s string, isErr bool) { m.status.Set(s, isErr) }

func (m *Model) items() int { return int(fieldCount) + len(m.keys) }

func (m *Model) key(msg tea.KeyPressMsg) tea.Cmd {
	k := m.km
	switch m.mode {
	case editing:
		switch {
		case key.Matches(msg, k.cancel):
			m.mode = browsing
			m.input.Blur()
			m.setStatus("", false)
			return nil
		case key.Matches(msg, k.save):
			return m.saveField()
		}
		var cmd tea.Cmd
		m.input, cmd = m.input.Update(msg)
		return cmd
	case confirming:
		switch {
		case key.Matches(msg, k.save):
			return m.removeKey()
		case key.Matches(msg, k.cancel):
			m.mode = browsing
			m.setStatus("", false)
		}
		return nil
	}
	cur := m.list.Cursor()
	switch {
	case m.list.Update(msg):
	case key.Matches(msg, k.toggle), key.Matches(msg, k.enter):
		if !m.loaded || cur >= int(fieldCount) {
			return nil
		}
		f := field(cur)
		if f.isToggle() {
			return m.toggle(f)
		}
		if key.Matches(msg, k.enter) {
			return m.edit(f)
		}
	case key.Matches(msg, k.add):
		// A key joins by proving possession: it redeems this code when it
		// signs in, never by pasting its public half here.
		if !m.loaded {
			return nil
		}
		c, actor := m.c, m.c.Actor
		return func() tea.Msg {
			code, err := c.App.KeyLinkCode(c.Ctx, actor)
			return keyLinkMsg{code: code, err: err}
		}
	case key.Matches(msg, k.remove):
		if i := cur - int(fieldCount); i >= 0 && i < len(m.keys) {
			m.removing = m.keys[i]
			m.mode = confirming
			m.setStatus("", false)
		}
	case key.Matches(msg, k.reload):
		return m.load()
	case key.Matches(msg, k.link):
		if !slices.Contains(m.c.App.AlertChannels(), store.ChannelTelegram) {
			m.setStatus("This server does not send Telegram alerts.", true)
			return nil
		}
		c, actor := m.c, m.c.Actor
		return func() tea.Msg {
			code, err := c.App.TelegramLinkCode(c.Ctx, actor)
			return linkCodeMsg{code: code, err: err}
		}
	}
	return nil
}

func (m *Model) edit(f field) tea.Cmd {
	m.mode, m.editing = editing, f
	m.input.Reset()
	m.input.Placeholder = ""
	m.input.CharLimit = 256
	switch f {
	case fieldName:
		m.input.SetValue(m.account.Name)
	case fieldEmail:
		m.input.SetValue(m.account.Email)
		m.input.Placeholder = "you@example.com (empty: no email)"
	case fieldTelegram:
		m.input.SetValue(m.account.TelegramChatID)
		m.input.Placeholder = "a numeric chat id, e.g. 123456789"
	case fieldWhatsApp:
		if !m.hasWhatsApp() {
			m.mode = browsing
			m.setStatus("This server does not send WhatsApp alerts.", true)
			return nil
		}
		m.input.SetValue(m.account.WhatsAppNumber)
		m.input.Placeholder = "with its country code, e.g. +49 151 2345678"
	case fieldDigestAt:
		m.input.SetValue(digestAt(m.account))
		m.input.Placeholder = "an hour and a time zone, e.g. 18 Europe/Berlin"
	}
	m.input.CursorEnd()
	m.setStatus("", false)
	return m.input.Focus()
}

func (m *Model) saveField() tea.Cmd {
	v := strings.TrimSpace(m.input.Value())
	var p app.ProfileParams
	switch m.editing {
	case fieldName:
		p.Name = &v
	case fieldEmail:
		p.Email = &v
	case fieldTelegram:
		if err := checkChatID(v); err != nil {
			m.setStatus(err.Error(), true)
			return nil
		}
		p.TelegramChatID = &v
	case fieldWhatsApp:
		if _, err := app.WhatsAppNumber(v); err != nil {
			m.setStatus(err.Error(), true)
			return nil
		}
		p.WhatsAppNumber = &v
	case fieldDigestAt:
		h, tz, err := app.DigestAt(v, m.account.TimeZone)
		if err != nil {
			m.setStatus(err.Error(), true)
			return nil
		}
		p.DigestHour, p.TimeZone = &h, &tz
	}
	return m.update(p)
}

// digestAt is when the account's daily digest goes, as the field shows it.
func digestAt(a store.Account) string {
	return fmt.Sprintf("%02d:00 %s", a.DigestHour, a.TimeZone)
}

// checkChatID accepts what Telegram hands out: a user's positive id or a
// group's negative one.
func checkChatID(v string) error {
	digits := strings.TrimPrefix(v, "-")
	if v == "" {
		return nil
	}
	if digits == "" || len(digits) > 20 || strings.Trim(digits, "0123456789") != "" {
		return fmt.Errorf("%q is not a Telegram chat id: it is a number such as 123456789", safetext.Line(v, 40))
	}
	return nil
}

func (m *Model) toggle(f field) tea.Cmd {
	var p app.ProfileParams
	for ch, tf := range map[store.Channel]field{store.ChannelEmail: fieldNotifyEmail, store.ChannelTelegram: fieldNotifyTelegram} {
		if f == tf && !slices.Contains(m.c.App.AlertChannels(), ch) {
			m.setStatus("This server does not send "+channelName(ch)+" alerts.", true)
			return nil
		}
	}
	switch f {
	case fieldNotifyEmail:
		v := !m.account.NotifyEmail
		p.NotifyEmail = &v
	case fieldNotifyTelegram:
		v := !m.account.NotifyTelegram
		p.NotifyTelegram = &v
	case fieldNotifyDigest:
		v := !m.account.NotifyDigest
		p.NotifyDigest = &v
	case fieldNotifyWhatsApp:
		if !m.hasWhatsApp() {
			m.setStatus("This server does not send WhatsApp alerts.", true)
			return nil
		}
		v := !m.account.NotifyWhatsApp
		p.NotifyWhatsApp = &v
	}
	return m.update(p)
}

func (m *Model) update(p app.ProfileParams) tea.Cmd {
	c, actor := m.c, m.c.Actor
	return func() tea.Msg {
		a, err := c.App.UpdateProfile(c.Ctx, actor, p)
		return savedMsg{account: a, err: err}
	}
}

func (m *Model) removeKey() tea.Cmd {
	c, actor, k := m.c, m.c.Actor, m.removing
	return func() tea.Msg {
		return keyRemovedMsg{fingerprint: k.Fingerprint, err: c.App.KeyRemove(c.Ctx, actor, k.ID)}
	}
}

func (m *Model) View() string {
	s := m.c.Styles
	lines := []string{s.Title.Render("Account")}
	if m.err != nil {
		return strings.Join(append(lines, s.ErrorLine(m.err, m.width)), "\n")
	}
	a := m.account
	values := [fieldCount]string{
		safetext.Line(a.Name, 64), safetext.Line(a.Email, 64), safetext.Line(a.TelegramChatID, 32),
		onOff(a.NotifyEmail), onOff(a.NotifyTelegram), onOff(a.NotifyDigest),
		safetext.Line(a.WhatsAppNumber, 20), onOff(a.NotifyWhatsApp), safetext.Line(digestAt(a), 48),
	}
	if values[fieldWhatsApp] == "" {
		values[fieldWhatsApp] = s.Muted.Render("none")
	}
	// Only the channels this server has are offered.
	chans := m.c.App.AlertChannels()
	for _, c := range []struct {
		ch     store.Channel
		fields []field
	}{{store.ChannelEmail, []field{fieldNotifyEmail}}, {store.ChannelTelegram, []field{fieldTelegram, fieldNotifyTelegram}},
		{store.ChannelWhatsApp, []field{fieldWhatsApp, fieldNotifyWhatsApp}}} {
		if !slices.Contains(chans, c.ch) {
			for _, f := range c.fields {
				values[f] = s.Muted.Render("not sent by this server")
			}
		}
	}
	if values[fieldEmail] == "" {
		values[fieldEmail] = s.Muted.Render("none")
	}
	if values[fieldTelegram] == "" {
		values[fieldTelegram] = s.Muted.Render("none")
	}
	for f := range fieldCount {
		label := common.Pad(fieldLabels[f], 18)
		if m.mode == editing && m.editing == f {
			lines = append(lines, s.Key.Render(label)+m.input.View())
			continue
		}
		line := label + values[f]
		if int(f) == m.list.Cursor() && m.mode == browsing {
			lines = append(lines, s.Selected.Render(common.Fit(line, m.width)))
		} else {
			lines = append(lines, s.Muted.Render(label)+s.Row.Render(values[f]))
		}
	}
	lines = append(lines, "", s.Header.Render(common.Fit(fmt.Sprintf("SSH keys (%d)", len(m.keys)), m.width)))
	for item := range m.list.Visible() {
		k := m.keys[item-int(fieldCount)]
		used := "never used"
		if !k.LastUsedAt.IsZero() {
			used = "used " + common.Ago(m.c.Now().Sub(k.LastUsedAt))
		}
		line := common.Pad(k.Fingerprint, 52) + common.Pad(safetext.Line(k.Comment, 30), 32) + used
		if k.Fingerprint == m.c.Actor.Fingerprint {
			line += " · this session"
		}
		if item == m.list.Cursor() && m.mode == browsing {
			lines = append(lines, s.Selected.Render(common.Fit(line, m.width)))
		} else {
			lines = append(lines, s.Row.Render(common.Fit(line, m.width)))
		}
	}
	switch m.mode {
	case confirming:
		lines = append(lines, "", s.Warning.Render(common.Fit(fmt.Sprintf("Remove key %s (%s)? enter to remove, esc to keep.",
			m.removing.Fingerprint, safetext.Line(m.removing.Comment, 30)), m.width)))
	}
	if line := m.status.View(s, m.width); line != "" {
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

func (m *Model) ShortHelp() []key.Binding {
	switch m.mode {
	case editing, confirming:
		return []key.Binding{m.km.save, m.km.cancel}
	}
	return []key.Binding{m.km.enter, m.km.toggle, m.km.add, m.km.remove}
}

func (m *Model) FullHelp() [][]key.Binding {
	k := m.km
	return [][]key.Binding{m.list.Keys().Bindings(), {k.enter, k.toggle, k.add, k.remove, k.link, k.reload}, {k.save, k.cancel}}
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

var _ common.Component = (*Model)(nil)

func channelName(ch store.Channel) string {
	switch ch {
	case store.ChannelEmail:
		return "email"
	case store.ChannelTelegram:
		return "Telegram"
	}
	return "WhatsApp"
}
