package common

import "charm.land/bubbles/v2/key"

// KeyMap is the one keymap of the TUI. Screens pick their short and full
// help from it.
type KeyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
	Left, Right                             key.Binding
	Enter, Back, Quit, Help, Palette        key.Binding
	Filter, Sort, SortReverse, JumpLow      key.Binding
	Edit, Inc, Dec, Save, Cancel            key.Binding
	Refresh, SyncNow, Connect, ZeroPolicy   key.Binding
	Threshold, History, Toggle, Add, Remove key.Binding
	NextTab, PrevTab                        key.Binding
	LinkTelegram                            key.Binding
	// The Alerts screen's handling keys.
	Ack, SnoozeDay, SnoozeWeek, SnoozeRestock key.Binding
	// RunsOut sets the store's "runs out within N days".
	RunsOut key.Binding
	// The Stores screen's team and shop keys.
	Members, Invite, Role, Leave, Disconnect key.Binding
	Yes, No                                  key.Binding
	Screen1, Screen2, Screen3, Screen4       key.Binding
	Screen5, Screen6, Screen7, Screen8       key.Binding
	Screen9                                  key.Binding
	Undo, Force                              key.Binding
	// Ledger switches the Activity screen between the store's, the
	// account's own and (admins) the admin ledger.
	Ledger key.Binding
}

func bind(help, desc string, keys ...string) key.Binding {
	return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
}

// DefaultKeyMap builds the keymap for one session.
func DefaultKeyMap() *KeyMap {
	return &KeyMap{
		Up:            bind("↑/k", "up", "up", "k"),
		Down:          bind("↓/j", "down", "down", "j"),
		PageUp:        bind("pgup", "page up", "pgup", "ctrl+b"),
		PageDown:      bind("pgdn", "page down", "pgdown", "ctrl+f"),
		Top:           bind("g", "top", "g", "home"),
		Bottom:        bind("G", "bottom", "G", "end"),
		Left:          bind("←/h", "left", "left", "h"),
		Right:         bind("→/l", "right", "right", "l"),
		Enter:         bind("enter", "open", "enter"),
		Back:          bind("esc", "back", "esc"),
		Quit:          bind("q", "quit", "q", "ctrl+c"),
		Help:          bind("?", "help", "?"),
		Palette:       bind(":", "commands", ":"),
		Filter:        bind("/", "filter", "/"),
		Sort:          bind("s", "sort", "s"),
		SortReverse:   bind("S", "reverse sort", "S"),
		JumpLow:       bind("L", "next low stock", "L"),
		Edit:          bind("e", "edit stock", "e", "enter"),
		Inc:           bind("+", "one more", "+", "="),
		Dec:           bind("-", "one less", "-"),
		Save:          bind("enter", "save", "enter"),
		Cancel:        bind("esc", "cancel", "esc"),
		Refresh:       bind("r", "reload", "r", "ctrl+r"),
		SyncNow:       bind("y", "sync now", "y"),
		Connect:       bind("c", "connect shop", "c"),
		ZeroPolicy:    bind("z", "at 0: deactivate / keep", "z"),
		Threshold:     bind("t", "low-stock threshold", "t"),
		History:       bind("H", "history", "H"),
		Toggle:        bind("space", "toggle", "space"),
		Add:           bind("a", "add", "a"),
		Remove:        bind("x", "remove", "x", "delete"),
		NextTab:       bind("tab", "next screen", "tab"),
		LinkTelegram:  bind("T", "link Telegram", "T"),
		PrevTab:       bind("shift+tab", "previous screen", "shift+tab"),
		Members:       bind("m", "members", "m"),
		Invite:        bind("i", "invite", "i"),
		Role:          bind("o", "change role", "o"),
		Leave:         bind("X", "leave store", "X"),
		Disconnect:    bind("D", "disconnect shop", "D"),
		Yes:           bind("y", "yes", "y"),
		No:            bind("n", "no", "n", "esc"),
		Screen1:       bind("1", "stores", "1"),
		Screen2:       bind("2", "inventory", "2"),
		Screen3:       bind("3", "sales", "3"),
		Screen4:       bind("4", "sync log", "4"),
		Screen5:       bind("5", "alerts", "5"),
		Screen6:       bind("6", "activity", "6"),
		Screen7:       bind("7", "account", "7"),
		Screen8:       bind("8", "admin", "8"),
		Screen9:       bind("9", "home", "9"),
		Ack:           bind("A", "acknowledge", "A"),
		SnoozeDay:     bind("z", "snooze a day", "z"),
		SnoozeWeek:    bind("Z", "snooze a week", "Z"),
		SnoozeRestock: bind("R", "snooze until restocked", "R"),
		RunsOut:       bind("d", "runs out within N days", "d"),
		Undo:          bind("u", "undo", "u"),
		Force:         bind("f", "undo as reverse change", "f"),
		Ledger:        bind("v", "store/account/admin ledger", "v"),
	}
}

// ScreenKeys are the number keys, in tab order: each opens the screen at its
// place in the session's tabs.
func (k *KeyMap) ScreenKeys() []key.Binding {
	return []key.Binding{k.Screen1, k.Screen2, k.Screen3, k.Screen4, k.Screen5, k.Screen6, k.Screen7, k.Screen8, k.Screen9}
}
