// One-time codes: key links, admin invites and store invites.
package app_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/internal/logtest"
	"github.com/stockroom/stockroom/internal/sshtest"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/store/storetest"
)

// identityEnv is a service with a settable clock and a captured log.
type identityEnv struct {
	svc    *app.Service
	db     store.DB
	log    *logtest.Buffer
	now    time.Time
	admins map[string]bool
}

func newIdentityEnv(t *testing.T, signupOpen bool, admins ...ssh.PublicKey) *identityEnv {
	t.Helper()
	db := storetest.OpenSQLite(t)
	logger, buf := logtest.New()
	e := &identityEnv{db: db, log: buf, now: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC), admins: map[string]bool{}}
	for _, k := range admins {
		e.admins[ssh.FingerprintSHA256(k)] = true
	}
	e.svc = app.New(app.Config{Store: db, SignupOpen: signupOpen, AdminFingerprints: e.admins,
		Logger: logger, Now: func() time.Time { return e.now }})
	return e
}

// newAdaEnv is an identity env with open sign-up where Ada has signed up.
func newAdaEnv(t *testing.T) (*identityEnv, app.Actor) {
	t.Helper()
	e := newIdentityEnv(t, true)
	return e, e.signUp(t, "Ada", edKey(t))
}

func edKey(t *testing.T) ssh.PublicKey { return sshtest.NewKey(t).PublicKey() }

// signUp makes an account the ordinary way, as the session of key would.
func (e *identityEnv) signUp(t *testing.T, name string, key ssh.PublicKey) app.Actor {
	t.Helper()
	a, err := e.svc.SignUp(t.Context(), app.SignUpParams{Name: name, PublicKey: key, RemoteAddr: "192.0.2.1:5000"})
	if err != nil {
		t.Fatalf("sign up %s: %v", name, err)
	}
	return a
}

// linkCode is a key link code of a's account, as the Account screen shows it.
func (e *identityEnv) linkCode(t *testing.T, a app.Actor) string {
	t.Helper()
	link, err := e.svc.KeyLinkCode(t.Context(), a)
	if err != nil {
		t.Fatal(err)
	}
	return link.Plain
}

// claimKey adds key to the account of the key link code, as the sign-up
// screen of key's session would.
func (e *identityEnv) claimKey(t *testing.T, key ssh.PublicKey, code string) {
	t.Helper()
	if _, err := e.svc.ClaimKey(t.Context(), key, "192.0.2.1:1", code); err != nil {
		t.Fatal(err)
	}
}

// removeKey removes a's i-th key (in the order Keys lists them).
func (e *identityEnv) removeKey(t *testing.T, a app.Actor, i int) {
	t.Helper()
	keys, err := e.svc.Keys(t.Context(), a)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.KeyRemove(t.Context(), a, keys[i].ID); err != nil {
		t.Fatal(err)
	}
}

// issueKeyLink issues a key link code of a's account through IssueCode.
func (e *identityEnv) issueKeyLink(t *testing.T, a app.Actor) app.IssuedCode {
	t.Helper()
	issued, err := e.svc.IssueCode(t.Context(), a, app.IssueCodeParams{Kind: store.CodeKeyLink})
	if err != nil {
		t.Fatal(err)
	}
	return issued
}

