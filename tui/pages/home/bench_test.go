package home

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/command"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/tui/internal/tuitest"
)

// A 50,000-variation shop (10,000 listings of 5) with 200,000 receipt
// lines over the last 30 days.
const benchListings, benchVariations, benchLines = 10_000, 5, 200_000

func benchEnv(b *testing.B) *tuitest.Env {
	b.Helper()
	env := tuitest.New(b, tuitest.Catalogue(benchListings, benchVariations), tuitest.Options{})
	env.Sales(b, env.StoreID, benchListings, benchVariations, benchLines)
	// The first read of a day moves the kept 30-day sums to it (here from
	// the day the receipts began); the screens below read after that.
	if _, err := env.App.Dashboard(context.Background(), env.Owner, app.DashboardParams{StoreID: env.StoreID}); err != nil {
		b.Fatal(err)
	}
	return env
}

// benchHome is the Home screen of the bench shop, loaded.
func benchHome(b *testing.B) (*tuitest.Env, *Model) {
	env := benchEnv(b)
	m := open(b, env)
	b.ReportAllocs()
	b.ResetTimer()
	return env, m
}

// BenchmarkHome is a reload of the Home screen at 120×40, as a live event
// causes: the dashboard computed from the session's shared snapshot and
// the sales sums (kept since the last sync), then the frame.
func BenchmarkHome(b *testing.B) {
	env := benchEnv(b)
	m := open(b, env)
	if d := m.Dashboard(); d == nil || len(d.Cover) != benchListings*benchVariations || d.Month.Units == 0 {
		b.Fatalf("dashboard not loaded: %v", m.err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		tuitest.Settle(b, m, m.load())
		_ = m.View()
	}
}

// BenchmarkHomeAfterSync is the Home screen's load after a sync that
// brought no sale: the sales sums kept since the last read still hold.
func BenchmarkHomeAfterSync(b *testing.B) {
	env, m := benchHome(b)
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		synced := tuitest.Epoch.Add(-time.Duration(i+1) * time.Second)
		if err := env.DB.StoreSetSyncState(context.Background(), &store.StoreSetSyncStateParams{StoreID: env.StoreID, LastSyncAt: &synced}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		tuitest.Settle(b, m, m.load())
		_ = m.View()
	}
}

// BenchmarkHomeAfterSale is the Home screen's load after a sync that
// brought a sale: the kept sums moved, so every product's are read again.
func BenchmarkHomeAfterSale(b *testing.B) {
	env, m := benchHome(b)
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		at := tuitest.Epoch.Add(-time.Duration(i+1) * time.Minute)
		id := int64(10_000_000 + i)
		sale := store.Receipt{EtsyReceiptID: id, Status: "paid", CreatedAt: at, UpdatedAt: at, Items: []store.ReceiptItem{{
			EtsyTransactionID: id, EtsyListingID: 1_000_000, EtsyProductID: 10_000_000, SKU: "SR-000000-00", Quantity: 1,
			Price: store.Money{Amount: 2500, Divisor: 100, Currency: "USD"}}}}
		if _, err := env.DB.SyncReceiptsWrite(context.Background(), &store.SyncReceiptsWriteParams{StoreID: env.StoreID,
			Receipts: []store.Receipt{sale}}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		tuitest.Settle(b, m, m.load())
		_ = m.View()
	}
	if d := m.Dashboard(); d == nil || d.Today.Units == 0 && d.Month.Units == 0 {
		b.Fatalf("dashboard not loaded: %v", m.err)
	}
}

// BenchmarkReport is `report --format json` on the same shop: the same
// dashboard, encoded with every variation's cover.
func BenchmarkReport(b *testing.B) {
	benchReportAfter(b, nil)
}

// BenchmarkReportAfterEdit is `report --format json` right after a seller
// changed one row's stock: the store's inventory version moved, so the
// report cannot answer from the rows it kept.
func BenchmarkReportAfterEdit(b *testing.B) {
	benchReportAfter(b, func(ctx context.Context, env *tuitest.Env, r store.InventoryRow, i int) error {
		_, err := env.DB.StockEdit(ctx, &store.StockEditParams{AccountID: env.Owner.Account.ID, StoreID: env.StoreID,
			Source: store.SourceCommand, Now: tuitest.Epoch, Edits: []store.StockEditItem{{OfferingID: r.OfferingID, Quantity: (r.Quantity + i + 1) % 999}}})
		return err
	})
}

// BenchmarkReportAfterRemoval is `report --format json` right after a row
// left the shop: no changed row tells of it, its tombstone does, and the
// report drops it from the rows it kept.
func BenchmarkReportAfterRemoval(b *testing.B) {
	benchReportAfter(b, func(ctx context.Context, env *tuitest.Env, r store.InventoryRow, _ int) error {
		_, err := env.DB.Driver().Exec(ctx, `DELETE FROM offerings WHERE id = $1`, r.OfferingID)
		return err
	})
}

// BenchmarkReportAfterDefault is `report --format json` right after the
// store's default threshold changed: the kept rows that follow it are
// moved to the new one, none read again.
func BenchmarkReportAfterDefault(b *testing.B) {
	benchReportAfter(b, func(ctx context.Context, env *tuitest.Env, _ store.InventoryRow, i int) error {
		def := 3 + i%5
		_, err := env.App.UpdateStoreSettings(ctx, env.Owner, app.StoreSettings{StoreID: env.StoreID, LowStockDefault: &def})
		return err
	})
}

// benchReportAfter times `report --format json` on the bench shop, once
// warmed up, each time right after change (untimed) changed the shop; i
// counts the runs and r is a different row of the shop each run. A nil
// change times the report of an unchanged shop.
func benchReportAfter(b *testing.B, change func(ctx context.Context, env *tuitest.Env, r store.InventoryRow, i int) error) {
	env := benchEnv(b)
	ctx := context.Background()
	rows, err := env.DB.InventoryList(ctx, &store.InventoryListParams{AccountID: env.Owner.Account.ID, StoreID: env.StoreID})
	if err != nil || len(rows) == 0 {
		b.Fatalf("inventory: %d rows, %v", len(rows), err)
	}
	run := func() {
		if code := command.Run(ctx, command.Env{App: env.App, Actor: env.Owner, Stdout: io.Discard, Stderr: io.Discard},
			[]string{"report", "--format", "json"}); code != 0 {
			b.Fatalf("report exited %d", code)
		}
	}
	run()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if change != nil {
			b.StopTimer()
			if err := change(ctx, env, rows[i%len(rows)], i); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		run()
	}
}

// BenchmarkReportFirst is the first `report --format json` of a server
// just started: nothing kept, every row and the sales sums read.
func BenchmarkReportFirst(b *testing.B) {
	env := benchEnv(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		fresh := app.New(app.Config{Store: env.DB, Jobs: env.Jobs, Hub: env.Hub, Now: func() time.Time { return tuitest.Epoch }})
		b.StartTimer()
		if code := command.Run(ctx, command.Env{App: fresh, Actor: env.Owner, Stdout: io.Discard, Stderr: io.Discard},
			[]string{"report", "--format", "json"}); code != 0 {
			b.Fatalf("report exited %d", code)
		}
	}
}
