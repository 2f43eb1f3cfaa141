package common

// Text helpers the screens share: columns cut and filled to a width, lines
// cut to the screen, short ages, a screen's status line and relabelled
// bindings.

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"github.com/charmbracelet/x/ansi"

	"github.com/stockroom/stockroom/safetext"
)

// Pad cuts or fills s to w cells, keeping a space between columns.
func Pad(s string, w int) string {
	s = ansi.Truncate(s, w-1, safetext.Ellipsis)
	return s + strings.Repeat(" ", max(0, w-ansi.StringWidth(s)))
}

// PadLeft right-aligns s in w cells, for numbers.
func PadLeft(s string, w int) string {
	return strings.Repeat(" ", max(0, w-ansi.StringWidth(s))) + s
}

// Fit cuts a rendered line to the screen width; 0 is no limit.
func Fit(s string, w int) string {
	if w <= 0 {
		return s
	}
	return ansi.Truncate(s, w, "")
}

// Ago is how long ago something happened, for people: just now, 5m ago,
// 3h ago, 4d ago.
func Ago(d time.Duration) string {
	if d < time.Minute {
		return "just now"
	}
	return Age(d) + " ago"
}

// Age is a short duration for people: 45s, 12m, 3h, 2d.
func Age(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", max(int(d.Seconds()), 0))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// Relabel keeps a binding's keys from the one keymap and gives it a
// screen's own description.
func Relabel(b key.Binding, desc string) key.Binding {
	return key.NewBinding(key.WithKeys(b.Keys()...), key.WithHelp(b.Help().Key, desc))
}

// ErrorLine is a screen's failure, cleaned (it can carry Etsy's or another
// user's words) and cut to the width.
func (s *Styles) ErrorLine(err error, width int) string {
	return s.Error.Render(safetext.Line(err.Error(), max(1, width)))
}

// Busy is a screen's title, marked while l has a read out.
func (s *Styles) Busy(title string, l *Loads) string {
	if l.Loading() {
		return title + s.Muted.Render(" · loading…")
	}
	return title
}

// Unavailable is what a store's screen shows in place of its rows: the
// failure of its last read, or that no store is selected; "" when the
// rows can be drawn.
func (s *Styles) Unavailable(err error, storeID int64, width int) string {
	switch {
	case err != nil:
		return s.ErrorLine(err, width)
	case storeID == 0:
		return s.Muted.Render("No store selected.")
	}
	return ""
}

// Status is the outcome of a screen's last action, shown on its last line.
type Status struct {
	Text string
	Err  bool
}

// Set replaces the outcome; an empty text clears it.
func (st *Status) Set(text string, isErr bool) { st.Text, st.Err = text, isErr }

// View is the status line, or "" when there is none. The text is cleaned:
// an error can carry Etsy's words.
func (st Status) View(s *Styles, width int) string {
	if st.Text == "" {
		return ""
	}
	style := s.Success
	if st.Err {
		style = s.Error
	}
	return style.Render(safetext.Line(st.Text, max(1, width)))
}
