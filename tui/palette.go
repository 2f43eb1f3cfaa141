// The command palette: every action of the session in one fuzzy-filtered
// list, opened with ':'.
package tui

import (
	"strings"
	"unicode"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/stockroom/stockroom/safetext"
	"github.com/stockroom/stockroom/tui/common"
)

// action is one palette entry.
type action struct {
	title string
	run   func() tea.Cmd
}

// paletteWidth is the palette dialog's widest.
const paletteWidth = 70

type palette struct {
	input   textinput.Model
	all     []action
	shown   []int
	cursor  int
	visible int
}

func newPalette(s *common.Styles, actions []action) *palette {
	p := &palette{input: common.NewInput(s, ": ", "type to filter actions", 60), all: actions}
	// Without a width the input shows one letter of its placeholder.
	p.input.SetWidth(paletteWidth - 8)
	p.input.Focus()
	p.filter()
	return p
}

func (p *palette) filter() {
	q := strings.ToLower(strings.Join(strings.Fields(p.input.Value()), ""))
	p.shown = p.shown[:0]
	for i, a := range p.all {
		if fuzzy(q, a.title) {
			p.shown = append(p.shown, i)
		}
	}
	p.cursor = min(p.cursor, max(len(p.shown)-1, 0))
}

// fuzzy tells whether q's runes appear in s in order, ignoring case.
func fuzzy(q, s string) bool {
	qr := []rune(q)
	i := 0
	for _, r := range s {
		if i == len(qr) {
			break
		}
		if unicode.ToLower(r) == qr[i] {
			i++
		}
	}
	return i == len(qr)
}

// update handles a key; it returns the chosen action's command and whether
// the palette closes.
func (p *palette) update(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	switch msg.String() {
	case "esc":
		return nil, true
	case "enter":
		if p.cursor < len(p.shown) {
			return p.all[p.shown[p.cursor]].run(), true
		}
		return nil, false
	case "up", "ctrl+p":
		p.cursor = max(p.cursor-1, 0)
		return nil, false
	case "down", "ctrl+n":
		p.cursor = max(min(p.cursor+1, len(p.shown)-1), 0)
		return nil, false
	}
	before := p.input.Value()
	var cmd tea.Cmd
	p.input, cmd = p.input.Update(msg)
	if p.input.Value() != before {
		p.cursor = 0
		p.filter()
	}
	return cmd, false
}

func (p *palette) view(s *common.Styles, width, height int) string {
	var b strings.Builder
	b.WriteString(p.input.View())
	rows := max(height-3, 1)
	start := max(p.cursor-rows+1, 0)
	for i := start; i < len(p.shown) && i < start+rows; i++ {
		b.WriteByte('\n')
		title := safetext.Line(p.all[p.shown[i]].title, width-4)
		if i == p.cursor {
			b.WriteString(s.Selected.Render("› " + title))
		} else {
			b.WriteString("  " + title)
		}
	}
	if len(p.shown) == 0 {
		b.WriteString("\n" + s.Muted.Render("no action matches"))
	}
	return s.Dialog.Width(min(width, paletteWidth)).Render(b.String())
}

// bindingActions turns a screen's help into palette entries that press the
// binding's first key on that screen.
func bindingActions(prefix string, groups [][]key.Binding, press func(tea.KeyPressMsg) tea.Cmd) []action {
	var out []action
	seen := map[string]bool{}
	for _, g := range groups {
		for _, b := range g {
			if !b.Enabled() || len(b.Keys()) == 0 {
				continue
			}
			h := b.Help()
			title := prefix + ": " + h.Desc + " (" + h.Key + ")"
			if seen[title] {
				continue
			}
			seen[title] = true
			k := keyPress(b.Keys()[0])
			out = append(out, action{title: title, run: func() tea.Cmd { return press(k) }})
		}
	}
	return out
}

// keyPress builds the key press a binding's key string names.
func keyPress(s string) tea.KeyPressMsg {
	var mod tea.KeyMod
	for {
		switch {
		case strings.HasPrefix(s, "ctrl+"):
			mod |= tea.ModCtrl
			s = s[len("ctrl+"):]
			continue
		case strings.HasPrefix(s, "alt+"):
			mod |= tea.ModAlt
			s = s[len("alt+"):]
			continue
		case strings.HasPrefix(s, "shift+"):
			mod |= tea.ModShift
			s = s[len("shift+"):]
			continue
		}
		break
	}
	special := map[string]rune{"enter": tea.KeyEnter, "esc": tea.KeyEscape, "tab": tea.KeyTab, "up": tea.KeyUp,
		"down": tea.KeyDown, "left": tea.KeyLeft, "right": tea.KeyRight, "pgup": tea.KeyPgUp, "pgdown": tea.KeyPgDown,
		"home": tea.KeyHome, "end": tea.KeyEnd, "delete": tea.KeyDelete, "backspace": tea.KeyBackspace, "space": tea.KeySpace}
	if c, ok := special[s]; ok {
		k := tea.KeyPressMsg{Code: c, Mod: mod}
		if c == tea.KeySpace {
			k.Text = " "
		}
		return k
	}
	r := []rune(s)
	if len(r) == 1 && mod == 0 {
		return tea.KeyPressMsg{Code: r[0], Text: s}
	}
	if len(r) == 1 {
		return tea.KeyPressMsg{Code: r[0], Mod: mod}
	}
	return tea.KeyPressMsg{Text: s}
}
