// The members commands: who is in a store and with which role, and the
// store disconnect command.
package command

import (
	"fmt"
	"strconv"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/safetext"
	"github.com/stockroom/stockroom/store"
)

const membersHelp = `Roles: an owner does everything; a manager edits stock and thresholds,
imports and runs syncs; a viewer reads inventory, sales, the sync log and
alerts. Name a member by account id, name or email, as members list shows.
A store always keeps an owner: to hand it over, make another member owner,
then change your own role or leave.`

type memberJSON struct {
	AccountID int64  `json:"account_id"`
	Name      string `json:"name"`
	Email     string `json:"email"`
	Role      string `json:"role"`
	You       bool   `json:"you"`
	Since     string `json:"since"`
}

var memberCSVHeader = []string{"account_id", "name", "email", "role", "you", "since"}

func runMembersList(r *runner, c *invocation) error {
	fs := c.flags(r)
	storeRef := storeFlag(fs)
	formatV := formatFlag(fs, formatTable, formatCSV, formatJSON)
	if _, err := r.parse(c, fs, 0, 0); err != nil {
		return err
	}
	f, err := checkFormat(c, *formatV, formatTable, formatCSV, formatJSON)
	if err != nil {
		return err
	}
	m, err := r.resolveStore(*storeRef)
	if err != nil {
		return err
	}
	members, err := r.app.Members(r.ctx, r.actor, m.ID)
	if err != nil {
		return err
	}
	out := make([]memberJSON, len(members))
	for i, x := range members {
		out[i] = memberJSON{AccountID: x.AccountID, Name: x.Name, Email: x.Email, Role: string(x.Role),
			You: x.AccountID == r.actor.Account.ID, Since: timestamp(x.CreatedAt)}
	}
	switch f {
	case formatJSON:
		return writeJSON(r.env.Stdout, out)
	case formatCSV:
		recs := make([][]string, len(out))
		for i, x := range out {
			recs[i] = []string{strconv.FormatInt(x.AccountID, 10), x.Name, x.Email, x.Role, strconv.FormatBool(x.You), x.Since}
		}
		return writeCSV(r.env.Stdout, memberCSVHeader, recs)
	}
	t := newTable(r.env.Stdout, []int{0, 40, 60, 0, 0}, "ACCOUNT", "NAME", "EMAIL", "ROLE", "SINCE")
	for i, x := range out {
		id := strconv.FormatInt(x.AccountID, 10)
		if x.You {
			id += "*"
		}
		t.row(id, x.Name, x.Email, x.Role, shortTime(members[i].CreatedAt))
	}
	if err := t.flush(); err != nil {
		return err
	}
	r.notef("* you")
	return nil
}

// member resolves a member of the store a command names.
func (r *runner) member(storeID int64, ref string) (store.Membership, error) {
	members, err := r.app.Members(r.ctx, r.actor, storeID)
	if err != nil {
		return store.Membership{}, err
	}
	return app.FindMember(members, ref)
}

func runMembersRole(r *runner, c *invocation) error {
	fs := c.flags(r)
	storeRef := storeFlag(fs)
	pos, err := r.parse(c, fs, 2, 2)
	if err != nil {
		return err
	}
	role, err := app.ParseRole(pos[1])
	if err != nil {
		return usagef(c, "%s", err)
	}
	m, err := r.resolveStore(*storeRef)
	if err != nil {
		return err
	}
	who, err := r.member(m.ID, pos[0])
	if err != nil {
		return err
	}
	got, err := r.app.MemberSetRole(r.ctx, r.actor, m.ID, who.AccountID, role)
	if err != nil {
		return err
	}
	fmt.Fprintf(r.env.Stdout, "%s is now %s of %s\n", safetext.Line(got.Name, 60), article(got.Role), cleanName(m.Name))
	return nil
}

func runMembersRemove(r *runner, c *invocation) error {
	fs := c.flags(r)
	storeRef := storeFlag(fs)
	pos, err := r.parse(c, fs, 1, 1)
	if err != nil {
		return err
	}
	m, err := r.resolveStore(*storeRef)
	if err != nil {
		return err
	}
	who, err := r.member(m.ID, pos[0])
	if err != nil {
		return err
	}
	if err := r.app.MemberRemove(r.ctx, r.actor, m.ID, who.AccountID); err != nil {
		return err
	}
	fmt.Fprintf(r.env.Stdout, "removed %s from %s\n", safetext.Line(who.Name, 60), cleanName(m.Name))
	return nil
}

func runMembersLeave(r *runner, c *invocation) error {
	fs := c.flags(r)
	storeRef := storeFlag(fs)
	if _, err := r.parse(c, fs, 0, 0); err != nil {
		return err
	}
	m, err := r.resolveStore(*storeRef)
	if err != nil {
		return err
	}
	if err := r.app.Leave(r.ctx, r.actor, m.ID); err != nil {
		return err
	}
	fmt.Fprintf(r.env.Stdout, "you left %s\n", cleanName(m.Name))
	return nil
}

func runStoreDisconnect(r *runner, c *invocation) error {
	fs := c.flags(r)
	storeRef := storeFlag(fs)
	if _, err := r.parse(c, fs, 0, 0); err != nil {
		return err
	}
	m, err := r.resolveStore(*storeRef)
	if err != nil {
		return err
	}
	if err := r.app.Disconnect(r.ctx, r.actor, m.ID); err != nil {
		return err
	}
	fmt.Fprintf(r.env.Stdout, "disconnected %s: Stockroom's Etsy tokens are deleted and syncs stop; its history stays readable. Connect it again from the Stores screen.\n",
		cleanName(m.Name))
	return nil
}

// article is "an owner", "a manager", "a viewer".
func article(r store.Role) string {
	if r == store.RoleOwner {
		return "an owner"
	}
	return "a " + string(r)
}
