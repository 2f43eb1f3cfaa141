// The OpenSSH client in a real terminal (tmux): sign up and see the TUI.
package e2e

import (
	"os/exec"
	"strings"
	"testing"

	gossh "golang.org/x/crypto/ssh"

	"github.com/stockroom/stockroom/internal/sshtest"
)

func TestOpenSSHSignUpUnderTmux(t *testing.T) {
	sshtest.NeedTool(t, "ssh")
	sshtest.NeedTool(t, "tmux")
	s := startServer(t)

	sshArgs, key := sshtest.OpenSSHArgs(t, s.sshAddr, s.hostKey)
	args := append([]string{"ssh"}, sshArgs...)
	// The shell keeps the pane open after ssh exits, to read what it left.
	tm := sshtest.StartTmux(t, "TERM=xterm-256color "+strings.Join(args, " ")+"; echo ssh-exited-$?; sleep 60")

	tm.WaitFor(t, "Welcome to Stockroom")
	tm.WaitFor(t, gossh.FingerprintSHA256(key.PublicKey()))
	tm.SendKeys(t, "-l", "Tomás Ceramics")
	tm.SendKeys(t, "Enter")
	tm.SendKeys(t, "-l", "tomas@example.com")
	tm.SendKeys(t, "Enter")
	p := tm.WaitFor(t, tabBar)
	if !strings.Contains(p, "Tomás Ceramics") || !strings.Contains(p, "2 Inventory") {
		t.Fatalf("the TUI after sign-up:\n%s", p)
	}
	tm.SendKeys(t, "q")
	if p := tm.WaitFor(t, "ssh-exited-"); !strings.Contains(p, "ssh-exited-0") {
		t.Fatalf("ssh did not exit 0 on q:\n%s", p)
	}
	// The same key now runs commands as the new account.
	out, err := exec.Command(args[0], append(args[1:], "whoami", "--format", "json")...).Output()
	if err != nil || !strings.Contains(string(out), `"Tomás Ceramics"`) {
		t.Fatalf("whoami over OpenSSH: %v, %s", err, out)
	}
}
