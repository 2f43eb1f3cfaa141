// The screens of a session, in tab order.
package tui

import (
	"strings"

	tea "charm.land/bubbletea/v2"

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

// screen is one tab. Its component is built the first time the tab is
// shown: a session opened on one screen reads and holds that screen's data
// only, so a burst of sessions opening on Inventory costs Inventory's
// queries and memory, not every tab's.
type screen struct {
	name  string // as Options.Screen spells it
	title string
	build func(*common.Common) common.Component
	comp  common.Component // nil until the tab is first shown
}

// storeSetter is a screen that shows the current store.
type storeSetter interface {
	SetStore(storeID int64) tea.Cmd
}

// buildScreens lists the tabs for the session's account; the admin screen
// exists only for admins (the application layer checks again).
func buildScreens(c *common.Common) []*screen {
	out := []*screen{
		{name: "stores", title: "Stores", build: func(c *common.Common) common.Component { return stores.New(c) }},
		{name: "inventory", title: "Inventory", build: func(c *common.Common) common.Component { return inventory.New(c) }},
		{name: "sales", title: "Sales", build: func(c *common.Common) common.Component { return sales.New(c) }},
		{name: "sync", title: "Sync", build: func(c *common.Common) common.Component { return synclog.New(c) }},
		{name: "alerts", title: "Alerts", build: func(c *common.Common) common.Component { return alerts.New(c) }},
		{name: "activity", title: "Activity", build: func(c *common.Common) common.Component { return activity.New(c) }},
		{name: "account", title: "Account", build: func(c *common.Common) common.Component { return account.New(c) }},
	}
	if c.Actor.Account.IsAdmin {
		out = append(out, &screen{name: "admin", title: "Admin", build: func(c *common.Common) common.Component { return admin.New(c) }})
	}
	// Home comes last so the numbers of the other screens stay put; a
	// session with a shop opens on it.
	out = append(out, &screen{name: "home", title: "Home", build: func(c *common.Common) common.Component { return home.New(c) }})
	return out
}

// screenHelp is how the help names a screen's number key.
func screenHelp(s *screen) string {
	if s.name == "sync" {
		return "sync log"
	}
	return strings.ToLower(s.title)
}
