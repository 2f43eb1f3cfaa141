// Tests of the engine against the in-memory Etsy sandbox over HTTP, on
// every backend, with River working the jobs.
package syncer_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/stockroom/stockroom/etsy"
	"github.com/stockroom/stockroom/etsy/sandbox"
	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/sync/syncer"
)

func sandboxQty(t testing.TB, sb *sandbox.Sandbox, listingID int64, sku string) int {
	t.Helper()
	inv, _ := sb.Inventory(listingID)
	for _, p := range inv.Products {
		if p.SKU == sku {
			return p.Offerings[0].Quantity
		}
	}
	t.Fatalf("sku %s not in listing %d", sku, listingID)
	return 0
}

func ceilDiv(n, d int) int { return max(1, (n+d-1)/d) }

func TestFullSyncCallBudgetAndIncrementalTick(t *testing.T) {
	eachEnv(t, sandbox.GenOptions{Seed: 3, Listings: 230, Receipts: 130}, func(t *testing.T, e *env) {
		perState := map[string]int{}
		products := 0
		for _, l := range e.seed.Shops[0].Listings {
			perState[l.State]++
			products += len(l.Inventory.Products)
		}
		budget := ceilDiv(len(e.seed.Shops[0].Receipts), 100) + 1
		for _, s := range []string{"active", "inactive", "sold_out", "draft", "expired"} {
			budget += ceilDiv(perState[s], 100)
		}
		run := e.sync(store.SyncIncremental) // never synced: becomes full
		if run.Kind != store.SyncFull || run.Result != store.ResultOK {
			t.Fatalf("first sync = %s %s %q, want a full ok run", run.Kind, run.Result, run.Error)
		}
		if e.calls() > budget {
			t.Errorf("full sync made %d calls, budget %d (%v)", e.calls(), budget, e.sb.Calls())
		}
		if run.APICalls != e.calls() {
			t.Errorf("sync log says %d calls, sandbox saw %d", run.APICalls, e.calls())
		}
		if got := len(e.rows()); got != products {
			t.Errorf("%d inventory rows, want %d", got, products)
		}
		if run.ListingsChanged != 230 || run.ReceiptsChanged != 130 {
			t.Errorf("run changed %d listings, %d receipts; want 230, 130", run.ListingsChanged, run.ReceiptsChanged)
		}

		// A re-run writes nothing new.
		again := e.sync(store.SyncFull)
		if again.ListingsChanged != 0 || again.ReceiptsChanged != 0 {
			t.Errorf("repeated full sync changed %d listings, %d receipts", again.ListingsChanged, again.ReceiptsChanged)
		}

		e.sb.ResetCalls()
		tick := e.sync(store.SyncIncremental)
		if tick.Kind != store.SyncIncremental || e.calls() != 1 {
			t.Fatalf("quiet tick: kind %s, %d calls (%v), want incremental with 1 call", tick.Kind, e.calls(), e.sb.Calls())
		}

		l, r := e.variedListing(2)
		if _, err := e.sb.SimulateSale(e.shopID, l.ListingID, r.SKU, 2); err != nil {
			t.Fatal(err)
		}
		e.sb.ResetCalls()
		tick = e.sync(store.SyncIncremental)
		if e.calls() != 2 {
			t.Errorf("tick after a sale made %d calls (%v), want 2", e.calls(), e.sb.Calls())
		}
		if got := e.row(r.OfferingID).Quantity; got != r.Quantity-2 {
			t.Errorf("after the sale Stockroom shows %d, want %d", got, r.Quantity-2)
		}
		if tick.ReceiptsChanged != 1 {
			t.Errorf("tick recorded %d receipts, want 1", tick.ReceiptsChanged)
		}
	})
}

