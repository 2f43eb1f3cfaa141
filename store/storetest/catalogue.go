// Tenant isolation and stock edits.
package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/stockroom/stockroom/store"
)

var isolationTests = map[string]func(t *testing.T, h *harness){
	// Every method that acts for a person, called by alice with bob's ids,
	// finds nothing and changes nothing.
	"CrossAccount": func(t *testing.T, h *harness) {
		ctx := t.Context()
		alice := h.seller(t, "alice", 601)
		bob := h.seller(t, "bob", 602)
		a, bs, bo := alice.account.ID, bob.store.ID, bob.rows[0]
		h.edit(t, bob, bo.OfferingID, bo.Version, 4)
		_, err := h.db.SyncRunStart(ctx, &store.SyncRunStartParams{StoreID: bs, Kind: store.SyncFull, Trigger: store.TriggerManual, Now: h.now})
		noErr(t, err, "sync run start")
		_, err = h.db.SyncReceiptsWrite(ctx, &store.SyncReceiptsWriteParams{StoreID: bs, Receipts: []store.Receipt{receipt(9001, 0, "paid")}})
		noErr(t, err, "receipts")
		before := h.inventory(t, bob.account.ID, bs)
		bobStore, err := h.db.StoreGet(ctx, bs)
		noErr(t, err, "StoreGet")

		if rows, err := h.db.InventoryList(ctx, &store.InventoryListParams{AccountID: a, StoreID: bs}); err != nil && !errors.Is(err, store.ErrNotFound) || len(rows) != 0 {
			t.Fatalf("InventoryList of bob's store as alice = %d rows, %v", len(rows), err)
		}
		_, err = h.db.InventoryGet(ctx, a, bo.OfferingID)
		wantErr(t, err, store.ErrNotFound, "InventoryGet of bob's offering")
		for _, sid := range []int64{bs, alice.store.ID} {
			_, err = h.db.StockEdit(ctx, &store.StockEditParams{AccountID: a, StoreID: sid, Source: store.SourceTUI, Now: h.now,
				Edits: []store.StockEditItem{{OfferingID: bo.OfferingID, Quantity: 99}}})
			wantErr(t, err, store.ErrNotFound, "StockEdit of bob's offering")
		}
		_, err = h.db.StoreGetForAccount(ctx, a, bs)
		wantErr(t, err, store.ErrNotFound, "StoreGetForAccount of bob's store")
		low := 50
		_, err = h.db.StoreUpdateSettings(ctx, &store.StoreUpdateSettingsParams{AccountID: a, StoreID: bs, LowStockDefault: &low, Now: h.now})
		wantErr(t, err, store.ErrNotFound, "StoreUpdateSettings of bob's store")
		if rs, err := h.db.ReceiptList(ctx, &store.ReceiptListParams{AccountID: a, StoreID: bs}); err != nil && !errors.Is(err, store.ErrNotFound) || len(rs) != 0 {
			t.Fatalf("ReceiptList of bob's store as alice = %d, %v", len(rs), err)
		}
		if rs, err := h.db.SyncRunList(ctx, &store.SyncRunListParams{AccountID: a, StoreID: bs}); err != nil && !errors.Is(err, store.ErrNotFound) || len(rs) != 0 {
			t.Fatalf("SyncRunList of bob's store as alice = %d, %v", len(rs), err)
		}
		for _, p := range []store.StockEventListParams{{AccountID: a, StoreID: bs}, {AccountID: a, StoreID: alice.store.ID, OfferingID: bo.OfferingID}} {
			if ev, err := h.db.StockEventList(ctx, &p); err != nil && !errors.Is(err, store.ErrNotFound) || len(ev) != 0 {
				t.Fatalf("StockEventList %+v as alice = %d, %v", p, len(ev), err)
			}
		}
		for _, p := range []store.ThresholdSetParams{
			{AccountID: a, StoreID: bs, OfferingID: bo.OfferingID, Threshold: &low},
			{AccountID: a, StoreID: alice.store.ID, OfferingID: bo.OfferingID, Threshold: &low},
			{AccountID: a, StoreID: bs, ListingID: bo.ListingID, Threshold: &low},
			{AccountID: a, StoreID: alice.store.ID, ListingID: bo.ListingID, Threshold: &low},
		} {
			wantErr(t, h.db.ThresholdSet(ctx, &p), store.ErrNotFound, "ThresholdSet on bob's rows")
		}

		after := h.inventory(t, bob.account.ID, bs)
		if len(after) != len(before) {
			t.Fatalf("bob's inventory changed size")
		}
		for i := range after {
			if after[i] != before[i] {
				t.Fatalf("bob's row changed:\nbefore %+v\nafter  %+v", before[i], after[i])
			}
		}
		if got, err := h.db.StoreGet(ctx, bs); err != nil || got != bobStore {
			t.Fatalf("bob's store changed: %+v", got)
		}
		// Alice still sees her own.
		if got := h.inventory(t, a, alice.store.ID); len(got) != 3 {
			t.Fatalf("alice's inventory = %d rows", len(got))
		}
	},
}

