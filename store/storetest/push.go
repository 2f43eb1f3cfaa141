// Push bookkeeping that keeps Etsy at the seller's number minus what sold:
// one waiting push job per listing, sales a write overwrote, edits rebased
// on what a push wrote, listings Stockroom deactivated.
package storetest

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/stockroom/stockroom/store"
)

// sale is a receipt of one item of an Etsy product, created at.
func sale(receiptID, listingID, productID int64, qty int, at time.Time) store.Receipt {
	return store.Receipt{EtsyReceiptID: receiptID, Status: "paid", BuyerName: "Buyer", IsPaid: true,
		Total: store.Money{Amount: 2400, Divisor: 100, Currency: "EUR"}, CreatedAt: at, UpdatedAt: at,
		Items: []store.ReceiptItem{{EtsyTransactionID: receiptID * 10, EtsyListingID: listingID, EtsyProductID: productID,
			Quantity: qty, Price: store.Money{Amount: 2400, Divisor: 100, Currency: "EUR"}}}}
}

var pushCorrectnessTests = map[string]func(t *testing.T, h *harness){
	// A listing's intent is replaced by the next write's and forgotten only
	// while it is still the one recorded.
	"IntentPerListing": func(t *testing.T, h *harness) {
		ctx := t.Context()
		s := h.seller(t, "alice", 700)
		l := s.rows[0].EtsyListingID
		in := func(v string) *store.PushIntentParams {
			return &store.PushIntentParams{StoreID: s.store.ID, EtsyListingID: l, Intent: []byte(v), Now: h.now}
		}
		got := func() string {
			raw, err := h.db.PushIntentGet(ctx, s.store.ID, l)
			noErr(t, err, "get")
			return string(raw)
		}
		if g := got(); g != "" {
			t.Fatalf("a listing never pushed has intent %q", g)
		}
		noErr(t, h.db.PushIntentSet(ctx, in(`{"a":1}`)), "set")
		noErr(t, h.db.PushIntentSet(ctx, in(`{"b":2}`)), "replace")
		noErr(t, h.db.PushIntentClear(ctx, in(`{"a":1}`)), "clear a replaced one")
		if g := got(); g != `{"b":2}` {
			t.Fatalf("intent %q, want the later write's", g)
		}
		noErr(t, h.db.PushIntentClear(ctx, in(`{"b":2}`)), "clear")
		if g := got(); g != "" {
			t.Fatalf("intent %q left after it was forgotten", g)
		}
	},
	"QueueOneJobPerListing": func(t *testing.T, h *harness) {
		ctx := t.Context()
		s := h.seller(t, "alice", 701)
		a, b := s.rows[0].OfferingID, s.rows[1].OfferingID
		need, err := h.db.PushQueueClaim(ctx, nil, []int64{a, b})
		noErr(t, err, "claim")
		if len(need) != 1 || need[0] != a {
			t.Fatalf("first claim of two offerings of one listing = %v, want [%d]", need, a)
		}
		need, err = h.db.PushQueueClaim(ctx, nil, []int64{b})
		noErr(t, err, "claim again")
		if len(need) != 0 {
			t.Fatalf("a listing with a job waiting got another: %v", need)
		}
		noErr(t, h.db.PushQueueTake(ctx, b), "take")
		// In the edit's own transaction, as the application queues it.
		var inTx []int64
		_, err = h.db.StockEdit(ctx, &store.StockEditParams{AccountID: s.account.ID, StoreID: s.store.ID, Source: store.SourceTUI, Now: h.now,
			Edits: []store.StockEditItem{{OfferingID: b, Quantity: 3}},
			OnCommit: func(ctx context.Context, tx store.Tx, rows []store.InventoryRow) error {
				var err error
				inTx, err = h.db.PushQueueClaim(ctx, tx, []int64{b})
				return err
			}})
		noErr(t, err, "edit")
		if len(inTx) != 1 {
			t.Fatalf("after the job started, an edit got %v, want a job of its own", inTx)
		}
	},
	// Windows are whole milliseconds, Etsy's sale times whole seconds: a
	// sale whose second touches [read, answer] counts as overwritten,
	// including one in the read's own second (it may have come just after
	// the read), so a doubtful sale is taken off rather than sold twice.
	"OverwrittenSaleCorrectedOnce": func(t *testing.T, h *harness) {
		ctx := t.Context()
		s := h.seller(t, "alice", 702)
		r := s.rows[0]
		read := time.Date(2026, 3, 14, 10, 0, 0, 500_000_000, time.UTC)
		noErr(t, h.db.PushWindowRecord(ctx, &store.PushWindowRecordParams{StoreID: s.store.ID, EtsyListingID: r.EtsyListingID,
			ReadAt: read, WroteAt: read.Add(700 * time.Millisecond), Now: h.now,
			Products: []store.PushWindowProduct{{EtsyProductID: r.EtsyProductID, Key: r.ProductKey}}}), "window")
		sec := read.Truncate(time.Second)
		receipts := []store.Receipt{
			sale(1, r.EtsyListingID, r.EtsyProductID, 1, sec.Add(-time.Second)),  // before the read's second
			sale(2, r.EtsyListingID, r.EtsyProductID, 2, sec),                    // the read's second
			sale(3, r.EtsyListingID, r.EtsyProductID, 1, sec.Add(time.Second)),   // the answer's second
			sale(4, r.EtsyListingID, r.EtsyProductID, 1, sec.Add(2*time.Second)), // after the answer
			sale(5, r.EtsyListingID, r.EtsyProductID+1, 1, sec.Add(time.Second)), // another product
		}
		var corrected []int64
		write := func() {
			corrected = nil
			_, err := h.db.SyncReceiptsWrite(ctx, &store.SyncReceiptsWriteParams{StoreID: s.store.ID, Receipts: receipts, Now: h.now,
				OnCorrect: func(ctx context.Context, tx store.Tx, ids []int64) error {
					corrected = append(corrected, ids...)
					return nil
				}})
			noErr(t, err, "receipts")
		}
		write()
		got := h.row(t, r.OfferingID)
		if len(corrected) != 2 || !got.Pending() || got.EditKind != store.EditAdd || got.DesiredQuantity != r.Quantity-3 || got.BaseQuantity != r.Quantity {
			t.Fatalf("after receipts 2 and 3 (3 units) in the window: corrected %v, row %+v; want an add edit of -3", corrected, got)
		}
		// The same receipts again (a re-sync) correct nothing again.
		receipts[0].UpdatedAt = receipts[0].UpdatedAt.Add(time.Minute)
		write()
		if again := h.row(t, r.OfferingID); len(corrected) != 0 || again.DesiredQuantity != got.DesiredQuantity {
			t.Fatalf("a re-read corrected again: %v, desired %d", corrected, again.DesiredQuantity)
		}
	},
	// When the read id came from an earlier write of Stockroom's, the
	// window is exact whatever the seconds say: that write left 20, the
	// read saw 18, so the first 2 units sold under the id came before the
	// read and only the rest are taken off.
	"OverwrittenSaleExactByProductID": func(t *testing.T, h *harness) {
		ctx := t.Context()
		s := h.seller(t, "alice", 705)
		r := s.rows[0]
		const readID = 9_000_001
		read := time.Date(2026, 3, 14, 10, 0, 0, 500_000_000, time.UTC)
		noErr(t, h.db.PushWindowRecord(ctx, &store.PushWindowRecordParams{StoreID: s.store.ID, EtsyListingID: r.EtsyListingID,
			ReadAt: read.Add(-time.Minute), WroteAt: read.Add(-time.Minute), Now: h.now,
			Products: []store.PushWindowProduct{{EtsyProductID: r.EtsyProductID, Key: r.ProductKey, ReadQty: 10, NewProductID: readID, WrittenQty: 20}}}), "earlier window")
		noErr(t, h.db.PushWindowRecord(ctx, &store.PushWindowRecordParams{StoreID: s.store.ID, EtsyListingID: r.EtsyListingID,
			ReadAt: read, WroteAt: read.Add(300 * time.Millisecond), Now: h.now,
			Products: []store.PushWindowProduct{{EtsyProductID: readID, Key: r.ProductKey, ReadQty: 18, NewProductID: readID + 1, WrittenQty: 25}}}), "window")
		sec := read.Truncate(time.Second)
		var corrected []int64
		_, err := h.db.SyncReceiptsWrite(ctx, &store.SyncReceiptsWriteParams{StoreID: s.store.ID, Now: h.now,
			Receipts: []store.Receipt{sale(11, r.EtsyListingID, readID, 1, sec), sale(12, r.EtsyListingID, readID, 1, sec), sale(13, r.EtsyListingID, readID, 2, sec)},
			OnCorrect: func(ctx context.Context, tx store.Tx, ids []int64) error {
				corrected = append(corrected, ids...)
				return nil
			}})
		noErr(t, err, "receipts")
		if got := h.row(t, r.OfferingID); len(corrected) != 1 || got.DesiredQuantity != r.Quantity-2 {
			t.Fatalf("corrected %v, desired %d; want only receipt 13's 2 units taken off (%d)", corrected, got.DesiredQuantity, r.Quantity-2)
		}
	},
	// A push records its write's window with the outcome, in one
	// transaction.
	"PushDoneRecordsTheWindow": func(t *testing.T, h *harness) {
		ctx := t.Context()
		s := h.seller(t, "alice", 706)
		r := s.rows[0]
		e := h.edit(t, s, r.OfferingID, r.Version, r.Quantity+3)
		read := time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)
		_, err := h.db.PushDone(ctx, &store.PushDoneParams{OfferingID: r.OfferingID, DesiredVersion: e.DesiredVersion,
			Pushed: e.DesiredQuantity, Etsy: e.DesiredQuantity, Desired: e.DesiredQuantity, Now: h.now,
			Window: &store.PushWindowRecordParams{StoreID: s.store.ID, EtsyListingID: r.EtsyListingID, ReadAt: read, WroteAt: read.Add(2 * time.Second),
				Products: []store.PushWindowProduct{{EtsyProductID: r.EtsyProductID, Key: r.ProductKey, ReadQty: r.Quantity, WrittenQty: e.DesiredQuantity}}, Now: h.now}})
		noErr(t, err, "push done")
		_, err = h.db.SyncReceiptsWrite(ctx, &store.SyncReceiptsWriteParams{StoreID: s.store.ID, Now: h.now,
			Receipts: []store.Receipt{sale(21, r.EtsyListingID, r.EtsyProductID, 1, read.Add(time.Second))}})
		noErr(t, err, "receipts")
		if got := h.row(t, r.OfferingID); !got.Pending() || got.DesiredQuantity != e.DesiredQuantity-1 {
			t.Fatalf("the sale inside the recorded window was not taken off: %+v", got)
		}
	},
	// An edit made while an earlier edit's write was in flight keeps only
	// its own change once that write is recorded: its base becomes the
	// written version's quantity, as of the same base time, for an add
	// and for a set alike (the set still keeps the sales since then).
	"PushDoneRebasesLaterEdits": func(t *testing.T, h *harness) {
		ctx := t.Context()
		s := h.seller(t, "alice", 703)
		for _, kind := range []store.EditKind{store.EditAdd, store.EditSet} {
			r := h.row(t, s.rows[0].OfferingID)
			if kind == store.EditSet {
				r = h.row(t, s.rows[1].OfferingID)
			}
			edit := func(qty int) store.InventoryRow {
				rows, err := h.db.StockEdit(ctx, &store.StockEditParams{AccountID: s.account.ID, StoreID: s.store.ID, Source: store.SourceCommand,
					Now: h.now, Edits: []store.StockEditItem{{OfferingID: r.OfferingID, Kind: kind, Quantity: qty}}})
				noErr(t, err, "edit")
				return rows[0]
			}
			first := edit(r.Quantity + 5)
			second := edit(r.Quantity + 8)
			if second.BaseQuantity != r.Quantity || second.EditKind != kind {
				t.Fatalf("%s: second edit base %d kind %s, want the first's base %d", kind, second.BaseQuantity, second.EditKind, r.Quantity)
			}
			etsyAt := h.at(time.Minute)
			// Etsy had sold 2 before the write: it holds base-2+5.
			after := r.Quantity - 2 + 5
			got, err := h.db.PushDone(ctx, &store.PushDoneParams{OfferingID: r.OfferingID, DesiredVersion: first.DesiredVersion,
				Pushed: after, Etsy: after, EtsyAt: etsyAt, Desired: first.DesiredQuantity, Now: h.now})
			noErr(t, err, "push done")
			want, wantAt := first.DesiredQuantity, first.BaseAt
			if !got.Pending() || got.Quantity != after || got.BaseQuantity != want || !got.BaseAt.Equal(wantAt) {
				t.Fatalf("%s: after the first write: %+v; want pending on base %d at %v", kind, got, want, wantAt)
			}
		}
	},
	"PushDoneKeepsANewerSyncedCount": func(t *testing.T, h *harness) {
		// A write's outcome recorded after a sync read Etsy's count (a sale
		// since the write's answer) leaves the count the sync read.
		ctx := t.Context()
		s := h.seller(t, "alice", 704)
		r := s.rows[0]
		edited := h.edit(t, s, r.OfferingID, 0, r.Quantity+5)
		wroteAt := h.at(time.Minute)
		l := listing(7040, 3, 10)
		l.Products[0].Quantity = r.Quantity + 4 // one sold after the write
		_, err := h.db.SyncListingsWrite(ctx, &store.SyncListingsWriteParams{StoreID: s.store.ID, Listings: []store.ListingSnapshot{l},
			Now: h.at(2 * time.Minute), ReadAt: h.at(2 * time.Minute)})
		noErr(t, err, "sync write")
		got, err := h.db.PushDone(ctx, &store.PushDoneParams{OfferingID: r.OfferingID, DesiredVersion: edited.DesiredVersion,
			Pushed: r.Quantity + 5, Etsy: r.Quantity + 5, EtsyAt: wroteAt, Desired: edited.DesiredQuantity, Now: h.at(3 * time.Minute)})
		noErr(t, err, "push done")
		if got.Pending() || got.Quantity != r.Quantity+4 {
			t.Fatalf("after the write's late record: quantity %d pending %v; want the synced %d", got.Quantity, got.Pending(), r.Quantity+4)
		}
		// One recorded before any newer read takes Etsy's answer.
		edited = h.edit(t, s, r.OfferingID, 0, r.Quantity+9)
		got, err = h.db.PushDone(ctx, &store.PushDoneParams{OfferingID: r.OfferingID, DesiredVersion: edited.DesiredVersion,
			Pushed: r.Quantity + 9, Etsy: r.Quantity + 9, EtsyAt: h.at(4 * time.Minute), Desired: edited.DesiredQuantity, Now: h.at(4 * time.Minute)})
		noErr(t, err, "push done")
		if got.Quantity != r.Quantity+9 {
			t.Fatalf("quantity %d after a write answered with %d", got.Quantity, r.Quantity+9)
		}
	},
	"ListingStateSet": func(t *testing.T, h *harness) {
		ctx := t.Context()
		s := h.seller(t, "alice", 704)
		r := s.rows[0]
		noErr(t, h.db.ListingStateSet(ctx, &store.ListingStateSetParams{StoreID: s.store.ID, EtsyListingID: r.EtsyListingID,
			State: "inactive", StockroomDeactivated: true}), "deactivate")
		if got := h.row(t, r.OfferingID); got.ListingState != "inactive" || !got.StockroomDeactivated {
			t.Fatalf("row after deactivating: %s %v", got.ListingState, got.StockroomDeactivated)
		}
		// The seller activates it on Etsy.com: it is no longer Stockroom's
		// to reactivate or not.
		l := listing(s.store.EtsyShopID*10, 3, 10)
		l.State = "active"
		h.write(t, s.store.ID, l)
		if got := h.row(t, r.OfferingID); got.ListingState != "active" || got.StockroomDeactivated {
			t.Fatalf("row after the seller's own change: %s %v", got.ListingState, got.StockroomDeactivated)
		}
	},
}

