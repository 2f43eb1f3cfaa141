package command

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/store"
)

func TestReport(t *testing.T) {
	f := newFixture(t)
	now := time.Now().UTC()
	item := func(tx int64, sku string, qty int) store.ReceiptItem {
		return store.ReceiptItem{EtsyTransactionID: tx, EtsyListingID: 900, SKU: sku, Title: "Hand-thrown mug", Quantity: qty,
			Price: store.Money{Amount: 2450, Divisor: 100, Currency: "EUR"}}
	}
	receipts := []store.Receipt{
		{EtsyReceiptID: 1, Status: "paid", CreatedAt: now.Add(-time.Minute), UpdatedAt: now.Add(-time.Minute),
			Items: []store.ReceiptItem{item(1, "MUG-1", 2), item(2, "MUG-2", 1)}},
		{EtsyReceiptID: 2, Status: "completed", CreatedAt: now.AddDate(0, 0, -10), UpdatedAt: now.AddDate(0, 0, -10),
			Items: []store.ReceiptItem{item(3, "MUG-1", 4)}},
		{EtsyReceiptID: 3, Status: "canceled", CreatedAt: now.AddDate(0, 0, -1), UpdatedAt: now.AddDate(0, 0, -1),
			Items: []store.ReceiptItem{item(4, "MUG-3", 5)}},
	}
	if _, err := f.db.SyncReceiptsWrite(t.Context(), &store.SyncReceiptsWriteParams{StoreID: f.store.ID, Receipts: receipts}); err != nil {
		t.Fatal(err)
	}

	r := f.run(t, f.owner, "", "report", "--format", "json").want(t, ExitOK)
	wantKeys(t, r.stdout, "generated_at", "days", "stores", "today", "last_7_days", "last_30_days", "daily", "low_count",
		"out_count", "pending_pushes", "top_sellers", "cover")
	var rep reportJSON
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Today.Units != 3 || rep.Today.Revenue != "73.50" || rep.Today.Currency != "EUR" || rep.Last7Days.Units != 3 ||
		rep.Last30Days.Units != 7 || rep.Last30Days.Revenue != "171.50" || rep.Days != 30 || len(rep.Daily) != 30 {
		t.Fatalf("totals: today %+v week %+v month %+v days %d daily %d", rep.Today, rep.Last7Days, rep.Last30Days, rep.Days, len(rep.Daily))
	}
	if _, err := time.Parse(time.RFC3339, rep.GeneratedAt); err != nil || !strings.HasSuffix(rep.GeneratedAt, "Z") {
		t.Errorf("generated_at %q is not RFC 3339 UTC", rep.GeneratedAt)
	}
	// MUG-1: 6 sold over 30 days (0.2 a day), 10 in stock: 50 days.
	// MUG-2: 1 sold, 11 in stock: 330 days. MUG-3's sale was cancelled.
	if len(rep.Cover) != 3 || rep.Cover[0].SKU != "MUG-1" || rep.Cover[0].UnitsSold != 6 || rep.Cover[0].PerDay != 0.2 ||
		rep.Cover[0].DaysOfCover == nil || *rep.Cover[0].DaysOfCover != 50 || rep.Cover[0].Restock != 0 ||
		rep.Cover[1].SKU != "MUG-2" || rep.Cover[2].SKU != "MUG-3" || rep.Cover[2].DaysOfCover != nil || rep.Cover[2].UnitsSold != 0 {
		t.Fatalf("cover = %+v", rep.Cover)
	}
	if len(rep.TopSellers) != 2 || rep.TopSellers[0].SKU != "MUG-1" {
		t.Fatalf("top sellers = %+v", rep.TopSellers)
	}

	r = f.run(t, f.viewer, "", "report", "--store", "Ada's Pottery", "--days", "7").want(t, ExitOK)
	contains(t, "table", r.stdout, "today", "73.50 EUR", "Runs out first", "MUG-1", "Top sellers")

	recs := readCSV(t, f.run(t, f.owner, "", "report", "--format", "csv").want(t, ExitOK).stdout)
	if !slices.Equal(recs[0], reportCSVHeader) || len(recs) != 4 || recs[1][3] != "MUG-1" || recs[1][11] != "50.0" || recs[3][11] != "" {
		t.Errorf("csv %q", recs)
	}

	// The owner aims for 60 days: MUG-1 (0.2 a day, 10 in stock) needs 2.
	r = f.run(t, f.owner, "", "store", "cover", "60").want(t, ExitOK)
	contains(t, "store cover", r.stdout, "60 days")
	if err := json.Unmarshal([]byte(f.run(t, f.owner, "", "report", "--format", "json").want(t, ExitOK).stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Cover[0].Restock != 2 || rep.Stores[0].TargetCoverDays != 60 {
		t.Fatalf("after store cover 60: restock %d, target %d", rep.Cover[0].Restock, rep.Stores[0].TargetCoverDays)
	}
	f.run(t, f.viewer, "", "store", "cover", "10").want(t, ExitFailure)
	f.run(t, f.owner, "", "store", "cover", "0").want(t, ExitUsage)

	f.run(t, f.owner, "", "report", "--days", "0").want(t, ExitUsage)
	f.run(t, f.owner, "", "report", "--format", "xml").want(t, ExitUsage)
}

// The streamed report is byte for byte what encoding/json makes of the
// whole report, escapes included (HTML, C1 and bidi controls, invalid
// UTF-8), with rows that sell, do not sell and are sold out.
func TestReportJSONStreamMatchesEncodingJSON(t *testing.T) {
	row := func(sku, title string, stock int) *store.InventoryRow {
		return &store.InventoryRow{StoreID: 7, EtsyListingID: 900, EtsyProductID: 9001, SKU: sku, Title: title, Variation: "Blue",
			Quantity: stock, Price: store.Money{Amount: 2450, Divisor: 100, Currency: "EUR"}}
	}
	d := app.Dashboard{Now: time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC), Days: 30,
		Stores: []store.MemberStore{{Store: store.Store{ID: 7, Name: "Clay <&> Co", Currency: "EUR", TargetCoverDays: 30}}},
		Cover: []app.Cover{
			{Row: row("MUG-1", "Plain mug", 4), Units: 12, Revenue: 29400, Velocity: 0.4, Days: 10, Restock: 8},
			{Row: row("MUG-\u202e2", "Mug <b>&</b> \"quoted\" \u009b1m\n", 0), Units: 3, Revenue: 7350, Velocity: 0.1, Days: 0},
			{Row: row("MUG-3", "Tasse \xff à thé 🍵", 9), Days: math.Inf(1)},
			{Row: row("", "", 2), Units: 1, Velocity: 1.0 / 30, Days: 60, Restock: 0},
			{Row: row("MUG-\u2028", "Bol\tà \x01café\u2029 ✓", 5), Units: 7, Revenue: -5, Velocity: 1e-7, Days: 1e22, Restock: 999},
			{Row: row("MUG-6", "Ünïcode only", 1), Units: 2, Revenue: 100005, Velocity: 2.0 / 3, Days: 1.5, Restock: 1},
		}}
	rep := reportOf(&d)
	var want strings.Builder
	whole := rep
	for _, c := range d.Cover {
		whole.Cover = append(whole.Cover, coverItem(c))
	}
	if err := writeJSON(&want, whole); err != nil {
		t.Fatal(err)
	}
	// The covers are encoded in chunks, every other one by a second
	// goroutine: one chunk, one cover each, and sizes that leave a short
	// last chunk or an even or odd number of chunks.
	var got strings.Builder
	for _, chunk := range []int{coverChunk, 1, 2, 4, 5, 6} {
		got.Reset()
		if err := writeReportChunks(&got, rep, d.Cover, chunk); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Fatalf("streamed %d covers at a time:\n%s\nencoding/json:\n%s", chunk, got.String(), want.String())
		}
	}
	got.Reset()
	want.Reset()
	if err := writeReportJSON(&got, reportOf(&app.Dashboard{}), nil); err != nil {
		t.Fatal(err)
	}
	if err := writeJSON(&want, reportOf(&app.Dashboard{})); err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Fatalf("empty report streamed:\n%s\nencoding/json:\n%s", got.String(), want.String())
	}
}