var listByIDsTests = map[string]func(t *testing.T, h *harness){
	// The rows asked for, as InventoryGet reads them, in id order; ids of
	// another store, of a store the account is not in, or of nothing are
	// left out; and any number of ids works (several queries under the hood).
	"InventoryListByIDs": func(t *testing.T, h *harness) {
		ctx := t.Context()
		alice := h.seller(t, "alice", 611)
		bob := h.seller(t, "bob", 612)
		a, as := alice.account.ID, alice.store.ID
		r0, r2 := alice.rows[0], alice.rows[2]
		edited := h.edit(t, alice, r0.OfferingID, r0.Version, 4)
		ids := []int64{r2.OfferingID, bob.rows[0].OfferingID, 1 << 40, r0.OfferingID, r2.OfferingID}
		for i := range 1200 { // past one query's worth of ids
			ids = append(ids, 1<<41+int64(i))
		}
		got, err := h.db.InventoryListByIDs(ctx, &store.InventoryListByIDsParams{AccountID: a, StoreID: as, OfferingIDs: ids})
		noErr(t, err, "InventoryListByIDs")
		want := []store.InventoryRow{edited, r2}
		if r2.OfferingID < r0.OfferingID {
			want = []store.InventoryRow{r2, edited}
		}
		if len(got) != len(want) {
			t.Fatalf("InventoryListByIDs = %d rows, want %d: %+v", len(got), len(want), got)
		}
		for i := range want {
			if one, err := h.db.InventoryGet(ctx, a, want[i].OfferingID); err != nil || one != want[i] || got[i] != want[i] {
				t.Fatalf("row %d = %+v, want %+v (InventoryGet %+v, %v)", i, got[i], want[i], one, err)
			}
		}
		// Bob's store, asked for by alice, or by bob through alice's store.
		for _, p := range []store.InventoryListByIDsParams{
			{AccountID: a, StoreID: bob.store.ID, OfferingIDs: []int64{bob.rows[0].OfferingID}},
			{AccountID: bob.account.ID, StoreID: as, OfferingIDs: []int64{r0.OfferingID}},
			{AccountID: a, StoreID: as},
		} {
			if rows, err := h.db.InventoryListByIDs(ctx, &p); err != nil || len(rows) != 0 {
				t.Fatalf("InventoryListByIDs %+v = %d rows, %v; want none", p, len(rows), err)
			}
		}
	},
}

