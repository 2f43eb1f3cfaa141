package page_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/tui/common"
	"github.com/stockroom/stockroom/tui/internal/page"
)

func newStore() page.Store {
	return page.NewStore(&common.Common{Styles: common.NewStyles(true), Keys: common.DefaultKeyMap(), Width: 80, Height: 20}, 4)
}

// A store's screen reads again on a change of its own store of a kind it
// shows, and on any change of the account (a refusal shown while it was
// disabled must go); nothing else makes it read.
func TestReloads(t *testing.T) {
	s := newStore()
	s.Switch(7)
	for _, c := range []struct {
		e    hub.Event
		want bool
	}{
		{hub.Event{Kind: hub.SyncFinished, StoreID: 7}, true},
		{hub.Event{Kind: hub.SyncFinished, StoreID: 8}, false},
		{hub.Event{Kind: hub.StockChanged, StoreID: 7}, false},
		{hub.Event{Kind: hub.AccountChanged}, true},
	} {
		if got := s.Reloads(c.e, hub.SyncFinished, hub.StoreChanged); got != c.want {
			t.Errorf("Reloads(%+v) = %v, want %v", c.e, got, c.want)
		}
	}
}

// The list gets what the chrome leaves; another store empties it, the
// same store does not.
func TestSizeAndSwitch(t *testing.T) {
	s := newStore()
	if s.List.Height() != 16 {
		t.Fatalf("list height %d, want 20-4", s.List.Height())
	}
	s.SetSize(80, 10)
	if s.List.Height() != 6 {
		t.Fatalf("list height %d after a resize, want 10-4", s.List.Height())
	}
	if !s.Switch(3) || s.StoreID != 3 {
		t.Fatal("a new store is not a switch")
	}
	s.List.SetLen(5)
	if s.Switch(3) || s.List.Len() != 5 {
		t.Fatal("the same store emptied the list")
	}
	if !s.Switch(4) || s.List.Len() != 0 {
		t.Fatal("another store kept the list")
	}
}

// Under the title stand the rows, or in their place the failure of the
// last read or that no store is selected.
func TestHead(t *testing.T) {
	s := newStore()
	if lines, ok := s.Head("Sales"); ok || len(lines) != 2 || !strings.Contains(ansi.Strip(lines[1]), "No store selected") {
		t.Fatalf("no store: %q, %v", lines, ok)
	}
	s.Switch(1)
	s.Loads.Start()
	if lines, ok := s.Head("Sales"); !ok || len(lines) != 1 || !strings.Contains(ansi.Strip(lines[0]), "loading") {
		t.Fatalf("loading: %q, %v", lines, ok)
	}
	s.Err = errors.New("refused")
	if lines, ok := s.Head("Sales"); ok || !strings.Contains(ansi.Strip(lines[1]), "refused") {
		t.Fatalf("failed read: %q, %v", lines, ok)
	}
}
