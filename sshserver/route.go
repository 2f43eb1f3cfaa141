// Routing: a terminal gets the TUI, anything else runs a command.
package sshserver

import (
	"context"
	"errors"
	"io"

	tea "charm.land/bubbletea/v2"
	"charm.land/ssh"
	bm "charm.land/wish/v2/bubbletea"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/store"
)

// route sends `ssh host` (a PTY, no command) to the TUI, `ssh -t host
// SCREEN` to the TUI opened on that screen, and `ssh host CMD...` (no PTY)
// to the command tree. Unknown keys only get this far with a terminal, and
// then always see sign-up (which takes only a code when sign-up is closed),
// or with a command that redeems a code.
func (s *Server) route(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		ss := stateOf(sess)
		_, _, pty := ss.Pty()
		args := ss.Command()
		switch {
		case pty && len(args) > 1:
			s.refuse(ss, RefusedTerminalArgs, 2, "refused: arguments with a terminal",
				"with a terminal (ssh -t) give at most one screen name; run commands without -t")
			return
		case pty:
			screen := ""
			if len(args) == 1 && ss.actor != nil {
				screen = args[0]
			}
			ss.exit = s.runTUI(ss, screen)
		default:
			var actor app.Actor // zero for a key redeeming a code
			if ss.actor != nil {
				actor = *ss.actor
			}
			ss.exit = s.runCommand(ss, actor, args)
		}
		_ = ss.Exit(ss.exit) // fails only when the client has gone, with no one to tell
		next(ss)
	}
}

func (s *Server) runTUI(ss *session, screen string) int {
	ss.outcome = "tui"
	idle := newIdleClock(s.cfg.clock, s.cfg.IdleTimeout, func() { ss.cancel(endIdle) })
	defer idle.stop()

	var actor *app.Actor
	if ss.actor != nil {
		a := *ss.actor
		a.Source = store.SourceTUI
		actor = &a
	}
	model := s.cfg.NewTUI(TUIParams{
		Ctx:        ss.ctx,
		Actor:      actor,
		PublicKey:  ss.PublicKey(),
		RemoteAddr: ss.RemoteAddr().String(),
		Screen:     screen,
		Logger:     s.log.With("key", ss.fingerprint),
		OnActivity: idle.touch,
	})
	if model == nil {
		panic("sshserver: NewTUI returned no model")
	}
	p := tea.NewProgram(model, append(bm.MakeOptions(ss.Session), tea.WithContext(ss.ctx))...)

	done := make(chan struct{})
	defer close(done)
	_, winch, _ := ss.Pty()
	go func() {
		for {
			select {
			case <-done:
				return
			case w, ok := <-winch:
				if !ok {
					return
				}
				p.Send(tea.WindowSizeMsg{Width: w.Width, Height: w.Height})
			}
		}
	}()

	_, err := p.Run()
	switch {
	case errors.Is(err, tea.ErrProgramPanic):
		// Bubble Tea recovered the panic and restored the terminal; the
		// session ends alone.
		s.log.Error("ssh tui panicked", "key", ss.fingerprint, "err", err)
		ss.outcome = "tui panic"
		_, _ = io.WriteString(ss, "\nStockroom hit an internal error and closed this session.\n") // the client may have gone: nothing more to tell it
		return 1
	case endedBy(ss.ctx) != 0:
		// The terminal is restored by now: the message stays on screen
		// after the client disconnects.
		_, _ = io.WriteString(ss, "\n"+s.message(endedBy(ss.ctx))+"\n") // the client may have gone: nothing more to tell it
		return 0
	case err != nil && !errors.Is(err, tea.ErrProgramKilled):
		s.log.Warn("ssh tui ended with an error", "key", ss.fingerprint, "err", err)
		return 1
	}
	return 0
}

func (s *Server) runCommand(ss *session, actor app.Actor, args []string) int {
	ss.outcome = "command"
	ctx := ss.ctx
	if d := s.cfg.CommandTimeout; d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, d, endCommandTime)
		defer cancel()
	}
	stderr := ss.Stderr()
	actor.Source = store.SourceCommand
	code := s.cfg.RunCommand(ctx, Command{Actor: actor, Args: args, Stdin: ss, Stdout: ss, Stderr: stderr,
		PublicKey: ss.PublicKey(), RemoteAddr: ss.RemoteAddr().String()})
	if r := endedBy(ctx); r != 0 {
		_, _ = io.WriteString(stderr, s.message(r)+"\n") // the client may have gone: nothing more to tell it
		if code == 0 {
			code = 1
		}
	}
	return code
}
