package tui

import (
	"strings"
	"testing"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/tui/internal/tuitest"
)

// Issue 17: the Admin view's last run only changed on r. It follows the
// live events of every store, including those the admin is no member of.
func TestAdminViewFollowsLiveEvents(t *testing.T) {
	env := tuitest.New(t, shop(), tuitest.Options{Admins: map[string]bool{"SHA256:root": true}})
	ctx := t.Context()
	root, err := env.DB.AccountCreate(ctx, &store.AccountCreateParams{Name: "Root", IsAdmin: true,
		Fingerprint: "SHA256:root", PublicKey: "ssh-ed25519 AAAAroot", Now: tuitest.Epoch})
	if err != nil {
		t.Fatal(err)
	}
	admin := app.Actor{Account: root, Fingerprint: "SHA256:root"}
	l := newLoop(t, New(session(env, &admin, "admin", nil)), 160, 40)
	l.settle("the admin view", func() bool { return strings.Contains(l.plain(), "Olive's Pottery") })
	l.quiet()
	if !strings.Contains(l.plain(), "never") {
		t.Fatalf("Olive's shop has a last run already:\n%s", l.plain())
	}

	run, err := env.DB.SyncRunStart(ctx, &store.SyncRunStartParams{StoreID: env.StoreID, Kind: store.SyncFull,
		Trigger: store.TriggerSchedule, Now: tuitest.Epoch})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.DB.SyncRunFinish(ctx, &store.SyncRunFinishParams{ID: run.ID, Result: store.ResultFailed,
		Error: "Etsy answered 503", Now: tuitest.Epoch}); err != nil {
		t.Fatal(err)
	}
	env.Hub.Publish(hub.Event{Kind: hub.SyncFinished, StoreID: env.StoreID, RunID: run.ID, State: string(store.ResultFailed)})
	l.settle("the new run on the admin view", func() bool { return strings.Contains(l.plain(), "Etsy answered 503") })
}
