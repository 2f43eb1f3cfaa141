package sales

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/tui/internal/tuitest"
)

var now = tuitest.Noon

// receipts writes rs into Ada's shop f, as a sync does.
func receipts(t *testing.T, f *tuitest.Shop, rs ...store.Receipt) {
	t.Helper()
	if _, err := f.DB.SyncReceiptsWrite(t.Context(), &store.SyncReceiptsWriteParams{StoreID: f.Store.ID, Receipts: rs}); err != nil {
		t.Fatal(err)
	}
}

func receipt(id int64, age time.Duration, status, buyer, message string) store.Receipt {
	at := now.Add(-age)
	return store.Receipt{EtsyReceiptID: id, Status: status, BuyerName: buyer, Message: message, IsPaid: true,
		Total: store.Money{Amount: 4850, Divisor: 100, Currency: "EUR"}, CreatedAt: at, UpdatedAt: at,
		Items: []store.ReceiptItem{{EtsyTransactionID: id * 10, EtsyListingID: 1, EtsyProductID: 2, SKU: "MUG-BLUE",
			Title: "Stoneware mug", Variation: "Blue", Quantity: 2, Price: store.Money{Amount: 2425, Divisor: 100, Currency: "EUR"}}},
	}
}

func ids(m *Model) []int64 {
	return tuitest.Map(m.Receipts(), func(r store.Receipt) int64 { return r.EtsyReceiptID })
}

func TestNewestFirstAndFilters(t *testing.T) {
	f := tuitest.NewShop(t, now)
	receipts(t, f,
		receipt(1, 40*24*time.Hour, "completed", "Old Buyer", ""),
		receipt(2, 2*time.Hour, "paid", "Bea", ""),
		receipt(3, 3*24*time.Hour, "open", "Cy", ""),
		receipt(4, 10*24*time.Hour, "paid", "Dee", ""),
		receipt(5, 1*time.Hour, "canceled", "Eve", ""),
	)
	m := tuitest.OpenShop(t, f, New)
	if got := ids(m); !slices.Equal(got, []int64{5, 2, 3, 4}) {
		t.Fatalf("last 30 days = %v, want newest first [5 2 3 4]", got)
	}
	tuitest.Press(t, m, "left")
	if m.PeriodDays() != 7 || !slices.Equal(ids(m), []int64{5, 2, 3}) {
		t.Fatalf("last %d days = %v, want [5 2 3]", m.PeriodDays(), ids(m))
	}
	tuitest.Press(t, m, "right", "right", "right")
	if m.PeriodDays() != 0 || !slices.Equal(ids(m), []int64{5, 2, 3, 4, 1}) {
		t.Fatalf("all time = %v", ids(m))
	}
	tuitest.Press(t, m, "/")
	if m.StatusFilter() != "paid" || !slices.Equal(ids(m), []int64{2, 4}) {
		t.Fatalf("status %q = %v, want paid [2 4]", m.StatusFilter(), ids(m))
	}
	tuitest.Press(t, m, "/")
	if m.StatusFilter() != "completed" || !slices.Equal(ids(m), []int64{1}) {
		t.Fatalf("status %q = %v, want completed [1]", m.StatusFilter(), ids(m))
	}
	view := tuitest.Plain(m)
	if !strings.Contains(view, "status: completed") || !strings.Contains(view, "· 1 receipt\n") || !strings.Contains(view, "Old Buyer") || strings.Contains(view, "Bea") {
		t.Fatalf("view does not show the completed filter:\n%s", view)
	}
	tuitest.Press(t, m, "/", "/", "/", "/", "/", "/")
	if m.StatusFilter() != "" || len(ids(m)) != 5 {
		t.Fatalf("status cycle did not return to all: %q %v", m.StatusFilter(), ids(m))
	}
}

func TestExpandShowsItemsAndSanitisedMessage(t *testing.T) {
	f := tuitest.NewShop(t, now)
	hostile := "Please gift wrap\x1b]52;c;cm0gLXJmIH4=\x07 thanks\nsecond line\x1b[2J\u202eevil"
	receipts(t, f,
		receipt(10, time.Hour, "paid", "Mallory\x1b[31m Red", hostile),
		receipt(11, 2*time.Hour, "paid", "Bea", ""),
	)
	m := tuitest.OpenShop(t, f, New)
	view := m.View()
	if strings.Contains(view, "Stoneware mug") {
		t.Fatal("items shown before the receipt is expanded")
	}
	tuitest.Press(t, m, "enter")
	view = m.View()
	plain := tuitest.Plain(m)
	for _, want := range []string{"2 × Stoneware mug — Blue", "SKU MUG-BLUE", "24.25 EUR", "48.50 EUR", "Message: Please gift wrap thanks", "second lineevil", "Mallory Red"} {
		if !strings.Contains(plain, want) {
			t.Errorf("expanded view lacks %q:\n%s", want, plain)
		}
	}
	for _, bad := range []string{"\x1b]52", "\x1b[2J", "\x1b[31m Red", "\u202e", "\a"} {
		if strings.Contains(view, bad) {
			t.Errorf("view carries %q from the buyer", bad)
		}
	}
	// Enter on the receipt again folds it.
	tuitest.Press(t, m, "enter")
	if strings.Contains(m.View(), "Stoneware mug") {
		t.Fatal("enter did not fold the receipt")
	}
	// Moving down and expanding shows the other receipt's items only.
	tuitest.Press(t, m, "j", "enter")
	if n := strings.Count(tuitest.Plain(m), "Stoneware mug"); n != 1 {
		t.Fatalf("%d receipts expanded, want 1", n)
	}
}

