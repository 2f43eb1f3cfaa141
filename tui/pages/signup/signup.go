// Package signup is the screen an unknown SSH key lands on: a display name
// and an optional email create a Stockroom account for that key; a code
// links the key to an existing account (a link code from its Account
// screen) or signs up by invitation, which works when sign-up is closed.
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
	remote  string
	name    textinput.Model
	email   textinput.Model
	code    textinput.Model
	focus   int // 0 name, 1 email, 2 code
	busy    bool
	err     error
	closed  bool
	width   int
	height  int
	message string
}

// New returns the screen for the key that authenticated, from remoteAddr.
func New(c *common.Common, publicKey ssh.PublicKey, remoteAddr string) *Model {
	m := &Model{c: c, key: publicKey, remote: remoteAddr,
		name:  common.NewInput(c.Styles, "Name  ", "how Stockroom greets you", 64),
		email: common.NewInput(c.Styles, "Email ", "optional: for low-stock alerts", 254),
		code:  common.NewInput(c.Styles, "Code  ", "optional: a link code from your account, or an invite", 64)}
	m.closed = !c.App.SignupOpen() && !c.App.IsAdminKey(publicKey)
	m.setFocus(0)
	return m
}

func (m *Model) Init() tea.Cmd { return nil }

func (m *Model) SetSize(width, height int) {
	m.width, m.height = width, height
	m.name.SetWidth(min(width-10, 50))
	m.email.SetWidth(min(width-10, 50))
}

// Capturing tells the root that keys are text here (q is a letter of a
// name or a code).
func (m *Model) Capturing() bool { return true }

// Err is the last refusal shown.
func (m *Model) Err() error { return m.err }

func (m *Model) Update(msg tea.Msg) (common.Component, tea.Cmd) {
	switch msg := msg.(type) {
	case resultMsg:
		m.busy = false
		if msg.err != nil {
			m.err = msg.err
			if errors.Is(msg.err, app.ErrSignupClosed) {
				m.closed = true
				m.setFocus(2)
			}
			return m, nil
		}
		actor := msg.actor
		return m, func() tea.Msg { return DoneMsg{Actor: actor} }
	case tea.KeyPressMsg:
		if m.busy {
			return m, nil
		}
		switch msg.String() {
		case "tab", "down":
			m.setFocus((m.focus + 1) % 3)
			return m, nil
		case "shift+tab", "up":
			m.setFocus((m.focus + 2) % 3)
			return m, nil
		case "enter":
			if m.focus == 0 {
				// A name is required: say so here rather than move on and
				// refuse it after the email.
				if _, err := app.ValidateName(m.name.Value()); err != nil {
					m.err = err
					return m, nil
				}
			}
			// Enter moves name → email (→ code when sign-up is closed and
			// one is needed), then submits.
			noCode := strings.TrimSpace(m.code.Value()) == ""
			if noCode && (m.focus == 0 || m.focus == 1 && m.closed) {
				m.setFocus(m.focus + 1)
				return m, nil
			}
			return m, m.submit()
		}
		var cmd tea.Cmd
		in := m.inputs()[m.focus]
		*in, cmd = in.Update(msg)
		m.err = nil
		return m, cmd
	}
	return m, nil
}

func (m *Model) inputs() [3]*textinput.Model { return [3]*textinput.Model{&m.name, &m.email, &m.code} }

func (m *Model) setFocus(i int) {
	m.focus = i
	for j, in := range m.inputs() {
		if j == i {
			in.Focus()
		} else {
			in.Blur()
		}
	}
}

// submit creates the account, or with a code redeems it: a link code
// joins this key to the account that asked for it, an invite creates an
// account even when sign-up is closed.
func (m *Model) submit() tea.Cmd {
	code := strings.TrimSpace(m.code.Value())
	if code == "" && m.closed {
		m.err = errors.New("enter a code: sign-up is closed on this server")
		return nil
	}
	if _, err := app.ValidateName(m.name.Value()); err != nil && code == "" {
		m.err = err
		m.setFocus(0)
		return nil
	}
	if _, err := app.ValidateEmail(m.email.Value()); err != nil {
		m.err = err
		m.setFocus(1)
		return nil
	}
	m.busy = true
	c := m.c.Copy()
	if code != "" {
		p := app.JoinParams{Code: code, Key: m.key, RemoteAddr: m.remote, Name: m.name.Value(), Email: m.email.Value()}
		return func() tea.Msg {
			a, _, err := c.App.SignUpWithCode(c.Ctx, p)
			return resultMsg{actor: a, err: err}
		}
	}
	p := app.SignUpParams{Name: m.name.Value(), Email: m.email.Value(), PublicKey: m.key, RemoteAddr: m.remote}
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
		b.WriteString(st.Warning.Render("Sign-up is closed on this server: enter an invite code from its admin."))
		b.WriteString("\n")
	} else {
		b.WriteString("Create an account for it:\n")
	}
	b.WriteString(st.Muted.Render("Already have an account? Run keys link there (or press a on its Account screen) and enter the code below."))
	b.WriteString("\n\n")
	b.WriteString(m.name.View())
	b.WriteString("\n")
	b.WriteString(m.email.View())
	b.WriteString("\n")
	b.WriteString(m.code.View())
	b.WriteString("\n\n")
	switch {
	case m.busy:
		b.WriteString(st.Muted.Render("Working…"))
	case m.err != nil:
		b.WriteString(st.Error.Render(safetext.Clean(m.err.Error())))
	case !m.closed:
		b.WriteString(st.Muted.Render("Then connect your Etsy shop from the Stores screen."))
	}
	return b.String()
}

func (m *Model) ShortHelp() []key.Binding {
	// The root adds how to quit.
	k := m.c.Keys
	return []key.Binding{common.Relabel(k.NextTab, "next field"), common.Relabel(k.Enter, "create account or use the code")}
}

func (m *Model) FullHelp() [][]key.Binding { return [][]key.Binding{m.ShortHelp()} }
