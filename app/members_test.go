package app_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/internal/jobsfake"
	"github.com/stockroom/stockroom/internal/testwait"
	"github.com/stockroom/stockroom/notify"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/store/storetest"
)

// withJobs gives the shop's service a job queue, for the writes that
// queue pushes and syncs.
func (s *alertShop) withJobs() *alertShop {
	s.svc = app.New(app.Config{Store: s.db, Hub: s.svc.Hub(), Jobs: &jobsfake.Queue{}})
	return s
}

// member adds an account to the shop with a role.
func (s *alertShop) member(t *testing.T, name string, role store.Role) app.Actor {
	t.Helper()
	return addMember(t, s.db, s.shop.ID, name, role)
}

// addMember creates the account name (storetest.Account's) and adds it to
// the store with a role; the actor is a session of its key.
func addMember(t *testing.T, db store.DB, storeID int64, name string, role store.Role) app.Actor {
	t.Helper()
	acct := storetest.Account(t, db, name)
	if err := db.MembershipAdd(t.Context(), &store.MembershipAddParams{AccountID: acct.ID, StoreID: storeID, Role: role}); err != nil {
		t.Fatal(err)
	}
	return app.Actor{Account: acct, Fingerprint: "SHA256:" + name}
}

// writes are every action that changes a store, each as a viewer or a
// manager would try it. Adding a write path to app means adding it here.
func writes(s *alertShop, offeringID int64) map[string]func(t *testing.T, a app.Actor) error {
	three, policy, every := 3, store.ZeroKeepSoldOut, time.Hour
	return map[string]func(t *testing.T, a app.Actor) error{
		"SetStock": func(t *testing.T, a app.Actor) error {
			_, err := s.svc.SetStock(t.Context(), a, app.StockParams{StoreID: s.shop.ID, Source: store.SourceCommand,
				Edits: []store.StockEditItem{{OfferingID: offeringID, Quantity: 7}}})
			return err
		},
		"ApplyImport": func(t *testing.T, a app.Actor) error {
			plan, err := s.svc.PlanImport(t.Context(), a, app.ImportParams{StoreID: s.shop.ID, Input: strings.NewReader("sku,quantity\nMUG-0,8\n")})
			if err != nil {
				return err
			}
			_, err = s.svc.ApplyImport(t.Context(), a, plan)
			return err
		},
		"SetThreshold": func(t *testing.T, a app.Actor) error {
			return s.svc.SetThreshold(t.Context(), a, store.ThresholdSetParams{StoreID: s.shop.ID, OfferingID: offeringID, Threshold: &three})
		},
		"LowStockDefault": func(t *testing.T, a app.Actor) error {
			_, err := s.svc.UpdateStoreSettings(t.Context(), a, app.StoreSettings{StoreID: s.shop.ID, LowStockDefault: &three})
			return err
		},
		"ZeroPolicy": func(t *testing.T, a app.Actor) error {
			_, err := s.svc.UpdateStoreSettings(t.Context(), a, app.StoreSettings{StoreID: s.shop.ID, ZeroPolicy: &policy})
			return err
		},
		"SyncInterval": func(t *testing.T, a app.Actor) error {
			_, err := s.svc.UpdateStoreSettings(t.Context(), a, app.StoreSettings{StoreID: s.shop.ID, SyncInterval: &every})
			return err
		},
		"SyncNow": func(t *testing.T, a app.Actor) error {
			return s.svc.SyncNow(t.Context(), a, s.shop.ID)
		},
		"Disconnect": func(t *testing.T, a app.Actor) error {
			return s.svc.Disconnect(t.Context(), a, s.shop.ID)
		},
		"MemberSetRole": func(t *testing.T, a app.Actor) error {
			_, err := s.svc.MemberSetRole(t.Context(), a, s.shop.ID, s.owner.Account.ID, store.RoleViewer)
			return err
		},
		"MemberRemove": func(t *testing.T, a app.Actor) error {
			return s.svc.MemberRemove(t.Context(), a, s.shop.ID, s.owner.Account.ID)
		},
		"Invite": func(t *testing.T, a app.Actor) error {
			_, err := s.svc.Invite(t.Context(), a, s.shop.ID, store.RoleViewer)
			return err
		},
		"InviteRevoke": func(t *testing.T, a app.Actor) error {
			return s.svc.InviteRevoke(t.Context(), a, s.shop.ID, 1)
		},
	}
}