func TestListingGoneIsMarked(t *testing.T) {
	eachSyncedEnv(t, sandbox.GenOptions{Seed: 4, Listings: 12, Receipts: 5}, func(t *testing.T, e *env) {
		// A listing that disappears from Etsy: run the sync against a sandbox
		// without it by faking a shop with one listing fewer.
		sb2 := sandbox.New(sandbox.Config{Keystring: sbKey, SharedSecret: sbSecret})
		seed := e.seed
		shop := seed.Shops[0]
		removed := shop.Listings[0].ListingID
		shop.Listings = shop.Listings[1:]
		shop.Receipts = nil
		if err := sb2.AddShop(shop); err != nil {
			t.Fatal(err)
		}
		e.srv.Config.Handler = sb2.Handler()
		access, _, _ := sb2.IssueToken(e.shopID, etsy.Scopes...)
		eng, _ := syncer.New(syncer.Config{Store: e.db, Etsy: e.client, Tokens: tokenMap{e.storeID: staticToken(access)},
			Queue: e.q, Hub: e.hub})
		if _, err := eng.Sync(e.ctx, e.storeID, store.SyncReconcile, store.TriggerSchedule); err != nil {
			t.Fatal(err)
		}
		gone := 0
		for _, r := range e.rows() {
			if r.EtsyListingID == removed {
				if !r.Gone {
					t.Errorf("row of the removed listing is not marked gone")
				}
				gone++
			} else if r.Gone {
				t.Errorf("listing %d wrongly marked gone", r.EtsyListingID)
			}
		}
		if gone == 0 {
			t.Fatal("the removed listing's rows were dropped instead of marked")
		}
	})
}

func TestEditReachesEtsyKeepingEverythingElse(t *testing.T) {
	eachSyncedEnv(t, sandbox.GenOptions{Seed: 5, Listings: 20, Receipts: 5}, func(t *testing.T, e *env) {
		e.start()
		l, r := e.variedListing(1)
		before, _ := e.sb.Inventory(l.ListingID)

		e.edit(r.OfferingID, r.Quantity+7)
		got := e.waitRow(r.OfferingID, func(x store.InventoryRow) bool { return !x.Pending() })
		if got.PushStatus != store.PushPushed || got.Quantity != r.Quantity+7 {
			t.Fatalf("after push: status %s, quantity %d, want pushed %d", got.PushStatus, got.Quantity, r.Quantity+7)
		}
		after, _ := e.sb.Inventory(l.ListingID)
		if len(after.Products) != len(before.Products) {
			t.Fatalf("products %d -> %d: a variation was lost", len(before.Products), len(after.Products))
		}
		for i, p := range after.Products {
			b := before.Products[i]
			wantQty := b.Offerings[0].Quantity
			if p.SKU == r.SKU {
				wantQty = r.Quantity + 7
			}
			if p.SKU != b.SKU || p.Offerings[0].Quantity != wantQty || p.Offerings[0].Price != b.Offerings[0].Price ||
				p.Offerings[0].IsEnabled != b.Offerings[0].IsEnabled || len(p.PropertyValues) != len(b.PropertyValues) {
				t.Errorf("product %d changed beyond its quantity: %+v -> %+v", i, b, p)
			}
			for j := range p.PropertyValues {
				if strings.Join(p.PropertyValues[j].Values, ",") != strings.Join(b.PropertyValues[j].Values, ",") {
					t.Errorf("product %d property %d changed", i, j)
				}
			}
		}
		runs, _ := e.db.SyncRunList(e.ctx, &store.SyncRunListParams{AccountID: e.account, StoreID: e.storeID})
		if len(runs) == 0 || runs[0].Kind != store.SyncPush || runs[0].Result != store.ResultOK || runs[0].APICalls != 2 {
			t.Errorf("latest run = %+v, want an ok push of 2 calls", runs[0])
		}
	})
}

func TestPushKeepsEtsySalesAndSaysSo(t *testing.T) {
	eachSyncedEnv(t, sandbox.GenOptions{Seed: 6, Listings: 20, Receipts: 5}, func(t *testing.T, e *env) {
		l, r := e.variedListing(4)
		base := r.Quantity
		e.edit(r.OfferingID, base+10)                                                 // seller adds 10
		if _, err := e.sb.SimulateSale(e.shopID, l.ListingID, r.SKU, 3); err != nil { // Etsy sells 3 meanwhile
			t.Fatal(err)
		}
		e.start()
		got := e.waitRow(r.OfferingID, func(x store.InventoryRow) bool { return !x.Pending() })
		if want := base + 10 - 3; got.Quantity != want || sandboxQty(t, e.sb, l.ListingID, r.SKU) != want {
			t.Fatalf("Stockroom %d, Etsy %d, want %d", got.Quantity, sandboxQty(t, e.sb, l.ListingID, r.SKU), want)
		}
		ev, err := e.db.StockEventList(e.ctx, &store.StockEventListParams{AccountID: e.account, StoreID: e.storeID, OfferingID: r.OfferingID})
		if err != nil || len(ev) == 0 || ev[0].Source != store.SourcePush || !strings.Contains(ev[0].Note, "sales kept") {
			t.Fatalf("audit trail does not explain the pushed value: %+v %v", ev, err)
		}
	})
}

