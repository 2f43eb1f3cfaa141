// The server against the OpenSSH client, the one sellers actually use: a
// command without a terminal, and a terminal session under tmux that sees
// the TUI and then the restart message.
package sshserver

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stockroom/stockroom/internal/sshtest"
	"github.com/stockroom/stockroom/store"
)

// opensshClient writes a key for carol (account 7) and a known_hosts file
// for f's server and returns the ssh arguments that use them.
func opensshClient(t *testing.T, f *fixture) []string {
	t.Helper()
	sshtest.NeedTool(t, "ssh")
	args, key := sshtest.OpenSSHArgs(t, f.addr, f.srv.HostKey())
	f.accounts.add(key, store.Account{ID: 7, Name: "carol"})
	return args
}

func TestOpenSSHCommand(t *testing.T) {
	f := start(t, nil)
	args := opensshClient(t, f)
	out, err := exec.Command("ssh", append(args, "whoami")...).Output()
	if err != nil || string(out) != "7\n" {
		t.Fatalf("ssh whoami: %q, %v", out, err)
	}

	// Password logins are not even offered.
	pw := exec.Command("ssh", append([]string{"-o", "PreferredAuthentications=password,keyboard-interactive"},
		append(args, "whoami")...)...)
	if msg, err := pw.CombinedOutput(); err == nil || !strings.Contains(string(msg), "Permission denied") {
		t.Fatalf("password login: %v, %s", err, msg)
	}
}

func TestOpenSSHTerminalUnderTmux(t *testing.T) {
	sshtest.NeedTool(t, "tmux")
	f := start(t, nil)
	args := opensshClient(t, f)
	// The shell keeps the pane open after ssh exits, to read what it left.
	tm := sshtest.StartTmux(t, "ssh -t "+strings.Join(args, " ")+" inventory; echo ssh-exited-$?; sleep 60")

	tm.WaitFor(t, "who=carol")
	tm.WaitFor(t, "screen=inventory")
	tm.SendKeys(t, "x")

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := f.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	pane := tm.WaitFor(t, "ssh-exited-")
	if !strings.Contains(pane, "Stockroom is restarting; reconnect in a moment") {
		t.Fatalf("no restart message:\n%s", pane)
	}
}
