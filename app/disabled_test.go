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
	_, checks["KeyAdd"] = s.svc.KeyAdd(ctx, actor, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl x@y")
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

// An admin demoted or disabled while a session is open loses the admin
// actions at once.
func TestAdminRevokedWhileSessionOpen(t *testing.T) {
	s := newAlertShop(t)
	ctx := t.Context()
	if err := s.db.AccountSetAdmin(ctx, s.owner.Account.ID, true); err != nil {
		t.Fatal(err)
	}
	admin := s.owner
	admin.Account.IsAdmin = true
	if _, err := s.svc.AdminOverview(ctx, admin); err != nil {
		t.Fatalf("admin: %v", err)
	}
	if err := s.db.AccountSetAdmin(ctx, admin.Account.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.AdminOverview(ctx, admin); !errors.Is(err, app.ErrNotAdmin) {
		t.Fatalf("demoted admin: got %v, want ErrNotAdmin", err)
	}
	if err := s.svc.AdminSyncStore(ctx, admin, s.shop.ID); !errors.Is(err, app.ErrNotAdmin) {
		t.Fatalf("demoted admin syncing: got %v, want ErrNotAdmin", err)
	}
}