var stockEditTests = map[string]func(t *testing.T, h *harness){
	"EditRecordsEvent": func(t *testing.T, h *harness) {
		ctx := t.Context()
		s := h.seller(t, "alice", 701)
		r := s.rows[0]
		if r.Quantity != 10 || r.Pending() || r.PushStatus != store.PushNone || r.Threshold != 3 || r.Price.Amount != 2400 || !r.Enabled {
			t.Fatalf("synced row = %+v", r)
		}
		got := h.edit(t, s, r.OfferingID, r.Version, 3)
		if got.DesiredQuantity != 3 || got.BaseQuantity != 10 || got.Quantity != 10 || !got.Pending() || got.Shown() != 3 ||
			got.PushStatus != store.PushPending || got.Version <= r.Version || !got.Low() {
			t.Fatalf("edited row = %+v", got)
		}
		if g, err := h.db.InventoryGet(ctx, s.account.ID, r.OfferingID); err != nil || g != got {
			t.Fatalf("InventoryGet after edit = %+v, %v", g, err)
		}
		ev, err := h.db.StockEventList(ctx, &store.StockEventListParams{AccountID: s.account.ID, StoreID: s.store.ID, OfferingID: r.OfferingID})
		noErr(t, err, "events")
		if len(ev) != 1 || ev[0].Source != store.SourceTUI || ev[0].Before != 10 || ev[0].After != 3 || ev[0].AccountID != s.account.ID ||
			!ev[0].CreatedAt.Equal(h.now) {
			t.Fatalf("events = %+v", ev)
		}
		// Setting the quantity it already shows changes nothing.
		same := h.edit(t, s, r.OfferingID, 0, 3)
		if same.Version != got.Version {
			t.Fatalf("a no-op edit moved the version")
		}
		if ev, err := h.db.StockEventList(ctx, &store.StockEventListParams{AccountID: s.account.ID, StoreID: s.store.ID}); err != nil || len(ev) != 1 {
			t.Fatalf("a no-op edit was recorded: %+v", ev)
		}
	},
	"StaleVersion": func(t *testing.T, h *harness) {
		s := h.seller(t, "alice", 702)
		r := s.rows[0]
		won := h.edit(t, s, r.OfferingID, r.Version, 7)
		_, err := h.db.StockEdit(t.Context(), &store.StockEditParams{AccountID: s.account.ID, StoreID: s.store.ID, Source: store.SourceTUI,
			Now: h.now, Edits: []store.StockEditItem{{OfferingID: r.OfferingID, Version: r.Version, Quantity: 3}}})
		var stale *store.StaleError
		if !errors.As(err, &stale) || !errors.Is(err, store.ErrConflict) {
			t.Fatalf("edit from an old version: %v, want *StaleError", err)
		}
		if stale.Current != won {
			t.Fatalf("stale current = %+v, want %+v", stale.Current, won)
		}
		if got := h.row(t, r.OfferingID); got != won {
			t.Fatalf("the losing edit was written: %+v", got)
		}
	},
	"ConcurrentEdits": func(t *testing.T, h *harness) {
		s := h.seller(t, "alice", 703)
		for round, r := range s.rows {
			errs := race(2, func(i int) error {
				_, err := h.db.StockEdit(context.Background(), &store.StockEditParams{AccountID: s.account.ID, StoreID: s.store.ID,
					Source: store.SourceTUI, Now: h.now, Edits: []store.StockEditItem{{OfferingID: r.OfferingID, Version: r.Version, Quantity: 20 + i}}})
				return err
			})
			var ok, staleN int
			for _, err := range errs {
				var stale *store.StaleError
				switch {
				case err == nil:
					ok++
				case errors.As(err, &stale):
					staleN++
					if !stale.Current.Pending() || stale.Current.Version == r.Version {
						t.Fatalf("round %d: stale current = %+v", round, stale.Current)
					}
				default:
					t.Fatalf("round %d: unexpected error %v", round, err)
				}
			}
			if ok != 1 || staleN != 1 {
				t.Fatalf("round %d: %d succeeded, %d stale; want exactly one of each", round, ok, staleN)
			}
			if got := h.row(t, r.OfferingID); got.DesiredVersion != 1 || got.Version != r.Version+1 {
				t.Fatalf("round %d: row after race = %+v", round, got)
			}
		}
	},
	"ViewerCannotEdit": func(t *testing.T, h *harness) {
		ctx := t.Context()
		s := h.seller(t, "alice", 704)
		v := h.joined(t, "victor", s.store.ID, store.RoleViewer)
		m := h.joined(t, "mona", s.store.ID, store.RoleManager)
		r := s.rows[0]
		if rows := h.inventory(t, v.ID, s.store.ID); len(rows) != 3 {
			t.Fatalf("viewer sees %d rows", len(rows))
		}
		_, err := h.db.StockEdit(ctx, &store.StockEditParams{AccountID: v.ID, StoreID: s.store.ID, Source: store.SourceTUI, Now: h.now,
			Edits: []store.StockEditItem{{OfferingID: r.OfferingID, Quantity: 1}}})
		wantErr(t, err, store.ErrForbidden, "viewer edit")
		thr := 1
		err = h.db.ThresholdSet(ctx, &store.ThresholdSetParams{AccountID: v.ID, StoreID: s.store.ID, OfferingID: r.OfferingID, Threshold: &thr})
		if err == nil {
			t.Fatal("viewer set a threshold")
		}
		if got := h.row(t, r.OfferingID); got != r {
			t.Fatalf("viewer changed the row: %+v", got)
		}
		_, err = h.db.StockEdit(ctx, &store.StockEditParams{AccountID: m.ID, StoreID: s.store.ID, Source: store.SourceCommand, Now: h.now,
			Edits: []store.StockEditItem{{OfferingID: r.OfferingID, Quantity: 1}}})
		noErr(t, err, "manager edit")
	},
	"InvalidQuantity": func(t *testing.T, h *harness) {
		ctx := t.Context()
		s := h.seller(t, "alice", 705)
		for _, bad := range []int{1000, -1} {
			_, err := h.db.StockEdit(ctx, &store.StockEditParams{AccountID: s.account.ID, StoreID: s.store.ID, Source: store.SourceImport, Now: h.now,
				Edits: []store.StockEditItem{{OfferingID: s.rows[0].OfferingID, Quantity: 5}, {OfferingID: s.rows[1].OfferingID, Quantity: bad}}})
			wantErr(t, err, store.ErrInvalid, "quantity out of range")
		}
		for i, r := range h.inventory(t, s.account.ID, s.store.ID) {
			if r != s.rows[i] {
				t.Fatalf("a refused edit was written: %+v", r)
			}
		}
		if ev, err := h.db.StockEventList(ctx, &store.StockEventListParams{AccountID: s.account.ID, StoreID: s.store.ID}); err != nil || len(ev) != 0 {
			t.Fatalf("a refused edit left events: %+v", ev)
		}
		_, err := h.db.StockEdit(ctx, &store.StockEditParams{AccountID: s.account.ID, StoreID: s.store.ID, Source: store.SourceImport, Now: h.now,
			Edits: []store.StockEditItem{{OfferingID: s.rows[0].OfferingID, Quantity: 999}}})
		noErr(t, err, "quantity 999")
	},
	"OnCommitRollsBack": func(t *testing.T, h *harness) {
		ctx := t.Context()
		s := h.seller(t, "alice", 706)
		boom := errors.New("queue unavailable")
		var sawTx bool
		_, err := h.db.StockEdit(ctx, &store.StockEditParams{AccountID: s.account.ID, StoreID: s.store.ID, Source: store.SourceTUI, Now: h.now,
			Edits: []store.StockEditItem{{OfferingID: s.rows[0].OfferingID, Quantity: 1}, {OfferingID: s.rows[1].OfferingID, Quantity: 2}},
			OnCommit: func(ctx context.Context, tx store.Tx, rows []store.InventoryRow) error {
				sawTx = (tx.SQL() != nil || tx.Pgx() != nil) && len(rows) == 2 && rows[0].DesiredQuantity == 1 && rows[1].DesiredQuantity == 2
				return boom
			}})
		if !errors.Is(err, boom) {
			t.Fatalf("edit with a failing OnCommit: %v, want the callback's error", err)
		}
		if !sawTx {
			t.Fatal("OnCommit did not get the transaction and the edited rows")
		}
		for i, r := range h.inventory(t, s.account.ID, s.store.ID) {
			if r != s.rows[i] {
				t.Fatalf("edit survived its OnCommit failure: %+v", r)
			}
		}
		if ev, err := h.db.StockEventList(ctx, &store.StockEventListParams{AccountID: s.account.ID, StoreID: s.store.ID}); err != nil || len(ev) != 0 {
			t.Fatalf("rolled back edit left events: %+v", ev)
		}
	},
	"Thresholds": func(t *testing.T, h *harness) {
		ctx := t.Context()
		s := h.seller(t, "alice", 707)
		r := s.rows[0]
		l, o := 8, 12
		noErr(t, h.db.ThresholdSet(ctx, &store.ThresholdSetParams{AccountID: s.account.ID, StoreID: s.store.ID, ListingID: r.ListingID, Threshold: &l}), "listing threshold")
		noErr(t, h.db.ThresholdSet(ctx, &store.ThresholdSetParams{AccountID: s.account.ID, StoreID: s.store.ID, OfferingID: r.OfferingID, Threshold: &o}), "offering threshold")
		rows := h.inventory(t, s.account.ID, s.store.ID)
		if rows[0].Threshold != o || rows[1].Threshold != l || !rows[0].Low() {
			t.Fatalf("thresholds = %d, %d", rows[0].Threshold, rows[1].Threshold)
		}
		noErr(t, h.db.ThresholdSet(ctx, &store.ThresholdSetParams{AccountID: s.account.ID, StoreID: s.store.ID, OfferingID: r.OfferingID}), "clear")
		if got := h.row(t, r.OfferingID); got.Threshold != l {
			t.Fatalf("cleared threshold = %d, want the listing's %d", got.Threshold, l)
		}
		wantErr(t, h.db.ThresholdSet(ctx, &store.ThresholdSetParams{AccountID: s.account.ID, StoreID: s.store.ID, Threshold: &l}), store.ErrInvalid, "no target")
	},
}
