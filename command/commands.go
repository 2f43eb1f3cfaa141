// The command tree, and the commands about the account itself: help,
// whoami, stores.
package command

import (
	"flag"
	"io"
	"strconv"
	"strings"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/store"
)

// root builds the command tree. It is built per call: nothing here is
// package-level state.
func root() *command {
	return &command{subs: []*command{
		{name: "help", args: "[command]", summary: "list the commands, or explain one", run: runHelp},
		{name: "whoami", args: "[--format table|json]", summary: "show the account and key you are signed in with", run: runWhoami},
		{name: "stores", args: "[--format table|csv|json] [--raw]", summary: "list your stores and your role in each", run: runStores},
		{name: "inventory", args: "[--store S] [--format table|csv|json] [--raw] [--low] [--filter TEXT]",
			summary: "list every listing × variation with its stock", help: inventoryHelp, run: runInventory},
		{name: "stock", summary: "change stock: queued for Etsy like an edit in the TUI", subs: []*command{
			{name: "set", args: "<sku | listing_id[:product]> <quantity> [--store S] [--dry-run]",
				summary: "set the quantity of a SKU or listing row", help: stockRefHelp, run: runStockSet},
			{name: "add", args: "<sku | listing_id[:product]> <delta> [--store S] [--dry-run]",
				summary: "add to (or, negative, take from) the quantity", help: stockRefHelp, run: runStockAdd},
			{name: "import", args: "[--store S] [--dry-run] [--raw] < file.csv",
				summary: "set many quantities from a CSV (an inventory export, edited)", help: importHelp, run: runStockImport},
		}},
		{name: "sales", args: "[--store S] [--since 7d|DATE] [--format table|csv|json] [--raw]",
			summary: "list recent sales (Etsy receipts)", help: salesHelp, run: runSales},
		{name: "report", args: "[--store S] [--days N] [--format table|csv|json] [--raw]",
			summary: "sales today / 7 / 30 days, top sellers, days of cover and restock", help: reportHelp, run: runReport},
		{name: "sync", args: "[--store S] [--wait]", summary: "ask for a sync with Etsy now", help: syncHelp, run: runSync,
			subs: []*command{
				{name: "log", args: "[--store S] [--limit N] [--format table|json]", summary: "list recent syncs", run: runSyncLog},
			}},
		{name: "alerts", args: "[--store S] [--all] [--follow] [--format table|json]", summary: "list low-stock alerts", help: alertsHelp, run: runAlerts,
			subs: []*command{
				{name: "ack", args: "<alert-id>", summary: "acknowledge an alert (managers, owners)", help: alertHandleHelp, run: runAlertsAck},
				{name: "snooze", args: "<alert-id> 1d|1w|restock", summary: "snooze an alert for a day, a week or until restocked",
					help: alertHandleHelp, run: runAlertsSnooze},
			}},
		{name: "members", summary: "the people in a store and their roles", help: membersHelp, subs: []*command{
			{name: "list", args: "[--store S] [--format table|csv|json]", summary: "list a store's members and their roles", run: runMembersList},
			{name: "role", args: "<member> <owner|manager|viewer> [--store S]", summary: "change a member's role (owners)",
				help: membersHelp, run: runMembersRole},
			{name: "remove", args: "<member> [--store S]", summary: "take a member out of the store (owners)", help: membersHelp, run: runMembersRemove},
			{name: "leave", args: "[--store S]", summary: "leave a store (its last owner hands it over first)", help: membersHelp, run: runMembersLeave},
			{name: "alerts", args: "on|off [--store S]", summary: "choose whether the store's alerts reach you (any member)", run: runMembersAlerts},
			{name: "invite", args: "--role viewer|manager [--store S]", summary: "print a one-time code that invites a person (owners)",
				help: inviteHelp, run: runMembersInvite},
			{name: "invites", args: "[--store S] [--all] [--format table|csv|json]", summary: "list a store's invites (owners)", run: runMembersInvites},
			{name: "revoke", args: "<invite-id> [--store S]", summary: "end an invite before it is used (owners)", run: runMembersRevoke},
		}},
		adminCommand(),
		{name: "join", args: "<code> [--name NAME] [--email EMAIL]", summary: "redeem an invite: a new key gets an account (works when sign-up is closed)",
			help: joinHelp, run: runJoin},
		{name: "store", summary: "act on one store", subs: []*command{
			{name: "disconnect", args: "[--store S]", summary: "unlink the shop from Etsy, keeping its history (owners)", run: runStoreDisconnect},
			{name: "set", args: "--zero-policy deactivate|keep-sold-out [--store S]",
				summary: "set what happens when every variation of a listing reaches 0 (owners)", help: storeSetHelp, run: runStoreSet},
			{name: "cover", args: "<days> [--store S]", summary: "set the days of stock restock suggestions aim for (owners; default 30)", run: runStoreCover},
			{name: "runs-out", args: "<days> [--store S]", summary: "alert when a row's stock lasts fewer days than this (managers, owners; default 7, 0 off)",
				help: runsOutHelp, run: runStoreRunsOut},
		}},
		{name: "activity", args: "[--store S] [--since 7d|DATE] [--until DATE] [--who NAME] [--kind KIND] [--format table|csv|json]",
			summary: "list who changed what, newest first", help: activityHelp, run: runActivity},
		{name: "undo", args: "<event_id> | --batch ID [--store S] [--force]",
			summary: "undo a stock edit (or a whole import) from activity", help: undoHelp, run: runUndo},
		{name: "keys", summary: "manage the SSH keys of your account", subs: []*command{
			{name: "list", args: "[--format table|json]", summary: "list your keys", run: runKeysList},
			{name: "link", summary: "print a one-time code (10 minutes) that lets a new key join this account", help: keysLinkHelp, run: runKeysLink},
			{name: "claim", args: "<code>", summary: "with a new key: join the account whose link code this is", run: runKeysClaim},
			{name: "links", args: "[--all] [--format table|csv|json]", summary: "list your open link codes (ids, never the codes)",
				help: keysLinksHelp, run: runKeysLinks},
			{name: "unlink", args: "<code-id>", summary: "revoke a link code before a key redeems it", help: keysLinksHelp, run: runKeysUnlink},
			{name: "add", summary: "gone: keys are linked with a code (keys link, then keys claim)", run: runKeysAdd},
			{name: "remove", args: "<id | fingerprint>", summary: "remove a key (never your last one)", run: runKeysRemove},
		}},
	}}
}

