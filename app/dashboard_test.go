package app_test

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/store/storetest"
)

// dashShop is a store on SQLite seen through a Service whose clock is
// fixed at coverNow.
type dashShop struct {
	db    store.DB
	svc   *app.Service
	owner app.Actor
	shop  store.Store
}

func newDashShop(t *testing.T) *dashShop {
	t.Helper()
	db := storetest.OpenSQLite(t)
	s := &dashShop{db: db, svc: app.New(app.Config{Store: db, Now: func() time.Time { return coverNow }})}
	s.owner = ada(t, db, "ada@example.com")
	s.shop = s.connect(t, s.owner.Account.ID, 7, "Clay & Co")
	return s
}

func (s *dashShop) connect(t *testing.T, accountID, shopID int64, name string) store.Store {
	t.Helper()
	st, err := s.db.StoreConnect(t.Context(), &store.StoreConnectParams{AccountID: accountID, EtsyShopID: shopID, EtsyUserID: shopID + 1,
		Name: name, Currency: "EUR", AccessToken: []byte("a"), RefreshToken: []byte("r"), TokenExpiresAt: coverNow.Add(time.Hour), Now: coverNow})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// sale records one receipt of qty units of listing i (from listings())
// at price 24.00, ago before the fixed clock.
func (s *dashShop) sale(t *testing.T, storeID, receiptID int64, i, qty int, ago time.Duration) {
	t.Helper()
	id := int64(1000 + i)
	at := coverNow.Add(-ago)
	_, err := s.db.SyncReceiptsWrite(t.Context(), &store.SyncReceiptsWriteParams{StoreID: storeID, Receipts: []store.Receipt{{
		EtsyReceiptID: receiptID, Status: "paid", IsPaid: true, CreatedAt: at, UpdatedAt: at,
		Total: store.Money{Amount: int64(2400 * qty), Divisor: 100, Currency: "EUR"},
		Items: []store.ReceiptItem{{EtsyTransactionID: receiptID * 10, EtsyListingID: id, EtsyProductID: id*10 + 1, Quantity: qty,
			Price: store.Money{Amount: 2400, Divisor: 100, Currency: "EUR"}}},
	}}})
	if err != nil {
		t.Fatal(err)
	}
}

func TestDashboardSalesPeriodsAndRunsOutFirst(t *testing.T) {
	s := newDashShop(t)
	page := listings(3, 6)
	page[2].Products[0].Quantity = 0 // sold out
	for i := range page {
		page[i].CreatedAt = coverNow.AddDate(-1, 0, 0)
	}
	if _, err := s.db.SyncListingsWrite(t.Context(), &store.SyncListingsWriteParams{StoreID: s.shop.ID, Listings: page, Now: coverNow}); err != nil {
		t.Fatal(err)
	}
	s.sale(t, s.shop.ID, 1, 0, 2, time.Hour)       // today
	s.sale(t, s.shop.ID, 2, 0, 4, 3*24*time.Hour)  // this week
	s.sale(t, s.shop.ID, 3, 2, 3, 20*24*time.Hour) // this month
	s.sale(t, s.shop.ID, 4, 1, 9, 40*24*time.Hour) // before the period

	d, err := s.svc.Dashboard(t.Context(), s.owner, app.DashboardParams{StoreID: s.shop.ID})
	if err != nil {
		t.Fatal(err)
	}
	if d.Today.Units != 2 || d.Today.Revenue != 4800 || d.Week.Units != 6 || d.Week.Revenue != 14400 ||
		d.Month.Units != 9 || d.Month.Revenue != 21600 || d.Month.Currency != "EUR" {
		t.Fatalf("totals today %+v week %+v month %+v", d.Today, d.Week, d.Month)
	}
	if len(d.Daily) != app.SparkDays || d.Daily[app.SparkDays-1].Units != 2 || d.Daily[app.SparkDays-4].Units != 4 || d.Daily[0].Units != 0 {
		t.Fatalf("daily = %+v", d.Daily)
	}
	if d.Out != 1 || d.Low != 1 {
		t.Fatalf("low %d out %d, want 1 and 1", d.Low, d.Out)
	}
	first := d.RunsOutFirst(5)
	if len(first) != 2 || first[0].Row.SKU != "MUG-2" || first[1].Row.SKU != "MUG-0" || first[1].Units != 6 {
		t.Fatalf("runs out first = %+v", first)
	}
	if top := d.TopSellers(1); len(top) != 1 || top[0].Row.SKU != "MUG-0" {
		t.Fatalf("top sellers = %+v", top)
	}

	other := s.connect(t, s.owner.Account.ID, 8, "Second shop")
	s.sale(t, other.ID, 5, 0, 1, time.Minute)
	all, err := s.svc.Dashboard(t.Context(), s.owner, app.DashboardParams{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Stores) != 2 || all.Today.Units != 3 || all.Month.Units != 10 || all.Today.Currency != "EUR" {
		t.Fatalf("all stores: %d stores, today %+v month %+v", len(all.Stores), all.Today, all.Month)
	}

	var de *app.DaysError
	if _, err := s.svc.Dashboard(t.Context(), s.owner, app.DashboardParams{StoreID: s.shop.ID, Days: 400}); !errors.As(err, &de) {
		t.Fatalf("400 days = %v, want a DaysError", err)
	}
}

func TestTargetCoverIsTheOwners(t *testing.T) {
	s := newDashShop(t)
	days := 45
	st, err := s.svc.UpdateStoreSettings(t.Context(), s.owner, app.StoreSettings{StoreID: s.shop.ID, TargetCoverDays: &days})
	if err != nil || st.TargetCoverDays != 45 {
		t.Fatalf("owner sets 45 days: %d, %v", st.TargetCoverDays, err)
	}
	zero := 0
	if _, err := s.svc.UpdateStoreSettings(t.Context(), s.owner, app.StoreSettings{StoreID: s.shop.ID, TargetCoverDays: &zero}); err == nil {
		t.Fatal("a target cover of 0 days was accepted")
	}
	mgr, err := s.db.AccountCreate(t.Context(), &store.AccountCreateParams{Name: "max", Fingerprint: "SHA256:max", PublicKey: "ssh-ed25519 AAAAmax"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.db.MembershipAdd(t.Context(), &store.MembershipAddParams{AccountID: mgr.ID, StoreID: s.shop.ID, Role: store.RoleManager}); err != nil {
		t.Fatal(err)
	}
	var re *app.RoleError
	if _, err := s.svc.UpdateStoreSettings(t.Context(), app.Actor{Account: mgr}, app.StoreSettings{StoreID: s.shop.ID, TargetCoverDays: &days}); !errors.As(err, &re) {
		t.Fatalf("manager sets the target cover: %v, want a RoleError", err)
	}
}

func TestDigestAtReadsAnHourAndAZone(t *testing.T) {
	for _, c := range []struct {
		in, zone string
		hour     int
		tz       string
	}{
		{"18 Europe/Berlin", "UTC", 18, "Europe/Berlin"},
		{"07:00", "America/New_York", 7, "America/New_York"},
		{"0 UTC", "Europe/Berlin", 0, "UTC"},
	} {
		h, tz, err := app.DigestAt(c.in, c.zone)
		if err != nil || h != c.hour || tz != c.tz {
			t.Errorf("DigestAt(%q) = %d %q %v", c.in, h, tz, err)
		}
	}
	for _, bad := range []string{"", "24", "-1 UTC", "8 Mars/Olympus", "8 Local", "eight", "8 UTC extra"} {
		if _, _, err := app.DigestAt(bad, "UTC"); err == nil {
			t.Errorf("DigestAt(%q) accepted", bad)
		}
	}
}

// A dashboard read again after sales (the kept sums patched with the
// products the writes touched) equals one read afresh by another Service.
func TestDashboardAfterSalesEqualsAFreshRead(t *testing.T) {
	s := newDashShop(t)
	page := listings(4, 6)
	for i := range page {
		page[i].CreatedAt = coverNow.AddDate(-1, 0, 0)
	}
	if _, err := s.db.SyncListingsWrite(t.Context(), &store.SyncListingsWriteParams{StoreID: s.shop.ID, Listings: page, Now: coverNow}); err != nil {
		t.Fatal(err)
	}
	s.sale(t, s.shop.ID, 1, 0, 2, time.Hour)
	s.sale(t, s.shop.ID, 2, 1, 1, 3*24*time.Hour)
	same := func(step string) {
		t.Helper()
		p := app.DashboardParams{StoreID: s.shop.ID}
		got, err := s.svc.Dashboard(t.Context(), s.owner, p)
		if err != nil {
			t.Fatal(err)
		}
		fresh := app.New(app.Config{Store: s.db, Now: func() time.Time { return coverNow }})
		want, err := fresh.Dashboard(t.Context(), s.owner, p)
		if err != nil {
			t.Fatal(err)
		}
		if got.Today != want.Today || got.Week != want.Week || got.Month != want.Month || len(got.Cover) != len(want.Cover) {
			t.Fatalf("%s: totals %+v %+v %+v, want %+v %+v %+v", step, got.Today, got.Week, got.Month, want.Today, want.Week, want.Month)
		}
		for i := range got.Cover {
			g, w := got.Cover[i], want.Cover[i]
			if g.Row.OfferingID != w.Row.OfferingID || g.Units != w.Units || g.Revenue != w.Revenue || g.Days != w.Days {
				t.Fatalf("%s: cover %d = %s %d units, want %s %d units", step, i, g.Row.SKU, g.Units, w.Row.SKU, w.Units)
			}
		}
	}
	same("first read")
	s.sale(t, s.shop.ID, 3, 0, 5, 2*time.Hour) // a product that sold before
	same("after a sale of a product that sold")
	s.sale(t, s.shop.ID, 4, 3, 1, time.Minute) // a product's first sale
	same("after a first sale")
	// The only sale of listing 1 is cancelled: it no longer sells.
	at := coverNow.Add(-3 * 24 * time.Hour)
	if _, err := s.db.SyncReceiptsWrite(t.Context(), &store.SyncReceiptsWriteParams{StoreID: s.shop.ID, Receipts: []store.Receipt{{
		EtsyReceiptID: 2, Status: "canceled", CreatedAt: at, UpdatedAt: coverNow,
		Items: []store.ReceiptItem{{EtsyTransactionID: 20, EtsyListingID: 1001, EtsyProductID: 10011, Quantity: 1,
			Price: store.Money{Amount: 2400, Divisor: 100, Currency: "EUR"}}},
	}}}); err != nil {
		t.Fatal(err)
	}
	same("after a cancellation")
	if d, _ := s.svc.Dashboard(t.Context(), s.owner, app.DashboardParams{StoreID: s.shop.ID}); d.Month.Units != 8 {
		t.Fatalf("month after the cancellation = %+v, want 8 units", d.Month)
	}
}

// TopSellers picks what a stable sort of every seller by units, then
// revenue, would put first, whatever n.
func TestTopSellersEqualsAStableSort(t *testing.T) {
	var d app.Dashboard
	for i := range 200 {
		d.Cover = append(d.Cover, app.Cover{Row: &store.InventoryRow{OfferingID: int64(i)}, Units: (i * 7) % 13, Revenue: int64((i * 5) % 3)})
	}
	var sellers []app.Cover
	for _, c := range d.Cover {
		if c.Units > 0 {
			sellers = append(sellers, c)
		}
	}
	slices.SortStableFunc(sellers, func(a, b app.Cover) int {
		if c := cmp.Compare(b.Units, a.Units); c != 0 {
			return c
		}
		return cmp.Compare(b.Revenue, a.Revenue)
	})
	for _, n := range []int{0, 1, 5, 17, len(sellers), 500} {
		got := d.TopSellers(n)
		want := sellers[:min(n, len(sellers))]
		if len(got) != len(want) {
			t.Fatalf("n=%d: %d sellers, want %d", n, len(got), len(want))
		}
		for i := range got {
			if got[i].Row != want[i].Row {
				t.Fatalf("n=%d: seller %d is offering %d, want %d", n, i, got[i].Row.OfferingID, want[i].Row.OfferingID)
			}
		}
	}
}

// The home screen's dashboard leaves Cover unsorted and selects: its
// "runs out first" and top sellers are exactly the sorted dashboard's,
// ties included (equal cover, equal units and revenue).
func TestUnsortedDashboardSelectsAsTheSortedOne(t *testing.T) {
	s := newDashShop(t)
	page := listings(60, 0)
	for i := range page {
		q := (i * 7) % 11 // some sold out, many equal
		page[i].Quantity, page[i].Products[0].Quantity = q, q
		page[i].CreatedAt = coverNow.AddDate(-1, 0, 0)
		page[i].Title = fmt.Sprintf("Mug %d", i%4) // equal titles: the offering decides
	}
	if _, err := s.db.SyncListingsWrite(t.Context(), &store.SyncListingsWriteParams{StoreID: s.shop.ID, Listings: page, Now: coverNow}); err != nil {
		t.Fatal(err)
	}
	for i := range 45 {
		s.sale(t, s.shop.ID, int64(i+1), i, 1+i%3, time.Duration(i+1)*time.Hour)
	}
	sorted, err := s.svc.Dashboard(t.Context(), s.owner, app.DashboardParams{StoreID: s.shop.ID})
	if err != nil {
		t.Fatal(err)
	}
	unsorted, err := s.svc.Dashboard(t.Context(), s.owner, app.DashboardParams{StoreID: s.shop.ID, Unsorted: true})
	if err != nil {
		t.Fatal(err)
	}
	if slices.EqualFunc(sorted.Cover, unsorted.Cover, func(a, b app.Cover) bool { return a.Row.OfferingID == b.Row.OfferingID }) {
		t.Fatalf("the unsorted cover came out sorted: the test proves nothing")
	}
	ids := func(cs []app.Cover) []int64 {
		out := make([]int64, len(cs))
		for i, c := range cs {
			out[i] = c.Row.OfferingID
		}
		return out
	}
	for _, n := range []int{0, 1, 3, 10, 44, 45, 60, 100} {
		if got, want := ids(unsorted.RunsOutFirst(n)), ids(sorted.RunsOutFirst(n)); !slices.Equal(got, want) {
			t.Errorf("runs out first, n=%d: %v, want %v", n, got, want)
		}
		if got, want := ids(unsorted.TopSellers(n)), ids(sorted.TopSellers(n)); !slices.Equal(got, want) {
			t.Errorf("top sellers, n=%d: %v, want %v", n, got, want)
		}
	}
}