func TestSecondEditDuringPushIsPushedAfter(t *testing.T) {
	eachSyncedEnv(t, sandbox.GenOptions{Seed: 7, Listings: 20, Receipts: 5}, func(t *testing.T, e *env) {
		l, r := e.variedListing(1)
		// The first PUT is slow, so the second edit lands while it runs.
		if err := e.sb.InjectFault("updateListingInventory", sandbox.Fault{Kind: sandbox.FaultTimeout, Count: 1, Delay: 300 * time.Millisecond}); err != nil {
			t.Fatal(err)
		}
		events, cancel, _ := e.q.Subscribe(river.EventKindJobCompleted)
		defer cancel()
		e.start()
		e.edit(r.OfferingID, 50)
		time.Sleep(100 * time.Millisecond) // inside the slow PUT
		e.edit(r.OfferingID, 60)
		got := e.waitRow(r.OfferingID, func(x store.InventoryRow) bool { return !x.Pending() && x.Quantity == 60 })
		if q := sandboxQty(t, e.sb, l.ListingID, r.SKU); q != 60 || got.PushStatus != store.PushPushed {
			t.Fatalf("Etsy holds %d, status %s; want 60 pushed", q, got.PushStatus)
		}
		select {
		case <-events:
		case <-time.After(5 * time.Second):
			t.Fatal("no push job completed")
		}
	})
}

func TestPushFaultsLoseNothing(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		cases := []struct {
			name  string
			op    string
			fault sandbox.Fault
		}{
			{"429", "updateListingInventory", sandbox.Fault{Kind: sandbox.Fault429, Count: 1}},
			{"500", "updateListingInventory", sandbox.Fault{Kind: sandbox.Fault500, Count: 2}},
			{"timeout", "getListingInventory", sandbox.Fault{Kind: sandbox.FaultTimeout, Count: 1, Delay: 3 * time.Second}},
			{"malformed", "getListingInventory", sandbox.Fault{Kind: sandbox.FaultMalformed, Count: 1}},
			{"answer lost after the write", "updateListingInventory", sandbox.Fault{Kind: sandbox.Fault500, Count: 1, Applied: true}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				e := newEnv(t, b, sandbox.GenOptions{Seed: 8, Listings: 10, Receipts: 3}, sandbox.Config{})
				e.sync(store.SyncFull)
				l, r := e.variedListing(1)
				if err := e.sb.InjectFault(tc.op, tc.fault); err != nil {
					t.Fatal(err)
				}
				e.start()
				e.edit(r.OfferingID, r.Quantity+5)
				got := e.waitRow(r.OfferingID, func(x store.InventoryRow) bool { return !x.Pending() })
				if q := sandboxQty(t, e.sb, l.ListingID, r.SKU); q != r.Quantity+5 || got.Quantity != q || got.PushStatus != store.PushPushed {
					t.Fatalf("Etsy %d, Stockroom %d (%s %q); want %d pushed once", q, got.Quantity, got.PushStatus, got.PushError, r.Quantity+5)
				}
			})
		}
	})
}

func TestRevokedTokenStopsTheStore(t *testing.T) {
	eachSyncedEnv(t, sandbox.GenOptions{Seed: 9, Listings: 10, Receipts: 3}, func(t *testing.T, e *env) {
		_, r := e.variedListing(1)
		if err := e.sb.RevokeTokens(e.shopID); err != nil {
			t.Fatal(err)
		}
		sub := e.hub.Subscribe(func(ev hub.Event) bool { return ev.Kind == hub.StoreChanged })
		defer sub.Close()
		e.start()
		e.edit(r.OfferingID, r.Quantity+1)
		select {
		case <-sub.C:
		case <-time.After(10 * time.Second):
			t.Fatal("no StoreChanged event")
		}
		st, _ := e.db.StoreGet(e.ctx, e.storeID)
		if st.Status != store.StatusNeedsReauth {
			t.Fatalf("store status %s, want needs_reauth", st.Status)
		}
		if !e.row(r.OfferingID).Pending() {
			t.Fatal("the edit was dropped; it must wait for the shop to be connected again")
		}
		if _, err := e.eng.Sync(e.ctx, e.storeID, store.SyncIncremental, store.TriggerManual); !errors.Is(err, syncer.ErrStoreNotConnected) {
			t.Fatalf("sync of a store needing reauth: %v", err)
		}
	})
}