func TestKeyLinkCode(t *testing.T) {
	ctx := t.Context()
	e, ada := newAdaEnv(t)
	issued := e.issueKeyLink(t, ada)
	if len(issued.Plain) != 19 || strings.Count(issued.Plain, "-") != 3 || !issued.Code.ExpiresAt.Equal(e.now.Add(10*time.Minute)) {
		t.Fatalf("issued %q expiring %v", issued.Plain, issued.Code.ExpiresAt)
	}
	laptop := edKey(t)
	got, _, err := e.svc.RedeemCode(ctx, app.RedeemParams{Kinds: []store.CodeKind{store.CodeKeyLink},
		Code: strings.ToLower(issued.Plain), Key: laptop, RemoteAddr: "198.51.100.7:4000"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Account.ID != ada.Account.ID || got.Fingerprint != ssh.FingerprintSHA256(laptop) {
		t.Fatalf("redeemed as %+v", got)
	}
	if _, _, err := e.svc.RedeemCode(ctx, app.RedeemParams{Code: issued.Plain, Key: edKey(t), RemoteAddr: "198.51.100.8:4000"}); !errors.Is(err, app.ErrBadCode) {
		t.Fatalf("second use: %v, want ErrBadCode", err)
	}
	if strings.Contains(strings.ToUpper(e.log.String()), strings.ReplaceAll(issued.Plain, "-", "")) ||
		strings.Contains(e.log.String(), issued.Plain) {
		t.Fatalf("the code reached the log:\n%s", e.log)
	}
}

func TestCodeRedeemRateLimited(t *testing.T) {
	ctx := t.Context()
	e, ada := newAdaEnv(t)
	issued := e.issueKeyLink(t, ada)
	guesser := edKey(t)
	for i := range 5 {
		_, _, err := e.svc.RedeemCode(ctx, app.RedeemParams{Code: "AAAA-BBBB-CCCC-DDD" + string(rune('0'+i)), Key: guesser, RemoteAddr: "203.0.113.9:1"})
		if !errors.Is(err, app.ErrBadCode) {
			t.Fatalf("guess %d: %v", i, err)
		}
	}
	// The sixth attempt from that key is refused even with the right code.
	if _, _, err := e.svc.RedeemCode(ctx, app.RedeemParams{Code: issued.Plain, Key: guesser, RemoteAddr: "203.0.113.9:1"}); !errors.Is(err, app.ErrTooManyAttempts) {
		t.Fatalf("sixth attempt from one key: %v, want ErrTooManyAttempts", err)
	}
	// Fresh keys from the same address: 20 attempts an address.
	var last error
	for range 20 {
		_, _, last = e.svc.RedeemCode(ctx, app.RedeemParams{Code: "AAAA-BBBB-CCCC-DDDD", Key: edKey(t), RemoteAddr: "203.0.113.9:2"})
	}
	if !errors.Is(last, app.ErrTooManyAttempts) {
		t.Fatalf("attempt 26 from one address: %v, want ErrTooManyAttempts", last)
	}
	e.now = e.now.Add(11 * time.Minute)
	if _, _, err := e.svc.RedeemCode(ctx, app.RedeemParams{Code: issued.Plain, Key: guesser, RemoteAddr: "203.0.113.9:1"}); !errors.Is(err, app.ErrBadCode) {
		t.Fatalf("after the window, an expired code: %v, want ErrBadCode", err)
	}
}

func TestCodeRevokeAndList(t *testing.T) {
	e := newIdentityEnv(t, true)
	ctx := t.Context()
	ada, bob := e.signUp(t, "Ada", edKey(t)), e.signUp(t, "Bob", edKey(t))
	issued := e.issueKeyLink(t, ada)
	if err := e.svc.RevokeCode(ctx, bob, issued.Code.ID); err == nil {
		t.Fatal("another account revoked Ada's code")
	}
	list, err := e.svc.Codes(ctx, ada, app.ListCodesParams{Kind: store.CodeKeyLink})
	if err != nil || len(list) != 1 {
		t.Fatalf("pending codes = %v, %v", list, err)
	}
	if err := e.svc.RevokeCode(ctx, ada, issued.Code.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.RedeemCode(ctx, app.RedeemParams{Code: issued.Plain, Key: edKey(t), RemoteAddr: "192.0.2.3:1"}); !errors.Is(err, app.ErrBadCode) {
		t.Fatalf("revoked code: %v, want ErrBadCode", err)
	}
	if _, err := e.svc.IssueCode(ctx, ada, app.IssueCodeParams{Kind: store.CodeAccountInvite}); !errors.Is(err, app.ErrNotAdmin) {
		t.Fatalf("a seller issued an account invite: %v", err)
	}
}

func TestClosedSignupAdminKeysAndInvites(t *testing.T) {
	adminKey := edKey(t)
	e := newIdentityEnv(t, false, adminKey)
	ctx := t.Context()
	if _, err := e.svc.SignUp(ctx, app.SignUpParams{Name: "Mallory", PublicKey: edKey(t)}); !errors.Is(err, app.ErrSignupClosed) {
		t.Fatalf("a stranger signed up on a closed server: %v", err)
	}
	admin := e.signUp(t, "Root", adminKey)
	if !admin.Account.IsAdmin {
		t.Fatal("the admin key's session is not admin")
	}
	invite, err := e.svc.AdminInvite(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	if !invite.Code.ExpiresAt.Equal(e.now.Add(7 * 24 * time.Hour)) {
		t.Fatalf("invite expires %v", invite.Code.ExpiresAt)
	}
	dora, _, err := e.svc.Join(ctx, app.JoinParams{Code: invite.Plain, Key: edKey(t), Name: "Dora", RemoteAddr: "192.0.2.5:1"})
	if err != nil {
		t.Fatal(err)
	}
	if dora.Account.Name != "Dora" || dora.Account.IsAdmin {
		t.Fatalf("invited account %+v", dora.Account)
	}
	if _, err := e.svc.AdminInvite(ctx, dora); !errors.Is(err, app.ErrNotAdmin) {
		t.Fatalf("a seller invited: %v", err)
	}
	// A key link code is not an invite.
	if _, _, err := e.svc.Join(ctx, app.JoinParams{Code: e.linkCode(t, dora), Key: edKey(t), Name: "Eve"}); !errors.Is(err, app.ErrBadCode) {
		t.Fatalf("a link code joined as an invite: %v", err)
	}
}

// Two replicas on one database share the redemption limits: a guesser
// spreading attempts over both still gets 5 per key in the window.
func TestCodeRedeemRateLimitSharedByReplicas(t *testing.T) {
	e := newIdentityEnv(t, true)
	ctx := t.Context()
	other := app.New(app.Config{Store: e.db, SignupOpen: true, Now: func() time.Time { return e.now }})
	guesser := edKey(t)
	replicas := []*app.Service{e.svc, other, e.svc, other, e.svc}
	for i, svc := range replicas {
		_, _, err := svc.RedeemCode(ctx, app.RedeemParams{Code: "AAAA-BBBB-CCCC-DDD" + string(rune('0'+i)), Key: guesser, RemoteAddr: "203.0.113.9:1"})
		if !errors.Is(err, app.ErrBadCode) {
			t.Fatalf("guess %d: %v", i, err)
		}
	}
	if _, _, err := other.RedeemCode(ctx, app.RedeemParams{Code: "AAAA-BBBB-CCCC-DDD9", Key: guesser, RemoteAddr: "203.0.113.9:1"}); !errors.Is(err, app.ErrTooManyAttempts) {
		t.Fatalf("sixth attempt, the second replica's third: %v, want ErrTooManyAttempts", err)
	}
	e.now = e.now.Add(11 * time.Minute)
	if _, _, err := other.RedeemCode(ctx, app.RedeemParams{Code: "AAAA-BBBB-CCCC-DDD9", Key: guesser, RemoteAddr: "203.0.113.9:1"}); !errors.Is(err, app.ErrBadCode) {
		t.Fatalf("after the window: %v, want ErrBadCode", err)
	}
}

// Store invites: codes that add a person to a store with a role.
// member is a signed-up person and the key their sessions sign with.
type member struct {
	app.Actor
	key ssh.PublicKey
}

func (e *identityEnv) person(t *testing.T, name string) member {
	t.Helper()
	k := edKey(t)
	return member{Actor: e.signUp(t, name, k), key: k}
}

// join redeems a store invite from a session of m, and returns the store.
func (e *identityEnv) join(t *testing.T, m member, code string) (store.MemberStore, error) {
	t.Helper()
	_, c, err := e.svc.Join(t.Context(), app.JoinParams{Code: code, Key: m.key, Actor: &m.Actor})
	if err != nil {
		return store.MemberStore{}, err
	}
	return e.svc.Store(t.Context(), m.Actor, c.StoreID)
}

// inviteShop is Ada's shop on a service with a settable clock.
func inviteShop(t *testing.T) (*identityEnv, app.Actor, store.Store) {
	t.Helper()
	e, ada := newAdaEnv(t)
	st, err := e.db.StoreConnect(t.Context(), &store.StoreConnectParams{AccountID: ada.Account.ID, EtsyShopID: 77, EtsyUserID: 78,
		Name: "Ada's Pottery", Currency: "EUR", AccessToken: []byte("a"), RefreshToken: []byte("r"), TokenExpiresAt: e.now.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	return e, ada, st
}

func TestInviteJoinAndSignUp(t *testing.T) {
	e, ada, st := inviteShop(t)
	ctx := t.Context()
	bob := e.person(t, "Bob")

	code, err := e.svc.Invite(ctx, ada, st.ID, store.RoleViewer)
	if err != nil {
		t.Fatal(err)
	}
	if !code.Code.ExpiresAt.Equal(e.now.Add(7 * 24 * time.Hour)) {
		t.Fatalf("invite expires %v, want in 7 days", code.Code.ExpiresAt)
	}
	if strings.Contains(e.log.String(), code.Plain) {
		t.Fatal("the code reached the log")
	}
	joined, err := e.join(t, bob, code.Plain)
	if err != nil {
		t.Fatalf("join: %v", err)
	}
	if joined.ID != st.ID || joined.Role != store.RoleViewer {
		t.Fatalf("joined %+v", joined)
	}

	// A new person signs up and joins in one step.
	cat := edKey(t)
	code2, err := e.svc.Invite(ctx, ada, st.ID, store.RoleManager)
	if err != nil {
		t.Fatal(err)
	}
	a, c, err := e.svc.Join(ctx, app.JoinParams{Code: code2.Plain, Key: cat, Name: "Cat", Email: "cat@example.com"})
	if err != nil {
		t.Fatalf("sign up with invite: %v", err)
	}
	m, err := e.svc.Store(ctx, a, c.StoreID)
	if err != nil || a.Account.Name != "Cat" || m.ID != st.ID || m.Role != store.RoleManager {
		t.Fatalf("signed up %+v in %+v", a.Account, m)
	}
	members, err := e.svc.Members(ctx, ada, st.ID)
	if err != nil || len(members) != 3 {
		t.Fatalf("members %+v %v", members, err)
	}
	if got, _ := e.svc.Invites(ctx, ada, st.ID, false); len(got) != 0 {
		t.Fatalf("used invites still open: %+v", got)
	}
	if got, _ := e.svc.Invites(ctx, ada, st.ID, true); len(got) != 2 {
		t.Fatalf("%d invites with --all, want 2", len(got))
	}
}

// Expired, reused and revoked codes are refused alike, and change nothing.
func TestInviteExpiredReusedRevoked(t *testing.T) {
	e, ada, st := inviteShop(t)
	ctx := t.Context()
	bob, cat, dan := e.person(t, "Bob"), e.person(t, "Cat"), e.person(t, "Dan")

	used, _ := e.svc.Invite(ctx, ada, st.ID, store.RoleViewer)
	if _, err := e.join(t, bob, used.Plain); err != nil {
		t.Fatal(err)
	}
	if _, err := e.join(t, cat, used.Plain); !errors.Is(err, app.ErrBadCode) {
		t.Fatalf("reused code: %v", err)
	}

	revoked, _ := e.svc.Invite(ctx, ada, st.ID, store.RoleViewer)
	if err := e.svc.InviteRevoke(ctx, ada, st.ID, revoked.Code.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.join(t, cat, revoked.Plain); !errors.Is(err, app.ErrBadCode) {
		t.Fatalf("revoked code: %v", err)
	}
	if err := e.svc.InviteRevoke(ctx, ada, st.ID, used.Code.ID); err == nil || !strings.Contains(err.Error(), "already used") {
		t.Fatalf("revoking a used invite: %v", err)
	}

	expired, _ := e.svc.Invite(ctx, ada, st.ID, store.RoleViewer)
	e.now = e.now.Add(7*24*time.Hour + time.Second)
	if _, err := e.join(t, dan, expired.Plain); !errors.Is(err, app.ErrBadCode) {
		t.Fatalf("expired code: %v", err)
	}
	for _, who := range []app.Actor{cat.Actor, dan.Actor} {
		if _, err := e.svc.Store(ctx, who, st.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("%s got in with a bad code: %v", who.Account.Name, err)
		}
	}
	if !strings.Contains(e.log.String(), "code redemption failed") {
		t.Fatalf("failed redemptions not logged:\n%s", e.log)
	}
}

// Only owners invite, list and revoke; an invite cannot make an owner; a
// member joining twice keeps the code unused.
func TestInviteRules(t *testing.T) {
	e, ada, st := inviteShop(t)
	ctx := t.Context()
	bob := e.person(t, "Bob")
	code, _ := e.svc.Invite(ctx, ada, st.ID, store.RoleManager)
	if _, err := e.join(t, bob, code.Plain); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Invite(ctx, bob.Actor, st.ID, store.RoleViewer); !errors.Is(err, app.ErrNotOwner) || !strings.Contains(err.Error(), "you are a manager") {
		t.Fatalf("a manager inviting: %v", err)
	}
	if _, err := e.svc.Invites(ctx, bob.Actor, st.ID, false); !errors.Is(err, app.ErrNotOwner) {
		t.Fatalf("a manager listing invites: %v", err)
	}
	if _, err := e.svc.Invite(ctx, ada, st.ID, store.RoleOwner); err == nil {
		t.Fatal("an invite made an owner")
	}
	again, _ := e.svc.Invite(ctx, ada, st.ID, store.RoleViewer)
	if _, err := e.join(t, bob, again.Plain); err == nil || !strings.Contains(err.Error(), "already a member") {
		t.Fatalf("joining twice: %v", err)
	}
	if open, _ := e.svc.Invites(ctx, ada, st.ID, false); len(open) != 1 || open[0].ID != again.Code.ID {
		t.Fatalf("the second code should still be open: %+v", open)
	}
	if err := e.svc.InviteRevoke(ctx, bob.Actor, st.ID, again.Code.ID); !errors.Is(err, app.ErrNotOwner) {
		t.Fatalf("a manager revoking: %v", err)
	}
	if err := e.svc.InviteRevoke(ctx, ada, st.ID, again.Code.ID+100); err == nil {
		t.Fatal("revoked an invite of no store")
	}
}

// An owner's invite lets a new person in even when sign-up is closed, as
// every code does; without a code a closed server stays closed.
func TestJoinWithStoreInviteClosedServer(t *testing.T) {
	e, ada, st := inviteShop(t)
	code, _ := e.svc.Invite(t.Context(), ada, st.ID, store.RoleViewer)
	closed := app.New(app.Config{Store: e.db, Now: func() time.Time { return e.now }})
	if _, err := closed.SignUp(t.Context(), app.SignUpParams{Name: "Eve", PublicKey: edKey(t)}); !errors.Is(err, app.ErrSignupClosed) {
		t.Fatalf("sign-up without a code on a closed server: %v", err)
	}
	a, c, err := closed.Join(t.Context(), app.JoinParams{Code: code.Plain, Key: edKey(t)})
	if err != nil || c.StoreID != st.ID || a.Account.Name != "New seller" {
		t.Fatalf("join with an invite on a closed server: %+v %+v %v", a.Account, c, err)
	}
}
