// The members commands: who is in a store and with which role, and the
// store disconnect command.
package command

import (
	"flag"
	"fmt"
	"io"
	"strconv"
	"time"

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
	Alerts    bool   `json:"alerts"`
	You       bool   `json:"you"`
	Since     string `json:"since"`
}

var memberCSVHeader = []string{"account_id", "name", "email", "role", "alerts", "you", "since"}

func runMembersList(r *runner, c *invocation) error {
	m, o, err := r.storeListing(c, c.flags(r))
	if err != nil {
		return err
	}
	members, err := r.app.Members(r.ctx, r.actor, m.ID)
	if err != nil {
		return err
	}
	return r.writeMembers(o, members)
}

// writeMembers prints members in the format o asks for; the actor is
// marked as you.
func (r *runner) writeMembers(o *output, members []store.Membership) error {
	out := jsonItems(members, func(x store.Membership) memberJSON {
		return memberJSON{AccountID: x.AccountID, Name: x.Name, Email: x.Email, Role: string(x.Role), Alerts: x.Alerts,
			You: x.AccountID == r.actor.Account.ID, Since: timestamp(x.CreatedAt)}
	})
	return r.show(o, view{json: out, csvHeader: memberCSVHeader,
		csv: func() [][]string {
			recs := make([][]string, len(out))
			for i, x := range out {
				recs[i] = []string{strconv.FormatInt(x.AccountID, 10), x.Name, x.Email, x.Role, strconv.FormatBool(x.Alerts),
					strconv.FormatBool(x.You), x.Since}
			}
			return recs
		},
		table: func(w io.Writer) error {
			t := newTable(w, []int{0, 40, 60, 0, 0, 0}, "ACCOUNT", "NAME", "EMAIL", "ROLE", "ALERTS", "SINCE")
			for i, x := range out {
				id := strconv.FormatInt(x.AccountID, 10)
				if x.You {
					id += "*"
				}
				t.row(id, x.Name, x.Email, x.Role, onOff(x.Alerts), shortTime(members[i].CreatedAt))
			}
			if err := t.flush(); err != nil {
				return err
			}
			r.notef("* you")
			return nil
		}})
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
	return r.storeCommand(c, 2, 2, func(m store.MemberStore, pos []string) error {
		role, err := app.ParseRole(pos[1])
		if err != nil {
			return usagef(c, "%s", err)
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
	})
}

func runMembersRemove(r *runner, c *invocation) error {
	return r.storeCommand(c, 1, 1, func(m store.MemberStore, pos []string) error {
		who, err := r.member(m.ID, pos[0])
		if err != nil {
			return err
		}
		if err := r.app.MemberRemove(r.ctx, r.actor, m.ID, who.AccountID); err != nil {
			return err
		}
		fmt.Fprintf(r.env.Stdout, "removed %s from %s\n", safetext.Line(who.Name, 60), cleanName(m.Name))
		return nil
	})
}

func runMembersLeave(r *runner, c *invocation) error {
	return r.storeCommand(c, 0, 0, func(m store.MemberStore, _ []string) error {
		if err := r.app.Leave(r.ctx, r.actor, m.ID); err != nil {
			return err
		}
		fmt.Fprintf(r.env.Stdout, "you left %s\n", cleanName(m.Name))
		return nil
	})
}

func runStoreDisconnect(r *runner, c *invocation) error {
	return r.storeCommand(c, 0, 0, func(m store.MemberStore, _ []string) error {
		if err := r.app.Disconnect(r.ctx, r.actor, m.ID); err != nil {
			return err
		}
		fmt.Fprintf(r.env.Stdout, "disconnected %s: Stockroom's Etsy tokens are deleted and syncs stop; its history stays readable. "+
			"Connect it again from the Stores screen.\n", cleanName(m.Name))
		return nil
	})
}

// storeListing adds --store and --format (table, csv, json) to fs, parses
// a command without positional arguments and resolves its store: the
// preamble of the commands that list something of one store.
func (r *runner) storeListing(c *invocation, fs *flag.FlagSet) (store.MemberStore, *output, error) {
	storeRef := storeFlag(fs)
	o := c.output(fs, formatTable, formatCSV, formatJSON)
	if _, err := r.parse(c, fs, 0, 0); err != nil {
		return store.MemberStore{}, nil, err
	}
	m, err := r.resolveStore(*storeRef)
	return m, o, err
}

// storeCommand parses a command whose only flag is --store, resolves the
// store and runs act on it with the positional arguments.
func (r *runner) storeCommand(c *invocation, minPos, maxPos int, act func(m store.MemberStore, pos []string) error) error {
	fs := c.flags(r)
	storeRef := storeFlag(fs)
	pos, err := r.parse(c, fs, minPos, maxPos)
	if err != nil {
		return err
	}
	m, err := r.resolveStore(*storeRef)
	if err != nil {
		return err
	}
	return act(m, pos)
}

// article is "an owner", "a manager", "a viewer".
func article(r store.Role) string {
	if r == store.RoleOwner {
		return "an owner"
	}
	return "a " + string(r)
}

const inviteHelp = `Prints a one-time code that makes its redeemer a viewer or a manager of
the store. Send it to the person: with a Stockroom account they run
ssh <host> join CODE; a new person enters it on the sign-up screen (ssh
<host> with a terminal) and joins as they sign up. The code works once,
expires in 7 days and is stored hashed, so it is shown only now; members
revoke ends it sooner. Only owners invite.`

func runMembersInvite(r *runner, c *invocation) error {
	role := requiredFlag{name: "role", usage: "the role the invitee gets: viewer or manager",
		missing: "choose the role with --role viewer or --role manager"}
	return storeFlagCommand(r, c, role, app.ParseRole, func(m store.MemberStore, role store.Role) error {
		code, err := r.app.Invite(r.ctx, r.actor, m.ID, role)
		if err != nil {
			return err
		}
		fmt.Fprintln(r.env.Stdout, code.Plain)
		r.notef("invite %d: %s of %s until %s. They run `join %s`, or enter it on the sign-up screen.",
			code.Code.ID, article(role), cleanName(m.Name), shortTime(code.Code.ExpiresAt), code.Plain)
		return nil
	})
}

type inviteJSON struct {
	ID        int64  `json:"id"`
	Role      string `json:"role"`
	Status    string `json:"status"`
	InvitedBy int64  `json:"invited_by"`
	codeLifeJSON
}

var inviteCSVHeader = []string{"id", "role", "status", "invited_by", "created_at", "expires_at", "used_at", "used_by", "revoked_at"}

// inviteStatus is where an invite stands at now.
func inviteStatus(c store.Code, now time.Time) string {
	switch {
	case !c.UsedAt.IsZero():
		return "used"
	case !c.RevokedAt.IsZero():
		return "revoked"
	case !now.Before(c.ExpiresAt):
		return "expired"
	}
	return "open"
}

func runMembersInvites(r *runner, c *invocation) error {
	fs := c.flags(r)
	all := fs.Bool("all", false, "list used, expired and revoked invites too")
	m, o, err := r.storeListing(c, fs)
	if err != nil {
		return err
	}
	codes, err := r.app.Invites(r.ctx, r.actor, m.ID, *all)
	if err != nil {
		return err
	}
	now := time.Now()
	out := jsonItems(codes, func(x store.Code) inviteJSON {
		return inviteJSON{ID: x.ID, Role: string(x.Role), Status: inviteStatus(x, now), InvitedBy: x.AccountID, codeLifeJSON: codeLife(x)}
	})
	return r.show(o, view{json: out, csvHeader: inviteCSVHeader,
		empty: "no open invites: members invite --role viewer|manager makes one", count: len(out),
		csv: func() [][]string {
			return codeRecords(codes, now, func(x store.Code) string { return string(x.Role) })
		},
		table: func(w io.Writer) error {
			t := newTable(w, nil, "ID", "ROLE", "STATUS", "INVITED BY", "CREATED", "EXPIRES")
			for i, x := range out {
				t.row(strconv.FormatInt(x.ID, 10), x.Role, x.Status, strconv.FormatInt(x.InvitedBy, 10),
					shortTime(codes[i].CreatedAt), shortTime(codes[i].ExpiresAt))
			}
			return t.flush()
		}})
}

func runMembersRevoke(r *runner, c *invocation) error {
	return r.storeCommand(c, 1, 1, func(m store.MemberStore, pos []string) error {
		id, err := strconv.ParseInt(pos[0], 10, 64)
		if err != nil || id <= 0 {
			return usagef(c, "name the invite by its id, as members invites lists it (not the code)")
		}
		if err := r.app.InviteRevoke(r.ctx, r.actor, m.ID, id); err != nil {
			return err
		}
		fmt.Fprintf(r.env.Stdout, "revoked invite %d\n", id)
		return nil
	})
}

func runMembersAlerts(r *runner, c *invocation) error {
	return r.storeCommand(c, 1, 1, func(m store.MemberStore, pos []string) error {
		if pos[0] != "on" && pos[0] != "off" {
			return usagef(c, "say on or off")
		}
		on := pos[0] == "on"
		if err := r.app.SetStoreAlerts(r.ctx, r.actor, m.ID, on); err != nil {
			return err
		}
		if on {
			fmt.Fprintf(r.env.Stdout, "alerts of %s reach you on your account's channels (Account screen)\n", cleanName(m.Name))
		} else {
			fmt.Fprintf(r.env.Stdout, "alerts of %s no longer reach you; they still show in Stockroom\n", cleanName(m.Name))
		}
		return nil
	})
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}
