// Receipts, sync runs, OAuth states, leases, the processes that hold them
// (liveness, taking over from one that died), webhooks and error mapping.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stockroom/stockroom/store"
)

// receipt builds a receipt created at epoch+hours with two items.
func receipt(etsyID int64, hours int, status string) store.Receipt {
	at := epoch.Add(time.Duration(hours) * time.Hour)
	return store.Receipt{
		EtsyReceiptID: etsyID, Status: status, BuyerName: "Buyer", Message: "Gift wrap please", IsPaid: true,
		Total: store.Money{Amount: 4800, Divisor: 100, Currency: "EUR"}, CreatedAt: at, UpdatedAt: at,
		Items: []store.ReceiptItem{
			{EtsyTransactionID: etsyID * 10, EtsyListingID: 1, EtsyProductID: 11, SKU: "MUG-1", Title: "Mug", Variation: "Blue", Quantity: 1,
				Price: store.Money{Amount: 2400, Divisor: 100, Currency: "EUR"}},
			{EtsyTransactionID: etsyID*10 + 1, EtsyListingID: 1, EtsyProductID: 12, SKU: "MUG-2", Title: "Mug", Variation: "Green", Quantity: 1,
				Price: store.Money{Amount: 2400, Divisor: 100, Currency: "EUR"}},
		},
	}
}

var receiptTests = map[string]func(t *testing.T, h *harness){
	"UpdatedAtList": func(t *testing.T, h *harness) {
		ctx := t.Context()
		a, st := h.owner(t, "alice", 1002)
		other := h.shop(t, a.ID, 1003)
		mine, theirs := receipt(11, 0, "paid"), receipt(12, 1, "paid")
		_, err := h.db.SyncReceiptsWrite(ctx, &store.SyncReceiptsWriteParams{StoreID: st.ID, Receipts: []store.Receipt{mine}})
		noErr(t, err, "receipts write")
		_, err = h.db.SyncReceiptsWrite(ctx, &store.SyncReceiptsWriteParams{StoreID: other.ID, Receipts: []store.Receipt{theirs}})
		noErr(t, err, "other store's receipts write")
		got, err := h.db.ReceiptUpdatedAtList(ctx, st.ID, []int64{11, 12, 13})
		noErr(t, err, "receipt updated list")
		if len(got) != 1 || !got[11].Equal(mine.UpdatedAt) {
			t.Fatalf("updated = %v, want only receipt 11 at %v", got, mine.UpdatedAt)
		}
		if got, err := h.db.ReceiptUpdatedAtList(ctx, st.ID, nil); err != nil || len(got) != 0 {
			t.Fatalf("no ids = %v, %v", got, err)
		}
	},
	"UpsertAndList": func(t *testing.T, h *harness) {
		ctx := t.Context()
		a, st := h.owner(t, "alice", 1001)
		page := []store.Receipt{receipt(1, 0, "paid"), receipt(2, 1, "completed"), receipt(3, 2, "paid")}
		cursor := h.at(2 * time.Hour)
		n, err := h.db.SyncReceiptsWrite(ctx, &store.SyncReceiptsWriteParams{StoreID: st.ID, Receipts: page,
			Cursor: &store.StoreSetSyncStateParams{ReceiptsCursor: &cursor}})
		noErr(t, err, "receipts write")
		if n != 3 {
			t.Fatalf("first write changed %d, want 3", n)
		}
		if s, err := h.db.StoreGet(ctx, st.ID); err != nil || !s.ReceiptsCursor.Equal(cursor) {
			t.Fatalf("receipts cursor = %v", s.ReceiptsCursor)
		}
		n, err = h.db.SyncReceiptsWrite(ctx, &store.SyncReceiptsWriteParams{StoreID: st.ID, Receipts: page})
		if err != nil || n != 0 {
			t.Fatalf("rewrite = %d, %v; want 0 changes", n, err)
		}
		list, err := h.db.ReceiptList(ctx, &store.ReceiptListParams{AccountID: a.ID, StoreID: st.ID})
		noErr(t, err, "receipt list")
		if len(list) != 3 || list[0].EtsyReceiptID != 3 || list[2].EtsyReceiptID != 1 {
			t.Fatalf("receipts = %+v", list)
		}
		r := list[2]
		if r.Status != "paid" || r.BuyerName != "Buyer" || !r.IsPaid || r.IsShipped || r.Total != page[0].Total || !r.CreatedAt.Equal(epoch) ||
			len(r.Items) != 2 || r.Items[0] != page[0].Items[0] || r.Items[1] != page[0].Items[1] {
			t.Fatalf("receipt = %+v", r)
		}

		// Etsy updates one receipt: shipped, one item refunded down.
		upd := receipt(2, 1, "completed")
		upd.IsShipped, upd.UpdatedAt = true, h.at(5*time.Hour)
		upd.Items[1].Quantity = 0
		n, err = h.db.SyncReceiptsWrite(ctx, &store.SyncReceiptsWriteParams{StoreID: st.ID, Receipts: []store.Receipt{upd}})
		if err != nil || n != 1 {
			t.Fatalf("update = %d, %v", n, err)
		}
		list, err = h.db.ReceiptList(ctx, &store.ReceiptListParams{AccountID: a.ID, StoreID: st.ID, Status: "completed"})
		noErr(t, err, "ReceiptList")
		if len(list) != 1 || !list[0].IsShipped || len(list[0].Items) != 2 || list[0].Items[1].Quantity != 0 || !list[0].UpdatedAt.Equal(upd.UpdatedAt) {
			t.Fatalf("completed receipts = %+v", list)
		}
		list, err = h.db.ReceiptList(ctx, &store.ReceiptListParams{AccountID: a.ID, StoreID: st.ID, Since: h.at(time.Hour), Until: h.at(2 * time.Hour)})
		noErr(t, err, "ReceiptList")
		if len(list) != 1 || list[0].EtsyReceiptID != 2 {
			t.Fatalf("receipts in [1h, 2h) = %+v", list)
		}
		list, err = h.db.ReceiptList(ctx, &store.ReceiptListParams{AccountID: a.ID, StoreID: st.ID, Limit: 2})
		noErr(t, err, "ReceiptList")
		if len(list) != 2 || list[0].EtsyReceiptID != 3 {
			t.Fatalf("limited receipts = %+v", list)
		}
	},
}

