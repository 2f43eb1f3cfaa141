// Package common is the per-session context every screen and component of
// the TUI shares: the application layer and the acting account, the size,
// one style sheet and one keymap. Nothing here is package-level mutable
// state: each SSH session gets its own Common; the style sheets and the
// keymap, never changed once built, are shared between sessions.
package common

import (
	"context"
	"log/slog"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/hub"
)

// Common is handed to every screen by the root model.
type Common struct {
	Ctx context.Context
	App *app.Service
	// Snapshots is the server's shared cache of inventory rows: sessions of
	// one store hold the same read-only rows.
	Snapshots *app.Snapshots
	Actor     app.Actor
	// LiveSince is when the session's live subscription to the current
	// store began receiving (zero: none yet). A store's screen opening
	// on it passes it to Snapshots.OpenSince: an access check started
	// after it stands, as any change since reaches the session as an
	// event.
	LiveSince time.Time
	Styles    *Styles
	Keys      *KeyMap
	Logger    *slog.Logger
	Now       func() time.Time
	Width     int
	Height    int
}

// Component is a screen or a widget. Only the root model returns a tea.View;
// components return strings.
type Component interface {
	Init() tea.Cmd
	Update(msg tea.Msg) (Component, tea.Cmd)
	View() string
	SetSize(width, height int)
	ShortHelp() []key.Binding
	FullHelp() [][]key.Binding
}

// ErrorMsg carries any failure of a command back to the screen that shows it.
type ErrorMsg struct{ Err error }

// StatusMsg is a transient line for the status bar.
type StatusMsg struct{ Text string }

// StoreSelectedMsg makes StoreID the current store of the session.
type StoreSelectedMsg struct{ StoreID int64 }

// LiveMsg is a live change from the hub (another session, a sync).
type LiveMsg struct{ Event hub.Event }

// Cmd runs fn off the update loop and turns its error into an ErrorMsg, so
// I/O never runs inside Update.
func Cmd(fn func() (tea.Msg, error)) tea.Cmd {
	return func() tea.Msg {
		msg, err := fn()
		if err != nil {
			return ErrorMsg{Err: err}
		}
		return msg
	}
}

// Copy returns a copy for a command to use off the update loop: a command
// must not read fields that Update may change meanwhile (the actor's
// profile, the size).
func (c *Common) Copy() *Common {
	cp := *c
	return &cp
}

// Showable is a screen that works only while it is on screen (the Home
// screen's figures cost a computation per load): the root tells it when
// it is shown and hidden.
type Showable interface {
	SetShown(shown bool) tea.Cmd
}

// Shown tells c, when it is Showable, whether it is on screen.
func Shown(c Component, shown bool) tea.Cmd {
	if s, ok := c.(Showable); ok {
		return s.SetShown(shown)
	}
	return nil
}
