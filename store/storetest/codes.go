// One-time codes: key links, account invites, store invites.
package storetest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/store/sqlstore"
)

const testCode = "7KQ4-M2XW-9HBT-Z3PV"

func (h *harness) code(t *testing.T, p store.CodeCreateParams) store.Code {
	t.Helper()
	if p.Code == "" {
		p.Code = testCode
	}
	if p.ExpiresAt.IsZero() {
		p.ExpiresAt = h.at(10 * time.Minute)
	}
	p.Now = h.now
	c, err := h.db.CodeCreate(t.Context(), &p)
	noErr(t, err, "create code")
	return c
}

func newKey(name string) *store.KeyAddParams {
	return &store.KeyAddParams{Fingerprint: "SHA256:" + name, PublicKey: "ssh-ed25519 AAAA" + name, Comment: name}
}

func newAccount(name string) *store.AccountCreateParams {
	return &store.AccountCreateParams{Name: name, Fingerprint: "SHA256:" + name, PublicKey: "ssh-ed25519 AAAA" + name}
}

var codeTests = map[string]func(t *testing.T, h *harness){
	"AttemptsCountedPerBucketInWindow": func(t *testing.T, h *harness) {
		ctx := t.Context()
		add := func(at time.Duration, buckets ...string) []int {
			t.Helper()
			n, err := h.db.CodeAttemptAdd(ctx, &store.CodeAttemptAddParams{Buckets: buckets, Since: h.at(at - 10*time.Minute), Now: h.at(at)})
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		for i := range 3 {
			if n := add(time.Duration(i)*time.Minute, "key:a", "ip:192.0.2.1"); n[0] != i+1 || n[1] != i+1 {
				t.Fatalf("attempt %d: counts %v", i+1, n)
			}
		}
		// Another key from the same address shares the address's count.
		if n := add(3*time.Minute, "key:b", "ip:192.0.2.1"); n[0] != 1 || n[1] != 4 {
			t.Fatalf("another key: counts %v", n)
		}
		// Ten minutes after the first attempt it no longer counts.
		if n := add(10*time.Minute+time.Millisecond, "key:a"); n[0] != 3 {
			t.Fatalf("after the window: %v, want 3 (the first dropped)", n)
		}
	},
	"KeyLinkJoinsIssuerOnce": func(t *testing.T, h *harness) {
		ctx := t.Context()
		alice := h.account(t, "alice")
		c := h.code(t, store.CodeCreateParams{Kind: store.CodeKeyLink, AccountID: alice.ID})
		if c.Kind != store.CodeKeyLink || c.AccountID != alice.ID || !c.Pending(h.now) || c.StoreID != 0 || c.Role != "" {
			t.Fatalf("created code = %+v", c)
		}
		// Typed in lower case, with spaces and look-alikes: the same code.
		typed := strings.ReplaceAll(strings.ToLower(testCode), "-", " ")
		r, err := h.db.CodeRedeem(ctx, &store.CodeRedeemParams{Kinds: []store.CodeKind{store.CodeKeyLink}, Code: typed,
			Key: newKey("laptop"), Now: h.at(time.Minute)})
		noErr(t, err, "redeem")
		if r.Account.ID != alice.ID || r.Key.AccountID != alice.ID || r.Code.UsedBy != alice.ID || r.Code.UsedAt.IsZero() {
			t.Fatalf("redemption = %+v", r)
		}
		got, err := h.db.AccountGetByFingerprint(ctx, "SHA256:laptop")
		noErr(t, err, "linked key")
		if got.ID != alice.ID {
			t.Fatalf("linked key belongs to %d, want %d", got.ID, alice.ID)
		}
		_, err = h.db.CodeRedeem(ctx, &store.CodeRedeemParams{Code: testCode, Key: newKey("other"), Now: h.at(2 * time.Minute)})
		wantErr(t, err, store.ErrUsed, "second redemption")
		if _, err := h.db.AccountGetByFingerprint(ctx, "SHA256:other"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a spent code linked a key: %v", err)
		}
	},
	"Expired": func(t *testing.T, h *harness) {
		alice := h.account(t, "alice")
		h.code(t, store.CodeCreateParams{Kind: store.CodeKeyLink, AccountID: alice.ID})
		_, err := h.db.CodeRedeem(t.Context(), &store.CodeRedeemParams{Code: testCode, Key: newKey("late"), Now: h.at(10 * time.Minute)})
		wantErr(t, err, store.ErrExpired, "redeem at expiry")
		_, err = h.db.CodeCreate(t.Context(), &store.CodeCreateParams{Kind: store.CodeKeyLink, AccountID: alice.ID,
			Code: "AAAA-BBBB-CCCC-DDDD", ExpiresAt: h.now, Now: h.now})
		wantErr(t, err, store.ErrInvalid, "code that never lives")
	},
	"UnknownAndMalformed": func(t *testing.T, h *harness) {
		alice := h.account(t, "alice")
		h.code(t, store.CodeCreateParams{Kind: store.CodeKeyLink, AccountID: alice.ID})
		for _, typed := range []string{"7KQ4-M2XW-9HBT-Z3PW", "", "short", "7KQ4-M2XW-9HBT-Z3P!", "ünïcode-ünïcode"} {
			_, err := h.db.CodeRedeem(t.Context(), &store.CodeRedeemParams{Code: typed, Key: newKey("x"), Now: h.now})
			wantErr(t, err, store.ErrNotFound, "redeem "+typed)
		}
	},
	"Revoked": func(t *testing.T, h *harness) {
		ctx := t.Context()
		alice, bob := h.account(t, "alice"), h.account(t, "bob")
		c := h.code(t, store.CodeCreateParams{Kind: store.CodeKeyLink, AccountID: alice.ID})
		_, err := h.db.CodeRevoke(ctx, &store.CodeRevokeParams{ID: c.ID, AccountID: bob.ID, Now: h.now})
		wantErr(t, err, store.ErrNotFound, "revoke someone else's code")
		rc, err := h.db.CodeRevoke(ctx, &store.CodeRevokeParams{ID: c.ID, AccountID: alice.ID, Now: h.at(time.Second)})
		noErr(t, err, "revoke")
		if rc.RevokedAt.IsZero() || rc.Pending(h.now) {
			t.Fatalf("revoked code = %+v", rc)
		}
		_, err = h.db.CodeRevoke(ctx, &store.CodeRevokeParams{ID: c.ID, Now: h.at(time.Second)})
		noErr(t, err, "revoke twice")
		_, err = h.db.CodeRedeem(ctx, &store.CodeRedeemParams{Code: testCode, Key: newKey("x"), Now: h.at(time.Minute)})
		wantErr(t, err, store.ErrNotFound, "redeem a revoked code")

		used := h.code(t, store.CodeCreateParams{Kind: store.CodeKeyLink, AccountID: alice.ID, Code: "AAAA-BBBB-CCCC-DDDD"})
		_, err = h.db.CodeRedeem(ctx, &store.CodeRedeemParams{Code: "aaaabbbbccccdddd", Key: newKey("y"), Now: h.now})
		noErr(t, err, "redeem")
		_, err = h.db.CodeRevoke(ctx, &store.CodeRevokeParams{ID: used.ID, Now: h.now})
		wantErr(t, err, store.ErrUsed, "revoke a spent code")
	},
	"SingleUseUnderConcurrency": func(t *testing.T, h *harness) {
		ctx := t.Context()
		alice := h.account(t, "alice")
		h.code(t, store.CodeCreateParams{Kind: store.CodeKeyLink, AccountID: alice.ID})
		const n = 8
		errs := race(n, func(i int) error {
			_, err := h.db.CodeRedeem(ctx, &store.CodeRedeemParams{Code: testCode,
				Key: newKey("racer" + string(rune('a'+i))), Now: h.at(time.Minute)})
			return err
		})
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, store.ErrUsed):
				t.Errorf("losing redemption: got %v, want ErrUsed", err)
			}
		}
		keys, err := h.db.KeyList(ctx, alice.ID)
		noErr(t, err, "keys")
		if won != 1 || len(keys) != 2 {
			t.Fatalf("%d of %d concurrent redemptions won, account has %d keys; want 1 and 2", won, n, len(keys))
		}
	},
	"StoredHashed": func(t *testing.T, h *harness) {
		alice := h.account(t, "alice")
		h.code(t, store.CodeCreateParams{Kind: store.CodeKeyLink, AccountID: alice.ID})
		d, ok := h.db.(interface{ Driver() sqlstore.Driver })
		if !ok {
			t.Fatalf("%T does not expose its driver", h.db)
		}
		var hash, kind string
		noErr(t, d.Driver().QueryRow(t.Context(), `SELECT code_hash, kind FROM codes`).Scan(&hash, &kind), "read row")
		want, herr := store.CodeHash(testCode)
		noErr(t, herr, "hash the code")
		plain, nerr := store.NormalizeCode(testCode)
		noErr(t, nerr, "normalise the code")
		if hash != want || strings.Contains(strings.ToUpper(hash+kind), plain) {
			t.Fatalf("stored %q, want the SHA-256 %q and never the code", hash, want)
		}
	},
	"GrantFailsCodeStays": func(t *testing.T, h *harness) {
		ctx := t.Context()
		alice := h.account(t, "alice")
		h.account(t, "bob")
		h.code(t, store.CodeCreateParams{Kind: store.CodeKeyLink, AccountID: alice.ID})
		// bob's key already has an account.
		_, err := h.db.CodeRedeem(ctx, &store.CodeRedeemParams{Code: testCode, Key: newKey("bob"), Now: h.now})
		wantErr(t, err, store.ErrConflict, "link a key that has an account")
		// A code of another kind is not spent by asking for the wrong one.
		_, err = h.db.CodeRedeem(ctx, &store.CodeRedeemParams{Kinds: []store.CodeKind{store.CodeAccountInvite},
			Code: testCode, Account: newAccount("carol"), Now: h.now})
		wantErr(t, err, store.ErrNotFound, "redeem as another kind")
		list, err := h.db.CodeList(ctx, &store.CodeListParams{AccountID: alice.ID, Pending: true, Now: h.now})
		noErr(t, err, "list")
		if len(list) != 1 {
			t.Fatalf("after failed redemptions %d pending codes, want 1", len(list))
		}
		_, err = h.db.CodeRedeem(ctx, &store.CodeRedeemParams{Code: testCode, Key: newKey("laptop"), Now: h.now})
		noErr(t, err, "redeem after failures")
	},
	"DisabledIssuer": func(t *testing.T, h *harness) {
		alice := h.account(t, "alice")
		h.code(t, store.CodeCreateParams{Kind: store.CodeKeyLink, AccountID: alice.ID})
		noErr(t, h.db.AccountSetDisabled(t.Context(), alice.ID, true), "disable")
		_, err := h.db.CodeRedeem(t.Context(), &store.CodeRedeemParams{Code: testCode, Key: newKey("laptop"), Now: h.now})
		wantErr(t, err, store.ErrForbidden, "link to a disabled account")
	},
	"Invites": func(t *testing.T, h *harness) {
		ctx := t.Context()
		admin := h.account(t, "admin")
		h.code(t, store.CodeCreateParams{Kind: store.CodeAccountInvite, AccountID: admin.ID, ExpiresAt: h.at(7 * 24 * time.Hour)})
		r, err := h.db.CodeRedeem(ctx, &store.CodeRedeemParams{Kinds: []store.CodeKind{store.CodeAccountInvite, store.CodeStoreInvite},
			Code: testCode, Account: newAccount("dora"), Now: h.at(time.Hour)})
		noErr(t, err, "account invite")
		if r.Account.Name != "dora" || r.Account.IsAdmin || r.Code.UsedBy != r.Account.ID {
			t.Fatalf("invited account = %+v, code %+v", r.Account, r.Code)
		}

		owner := h.seller(t, "olga", 77)
		const code2 = "2222-3333-4444-5555"
		_, err = h.db.CodeCreate(ctx, &store.CodeCreateParams{Kind: store.CodeStoreInvite, AccountID: owner.account.ID,
			Code: code2, ExpiresAt: h.at(time.Hour), Now: h.now})
		wantErr(t, err, store.ErrInvalid, "store invite without a store")
		h.code(t, store.CodeCreateParams{Kind: store.CodeStoreInvite, AccountID: owner.account.ID, StoreID: owner.store.ID,
			Role: store.RoleViewer, Code: code2})
		r, err = h.db.CodeRedeem(ctx, &store.CodeRedeemParams{Code: code2, AccountID: r.Account.ID, Now: h.now})
		noErr(t, err, "store invite")
		ms, err := h.db.StoreGetForAccount(ctx, r.Account.ID, owner.store.ID)
		noErr(t, err, "invited member sees the store")
		if ms.Role != store.RoleViewer {
			t.Fatalf("invited role = %q, want viewer", ms.Role)
		}
		list, err := h.db.CodeList(ctx, &store.CodeListParams{StoreID: owner.store.ID, Now: h.now})
		noErr(t, err, "list by store")
		if len(list) != 1 || list[0].Role != store.RoleViewer || list[0].UsedBy != r.Account.ID {
			t.Fatalf("store's codes = %+v", list)
		}
		// A member invited again: nothing changes and the code stays.
		const code3 = "6666-7777-8888-9999"
		h.code(t, store.CodeCreateParams{Kind: store.CodeStoreInvite, AccountID: owner.account.ID, StoreID: owner.store.ID,
			Role: store.RoleManager, Code: code3})
		_, err = h.db.CodeRedeem(ctx, &store.CodeRedeemParams{Code: code3, AccountID: r.Account.ID, Now: h.now})
		wantErr(t, err, store.ErrConflict, "invite a member again")
		ms, err = h.db.StoreGetForAccount(ctx, r.Account.ID, owner.store.ID)
		noErr(t, err, "read the member's store")
		if ms.Role != store.RoleViewer {
			t.Fatalf("a refused invite changed the role to %q", ms.Role)
		}
		list, err = h.db.CodeList(ctx, &store.CodeListParams{Kind: store.CodeAccountInvite, Pending: true, Now: h.now})
		noErr(t, err, "pending invites")
		if len(list) != 0 {
			t.Fatalf("spent invites listed as pending: %+v", list)
		}
	},
}
