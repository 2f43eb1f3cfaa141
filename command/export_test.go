package command

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stockroom/stockroom/store"
)

// Issue 11 item 6: text cells that a spreadsheet would run as a formula
// are neutralised per OWASP (a leading apostrophe); numbers stay numbers.
func TestCSVFormulaInjection(t *testing.T) {
	f := newFixture(t)
	l := snapshot(901, []string{"+1+1", "@SUM(1)", "-EVIL", "'=quoted"}, 4)
	l.Title = `=HYPERLINK("http://evil.example","click")`
	l.Products[0].Variation = "\tTabbed"
	l.Products[1].Variation = "\rReturned"
	f.write(t, f.store.ID, l)
	now := time.Now().UTC()
	if _, err := f.db.SyncReceiptsWrite(t.Context(), &store.SyncReceiptsWriteParams{StoreID: f.store.ID, Receipts: []store.Receipt{{
		EtsyReceiptID: 7001, Status: "paid", BuyerName: `=cmd|"/c calc"!A0`, IsPaid: true,
		Total: store.Money{Amount: -250, Divisor: 100, Currency: "EUR"}, CreatedAt: now, UpdatedAt: now,
		Items: []store.ReceiptItem{{EtsyTransactionID: 1, EtsyListingID: 901, SKU: "-EVIL", Title: "-5", Quantity: 1,
			Price: store.Money{Amount: -250, Divisor: 100, Currency: "EUR"}}}}}}); err != nil {
		t.Fatal(err)
	}

	recs := readCSV(t, f.run(t, f.owner, "", "inventory", "--format", "csv", "--filter", "901").want(t, ExitOK).stdout)
	if len(recs) != 5 {
		t.Fatalf("rows %q", recs)
	}
	byCol := func(rec []string, name string) string {
		for i, h := range recs[0] {
			if h == name {
				return rec[i]
			}
		}
		t.Fatalf("no column %s", name)
		return ""
	}
	wantSKUs := []string{"'+1+1", "'@SUM(1)", "'-EVIL", "''=quoted"}
	for i, rec := range recs[1:] {
		if got := byCol(rec, "sku"); got != wantSKUs[i] {
			t.Errorf("sku %q, want %q", got, wantSKUs[i])
		}
		if got := byCol(rec, "title"); got != `'=HYPERLINK("http://evil.example","click")` {
			t.Errorf("title %q", got)
		}
		if got := byCol(rec, "price"); got != "24.50" {
			t.Errorf("price %q", got)
		}
	}
	if got := byCol(recs[1], "variation"); got != "'\tTabbed" {
		t.Errorf("variation %q", got)
	}
	if got := byCol(recs[2], "variation"); got != "'\rReturned" {
		t.Errorf("variation %q", got)
	}

	sales := readCSV(t, f.run(t, f.owner, "", "sales", "--format", "csv").want(t, ExitOK).stdout)
	if len(sales) != 2 || sales[1][3] != `'=cmd|"/c calc"!A0` {
		t.Fatalf("buyer not neutralised: %q", sales)
	}
	// Negative numbers in numeric columns, and a title that is a number,
	// stay numbers.
	if sales[1][6] != "-2.50" || sales[1][14] != "-2.50" || sales[1][11] != "-5" || sales[1][10] != "'-EVIL" {
		t.Errorf("numbers changed: %q", sales[1])
	}

	// --raw gives the exact text for programs.
	raw := readCSV(t, f.run(t, f.owner, "", "sales", "--format", "csv", "--raw").want(t, ExitOK).stdout)
	if raw[1][3] != `=cmd|"/c calc"!A0` || raw[1][10] != "-EVIL" {
		t.Errorf("--raw changed the text: %q", raw[1])
	}

	// stock import reads a neutralised cell back as the original text.
	r := f.run(t, f.owner, "sku,quantity\n'+1+1,7\n''=quoted,8\n", "stock", "import").want(t, ExitOK)
	contains(t, "import", r.stdout+r.stderr, "2 row(s) changed")
	q := f.quantities(t, f.store.ID)
	if q["+1+1"] != 7 || q["'=quoted"] != 8 {
		t.Errorf("imported %v", q)
	}
	// And with --raw takes cells as they are.
	f.run(t, f.owner, "sku,quantity\n'+1+1,7\n", "stock", "import", "--raw").want(t, ExitFailure)
}