var syncRunTests = map[string]func(t *testing.T, h *harness){
	"Abandon":          syncRunAbandon,
	"AbandonByProcess": syncRunAbandonByProcess,
	"OfJob":            syncRunOfJob,
	// Issue 17: the first sync after connecting was recorded as manual.
	"ConnectTrigger": func(t *testing.T, h *harness) {
		ctx := t.Context()
		a, st := h.owner(t, "conny", 1190)
		run, err := h.db.SyncRunStart(ctx, &store.SyncRunStartParams{StoreID: st.ID, Kind: store.SyncFull, Trigger: store.TriggerConnect, Now: h.now})
		noErr(t, err, "start")
		runs, err := h.db.SyncRunList(ctx, &store.SyncRunListParams{AccountID: a.ID, StoreID: st.ID})
		noErr(t, err, "list")
		if len(runs) != 1 || runs[0].ID != run.ID || runs[0].Trigger != store.TriggerConnect {
			t.Fatalf("runs %+v", runs)
		}
	},
	"StartFinishList": func(t *testing.T, h *harness) {
		ctx := t.Context()
		a, st := h.owner(t, "alice", 1101)
		first, err := h.db.SyncRunStart(ctx, &store.SyncRunStartParams{StoreID: st.ID, Kind: store.SyncFull, Trigger: store.TriggerSchedule, Now: h.now})
		noErr(t, err, "start")
		if first.Result != store.ResultRunning || first.Kind != store.SyncFull || !first.StartedAt.Equal(h.now) || first.Duration() != 0 {
			t.Fatalf("started run = %+v", first)
		}
		done, err := h.db.SyncRunFinish(ctx, &store.SyncRunFinishParams{ID: first.ID, Result: store.ResultOK, ListingsChanged: 4, ReceiptsChanged: 2,
			APICalls: 7, Now: h.at(3 * time.Second)})
		noErr(t, err, "finish")
		if done.Result != store.ResultOK || done.ListingsChanged != 4 || done.ReceiptsChanged != 2 || done.APICalls != 7 || done.Duration() != 3*time.Second {
			t.Fatalf("finished run = %+v", done)
		}
		second, err := h.db.SyncRunStart(ctx, &store.SyncRunStartParams{StoreID: st.ID, Kind: store.SyncIncremental, Trigger: store.TriggerWebhook, Now: h.at(time.Minute)})
		noErr(t, err, "start")
		_, err = h.db.SyncRunFinish(ctx, &store.SyncRunFinishParams{ID: second.ID, Result: store.ResultFailed, Error: "Etsy answered 503", Now: h.at(2 * time.Minute)})
		noErr(t, err, "finish")
		runs, err := h.db.SyncRunList(ctx, &store.SyncRunListParams{AccountID: a.ID, StoreID: st.ID})
		noErr(t, err, "list")
		if len(runs) != 2 || runs[0].ID != second.ID || runs[0].Error != "Etsy answered 503" || runs[1].ID != first.ID {
			t.Fatalf("runs = %+v", runs)
		}
		if runs, err := h.db.SyncRunList(ctx, &store.SyncRunListParams{AccountID: a.ID, StoreID: st.ID, Limit: 1}); err != nil || len(runs) != 1 {
			t.Fatalf("limited runs = %+v", runs)
		}
		all, err := h.db.SyncRunListAll(ctx, 10)
		if err != nil || len(all) != 2 {
			t.Fatalf("all runs = %+v, %v", all, err)
		}
		_, err = h.db.SyncRunFinish(ctx, &store.SyncRunFinishParams{ID: second.ID + 100, Result: store.ResultOK})
		wantErr(t, err, store.ErrNotFound, "finish unknown run")
	},
}

