// Listing sync writes and the push lifecycle.
package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stockroom/stockroom/store"
)

var syncTests = map[string]func(t *testing.T, h *harness){
	"Idempotent": func(t *testing.T, h *harness) {
		a, st := h.owner(t, "alice", 801)
		page := []store.ListingSnapshot{listing(8010, 3, 5), listing(8011, 1, 0), listing(8012, 2, 9)}
		res := h.write(t, st.ID, page...)
		if res.ListingsChanged != 3 || res.OfferingsChanged != 6 || len(res.StockChanges) != 0 {
			t.Fatalf("first write = %+v", res)
		}
		first := h.inventory(t, a.ID, st.ID)
		if len(first) != 6 {
			t.Fatalf("%d rows after first write", len(first))
		}
		p := page[0].Products[1]
		r := bySKU(first)[p.SKU]
		if r.Title != page[0].Title || r.ListingState != "active" || r.URL != page[0].URL || r.Variation != p.Variation ||
			r.ProductKey != p.Key || r.EtsyProductID != p.EtsyProductID || r.EtsyOfferingID != p.EtsyOfferingID || r.Quantity != 6 ||
			r.Price != p.Price || !r.Enabled || r.ReadinessID != 1 || r.Gone || r.EtsyListingID != 8010 || !r.UpdatedAt.Equal(h.now) {
			t.Fatalf("written row = %+v", r)
		}
		h.now = h.at(time.Minute)
		res = h.write(t, st.ID, page...)
		if res.ListingsChanged != 0 || res.OfferingsChanged != 0 || len(res.StockChanges) != 0 {
			t.Fatalf("rewriting the same page reported changes: %+v", res)
		}
		again := h.inventory(t, a.ID, st.ID)
		if len(again) != len(first) {
			t.Fatalf("rewrite made %d rows, want %d", len(again), len(first))
		}
		for i := range again {
			if again[i] != first[i] {
				t.Fatalf("rewrite changed a row:\n%+v\n%+v", first[i], again[i])
			}
		}
	},
	"ConfirmMovesTheCountTimeOn": func(t *testing.T, h *harness) {
		// A read that confirms a count Etsy still holds moves its time on
		// (a set typed on it then knows the sales heard before are in it);
		// one that does not confirm, or is older, leaves it.
		a, st := h.owner(t, "alice", 809)
		l := listing(8090, 1, 5)
		first := h.at(time.Second)
		write := func(readAt time.Time, confirm bool, changed bool) time.Time {
			t.Helper()
			res, err := h.db.SyncListingsWrite(t.Context(), &store.SyncListingsWriteParams{StoreID: st.ID, Listings: []store.ListingSnapshot{l},
				Now: readAt.Add(time.Millisecond), ReadAt: readAt, Confirm: confirm})
			if err != nil {
				t.Fatal(err)
			}
			if got := res.OfferingsChanged > 0; got != changed {
				t.Fatalf("the write at %v changed offerings: %v, want %v", readAt, got, changed)
			}
			return bySKU(h.inventory(t, a.ID, st.ID))[l.Products[0].SKU].QuantityAt
		}
		if at := write(first, false, true); !at.Equal(first) {
			t.Fatalf("a new offering's count time %v, want %v", at, first)
		}
		if at := write(h.at(2*time.Second), false, false); !at.Equal(first) {
			t.Fatalf("a read without Confirm moved the count time to %v", at)
		}
		third := h.at(3 * time.Second)
		if at := write(third, true, false); !at.Equal(third) {
			t.Fatalf("a confirming read left the count time at %v, want %v", at, third)
		}
		if at := write(h.at(2500*time.Millisecond), true, false); !at.Equal(third) {
			t.Fatalf("an older confirming read moved the count time back to %v", at)
		}
		// A confirming read that changes another field (Etsy's offering
		// id, after a write) moves it on too.
		l.Products[0].EtsyOfferingID++
		fourth := h.at(4 * time.Second)
		if at := write(fourth, true, true); !at.Equal(fourth) {
			t.Fatalf("a confirming read with a new offering id left the count time at %v, want %v", at, fourth)
		}
	},
	"QuantityChange": func(t *testing.T, h *harness) {
		ctx := t.Context()
		a, st := h.owner(t, "alice", 802)
		l := listing(8020, 2, 5)
		h.write(t, st.ID, l)
		before := bySKU(h.inventory(t, a.ID, st.ID))[l.Products[0].SKU]
		l.Products[0].Quantity = 2
		h.now = h.at(time.Minute)
		res := h.write(t, st.ID, l)
		if res.ListingsChanged != 0 || res.OfferingsChanged != 1 || len(res.StockChanges) != 1 ||
			res.StockChanges[0] != (store.StockChange{OfferingID: before.OfferingID, Before: 5, After: 2}) {
			t.Fatalf("write with a sale = %+v", res)
		}
		after := h.row(t, before.OfferingID)
		if after.Quantity != 2 || after.Version <= before.Version || after.Pending() {
			t.Fatalf("row after sync = %+v", after)
		}
		ev, err := h.db.StockEventList(ctx, &store.StockEventListParams{AccountID: a.ID, StoreID: st.ID})
		noErr(t, err, "events")
		if len(ev) != 1 || ev[0].Source != store.SourceSync || ev[0].Before != 5 || ev[0].After != 2 || ev[0].AccountID != 0 ||
			ev[0].OfferingID != before.OfferingID || !ev[0].CreatedAt.Equal(h.now) {
			t.Fatalf("events = %+v", ev)
		}
		// A price change is a change but not a stock change.
		l.Products[1].Price.Amount = 2600
		res = h.write(t, st.ID, l)
		if res.OfferingsChanged != 1 || len(res.StockChanges) != 0 {
			t.Fatalf("write with a new price = %+v", res)
		}
	},
	"KeepsPendingEdit": func(t *testing.T, h *harness) {
		a, st := h.owner(t, "alice", 803)
		l := listing(8030, 1, 10)
		h.write(t, st.ID, l)
		s := seller{account: a, store: st}
		r := h.inventory(t, a.ID, st.ID)[0]
		h.edit(t, s, r.OfferingID, r.Version, 7)
		l.Products[0].Quantity = 9 // a sale on Etsy meanwhile
		h.write(t, st.ID, l)
		got := h.row(t, r.OfferingID)
		if got.Quantity != 9 || got.DesiredQuantity != 7 || !got.Pending() || got.PushStatus != store.PushPending || got.BaseQuantity != 10 {
			t.Fatalf("sync over a pending edit = %+v", got)
		}
	},
	"ProductsGone": func(t *testing.T, h *harness) {
		a, st := h.owner(t, "alice", 804)
		full := listing(8040, 3, 4)
		h.write(t, st.ID, full)
		short := full
		short.Products = full.Products[:2]
		res := h.write(t, st.ID, short)
		if res.ListingsChanged != 0 || res.OfferingsChanged != 0 {
			t.Fatalf("write without a product = %+v", res)
		}
		rows := bySKU(h.inventory(t, a.ID, st.ID))
		if len(rows) != 3 || !rows[full.Products[2].SKU].Gone || rows[full.Products[0].SKU].Gone {
			t.Fatalf("rows after a product vanished = %+v", rows)
		}
		// Without inventory only the listing's own fields change.
		bare := full
		bare.Products = nil
		bare.Title = "Renamed mug"
		res = h.write(t, st.ID, bare)
		if res.ListingsChanged != 1 {
			t.Fatalf("listing-only write = %+v", res)
		}
		rows = bySKU(h.inventory(t, a.ID, st.ID))
		if r := rows[full.Products[0].SKU]; r.Title != "Renamed mug" || r.Gone {
			t.Fatalf("after listing-only write = %+v", r)
		}
		if !rows[full.Products[2].SKU].Gone {
			t.Fatal("a listing-only write revived a gone product")
		}
		h.write(t, st.ID, full)
		if rows = bySKU(h.inventory(t, a.ID, st.ID)); rows[full.Products[2].SKU].Gone {
			t.Fatal("a product back in the snapshot is still gone")
		}
		dup := listing(8041, 2, 1)
		dup.Products[1].Key = dup.Products[0].Key
		if _, err := h.db.SyncListingsWrite(t.Context(), &store.SyncListingsWriteParams{StoreID: st.ID, Listings: []store.ListingSnapshot{dup}, Now: h.now}); err == nil {
			t.Fatal("two products with one key were accepted")
		}
	},
	"MarkGone": func(t *testing.T, h *harness) {
		ctx := t.Context()
		a, st := h.owner(t, "alice", 805)
		h.write(t, st.ID, listing(8050, 1, 1), listing(8051, 1, 1), listing(8052, 2, 1))
		n, err := h.db.SyncListingsMarkGone(ctx, st.ID, []int64{8050, 8051})
		noErr(t, err, "mark gone")
		if n != 1 {
			t.Fatalf("marked %d listings, want 1", n)
		}
		for _, r := range h.inventory(t, a.ID, st.ID) {
			if r.Gone != (r.EtsyListingID == 8052) {
				t.Fatalf("row %d gone = %v", r.EtsyListingID, r.Gone)
			}
		}
		n, err = h.db.SyncListingsMarkGone(ctx, st.ID, []int64{8050, 8051})
		if err != nil || n != 0 {
			t.Fatalf("marking again = %d, %v", n, err)
		}
		n, err = h.db.SyncListingsMarkGone(ctx, st.ID, []int64{8050, 8051, 8052})
		if err != nil || n != 1 {
			t.Fatalf("bringing back = %d, %v", n, err)
		}
		for _, r := range h.inventory(t, a.ID, st.ID) {
			if r.Gone {
				t.Fatalf("row %d still gone", r.EtsyListingID)
			}
		}
	},
	"CursorAndOnCommit": func(t *testing.T, h *harness) {
		ctx := t.Context()
		a, st := h.owner(t, "alice", 806)
		last := h.at(time.Minute)
		boom := errors.New("enqueue failed")
		_, err := h.db.SyncListingsWrite(ctx, &store.SyncListingsWriteParams{StoreID: st.ID, Listings: []store.ListingSnapshot{listing(8060, 2, 3)},
			Now: h.now, Cursor: &store.StoreSetSyncStateParams{LastSyncAt: &last},
			OnCommit: func(ctx context.Context, tx store.Tx, res store.SyncWriteResult) error { return boom }})
		if !errors.Is(err, boom) {
			t.Fatalf("write with failing OnCommit = %v", err)
		}
		if rows := h.inventory(t, a.ID, st.ID); len(rows) != 0 {
			t.Fatalf("rolled back page left %d rows", len(rows))
		}
		if s, err := h.db.StoreGet(ctx, st.ID); err != nil || !s.LastSyncAt.IsZero() {
			t.Fatal("rolled back page moved the cursor")
		}
		var got store.SyncWriteResult
		_, err = h.db.SyncListingsWrite(ctx, &store.SyncListingsWriteParams{StoreID: st.ID, Listings: []store.ListingSnapshot{listing(8060, 2, 3)},
			Now: h.now, Cursor: &store.StoreSetSyncStateParams{LastSyncAt: &last},
			OnCommit: func(ctx context.Context, tx store.Tx, res store.SyncWriteResult) error { got = res; return nil }})
		noErr(t, err, "write")
		if got.OfferingsChanged != 2 {
			t.Fatalf("OnCommit saw %+v", got)
		}
		if s, err := h.db.StoreGet(ctx, st.ID); err != nil || !s.LastSyncAt.Equal(last) {
			t.Fatalf("cursor = %v, want %v", s.LastSyncAt, last)
		}
	},
}

