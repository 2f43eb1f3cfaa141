// Accounts, keys, stores and memberships: roles, the last-owner rule, and
// disconnecting a shop.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stockroom/stockroom/store"
)

var accountTests = map[string]func(t *testing.T, h *harness){
	"CreateAndLookup": func(t *testing.T, h *harness) {
		ctx := t.Context()
		a := h.account(t, "alice")
		if a.ID == 0 || a.Name != "alice" || a.Email != "alice@example.com" || !a.CreatedAt.Equal(h.now) || !a.NotifyEmail {
			t.Fatalf("created account = %+v", a)
		}
		got, err := h.db.AccountGetByFingerprint(ctx, "SHA256:alice")
		noErr(t, err, "get by fingerprint")
		if got != a {
			t.Fatalf("by fingerprint = %+v, want %+v", got, a)
		}
		got, err = h.db.AccountGetByID(ctx, a.ID)
		noErr(t, err, "get by id")
		if got != a {
			t.Fatalf("by id = %+v, want %+v", got, a)
		}
		_, err = h.db.AccountGetByFingerprint(ctx, "SHA256:nobody")
		wantErr(t, err, store.ErrNotFound, "unknown fingerprint")
		_, err = h.db.AccountGetByID(ctx, a.ID+100)
		wantErr(t, err, store.ErrNotFound, "unknown id")

		name, chat, off, on := "Alice B", "12345", false, true
		up, err := h.db.AccountUpdate(ctx, &store.AccountUpdateParams{ID: a.ID, Name: &name, TelegramChatID: &chat,
			NotifyEmail: &off, NotifyTelegram: &on, Now: h.at(time.Minute)})
		noErr(t, err, "update")
		if up.Name != name || up.Email != a.Email || up.TelegramChatID != chat || up.NotifyEmail || !up.NotifyTelegram || up.NotifyDigest {
			t.Fatalf("updated account = %+v", up)
		}
		_, err = h.db.AccountUpdate(ctx, &store.AccountUpdateParams{ID: a.ID + 100, Name: &name})
		wantErr(t, err, store.ErrNotFound, "update unknown account")

		noErr(t, h.db.AccountSetDisabled(ctx, a.ID, true), "disable")
		noErr(t, h.db.AccountSetAdmin(ctx, a.ID, true), "admin")
		got, err = h.db.AccountGetByID(ctx, a.ID)
		noErr(t, err, "AccountGetByID")
		if !got.Disabled || !got.IsAdmin {
			t.Fatalf("after disable+admin: %+v", got)
		}
		wantErr(t, h.db.AccountSetDisabled(ctx, a.ID+100, true), store.ErrNotFound, "disable unknown account")

		h.account(t, "bob")
		list, err := h.db.AccountList(ctx)
		noErr(t, err, "list")
		if len(list) != 2 || list[0].Name != name || list[1].Name != "bob" {
			t.Fatalf("account list = %+v", list)
		}
	},
	"KeyTouchMany": func(t *testing.T, h *harness) {
		ctx := t.Context()
		// 70 keys: a statement of 64 and one of 6 (padded to 8).
		var uses []store.KeyUse
		for i := range 70 {
			a := h.account(t, fmt.Sprintf("k%02d", i))
			uses = append(uses, store.KeyUse{Fingerprint: "SHA256:" + a.Name, At: h.at(time.Duration(i+1) * time.Minute)})
		}
		other := h.account(t, "untouched")
		noErr(t, h.db.KeyTouchMany(ctx, uses), "touch many")
		noErr(t, h.db.KeyTouchMany(ctx, nil), "touch none")
		for i, u := range uses {
			a, err := h.db.AccountGetByFingerprint(ctx, u.Fingerprint)
			noErr(t, err, "account of "+u.Fingerprint)
			keys, err := h.db.KeyList(ctx, a.ID)
			noErr(t, err, "KeyList")
			if len(keys) != 1 || !keys[0].LastUsedAt.Equal(u.At) {
				t.Fatalf("key %d last used %v, want %v", i, keys[0].LastUsedAt, u.At)
			}
		}
		keys, err := h.db.KeyList(ctx, other.ID)
		noErr(t, err, "KeyList")
		if !keys[0].LastUsedAt.IsZero() {
			t.Fatalf("a key not in the batch was touched: %v", keys[0].LastUsedAt)
		}
	},
	"DuplicateKey": func(t *testing.T, h *harness) {
		ctx := t.Context()
		a := h.account(t, "alice")
		_, err := h.db.AccountCreate(ctx, &store.AccountCreateParams{Name: "mallory", Fingerprint: "SHA256:alice", PublicKey: "x", Now: h.now})
		wantErr(t, err, store.ErrConflict, "account with a key in use")
		list, err := h.db.AccountList(ctx)
		noErr(t, err, "AccountList")
		if len(list) != 1 {
			t.Fatalf("a refused account was half-written: %d accounts", len(list))
		}
		_, err = h.db.KeyAdd(ctx, &store.KeyAddParams{AccountID: a.ID, Fingerprint: "SHA256:alice", PublicKey: "x", Now: h.now})
		wantErr(t, err, store.ErrConflict, "key added twice")
		b := h.account(t, "bob")
		_, err = h.db.KeyAdd(ctx, &store.KeyAddParams{AccountID: b.ID, Fingerprint: "SHA256:alice", PublicKey: "x", Now: h.now})
		wantErr(t, err, store.ErrConflict, "key of another account")
	},
	"Keys": func(t *testing.T, h *harness) {
		ctx := t.Context()
		a := h.account(t, "alice")
		b := h.account(t, "bob")
		keys, err := h.db.KeyList(ctx, a.ID)
		noErr(t, err, "key list")
		if len(keys) != 1 || keys[0].Fingerprint != "SHA256:alice" || keys[0].Comment != "alice@laptop" || !keys[0].LastUsedAt.IsZero() {
			t.Fatalf("keys = %+v", keys)
		}
		first := keys[0]
		wantErr(t, h.db.KeyRemove(ctx, &store.KeyRemoveParams{AccountID: a.ID, KeyID: first.ID}), store.ErrLastKey, "remove the last key")

		second, err := h.db.KeyAdd(ctx, &store.KeyAddParams{AccountID: a.ID, Fingerprint: "SHA256:alice2", PublicKey: "ssh-ed25519 BBBB",
			Comment: "desktop", Now: h.at(time.Minute)})
		noErr(t, err, "key add")
		if second.AccountID != a.ID || second.Comment != "desktop" || !second.CreatedAt.Equal(h.at(time.Minute)) {
			t.Fatalf("added key = %+v", second)
		}
		bobKeys, err := h.db.KeyList(ctx, b.ID)
		noErr(t, err, "KeyList")
		wantErr(t, h.db.KeyRemove(ctx, &store.KeyRemoveParams{AccountID: a.ID, KeyID: bobKeys[0].ID}), store.ErrNotFound,
			"remove another account's key")
		if got, err := h.db.KeyList(ctx, b.ID); err != nil || len(got) != 1 {
			t.Fatalf("bob's keys after alice's attempt: %+v", got)
		}
		wantErr(t, h.db.KeyRemove(ctx, &store.KeyRemoveParams{AccountID: a.ID, KeyID: second.ID + 100}), store.ErrNotFound, "remove unknown key")

		noErr(t, h.db.KeyRemove(ctx, &store.KeyRemoveParams{AccountID: a.ID, KeyID: first.ID}), "remove first key")
		keys, err = h.db.KeyList(ctx, a.ID)
		noErr(t, err, "KeyList")
		if len(keys) != 1 || keys[0].ID != second.ID {
			t.Fatalf("keys after removal = %+v", keys)
		}
		_, err = h.db.AccountGetByFingerprint(ctx, "SHA256:alice")
		wantErr(t, err, store.ErrNotFound, "removed key still identifies")
		wantErr(t, h.db.KeyRemove(ctx, &store.KeyRemoveParams{AccountID: a.ID, KeyID: second.ID}), store.ErrLastKey, "remove the new last key")

		noErr(t, h.db.KeyTouch(ctx, "SHA256:alice2", h.at(time.Hour)), "touch")
		keys, err = h.db.KeyList(ctx, a.ID)
		noErr(t, err, "KeyList")
		if !keys[0].LastUsedAt.Equal(h.at(time.Hour)) {
			t.Fatalf("last used = %v, want %v", keys[0].LastUsedAt, h.at(time.Hour))
		}

		// Two sessions removing the last two keys at once leave one.
		_, err = h.db.KeyAdd(ctx, &store.KeyAddParams{AccountID: a.ID, Fingerprint: "SHA256:alice3", PublicKey: "x", Now: h.now})
		noErr(t, err, "key add")
		keys, err = h.db.KeyList(ctx, a.ID)
		noErr(t, err, "KeyList")
		errs := race(2, func(i int) error {
			return h.db.KeyRemove(context.Background(), &store.KeyRemoveParams{AccountID: a.ID, KeyID: keys[i].ID})
		})
		if (errs[0] == nil) == (errs[1] == nil) || !errors.Is(errors.Join(errs...), store.ErrLastKey) {
			t.Fatalf("concurrent removals = %v; want one success and one ErrLastKey", errs)
		}
		if keys, err = h.db.KeyList(ctx, a.ID); err != nil || len(keys) != 1 {
			t.Fatalf("%d keys left after concurrent removals", len(keys))
		}
	},
}

