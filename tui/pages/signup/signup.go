// Package signup is the screen an unknown SSH key lands on: a display name
// and an optional email create a Stockroom account for that key.
package signup

import (
	"errors"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"golang.org/x/crypto/ssh"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/safetext"
	"github.com/stockroom/stockroom/tui/common"
)

// DoneMsg says the account exists; the root switches to it.
type DoneMsg struct{ Actor app.Actor }

type resultMsg struct {
	actor app.Actor
	err   error
}

// Model is the sign-up screen.
type Model struct {
	c       *common.Common
	key     ssh.PublicKey
	name    textinput.Model
	email   textinput.Model
	focus   int // 0 name, 1 email
	busy    bool
	err     error
	closed  bool
	width   int
	height  int
	message string
}

// New returns the screen for the key that authenticated.
func New(c *common.Common, publicKey ssh.PublicKey) *Model {
	m := &Model{c: c, key: publicKey,
		name:  common.NewInput(c.Styles, "Name  ", "how Stockroom greets you", 64),
		email: common.NewInput(c.Styles, "Email ", "optional: for low-stock alerts", 254)}
	m.name.Focus()
	m.closed = !c.App.SignupOpen()
	return m
}

func (m *Model) Init() tea.Cmd { return nil }

func (m *Model) SetSize(width, height int) {
	m.width, m.height = width, height
	m.name.SetWidth(min(width-10, 50))
	m.email.SetWidth(min(width-10, 50))
}

// Capturing tells the root that keys are text here (q is a letter of a
// name), except when sign-up is closed and q leaves.
func (m *Model) Capturing() bool { return !m.closed }

// Err is the last refusal shown.
func (m *Model) Err() error { return m.err }

func (m *Model) Update(msg tea.Msg) (common.Component, tea.Cmd) {
	switch msg := msg.(type) {
	case resultMsg:
		m.busy = false
		if msg.err != nil {
			m.err = msg.err
			m.closed = errors.Is(msg.err, app.ErrSignupClosed)
			return m, nil
		}
		actor := msg.actor
		return m, func() tea.Msg { return DoneMsg{Actor: actor} }
	case tea.KeyPressMsg:
		if m.busy || m.closed {
			return m, nil
		}
		switch msg.String() {
		case "tab", "down", "shift+tab", "up":
			m.toggleFocus()
			return m, nil
		case "enter":
			if m.focus == 0 {
				// A name is required: say so here rather than move on and
				// refuse it after the email.
				if _, err := app.ValidateName(m.name.Value()); err != nil {
					m.err = err
					return m, nil
				}
				m.toggleFocus()
				return m, nil
			}
			return m, m.submit()
		}
		var cmd tea.Cmd
		if m.focus == 0 {
			m.name, cmd = m.name.Update(msg)
		} else {
			m.email, cmd = m.email.Update(msg)
		}
		m.err = nil
		return m, cmd
	}
	return m, nil
}

func (m *Model) toggleFocus() {
	m.focus = 1 - m.focus
	if m.focus == 0 {
		m.email.Blur()
		m.name.Focus()
	} else {
		m.name.Blur()
		m.email.Focus()
	}
}

func (m *Model) submit() tea.Cmd {
	if _, err := app.ValidateName(m.name.Value()); err != nil {
		m.err = err
		m.focus = 1
		m.toggleFocus()
		return nil
	}
	if _, err := app.ValidateEmail(m.email.Value()); err != nil {
		m.err = err
		return nil
	}
	m.busy = true
	c, p := m.c.Copy(), app.SignUpParams{Name: m.name.Value(), Email: m.email.Value(), PublicKey: m.key}
	return func() tea.Msg {
		a, err := c.App.SignUp(c.Ctx, p)
		return resultMsg{actor: a, err: err}
	}
}

func (m *Model) View() string {
	st := m.c.Styles
	var b strings.Builder
	b.WriteString(st.Title.Render("Welcome to Stockroom"))
	b.WriteString("\n\n")
	fp := "unknown key"
	if m.key != nil {
		fp = ssh.FingerprintSHA256(m.key)
	}
	b.WriteString("This SSH key has no account yet:\n  ")
	b.WriteString(st.Key.Render(fp))
	b.WriteString("\n\n")
	if m.closed {
		b.WriteString(st.Error.Render(app.ErrSignupClosed.Error()))
		b.WriteString("\n\n")
		b.WriteString(st.Muted.Render("Send them the fingerprint above. Press q to leave."))
		return b.String()
	}
	b.WriteString("Create an account for it:\n\n")
	b.WriteString(m.name.View())
	b.WriteString("\n")
	b.WriteString(m.email.View())
	b.WriteString("\n\n")
	switch {
	case m.busy:
		b.WriteString(st.Muted.Render("Creating your account…"))
	case m.err != nil:
		b.WriteString(st.Error.Render(safetext.Clean(m.err.Error())))
	default:
		b.WriteString(st.Muted.Render("Then connect your Etsy shop from the Stores screen."))
	}
	return b.String()
}

func (m *Model) ShortHelp() []key.Binding {
	// The root adds how to quit.
	if m.closed {
		return nil
	}
	return []key.Binding{
		key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next field")),
		key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "create account")),
	}
}

func (m *Model) FullHelp() [][]key.Binding { return [][]key.Binding{m.ShortHelp()} }
