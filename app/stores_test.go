package app_test

import (
	"errors"
	"testing"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/store"
)

// The zero policy decides whether listings leave the shop: the owner sets
// it, a manager may not, and a name that is not a policy changes nothing.
func TestSetZeroPolicyOwnerOnly(t *testing.T) {
	s := newAlertShop(t)
	ctx := t.Context()
	st, err := s.svc.SetZeroPolicy(ctx, s.owner, s.shop.ID, store.ZeroKeepSoldOut)
	if err != nil || st.ZeroPolicy != store.ZeroKeepSoldOut {
		t.Fatalf("owner set keep-sold-out: %v, policy %q", err, st.ZeroPolicy)
	}
	mgr, err := s.db.AccountCreate(ctx, &store.AccountCreateParams{Name: "bo", Email: "bo@example.com", Fingerprint: "SHA256:bo", PublicKey: "ssh-ed25519 AAAAbo"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.db.MembershipAdd(ctx, &store.MembershipAddParams{StoreID: s.shop.ID, AccountID: mgr.ID, Role: store.RoleManager}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.SetZeroPolicy(ctx, app.Actor{Account: mgr, Fingerprint: "SHA256:bo"}, s.shop.ID, store.ZeroDeactivate); !errors.Is(err, app.ErrNotOwner) {
		t.Fatalf("a manager set the zero policy: %v", err)
	}
	if _, err := s.svc.SetZeroPolicy(ctx, s.owner, s.shop.ID, "sometimes"); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("an unknown policy: %v", err)
	}
	if got, _ := s.db.StoreGet(ctx, s.shop.ID); got.ZeroPolicy != store.ZeroKeepSoldOut {
		t.Fatalf("policy is %q after refused changes, want keep_sold_out", got.ZeroPolicy)
	}
	for name, want := range map[string]store.ZeroPolicy{"deactivate": store.ZeroDeactivate, "keep-sold-out": store.ZeroKeepSoldOut} {
		if p, err := app.ParseZeroPolicy(name); err != nil || p != want || app.ZeroPolicyName(p) != name {
			t.Errorf("ParseZeroPolicy(%q) = %q, %v", name, p, err)
		}
	}
	if _, err := app.ParseZeroPolicy("off"); err == nil {
		t.Error("ParseZeroPolicy accepted off")
	}
}