func (h *harness) oauthState(t *testing.T, accountID int64, state string, expires time.Time) {
	t.Helper()
	noErr(t, h.db.OAuthStateCreate(t.Context(), &store.OAuthState{State: state, AccountID: accountID, KeyFingerprint: "SHA256:k",
		CodeVerifier: []byte("sealed-verifier"), CreatedAt: h.now, ExpiresAt: expires}), "oauth state create")
}

func (h *harness) pending(t *testing.T, state string, shopID int64) {
	t.Helper()
	noErr(t, h.db.OAuthStateSetPending(t.Context(), &store.OAuthState{State: state, ConfirmToken: "confirm-" + state, ShopID: shopID,
		ShopName: "Clay Corner", EtsyUserID: 77, Currency: "EUR", AccessToken: []byte("pa"), RefreshToken: []byte("pr"),
		TokenExpiresAt: h.at(time.Hour)}), "oauth pending")
}

var oauthTests = map[string]func(t *testing.T, h *harness){
	"ConsumeOnce": func(t *testing.T, h *harness) {
		ctx := t.Context()
		a := h.account(t, "alice")
		h.oauthState(t, a.ID, "s1", h.at(10*time.Minute))
		got, err := h.db.OAuthStateGet(ctx, "s1")
		noErr(t, err, "get")
		if got.AccountID != a.ID || !bytes.Equal(got.CodeVerifier, []byte("sealed-verifier")) || !got.ExpiresAt.Equal(h.at(10*time.Minute)) || !got.ConsumedAt.IsZero() {
			t.Fatalf("state = %+v", got)
		}
		c, err := h.db.OAuthStateConsume(ctx, "s1", h.at(time.Minute))
		noErr(t, err, "consume")
		if !c.ConsumedAt.Equal(h.at(time.Minute)) || c.AccountID != a.ID {
			t.Fatalf("consumed = %+v", c)
		}
		_, err = h.db.OAuthStateConsume(ctx, "s1", h.at(2*time.Minute))
		wantErr(t, err, store.ErrUsed, "second consume")
		_, err = h.db.OAuthStateConsume(ctx, "nope", h.now)
		wantErr(t, err, store.ErrNotFound, "unknown state")
		h.oauthState(t, a.ID, "old", h.at(time.Minute))
		_, err = h.db.OAuthStateConsume(ctx, "old", h.at(time.Minute))
		wantErr(t, err, store.ErrExpired, "expired state")

		for i := range 3 {
			state := fmt.Sprintf("race%d", i)
			h.oauthState(t, a.ID, state, h.at(10*time.Minute))
			errs := race(2, func(int) error {
				_, err := h.db.OAuthStateConsume(context.Background(), state, h.at(time.Minute))
				return err
			})
			var ok, used int
			for _, err := range errs {
				switch {
				case err == nil:
					ok++
				case errors.Is(err, store.ErrUsed):
					used++
				default:
					t.Fatalf("concurrent consume: %v", err)
				}
			}
			if ok != 1 || used != 1 {
				t.Fatalf("concurrent consumes: %d won, %d used; want one each", ok, used)
			}
		}

		h.oauthState(t, a.ID, "stale", h.at(-time.Hour))
		n, err := h.db.OAuthStateDeleteExpired(ctx, h.now)
		if err != nil || n != 1 {
			t.Fatalf("delete expired = %d, %v", n, err)
		}
		_, err = h.db.OAuthStateGet(ctx, "stale")
		wantErr(t, err, store.ErrNotFound, "deleted state")
	},
	"Complete": func(t *testing.T, h *harness) {
		ctx := t.Context()
		a := h.account(t, "alice")
		h.oauthState(t, a.ID, "s1", h.at(10*time.Minute))
		_, err := h.db.OAuthStateConsume(ctx, "s1", h.now)
		noErr(t, err, "consume")
		h.pending(t, "s1", 4242)
		reseal := func(access, refresh []byte, shopID int64) ([]byte, []byte, error) {
			return append([]byte("store:"), access...), append([]byte(fmt.Sprintf("store%d:", shopID)), refresh...), nil
		}
		_, err = h.db.OAuthStateComplete(ctx, &store.OAuthStateCompleteParams{State: "s1", ConfirmToken: "guess", Reseal: reseal, Now: h.now})
		wantErr(t, err, store.ErrForbidden, "wrong confirm token")
		if all, err := h.db.StoreList(ctx); err != nil || len(all) != 0 {
			t.Fatalf("a refused confirmation made a store: %+v", all)
		}
		st, err := h.db.OAuthStateComplete(ctx, &store.OAuthStateCompleteParams{State: "s1", ConfirmToken: "confirm-s1", IsSandbox: true, Reseal: reseal, Now: h.at(time.Minute)})
		noErr(t, err, "complete")
		if st.EtsyShopID != 4242 || st.Name != "Clay Corner" || st.EtsyUserID != 77 || !st.IsSandbox || !st.TokenExpiresAt.Equal(h.at(time.Hour)) {
			t.Fatalf("store = %+v", st)
		}
		ms, err := h.db.StoreGetForAccount(ctx, a.ID, st.ID)
		if err != nil || ms.Role != store.RoleOwner {
			t.Fatalf("membership = %+v, %v", ms, err)
		}
		tok, err := h.db.StoreTokensGet(ctx, st.ID)
		noErr(t, err, "StoreTokensGet")
		if string(tok.AccessToken) != "store:pa" || string(tok.RefreshToken) != "store4242:pr" {
			t.Fatalf("store tokens = %q %q", tok.AccessToken, tok.RefreshToken)
		}
		o, err := h.db.OAuthStateGet(ctx, "s1")
		noErr(t, err, "OAuthStateGet")
		if o.StoreID != st.ID || !o.CompletedAt.Equal(h.at(time.Minute)) || o.AccessToken != nil || o.RefreshToken != nil {
			t.Fatalf("completed state = %+v", o)
		}
		_, err = h.db.OAuthStateComplete(ctx, &store.OAuthStateCompleteParams{State: "s1", ConfirmToken: "confirm-s1", Reseal: reseal, Now: h.at(time.Minute)})
		wantErr(t, err, store.ErrUsed, "complete twice")

		h.oauthState(t, a.ID, "late", h.at(time.Minute))
		h.pending(t, "late", 4243)
		_, err = h.db.OAuthStateComplete(ctx, &store.OAuthStateCompleteParams{State: "late", ConfirmToken: "confirm-late", Now: h.at(time.Hour)})
		wantErr(t, err, store.ErrExpired, "complete after expiry")

		h.oauthState(t, a.ID, "failed", h.at(time.Hour))
		noErr(t, h.db.OAuthStateFail(ctx, "failed", "access_denied", h.now), "fail")
		o, err = h.db.OAuthStateGet(ctx, "failed")
		noErr(t, err, "OAuthStateGet")
		if o.Error != "access_denied" || !o.ConsumedAt.Equal(h.now) {
			t.Fatalf("failed state = %+v", o)
		}
		_, err = h.db.OAuthStateConsume(ctx, "failed", h.now)
		wantErr(t, err, store.ErrUsed, "consume a failed state")
	},
	"ShopLinkedElsewhere": func(t *testing.T, h *harness) {
		ctx := t.Context()
		bob, theirs := h.owner(t, "bob", 4244)
		a := h.account(t, "alice")
		h.oauthState(t, a.ID, "s1", h.at(10*time.Minute))
		h.pending(t, "s1", 4244)
		_, err := h.db.OAuthStateComplete(ctx, &store.OAuthStateCompleteParams{State: "s1", ConfirmToken: "confirm-s1", Now: h.now})
		wantErr(t, err, store.ErrShopLinked, "complete with another account's shop")
		if got, err := h.db.StoreGet(ctx, theirs.ID); err != nil || got != theirs {
			t.Fatalf("bob's store changed: %+v", got)
		}
		tok, err := h.db.StoreTokensGet(ctx, theirs.ID)
		noErr(t, err, "StoreTokensGet")
		if string(tok.AccessToken) != "sealed-access" {
			t.Fatalf("bob's tokens replaced: %q", tok.AccessToken)
		}
		if m, err := h.db.MembershipList(ctx, theirs.ID); err != nil || len(m) != 1 || m[0].AccountID != bob.ID {
			t.Fatalf("members = %+v", m)
		}
		if o, err := h.db.OAuthStateGet(ctx, "s1"); err != nil || !o.CompletedAt.IsZero() || o.StoreID != 0 || string(o.AccessToken) != "pa" {
			t.Fatalf("state after refusal = %+v", o)
		}
	},
}