// EditAndSyncOfAListingTakeTurns checks that a seller's edit and a sync
// writing the same listing never deadlock: the edit holds its offering
// while it marks the listing's push job; the sync writes the listing and
// then the offering. blocked tells whether some transaction waits for a
// lock (the sync, waiting for the edit's offering): the edit marks the
// listing only then, the order in which the two used to lock the same
// rows the opposite way round.
func EditAndSyncOfAListingTakeTurns(t *testing.T, db store.DB, blocked func() bool) {
	ctx := t.Context()
	h := &harness{db: db, now: epoch}
	s := h.seller(t, "alice", 703)
	r := s.rows[0]
	held, synced := make(chan struct{}), make(chan error, 1)
	go func() {
		<-held
		// Etsy's picture: the listing retitled and the offering's count moved.
		l := listing(7030, 3, 10)
		l.Title = "Renamed on Etsy"
		l.Products[0].Quantity = 9
		_, err := db.SyncListingsWrite(ctx, &store.SyncListingsWriteParams{StoreID: s.store.ID, Listings: []store.ListingSnapshot{l}, Now: h.now})
		synced <- err
	}()
	_, err := db.StockEdit(ctx, &store.StockEditParams{AccountID: s.account.ID, StoreID: s.store.ID, Source: store.SourceTUI, Now: h.now,
		Edits: []store.StockEditItem{{OfferingID: r.OfferingID, Quantity: 3}},
		OnCommit: func(ctx context.Context, tx store.Tx, rows []store.InventoryRow) error {
			close(held)
			if err := waitBlocked(blocked, "the sync"); err != nil {
				return err
			}
			_, err := db.PushQueueClaim(ctx, tx, []int64{r.OfferingID})
			return err
		}})
	noErr(t, err, "edit")
	noErr(t, <-synced, "sync")
}

