package app_test

import (
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/store"
)

// A code typed on the sign-up screen has the effects of its command: a
// store invite redraws every Members panel of the store (join), a key link
// is a key.add in the account's ledger (keys claim).
func TestSignUpWithCodeHasEachCommandsEffects(t *testing.T) {
	e, ada, st := inviteShop(t)
	ctx := t.Context()
	members := e.svc.Hub().Subscribe(func(ev hub.Event) bool { return ev.Kind == hub.MembersChanged && ev.StoreID == st.ID })
	defer members.Close()
	invite, err := e.svc.Invite(ctx, ada, st.ID, store.RoleViewer)
	if err != nil {
		t.Fatal(err)
	}
	bo, c, err := e.svc.SignUpWithCode(ctx, app.JoinParams{Code: invite.Plain, Key: edKey(t), Name: "Bo", RemoteAddr: "192.0.2.4:1"})
	if err != nil || c.Kind != store.CodeStoreInvite {
		t.Fatalf("sign up with a store invite: %+v %v", c, err)
	}
	select {
	case ev := <-members.C:
		if ev.AccountID != bo.Account.ID {
			t.Fatalf("members event names account %d, want Bo's %d", ev.AccountID, bo.Account.ID)
		}
	default:
		t.Fatal("no MembersChanged event for the store after a sign-up with its invite")
	}

	link := e.linkCode(t, ada)
	laptop := edKey(t)
	got, _, err := e.svc.SignUpWithCode(ctx, app.JoinParams{Code: link, Key: laptop, RemoteAddr: "192.0.2.5:1"})
	if err != nil || got.Account.ID != ada.Account.ID {
		t.Fatalf("sign up with a link code: %+v %v", got, err)
	}
	evs, err := e.svc.Activity(ctx, ada, app.ActivityQuery{Kind: string(store.KindKeyAdd)})
	if err != nil || len(evs) != 1 || evs[0].Subject != ssh.FingerprintSHA256(laptop) {
		t.Fatalf("key.add events: %+v %v", evs, err)
	}
}