var leaseTests = map[string]func(t *testing.T, h *harness){
	"Named": func(t *testing.T, h *harness) {
		ctx := t.Context()
		acquire := func(owner string, now time.Time) bool {
			t.Helper()
			ok, err := h.db.LeaseAcquire(ctx, "scheduler", owner, now, now.Add(30*time.Second))
			noErr(t, err, "lease acquire")
			return ok
		}
		if !acquire("a", h.now) || acquire("b", h.at(time.Second)) || !acquire("a", h.at(2*time.Second)) {
			t.Fatal("a live lease changed hands")
		}
		if acquire("b", h.at(31*time.Second)) {
			t.Fatal("the renewed lease was taken before it expired")
		}
		if !acquire("b", h.at(33*time.Second)) || acquire("a", h.at(34*time.Second)) {
			t.Fatal("an expired lease was not handed over")
		}
		noErr(t, h.db.LeaseRelease(ctx, "scheduler", "a"), "release by non-holder")
		if acquire("a", h.at(35*time.Second)) {
			t.Fatal("release by a non-holder freed the lease")
		}
		noErr(t, h.db.LeaseRelease(ctx, "scheduler", "b"), "release")
		if !acquire("a", h.at(36*time.Second)) {
			t.Fatal("a released lease was refused")
		}
		for i := range 3 {
			name := fmt.Sprintf("race%d", i)
			wins := raceWins(t, 2, "acquire", func(i int) (bool, error) {
				return h.db.LeaseAcquire(context.Background(), name, fmt.Sprint("owner", i), h.now, h.at(time.Minute))
			})
			if wins != 1 {
				t.Fatalf("%d owners won one lease", wins)
			}
		}
	},
	"Webhooks": func(t *testing.T, h *harness) {
		ctx := t.Context()
		for i, want := range []bool{true, false, false} {
			seen, err := h.db.WebhookSeen(ctx, "evt_1", h.at(time.Duration(i)*time.Second), nil)
			if err != nil || seen != want {
				t.Fatalf("delivery %d: new = %v, %v; want %v", i, seen, err, want)
			}
		}
		if seen, err := h.db.WebhookSeen(ctx, "evt_2", h.now, nil); err != nil || !seen {
			t.Fatalf("another id: %v, %v", seen, err)
		}
		// The work a new delivery asks for runs in its transaction: if it
		// fails, the id is not recorded and the retry counts as new.
		ran := 0
		work := func(fail bool) store.TxFunc {
			return func(ctx context.Context, tx store.Tx) error {
				ran++
				if tx.SQL() == nil && tx.Pgx() == nil {
					t.Error("no transaction handed to the work")
				}
				if fail {
					return errLost
				}
				return nil
			}
		}
		if _, err := h.db.WebhookSeen(ctx, "evt_3", h.now, work(true)); !errors.Is(err, errLost) {
			t.Fatalf("failing work: %v", err)
		}
		if seen, err := h.db.WebhookSeen(ctx, "evt_3", h.now, work(false)); err != nil || !seen {
			t.Fatalf("the retry after failed work: new = %v, %v; want new", seen, err)
		}
		if seen, err := h.db.WebhookSeen(ctx, "evt_3", h.now, work(false)); err != nil || seen {
			t.Fatalf("a duplicate: new = %v, %v", seen, err)
		}
		if ran != 2 {
			t.Fatalf("the work ran %d times, want 2 (not for the duplicate)", ran)
		}
	},
}

