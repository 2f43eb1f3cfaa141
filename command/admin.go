// The admin commands: every account and store on the server, disabling
// and enabling accounts, a store's members, and inviting a person to a
// closed server. Only sessions signed with an admin key may run them; the
// application layer checks, and records each action.
package command

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/safetext"
	"github.com/stockroom/stockroom/store"
)

// adminCommand is the admin subtree of the command tree.
func adminCommand() *command {
	return &command{name: "admin", summary: "server administration (admin keys only)", subs: []*command{
		{name: "accounts", args: "[--format table|csv|json]", summary: "list every account", run: runAdminAccounts},
		{name: "stores", args: "[--format table|csv|json]", summary: "list every store with its owner and status", run: runAdminStores},
		{name: "members", args: "<store-id> [--format table|csv|json]", summary: "list a store's members", run: runAdminMembers},
		{name: "disable", args: "<account-id>", summary: "disable an account: its sessions end, its keys are refused", run: runAdminDisable},
		{name: "enable", args: "<account-id>", summary: "enable a disabled account", run: runAdminEnable},
		{name: "invite", summary: "print a one-time code (7 days) that lets a person sign up, even when sign-up is closed", run: runAdminInvite},
		{name: "invites", args: "[--all] [--format table|csv|json]", summary: "list the open account invites of every admin",
			help: adminInvitesHelp, run: runAdminInvites},
		{name: "revoke", args: "<code-id>", summary: "revoke an account invite before it is used", help: adminInvitesHelp, run: runAdminRevoke},
	}}
}

type adminAccountJSON struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	Email     string `json:"email"`
	Admin     bool   `json:"admin"`
	Disabled  bool   `json:"disabled"`
	CreatedAt string `json:"created_at"`
}

func runAdminAccounts(r *runner, c *invocation) error {
	return showList(r, c, r.app.AdminAccounts, adminAccountsView, formatTable, formatCSV, formatJSON)
}

func adminAccountsView(accts []store.Account) view {
	out := jsonItems(accts, func(a store.Account) adminAccountJSON {
		return adminAccountJSON{ID: a.ID, Name: a.Name, Email: a.Email, Admin: a.IsAdmin, Disabled: a.Disabled, CreatedAt: timestamp(a.CreatedAt)}
	})
	return view{json: out, csvHeader: []string{"id", "name", "email", "admin", "disabled", "created_at"},
		csv: func() [][]string {
			recs := make([][]string, len(out))
			for i, a := range out {
				recs[i] = []string{strconv.FormatInt(a.ID, 10), a.Name, a.Email, strconv.FormatBool(a.Admin), strconv.FormatBool(a.Disabled), a.CreatedAt}
			}
			return recs
		},
		table: func(w io.Writer) error {
			t := newTable(w, []int{0, 40, 60, 0, 0, 0}, "ID", "NAME", "EMAIL", "ADMIN", "DISABLED", "SINCE")
			for i, a := range out {
				t.row(strconv.FormatInt(a.ID, 10), a.Name, a.Email, yesNo(a.Admin), yesNo(a.Disabled), shortTime(accts[i].CreatedAt))
			}
			return t.flush()
		}}
}

type adminStoreJSON struct {
	ID         int64   `json:"id"`
	EtsyShopID int64   `json:"etsy_shop_id"`
	Name       string  `json:"name"`
	Status     string  `json:"status"`
	Owners     []int64 `json:"owner_ids"`
	Members    int     `json:"members"`
	LastSyncAt *string `json:"last_sync_at"`
	LastError  string  `json:"last_error"`
}

func runAdminStores(r *runner, c *invocation) error {
	return showList(r, c, r.app.AdminStores, adminStoresView, formatTable, formatCSV, formatJSON)
}

func adminStoresView(stores []app.AdminStore) view {
	out := jsonItems(stores, func(s app.AdminStore) adminStoreJSON {
		j := adminStoreJSON{ID: s.Store.ID, EtsyShopID: s.Store.EtsyShopID, Name: s.Store.Name, Status: string(s.Store.Status),
			Owners: []int64{}, Members: len(s.Members), LastSyncAt: optTime(s.Store.LastSyncAt), LastError: s.Store.LastError}
		for _, m := range s.Members {
			if m.Role == store.RoleOwner {
				j.Owners = append(j.Owners, m.AccountID)
			}
		}
		return j
	})
	return view{json: out, csvHeader: []string{"id", "etsy_shop_id", "name", "status", "owner_ids", "members", "last_sync_at", "last_error"},
		csv: func() [][]string {
			recs := make([][]string, len(out))
			for i, s := range out {
				recs[i] = []string{strconv.FormatInt(s.ID, 10), strconv.FormatInt(s.EtsyShopID, 10), s.Name, s.Status,
					joinIDs(s.Owners, " "), strconv.Itoa(s.Members), timestamp(stores[i].Store.LastSyncAt), s.LastError}
			}
			return recs
		},
		table: func(w io.Writer) error {
			t := newTable(w, []int{0, 0, 40, 0, 0, 0, 0, 60}, "ID", "SHOP", "NAME", "STATUS", "OWNERS", "MEMBERS", "LAST SYNC", "ERROR")
			for i, s := range out {
				t.row(strconv.FormatInt(s.ID, 10), strconv.FormatInt(s.EtsyShopID, 10), s.Name, s.Status, joinIDs(s.Owners, ","),
					strconv.Itoa(s.Members), shortTime(stores[i].Store.LastSyncAt), s.LastError)
			}
			return t.flush()
		}}
}

// joinIDs writes ids in decimal, separated by sep.
func joinIDs(ids []int64, sep string) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(s, sep)
}

func runAdminMembers(r *runner, c *invocation) error {
	fs := c.flags(r)
	o := c.output(fs, formatTable, formatCSV, formatJSON)
	id, err := r.parseID(c, fs, "store")
	if err != nil {
		return err
	}
	_, members, err := r.app.AdminMembers(r.ctx, r.actor, id)
	if err != nil {
		return err
	}
	return r.writeMembers(o, members)
}

func runAdminDisable(r *runner, c *invocation) error { return runAdminSetDisabled(r, c, true) }
func runAdminEnable(r *runner, c *invocation) error  { return runAdminSetDisabled(r, c, false) }

func runAdminSetDisabled(r *runner, c *invocation, disabled bool) error {
	fs := c.flags(r)
	id, err := r.parseID(c, fs, "account")
	if err != nil {
		return err
	}
	if err := r.app.AdminSetDisabled(r.ctx, r.actor, id, disabled); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("no account %d: admin accounts lists them", id)
		}
		return err
	}
	verb := "enabled"
	if disabled {
		verb = "disabled"
	}
	fmt.Fprintf(r.env.Stdout, "%s account %d\n", verb, id)
	return nil
}

// parseID parses fs and one argument, the id of a what.
func (r *runner) parseID(c *invocation, fs *flag.FlagSet, what string) (int64, error) {
	pos, err := r.parse(c, fs, 1, 1)
	if err != nil {
		return 0, err
	}
	return idArg(c, pos[0], what)
}

// idArg reads a positive id.
func idArg(c *invocation, s, what string) (int64, error) {
	id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || id <= 0 {
		return 0, usagef(c, "%q is not a %s id", safetext.Clean(s), what)
	}
	return id, nil
}
