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
	e := newIdentityEnv(t, true)
	ctx := t.Context()
	ada := e.signUp(t, "Ada", edKey(t))
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
	e := newIdentityEnv(t, true)
	ctx := t.Context()
	ada := e.signUp(t, "Ada", edKey(t))
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