var errLost = errors.New("lease lost")

var errorTests = map[string]func(t *testing.T, h *harness){
	"Sentinels": func(t *testing.T, h *harness) {
		ctx := t.Context()
		if err := h.db.Ping(ctx); err != nil {
			t.Fatalf("ping: %v", err)
		}
		if d := h.db.Dialect(); d != "sqlite" && d != "postgres" {
			t.Fatalf("dialect = %q", d)
		}
		a := h.account(t, "alice")
		// A foreign key to nothing is "not found".
		err := h.db.MembershipAdd(ctx, &store.MembershipAddParams{AccountID: a.ID, StoreID: 999999, Role: store.RoleViewer, Now: h.now})
		wantErr(t, err, store.ErrNotFound, "membership of an unknown store")
		st := h.shop(t, a.ID, 1201)
		// A value the schema refuses is "invalid".
		err = h.db.MembershipAdd(ctx, &store.MembershipAddParams{AccountID: a.ID, StoreID: st.ID, Role: "emperor", Now: h.now})
		wantErr(t, err, store.ErrInvalid, "unknown role")
		_, err = h.db.SyncRunStart(ctx, &store.SyncRunStartParams{StoreID: st.ID, Kind: "sideways", Trigger: store.TriggerManual, Now: h.now})
		wantErr(t, err, store.ErrInvalid, "unknown sync kind")
		// A duplicate is a conflict.
		err = h.db.OAuthStateCreate(ctx, &store.OAuthState{State: "dup", AccountID: a.ID, CodeVerifier: []byte("v"), ExpiresAt: h.at(time.Minute)})
		noErr(t, err, "state create")
		err = h.db.OAuthStateCreate(ctx, &store.OAuthState{State: "dup", AccountID: a.ID, CodeVerifier: []byte("v"), ExpiresAt: h.at(time.Minute)})
		wantErr(t, err, store.ErrConflict, "duplicate state")
		// Ids beyond 32 bits are ordinary ids, not an encoding error.
		ev, err := h.db.StockEventList(ctx, &store.StockEventListParams{AccountID: a.ID, StoreID: st.ID, OfferingID: 1 << 40})
		if err != nil || len(ev) != 0 {
			t.Fatalf("events of a 41-bit offering id = %v, %v", ev, err)
		}
		if _, err := h.db.InventoryGet(ctx, a.ID, 1<<40); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("inventory of a 41-bit offering id: %v", err)
		}
	},
}