func TestAllZeroDeactivatesTheListing(t *testing.T) {
	eachSyncedEnv(t, sandbox.GenOptions{Seed: 10, Listings: 30, Receipts: 3}, func(t *testing.T, e *env) {
		var r store.InventoryRow
		for _, x := range e.rows() {
			l, _ := e.sb.Listing(x.EtsyListingID)
			if len(l.Inventory.Products) == 1 && l.State == sandbox.StateActive && x.Quantity > 0 {
				r = x
				break
			}
		}
		if r.OfferingID == 0 {
			// The generator's seed is fixed: a shop without one is a
			// change to the generator this test must hear about.
			t.Fatal("no single-product listing in the generated shop")
		}
		e.start()
		e.edit(r.OfferingID, 0)
		got := e.waitRow(r.OfferingID, func(x store.InventoryRow) bool { return !x.Pending() })
		l, _ := e.sb.Listing(r.EtsyListingID)
		if got.PushStatus != store.PushPushed || l.State != sandbox.StateInactive {
			t.Fatalf("status %s %q, Etsy listing %s; want pushed and inactive", got.PushStatus, got.PushError, l.State)
		}
		// Etsy keeps its count on the inactive listing: the next edit is
		// measured from it, not from 0.
		if got.Quantity != r.Quantity || got.BaseQuantity != r.Quantity {
			t.Errorf("after deactivating: quantity %d, base %d; want both %d (Etsy's count)", got.Quantity, got.BaseQuantity, r.Quantity)
		}
	})
}

