// One-time codes listed and revoked over real SSH: a seller's own key link
// codes (keys links, keys unlink) and the admins' account invites (admin
// invites, admin revoke, and the Admin screen's invite key).
package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stockroom/stockroom/internal/sshtest"
)

type codeRow struct {
	ID       int64  `json:"id"`
	Kind     string `json:"kind"`
	Status   string `json:"status"`
	IssuedBy int64  `json:"issued_by"`
}

func codeRows(t *testing.T, r result) []codeRow {
	t.Helper()
	return decode[[]codeRow](t, r)
}

func TestKeyLinkCodesListedAndRevoked(t *testing.T) {
	s := startServer(t)
	ada := sshtest.NewKey(t)
	signUp(t, s, ada, "Ada", "")
	code := codePattern.FindString(runAs(t, s, ada, "keys link", "").stdout)
	if code == "" {
		t.Fatal("keys link printed no code")
	}
	rows := codeRows(t, runAs(t, s, ada, "keys links --format json", ""))
	if len(rows) != 1 || rows[0].Kind != "key_link" || rows[0].Status != "open" {
		t.Fatalf("keys links: %+v", rows)
	}
	// The listing shows ids, never the code.
	if r := runAs(t, s, ada, "keys links", ""); r.code != 0 || strings.Contains(r.stdout, code) ||
		!strings.Contains(r.stdout, fmt.Sprint(rows[0].ID)) {
		t.Fatalf("keys links table: %s", r)
	}
	if r := runAs(t, s, ada, "keys links --format csv", ""); r.code != 0 || !strings.HasPrefix(r.stdout, "id,kind,status") {
		t.Fatalf("keys links csv: %s", r)
	}
	// Usage mistakes exit 2; a code that is not yours exits 1.
	if r := runAs(t, s, ada, "keys unlink "+code, ""); r.code != 2 {
		t.Fatalf("keys unlink with the code instead of its id: %s", r)
	}
	bo := sshtest.NewKey(t)
	signUp(t, s, bo, "Bo", "")
	if r := runAs(t, s, bo, fmt.Sprintf("keys unlink %d", rows[0].ID), ""); r.code != 1 {
		t.Fatalf("another seller revoked Ada's link code: %s", r)
	}
	if r := runAs(t, s, ada, fmt.Sprintf("keys unlink %d", rows[0].ID), ""); r.code != 0 || !strings.Contains(r.stdout, "revoked") {
		t.Fatalf("keys unlink: %s", r)
	}
	if rows := codeRows(t, runAs(t, s, ada, "keys links --format json", "")); len(rows) != 0 {
		t.Fatalf("open link codes after unlink: %+v", rows)
	}
	if rows := codeRows(t, runAs(t, s, ada, "keys links --all --format json", "")); len(rows) != 1 || rows[0].Status != "revoked" {
		t.Fatalf("keys links --all after unlink: %+v", rows)
	}
	// The revoked code no longer links a key.
	if r := runAs(t, s, sshtest.NewKey(t), "keys claim "+code, ""); r.code != 1 {
		t.Fatalf("a revoked link code was claimed: %s", r)
	}
	securityLogged(t, s, []string{"code revoked"}, code)

	// The Activity screen's account ledger (v) shows a key linked
	// elsewhere within 2 s.
	at := openTerm(t, s.dial(t, ada), "activity", 160, 40)
	at.waitFor(t, "No store selected", 10*time.Second)
	at.send(t, "v")
	at.waitFor(t, "your account's ledger", 5*time.Second)
	code = codePattern.FindString(runAs(t, s, ada, "keys link", "").stdout)
	if r := runAs(t, s, sshtest.NewKey(t), "keys claim "+code, ""); r.code != 0 {
		t.Fatalf("keys claim: %s", r)
	}
	linked := time.Now()
	at.waitFor(t, "key.add", 2*time.Second)
	t.Logf("the account ledger showed the linked key %s after keys claim returned", time.Since(linked).Round(time.Millisecond))
}

