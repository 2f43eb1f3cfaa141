package storetest

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"testing"

	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/store/sqlstore"
)

func (h *harness) inventoryVersion(t *testing.T, s seller) int64 {
	t.Helper()
	return h.inventoryMark(t, s).Version
}

func (h *harness) inventoryMark(t *testing.T, s seller) store.InventoryVersion {
	t.Helper()
	v, err := h.db.InventoryVersion(t.Context(), s.store.ID)
	noErr(t, err, "inventory version")
	return v
}

// changedSince is CoverRowChangedList by SKU, checked to be in offering
// id order.
func (h *harness) changedSince(t *testing.T, s seller, since int64) map[string]store.InventoryRow {
	t.Helper()
	rows, err := h.db.CoverRowChangedList(t.Context(), &store.InventoryListParams{AccountID: s.account.ID, StoreID: s.store.ID}, since)
	noErr(t, err, "changed cover rows")
	if !slices.IsSortedFunc(rows, func(a, b store.InventoryRow) int { return cmp.Compare(a.OfferingID, b.OfferingID) }) {
		t.Fatalf("changed cover rows not in offering id order")
	}
	return bySKU(rows)
}

// skus are the keys of rows, sorted.
func skus(rows map[string]store.InventoryRow) []string {
	out := make([]string, 0, len(rows))
	for k := range rows {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func isSubset(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

// exec runs a statement on the database itself, for a write no store
// method makes (removing a row).
func (h *harness) exec(t *testing.T, query string, args ...any) {
	t.Helper()
	d, ok := h.db.(interface{ Driver() sqlstore.Driver })
	if !ok {
		t.Skip("the store does not expose its driver")
	}
	_, err := d.Driver().Exec(t.Context(), query, args...)
	noErr(t, err, query)
}

var inventoryVersionTests = map[string]func(t *testing.T, h *harness){
	// Every write a reader of the rows would see moves the version; a
	// write that changes nothing shown, or another store's write, does not.
	"MovesWithEveryVisibleChange": func(t *testing.T, h *harness) {
		s := h.seller(t, "ada", 71)
		other := h.seller(t, "bob", 72)
		v := h.inventoryVersion(t, s)
		if v == 0 {
			t.Fatalf("inventory version after the first sync is 0")
		}
		otherV := h.inventoryVersion(t, other)
		step := func(name string, wantMoved bool) {
			t.Helper()
			got := h.inventoryVersion(t, s)
			if moved := got != v; moved != wantMoved {
				t.Fatalf("%s: version %d → %d, want moved=%v", name, v, got, wantMoved)
			}
			v = got
		}
		l := listing(71*10, 3, 10)
		h.write(t, s.store.ID, l)
		step("the same listing synced again", false)

		h.edit(t, s, s.rows[0].OfferingID, s.rows[0].Version, 4)
		step("a stock edit", true)

		noErr(t, h.db.ThresholdSet(t.Context(), &store.ThresholdSetParams{AccountID: s.account.ID, StoreID: s.store.ID,
			ListingID: s.rows[0].ListingID, Threshold: new(7)}), "listing threshold")
		step("a listing's threshold", true)

		noErr(t, h.db.ThresholdSet(t.Context(), &store.ThresholdSetParams{AccountID: s.account.ID, StoreID: s.store.ID,
			OfferingID: s.rows[1].OfferingID, Threshold: new(2)}), "offering threshold")
		step("an offering's threshold", true)

		l.Title = "Hand-thrown mug, renamed"
		h.write(t, s.store.ID, l)
		step("a title synced", true)

		l.Products[2].Quantity = 1
		h.write(t, s.store.ID, l)
		step("Etsy's quantity synced", true)

		h.write(t, s.store.ID, l, listing(71*10+1, 2, 5))
		step("a new listing", true)

		_, err := h.db.SyncListingsMarkGone(t.Context(), s.store.ID, []int64{l.EtsyListingID})
		noErr(t, err, "mark gone")
		step("a listing gone", true)

		if got := h.inventoryVersion(t, other); got != otherV {
			t.Fatalf("another store's version moved %d → %d", otherV, got)
		}
	},
	// The rows changed since a version are every row whose offering,
	// product or listing was written as a reader sees it, and none of the
	// others; removing a row leaves a tombstone CoverRowRemovedList lists.
	"ChangedRowsSinceAVersion": func(t *testing.T, h *harness) {
		s := h.seller(t, "ada", 73)
		other := h.seller(t, "bob", 74)
		quiet, renamed := listing(73*10+1, 2, 5), listing(73*10+2, 2, 5)
		h.write(t, s.store.ID, quiet, renamed)
		start := h.inventoryMark(t, s)
		otherStart := h.inventoryMark(t, other)
		if got := h.changedSince(t, s, start.Since); len(got) != 0 && h.db.Dialect() == "sqlite" {
			t.Fatalf("rows changed before any write: %v", skus(got))
		}
		// step checks the rows changed since: each as a full read has it,
		// the changed ones among them, and on SQLite, where the stamp is
		// the version, no other. PostgreSQL's stamp is a transaction id,
		// and since is the oldest transaction running anywhere on the
		// server: it may list rows written a little before.
		step := func(name string, since int64, want ...string) {
			t.Helper()
			changed := h.changedSince(t, s, since)
			got := skus(changed)
			if h.db.Dialect() == "sqlite" && !slices.Equal(got, want) || !isSubset(want, got) {
				t.Fatalf("%s: changed rows %v, want %v", name, got, want)
			}
			all, err := h.db.CoverRowList(t.Context(), &store.InventoryListParams{AccountID: s.account.ID, StoreID: s.store.ID})
			noErr(t, err, "cover rows")
			fresh := bySKU(all)
			for sku, r := range changed {
				if r != fresh[sku] {
					t.Fatalf("%s: changed row %+v, a full read has %+v", name, r, fresh[sku])
				}
			}
		}

		h.write(t, s.store.ID, quiet)
		h.write(t, s.store.ID, listing(73*10, 3, 10))
		step("the same listings synced again", start.Since)

		h.edit(t, s, s.rows[1].OfferingID, s.rows[1].Version, 4)
		step("a stock edit", start.Since, s.rows[1].SKU)

		mid := h.inventoryMark(t, s)
		renamed.Title = "Bowl, renamed"
		h.write(t, s.store.ID, renamed)
		step("a title synced, since the edit", mid.Since, "MUG-732-0", "MUG-732-1")
		step("a title synced, since the start", start.Since, s.rows[1].SKU, "MUG-732-0", "MUG-732-1")

		mid = h.inventoryMark(t, s)
		gone := listing(73*10, 3, 10)
		gone.Products = gone.Products[:2] // the third product is gone from Etsy
		h.write(t, s.store.ID, gone)
		h.write(t, s.store.ID, listing(73*10+3, 1, 2))
		step("a product gone and a new listing", mid.Since, "MUG-730-2", "MUG-733-0")
		if got := h.changedSince(t, s, mid.Since)["MUG-730-2"]; !got.Gone {
			t.Fatalf("the product gone from Etsy is listed as %+v", got)
		}

		mid = h.inventoryMark(t, s)
		noErr(t, h.db.ThresholdSet(t.Context(), &store.ThresholdSetParams{AccountID: s.account.ID, StoreID: s.store.ID,
			ListingID: s.rows[0].ListingID, Threshold: new(7)}), "listing threshold")
		step("a listing's threshold", mid.Since, "MUG-730-0", "MUG-730-1", "MUG-730-2")

		now := h.inventoryMark(t, s)
		if now.Removed != start.Removed {
			t.Fatalf("removed moved %d → %d with no row removed", start.Removed, now.Removed)
		}
		// A removal moves the version and leaves a tombstone, not Removed:
		// the offering, or a listing's through its products.
		h.exec(t, `DELETE FROM offerings WHERE id = $1`, s.rows[2].OfferingID)
		if v := h.inventoryMark(t, s); v.Removed != now.Removed || v.Version == now.Version {
			t.Fatalf("an offering removed: version %d → %d, removed %d → %d", now.Version, v.Version, now.Removed, v.Removed)
		}
		removed := func(since int64) []int64 {
			t.Helper()
			ids, complete, err := h.db.CoverRowRemovedList(t.Context(), &store.InventoryListParams{AccountID: s.account.ID, StoreID: s.store.ID}, since)
			noErr(t, err, "removed cover rows")
			if !complete {
				t.Fatalf("removals since %d: the record does not reach back", since)
			}
			slices.Sort(ids)
			return ids
		}
		if got := removed(now.Since); !slices.Equal(got, []int64{s.rows[2].OfferingID}) {
			t.Fatalf("removed since the mark: %v, want [%d]", got, s.rows[2].OfferingID)
		}
		quietRows := h.cover(t, s, quiet.EtsyListingID)
		mid = h.inventoryMark(t, s)
		h.exec(t, `DELETE FROM listings WHERE etsy_listing_id = $1 AND store_id = $2`, quiet.EtsyListingID, s.store.ID)
		if v := h.inventoryMark(t, s); v.Removed != now.Removed || v.Version == mid.Version {
			t.Fatalf("a listing removed: version %d → %d, removed %d → %d", mid.Version, v.Version, now.Removed, v.Removed)
		}
		if got := removed(mid.Since); !isSubset(idStrings(quietRows), idStrings(got)) ||
			h.db.Dialect() == "sqlite" && len(got) != len(quietRows) {
			t.Fatalf("removed with the listing: %v, want its rows %v", got, quietRows)
		}
		if got := removed(now.Since); len(got) < len(quietRows)+1 {
			t.Fatalf("removed since the first mark: %v, want the offering and the listing's %v", got, quietRows)
		}
		if got := removed(h.inventoryMark(t, s).Since); len(got) != 0 && h.db.Dialect() == "sqlite" {
			t.Fatalf("removed since now: %v", got)
		}
		// Pruned past a reader's mark: the record is incomplete.
		h.exec(t, `UPDATE inventory_versions SET removals_pruned = $1 WHERE store_id = $2`, now.Since+1, s.store.ID)
		if _, complete, err := h.db.CoverRowRemovedList(t.Context(), &store.InventoryListParams{AccountID: s.account.ID, StoreID: s.store.ID}, now.Since); err != nil || complete {
			t.Fatalf("removals since a pruned mark: complete %v, %v", complete, err)
		}

		if got := h.inventoryMark(t, other); got.Version != otherStart.Version || got.Removed != otherStart.Removed {
			t.Fatalf("another store's version moved %+v → %+v", otherStart, got)
		}
		if got := skus(h.changedSince(t, other, otherStart.Since)); len(got) != 0 && h.db.Dialect() == "sqlite" {
			t.Fatalf("another store's rows changed: %v", got)
		}
	},

	// A write under way while a reader reads the version and the rows,
	// committed after, is among the rows changed since that version: the
	// rows read lack it, and a reader bringing them up to date must not.
	// Where writers run side by side (PostgreSQL), a later write committed
	// meanwhile does not hide it.
	"ChangedRowsIncludeAWriteCommittedAfterTheRead": func(t *testing.T, h *harness) {
		s := h.seller(t, "ada", 75)
		other := h.seller(t, "bob", 76)
		ctx := t.Context()
		l := listing(75*10, 3, 10)
		l.Title = "Jug, renamed"
		written, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
		go func() {
			_, err := h.db.SyncListingsWrite(ctx, &store.SyncListingsWriteParams{StoreID: s.store.ID, Listings: []store.ListingSnapshot{l}, Now: h.now,
				OnCommit: func(context.Context, store.Tx, store.SyncWriteResult) error {
					close(written)
					<-release
					return nil
				}})
			done <- err
		}()
		select {
		case <-written:
		case err := <-done:
			t.Fatalf("sync write: %v", err)
		}
		if h.db.Dialect() != "sqlite" {
			h.edit(t, other, other.rows[0].OfferingID, other.rows[0].Version, 1)
		}
		v := h.inventoryMark(t, s)
		rows, err := h.db.CoverRowList(ctx, &store.InventoryListParams{AccountID: s.account.ID, StoreID: s.store.ID})
		close(release)
		noErr(t, err, "cover rows")
		noErr(t, <-done, "sync write")
		if len(rows) != 3 || rows[0].Title == l.Title {
			t.Fatalf("the rows read during the write: %+v, want the old title", rows)
		}
		if after := h.inventoryMark(t, s); after.Version == v.Version {
			t.Fatalf("the write committed after the read left the version at %d", v.Version)
		}
		got := h.changedSince(t, s, v.Since)
		if len(got) != 3 {
			t.Fatalf("changed since the read: %v, want the three renamed rows", skus(got))
		}
		for _, r := range got {
			if r.Title != l.Title {
				t.Fatalf("changed row %s titled %q, want %q", r.SKU, r.Title, l.Title)
			}
		}
	},
}

// cover is the offering ids of a listing's cover rows.
func (h *harness) cover(t *testing.T, s seller, etsyListingID int64) []int64 {
	t.Helper()
	all, err := h.db.CoverRowList(t.Context(), &store.InventoryListParams{AccountID: s.account.ID, StoreID: s.store.ID})
	noErr(t, err, "cover rows")
	var ids []int64
	for _, r := range all {
		if r.EtsyListingID == etsyListingID {
			ids = append(ids, r.OfferingID)
		}
	}
	if len(ids) == 0 {
		t.Fatalf("no cover rows of listing %d", etsyListingID)
	}
	return ids
}

func idStrings(ids []int64) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = strconv.FormatInt(id, 10)
	}
	return out
}
