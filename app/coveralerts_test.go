package app_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/notify"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/store/storetest"
)

// sale is one receipt selling qty of listing id's only product.
func sale(receiptID, listingID int64, qty int, at time.Time) store.Receipt {
	return store.Receipt{EtsyReceiptID: receiptID, Status: "paid", IsPaid: true, CreatedAt: at, UpdatedAt: at,
		Total: store.Money{Amount: 2400, Divisor: 100, Currency: "EUR"},
		Items: []store.ReceiptItem{{EtsyTransactionID: receiptID * 10, EtsyListingID: listingID, EtsyProductID: listingID*10 + 1,
			Quantity: qty, Price: store.Money{Amount: 2400, Divisor: 100, Currency: "EUR"}}}}
}

// On fixed data, with the default of 7 days: a row with no sales never
// runs out; a sold-out row has the out-of-stock alert, not this one; a
// listing 2 days old is paced over its 2 days, not 30; a row 6.9 days
// from empty fires, one exactly 7 days from it does not.
func TestRunsOutAlertsOnFixedData(t *testing.T) {
	ctx := t.Context()
	now := time.Date(2026, 3, 31, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	db := storetest.OpenSQLite(t)
	h := hub.New()
	ev := notify.NewEvaluator(notify.EvaluatorConfig{Store: db, Hub: h, Now: clock})
	svc := app.New(app.Config{Store: db, Hub: h, Alerts: ev, Now: clock})
	owner := ada(t, db, "")
	shop := clay(t, db, owner, now)
	ls := listings(5, 0)
	old := now.AddDate(-1, 0, 0)
	for i, q := range []int{5, 0, 6, 6, 7} {
		ls[i].Quantity, ls[i].Products[0].Quantity, ls[i].CreatedAt = q, q, old
	}
	ls[2].CreatedAt = now.Add(-48 * time.Hour)
	if _, err := db.SyncListingsWrite(ctx, &store.SyncListingsWriteParams{StoreID: shop.ID, Listings: ls, Now: now}); err != nil {
		t.Fatal(err)
	}
	receipts := []store.Receipt{
		sale(1, 1001, 30, now.AddDate(0, 0, -10)), // sold out
		sale(2, 1002, 4, now.Add(-24*time.Hour)),  // new: 2 a day, 3 days
		sale(3, 1003, 26, now.AddDate(0, 0, -3)),  // 26/30 a day: 6.9 days
		sale(4, 1004, 30, now.AddDate(0, 0, -20)), // 1 a day: 7 days
		sale(5, 1000, 90, now.AddDate(0, 0, -45)), // before the 30 days
	}
	if _, err := db.SyncReceiptsWrite(ctx, &store.SyncReceiptsWriteParams{StoreID: shop.ID, Receipts: receipts, Now: now}); err != nil {
		t.Fatal(err)
	}
	if _, err := ev.Evaluate(ctx, shop.ID, nil); err != nil {
		t.Fatal(err)
	}
	got, err := svc.Alerts(ctx, owner, shop.ID, app.AlertListParams{ActiveOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[int64]store.AlertKind{}
	for _, a := range got {
		kinds[a.EtsyListingID] = a.Kind
		if a.Kind == store.AlertRunsOut && (a.Threshold != 7 || a.CoverDays >= 7) {
			t.Errorf("runs-out alert %+v", a.Alert)
		}
	}
	want := map[int64]store.AlertKind{1001: store.AlertOutOfStock, 1002: store.AlertRunsOut, 1003: store.AlertRunsOut}
	if len(kinds) != len(want) || len(got) != len(want) {
		t.Fatalf("alerts by listing %v, want %v", kinds, want)
	}
	for l, k := range want {
		if kinds[l] != k {
			t.Fatalf("alerts by listing %v, want %v", kinds, want)
		}
	}

	// The setting: 0 turns the rule off and its alerts resolve; out of
	// range is refused.
	off := 0
	if _, err := svc.UpdateStoreSettings(ctx, owner, app.StoreSettings{StoreID: shop.ID, RunsOutDays: &off}); err != nil {
		t.Fatal(err)
	}
	got, err = svc.Alerts(ctx, owner, shop.ID, app.AlertListParams{ActiveOnly: true})
	if err != nil || len(got) != 1 || got[0].Kind != store.AlertOutOfStock {
		t.Fatalf("after turning it off: %+v, %v", got, err)
	}
	bad := -1
	var re *app.RunsOutError
	if _, err := svc.UpdateStoreSettings(ctx, owner, app.StoreSettings{StoreID: shop.ID, RunsOutDays: &bad}); !errors.As(err, &re) {
		t.Fatalf("runs out -1: %v", err)
	}
}
