// Who gets in: unknown keys when sign-up is closed, and the account a
// connection lands in when it offers one key and signs with another.
package e2e

import (
	"errors"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/stockroom/stockroom/internal/sshtest"
)

func TestUnknownKeyRefusedWhenSignupClosed(t *testing.T) {
	s := startServer(t, "--signup", "closed")
	const msg = "this key is not registered; sign-up is closed"
	stranger := sshtest.NewKey(t)

	t.Run("command", func(t *testing.T) {
		r := run(t, s.dial(t, stranger), "inventory", "")
		if r.code != 1 || !strings.Contains(r.stderr, msg) || r.stdout != "" {
			t.Fatalf("got %s; want exit 1 and %q on stderr", r, msg)
		}
	})
	// A terminal gets the sign-up screen, which takes only an invite or
	// link code: without one nothing is created.
	t.Run("terminal", func(t *testing.T) {
		tm := openTerm(t, s.dial(t, stranger), "", 100, 30)
		tm.waitFor(t, "Sign-up is closed on this server", 10*time.Second)
		tm.send(t, "Mallory", "\r", "\r", "\r")
		tm.waitFor(t, "enter a code", 10*time.Second)
		tm.send(t, "\x03")
		tm.exitCode(t, 10*time.Second)
		if r := run(t, s.dial(t, stranger), "whoami", ""); r.code != 1 || !strings.Contains(r.stderr, msg) {
			t.Fatalf("after the closed sign-up screen: %s", r)
		}
	})
}

// A client that offers another account's public key (which the server
// lets it try) and then signs with its own key must land in its own
// account, not in the one whose key it only offered.
func TestAccountIsTheKeyThatSigned(t *testing.T) {
	s := startServer(t)
	alice, bob := sshtest.NewKey(t), sshtest.NewKey(t)
	signUp(t, s, alice, "Alice", "")
	signUp(t, s, bob, "Bob", "")

	impostor := &sshtest.UnsignableKey{Public: alice.PublicKey()}
	attempts := 0
	cfg := s.clientConfig()
	cfg.User = "alice"
	cfg.AuthCallback = func(*gossh.ClientAuthContext) (gossh.AuthMethod, error) {
		attempts++
		switch attempts {
		case 1:
			return gossh.PublicKeys(impostor), nil
		case 2:
			return gossh.PublicKeys(bob), nil
		}
		return nil, errors.New("no more keys")
	}
	c, err := gossh.Dial("tcp", s.sshAddr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if impostor.Signs.Load() == 0 {
		t.Fatal("the server never let alice's key try: the test proves nothing")
	}
	r := run(t, c, "whoami --format json", "")
	who := decode[struct {
		Name        string `json:"name"`
		Fingerprint string `json:"key_fingerprint"`
	}](t, r)
	if who.Name != "Bob" || who.Fingerprint != gossh.FingerprintSHA256(bob.PublicKey()) {
		t.Fatalf("whoami = %+v; want Bob with his own key", who)
	}
	tm := openTerm(t, c, "account", 120, 30)
	sc := tm.waitFor(t, tabBar, 10*time.Second)
	if !strings.Contains(sc, "Bob") || strings.Contains(sc, "Alice") {
		t.Fatalf("the TUI is not Bob's:\n%s", sc)
	}
}
