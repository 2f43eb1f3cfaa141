package app_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/store"
)

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
	e := newIdentityEnv(t, true)
	ada := e.signUp(t, "Ada", edKey(t))
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