// A viewer changes nothing, and every refusal names the role.
func TestViewerEveryWriteRefused(t *testing.T) {
	s := newAlertShop(t)
	s.sync(t, listings(1, 10))
	viewer := s.member(t, "vic", store.RoleViewer)
	rows, err := s.svc.Inventory(t.Context(), viewer, s.shop.ID)
	if err != nil || len(rows) != 1 {
		t.Fatalf("the viewer reads the inventory: %v, %d rows", err, len(rows))
	}
	for name, write := range writes(s, rows[0].OfferingID) {
		err := write(t, viewer)
		if !errors.Is(err, app.ErrViewer) || !strings.Contains(err.Error(), "viewer") {
			t.Errorf("%s by a viewer: got %v, want a refusal naming the role", name, err)
		}
	}
	after, err := s.svc.Inventory(t.Context(), viewer, s.shop.ID)
	if err != nil || after[0].Shown() != 10 || after[0].Pending() {
		t.Fatalf("the store changed under a viewer: %+v, %v", after, err)
	}
	members, _ := s.svc.Members(t.Context(), viewer, s.shop.ID)
	if len(members) != 2 || members[0].Role != store.RoleOwner {
		t.Fatalf("members after the viewer's attempts: %+v", members)
	}
}

// A manager edits stock and thresholds and imports, but does not connect
// or disconnect the shop, manage members or change the store's settings.
func TestManagerLimits(t *testing.T) {
	s := newAlertShop(t).withJobs()
	s.sync(t, listings(1, 10))
	manager := s.member(t, "max", store.RoleManager)
	rows, err := s.svc.Inventory(t.Context(), manager, s.shop.ID)
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string]bool{"SetStock": true, "ApplyImport": true, "SetThreshold": true, "LowStockDefault": true, "SyncNow": true}
	for name, write := range writes(s, rows[0].OfferingID) {
		err := write(t, manager)
		switch {
		case allowed[name] && err != nil:
			t.Errorf("%s by a manager: %v", name, err)
		case !allowed[name] && (!errors.Is(err, app.ErrNotOwner) || !strings.Contains(err.Error(), "you are a manager")):
			t.Errorf("%s by a manager: got %v, want a refusal naming the role", name, err)
		}
	}
}

