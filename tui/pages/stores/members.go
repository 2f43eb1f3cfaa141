// The Members panel of the Stores screen: who is in the selected store and
// with which role; owners invite (a one-time code shown once), change
// roles, remove members and revoke invites; anyone may leave. Every action
// is the application layer's, which checks the role again.
package stores

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/safetext"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/tui/common"
)

// prompt is a question the panel waits on; keys answer it.
type prompt int

const (
	noPrompt      prompt = iota
	inviteRole           // v or m
	memberRole           // v, m or o
	confirmRemove        // y or n: the member or invite under the cursor
	confirmLeave         // y or n
)

// membersPanel is the panel for one store.
type membersPanel struct {
	c       *common.Common
	store   app.StoreView
	members []store.Membership
	invites []store.Code
	loaded  bool
	loads   common.Loads
	err     error
	cursor  int
	prompt  prompt
	// code is the invite just issued: shown once, never stored.
	code app.IssuedCode
	note string
	bad  bool
	// left says the account left the store: the screen closes the panel.
	left bool
}

type (
	membersLoadedMsg struct {
		storeID int64
		seq     int
		members []store.Membership
		invites []store.Code
		err     error
	}
	memberDoneMsg struct {
		storeID int64
		note    string
		code    app.IssuedCode
		left    bool
		err     error
	}
)

func newMembersPanel(c *common.Common, s app.StoreView) *membersPanel {
	return &membersPanel{c: c, store: s}
}

func (p *membersPanel) owner() bool { return p.store.Role == store.RoleOwner }

func (p *membersPanel) load() tea.Cmd {
	owner := p.owner()
	return p.loads.ReadStore(p.c, p.store.ID, func(c *common.Common, id int64, seq int) tea.Msg {
		ms, err := c.App.Members(c.Ctx, c.Actor, id)
		if err != nil {
			return membersLoadedMsg{storeID: id, seq: seq, err: err}
		}
		var inv []store.Code
		if owner {
			inv, err = c.App.Invites(c.Ctx, c.Actor, id, false)
		}
		return membersLoadedMsg{storeID: id, seq: seq, members: ms, invites: inv, err: err}
	})
}

// rows is how many lines the cursor moves over: members, then invites.
func (p *membersPanel) rows() int { return len(p.members) + len(p.invites) }

func (p *membersPanel) selectedMember() *store.Membership {
	if p.cursor < len(p.members) {
		return &p.members[p.cursor]
	}
	return nil
}

func (p *membersPanel) selectedInvite() *store.Code {
	if i := p.cursor - len(p.members); i >= 0 && i < len(p.invites) {
		return &p.invites[i]
	}
	return nil
}

// capturing tells whether keys answer a prompt.
func (p *membersPanel) capturing() bool { return p.prompt != noPrompt }

func (p *membersPanel) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case membersLoadedMsg:
		if msg.storeID != p.store.ID {
			return nil
		}
		if p.loads.Take(msg.seq, msg.err, &p.err, func() {
			p.members, p.invites = msg.members, msg.invites
			p.cursor = max(min(p.cursor, p.rows()-1), 0)
		}) {
			p.loaded = true
		}
	case memberDoneMsg:
		if msg.storeID != p.store.ID {
			return nil
		}
		if msg.err != nil {
			p.note, p.bad = errText(msg.err), true
			return nil
		}
		p.note, p.bad, p.left = msg.note, false, msg.left
		if msg.code.Plain != "" {
			p.code = msg.code
		}
		return p.load()
	case common.LiveMsg:
		// A code redeemed on the sign-up screen tells its issuer by
		// AccountChanged; a join or role change names the store.
		if (msg.Event.Kind == hub.MembersChanged && msg.Event.StoreID == p.store.ID) || msg.Event.Kind == hub.AccountChanged {
			return p.load()
		}
	case tea.KeyPressMsg:
		return p.key(msg)
	}
	return nil
}

// do runs an action off the update loop and reports it to the panel.
func (p *membersPanel) do(fn func(c *common.Common) (memberDoneMsg, error)) tea.Cmd {
	c, id := p.c.Copy(), p.store.ID
	return func() tea.Msg {
		msg, err := fn(c)
		msg.storeID, msg.err = id, err
		return msg
	}
}

