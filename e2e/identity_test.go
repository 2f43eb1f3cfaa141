// Identity: a key joins an account only by proving possession, admin status
// comes from the key of this session, removed keys and disabled accounts
// lose their open sessions, and a closed server still gets accounts.
package e2e

import (
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/stockroom/stockroom/internal/sshtest"
)

func authorized(k gossh.Signer) string {
	return strings.TrimSpace(string(gossh.MarshalAuthorizedKey(k.PublicKey())))
}

type whoami struct {
	AccountID   int64  `json:"account_id"`
	Name        string `json:"name"`
	Admin       bool   `json:"admin"`
	Fingerprint string `json:"key_fingerprint"`
}

// runAs runs one command on a connection of its own, closed after it, so
// a long test stays under the per-address connection limit.
func runAs(t *testing.T, s *server, key gossh.Signer, cmd, stdin string) result {
	t.Helper()
	c, err := gossh.Dial("tcp", s.sshAddr, s.clientConfig(gossh.PublicKeys(key)))
	if err != nil {
		t.Fatalf("ssh dial: %v", err)
	}
	defer c.Close()
	return run(t, c, cmd, stdin)
}

// who runs whoami with key; a non-zero exit means the key has no way in.
func who(t *testing.T, s *server, key gossh.Signer) (whoami, result) {
	t.Helper()
	r := runAs(t, s, key, "whoami --format json", "")
	var w whoami
	if r.code == 0 {
		w = decode[whoami](t, r)
	}
	return w, r
}

var codePattern = regexp.MustCompile(`[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}`)

// securityLogged checks the server logged each event as a security event
// (waiting for it as server.logged does) and no code in any form.
func securityLogged(t *testing.T, s *server, events []string, codes ...string) {
	t.Helper()
	for _, e := range events {
		if !s.logged(func(l string) bool { return strings.Contains(l, `"security":"`+e+`"`) }) {
			t.Errorf("no %q security event in the log", e)
		}
	}
	logs := s.logs.String()
	upper := strings.ToUpper(logs)
	for _, c := range codes {
		if strings.Contains(upper, c) || strings.Contains(upper, strings.ReplaceAll(c, "-", "")) {
			t.Errorf("code %s reached the log", c)
		}
	}
}

// adminAndSeller starts a server whose admin signs in with adminKey, and
// signs a seller up as name with a key of their own.
func adminAndSeller(t *testing.T, name string) (s *server, adminKey, seller gossh.Signer, account whoami) {
	t.Helper()
	adminKey = sshtest.NewKey(t)
	s = startServer(t, "--admin-keys", authorized(adminKey))
	seller = sshtest.NewKey(t)
	signUp(t, s, seller, name, "")
	account, _ = who(t, s, seller)
	return s, adminKey, seller, account
}

// A seller who knows someone's public key (it is public) tries every way
// the product offers to attach it to their own account without the private
// half. The key's owner must not land in the squatter's account on their
// next login, and an admin key attached that way must not make the
// squatter an admin.
func TestKeySquatting(t *testing.T) {
	s, adminKey, squatter, a := adminAndSeller(t, "Squatter")
	victim := sshtest.NewKey(t)

	for _, k := range []gossh.Signer{victim, adminKey} {
		r := runAs(t, s, squatter, "keys add", authorized(k)+"\n")
		if r.code == 0 {
			t.Errorf("keys add of a key the caller does not hold succeeded: %s", r)
		}
		// The Account screen: a key pasted where one used to be added.
		// What the screen does with the text is its business; the
		// session may even end on a letter that is a shortcut.
		c := s.dial(t, squatter)
		tm := openTerm(t, c, "account", 160, 40)
		tm.waitFor(t, "SSH keys", 10*time.Second)
		for _, in := range []string{"a", authorized(k), "\r", "\x1b"} {
			_, _ = io.WriteString(tm.In, in)
		}
		tm.Sess.Close()
		c.Close()
	}

	got, r := who(t, s, victim)
	if r.code == 0 && got.AccountID == a.AccountID {
		t.Fatalf("the victim's key landed in the squatter's account: %+v", got)
	}
	// The admin signs in with their key; the squatter must stay a seller.
	who(t, s, adminKey)
	got, r = who(t, s, squatter)
	if r.code != 0 || got.Admin {
		t.Fatalf("squatter after the admin key signed in: %+v, %s", got, r)
	}
	if r := runAs(t, s, squatter, "admin invite", ""); r.code == 0 {
		t.Fatalf("the squatter ran an admin command: %s", r)
	}
}

