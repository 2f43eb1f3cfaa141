package home

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/tui/common"
	"github.com/stockroom/stockroom/tui/internal/tuitest"
)

type V = tuitest.Variation

// sell writes one receipt of qty units of a tuitest.Listing product at
// 25.00, ago before the fixed clock.
func sell(t testing.TB, env *tuitest.Env, storeID, receiptID, listing int64, product int, qty int, ago time.Duration) {
	t.Helper()
	at := tuitest.Epoch.Add(-ago)
	_, err := env.DB.SyncReceiptsWrite(t.Context(), &store.SyncReceiptsWriteParams{StoreID: storeID, Receipts: []store.Receipt{{
		EtsyReceiptID: receiptID, Status: "paid", CreatedAt: at, UpdatedAt: at,
		Items: []store.ReceiptItem{{EtsyTransactionID: receiptID, EtsyListingID: listing, EtsyProductID: listing*10 + int64(product),
			Quantity: qty, Price: store.Money{Amount: 2500, Divisor: 100, Currency: "USD"}}},
	}}})
	if err != nil {
		t.Fatal(err)
	}
}

// open is the owner's Home screen at 120×40, shown and loaded.
func open(t testing.TB, env *tuitest.Env) *Model {
	t.Helper()
	m := New(env.Common(env.Owner, 120, 40))
	m.SetShown(true)
	tuitest.Settle(t, m, m.SetStore(env.StoreID))
	return m
}

// A hidden Home screen loads nothing; shown, it loads what it missed.
func TestHomeLoadsOnlyWhenShown(t *testing.T) {
	env := tuitest.New(t, []store.ListingSnapshot{tuitest.Listing(101, "Mug", V{SKU: "MUG", Quantity: 9})}, tuitest.Options{})
	m := New(env.Common(env.Owner, 120, 40))
	if cmd := m.SetStore(env.StoreID); cmd != nil {
		t.Fatal("a hidden Home screen loads on a store change")
	}
	if _, cmd := m.Update(common.LiveMsg{Event: hub.Event{Kind: hub.StockChanged, StoreID: env.StoreID}}); cmd != nil {
		t.Fatal("a hidden Home screen loads on a live event")
	}
	tuitest.Settle(t, m, m.SetShown(true))
	if m.Dashboard() == nil {
		t.Fatal("shown, the Home screen did not load")
	}
	m.SetShown(false)
	tuitest.Settle(t, m, m.SetShown(true))
}

func TestHomeShowsSalesStockAndWhatRunsOutFirst(t *testing.T) {
	hostile := "Mug \x1b]52;c;SGVsbG8=\x07 \x1b[2J end"
	env := tuitest.New(t, []store.ListingSnapshot{
		tuitest.Listing(101, hostile, V{Name: "Colour: Oat", SKU: "MUG-OAT", Quantity: 2}),
		tuitest.Listing(102, "Linen tote bag", V{Name: "Size: Large", SKU: "TOTE-L", Quantity: 30}),
		tuitest.Listing(103, "Beeswax candle", V{SKU: "CANDLE", Quantity: 0}),
	}, tuitest.Options{})
	sell(t, env, env.StoreID, 1, 101, 0, 3, time.Hour)       // today
	sell(t, env, env.StoreID, 2, 102, 0, 1, 2*24*time.Hour)  // this week
	sell(t, env, env.StoreID, 3, 101, 0, 3, 20*24*time.Hour) // this month
	m := open(t, env)

	f := ansi.Strip(m.View())
	for _, want := range []string{"Home · Olive's Pottery", "Today            3           75.00 USD", "7 days           4          100.00 USD",
		"30 days          7          175.00 USD", "2 low", "1 out of stock", "0 pending pushes", "never synced",
		"Etsy budget unknown", "Top sellers", "Runs out first"} {
		if !strings.Contains(f, want) {
			t.Errorf("home lacks %q:\n%s", want, f)
		}
	}
	// MUG-OAT: 6 sold in 30 days, 2 left: 10 days of cover, 4 to restock
	// for the 30-day target; it runs out before the tote.
	first := m.Dashboard().RunsOutFirst(5)
	if len(first) != 2 || first[0].Row.SKU != "MUG-OAT" || first[0].Restock != 4 || first[1].Row.SKU != "TOTE-L" {
		t.Fatalf("runs out first = %+v", first)
	}
	mug := strings.Index(f, "MUG-OAT")
	if mug < 0 || !strings.Contains(f[mug:], "10d") || strings.Index(f[strings.Index(f, "Runs out first"):], "TOTE-L") < 0 {
		t.Errorf("runs out first is not drawn in order:\n%s", f)
	}
	for _, bad := range []string{"\x1b]", "\x1b[2J", "\x07"} {
		if strings.Contains(m.View(), bad) {
			t.Errorf("home draws %q from Etsy", bad)
		}
	}
	if !strings.Contains(m.View(), "▁") && !strings.Contains(m.View(), "█") {
		t.Errorf("no sparkline:\n%s", f)
	}
}

func TestHomeAddsUpAllStoresAndFollowsSales(t *testing.T) {
	env := tuitest.New(t, []store.ListingSnapshot{tuitest.Listing(101, "Mug", V{SKU: "MUG", Quantity: 9})}, tuitest.Options{})
	other, err := env.DB.StoreConnect(t.Context(), &store.StoreConnectParams{AccountID: env.Owner.Account.ID, EtsyShopID: 777,
		Name: "Second shop", Currency: "USD", AccessToken: []byte("s"), RefreshToken: []byte("s"), Now: tuitest.Epoch})
	if err != nil {
		t.Fatal(err)
	}
	sell(t, env, env.StoreID, 1, 101, 0, 1, time.Hour)
	sell(t, env, other.ID, 2, 555, 0, 2, time.Hour)
	m := open(t, env)
	if got := m.Dashboard().Today.Units; got != 1 {
		t.Fatalf("this store sold %d today, want 1", got)
	}
	tuitest.Press(t, m, "space")
	if d := m.Dashboard(); d.Today.Units != 3 || len(d.Stores) != 2 || !strings.Contains(ansi.Strip(m.View()), "Home · All stores") {
		t.Fatalf("all stores: %d units, %d stores\n%s", d.Today.Units, len(d.Stores), ansi.Strip(m.View()))
	}
	tuitest.Press(t, m, "space")

	// A sync brings a sale in and records itself: the screen reloads on
	// its own, past the sums it had.
	sell(t, env, env.StoreID, 3, 101, 0, 4, time.Minute)
	synced := tuitest.Epoch
	if err := env.DB.StoreSetSyncState(t.Context(), &store.StoreSetSyncStateParams{StoreID: env.StoreID, LastSyncAt: &synced}); err != nil {
		t.Fatal(err)
	}
	_, cmd := m.Update(common.LiveMsg{Event: hub.Event{Kind: hub.SyncFinished, StoreID: env.StoreID}})
	tuitest.Settle(t, m, cmd)
	if got := m.Dashboard().Today.Units; got != 5 {
		t.Fatalf("after the sync: %d units today, want 5", got)
	}
}