func (p *membersPanel) key(msg tea.KeyPressMsg) tea.Cmd {
	k := p.c.Keys
	if p.prompt != noPrompt {
		return p.answer(msg)
	}
	p.note = ""
	switch {
	case key.Matches(msg, k.Up):
		p.cursor = max(p.cursor-1, 0)
	case key.Matches(msg, k.Down):
		p.cursor = max(min(p.cursor+1, p.rows()-1), 0)
	case key.Matches(msg, k.Invite) && p.owner():
		p.prompt = inviteRole
	case key.Matches(msg, k.Role) && p.owner() && p.selectedMember() != nil:
		p.prompt = memberRole
	case key.Matches(msg, k.Remove) && p.owner() && (p.selectedMember() != nil || p.selectedInvite() != nil):
		p.prompt = confirmRemove
	case key.Matches(msg, k.Leave):
		p.prompt = confirmLeave
	case key.Matches(msg, k.Toggle):
		return p.toggleAlerts()
	case key.Matches(msg, k.Refresh):
		return p.load()
	}
	return nil
}

// toggleAlerts turns the store's alerts on or off for the actor.
func (p *membersPanel) toggleAlerts() tea.Cmd {
	storeID, me := p.store.ID, p.c.Actor.Account.ID
	for _, m := range p.members {
		if m.AccountID == me {
			on := !m.Alerts
			return p.do(func(c *common.Common) (memberDoneMsg, error) {
				note := "alerts of this shop no longer reach you"
				if on {
					note = "alerts of this shop reach you on your account's channels"
				}
				return memberDoneMsg{note: note}, c.App.SetStoreAlerts(c.Ctx, c.Actor, storeID, on)
			})
		}
	}
	return nil
}

// alertsKey is space, described for this panel.
func (p *membersPanel) alertsKey() key.Binding {
	return common.Relabel(p.c.Keys.Toggle, "your alerts on/off")
}

// roleKey reads v, m and o as roles.
func roleKey(s string) store.Role {
	switch s {
	case "v":
		return store.RoleViewer
	case "m":
		return store.RoleManager
	case "o":
		return store.RoleOwner
	}
	return ""
}

func (p *membersPanel) answer(msg tea.KeyPressMsg) tea.Cmd {
	k := p.c.Keys
	pr := p.prompt
	p.prompt = noPrompt
	storeID := p.store.ID
	switch pr {
	case inviteRole:
		role := roleKey(msg.String())
		if role != store.RoleViewer && role != store.RoleManager {
			return nil
		}
		return p.do(func(c *common.Common) (memberDoneMsg, error) {
			code, err := c.App.Invite(c.Ctx, c.Actor, storeID, role)
			return memberDoneMsg{code: code, note: "invite " + fmt.Sprint(code.Code.ID) + " made"}, err
		})
	case memberRole:
		role, m := roleKey(msg.String()), p.selectedMember()
		if role == "" || m == nil {
			return nil
		}
		id, name := m.AccountID, m.Name
		return p.do(func(c *common.Common) (memberDoneMsg, error) {
			_, err := c.App.MemberSetRole(c.Ctx, c.Actor, storeID, id, role)
			return memberDoneMsg{note: safetext.Clean(name) + " is now " + string(role)}, err
		})
	case confirmRemove:
		if !key.Matches(msg, k.Yes) {
			return nil
		}
		if m := p.selectedMember(); m != nil {
			id, name, self := m.AccountID, m.Name, m.AccountID == p.c.Actor.Account.ID
			return p.do(func(c *common.Common) (memberDoneMsg, error) {
				err := c.App.MemberRemove(c.Ctx, c.Actor, storeID, id)
				return memberDoneMsg{note: "removed " + safetext.Clean(name), left: self}, err
			})
		}
		if inv := p.selectedInvite(); inv != nil {
			id := inv.ID
			return p.do(func(c *common.Common) (memberDoneMsg, error) {
				err := c.App.InviteRevoke(c.Ctx, c.Actor, storeID, id)
				return memberDoneMsg{note: fmt.Sprintf("revoked invite %d", id)}, err
			})
		}
	case confirmLeave:
		if !key.Matches(msg, k.Yes) {
			return nil
		}
		return p.do(func(c *common.Common) (memberDoneMsg, error) {
			err := c.App.Leave(c.Ctx, c.Actor, storeID)
			return memberDoneMsg{note: "you left", left: true}, err
		})
	}
	return nil
}