func TestWebhookSaleShowsAtOnce(t *testing.T) {
	eachSyncedEnv(t, sandbox.GenOptions{Seed: 11, Listings: 15, Receipts: 5}, func(t *testing.T, e *env) {
		secret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
		h, err := syncer.NewWebhookHandler(syncer.WebhookConfig{Store: e.db, Queue: e.q, Secret: secret})
		if err != nil {
			t.Fatal(err)
		}
		hook := httptest.NewServer(h)
		defer hook.Close()
		if err := e.sb.SetWebhook(hook.URL+"/etsy/webhook", secret); err != nil {
			t.Fatal(err)
		}
		e.start()
		l, r := e.variedListing(2)
		sub := e.hub.Subscribe(func(ev hub.Event) bool { return ev.Kind == hub.SyncFinished })
		defer sub.Close()
		if _, err := e.sb.SimulateSale(e.shopID, l.ListingID, r.SKU, 1); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(e.ctx, 10*time.Second)
		defer cancel()
		if _, err := syncer.WaitRun(ctx, sub); err != nil {
			t.Fatal("no sync after the webhook:", err)
		}
		if got := e.row(r.OfferingID).Quantity; got != r.Quantity-1 {
			t.Fatalf("after the webhook Stockroom shows %d, want %d", got, r.Quantity-1)
		}

		// deliver posts a sale's notification with id, signed with key at
		// ts, and returns the endpoint's status.
		body := `{"event_type":"order.paid","shop_id":` + itoa(e.shopID) + `}`
		deliver := func(id, ts string, key []byte) int {
			t.Helper()
			req, _ := http.NewRequest(http.MethodPost, hook.URL, strings.NewReader(body))
			req.Header.Set("webhook-id", id)
			req.Header.Set("webhook-timestamp", ts)
			req.Header.Set("webhook-signature", sandbox.Sign(key, id, ts, []byte(body)))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		// A forged delivery is refused and changes nothing.
		ts := itoa(time.Now().Unix())
		if code := deliver("msg_forged", ts, []byte("wrong key")); code != http.StatusUnauthorized {
			t.Fatalf("forged webhook: %d, want 401", code)
		}
		// An old, correctly signed one is a replay.
		key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
		if code := deliver("msg_old", itoa(time.Now().Add(-time.Hour).Unix()), key); code != http.StatusUnauthorized {
			t.Fatalf("replayed webhook: %d, want 401", code)
		}
		// A duplicate id is accepted and not processed again.
		if fresh, _ := e.db.WebhookSeen(e.ctx, "msg_dup", time.Now(), nil); !fresh {
			t.Fatal("first sight of msg_dup not new")
		}
		if code := deliver("msg_dup", ts, key); code != http.StatusOK {
			t.Fatalf("duplicate webhook: %d, want 200", code)
		}
		select {
		case ev := <-sub.C:
			t.Fatalf("a duplicate delivery started a sync: %+v", ev)
		case <-time.After(300 * time.Millisecond):
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Etsy's timestamps are whole seconds and min_last_modified is inclusive: a
// sale made in the same second as the receipt the cursor came from, but
// after the tick that read that receipt, must still refresh its listing.
func TestSaleInTheCursorSecond(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		var frozen atomic.Int64 // unix seconds; 0 runs the sandbox's clock freely
		clock := func() time.Time {
			if s := frozen.Load(); s != 0 {
				return time.Unix(s, 0)
			}
			return time.Now()
		}
		e := newEnv(t, b, sandbox.GenOptions{Seed: 11, Listings: 20, Receipts: 5}, sandbox.Config{Now: clock})
		e.sync(store.SyncFull)
		first, r1 := e.variedListing(1)
		var r2 store.InventoryRow
		for _, r := range e.rows() {
			if r.EtsyListingID != first.ListingID && r.SKU != "" && r.Quantity > 0 && r.ListingState == sandbox.StateActive && !r.Gone {
				r2 = r
				break
			}
		}
		if r2.OfferingID == 0 {
			t.Fatal("no second listing to sell from")
		}
		frozen.Store(time.Now().Add(time.Second).Unix())
		if _, err := e.sb.SimulateSale(e.shopID, first.ListingID, r1.SKU, 1); err != nil {
			t.Fatal(err)
		}
		e.sync(store.SyncIncremental)
		if got := e.row(r1.OfferingID).Quantity; got != r1.Quantity-1 {
			t.Fatalf("after the first sale Stockroom shows %d, want %d", got, r1.Quantity-1)
		}
		if _, err := e.sb.SimulateSale(e.shopID, r2.EtsyListingID, r2.SKU, 1); err != nil {
			t.Fatal(err)
		}
		e.sync(store.SyncIncremental)
		if got := e.row(r2.OfferingID).Quantity; got != r2.Quantity-1 {
			t.Errorf("a sale in the cursor's second: Stockroom shows %d, want %d", got, r2.Quantity-1)
		}
		// A quiet tick still costs one call: the receipts at the cursor
		// are known and touch nothing again.
		e.sb.ResetCalls()
		e.sync(store.SyncIncremental)
		if e.calls() != 1 {
			t.Errorf("quiet tick made %d calls (%v), want 1", e.calls(), e.sb.Calls())
		}
	})
}

// A shop with more receipts than Etsy lets an offset reach (12,000) still
// syncs in full, in about one call per 100 receipts.
func TestFullSyncOfMoreReceiptsThanTheOffsetCap(t *testing.T) {
	if testing.Short() {
		t.Skip("12,300 receipts")
	}
	e := newEnv(t, backends()[0], sandbox.GenOptions{Seed: 12, Listings: 20, Receipts: 12300}, sandbox.Config{})
	run := e.sync(store.SyncFull)
	if run.Result != store.ResultOK {
		t.Fatalf("full sync: %s %q", run.Result, run.Error)
	}
	receipts, err := e.db.ReceiptList(e.ctx, &store.ReceiptListParams{AccountID: e.account, StoreID: e.storeID, Limit: 20000})
	if err != nil {
		t.Fatal(err)
	}
	if len(receipts) != 12300 {
		t.Fatalf("%d receipts in Stockroom, want 12300", len(receipts))
	}
	if calls := e.sb.Calls()["getShopReceipts"]; calls > 12300/100+3 {
		t.Errorf("%d receipt calls for 12,300 receipts", calls)
	}
}
