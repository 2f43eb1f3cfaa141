package app_test

import (
	"errors"
	"testing"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/store"
)

// An Actor is resolved when its session opens; an account disabled while
// that session is still open must lose every action at once, not when the
// session ends.
func TestDisabledWhileSessionOpen(t *testing.T) {
	s := newAlertShop(t)
	ctx := t.Context()
	actor := s.owner // the session's copy, taken while the account was enabled
	if _, err := s.svc.Inventory(ctx, actor, s.shop.ID); err != nil {
		t.Fatalf("enabled account: %v", err)
	}
	if err := s.db.AccountSetDisabled(ctx, actor.Account.ID, true); err != nil {
		t.Fatal(err)
	}
	name := "renamed"
	checks := map[string]error{}
	_, checks["Inventory"] = s.svc.Inventory(ctx, actor, s.shop.ID)
	_, checks["SetStock"] = s.svc.SetStock(ctx, actor, app.StockParams{StoreID: s.shop.ID, Source: store.SourceTUI,
		Edits: []store.StockEditItem{{OfferingID: 1, Quantity: 1}}})
	_, checks["Stores"] = s.svc.Stores(ctx, actor)
	_, checks["ResolveStore"] = s.svc.ResolveStore(ctx, actor, "")
	_, checks["UpdateProfile"] = s.svc.UpdateProfile(ctx, actor, app.ProfileParams{Name: &name})
	_, checks["KeyLinkCode"] = s.svc.KeyLinkCode(ctx, actor)
	checks["KeyRemove"] = s.svc.KeyRemove(ctx, actor, 1)
	_, checks["TelegramLinkCode"] = s.svc.TelegramLinkCode(ctx, actor)
	for name, err := range checks {
		if !errors.Is(err, app.ErrDisabled) {
			t.Errorf("%s after the account was disabled: got %v, want ErrDisabled", name, err)
		}
	}
	acct, err := s.db.AccountGetByID(ctx, actor.Account.ID)
	if err != nil {
		t.Fatal(err)
	}
	if acct.Name != actor.Account.Name {
		t.Errorf("a disabled account renamed itself to %q", acct.Name)
	}
}

// An admin disabled, or whose admin key was removed, while a session is
// open loses the admin actions at once.
func TestAdminRevokedWhileSessionOpen(t *testing.T) {
	adminKey := edKey(t)
	e := newIdentityEnv(t, true, adminKey)
	ctx := t.Context()
	admin := e.signUp(t, "Ada", adminKey)
	if _, err := e.svc.AdminOverview(ctx, admin); err != nil {
		t.Fatalf("admin: %v", err)
	}
	if err := e.db.AccountSetDisabled(ctx, admin.Account.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AdminOverview(ctx, admin); !errors.Is(err, app.ErrNotAdmin) {
		t.Fatalf("disabled admin: got %v, want ErrNotAdmin", err)
	}
	if err := e.db.AccountSetDisabled(ctx, admin.Account.ID, false); err != nil {
		t.Fatal(err)
	}
	// The admin key moves to another account: sessions still open with it
	// for the first account are admin no more.
	keys, err := e.db.KeyList(ctx, admin.Account.ID)
	if err != nil {
		t.Fatal(err)
	}
	other := e.signUp(t, "Bob", edKey(t))
	if _, err := e.db.KeyAdd(ctx, &store.KeyAddParams{AccountID: admin.Account.ID, Fingerprint: "SHA256:spare", PublicKey: "ssh-ed25519 AAAAspare"}); err != nil {
		t.Fatal(err)
	}
	if err := e.db.KeyRemove(ctx, &store.KeyRemoveParams{AccountID: admin.Account.ID, KeyID: keys[0].ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AdminOverview(ctx, admin); !errors.Is(err, app.ErrNotAdmin) {
		t.Fatalf("admin whose key was removed: got %v, want ErrNotAdmin", err)
	}
	if _, err := e.svc.AdminOverview(ctx, other); !errors.Is(err, app.ErrNotAdmin) {
		t.Fatalf("a seller: got %v, want ErrNotAdmin", err)
	}
}
