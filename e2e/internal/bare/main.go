// Command bare is the anchor of Stockroom's SSH benchmarks: the smallest
// Wish + Bubble Tea server, one "hello" screen per session and any key let
// in. A Stockroom figure reported beside this one, measured in the same
// run on the same machine, says what Stockroom itself costs.
package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"

	tea "charm.land/bubbletea/v2"
	"charm.land/ssh"
	"charm.land/wish/v2"
	bm "charm.land/wish/v2/bubbletea"
	gossh "golang.org/x/crypto/ssh"
)

type hello struct{ w, h int }

func (m hello) Init() tea.Cmd { return nil }

func (m hello) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.w, m.h = msg.Width, msg.Height
	case tea.KeyPressMsg:
		if msg.String() == "q" {
			return m, tea.Quit
		}
	}
	return m, nil
}

func (m hello) View() tea.View {
	v := tea.NewView(fmt.Sprintf("hello from a bare Wish + Bubble Tea server (%dx%d)\n", m.w, m.h))
	v.AltScreen = true
	return v
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	flag.Parse()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	signer, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		log.Fatal(err)
	}
	srv, err := wish.NewServer(
		wish.WithAddress(*addr),
		func(s *ssh.Server) error { s.AddHostKey(signer); return nil },
		wish.WithPublicKeyAuth(func(ssh.Context, ssh.PublicKey) bool { return true }),
		wish.WithMiddleware(bm.Middleware(func(ssh.Session) (tea.Model, []tea.ProgramOption) {
			return hello{}, nil
		})),
	)
	if err != nil {
		log.Fatal(err)
	}
	go func() {
		if err := srv.ListenAndServe(); err != nil && err != ssh.ErrServerClosed {
			log.Fatal(err)
		}
	}()
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, os.Interrupt)
	<-stop
	_ = srv.Close()
}