var storeTests = map[string]func(t *testing.T, h *harness){
	"ConcurrentConnect": func(t *testing.T, h *harness) {
		ctx := t.Context()
		accounts := []store.Account{h.account(t, "alice"), h.account(t, "bob")}
		for round := range 3 {
			shop := int64(510 + round)
			errs := race(2, func(i int) error {
				_, err := h.db.StoreConnect(context.Background(), &store.StoreConnectParams{AccountID: accounts[i].ID, EtsyShopID: shop,
					Name: "Contested", AccessToken: []byte{byte(i)}, RefreshToken: []byte{byte(i)}, Now: h.now})
				return err
			})
			winner := -1
			for i, err := range errs {
				switch {
				case err == nil:
					winner = i
				case !errors.Is(err, store.ErrShopLinked):
					t.Fatalf("round %d: concurrent connect: %v", round, err)
				}
			}
			if winner < 0 || (errs[0] == nil) == (errs[1] == nil) {
				t.Fatalf("round %d: connects = %v; want exactly one", round, errs)
			}
			all, err := h.db.StoreList(ctx)
			noErr(t, err, "StoreList")
			st := all[len(all)-1]
			members, err := h.db.MembershipList(ctx, st.ID)
			noErr(t, err, "MembershipList")
			if len(members) != 1 || members[0].Role != store.RoleOwner {
				t.Fatalf("round %d: members of the contested shop = %+v", round, members)
			}
			tok, err := h.db.StoreTokensGet(ctx, st.ID)
			noErr(t, err, "StoreTokensGet")
			if mine, err := h.db.StoreGetForAccount(ctx, members[0].AccountID, st.ID); err != nil || mine.ID != st.ID || len(tok.AccessToken) != 1 {
				t.Fatalf("round %d: owner cannot see the store or tokens are mixed: %+v", round, tok)
			}
		}
	},
	"ConnectAndList": func(t *testing.T, h *harness) {
		ctx := t.Context()
		a, st := h.owner(t, "alice", 501)
		if st.ID == 0 || st.EtsyShopID != 501 || st.Status != store.StatusConnected || st.ZeroPolicy != store.ZeroDeactivate ||
			st.LowStockDefault != 3 || !st.TokenExpiresAt.Equal(h.at(time.Hour)) || !st.CreatedAt.Equal(h.now) || st.IsSandbox {
			t.Fatalf("connected store = %+v", st)
		}
		mine, err := h.db.StoreListForAccount(ctx, a.ID)
		noErr(t, err, "list for account")
		if len(mine) != 1 || mine[0].Store != st || mine[0].Role != store.RoleOwner {
			t.Fatalf("stores for alice = %+v", mine)
		}
		got, err := h.db.StoreGetForAccount(ctx, a.ID, st.ID)
		noErr(t, err, "get for account")
		if got.Store != st || got.Role != store.RoleOwner {
			t.Fatalf("get for account = %+v", got)
		}
		all, err := h.db.StoreList(ctx)
		noErr(t, err, "store list")
		if len(all) != 1 || all[0] != st {
			t.Fatalf("store list = %+v", all)
		}

		// Reconnecting renews the tokens and keeps the store.
		again, err := h.db.StoreConnect(ctx, &store.StoreConnectParams{AccountID: a.ID, EtsyShopID: 501, EtsyUserID: 1501, Name: "Renamed",
			Currency: "EUR", AccessToken: []byte("a2"), RefreshToken: []byte("r2"), TokenExpiresAt: h.at(2 * time.Hour), Now: h.at(time.Minute)})
		noErr(t, err, "reconnect")
		if again.ID != st.ID || again.Name != "Renamed" {
			t.Fatalf("reconnected store = %+v", again)
		}
		tok, err := h.db.StoreTokensGet(ctx, st.ID)
		noErr(t, err, "tokens get")
		if !bytes.Equal(tok.AccessToken, []byte("a2")) || !bytes.Equal(tok.RefreshToken, []byte("r2")) || tok.EtsyShopID != 501 ||
			!tok.ExpiresAt.Equal(h.at(2*time.Hour)) || tok.Status != store.StatusConnected {
			t.Fatalf("tokens = %+v", tok)
		}

		b := h.account(t, "bob")
		_, err = h.db.StoreConnect(ctx, &store.StoreConnectParams{AccountID: b.ID, EtsyShopID: 501, Name: "Stolen",
			AccessToken: []byte("evil"), RefreshToken: []byte("evil"), Now: h.now})
		wantErr(t, err, store.ErrShopLinked, "connect a shop another account owns")
		tok, err = h.db.StoreTokensGet(ctx, st.ID)
		noErr(t, err, "StoreTokensGet")
		if !bytes.Equal(tok.AccessToken, []byte("a2")) {
			t.Fatalf("a refused connect replaced the tokens")
		}
		if got, err := h.db.StoreListForAccount(ctx, b.ID); err != nil || len(got) != 0 {
			t.Fatalf("bob became a member: %+v", got)
		}

		h.member(t, b.ID, st.ID, store.RoleViewer)
		members, err := h.db.MembershipList(ctx, st.ID)
		noErr(t, err, "membership list")
		if len(members) != 2 || members[0].Role != store.RoleOwner || members[1].Role != store.RoleViewer || members[1].Name != "bob" ||
			members[1].Email != "bob@example.com" {
			t.Fatalf("members = %+v", members)
		}
		h.member(t, b.ID, st.ID, store.RoleManager)
		if got, err := h.db.StoreGetForAccount(ctx, b.ID, st.ID); err != nil || got.Role != store.RoleManager {
			t.Fatalf("bob's role = %q, want manager", got.Role)
		}
	},
	"ListForActiveAccount": func(t *testing.T, h *harness) {
		ctx := t.Context()
		a, first := h.owner(t, "alice", 601)
		second := h.shop(t, a.ID, 602)
		all, err := h.db.StoreListForAccount(ctx, a.ID)
		noErr(t, err, "list for account")
		active, err := h.db.StoreListForActiveAccount(ctx, a.ID)
		noErr(t, err, "list for active account")
		if len(active) != 2 || len(all) != 2 || active[0] != all[0] || active[1] != all[1] {
			t.Fatalf("stores for active alice = %+v, want StoreListForAccount's %+v", active, all)
		}
		if first.ID == second.ID {
			t.Fatal("two shops, one store")
		}
		noErr(t, h.db.AccountSetDisabled(ctx, a.ID, true), "disable")
		if got, err := h.db.StoreListForActiveAccount(ctx, a.ID); err != nil || len(got) != 0 {
			t.Fatalf("stores for disabled alice = %+v, %v; want none", got, err)
		}
		noErr(t, h.db.AccountSetDisabled(ctx, a.ID, false), "enable")
		if got, err := h.db.StoreListForActiveAccount(ctx, a.ID); err != nil || len(got) != 2 {
			t.Fatalf("stores for enabled alice = %+v, %v; want both", got, err)
		}
		if got, err := h.db.StoreListForActiveAccount(ctx, a.ID+1000); err != nil || len(got) != 0 {
			t.Fatalf("stores for no account = %+v, %v", got, err)
		}
	},
	"SettingsStatusAndSyncState": func(t *testing.T, h *harness) {
		ctx := t.Context()
		a, st := h.owner(t, "alice", 502)
		zp, low, every := store.ZeroKeepSoldOut, 5, 15*time.Minute
		got, err := h.db.StoreUpdateSettings(ctx, &store.StoreUpdateSettingsParams{AccountID: a.ID, StoreID: st.ID, ZeroPolicy: &zp,
			SyncInterval: &every, Now: h.now})
		noErr(t, err, "settings")
		if got.ZeroPolicy != zp || got.SyncInterval != every || got.LowStockDefault != 3 {
			t.Fatalf("after settings: %+v", got)
		}
		got, err = h.db.StoreUpdateSettings(ctx, &store.StoreUpdateSettingsParams{AccountID: a.ID, StoreID: st.ID, LowStockDefault: &low, Now: h.now})
		noErr(t, err, "settings")
		if got.ZeroPolicy != zp || got.SyncInterval != every || got.LowStockDefault != low {
			t.Fatalf("after second settings: %+v", got)
		}
		bad := store.ZeroPolicy("explode")
		_, err = h.db.StoreUpdateSettings(ctx, &store.StoreUpdateSettingsParams{AccountID: a.ID, StoreID: st.ID, ZeroPolicy: &bad, Now: h.now})
		wantErr(t, err, store.ErrInvalid, "unknown zero policy")

		noErr(t, h.db.StoreSetStatus(ctx, &store.StoreSetStatusParams{StoreID: st.ID, Status: store.StatusNeedsReauth, LastError: "token revoked", Now: h.now}), "status")
		wantErr(t, h.db.StoreSetStatus(ctx, &store.StoreSetStatusParams{StoreID: st.ID + 100, Status: store.StatusNeedsReauth}), store.ErrNotFound, "status of unknown store")

		cursor, last := h.at(-time.Hour), h.at(time.Minute)
		noErr(t, h.db.StoreSetSyncState(ctx, &store.StoreSetSyncStateParams{StoreID: st.ID, ReceiptsCursor: &cursor, LastSyncAt: &last}), "sync state")
		empty := ""
		noErr(t, h.db.StoreSetSyncState(ctx, &store.StoreSetSyncStateParams{StoreID: st.ID, LastFullSyncAt: &last, LastError: &empty}), "sync state")
		s, err := h.db.StoreGet(ctx, st.ID)
		noErr(t, err, "store get")
		if s.Status != store.StatusNeedsReauth || !s.ReceiptsCursor.Equal(cursor) || !s.LastSyncAt.Equal(last) || !s.LastFullSyncAt.Equal(last) ||
			s.LastError != "" || s.LowStockDefault != low {
			t.Fatalf("store = %+v", s)
		}
		_, err = h.db.StoreGet(ctx, st.ID+100)
		wantErr(t, err, store.ErrNotFound, "unknown store")
	},
	"TokenLease": func(t *testing.T, h *harness) {
		ctx := t.Context()
		_, st := h.owner(t, "alice", 503)
		lease := func(owner string, now time.Time) bool {
			t.Helper()
			ok, err := h.db.StoreTokenLeaseAcquire(ctx, &store.LeaseParams{StoreID: st.ID, Name: "refresh", Owner: owner, Now: now, Until: now.Add(30 * time.Second)})
			noErr(t, err, "token lease")
			return ok
		}
		save := func(owner string, now time.Time, access string) error {
			return h.db.StoreTokensSave(ctx, &store.StoreTokensSaveParams{StoreID: st.ID, AccessToken: []byte(access), RefreshToken: []byte("r-" + access),
				ExpiresAt: now.Add(time.Hour), LeaseOwner: owner, Now: now})
		}
		if !lease("p1", h.now) {
			t.Fatal("a free lease was refused")
		}
		if lease("p2", h.at(time.Second)) {
			t.Fatal("a held lease was handed to another owner")
		}
		wantErr(t, save("p2", h.at(time.Second), "x"), store.ErrConflict, "save without the lease")
		noErr(t, save("p1", h.at(2*time.Second), "fresh"), "save with the lease")
		tok, err := h.db.StoreTokensGet(ctx, st.ID)
		noErr(t, err, "StoreTokensGet")
		if string(tok.AccessToken) != "fresh" || string(tok.RefreshToken) != "r-fresh" || !tok.ExpiresAt.Equal(h.at(2*time.Second+time.Hour)) {
			t.Fatalf("tokens after save = %+v", tok)
		}
		// Expired: the old holder may no longer write, a new one takes over.
		wantErr(t, save("p1", h.at(time.Minute), "late"), store.ErrConflict, "save after the lease expired")
		if !lease("p2", h.at(time.Minute)) {
			t.Fatal("an expired lease was not handed over")
		}
		noErr(t, h.db.StoreTokenLeaseRelease(ctx, st.ID, "p1"), "release by non-holder")
		if lease("p1", h.at(time.Minute+time.Second)) {
			t.Fatal("release by a non-holder freed the lease")
		}
		noErr(t, h.db.StoreTokenLeaseRelease(ctx, st.ID, "p2"), "release")
		if !lease("p1", h.at(time.Minute+2*time.Second)) {
			t.Fatal("a released lease was refused")
		}
		// Without an owner the save is unconditional (first connect, admin).
		noErr(t, save("", h.at(time.Hour), "plain"), "save without lease owner")
		wantErr(t, h.db.StoreTokensSave(ctx, &store.StoreTokensSaveParams{StoreID: st.ID + 100, AccessToken: []byte("x")}), store.ErrNotFound, "save for unknown store")
	},
}

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
