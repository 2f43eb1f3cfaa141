// Package storetest is the conformance suite every store.DB implementation
// passes: the same behaviour on SQLite and PostgreSQL, down to the sentinel
// errors. Driver packages call Run from their tests with a function that
// opens a fresh, migrated, empty database.
package storetest

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/stockroom/stockroom/store"
)

// Opener returns a fresh, migrated, empty database and closes it when the
// test ends.
type Opener func(t *testing.T) store.DB

// Account creates the account name, with the address name@example.com and
// a made-up key whose fingerprint is SHA256:name, for the tests of the
// packages above the store.
func Account(tb testing.TB, db store.DB, name string) store.Account {
	tb.Helper()
	a, err := db.AccountCreate(tb.Context(), &store.AccountCreateParams{Name: name, Email: name + "@example.com",
		Fingerprint: "SHA256:" + name, PublicKey: "ssh-ed25519 AAAA" + name})
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

// Run runs the whole suite, one fresh database per subtest.
func Run(t *testing.T, open Opener) {
	groups := []struct {
		name  string
		tests map[string]func(t *testing.T, h *harness)
	}{
		{"Accounts", accountTests},
		{"Stores", storeTests},
		{"Members", memberTests},
		{"Isolation", isolationTests},
		{"StockEdit", stockEditTests},
		{"ListByIDs", listByIDsTests},
		{"Sync", syncTests},
		{"Push", pushTests},
		{"PushCorrectness", pushCorrectnessTests},
		{"Receipts", receiptTests},
		{"Sales", salesTests},
		{"AlertHandle", alertHandleTests},
		{"WhatsApp", whatsAppTests},
		{"AlertSummary", summaryTests},
		{"CoverAlerts", coverAlertTests},
		{"SyncRuns", syncRunTests},
		{"OAuth", oauthTests},
		{"Leases", leaseTests},
		{"Processes", processTests},
		{"RateBudgets", budgetTests},
		{"Readiness", readinessTests},
		{"Errors", errorTests},
		{"Codes", codeTests},
		{"Activity", activityTests},
		{"InventoryVersion", inventoryVersionTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) { runTable(t, open, g.tests) })
	}
}

// runTable runs the tests in name order, one fresh database each.
func runTable(t *testing.T, open Opener, tests map[string]func(t *testing.T, h *harness)) {
	for _, name := range slices.Sorted(maps.Keys(tests)) {
		fn := tests[name]
		t.Run(name, func(t *testing.T) {
			fn(t, &harness{db: open(t), now: epoch})
		})
	}
}

// epoch is the suite's clock: whole milliseconds, as the store keeps them.
var epoch = time.Date(2026, 3, 14, 9, 26, 53, 589_000_000, time.UTC)

type harness struct {
	db  store.DB
	now time.Time
	seq int
}

func (h *harness) at(d time.Duration) time.Time { return h.now.Add(d) }

func (h *harness) next() int { h.seq++; return h.seq }

func (h *harness) account(t *testing.T, name string) store.Account {
	t.Helper()
	a, err := h.db.AccountCreate(t.Context(), &store.AccountCreateParams{
		Name: name, Email: name + "@example.com", Fingerprint: "SHA256:" + name,
		PublicKey: "ssh-ed25519 AAAA" + name, Comment: name + "@laptop", Now: h.now,
	})
	if err != nil {
		t.Fatalf("create account %s: %v", name, err)
	}
	return a
}

func (h *harness) shop(t *testing.T, accountID, shopID int64) store.Store {
	t.Helper()
	st, err := h.db.StoreConnect(t.Context(), &store.StoreConnectParams{
		AccountID: accountID, EtsyShopID: shopID, EtsyUserID: shopID + 1000, Name: fmt.Sprintf("Shop %d", shopID),
		Currency: "EUR", AccessToken: []byte("sealed-access"), RefreshToken: []byte("sealed-refresh"),
		TokenExpiresAt: h.at(time.Hour), Now: h.now,
	})
	if err != nil {
		t.Fatalf("connect shop %d: %v", shopID, err)
	}
	return st
}

// owner is an account holding one shop.
func (h *harness) owner(t *testing.T, name string, shopID int64) (store.Account, store.Store) {
	t.Helper()
	a := h.account(t, name)
	return a, h.shop(t, a.ID, shopID)
}

// joined creates the account name and adds it to the store with the role.
func (h *harness) joined(t *testing.T, name string, storeID int64, role store.Role) store.Account {
	t.Helper()
	a := h.account(t, name)
	h.member(t, a.ID, storeID, role)
	return a
}

// member adds the account to the store with the role.
func (h *harness) member(t *testing.T, accountID, storeID int64, role store.Role) {
	t.Helper()
	noErr(t, h.db.MembershipAdd(t.Context(), &store.MembershipAddParams{AccountID: accountID, StoreID: storeID, Role: role, Now: h.now}),
		fmt.Sprintf("add account %d as %s", accountID, role))
}

