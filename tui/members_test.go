package tui

import (
	"context"
	"strings"
	"testing"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/tui/internal/tuitest"
)

// A role change reaches the member's open session at once: the viewer's
// read-only inventory becomes editable when an owner makes them manager,
// and a removed member's session loses the store.
func TestMemberSessionFollowsRoleAndRemoval(t *testing.T) {
	env := tuitest.New(t, shop(), tuitest.Options{})
	vic := env.Member(t, "Vic Viewer", store.RoleViewer)
	l := open(t, env, &vic, "inventory")
	l.settle("the viewer's inventory", func() bool {
		return l.root().sub != nil && strings.Contains(l.plain(), "read only (viewer)")
	})

	ctx := context.Background()
	if _, err := env.App.MemberSetRole(ctx, env.Owner, env.StoreID, vic.Account.ID, store.RoleManager); err != nil {
		t.Fatal(err)
	}
	l.settle("the new role", func() bool { return !strings.Contains(l.plain(), "read only") })

	if err := env.App.MemberRemove(ctx, env.Owner, env.StoreID, vic.Account.ID); err != nil {
		t.Fatal(err)
	}
	l.settle("the store gone", func() bool {
		return l.root().storeID == 0 && strings.Contains(l.plain(), "no longer a member of Olive's Pottery")
	})
	if strings.Contains(l.plain(), "TOTE-L") {
		t.Fatalf("the removed member still sees the inventory:\n%s", l.plain())
	}
	if l.root().sub != nil {
		t.Fatal("the removed member still follows the store")
	}
}

// A session without a store follows its account: a store joined from
// another session (join CODE) opens in it at once.
func TestSessionWithoutStoreOpensAJoinedStore(t *testing.T) {
	env := tuitest.New(t, shop(), tuitest.Options{})
	key := tuitest.NewKey(t)
	nell, err := env.App.SignUp(context.Background(), app.SignUpParams{Name: "Nell Newcomer", PublicKey: key})
	if err != nil {
		t.Fatal(err)
	}
	l := open(t, env, &nell, "")
	l.settle("the account's subscription", func() bool { return l.root().sub != nil })
	if l.root().storeID != 0 {
		t.Fatal("a new account has a store")
	}
	code, err := env.App.Invite(context.Background(), env.Owner, env.StoreID, store.RoleViewer)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := env.App.Join(context.Background(), app.JoinParams{Code: code.Plain, Key: key, Actor: &nell}); err != nil {
		t.Fatal(err)
	}
	l.settle("the joined store", func() bool {
		return l.root().storeID == env.StoreID && strings.Contains(l.plain(), "Olive's Pottery")
	})
	if l.root().statusErr {
		t.Fatalf("the session shows an error: %q", l.root().status)
	}
}

// The palette's sync refuses a viewer, naming the role, and queues nothing.
func TestViewerPaletteSyncRefused(t *testing.T) {
	env := tuitest.New(t, shop(), tuitest.Options{})
	vic := env.Member(t, "Vic Viewer", store.RoleViewer)
	l := inventorySession(t, env, &vic)
	l.palette("syncnow")
	l.settle("the refusal", func() bool { return strings.Contains(l.plain(), "you are a viewer") })
	if len(env.Jobs.SyncCalls()) != 0 {
		t.Fatalf("a viewer's palette queued %v", env.Jobs.SyncCalls())
	}
}