// The way that works: the account asks for a link code, the new key
// redeems it. Linking an admin key does not make the account's other keys
// admin: only a session signed with the admin key is.
func TestKeyLinkWithCode(t *testing.T) {
	s, adminKey, ada, owner := adminAndSeller(t, "Ada")
	laptop := sshtest.NewKey(t)

	var codes []string
	for _, k := range []gossh.Signer{laptop, adminKey} {
		r := runAs(t, s, ada, "keys link", "")
		code := codePattern.FindString(r.stdout)
		codes = append(codes, code)
		if r.code != 0 || code == "" {
			t.Fatalf("keys link: %s", r)
		}
		r = runAs(t, s, k, "keys claim "+strings.ToLower(code), "")
		if r.code != 0 {
			t.Fatalf("keys claim: %s", r)
		}
		if r := runAs(t, s, sshtest.NewKey(t), "keys claim "+code, ""); r.code == 0 {
			t.Fatalf("a link code worked twice: %s", r)
		}
	}
	got, r := who(t, s, laptop)
	if r.code != 0 || got.AccountID != owner.AccountID || got.Admin {
		t.Fatalf("laptop after claiming: %+v, %s", got, r)
	}

	// On the sign-up screen: the code field links the key instead.
	tablet := sshtest.NewKey(t)
	code := codePattern.FindString(runAs(t, s, ada, "keys link", "").stdout)
	tm := openTerm(t, s.dial(t, tablet), "", 120, 40)
	tm.waitFor(t, "Welcome to Stockroom", 10*time.Second)
	tm.send(t, "\t", "\t", code, "\r")
	tm.waitFor(t, tabBar, 10*time.Second)
	if got, _ := who(t, s, tablet); got.AccountID != owner.AccountID {
		t.Fatalf("tablet after entering the code on sign-up: %+v", got)
	}
	got, _ = who(t, s, adminKey)
	if got.AccountID != owner.AccountID || !got.Admin {
		t.Fatalf("the admin key's session: %+v; want Ada's account, admin", got)
	}
	got, _ = who(t, s, ada)
	if got.Admin {
		t.Fatalf("Ada's own key became admin by linking an admin key: %+v", got)
	}
	securityLogged(t, s, []string{"code issued", "key linked", "code redemption failed"}, append(codes, code)...)
}

// link attaches a fresh key to the account of key, the way a seller does.
func link(t *testing.T, s *server, key gossh.Signer) gossh.Signer {
	t.Helper()
	code := codePattern.FindString(runAs(t, s, key, "keys link", "").stdout)
	other := sshtest.NewKey(t)
	if r := runAs(t, s, other, "keys claim "+code, ""); r.code != 0 {
		t.Fatalf("keys claim: %s", r)
	}
	return other
}

// A TUI open with a key that is then removed (from another session) is
// told why and closed within 2 s: it must not keep editing with a key the
// account no longer trusts.
func TestRemovedKeyClosesSession(t *testing.T) {
	s := startServer(t)
	ada := sshtest.NewKey(t)
	signUp(t, s, ada, "Ada", "")
	stolen := link(t, s, ada)

	tm := openTerm(t, s.dial(t, stolen), "account", 120, 40)
	tm.waitFor(t, "SSH keys (2)", 10*time.Second)

	fp := gossh.FingerprintSHA256(stolen.PublicKey())
	// Timed from before the removal is even asked for: an upper bound.
	removed := time.Now()
	if r := runAs(t, s, ada, "keys remove "+fp, ""); r.code != 0 {
		t.Fatalf("keys remove: %s", r)
	}
	defer securityLogged(t, s, []string{"key removed"})
	code := tm.exitCode(t, 2*time.Second)
	took := time.Since(removed)
	if took > 2*time.Second {
		t.Fatalf("the session closed %s after its key was removed", took)
	}
	t.Logf("the session closed %s after keys remove was run", took.Round(time.Millisecond))
	if sc := tm.Screen(); !strings.Contains(sc, "key was removed") {
		t.Fatalf("the session closed (exit %d) without saying why:\n%s", code, sc)
	}
	if r := runAs(t, s, stolen, "whoami", ""); r.code == 0 {
		t.Fatalf("the removed key still signs in: %s", r)
	}
}

// A server with sign-up closed still gets accounts: admin keys sign up,
// and an admin invites people with one-time codes.
func TestClosedServerGetsAccounts(t *testing.T) {
	adminKey := sshtest.NewKey(t)
	s := startServer(t, "--signup", "closed", "--admin-keys", authorized(adminKey))
	signUp(t, s, adminKey, "Root", "")
	if got, r := who(t, s, adminKey); r.code != 0 || !got.Admin {
		t.Fatalf("the admin after signing up: %+v, %s", got, r)
	}

	r := runAs(t, s, adminKey, "admin invite", "")
	code := codePattern.FindString(r.stdout)
	if r.code != 0 || code == "" {
		t.Fatalf("admin invite: %s", r)
	}
	dora := sshtest.NewKey(t)
	if r := runAs(t, s, dora, "join "+code+" --name Dora", ""); r.code != 0 {
		t.Fatalf("join: %s", r)
	}
	if got, r := who(t, s, dora); r.code != 0 || got.Name != "Dora" || got.Admin {
		t.Fatalf("Dora after joining: %+v, %s", got, r)
	}
	if r := runAs(t, s, sshtest.NewKey(t), "join "+code, ""); r.code == 0 {
		t.Fatalf("an invite worked twice: %s", r)
	}
	// A seller cannot invite.
	if r := runAs(t, s, dora, "admin invite", ""); r.code == 0 || strings.Contains(r.stdout, "-") {
		t.Fatalf("a seller invited: %s", r)
	}

	// On the sign-up screen of the closed server, the code field.
	code = codePattern.FindString(runAs(t, s, adminKey, "admin invite", "").stdout)
	eve := sshtest.NewKey(t)
	tm := openTerm(t, s.dial(t, eve), "", 120, 40)
	tm.waitFor(t, "Sign-up is closed", 10*time.Second)
	tm.send(t, "Eve", "\t", "\t", code, "\r")
	tm.waitFor(t, tabBar, 10*time.Second)
	if got, _ := who(t, s, eve); got.Name != "Eve" {
		t.Fatalf("Eve after the sign-up screen: %+v", got)
	}
	// Without a code a stranger still gets nothing.
	if r := runAs(t, s, sshtest.NewKey(t), "whoami", ""); r.code == 0 {
		t.Fatalf("a stranger got in: %s", r)
	}
	securityLogged(t, s, []string{"account created", "code issued", "code redeemed", "login refused"}, code)
}