// The zero policy decides whether listings leave the shop: the owner sets
// it, a manager may not, and a name that is not a policy changes nothing.
func TestSetZeroPolicyOwnerOnly(t *testing.T) {
	s := newAlertShop(t)
	ctx := t.Context()
	st, err := s.svc.SetZeroPolicy(ctx, s.owner, s.shop.ID, store.ZeroKeepSoldOut)
	if err != nil || st.ZeroPolicy != store.ZeroKeepSoldOut {
		t.Fatalf("owner set keep-sold-out: %v, policy %q", err, st.ZeroPolicy)
	}
	mgr := s.member(t, "bo", store.RoleManager)
	if _, err := s.svc.SetZeroPolicy(ctx, mgr, s.shop.ID, store.ZeroDeactivate); !errors.Is(err, app.ErrNotOwner) {
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

// The last owner can neither leave nor step down; ownership moves by
// promoting another member first. A member may leave.
func TestLastOwnerAndTransfer(t *testing.T) {
	s := newAlertShop(t)
	ctx := t.Context()
	bea := s.member(t, "bea", store.RoleManager)
	if err := s.svc.Leave(ctx, s.owner, s.shop.ID); !errors.Is(err, app.ErrLastOwner) {
		t.Fatalf("the last owner leaving: %v", err)
	}
	if _, err := s.svc.MemberSetRole(ctx, s.owner, s.shop.ID, s.owner.Account.ID, store.RoleManager); !errors.Is(err, app.ErrLastOwner) {
		t.Fatalf("the last owner stepping down: %v", err)
	}
	if _, err := s.svc.MemberSetRole(ctx, s.owner, s.shop.ID, bea.Account.ID, store.RoleOwner); err != nil {
		t.Fatalf("promoting bea: %v", err)
	}
	if _, err := s.svc.MemberSetRole(ctx, s.owner, s.shop.ID, s.owner.Account.ID, store.RoleViewer); err != nil {
		t.Fatalf("stepping down after the transfer: %v", err)
	}
	// Now a viewer, ada can no longer manage members, but can leave.
	if err := s.svc.MemberRemove(ctx, s.owner, s.shop.ID, bea.Account.ID); !errors.Is(err, app.ErrViewer) {
		t.Fatalf("a viewer removing the owner: %v", err)
	}
	if err := s.svc.Leave(ctx, s.owner, s.shop.ID); err != nil {
		t.Fatalf("leaving: %v", err)
	}
	if _, err := s.svc.Inventory(ctx, s.owner, s.shop.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("inventory after leaving: %v", err)
	}
}

// A role change or removal reaches the member's open sessions through
// the hub: the subscription of the store they are looking at gets it.
func TestMemberChangeReachesTheirSessions(t *testing.T) {
	s := newAlertShop(t)
	ctx := t.Context()
	vic := s.member(t, "vic", store.RoleViewer)
	sub, err := s.svc.Subscribe(ctx, vic, s.shop.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if _, err := s.svc.MemberSetRole(ctx, s.owner, s.shop.ID, vic.Account.ID, store.RoleManager); err != nil {
		t.Fatal(err)
	}
	if err := s.svc.MemberRemove(ctx, s.owner, s.shop.ID, vic.Account.ID); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		select {
		case e := <-sub.C:
			if e.Kind != hub.MembersChanged || e.AccountID != vic.Account.ID || e.StoreID != s.shop.ID {
				t.Fatalf("event %+v", e)
			}
		default:
			t.Fatal("the member's session was not told")
		}
	}
}

// Disconnecting keeps the history readable and refuses stock edits.
func TestDisconnectKeepsHistoryReadOnly(t *testing.T) {
	s := newAlertShop(t).withJobs()
	ctx := t.Context()
	s.sync(t, listings(2, 10))
	if err := s.svc.Disconnect(ctx, s.owner, s.shop.ID); err != nil {
		t.Fatal(err)
	}
	rows, err := s.svc.Inventory(ctx, s.owner, s.shop.ID)
	if err != nil || len(rows) != 2 {
		t.Fatalf("inventory after disconnect: %d rows, %v", len(rows), err)
	}
	_, err = s.svc.SetStock(ctx, s.owner, app.StockParams{StoreID: s.shop.ID, Source: store.SourceCommand,
		Edits: []store.StockEditItem{{OfferingID: rows[0].OfferingID, Quantity: 3}}})
	if !errors.Is(err, app.ErrDisconnected) {
		t.Fatalf("an edit of a disconnected store: %v", err)
	}
	if err := s.svc.SyncNow(ctx, s.owner, s.shop.ID); err == nil {
		t.Fatal("a disconnected store synced")
	}
	tok, err := s.db.StoreTokensGet(ctx, s.shop.ID)
	if err != nil || tok.Status != store.StatusDisconnected || tok.AccessToken != nil || tok.RefreshToken != nil {
		t.Fatalf("tokens after disconnect: %+v, %v", tok, err)
	}
	if err := s.svc.Disconnect(ctx, s.owner, s.shop.ID); err == nil {
		t.Fatal("disconnecting twice said nothing")
	}
}

// inserter takes delivery jobs and does nothing with them.
type inserter struct{}

func (inserter) InsertTx(context.Context, store.Tx, river.JobArgs, *river.InsertOpts) error {
	return nil
}

// Alerts reach every member who wants them, on their own channels; a
// viewer may turn a store's alerts off for themselves.
func TestAlertsReachMembersWhoWantThem(t *testing.T) {
	s := newAlertShop(t)
	ctx := t.Context()
	s.ev = notify.NewEvaluator(notify.EvaluatorConfig{Store: s.db, Hub: s.svc.Hub(), Jobs: inserter{},
		Channels: []store.Channel{store.ChannelEmail}})
	vic := s.member(t, "vic", store.RoleViewer)
	mo := s.member(t, "mo", store.RoleManager)
	if err := s.svc.SetStoreAlerts(ctx, vic, s.shop.ID, false); err != nil {
		t.Fatalf("a viewer choosing their alerts: %v", err)
	}
	s.sync(t, listings(1, 10))
	s.sync(t, listings(1, 1)) // below the default threshold of 3
	for who, want := range map[string]int{"ada": 1, "mo": 1, "vic": 0} {
		a := map[string]app.Actor{"ada": s.owner, "mo": mo, "vic": vic}[who]
		got, err := s.svc.Alerts(ctx, a, s.shop.ID, app.AlertListParams{})
		if err != nil || len(got) != 1 {
			t.Fatalf("%s's alerts: %+v %v", who, got, err)
		}
		if len(got[0].Deliveries) != want {
			t.Errorf("%s got %d deliveries, want %d", who, len(got[0].Deliveries), want)
		}
	}
}

// A removed member's `alerts --follow` ends at once, refused, instead of
// waiting for the store's next alert.
func TestFollowEndsWhenRemoved(t *testing.T) {
	s := newAlertShop(t)
	vic := s.member(t, "vic", store.RoleViewer)
	s.sync(t, listings(1, 10))
	s.sync(t, listings(1, 1)) // one alert, which the follower gets first
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		var once sync.Once
		done <- s.svc.FollowAlerts(t.Context(), vic, s.shop.ID, 0, func(store.AlertView) error {
			// FollowAlerts subscribes before it lists: from here no
			// removal can be missed.
			once.Do(func() { close(ready) })
			return nil
		})
	}()
	<-ready
	if err := s.svc.MemberRemove(t.Context(), s.owner, s.shop.ID, vic.Account.ID); err != nil {
		t.Fatal(err)
	}
	if err := testwait.Receive(t, done, "the removed member's follow to end"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("follow ended with %v, want not found", err)
	}
}