// EditDuringASaleCorrectionIsKept checks that an edit committed while a
// receipts write corrects an overwritten sale of the same row is kept:
// the correction read the row before the edit, and must not write its
// count, less the sale, over the edit's. blocked tells whether some
// transaction waits for a lock (the correction, waiting for the edit's
// offering); the edit commits only then. Found by the chaos soak on
// PostgreSQL: an add of -3 typed as the correction ran was lost.
func EditDuringASaleCorrectionIsKept(t *testing.T, db store.DB, blocked func() bool) {
	ctx := t.Context()
	h := &harness{db: db, now: epoch}
	s := h.seller(t, "alice", 706)
	r := s.rows[0]
	read := time.Date(2026, 3, 14, 10, 0, 0, 500_000_000, time.UTC)
	noErr(t, db.PushWindowRecord(ctx, &store.PushWindowRecordParams{StoreID: s.store.ID, EtsyListingID: r.EtsyListingID,
		ReadAt: read, WroteAt: read.Add(700 * time.Millisecond), Now: h.now,
		Products: []store.PushWindowProduct{{EtsyProductID: r.EtsyProductID, Key: r.ProductKey}}}), "window")
	held, corrected := make(chan struct{}), make(chan error, 1)
	go func() {
		<-held
		_, err := db.SyncReceiptsWrite(ctx, &store.SyncReceiptsWriteParams{StoreID: s.store.ID, Now: h.now,
			Receipts: []store.Receipt{sale(1, r.EtsyListingID, r.EtsyProductID, 1, read.Truncate(time.Second))}})
		corrected <- err
	}()
	_, err := db.StockEdit(ctx, &store.StockEditParams{AccountID: s.account.ID, StoreID: s.store.ID, Source: store.SourceCommand, Now: h.now,
		Edits: []store.StockEditItem{{OfferingID: r.OfferingID, Kind: store.EditAdd, Quantity: r.Quantity - 3}},
		OnCommit: func(ctx context.Context, tx store.Tx, rows []store.InventoryRow) error {
			close(held)
			if err := waitBlocked(blocked, "the correction"); err != nil {
				return err
			}
			return nil
		}})
	noErr(t, err, "edit")
	noErr(t, <-corrected, "receipts")
	if got := h.row(t, r.OfferingID); got.DesiredQuantity != r.Quantity-4 || !got.Pending() {
		t.Fatalf("after an add of -3 and a correction of 1 sold: desired %d (pending %v), want %d", got.DesiredQuantity, got.Pending(), r.Quantity-4)
	}
}

// waitBlocked waits, ten seconds at most, until blocked says some
// transaction (who) waits for a lock the caller holds.
func waitBlocked(blocked func() bool, who string) error {
	deadline := time.Now().Add(10 * time.Second)
	for !blocked() {
		if time.Now().After(deadline) {
			return errors.New(who + " never waited for the edit's offering")
		}
		runtime.Gosched()
	}
	return nil
}
