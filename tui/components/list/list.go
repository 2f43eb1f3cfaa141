// Package list is the cursor and scroll window the TUI's list screens
// share: moving by a row, a page or to either end, keeping the cursor's
// item in view (items may be taller than one line), and telling the screen
// which items fit. It holds indices only: each screen draws its own rows in
// the session's styles.
package list

import (
	"iter"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/stockroom/stockroom/tui/common"
)

// KeyMap is the navigation a list answers to. A zero binding is a key the
// screen does not offer.
type KeyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
}

// NewKeyMap takes every navigation key from the session's keymap.
func NewKeyMap(k *common.KeyMap) KeyMap {
	return KeyMap{Up: k.Up, Down: k.Down, PageUp: k.PageUp, PageDown: k.PageDown, Top: k.Top, Bottom: k.Bottom}
}

// Bindings are the keymap's enabled bindings, in help order.
func (k KeyMap) Bindings() []key.Binding {
	var out []key.Binding
	for _, b := range []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom} {
		if b.Enabled() {
			out = append(out, b)
		}
	}
	return out
}

// Model is the position in a list of Len items.
type Model struct {
	keys KeyMap
	// n items; the first fixed stand above the window and never scroll.
	n, fixed int
	height   int
	// lines is the height of item i, nil for one line each.
	lines          func(i int) int
	cursor, offset int
}

// New is an empty list with a one-line window.
func New(keys KeyMap) Model { return Model{keys: keys, height: 1} }

// Keys is the keymap the list answers to, for the screen's help.
func (m *Model) Keys() KeyMap { return m.keys }

// Len is the number of items.
func (m *Model) Len() int { return m.n }

// Cursor is the index of the selected item.
func (m *Model) Cursor() int { return m.cursor }

// Height is how many lines the window shows.
func (m *Model) Height() int { return m.height }

// SetLen tells the list how many items there are now; the cursor stays on
// its index, or the last item when the list got shorter.
func (m *Model) SetLen(n int) {
	m.n = max(0, n)
	m.cursor = max(0, min(m.cursor, m.n-1))
	m.scroll()
}

// SetHeight sets how many lines the window shows (at least one).
func (m *Model) SetHeight(h int) {
	m.height = max(1, h)
	m.scroll()
}

// SetFixed keeps the first n items above the window: the cursor runs over
// them, but only the items after them scroll.
func (m *Model) SetFixed(n int) {
	m.fixed = max(0, n)
	m.offset = max(m.offset, m.fixed)
	m.scroll()
}

// SetItemHeight gives the lines item i takes, for lists whose items open
// up; nil is one line each.
func (m *Model) SetItemHeight(lines func(i int) int) {
	m.lines = lines
	m.scroll()
}

// SetCursor selects item i.
func (m *Model) SetCursor(i int) {
	m.cursor = max(0, min(i, m.n-1))
	m.scroll()
}

// Reset goes back to the first item, for a list of other things.
func (m *Model) Reset() {
	m.cursor, m.offset = 0, m.fixed
	m.scroll()
}

// Clear empties the list and goes back to the top, for a screen that
// drops what it showed (another store).
func (m *Model) Clear() {
	m.SetLen(0)
	m.Reset()
}

// Keep tells l that next replaces prev, the items it listed, and keeps
// the cursor on the item it was on (by id) when next still has it, else
// on the first: a reload keeps the seller's place. The screen holds next
// before it calls Keep, as the list may ask the height of its items.
func Keep[T any](l *Model, prev, next []T, id func(T) int64) {
	var cur int64
	was := l.cursor < len(prev)
	if was {
		cur = id(prev[l.cursor])
	}
	l.SetLen(len(next))
	at := 0
	for i, x := range next {
		if was && id(x) == cur {
			at = i
			break
		}
	}
	l.SetCursor(at)
}

// Toggle opens or closes the item under the cursor, one of items: open
// is the set of items (by id) drawn with their detail lines. The cursor
// is put again, as the item's new height may push it out of view.
func Toggle[T any](l *Model, items []T, id func(T) int64, open map[int64]bool) {
	if c := l.cursor; c < len(items) {
		k := id(items[c])
		open[k] = !open[k]
		l.SetCursor(c)
	}
}

// Move moves the cursor by d items, stopping at either end.
func (m *Model) Move(d int) { m.SetCursor(m.cursor + d) }

// Update moves the cursor for a navigation key and reports whether msg
// was one, so the screen handles only the rest.
func (m *Model) Update(msg tea.Msg) bool {
	kp, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return false
	}
	d, ok := m.keys.Step(kp, m.height, m.n)
	if ok {
		m.Move(d)
	}
	return ok
}

// Step is how far a navigation key moves a cursor over n items with page
// items to a page, and whether msg is one: the list's own moves, and
// those of a screen that keeps its own cursor (Inventory's rows).
func (k KeyMap) Step(msg tea.KeyPressMsg, page, n int) (int, bool) {
	switch {
	case key.Matches(msg, k.Up):
		return -1, true
	case key.Matches(msg, k.Down):
		return 1, true
	case key.Matches(msg, k.PageUp):
		return -page, true
	case key.Matches(msg, k.PageDown):
		return page, true
	case key.Matches(msg, k.Top):
		return -n, true
	case key.Matches(msg, k.Bottom):
		return n, true
	}
	return 0, false
}

// Visible yields the indices of the scrolling items in the window, from
// the top; the last may not fit whole when items are taller than a line.
func (m *Model) Visible() iter.Seq[int] {
	return func(yield func(int) bool) {
		used := 0
		for i := m.offset; i < m.n && used < m.height; i++ {
			if !yield(i) {
				return
			}
			used += m.lineCount(i)
		}
	}
}

func (m *Model) lineCount(i int) int {
	if m.lines == nil {
		return 1
	}
	return m.lines(i)
}

// scroll moves the window the least that brings the cursor's item, whole,
// into view.
func (m *Model) scroll() {
	if m.cursor < m.fixed {
		return
	}
	if m.cursor < m.offset {
		m.offset = m.cursor
	}
	if m.lines == nil {
		if m.cursor >= m.offset+m.height {
			m.offset = m.cursor - m.height + 1
		}
		return
	}
	for m.offset < m.cursor {
		n := 0
		for i := m.offset; i <= m.cursor; i++ {
			n += m.lines(i)
		}
		if n <= m.height {
			break
		}
		m.offset++
	}
}