var pushTests = map[string]func(t *testing.T, h *harness){
	"Done": func(t *testing.T, h *harness) {
		ctx := t.Context()
		s := h.seller(t, "alice", 901)
		r := s.rows[0]
		e := h.edit(t, s, r.OfferingID, r.Version, 4)
		pending, err := h.db.PushPendingList(ctx, &store.PushPendingListParams{StoreID: s.store.ID})
		noErr(t, err, "pending list")
		if len(pending) != 1 || pending[0] != e {
			t.Fatalf("pending = %+v", pending)
		}
		if p, err := h.db.PushPendingList(ctx, &store.PushPendingListParams{StoreID: s.store.ID, EtsyListingID: r.EtsyListingID}); err != nil || len(p) != 1 {
			t.Fatalf("pending of its listing = %+v", p)
		}
		if p, err := h.db.PushPendingList(ctx, &store.PushPendingListParams{StoreID: s.store.ID, EtsyListingID: r.EtsyListingID + 1}); err != nil || len(p) != 0 {
			t.Fatalf("pending of another listing = %+v", p)
		}
		done, err := h.db.PushDone(ctx, &store.PushDoneParams{OfferingID: r.OfferingID, DesiredVersion: e.DesiredVersion, Pushed: 4, Etsy: 4, Now: h.at(time.Second)})
		noErr(t, err, "push done")
		if done.Pending() || done.PushStatus != store.PushPushed || done.Quantity != 4 || done.Shown() != 4 || !done.PushedAt.Equal(h.at(time.Second)) {
			t.Fatalf("after push = %+v", done)
		}
		if pending, err := h.db.PushPendingList(ctx, &store.PushPendingListParams{StoreID: s.store.ID}); err != nil || len(pending) != 0 {
			t.Fatalf("still pending: %+v", pending)
		}
		again, err := h.db.PushDone(ctx, &store.PushDoneParams{OfferingID: r.OfferingID, DesiredVersion: e.DesiredVersion, Pushed: 4, Etsy: 4, Now: h.at(time.Minute)})
		noErr(t, err, "second push done")
		if again != done {
			t.Fatalf("a repeated PushDone changed the row: %+v", again)
		}
		ev, err := h.db.StockEventList(ctx, &store.StockEventListParams{AccountID: s.account.ID, StoreID: s.store.ID, OfferingID: r.OfferingID})
		noErr(t, err, "StockEventList")
		if len(ev) != 2 || ev[0].Source != store.SourcePush || ev[0].Before != 10 || ev[0].After != 4 {
			t.Fatalf("events = %+v", ev)
		}
		_, err = h.db.PushDone(ctx, &store.PushDoneParams{OfferingID: r.OfferingID + 1000, DesiredVersion: 1})
		wantErr(t, err, store.ErrNotFound, "push done for unknown offering")
	},
	"EditDuringPush": func(t *testing.T, h *harness) {
		ctx := t.Context()
		s := h.seller(t, "alice", 902)
		r := s.rows[0] // Etsy holds 10
		first := h.edit(t, s, r.OfferingID, r.Version, 8)
		// The push of 8 is in flight when the seller changes their mind.
		second := h.edit(t, s, r.OfferingID, first.Version, 5)
		if second.BaseQuantity != 10 || second.DesiredVersion != first.DesiredVersion+1 {
			t.Fatalf("second edit = %+v", second)
		}
		done, err := h.db.PushDone(ctx, &store.PushDoneParams{OfferingID: r.OfferingID, DesiredVersion: first.DesiredVersion, Pushed: 8, Etsy: 8,
			Desired: 8, Now: h.now})
		noErr(t, err, "push done")
		if !done.Pending() || done.PushStatus != store.PushPending || done.DesiredQuantity != 5 || done.Quantity != 8 || done.BaseQuantity != 8 ||
			done.PushedVersion != first.DesiredVersion {
			t.Fatalf("after the first push = %+v", done)
		}
		pending, err := h.db.PushPendingList(ctx, &store.PushPendingListParams{StoreID: s.store.ID})
		noErr(t, err, "PushPendingList")
		if len(pending) != 1 || pending[0].DesiredVersion != second.DesiredVersion {
			t.Fatalf("pending = %+v", pending)
		}
		done, err = h.db.PushDone(ctx, &store.PushDoneParams{OfferingID: r.OfferingID, DesiredVersion: second.DesiredVersion, Pushed: 5, Etsy: 5, Now: h.now})
		noErr(t, err, "second push done")
		if done.Pending() || done.PushStatus != store.PushPushed || done.Quantity != 5 {
			t.Fatalf("after the second push = %+v", done)
		}
	},
	// A sync reads a page, a push writes one of its offerings and is
	// recorded, then the sync writes its page: the page's picture of that
	// offering is older than the push and must not replace it, or the row
	// shows the old count and the seller's next edit is applied against it.
	"SyncReadBeforePush": func(t *testing.T, h *harness) {
		ctx := t.Context()
		s := h.seller(t, "alice", 904)
		r := s.rows[0] // Etsy holds 10
		e := h.edit(t, s, r.OfferingID, r.Version, 8)
		readAt := h.at(time.Second)
		page := listing(9040, 3, 10) // Etsy as the sync read it, before the push
		_, err := h.db.PushDone(ctx, &store.PushDoneParams{OfferingID: r.OfferingID, DesiredVersion: e.DesiredVersion, Pushed: 8, Etsy: 8, Now: h.at(2 * time.Second)})
		noErr(t, err, "push done")
		page.Products[1].Quantity = 7 // a sale of another variation, not pushed
		res, err := h.db.SyncListingsWrite(ctx, &store.SyncListingsWriteParams{StoreID: s.store.ID, Listings: []store.ListingSnapshot{page},
			Now: h.at(3 * time.Second), ReadAt: readAt})
		noErr(t, err, "sync write")
		if got := h.row(t, r.OfferingID); got.Quantity != 8 || got.Shown() != 8 {
			t.Fatalf("a picture read before the push replaced it: %+v", got)
		}
		if got := h.row(t, s.rows[1].OfferingID); got.Quantity != 7 {
			t.Fatalf("the sale of another variation was not written: %+v", got)
		}
		if len(res.StockChanges) != 1 || res.StockChanges[0].OfferingID != s.rows[1].OfferingID {
			t.Fatalf("stock changes = %+v", res.StockChanges)
		}
		// A picture read after the push is Etsy's word again.
		page.Products[0].Quantity = 6
		_, err = h.db.SyncListingsWrite(ctx, &store.SyncListingsWriteParams{StoreID: s.store.ID, Listings: []store.ListingSnapshot{page},
			Now: h.at(5 * time.Second), ReadAt: h.at(4 * time.Second)})
		noErr(t, err, "second sync write")
		if got := h.row(t, r.OfferingID); got.Quantity != 6 {
			t.Fatalf("a picture read after the push was not written: %+v", got)
		}
	},
	"Failed": func(t *testing.T, h *harness) {
		ctx := t.Context()
		s := h.seller(t, "alice", 903)
		r := s.rows[0]
		e := h.edit(t, s, r.OfferingID, r.Version, 0)
		noErr(t, h.db.PushFailed(ctx, &store.PushFailedParams{OfferingID: r.OfferingID, DesiredVersion: e.DesiredVersion, Message: "listing is inactive", Now: h.now}), "push failed")
		got := h.row(t, r.OfferingID)
		if got.Pending() || got.PushStatus != store.PushFailed || got.PushError != "listing is inactive" || got.Shown() != 10 {
			t.Fatalf("after refusal = %+v", got)
		}
		if pending, err := h.db.PushPendingList(ctx, &store.PushPendingListParams{StoreID: s.store.ID}); err != nil || len(pending) != 0 {
			t.Fatalf("refused edit still pending: %+v", pending)
		}
		// Trying again is a new edit, even to the quantity Etsy refused.
		retry := h.edit(t, s, r.OfferingID, got.Version, 0)
		if !retry.Pending() || retry.PushStatus != store.PushPending || retry.PushError != "" || retry.DesiredVersion != e.DesiredVersion+1 {
			t.Fatalf("retry = %+v", retry)
		}
	},
}
