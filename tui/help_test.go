package tui

import (
	"strings"
	"testing"

	"charm.land/bubbles/v2/key"

	"github.com/stockroom/stockroom/tui/internal/tuitest"
)

// Issue 17: the full help listed the keys of only two of the screens.
func TestFullHelpListsEveryScreenKey(t *testing.T) {
	_, l := ownerInventory(t, tuitest.Options{})
	l.send(tuitest.Key("?"))
	f := squeeze(l.plain())
	for _, want := range []string{"1 stores", "2 inventory", "3 sales", "4 sync log", "5 alerts", "6 activity", "7 account", "8 home"} {
		if !strings.Contains(f, want) {
			t.Errorf("full help lacks %q:\n%s", want, l.plain())
		}
	}
}

// Issue 17: the palette's empty input showed ": t" (its placeholder cut to
// one letter), and it listed the editor's keys outside the editor.
func TestPaletteEmptyInputAndEditOnlyActions(t *testing.T) {
	_, l := ownerInventory(t, tuitest.Options{})
	l.send(tuitest.Key(":"))
	f := l.plain()
	if !strings.Contains(f, "type to filter actions") {
		t.Errorf("the empty palette does not show its placeholder:\n%s", f)
	}
	for _, absent := range []string{"one more (+)", "one less (-)", "save (enter)", "cancel (esc)"} {
		if strings.Contains(f, absent) {
			t.Errorf("the palette offers %q outside the editor:\n%s", absent, f)
		}
	}
	if !strings.Contains(f, "edit stock (e)") {
		t.Errorf("the palette lacks edit stock:\n%s", f)
	}
}

// The help bar is kept between frames and drawn again when its keys
// change: the editor's keys while it is open, the screen's once it closes.
func TestHelpBarFollowsTheKeys(t *testing.T) {
	_, l := ownerInventory(t, tuitest.Options{})
	bar := func() string {
		lines := strings.Split(strings.TrimRight(l.plain(), "\n"), "\n")
		return lines[len(lines)-1]
	}
	screen := bar()
	if !strings.Contains(screen, "edit") || strings.Contains(screen, "save") {
		t.Fatalf("help bar of the list: %q", screen)
	}
	if again := bar(); again != screen {
		t.Fatalf("an unchanged help bar changed: %q, then %q", screen, again)
	}
	l.send(tuitest.Key("e"))
	if editing := bar(); !strings.Contains(editing, "save") || !strings.Contains(editing, "ctrl+c") || strings.Contains(editing, "palette") {
		t.Errorf("help bar in the editor: %q", editing)
	}
	l.send(tuitest.Key("esc"))
	if back := bar(); back != screen {
		t.Errorf("help bar after the editor closed: %q; want %q", back, screen)
	}
}

// sameHelp compares the enabled keys' helps with those drawn, one by one.
func TestSameHelp(t *testing.T) {
	b := func(k, desc string) key.Binding { return key.NewBinding(key.WithKeys(k), key.WithHelp(k, desc)) }
	off := b("x", "off")
	off.SetEnabled(false)
	drawn := []key.Help{{Key: "e", Desc: "edit"}, {Key: "q", Desc: "quit"}}
	for _, c := range []struct {
		name     string
		bindings []key.Binding
		want     bool
	}{
		{"the same", []key.Binding{b("e", "edit"), b("q", "quit")}, true},
		{"a disabled one besides", []key.Binding{b("e", "edit"), off, b("q", "quit")}, true},
		{"another desc", []key.Binding{b("e", "edit stock"), b("q", "quit")}, false},
		{"another key, as many", []key.Binding{b("e", "edit"), b("?", "help")}, false},
		{"fewer", []key.Binding{b("e", "edit")}, false},
		{"more", []key.Binding{b("e", "edit"), b("q", "quit"), b("?", "help")}, false},
	} {
		if got := sameHelp(drawn, c.bindings); got != c.want {
			t.Errorf("%s: sameHelp = %v; want %v", c.name, got, c.want)
		}
	}
}
