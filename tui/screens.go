// The screens of a session, in tab order.
package tui

import (
	"strings"

	"github.com/stockroom/stockroom/tui/common"
	"github.com/stockroom/stockroom/tui/pages/account"
	"github.com/stockroom/stockroom/tui/pages/activity"
	"github.com/stockroom/stockroom/tui/pages/admin"
	"github.com/stockroom/stockroom/tui/pages/alerts"
	"github.com/stockroom/stockroom/tui/pages/home"
	"github.com/stockroom/stockroom/tui/pages/inventory"
	"github.com/stockroom/stockroom/tui/pages/sales"
	"github.com/stockroom/stockroom/tui/pages/stores"
	"github.com/stockroom/stockroom/tui/pages/synclog"
)

// buildScreens makes the tabs for the session's account; the admin screen
// exists only for admins (the application layer checks again).
func buildScreens(c *common.Common) []*screen {
	st := stores.New(c)
	inv := inventory.New(c)
	sa := sales.New(c)
	sy := synclog.New(c)
	al := alerts.New(c)
	ac := activity.New(c)
	out := []*screen{
		{name: "stores", title: "Stores", comp: st, setStore: st.SetStore},
		{name: "inventory", title: "Inventory", comp: inv, setStore: inv.SetStore},
		{name: "sales", title: "Sales", comp: sa, setStore: sa.SetStore},
		{name: "sync", title: "Sync", comp: sy, setStore: sy.SetStore},
		{name: "alerts", title: "Alerts", comp: al, setStore: al.SetStore},
		{name: "activity", title: "Activity", comp: ac, setStore: ac.SetStore},
		{name: "account", title: "Account", comp: account.New(c)},
	}
	if c.Actor.Account.IsAdmin {
		out = append(out, &screen{name: "admin", title: "Admin", comp: admin.New(c)})
	}
	// Home comes last so the numbers of the other screens stay put; a
	// session with a shop opens on it.
	ho := home.New(c)
	out = append(out, &screen{name: "home", title: "Home", comp: ho, setStore: ho.SetStore})
	return out
}

// screenHelp is how the help names a screen's number key.
func screenHelp(s *screen) string {
	if s.name == "sync" {
		return "sync log"
	}
	return strings.ToLower(s.title)
}
