// Members of a store: roles, the last-owner rule, and disconnecting a shop.
package storetest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stockroom/stockroom/store"
)

var memberTests = map[string]func(t *testing.T, h *harness){
	"ListOwnersFirst": func(t *testing.T, h *harness) {
		ctx := t.Context()
		_, st := h.owner(t, "zoe", 701)
		h.joined(t, "ann", st.ID, store.RoleViewer)
		h.joined(t, "bob", st.ID, store.RoleManager)
		ms, err := h.db.MembershipList(ctx, st.ID)
		noErr(t, err, "list")
		var got []string
		for _, m := range ms {
			got = append(got, m.Name+":"+string(m.Role))
			if !m.CreatedAt.Equal(h.now) {
				t.Errorf("%s joined at %v, want %v", m.Name, m.CreatedAt, h.now)
			}
		}
		if want := "[zoe:owner bob:manager ann:viewer]"; fmt.Sprint(got) != want {
			t.Fatalf("members %v, want %s", got, want)
		}
	},
	"LastOwnerCannotBeDemotedOrRemoved": func(t *testing.T, h *harness) {
		ctx := t.Context()
		ann, st := h.owner(t, "ann", 702)
		bob := h.joined(t, "bob", st.ID, store.RoleManager)
		_, err := h.db.MembershipSetRole(ctx, &store.MembershipSetRoleParams{AccountID: ann.ID, StoreID: st.ID, Role: store.RoleManager})
		wantErr(t, err, store.ErrLastOwner, "demote the last owner")
		wantErr(t, h.db.MembershipRemove(ctx, &store.MembershipRemoveParams{AccountID: ann.ID, StoreID: st.ID}), store.ErrLastOwner, "remove the last owner")
		// Ownership moves: promote bob, then ann steps down.
		m, err := h.db.MembershipSetRole(ctx, &store.MembershipSetRoleParams{AccountID: bob.ID, StoreID: st.ID, Role: store.RoleOwner})
		noErr(t, err, "promote bob")
		if m.Role != store.RoleOwner || m.Name != "bob" {
			t.Fatalf("promoted %+v", m)
		}
		_, err = h.db.MembershipSetRole(ctx, &store.MembershipSetRoleParams{AccountID: ann.ID, StoreID: st.ID, Role: store.RoleViewer})
		noErr(t, err, "ann steps down")
		wantErr(t, h.db.MembershipRemove(ctx, &store.MembershipRemoveParams{AccountID: bob.ID, StoreID: st.ID}), store.ErrLastOwner, "remove the new last owner")
		noErr(t, h.db.MembershipRemove(ctx, &store.MembershipRemoveParams{AccountID: ann.ID, StoreID: st.ID}), "ann leaves")
		if _, err := h.db.StoreGetForAccount(ctx, ann.ID, st.ID); err == nil {
			t.Fatal("ann still sees the store after leaving")
		}
		wantErr(t, h.db.MembershipRemove(ctx, &store.MembershipRemoveParams{AccountID: ann.ID, StoreID: st.ID}), store.ErrNotFound, "remove a non-member")
		_, err = h.db.MembershipSetRole(ctx, &store.MembershipSetRoleParams{AccountID: ann.ID, StoreID: st.ID, Role: store.RoleViewer})
		wantErr(t, err, store.ErrNotFound, "role of a non-member")
		_, err = h.db.MembershipSetRole(ctx, &store.MembershipSetRoleParams{AccountID: bob.ID, StoreID: st.ID, Role: "boss"})
		wantErr(t, err, store.ErrInvalid, "unknown role")
	},
	// Two owners demoting themselves at once: one wins, the store keeps an
	// owner.
	"ConcurrentStepDownKeepsAnOwner": func(t *testing.T, h *harness) {
		ctx := t.Context()
		ann, st := h.owner(t, "ann", 703)
		bob := h.joined(t, "bob", st.ID, store.RoleOwner)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, id := range []int64{ann.ID, bob.ID} {
			wg.Go(func() {
				_, errs[i] = h.db.MembershipSetRole(ctx, &store.MembershipSetRoleParams{AccountID: id, StoreID: st.ID, Role: store.RoleViewer})
			})
		}
		wg.Wait()
		ms, err := h.db.MembershipList(ctx, st.ID)
		noErr(t, err, "list")
		owners := 0
		for _, m := range ms {
			if m.Role == store.RoleOwner {
				owners++
			}
		}
		if owners != 1 {
			t.Fatalf("%d owners after both stepped down at once (errors %v)", owners, errs)
		}
	},
	// A co-owner may connect the shop again; a manager of it may not.
	"CoOwnerReconnects": func(t *testing.T, h *harness) {
		ctx := t.Context()
		_, st := h.owner(t, "ann", 704)
		bob := h.joined(t, "bob", st.ID, store.RoleOwner)
		cat := h.joined(t, "cat", st.ID, store.RoleManager)
		if again := h.shop(t, bob.ID, 704); again.ID != st.ID {
			t.Fatalf("bob's reconnect made store %d, want %d", again.ID, st.ID)
		}
		_, err := h.db.StoreConnect(ctx, &store.StoreConnectParams{AccountID: cat.ID, EtsyShopID: 704, Name: "x", Now: h.now})
		wantErr(t, err, store.ErrShopLinked, "a manager connecting the shop")
		m, err := h.db.StoreGetForAccount(ctx, cat.ID, st.ID)
		noErr(t, err, "cat's store")
		if m.Role != store.RoleManager {
			t.Fatalf("cat became %s by a refused connect", m.Role)
		}
	},
	"DisconnectKeepsHistoryAndReconnects": func(t *testing.T, h *harness) {
		ctx := t.Context()
		ann, st := h.owner(t, "ann", 705)
		h.write(t, st.ID, listing(9001, 2, 5))
		noErr(t, h.db.StoreDisconnect(ctx, &store.StoreDisconnectParams{StoreID: st.ID, Now: h.at(1)}), "disconnect")
		tok, err := h.db.StoreTokensGet(ctx, st.ID)
		noErr(t, err, "tokens")
		if tok.Status != store.StatusDisconnected || len(tok.AccessToken) != 0 || len(tok.RefreshToken) != 0 || !tok.ExpiresAt.IsZero() {
			t.Fatalf("tokens after disconnect: %+v", tok)
		}
		if rows := h.inventory(t, ann.ID, st.ID); len(rows) != 2 {
			t.Fatalf("%d rows after disconnect, want the 2 synced", len(rows))
		}
		wantErr(t, h.db.StoreDisconnect(ctx, &store.StoreDisconnectParams{StoreID: st.ID + 100}), store.ErrNotFound, "disconnect unknown")
		again := h.shop(t, ann.ID, 705)
		if again.ID != st.ID || again.Status != store.StatusConnected {
			t.Fatalf("reconnected: %+v", again)
		}
	},
	// A member who turns a store's alerts off gets none of its deliveries;
	// the others still get theirs, on their own channels.
	"AlertsReachMembersWhoWantThem": func(t *testing.T, h *harness) {
		ctx := t.Context()
		s := h.seller(t, "ada", 706)
		bob := h.joined(t, "bob", s.store.ID, store.RoleViewer)
		ms, err := h.db.MembershipList(ctx, s.store.ID)
		noErr(t, err, "list")
		if !ms[0].Alerts || !ms[1].Alerts {
			t.Fatalf("members start without alerts: %+v", ms)
		}
		noErr(t, h.db.MembershipSetAlerts(ctx, &store.MembershipSetAlertsParams{AccountID: s.account.ID, StoreID: s.store.ID, Alerts: false}), "ada off")
		wantErr(t, h.db.MembershipSetAlerts(ctx, &store.MembershipSetAlertsParams{AccountID: bob.ID, StoreID: s.store.ID + 100}), store.ErrNotFound, "not a member")
		r := h.edit(t, s, s.rows[0].OfferingID, s.rows[0].Version, 1)
		res := h.evaluate(t, s.store.ID, r.OfferingID)
		if len(res.Deliveries) != 1 || res.Deliveries[0].AccountID != bob.ID {
			t.Fatalf("deliveries %+v, want bob's alone", res.Deliveries)
		}
		ms, err = h.db.MembershipList(ctx, s.store.ID)
		noErr(t, err, "list again")
		if ms[0].Alerts || !ms[1].Alerts {
			t.Fatalf("alerts switches %+v", ms)
		}
	},
}
