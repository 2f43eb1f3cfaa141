package app_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/internal/testwait"
	"github.com/stockroom/stockroom/store/storetest"
)

// waitAccess waits for a verdict on ch.
func waitAccess(t *testing.T, ch <-chan error, want error) {
	t.Helper()
	if err := testwait.Receive(t, ch, fmt.Sprintf("the access verdict %v", want)); !errors.Is(err, want) {
		t.Fatalf("access ended with %v, want %v", err, want)
	}
}

// stillWatched fails if the watch ch has ended.
func stillWatched(t *testing.T, ch <-chan error, what string) {
	t.Helper()
	select {
	case err := <-ch:
		t.Fatalf("%s ended: %v", what, err)
	default:
	}
}

func TestWatchAccessKeyRemoved(t *testing.T) {
	ctx := t.Context()
	e, ada := newAdaEnv(t)
	code := e.linkCode(t, ada)
	// The laptop's session opens before it has an account (sign-up
	// screen), then claims one: it is watched from then on.
	laptopKey := edKey(t)
	watchLaptop := e.svc.WatchAccess(ctx, ssh.FingerprintSHA256(laptopKey), 0)
	e.claimKey(t, laptopKey, code)
	watchAda := e.svc.WatchAccess(ctx, ada.Fingerprint, ada.Account.ID)
	e.removeKey(t, ada, 1)
	waitAccess(t, watchLaptop, app.ErrKeyRemoved)
	stillWatched(t, watchAda, "the remaining key's session")
}

// A session on one replica ends when an admin disables its account on
// another: the event crosses PostgreSQL's LISTEN/NOTIFY.
func TestWatchAccessAcrossReplicas(t *testing.T) {
	db := storetest.OpenPostgres(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	adminKey := edKey(t)
	admins := map[string]bool{ssh.FingerprintSHA256(adminKey): true}
	log := slog.New(slog.DiscardHandler)
	h1, h2 := hub.New(), hub.New()
	b1, b2 := hub.NewBridge(h1, db.Pool(), "replica-1", log), hub.NewBridge(h2, db.Pool(), "replica-2", log)
	go b1.Run(ctx)
	go b2.Run(ctx)
	one := app.New(app.Config{Store: db, Hub: h1, SignupOpen: true, AdminFingerprints: admins})
	two := app.New(app.Config{Store: db, Hub: h2, SignupOpen: true, AdminFingerprints: admins})

	admin, err := one.SignUp(ctx, app.SignUpParams{Name: "Root", PublicKey: adminKey})
	if err != nil {
		t.Fatal(err)
	}
	seller, err := two.SignUp(ctx, app.SignUpParams{Name: "Bob", PublicKey: edKey(t)})
	if err != nil {
		t.Fatal(err)
	}
	// The listeners start asynchronously: wait until replica 2 hears
	// replica 1 at all.
	probe := h2.Subscribe(func(e hub.Event) bool { return e.Kind == hub.AccountChanged && e.AccountID == -1 })
	defer probe.Close()
	deadline := time.After(10 * time.Second)
	for heard := false; !heard; {
		h1.Publish(hub.Event{Kind: hub.AccountChanged, AccountID: -1})
		select {
		case <-probe.C:
			heard = true
		case <-time.After(100 * time.Millisecond):
		case <-deadline:
			t.Fatal("replica 2 never heard replica 1")
		}
	}

	watch := two.WatchAccess(ctx, seller.Fingerprint, 0)
	if err := one.AdminSetDisabled(ctx, admin, seller.Account.ID, true); err != nil {
		t.Fatal(err)
	}
	waitAccess(t, watch, app.ErrDisabled)
}

// Many sessions of one key share one watch loop: removing the key ends
// every one of them, a session that closes is told nothing, and the others
// of the account go on.
func TestWatchAccessManySessionsOfOneKey(t *testing.T) {
	ctx := t.Context()
	e, ada := newAdaEnv(t)
	code := e.linkCode(t, ada)
	laptopKey := edKey(t)
	e.claimKey(t, laptopKey, code)
	laptop := ssh.FingerprintSHA256(laptopKey)
	var watches []<-chan error
	for range 50 {
		watches = append(watches, e.svc.WatchAccess(ctx, laptop, 0))
	}
	closedCtx, closeSession := context.WithCancel(ctx)
	closed := e.svc.WatchAccess(closedCtx, laptop, 0)
	closeSession()
	if err, open := <-closed; open || err != nil {
		t.Errorf("a closed session's watch gave %v (open %v), want it closed with nothing", err, open)
	}
	other := e.svc.WatchAccess(ctx, ada.Fingerprint, ada.Account.ID)
	e.removeKey(t, ada, 1)
	for _, w := range watches {
		waitAccess(t, w, app.ErrKeyRemoved)
	}
	stillWatched(t, other, "the remaining key's session")
}