// appendJSONString quotes as encoding/json does, whatever the string:
// random mixes of plain ASCII, characters it escapes, valid and invalid
// UTF-8; and appendMoney writes what the plain formula (moneyFormula)
// does.
func TestAppendJSONStringAndMoneyMatch(t *testing.T) {
	pieces := []string{"a", "Z", " ", "0", "\"", "\\", "<", ">", "&", "\n", "\t", "\x01", "\x7f", "é", "🍵", "\u2028", "\u2029",
		"\u202e", "\u009b", "\xff", "\xe2\x80", "\xc3", "no. 42"}
	rnd := rand.New(rand.NewPCG(1, 2))
	for i := range 20000 {
		var sb strings.Builder
		for range rnd.IntN(8) {
			sb.WriteString(pieces[rnd.IntN(len(pieces))])
		}
		s := sb.String()
		want, _ := json.Marshal(s)
		ascii := true
		got := appendJSONString([]byte("x"), s, &ascii)
		if string(got[1:]) != string(want) {
			t.Fatalf("%d: %q quoted as %s, encoding/json: %s", i, s, got[1:], want)
		}
		plain := true
		for _, c := range []byte(string(want)) {
			plain = plain && c < 0x80
		}
		if ascii != plain {
			t.Fatalf("%q: ascii %v for %s", s, ascii, want)
		}
	}
	for _, div := range []int{0, 1, 10, 100, 1000, 3, 250} {
		for _, a := range []int64{0, 1, -1, 5, 9, 10, 99, 100, 101, -105, 123456789, -99999, math.MaxInt64, math.MinInt64} {
			m := store.Money{Amount: a, Divisor: div}
			if got := string(appendMoney([]byte("x"), m)); got[1:] != moneyFormula(m) {
				t.Fatalf("%+v: %s, the formula says %s", m, got[1:], moneyFormula(m))
			}
		}
	}
}

// moneyFormula is money as Sprintf writes it: the reference appendMoney
// must match, byte for byte.
func moneyFormula(m store.Money) string {
	div := int64(m.Divisor)
	if div <= 1 {
		return strconv.FormatInt(m.Amount, 10)
	}
	digits := 0
	for d := div; d > 1 && d%10 == 0; d /= 10 {
		digits++
	}
	if pow10(digits) != div {
		return strconv.FormatFloat(float64(m.Amount)/float64(div), 'f', -1, 64)
	}
	sign := ""
	a := m.Amount
	if a < 0 {
		sign, a = "-", -a
	}
	return fmt.Sprintf("%s%d.%0*d", sign, a/div, digits, a%div)
}