func (p *membersPanel) view(width int) string {
	st := p.c.Styles
	var b strings.Builder
	b.WriteString(st.Title.Render("Members of " + safetext.Line(p.store.Name, max(width-12, 10))))
	b.WriteString("\n")
	b.WriteString(st.Muted.Render("You are " + string(p.store.Role) + ". Owners do everything; managers edit stock and sync; viewers read."))
	b.WriteString("\n\n")
	switch {
	case p.err != nil:
		b.WriteString(st.Error.Render("Cannot list the members: " + errText(p.err)))
		return b.String()
	case !p.loaded:
		b.WriteString(st.Muted.Render("Loading…"))
		return b.String()
	}
	nameW := max(min(width-40, 30), 10)
	b.WriteString(st.Header.Render(fmt.Sprintf("  %-*s %-*s %-8s %s", nameW, "Name", nameW, "Email", "Role", "Alerts")))
	for i, m := range p.members {
		name := safetext.Line(m.Name, nameW)
		if m.AccountID == p.c.Actor.Account.ID {
			name = safetext.Line(m.Name+" (you)", nameW)
		}
		alerts := "off"
		if m.Alerts {
			alerts = "on"
		}
		line := fmt.Sprintf("  %s %s %-8s %s", pad(name, nameW), pad(safetext.Line(m.Email, nameW), nameW), m.Role, alerts)
		b.WriteByte('\n')
		b.WriteString(p.row(i, line))
	}
	if p.owner() {
		b.WriteString("\n\n")
		if len(p.invites) == 0 {
			b.WriteString(st.Muted.Render("No open invites."))
		} else {
			b.WriteString(st.Header.Render(fmt.Sprintf("  %-8s %-8s %s", "Invite", "Role", "Expires")))
			for i, c := range p.invites {
				line := fmt.Sprintf("  %-8d %-8s %s", c.ID, c.Role, c.ExpiresAt.UTC().Format("2006-01-02 15:04Z"))
				b.WriteByte('\n')
				b.WriteString(p.row(len(p.members)+i, line))
			}
		}
	}
	if p.code.Plain != "" {
		b.WriteString("\n\n")
		b.WriteString("Invite code (shown only now): " + st.Key.Render(p.code.Plain))
		b.WriteString("\n")
		b.WriteString(st.Muted.Render(fmt.Sprintf("A %s joins with: ssh <this host> join %s — or enters it on the sign-up screen. Works once, until %s.",
			p.code.Code.Role, p.code.Plain, p.code.Code.ExpiresAt.UTC().Format("2006-01-02 15:04Z"))))
	}
	b.WriteString("\n\n")
	switch {
	case p.prompt == inviteRole:
		b.WriteString(st.Warning.Render("Invite as: v viewer · m manager · esc cancel"))
	case p.prompt == memberRole:
		b.WriteString(st.Warning.Render("New role for " + safetext.Clean(p.selectedMember().Name) + ": v viewer · m manager · o owner · esc cancel"))
	case p.prompt == confirmRemove && p.selectedMember() != nil:
		b.WriteString(st.Warning.Render("Remove " + safetext.Clean(p.selectedMember().Name) + " from this store? y yes · n no"))
	case p.prompt == confirmRemove:
		b.WriteString(st.Warning.Render(fmt.Sprintf("Revoke invite %d? y yes · n no", p.selectedInvite().ID)))
	case p.prompt == confirmLeave:
		b.WriteString(st.Warning.Render("Leave " + safetext.Clean(p.store.Name) + "? You will no longer see it. y yes · n no"))
	case p.note != "" && p.bad:
		b.WriteString(st.Error.Render(p.note))
	case p.note != "":
		b.WriteString(st.Success.Render(p.note))
	}
	return b.String()
}

func (p *membersPanel) row(i int, line string) string {
	if i == p.cursor {
		return p.c.Styles.Selected.Render(line)
	}
	return line
}

func (p *membersPanel) help() []key.Binding {
	k := p.c.Keys
	if p.prompt == confirmRemove || p.prompt == confirmLeave {
		return []key.Binding{k.Yes, k.No}
	}
	if p.prompt != noPrompt {
		return []key.Binding{k.Cancel}
	}
	out := []key.Binding{k.Up, k.Down}
	if p.owner() {
		out = append(out, k.Invite, k.Role, k.Remove)
	}
	return append(out, p.alertsKey(), k.Leave, k.Refresh, common.Relabel(k.Back, "back to shops"))
}

// pad fills s (already cut) to width cells.
func pad(s string, width int) string {
	return s + strings.Repeat(" ", max(width-lipgloss.Width(s), 0))
}

// errText is an error for the screen; errors may quote other people.
func errText(err error) string { return safetext.Clean(err.Error()) }
