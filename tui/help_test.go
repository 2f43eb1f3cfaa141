package tui

import (
	"strings"
	"testing"

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