// Issue 11 item 7: bidi controls make a SKU or title read differently than
// it is. JSON escapes them; CSV marks them visibly; tables drop them.
func TestBidiControlsInMachineFormats(t *testing.T) {
	f := newFixture(t)
	bidi := []rune{0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069, 0x200e, 0x200f, 0x061c}
	title := "Invoice gpj\u202e.exe " + string(bidi)
	f.writeTitled(t, title, "SKU\u202eA")

	out := f.run(t, f.owner, "", "inventory", "--format", "json", "--filter", "901").want(t, ExitOK).stdout
	for _, r := range bidi {
		if strings.ContainsRune(out, r) {
			t.Errorf("json carries raw U+%04X", r)
		}
	}
	if !strings.Contains(out, `gpj\u202e.exe`) || !strings.Contains(out, `SKU\u202eA`) {
		t.Errorf("json does not escape U+202E: %s", out)
	}
	var items []inventoryJSON
	if err := json.Unmarshal([]byte(out), &items); err != nil || len(items) != 1 || items[0].Title != title || items[0].SKU != "SKU\u202eA" {
		t.Errorf("json lost the exact text: %v %q", err, out)
	}

	for _, args := range [][]string{{"inventory", "--format", "csv"}, {"inventory"}} {
		out := f.run(t, f.owner, "", append(args, "--filter", "901")...).want(t, ExitOK).stdout
		for _, r := range bidi {
			if strings.ContainsRune(out, r) {
				t.Errorf("%v carries raw U+%04X", args, r)
			}
		}
		if args[len(args)-1] == "csv" && !strings.Contains(out, "gpj<U+202E>.exe") {
			t.Errorf("csv does not mark U+202E: %q", out)
		}
	}
}

// Issue 17: listing_id:N picked the Nth variation in the list's sort order,
// not Etsy's, and the product_id an export prints was refused.
func TestStockRefUsesEtsyOrderAndProductID(t *testing.T) {
	f := newFixture(t)
	l := snapshot(905, []string{"S-1", "M-1", "L-1"}, 10)
	for i, v := range []string{"Size: S", "Size: M", "Size: L"} {
		l.Products[i].Variation = v // Etsy's order; sorted by name it is L, M, S
	}
	f.write(t, f.store.ID, l)
	f.run(t, f.owner, "", "stock", "set", "905:1", "1").want(t, ExitOK)
	f.run(t, f.owner, "", "stock", "set", "905:3", "3").want(t, ExitOK)
	f.run(t, f.owner, "", "stock", "set", "905:9051", "2").want(t, ExitOK) // M-1's product_id
	if q := f.quantities(t, f.store.ID); q["S-1"] != 1 || q["M-1"] != 2 || q["L-1"] != 3 {
		t.Errorf("quantities %v, want S-1 1, M-1 2, L-1 3", q)
	}
}

