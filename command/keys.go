// The keys commands: the SSH keys that sign in to the account.
package command

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/safetext"
	"github.com/stockroom/stockroom/store"
)

type keyJSON struct {
	ID          int64   `json:"id"`
	Fingerprint string  `json:"fingerprint"`
	Comment     string  `json:"comment"`
	Current     bool    `json:"current"`
	CreatedAt   string  `json:"created_at"`
	LastUsedAt  *string `json:"last_used_at"`
}

func runKeysList(r *runner, c *invocation) error {
	return showList(r, c, r.app.Keys, r.keysView, formatTable, formatJSON)
}

// keysView marks the key of this session.
func (r *runner) keysView(keys []store.Key) view {
	out := jsonItems(keys, func(k store.Key) keyJSON {
		return keyJSON{ID: k.ID, Fingerprint: k.Fingerprint, Comment: k.Comment, Current: k.Fingerprint == r.actor.Fingerprint,
			CreatedAt: timestamp(k.CreatedAt), LastUsedAt: optTime(k.LastUsedAt)}
	})
	return view{json: out, table: func(w io.Writer) error {
		t := newTable(w, []int{0, 0, 40, 0, 0}, "ID", "FINGERPRINT", "COMMENT", "ADDED", "LAST USED")
		for i, k := range out {
			id := strconv.FormatInt(k.ID, 10)
			if k.Current {
				id += "*"
			}
			t.row(id, k.Fingerprint, k.Comment, shortTime(keys[i].CreatedAt), shortTime(keys[i].LastUsedAt))
		}
		if err := t.flush(); err != nil {
			return err
		}
		r.notef("* the key of this session")
		return nil
	}}
}

// runKeysAdd is the old way of adding a key, which proved nothing about
// who holds it; it now says how to link one.
func runKeysAdd(r *runner, c *invocation) error {
	if _, err := r.parse(c, c.flags(r), 0, -1); err != nil {
		return err
	}
	return usagef(c, "%s", app.ErrKeyAddGone.Error())
}

func runKeysLink(r *runner, c *invocation) error {
	fs := c.flags(r)
	if _, err := r.parse(c, fs, 0, 0); err != nil {
		return err
	}
	code, err := r.app.KeyLinkCode(r.ctx, r.actor)
	if err != nil {
		return err
	}
	fmt.Fprintln(r.env.Stdout, code.Plain)
	r.notef("With the new key, within %d minutes and once, run:", int(app.KeyLinkTTL.Minutes()))
	r.notef("  ssh -i NEW_KEY THIS_SERVER keys claim %s", code.Plain)
	r.notef("or connect with it interactively and enter the code on the sign-up screen.")
	return nil
}

func runKeysClaim(r *runner, c *invocation) error {
	fs := c.flags(r)
	pos, err := r.parse(c, fs, 1, 1)
	if err != nil {
		return err
	}
	if r.actor.Account.ID != 0 {
		return app.ErrKeyHasAccount
	}
	a, err := r.app.ClaimKey(r.ctx, r.env.PublicKey, r.env.RemoteAddr, pos[0])
	if err != nil {
		return err
	}
	fmt.Fprintf(r.env.Stdout, "this key (%s) now signs in to %s's account\n", a.Fingerprint, safetext.Line(a.Account.Name, 64))
	return nil
}

func runKeysRemove(r *runner, c *invocation) error {
	fs := c.flags(r)
	pos, err := r.parse(c, fs, 1, 1)
	if err != nil {
		return err
	}
	keys, err := r.app.Keys(r.ctx, r.actor)
	if err != nil {
		return err
	}
	ref := strings.TrimSpace(pos[0])
	id, _ := strconv.ParseInt(ref, 10, 64)
	for _, k := range keys {
		if (id != 0 && k.ID == id) || k.Fingerprint == ref {
			if err := r.app.KeyRemove(r.ctx, r.actor, k.ID); err != nil {
				return err
			}
			fmt.Fprintf(r.env.Stdout, "removed key %d %s\n", k.ID, k.Fingerprint)
			return nil
		}
	}
	return fmt.Errorf("you have no key %q: keys list shows them", ref)
}

func runJoin(r *runner, c *invocation) error {
	fs := c.flags(r)
	name := fs.String("name", "", "your display name (default \"New seller\")")
	email := fs.String("email", "", "your email, for low-stock alerts")
	pos, err := r.parse(c, fs, 1, 1)
	if err != nil {
		return err
	}
	p := app.JoinParams{Code: pos[0], Key: r.env.PublicKey, RemoteAddr: r.env.RemoteAddr, Name: *name, Email: *email}
	if r.actor.Account.ID != 0 {
		p.Actor = &r.actor
	}
	a, code, err := r.app.Join(r.ctx, p)
	if err != nil {
		return err
	}
	if code.Kind == store.CodeStoreInvite {
		fmt.Fprintf(r.env.Stdout, "%s joined store %d as %s\n", safetext.Line(a.Account.Name, 64), code.StoreID, code.Role)
		return nil
	}
	fmt.Fprintf(r.env.Stdout, "account %d created for %s; connect with a terminal to continue\n", a.Account.ID, safetext.Line(a.Account.Name, 64))
	return nil
}

func runAdminInvite(r *runner, c *invocation) error {
	if _, err := r.parse(c, c.flags(r), 0, 0); err != nil {
		return err
	}
	code, err := r.app.AdminInvite(r.ctx, r.actor)
	if err != nil {
		return err
	}
	fmt.Fprintln(r.env.Stdout, code.Plain)
	r.notef("The invited person runs, with their key, within 7 days and once:")
	r.notef("  ssh THIS_SERVER join %s --name \"Their name\"", code.Plain)
	r.notef("or connects with a terminal and enters the code on the sign-up screen.")
	return nil
}