// Taking over from a process that died: its liveness record, the sync runs
// it left running, and the run a River job started.

var processTests = map[string]func(t *testing.T, h *harness){
	"BeatListDeadDelete": func(t *testing.T, h *harness) {
		ctx := t.Context()
		noErr(t, h.db.ProcessBeat(ctx, "a", h.at(-time.Minute)), "beat a")
		noErr(t, h.db.ProcessBeat(ctx, "b", h.at(-time.Minute)), "beat b")
		noErr(t, h.db.ProcessBeat(ctx, "b", h.now), "beat b again")
		dead, err := h.db.ProcessListDead(ctx, h.at(-30*time.Second))
		noErr(t, err, "list dead")
		if len(dead) != 1 || dead[0] != "a" {
			t.Fatalf("dead processes = %v, want [a]", dead)
		}
		noErr(t, h.db.ProcessDelete(ctx, "a"), "delete a")
		dead, err = h.db.ProcessListDead(ctx, h.at(time.Second))
		noErr(t, err, "list dead")
		if len(dead) != 1 || dead[0] != "b" {
			t.Fatalf("dead processes after deleting a = %v, want [b]", dead)
		}
	},
}

func (h *harness) startRun(t *testing.T, p store.SyncRunStartParams) store.SyncRun {
	t.Helper()
	if p.Kind == "" {
		p.Kind, p.Trigger = store.SyncFull, store.TriggerSchedule
	}
	r, err := h.db.SyncRunStart(t.Context(), &p)
	noErr(t, err, "start")
	return r
}