// listing builds a listing snapshot with n products whose quantities are
// qty, qty+1, ...
func listing(etsyID int64, n, qty int) store.ListingSnapshot {
	l := store.ListingSnapshot{
		EtsyListingID: etsyID, Title: fmt.Sprintf("Hand-thrown mug %d", etsyID), State: "active",
		URL: fmt.Sprintf("https://www.etsy.com/listing/%d", etsyID), Quantity: n * qty,
		UpdatedAt: epoch.Add(-time.Hour), Products: []store.ProductSnapshot{},
	}
	for i := range n {
		l.Products = append(l.Products, store.ProductSnapshot{
			Key: fmt.Sprintf("MUG-%d-%d", etsyID, i), EtsyProductID: etsyID*10 + int64(i), SKU: fmt.Sprintf("MUG-%d-%d", etsyID, i),
			Variation: fmt.Sprintf("Colour: glaze %d", i), PropertyValues: fmt.Sprintf(`[{"property_id":200,"values":["glaze %d"]}]`, i),
			EtsyOfferingID: etsyID*100 + int64(i), Quantity: qty + i, Price: store.Money{Amount: 2400, Divisor: 100, Currency: "EUR"},
			Enabled: true, ReadinessID: 1,
		})
	}
	return l
}

func (h *harness) write(t *testing.T, storeID int64, ls ...store.ListingSnapshot) store.SyncWriteResult {
	t.Helper()
	res, err := h.db.SyncListingsWrite(t.Context(), &store.SyncListingsWriteParams{StoreID: storeID, Listings: ls, Now: h.now})
	if err != nil {
		t.Fatalf("sync write: %v", err)
	}
	return res
}

func (h *harness) inventory(t *testing.T, accountID, storeID int64) []store.InventoryRow {
	t.Helper()
	rows, err := h.db.InventoryList(t.Context(), &store.InventoryListParams{AccountID: accountID, StoreID: storeID})
	if err != nil {
		t.Fatalf("inventory list: %v", err)
	}
	return rows
}

// bySKU indexes inventory rows.
func bySKU(rows []store.InventoryRow) map[string]store.InventoryRow {
	m := make(map[string]store.InventoryRow, len(rows))
	for _, r := range rows {
		m[r.SKU] = r
	}
	return m
}

func (h *harness) row(t *testing.T, offeringID int64) store.InventoryRow {
	t.Helper()
	r, err := h.db.InventoryGetByID(t.Context(), offeringID)
	if err != nil {
		t.Fatalf("inventory get %d: %v", offeringID, err)
	}
	return r
}

// seller is an account with one shop holding one listing of three products.
type seller struct {
	account store.Account
	store   store.Store
	rows    []store.InventoryRow
}

func (h *harness) seller(t *testing.T, name string, shopID int64) seller {
	t.Helper()
	a := h.account(t, name)
	st := h.shop(t, a.ID, shopID)
	h.write(t, st.ID, listing(shopID*10, 3, 10))
	return seller{account: a, store: st, rows: h.inventory(t, a.ID, st.ID)}
}

func (h *harness) edit(t *testing.T, s seller, offeringID, version int64, qty int) store.InventoryRow {
	t.Helper()
	rows, err := h.db.StockEdit(t.Context(), &store.StockEditParams{
		AccountID: s.account.ID, StoreID: s.store.ID, Source: store.SourceTUI, Now: h.now,
		Edits: []store.StockEditItem{{OfferingID: offeringID, Version: version, Quantity: qty}},
	})
	if err != nil {
		t.Fatalf("stock edit: %v", err)
	}
	if len(rows) != 1 {
		t.Fatalf("stock edit returned %d rows, want 1", len(rows))
	}
	return rows[0]
}

func wantErr(t *testing.T, err, target error, what string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}

func noErr(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// raceWins runs try concurrently n times, released together, fails the
// test on any error, and counts the calls that won (true).
func raceWins(t *testing.T, n int, what string, try func(i int) (bool, error)) int {
	t.Helper()
	wins := 0
	for _, err := range race(n, func(i int) error {
		won, err := try(i)
		if err == nil && !won {
			return errLost
		}
		return err
	}) {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, errLost):
			t.Fatalf("concurrent %s: %v", what, err)
		}
	}
	return wins
}

// race runs fn concurrently n times, released together, and returns the
// errors in no particular order.
func race(n int, fn func(i int) error) []error {
	start := make(chan struct{})
	errs := make(chan error, n)
	for i := range n {
		go func() {
			<-start
			errs <- fn(i)
		}()
	}
	close(start)
	out := make([]error, 0, n)
	for range n {
		out = append(out, <-errs)
	}
	return out
}
