package app_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/internal/jobsfake"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/store/sqlstore"
	"github.com/stockroom/stockroom/store/storetest"
)

// countingDB counts the full reads of a store's cover rows, and the
// reads of the rows changed since a version.
type countingDB struct {
	store.DB
	reads, changedReads, removedReads int
	// missRemovals drops what CoverRowRemovedList finds, as a store
	// that kept no tombstones would (the test's own check).
	missRemovals bool
}

func (c *countingDB) CoverRowRemovedList(ctx context.Context, p *store.InventoryListParams, since int64) ([]int64, bool, error) {
	c.removedReads++
	ids, complete, err := c.DB.CoverRowRemovedList(ctx, p, since)
	if c.missRemovals {
		ids = nil
	}
	return ids, complete, err
}

func (c *countingDB) CoverRowList(ctx context.Context, p *store.InventoryListParams) ([]store.InventoryRow, error) {
	c.reads++
	return c.DB.CoverRowList(ctx, p)
}

func (c *countingDB) CoverRowChangedList(ctx context.Context, p *store.InventoryListParams, since int64) ([]store.InventoryRow, error) {
	c.changedReads++
	return c.DB.CoverRowChangedList(ctx, p, since)
}

// The dashboard (what `report` prints) keeps a store's rows while nothing
// changed, and after every kind of change shows exactly what a fresh read
// does: a stock edit, a sale, a synced title and quantity, a new listing,
// thresholds (a listing's, the store's default), a row removed, a listing
// and its rows removed. An edit, a sync, a new listing or a removal
// brings the kept rows up to date with the rows changed and removed
// alone; the store's default is applied to the kept rows with no read;
// rows kept from before the oldest removal on record are read again. On
// both databases.
func TestDashboardRowsAreNeverStale(t *testing.T) {
	dbs := map[string]func(t *testing.T) store.DB{
		"sqlite":   func(t *testing.T) store.DB { return storetest.OpenSQLite(t) },
		"postgres": func(t *testing.T) store.DB { return storetest.OpenPostgres(t) },
	}
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) { dashboardNeverStale(t, dbs[name](t)) })
	}
}