const joinHelp = `Run with the key that is to get the account, e.g.
  ssh -i ~/.ssh/id_ed25519 THIS_SERVER join 7KQ4-M2XW-9HBT-Z3PV --name "Dora"
An invite works once; the name can be changed later on the Account screen.`

const keysLinkHelp = `A key joins an account only by proving it holds its private half: this
prints a code, and the new key, signing in, redeems it once within 10
minutes with keys claim CODE (or on the sign-up screen). Codes are not
case-sensitive; dashes and spaces are ignored.`

func runHelp(r *runner, c *invocation) error {
	fs := c.flags(r)
	pos, err := r.parse(c, fs, 0, -1)
	if err != nil {
		return err
	}
	t := root()
	if len(pos) == 0 {
		r.printHelp(r.env.Stdout, t, nil)
		return nil
	}
	target := findPath(t, strings.Join(pos, " "))
	if target == nil {
		return usagef(c, "no command %q: run help to list them", strings.Join(pos, " "))
	}
	if target.run == nil {
		r.printHelp(r.env.Stdout, target, pos)
		return nil
	}
	return r.dispatch(target, pos, []string{"--help"})
}

// storeFlag declares --store.
func storeFlag(fs *flag.FlagSet) *string {
	return fs.String("store", "", "the store `S`: its id, Etsy shop id or name (needed when you have several)")
}

// requiredFlag is a flag a command must be given: missing is the usage
// error without it.
type requiredFlag struct{ name, usage, missing string }

// storeFlagCommand parses a command whose flags are --store and the
// required flag f, read by parse (its error is a usage error), resolves
// the store and runs act on it with the value.
func storeFlagCommand[T any](r *runner, c *invocation, f requiredFlag, parse func(string) (T, error), act func(m store.MemberStore, v T) error) error {
	fs := c.flags(r)
	storeRef := storeFlag(fs)
	raw := fs.String(f.name, "", f.usage)
	if _, err := r.parse(c, fs, 0, 0); err != nil {
		return err
	}
	if *raw == "" {
		return usagef(c, "%s", f.missing)
	}
	v, err := parse(*raw)
	if err != nil {
		return usagef(c, "%v", err)
	}
	m, err := r.resolveStore(*storeRef)
	if err != nil {
		return err
	}
	return act(m, v)
}

// resolveStore picks the store a command acts on.
func (r *runner) resolveStore(ref string) (store.MemberStore, error) {
	return r.app.ResolveStore(r.ctx, r.actor, strings.TrimSpace(ref))
}

type whoamiJSON struct {
	AccountID   int64  `json:"account_id"`
	Name        string `json:"name"`
	Email       string `json:"email"`
	Admin       bool   `json:"admin"`
	Fingerprint string `json:"key_fingerprint"`
	CreatedAt   string `json:"created_at"`
}

