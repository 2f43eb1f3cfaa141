package list_test

import (
	"slices"
	"testing"

	"github.com/stockroom/stockroom/tui/common"
	"github.com/stockroom/stockroom/tui/components/list"
	"github.com/stockroom/stockroom/tui/internal/tuitest"
)

func press(t *testing.T, m *list.Model, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if !m.Update(tuitest.Key(k)) {
			t.Fatalf("%s is not a navigation key", k)
		}
	}
}

func TestWindowFollowsTheCursor(t *testing.T) {
	m := list.New(list.NewKeyMap(common.DefaultKeyMap()))
	m.SetHeight(3)
	m.SetLen(10)
	press(t, &m, "j", "j", "j")
	if got := slices.Collect(m.Visible()); m.Cursor() != 3 || !slices.Equal(got, []int{1, 2, 3}) {
		t.Fatalf("after 3 down: cursor %d, visible %v", m.Cursor(), got)
	}
	press(t, &m, "pgdown", "pgdown", "pgdown")
	if got := slices.Collect(m.Visible()); m.Cursor() != 9 || !slices.Equal(got, []int{7, 8, 9}) {
		t.Fatalf("after pages down: cursor %d, visible %v", m.Cursor(), got)
	}
	press(t, &m, "g")
	if got := slices.Collect(m.Visible()); m.Cursor() != 0 || !slices.Equal(got, []int{0, 1, 2}) {
		t.Fatalf("top: cursor %d, visible %v", m.Cursor(), got)
	}
	m.SetCursor(8)
	m.SetLen(4)
	if got := slices.Collect(m.Visible()); m.Cursor() != 3 || !slices.Equal(got, []int{3}) {
		t.Fatalf("shorter list: cursor %d, visible %v, want the last item in view", m.Cursor(), got)
	}
	if m.Update(tuitest.Key("r")) {
		t.Fatal("r moved the list")
	}
}

func TestKeysTheScreenDoesNotOffer(t *testing.T) {
	k := common.DefaultKeyMap()
	m := list.New(list.KeyMap{Up: k.Up, Down: k.Down})
	m.SetLen(5)
	if m.Update(tuitest.Key("pgdown")) || m.Update(tuitest.Key("G")) {
		t.Fatal("a key the screen left out moved the list")
	}
	if n := len(m.Keys().Bindings()); n != 2 {
		t.Fatalf("help lists %d bindings, want 2", n)
	}
}

func TestFixedItemsStayAndTallItemsFit(t *testing.T) {
	m := list.New(list.NewKeyMap(common.DefaultKeyMap()))
	m.SetFixed(2)
	m.SetHeight(2)
	m.SetLen(8)
	if got := slices.Collect(m.Visible()); !slices.Equal(got, []int{2, 3}) {
		t.Fatalf("visible below the fixed items: %v", got)
	}
	press(t, &m, "G")
	if got := slices.Collect(m.Visible()); !slices.Equal(got, []int{6, 7}) {
		t.Fatalf("bottom: %v", got)
	}
	// On a fixed item the window stays where it was.
	press(t, &m, "g")
	if got := slices.Collect(m.Visible()); m.Cursor() != 0 || !slices.Equal(got, []int{6, 7}) {
		t.Fatalf("top, on a fixed item: cursor %d, visible %v", m.Cursor(), got)
	}
	press(t, &m, "j", "j")
	if got := slices.Collect(m.Visible()); m.Cursor() != 2 || !slices.Equal(got, []int{2, 3}) {
		t.Fatalf("first scrolling item: cursor %d, visible %v", m.Cursor(), got)
	}

	// Item 1 takes three lines of a four-line window.
	tall := list.New(list.NewKeyMap(common.DefaultKeyMap()))
	tall.SetHeight(4)
	tall.SetLen(5)
	tall.SetItemHeight(func(i int) int {
		if i == 1 {
			return 3
		}
		return 1
	})
	press(t, &tall, "j", "j")
	if got := slices.Collect(tall.Visible()); !slices.Equal(got, []int{1, 2}) {
		t.Fatalf("the cursor's item and the tall one above it: %v", got)
	}
}

// A reload keeps the cursor on the item it was on, wherever it moved, and
// goes to the first item when that one is gone.
func TestKeepFollowsTheItem(t *testing.T) {
	id := func(v int) int64 { return int64(v) }
	m := list.New(list.NewKeyMap(common.DefaultKeyMap()))
	m.SetHeight(3)
	prev := []int{10, 20, 30, 40}
	m.SetLen(len(prev))
	m.SetCursor(2)
	next := []int{5, 40, 30, 20, 10}
	list.Keep(&m, prev, next, id)
	if m.Len() != 5 || m.Cursor() != 2 {
		t.Fatalf("after a reload that kept 30: len %d, cursor %d, want 5 and 2", m.Len(), m.Cursor())
	}
	list.Keep(&m, next, []int{40, 5, 30}, id)
	if m.Cursor() != 2 {
		t.Fatalf("30 moved to 2: cursor %d", m.Cursor())
	}
	list.Keep(&m, []int{40, 5, 30}, []int{1, 2, 3, 4}, id)
	if m.Cursor() != 0 {
		t.Fatalf("30 gone: cursor %d, want 0", m.Cursor())
	}
}

// Toggle opens the item under the cursor and closes it again, and brings
// it back into view when opening it made it taller than what was left.
func TestToggleOpensTheCursorItemInView(t *testing.T) {
	items := []int{10, 20, 30}
	open := map[int64]bool{}
	m := list.New(list.NewKeyMap(common.DefaultKeyMap()))
	m.SetItemHeight(func(i int) int {
		if open[int64(items[i])] {
			return 3
		}
		return 1
	})
	m.SetHeight(3)
	m.SetLen(len(items))
	m.SetCursor(2)
	list.Toggle(&m, items, func(v int) int64 { return int64(v) }, open)
	if !open[30] || len(open) != 1 {
		t.Fatalf("after a toggle on 30: open %v", open)
	}
	if got := slices.Collect(m.Visible()); !slices.Equal(got, []int{2}) {
		t.Fatalf("the opened item is not in view alone: visible %v", got)
	}
	list.Toggle(&m, items, func(v int) int64 { return int64(v) }, open)
	if open[30] {
		t.Fatal("a second toggle did not close 30")
	}
	m.SetLen(0)
	list.Toggle(&m, nil, func(v int) int64 { return int64(v) }, open)
	if len(open) != 1 {
		t.Fatalf("a toggle on an empty list changed %v", open)
	}
}