func TestAdminInvitesListedAndRevoked(t *testing.T) {
	adminKey := sshtest.NewKey(t)
	s := startServer(t, "--signup", "closed", "--admin-keys", authorized(adminKey))
	signUp(t, s, adminKey, "Root", "")
	code := codePattern.FindString(runAs(t, s, adminKey, "admin invite", "").stdout)
	rows := codeRows(t, runAs(t, s, adminKey, "admin invites --format json", ""))
	if code == "" || len(rows) != 1 || rows[0].Kind != "account_invite" || rows[0].Status != "open" {
		t.Fatalf("admin invites after admin invite %q: %+v", code, rows)
	}
	// A seller can neither list nor revoke invites, nor end one as a link code.
	dora := sshtest.NewKey(t)
	if r := runAs(t, s, dora, "join "+code+" --name Dora", ""); r.code != 0 {
		t.Fatalf("join: %s", r)
	}
	next := codePattern.FindString(runAs(t, s, adminKey, "admin invite", "").stdout)
	rows = codeRows(t, runAs(t, s, adminKey, "admin invites --format json", ""))
	if len(rows) != 1 {
		t.Fatalf("open invites: %+v", rows)
	}
	id := rows[0].ID
	for _, cmd := range []string{"admin invites", fmt.Sprintf("admin revoke %d", id), fmt.Sprintf("keys unlink %d", id)} {
		if r := runAs(t, s, dora, cmd, ""); r.code != 1 {
			t.Fatalf("a seller ran %s: %s", cmd, r)
		}
	}
	if r := runAs(t, s, adminKey, fmt.Sprintf("keys unlink %d", id), ""); r.code != 1 {
		t.Fatalf("keys unlink ended an account invite: %s", r)
	}
	if r := runAs(t, s, adminKey, "admin revoke x", ""); r.code != 2 {
		t.Fatalf("admin revoke x: %s", r)
	}
	if r := runAs(t, s, adminKey, fmt.Sprintf("admin revoke %d", id), ""); r.code != 0 {
		t.Fatalf("admin revoke: %s", r)
	}
	if r := runAs(t, s, sshtest.NewKey(t), "join "+next, ""); r.code != 1 {
		t.Fatalf("a revoked invite worked: %s", r)
	}
	all := codeRows(t, runAs(t, s, adminKey, "admin invites --all --format json", ""))
	if len(all) != 2 || all[0].Status != "revoked" || all[1].Status != "used" {
		t.Fatalf("admin invites --all: %+v", all)
	}
	// The admin ledger has both the invites and the revocation.
	r := runAs(t, s, adminKey, "activity --admin --format json", "")
	if r.code != 0 || strings.Count(r.stdout, `"admin.invite"`) != 2 || !strings.Contains(r.stdout, `"admin.revoke"`) {
		t.Fatalf("activity --admin: %s", r)
	}

	// The Admin screen's invite key shows a code once; it redeems.
	tm := openTerm(t, s.dial(t, adminKey), "admin", 160, 40)
	tm.waitFor(t, "Accounts (", 10*time.Second)
	tm.send(t, "i")
	sc := tm.waitFor(t, "shown only now", 5*time.Second)
	shown := codePattern.FindString(sc)
	if shown == "" {
		t.Fatalf("no code on the Admin screen:\n%s", sc)
	}
	if r := runAs(t, s, sshtest.NewKey(t), "join "+shown+" --name Eve", ""); r.code != 0 {
		t.Fatalf("join with the Admin screen's code: %s", r)
	}
	securityLogged(t, s, []string{"code revoked", "code issued"}, code, next, shown)

	// The Activity screen shows the account's and the admin ledger (v),
	// live: an invite made elsewhere appears within 2 s.
	at := openTerm(t, s.dial(t, adminKey), "activity", 160, 40)
	at.waitFor(t, "No store selected", 10*time.Second)
	at.send(t, "v")
	at.waitFor(t, "your account's ledger", 5*time.Second)
	at.send(t, "v")
	at.waitFor(t, "admin.revoke", 5*time.Second)
	r = runAs(t, s, adminKey, "admin invites --all --format json", "")
	before := len(codeRows(t, r))
	if r := runAs(t, s, adminKey, "admin invite", ""); r.code != 0 {
		t.Fatalf("admin invite: %s", r)
	}
	made := time.Now()
	at.waitFor(t, fmt.Sprintf("invite %d", before+1), 2*time.Second)
	t.Logf("the admin ledger showed the new invite %s after admin invite returned", time.Since(made).Round(time.Millisecond))
}