// Issue 17: stock set and add on a SKU several listings share changed
// them all without a word.
func TestStockSetSharedSKUSaysSoAndDryRun(t *testing.T) {
	f := newFixture(t)
	f.listing(t, f.store.ID, 902, []string{"MUG-1"}, 30)
	r := f.run(t, f.owner, "", "stock", "set", "MUG-1", "6", "--dry-run").want(t, ExitOK)
	contains(t, "dry run", r.stderr, "2 rows in 2 listings share SKU", "nothing applied")
	contains(t, "dry run", r.stdout, "900", "902")
	if q := f.quantities(t, f.store.ID); q["MUG-1"] == 6 || len(f.jobs.PushCalls()) != 0 {
		t.Fatalf("--dry-run applied")
	}
	r = f.run(t, f.owner, "", "stock", "add", "MUG-1", "1").want(t, ExitOK)
	contains(t, "add", r.stderr, "2 rows in 2 listings share SKU \"MUG-1\": all changed", "2 row(s) changed")
	// A SKU on one row says nothing of the kind.
	r = f.run(t, f.owner, "", "stock", "set", "MUG-2", "6").want(t, ExitOK)
	if strings.Contains(r.stderr, "share") {
		t.Errorf("a single row reported as shared: %q", r.stderr)
	}
}

// Issue 17: "0 row(s) changed, queued for Etsy" when nothing changed.
func TestStockSetNoChangeDoesNotSayQueued(t *testing.T) {
	f := newFixture(t)
	r := f.run(t, f.owner, "", "stock", "set", "MUG-1", "10").want(t, ExitOK)
	contains(t, "stderr", r.stderr, "0 row(s) changed")
	if strings.Contains(r.stderr, "queued") {
		t.Errorf("a no-op says queued: %q", r.stderr)
	}
}

// Issue 17: an edit queued for a store that must be connected again said
// "queued for Etsy" with no warning. The edit is kept (a seller expects what
// they typed not to be lost) and stderr says it waits for the reconnect.
func TestQueuedEditToStoreNeedingReauthWarns(t *testing.T) {
	f := newFixture(t)
	if err := f.db.StoreSetStatus(t.Context(), &store.StoreSetStatusParams{StoreID: f.store.ID, Status: store.StatusNeedsReauth,
		LastError: "etsy: authorization revoked", Now: epoch}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []call{
		{"", []string{"stock", "set", "MUG-1", "4"}},
		{"", []string{"stock", "add", "MUG-2", "1"}},
		{"sku,quantity\nMUG-3,2\n", []string{"stock", "import"}},
	} {
		r := f.run(t, f.owner, c.stdin, c.args...).want(t, ExitOK)
		contains(t, strings.Join(c.args, " "), r.stderr, "warning", "Ada's Pottery needs to be connected again",
			"saved", "reach Etsy")
		if strings.Contains(r.stderr, "queued for Etsy") {
			t.Errorf("%v still says queued for Etsy: %q", c.args, r.stderr)
		}
	}
	if q := f.quantities(t, f.store.ID); q["MUG-1"] != 4 || q["MUG-2"] != 12 || q["MUG-3"] != 2 {
		t.Errorf("the edits were not kept: %v", q)
	}
}

// Issue 17: stores cut the last error at 60 characters, in Go's words.
func TestStoresShowsTheWholeLastError(t *testing.T) {
	f := newFixture(t)
	raw := "etsy: refresh access token: vault: store needs to be connected again: etsy: authorization revoked, the shop must be connected again"
	if err := f.db.StoreSetStatus(t.Context(), &store.StoreSetStatusParams{StoreID: f.store.ID, Status: store.StatusNeedsReauth,
		LastError: raw, Now: epoch}); err != nil {
		t.Fatal(err)
	}
	r := f.run(t, f.owner, "", "stores").want(t, ExitOK)
	contains(t, "table", r.stdout, "Etsy access was revoked: press c to connect Ada's Pottery again")
	r = f.run(t, f.owner, "", "stores", "--format", "json").want(t, ExitOK)
	contains(t, "json", r.stdout, raw)

	long := "listing 901: " + strings.Repeat("a very long reason from Etsy ", 4) + "END"
	if err := f.db.StoreSetStatus(t.Context(), &store.StoreSetStatusParams{StoreID: f.store.ID, Status: store.StatusConnected,
		LastError: long, Now: epoch}); err != nil {
		t.Fatal(err)
	}
	r = f.run(t, f.owner, "", "stores").want(t, ExitOK)
	contains(t, "table", r.stdout, long)
}