func TestRendersOnlyVisibleRowsAndFollowsCursor(t *testing.T) {
	f := tuitest.NewShop(t, now)
	var rs []store.Receipt
	for i := range 200 {
		rs = append(rs, receipt(int64(1000+i), time.Duration(i)*time.Minute, "paid", "Buyer", ""))
	}
	receipts(t, f, rs...)
	m := tuitest.OpenShop(t, f, New)
	m.SetSize(120, 12)
	if n := strings.Count(m.View(), "\n") + 1; n > 12 {
		t.Fatalf("view is %d lines for a height of 12", n)
	}
	tuitest.Press(t, m, "G")
	view := tuitest.Plain(m)
	if !strings.Contains(view, "#1199") || strings.Contains(view, "#1000 ") {
		t.Fatalf("bottom does not show the oldest receipt:\n%s", view)
	}
	tuitest.Press(t, m, "g")
	if !strings.Contains(tuitest.Plain(m), "#1000") {
		t.Fatal("top does not show the newest receipt")
	}
}

func TestReloadsWhenASyncFinishes(t *testing.T) {
	f := tuitest.NewShop(t, now)
	m := tuitest.OpenShop(t, f, New)
	if len(m.Receipts()) != 0 {
		t.Fatal("receipts before any were written")
	}
	receipts(t, f, receipt(20, time.Hour, "paid", "Bea", ""))
	cmd := tuitest.Live(m, hub.Event{Kind: hub.StockChanged, StoreID: f.Store.ID})
	if cmd != nil {
		t.Fatal("a stock change reloaded sales")
	}
	cmd = tuitest.Live(m, hub.Event{Kind: hub.SyncFinished, StoreID: f.Store.ID + 1})
	if cmd != nil {
		t.Fatal("another store's sync reloaded sales")
	}
	cmd = tuitest.Live(m, hub.Event{Kind: hub.SyncFinished, StoreID: f.Store.ID})
	tuitest.Settle(t, m, cmd)
	if !slices.Equal(ids(m), []int64{20}) {
		t.Fatalf("after the sync: %v", ids(m))
	}
}

// A reload that brings newer receipts keeps the cursor on the receipt it
// was on, further down now.
func TestReloadKeepsTheCursorsReceipt(t *testing.T) {
	f := tuitest.NewShop(t, now)
	receipts(t, f, receipt(1, 2*time.Hour, "paid", "Bea", ""), receipt(2, 3*time.Hour, "paid", "Cy", ""))
	m := tuitest.OpenShop(t, f, New)
	tuitest.Press(t, m, "j")
	receipts(t, f, receipt(3, 10*time.Minute, "paid", "Dee", ""), receipt(4, 20*time.Minute, "paid", "Eve", ""))
	tuitest.Settle(t, m, tuitest.Live(m, hub.Event{Kind: hub.SyncFinished, StoreID: f.Store.ID}))
	if got := ids(m); !slices.Equal(got, []int64{3, 4, 1, 2}) || m.Receipts()[m.List.Cursor()].EtsyReceiptID != 2 {
		t.Fatalf("after the reload: %v, cursor %d, want on receipt 2", got, m.List.Cursor())
	}
}

func TestOtherAccountsStoreIsRefused(t *testing.T) {
	f := tuitest.NewShop(t, now)
	receipts(t, f, receipt(30, time.Hour, "paid", "Bea", ""))
	other, err := f.DB.AccountCreate(t.Context(), &store.AccountCreateParams{Name: "Bob", Fingerprint: "SHA256:bob",
		PublicKey: "ssh-ed25519 AAAAbob", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	f.Actor = app.Actor{Account: other, Fingerprint: "SHA256:bob"}
	m := tuitest.OpenShop(t, f, New)
	if len(m.Receipts()) != 0 || strings.Contains(m.View(), "Bea") {
		t.Fatal("another account's receipts are shown")
	}
	if !strings.Contains(tuitest.Plain(m), "not found") {
		t.Fatalf("no error shown:\n%s", tuitest.Plain(m))
	}
}