func runWhoami(r *runner, c *invocation) error {
	out, err := r.formatOnly(c, formatTable, formatJSON)
	if err != nil {
		return err
	}
	a := r.actor.Account
	return r.show(out, view{
		json: whoamiJSON{AccountID: a.ID, Name: a.Name, Email: a.Email, Admin: a.IsAdmin,
			Fingerprint: r.actor.Fingerprint, CreatedAt: timestamp(a.CreatedAt)},
		table: func(w io.Writer) error {
			t := newTable(w, []int{0, 60}, "FIELD", "VALUE")
			t.row("account", strconv.FormatInt(a.ID, 10))
			t.row("name", a.Name)
			t.row("email", a.Email)
			t.row("admin", yesNo(a.IsAdmin))
			t.row("key", r.actor.Fingerprint)
			t.row("since", shortTime(a.CreatedAt))
			return t.flush()
		}})
}

type storeJSON struct {
	ID         int64   `json:"id"`
	EtsyShopID int64   `json:"etsy_shop_id"`
	Name       string  `json:"name"`
	Role       string  `json:"role"`
	Status     string  `json:"status"`
	Currency   string  `json:"currency"`
	Sandbox    bool    `json:"sandbox"`
	LastSyncAt *string `json:"last_sync_at"`
	LastError  string  `json:"last_error"`
}

var storeCSVHeader = []string{"id", "etsy_shop_id", "name", "role", "status", "currency", "sandbox", "last_sync_at", "last_error"}

const storeSetHelp = `--zero-policy says what a push does when every variation of a listing would
be 0, which Etsy cannot hold: deactivate takes the listing off sale (it keeps
its count on Etsy, and Stockroom activates it again when it gets stock back);
keep-sold-out leaves the listing as it is on Etsy and says so beside the row.
Only the store's owner can change it.`

func runStoreSet(r *runner, c *invocation) error {
	zero := requiredFlag{name: "zero-policy", usage: "deactivate or keep-sold-out",
		missing: "name a setting to change: --zero-policy deactivate|keep-sold-out"}
	return storeFlagCommand(r, c, zero, app.ParseZeroPolicy, func(m store.MemberStore, policy store.ZeroPolicy) error {
		st, err := r.app.SetZeroPolicy(r.ctx, r.actor, m.ID, policy)
		if err != nil {
			return err
		}
		r.notef("%s: zero policy is now %s", st.Name, app.ZeroPolicyName(st.ZeroPolicy))
		return nil
	})
}

func runStores(r *runner, c *invocation) error {
	return showList(r, c, r.app.Stores, storesView, formatTable, formatCSV, formatJSON)
}

func storesView(views []app.StoreView) view {
	items := jsonItems(views, func(v app.StoreView) storeJSON {
		return storeJSON{ID: v.ID, EtsyShopID: v.EtsyShopID, Name: v.Name, Role: string(v.Role), Status: string(v.Status),
			Currency: v.Currency, Sandbox: v.IsSandbox, LastSyncAt: optTime(v.LastSyncAt), LastError: v.LastError}
	})
	return view{json: items, csvHeader: storeCSVHeader,
		empty: "no stores yet: connect your Etsy shop in the TUI (ssh without a command)", count: len(items),
		csv: func() [][]string {
			recs := make([][]string, len(items))
			for i, s := range items {
				recs[i] = []string{strconv.FormatInt(s.ID, 10), strconv.FormatInt(s.EtsyShopID, 10), s.Name, s.Role, s.Status,
					s.Currency, strconv.FormatBool(s.Sandbox), timestamp(views[i].LastSyncAt), s.LastError}
			}
			return recs
		},
		table: func(w io.Writer) error {
			// The last error is last and whole, in a seller's words: it is
			// what they act on. --format json has Etsy's own text.
			t := newTable(w, []int{0, 0, 40, 0, 0, 0, 0, 0}, "ID", "SHOP", "NAME", "ROLE", "STATUS", "CURRENCY", "LAST SYNC", "LAST ERROR")
			for i, s := range items {
				name := s.Name
				if s.Sandbox {
					name += " (sandbox)"
				}
				t.row(strconv.FormatInt(s.ID, 10), strconv.FormatInt(s.EtsyShopID, 10), name, s.Role, s.Status, s.Currency,
					shortTime(views[i].LastSyncAt), app.SellerError(s.LastError, s.Name))
			}
			return t.flush()
		}}
}

const stockRefHelp = `Name the row by its SKU (a SKU shared by several rows changes them all,
and says so), by a listing id when the listing has one row, or as
listing_id:product where product is the product_id an export prints, a SKU,
a variation (e.g. "Colour: blue") or a 1-based position in Etsy's order (the
TUI's). --dry-run prints what would change and changes nothing. The change is
recorded in the audit trail and queued for Etsy.`