func dashboardNeverStale(t *testing.T, raw store.DB) {
	ctx := t.Context()
	clock := func() time.Time { return coverNow }
	db := &countingDB{DB: raw}
	svc := app.New(app.Config{Store: db, Hub: hub.New(), Jobs: &jobsfake.Queue{}, Now: clock})
	acct, err := db.AccountCreate(ctx, &store.AccountCreateParams{Name: "ada", Email: "ada@example.com", Fingerprint: "SHA256:ada", PublicKey: "ssh-ed25519 AAAAada"})
	if err != nil {
		t.Fatal(err)
	}
	owner := app.Actor{Account: acct, Fingerprint: "SHA256:ada", Source: store.SourceCommand}
	shop, err := db.StoreConnect(ctx, &store.StoreConnectParams{AccountID: acct.ID, EtsyShopID: 7, EtsyUserID: 8, Name: "Clay",
		Currency: "EUR", AccessToken: []byte("a"), RefreshToken: []byte("r"), TokenExpiresAt: coverNow.Add(time.Hour), Now: coverNow})
	if err != nil {
		t.Fatal(err)
	}
	page := listings(4, 10)
	for i := range page {
		page[i].CreatedAt = coverNow.AddDate(-1, 0, 0)
	}
	syncPage := func(page []store.ListingSnapshot) {
		t.Helper()
		if _, err := db.SyncListingsWrite(ctx, &store.SyncListingsWriteParams{StoreID: shop.ID, Listings: page, Now: coverNow}); err != nil {
			t.Fatal(err)
		}
	}
	syncPage(page)
	receipt := int64(0)
	sell := func(listingID int64, qty int) {
		t.Helper()
		receipt++
		if _, err := db.SyncReceiptsWrite(ctx, &store.SyncReceiptsWriteParams{StoreID: shop.ID, Now: coverNow,
			Receipts: []store.Receipt{sale(receipt, listingID, qty, coverNow.Add(-time.Hour))}}); err != nil {
			t.Fatal(err)
		}
	}
	sell(1000, 3)

	dash := func() app.Dashboard {
		t.Helper()
		d, err := svc.Dashboard(ctx, owner, app.DashboardParams{StoreID: shop.ID})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	// check compares the kept dashboard with a fresh Service's.
	check := func(step string) {
		t.Helper()
		got := dash()
		fresh := app.New(app.Config{Store: raw, Now: clock})
		want, err := fresh.Dashboard(ctx, owner, app.DashboardParams{StoreID: shop.ID})
		if err != nil {
			t.Fatal(err)
		}
		if got.Low != want.Low || got.Out != want.Out || got.Pending != want.Pending || got.Month != want.Month {
			t.Fatalf("%s: low/out/pending/month %d/%d/%d/%v, a fresh read says %d/%d/%d/%v", step,
				got.Low, got.Out, got.Pending, got.Month, want.Low, want.Out, want.Pending, want.Month)
		}
		if !slices.EqualFunc(got.Cover, want.Cover, func(a, b app.Cover) bool {
			return *a.Row == *b.Row && a.Units == b.Units && a.Revenue == b.Revenue && a.Days == b.Days && a.Restock == b.Restock
		}) {
			t.Fatalf("%s: cover differs from a fresh read:\n got %v\nwant %v", step, covers(got.Cover), covers(want.Cover))
		}
	}

	check("first")
	reads := db.reads
	check("unchanged")
	if db.reads != reads {
		t.Fatalf("an unchanged store was read again (%d reads, want %d)", db.reads, reads)
	}

	// kept checks a step brought the kept rows up to date with the rows
	// changed (full: read them all again).
	kept := func(step string, full bool) {
		t.Helper()
		reads, changed, removed := db.reads, db.changedReads, db.removedReads
		check(step)
		if full && db.reads != reads+1 || !full && (db.reads != reads || db.changedReads != changed+1 || db.removedReads != removed+1) {
			t.Fatalf("%s: %d full reads, %d of changed rows and %d of removed ones, want a %s", step,
				db.reads-reads, db.changedReads-changed, db.removedReads-removed,
				map[bool]string{true: "full read", false: "read of the changed and removed rows alone"}[full])
		}
	}
	// unread checks a step changed the kept rows with no read at all.
	unread := func(step string) {
		t.Helper()
		reads, changed, removed := db.reads, db.changedReads, db.removedReads
		check(step)
		if db.reads != reads || db.changedReads != changed || db.removedReads != removed {
			t.Fatalf("%s: %d full reads, %d of changed rows and %d of removed ones, want none", step,
				db.reads-reads, db.changedReads-changed, db.removedReads-removed)
		}
	}
	exec := func(query string, args ...any) {
		t.Helper()
		if _, err := raw.(interface{ Driver() sqlstore.Driver }).Driver().Exec(ctx, query, args...); err != nil {
			t.Fatal(err)
		}
	}
	count := func(step string, want int) {
		t.Helper()
		if got := dash(); len(got.Cover) != want {
			t.Fatalf("%s: %d rows, want %d", step, len(got.Cover), want)
		}
	}

	rows, err := svc.Inventory(ctx, owner, shop.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SetStock(ctx, owner, app.StockParams{StoreID: shop.ID, Source: store.SourceCommand,
		Edits: []store.StockEditItem{{OfferingID: rows[1].OfferingID, Version: rows[1].Version, Quantity: 1}}}); err != nil {
		t.Fatal(err)
	}
	kept("after a stock edit", false)

	sell(1002, 5)
	check("after a sale")

	page[2].Title = "Jug, renamed" // the listing's alone
	page[3].Title = "Mug, renamed"
	page[3].Products[0].Quantity = 2
	syncPage(page)
	kept("after synced titles and a quantity", false)

	syncPage(append(page, listings(6, 4)[4:]...))
	kept("after a new listing", false)

	nine := 9 // not the store's default
	if err := svc.SetThreshold(ctx, owner, store.ThresholdSetParams{StoreID: shop.ID, ListingID: rows[0].ListingID, Threshold: &nine}); err != nil {
		t.Fatal(err)
	}
	kept("after a listing's threshold", false)

	high := 50
	if _, err := svc.UpdateStoreSettings(ctx, owner, app.StoreSettings{StoreID: shop.ID, LowStockDefault: &high}); err != nil {
		t.Fatal(err)
	}
	unread("after the store's default threshold")
	low := 0
	if _, err := svc.UpdateStoreSettings(ctx, owner, app.StoreSettings{StoreID: shop.ID, LowStockDefault: &low}); err != nil {
		t.Fatal(err)
	}
	unread("after the store's default threshold again")

	// A row removed leaves no row to read as changed, but a tombstone; an
	// edit made at the same time still shows.
	if _, err := svc.SetStock(ctx, owner, app.StockParams{StoreID: shop.ID, Source: store.SourceCommand,
		Edits: []store.StockEditItem{{OfferingID: rows[2].OfferingID, Version: rows[2].Version, Quantity: 7}}}); err != nil {
		t.Fatal(err)
	}
	exec(`DELETE FROM offerings WHERE id = $1`, rows[0].OfferingID)
	kept("after a row removed", false)
	n := len(rows) + 2 // and the new listings' rows
	count("after a row removed", n-1)
	n--

	// A listing removed takes its product's row with it (the new one's:
	// none of rows).
	exec(`DELETE FROM listings WHERE store_id = $1 AND etsy_listing_id = 1004`, shop.ID)
	kept("after a listing removed", false)
	count("after a listing removed", n-1)
	n--

	// A removal and a threshold default at once.
	exec(`DELETE FROM offerings WHERE id = $1`, rows[1].OfferingID)
	if _, err := svc.UpdateStoreSettings(ctx, owner, app.StoreSettings{StoreID: shop.ID, LowStockDefault: &high}); err != nil {
		t.Fatal(err)
	}
	kept("after a row removed and the default threshold", false)
	count("after a row removed and the default threshold", n-1)
	n--

	d := raw.(interface{ Driver() sqlstore.Driver }).Driver()
	tombstones := func() (k int) {
		t.Helper()
		if err := d.QueryRow(ctx, `SELECT COUNT(*) FROM inventory_removals WHERE store_id = $1`, shop.ID).Scan(&k); err != nil {
			t.Fatal(err)
		}
		return k
	}
	if k := tombstones(); k < 3 {
		t.Fatalf("%d tombstones after 3 rows removed", k)
	}

	// Rows kept from before the oldest tombstone on record are read again.
	exec(`UPDATE inventory_versions SET removals_pruned = 9000000000000000000 WHERE store_id = $1`, shop.ID)
	exec(`DELETE FROM offerings WHERE id = $1`, rows[2].OfferingID)
	kept("after the tombstones were pruned", true)
	count("after the tombstones were pruned", n-1)
	n--

	// Tombstones do not pile up: a removal a million versions on (writes
	// to the store, on SQLite) prunes the older ones.
	if d.Name() == "sqlite" {
		exec(`UPDATE inventory_versions SET removals_pruned = 0 WHERE store_id = $1`, shop.ID)
		exec(`DELETE FROM inventory_removals WHERE store_id = $1`, shop.ID)
		exec(`DELETE FROM listings WHERE store_id = $1 AND etsy_listing_id = 1005`, shop.ID)
		if k := tombstones(); k != 1 {
			t.Fatalf("%d tombstones after a removal, want 1", k)
		}
		kept("after a removal past the pruned ones", false)
		count("after a removal past the pruned ones", n-1)
		n--
		exec(`UPDATE inventory_versions SET version = version + 2000000 WHERE store_id = $1`, shop.ID)
		exec(`DELETE FROM offerings WHERE id = $1`, rows[3].OfferingID)
		if k := tombstones(); k != 1 {
			t.Fatalf("%d tombstones after a removal a million versions on, want 1", k)
		}
		kept("after old tombstones were pruned", true)
		count("after old tombstones were pruned", n-1)
	}

	reads = db.reads
	check("unchanged again")
	if db.reads != reads {
		t.Fatalf("an unchanged store was read again (%d reads, want %d)", db.reads, reads)
	}
}

// covers is cover as (sku, shown stock, units, threshold, title) for a
// failure message.
func covers(cs []app.Cover) [][]any {
	out := make([][]any, len(cs))
	for i, c := range cs {
		out[i] = []any{c.Row.SKU, c.Row.Shown(), c.Units, c.Row.Threshold, c.Row.Title}
	}
	return out
}