func (h *harness) runsByID(t *testing.T) map[int64]store.SyncRun {
	t.Helper()
	all, err := h.db.SyncRunListAll(t.Context(), 100)
	noErr(t, err, "list")
	byID := map[int64]store.SyncRun{}
	for _, r := range all {
		byID[r.ID] = r
	}
	return byID
}

const abandonReason = "interrupted: the process running it stopped"

func syncRunAbandon(t *testing.T, h *harness) {
	ctx := t.Context()
	_, st := h.owner(t, "alice", 1201)
	other := h.shop(t, h.account(t, "bob").ID, 1202)
	stale := h.startRun(t, store.SyncRunStartParams{StoreID: st.ID, Now: h.at(-2 * time.Hour)})
	staleOther := h.startRun(t, store.SyncRunStartParams{StoreID: other.ID, Now: h.at(-time.Hour)})
	finished := h.startRun(t, store.SyncRunStartParams{StoreID: st.ID, Now: h.at(-3 * time.Hour)})
	_, err := h.db.SyncRunFinish(ctx, &store.SyncRunFinishParams{ID: finished.ID, Result: store.ResultOK, Now: h.at(-3 * time.Hour).Add(time.Second)})
	noErr(t, err, "finish")
	atCutoff := h.startRun(t, store.SyncRunStartParams{StoreID: st.ID, Now: h.now})
	live := h.startRun(t, store.SyncRunStartParams{StoreID: st.ID, Now: h.at(time.Minute)})
	// A run of a named process is closed only when that process is.
	named := h.startRun(t, store.SyncRunStartParams{StoreID: st.ID, Process: "p1", Now: h.at(-2 * time.Hour)})

	_, err = h.db.SyncRunAbandon(ctx, &store.SyncRunAbandonParams{Reason: "interrupted", Now: h.now})
	wantErr(t, err, store.ErrInvalid, "abandon without a cutoff or process")
	_, err = h.db.SyncRunAbandon(ctx, &store.SyncRunAbandonParams{StartedBefore: h.now, Now: h.now})
	wantErr(t, err, store.ErrInvalid, "abandon without a reason")

	n, err := h.db.SyncRunAbandon(ctx, &store.SyncRunAbandonParams{StartedBefore: h.now, Reason: abandonReason, Now: h.at(2 * time.Minute)})
	noErr(t, err, "abandon")
	if n != 2 {
		t.Fatalf("abandoned %d runs, want the 2 stale ones", n)
	}
	byID := h.runsByID(t)
	for _, id := range []int64{stale.ID, staleOther.ID} {
		r := byID[id]
		if r.Result != store.ResultFailed || r.Error != abandonReason || !r.FinishedAt.Equal(h.at(2*time.Minute)) {
			t.Errorf("stale run after the sweep = %+v", r)
		}
	}
	if r := byID[finished.ID]; r.Result != store.ResultOK || r.Error != "" || !r.FinishedAt.Equal(h.at(-3*time.Hour).Add(time.Second)) {
		t.Errorf("a finished run was changed: %+v", r)
	}
	for _, id := range []int64{atCutoff.ID, live.ID, named.ID} {
		if r := byID[id]; r.Result != store.ResultRunning || !r.FinishedAt.IsZero() {
			t.Errorf("a run started at or after the cutoff, or of a named process, was changed: %+v", r)
		}
	}
	n, err = h.db.SyncRunAbandon(ctx, &store.SyncRunAbandonParams{StartedBefore: h.now, Reason: abandonReason, Now: h.now})
	if err != nil || n != 0 {
		t.Fatalf("a second sweep abandoned %d runs (%v), want 0", n, err)
	}
	// A run that was alive after all records its real outcome when it
	// finishes.
	r, err := h.db.SyncRunFinish(ctx, &store.SyncRunFinishParams{ID: stale.ID, Result: store.ResultOK, Now: h.now})
	noErr(t, err, "finish an abandoned run")
	if r.Result != store.ResultOK || r.Error != "" {
		t.Fatalf("an abandoned run finished late = %+v", r)
	}
}

