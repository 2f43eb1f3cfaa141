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
	reads, changedReads int
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
// thresholds (a listing's, the store's default), a row removed. An edit,
// a sync or a new listing brings the kept rows up to date with the rows
// changed alone; a row removed or the store's default reads them all
// again. On both databases.
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
		reads, changed := db.reads, db.changedReads
		check(step)
		if full && db.reads != reads+1 || !full && (db.reads != reads || db.changedReads != changed+1) {
			t.Fatalf("%s: %d full reads and %d of changed rows, want a %s", step, db.reads-reads, db.changedReads-changed,
				map[bool]string{true: "full read", false: "read of the changed rows alone"}[full])
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
	kept("after the store's default threshold", true)

	// A row removed leaves no row to read as changed; an edit made at the
	// same time still shows.
	if _, err := svc.SetStock(ctx, owner, app.StockParams{StoreID: shop.ID, Source: store.SourceCommand,
		Edits: []store.StockEditItem{{OfferingID: rows[2].OfferingID, Version: rows[2].Version, Quantity: 7}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.(interface{ Driver() sqlstore.Driver }).Driver().Exec(ctx, `DELETE FROM offerings WHERE id = $1`, rows[0].OfferingID); err != nil {
		t.Fatal(err)
	}
	kept("after a row removed", true)
	if got := dash(); len(got.Cover) != len(rows)+1 {
		t.Fatalf("after a row removed: %d rows, want %d", len(got.Cover), len(rows)+1)
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
