package common

import (
	"image/color"

	"charm.land/lipgloss/v2"
)

// Styles is the one style sheet of the TUI, built per session from the
// terminal's background. Components never invent colours: they use these.
// The colour profile (and NO_COLOR) is applied when the frame is written, so
// the same sheet degrades on a 16-colour or monochrome terminal.
type Styles struct {
	Dark bool

	App       lipgloss.Style
	Title     lipgloss.Style
	Tab       lipgloss.Style
	ActiveTab lipgloss.Style
	Banner    lipgloss.Style
	StatusBar lipgloss.Style
	Help      lipgloss.Style
	Muted     lipgloss.Style
	Error     lipgloss.Style
	Success   lipgloss.Style
	Warning   lipgloss.Style
	Header    lipgloss.Style
	Row       lipgloss.Style
	Selected  lipgloss.Style
	Editor    lipgloss.Style
	Low       lipgloss.Style
	Out       lipgloss.Style
	Pending   lipgloss.Style
	Pushed    lipgloss.Style
	Failed    lipgloss.Style
	Dialog    lipgloss.Style
	Input     lipgloss.Style
	Key       lipgloss.Style
	Link      lipgloss.Style
	Accent    color.Color
	Subtle    color.Color
}

// NewStyles builds the sheet for a dark or light background.
func NewStyles(dark bool) *Styles {
	ld := lipgloss.LightDark(dark)
	accent := ld(lipgloss.Color("#C2410C"), lipgloss.Color("#FB923C"))
	subtle := ld(lipgloss.Color("#6B7280"), lipgloss.Color("#9CA3AF"))
	fg := ld(lipgloss.Color("#111827"), lipgloss.Color("#F3F4F6"))
	selBg := ld(lipgloss.Color("#FED7AA"), lipgloss.Color("#7C2D12"))
	red := ld(lipgloss.Color("#B91C1C"), lipgloss.Color("#F87171"))
	green := ld(lipgloss.Color("#15803D"), lipgloss.Color("#4ADE80"))
	yellow := ld(lipgloss.Color("#A16207"), lipgloss.Color("#FACC15"))
	blue := ld(lipgloss.Color("#1D4ED8"), lipgloss.Color("#60A5FA"))

	s := &Styles{Dark: dark, Accent: accent, Subtle: subtle}
	s.App = lipgloss.NewStyle()
	s.Title = lipgloss.NewStyle().Bold(true).Foreground(accent)
	s.Tab = lipgloss.NewStyle().Foreground(subtle).Padding(0, 1)
	s.ActiveTab = lipgloss.NewStyle().Bold(true).Foreground(fg).Background(selBg).Padding(0, 1)
	s.Banner = lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("#111827")).Background(yellow).Padding(0, 1)
	s.StatusBar = lipgloss.NewStyle().Foreground(subtle)
	s.Help = lipgloss.NewStyle().Foreground(subtle)
	s.Muted = lipgloss.NewStyle().Foreground(subtle)
	s.Error = lipgloss.NewStyle().Foreground(red).Bold(true)
	s.Success = lipgloss.NewStyle().Foreground(green)
	s.Warning = lipgloss.NewStyle().Foreground(yellow)
	s.Header = lipgloss.NewStyle().Bold(true).Foreground(accent)
	s.Row = lipgloss.NewStyle().Foreground(fg)
	s.Selected = lipgloss.NewStyle().Foreground(fg).Background(selBg).Bold(true)
	s.Editor = lipgloss.NewStyle().Foreground(lipgloss.Color("#111827")).Background(yellow).Bold(true)
	s.Low = lipgloss.NewStyle().Foreground(yellow).Bold(true)
	s.Out = lipgloss.NewStyle().Foreground(red).Bold(true)
	s.Pending = lipgloss.NewStyle().Foreground(blue)
	s.Pushed = lipgloss.NewStyle().Foreground(green)
	s.Failed = lipgloss.NewStyle().Foreground(red)
	s.Dialog = lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(accent).Padding(1, 2)
	s.Input = lipgloss.NewStyle().Foreground(fg)
	s.Key = lipgloss.NewStyle().Foreground(accent).Bold(true)
	s.Link = lipgloss.NewStyle().Foreground(blue).Underline(true)
	return s
}