func syncRunAbandonByProcess(t *testing.T, h *harness) {
	ctx := t.Context()
	st := h.shop(t, h.account(t, "alice").ID, 1203)
	dead := h.startRun(t, store.SyncRunStartParams{StoreID: st.ID, Process: "dead", Now: h.now})
	deadDone := h.startRun(t, store.SyncRunStartParams{StoreID: st.ID, Process: "dead", Now: h.at(-time.Minute)})
	_, err := h.db.SyncRunFinish(ctx, &store.SyncRunFinishParams{ID: deadDone.ID, Result: store.ResultOK, Now: h.at(-time.Second)})
	noErr(t, err, "finish")
	alive := h.startRun(t, store.SyncRunStartParams{StoreID: st.ID, Process: "alive", Now: h.at(-time.Hour)})
	anonymous := h.startRun(t, store.SyncRunStartParams{StoreID: st.ID, Now: h.at(-time.Hour)})

	n, err := h.db.SyncRunAbandon(ctx, &store.SyncRunAbandonParams{Process: "dead", Reason: abandonReason, Now: h.at(time.Second)})
	noErr(t, err, "abandon")
	if n != 1 {
		t.Fatalf("abandoned %d runs of the dead process, want 1", n)
	}
	byID := h.runsByID(t)
	if r := byID[dead.ID]; r.Result != store.ResultFailed || r.Error != abandonReason || r.Process != "dead" || !r.FinishedAt.Equal(h.at(time.Second)) {
		t.Errorf("the dead process's run = %+v", r)
	}
	if r := byID[deadDone.ID]; r.Result != store.ResultOK {
		t.Errorf("a finished run of the dead process was changed: %+v", r)
	}
	for _, id := range []int64{alive.ID, anonymous.ID} {
		if r := byID[id]; r.Result != store.ResultRunning {
			t.Errorf("a run of another process was closed: %+v", r)
		}
	}
}

func syncRunOfJob(t *testing.T, h *harness) {
	ctx := t.Context()
	a, st := h.owner(t, "alice", 1204)
	mallory := h.account(t, "mallory")
	_, err := h.db.SyncRunOfJob(ctx, &store.SyncRunOfJobParams{AccountID: a.ID, StoreID: st.ID})
	wantErr(t, err, store.ErrInvalid, "run of no job")
	_, err = h.db.SyncRunOfJob(ctx, &store.SyncRunOfJobParams{AccountID: a.ID, StoreID: st.ID, JobID: 7})
	wantErr(t, err, store.ErrNotFound, "run of a job that has not started one")
	first := h.startRun(t, store.SyncRunStartParams{StoreID: st.ID, JobID: 7, Process: "p", Now: h.now})
	h.startRun(t, store.SyncRunStartParams{StoreID: st.ID, JobID: 8, Now: h.at(time.Second)})
	r, err := h.db.SyncRunOfJob(ctx, &store.SyncRunOfJobParams{AccountID: a.ID, StoreID: st.ID, JobID: 7})
	noErr(t, err, "run of job 7")
	if r.ID != first.ID || r.JobID != 7 || r.Process != "p" {
		t.Fatalf("run of job 7 = %+v, want run %d", r, first.ID)
	}
	// A retry of the job starts another run: the latest is the one.
	retry := h.startRun(t, store.SyncRunStartParams{StoreID: st.ID, JobID: 7, Now: h.at(2 * time.Second)})
	if r, err := h.db.SyncRunOfJob(ctx, &store.SyncRunOfJobParams{AccountID: a.ID, StoreID: st.ID, JobID: 7}); err != nil || r.ID != retry.ID {
		t.Fatalf("run of job 7 after a retry = %+v %v, want run %d", r, err, retry.ID)
	}
	_, err = h.db.SyncRunOfJob(ctx, &store.SyncRunOfJobParams{AccountID: mallory.ID, StoreID: st.ID, JobID: 7})
	wantErr(t, err, store.ErrNotFound, "another account's run")
}
