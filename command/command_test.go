package command

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/internal/jobsfake"
	"github.com/stockroom/stockroom/internal/sshtest"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/store/storetest"
)

type fixture struct {
	db     store.DB
	jobs   *jobsfake.Queue
	hub    *hub.Hub
	app    *app.Service
	owner  app.Actor
	viewer app.Actor
	store  store.Store
}

var epoch = time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)

// newFixture opens a fresh SQLite database with an owner whose store has
// one listing of three products (MUG-1..3 at 10, 11, 12) and a viewer of
// that store.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := t.Context()
	db := storetest.OpenSQLite(t)
	f := &fixture{db: db, jobs: &jobsfake.Queue{}, hub: hub.New()}
	f.app = app.New(app.Config{Store: db, Jobs: f.jobs, Hub: f.hub, SignupOpen: true})
	f.owner = f.signUp(t, "Ada")
	f.viewer = f.signUp(t, "Vic")
	f.store = f.connect(t, f.owner, 5001, "Ada's Pottery")
	f.listing(t, f.store.ID, 900, []string{"MUG-1", "MUG-2", "MUG-3"}, 10)
	if err := db.MembershipAdd(ctx, &store.MembershipAddParams{AccountID: f.viewer.Account.ID, StoreID: f.store.ID,
		Role: store.RoleViewer, Now: epoch}); err != nil {
		t.Fatal(err)
	}
	return f
}

func newKey(t *testing.T) ssh.PublicKey { return sshtest.NewKey(t).PublicKey() }

func (f *fixture) signUp(t *testing.T, name string) app.Actor {
	t.Helper()
	a, err := f.app.SignUp(t.Context(), app.SignUpParams{Name: name, Email: strings.ToLower(name) + "@example.com", PublicKey: newKey(t)})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func (f *fixture) connect(t *testing.T, a app.Actor, shopID int64, name string) store.Store {
	t.Helper()
	st, err := f.db.StoreConnect(t.Context(), &store.StoreConnectParams{AccountID: a.Account.ID, EtsyShopID: shopID,
		EtsyUserID: shopID + 1, Name: name, Currency: "EUR", AccessToken: []byte("sealed"), RefreshToken: []byte("sealed"),
		TokenExpiresAt: epoch.Add(time.Hour), Now: epoch})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// listing writes one listing whose products have skus, at quantities
// qty, qty+1, ...
func (f *fixture) listing(t *testing.T, storeID, etsyID int64, skus []string, qty int) {
	t.Helper()
	f.write(t, storeID, snapshot(etsyID, skus, qty))
}

func snapshot(etsyID int64, skus []string, qty int) store.ListingSnapshot {
	l := store.ListingSnapshot{EtsyListingID: etsyID, Title: fmt.Sprintf("Hand-thrown mug %d", etsyID), State: "active",
		URL: fmt.Sprintf("https://www.etsy.com/listing/%d", etsyID), UpdatedAt: epoch, Products: []store.ProductSnapshot{}}
	for i, sku := range skus {
		l.Products = append(l.Products, store.ProductSnapshot{Key: fmt.Sprintf("%d-%d", etsyID, i), EtsyProductID: etsyID*10 + int64(i),
			SKU: sku, Variation: fmt.Sprintf("Colour: glaze %d", i), PropertyValues: "[]", EtsyOfferingID: etsyID*100 + int64(i),
			Quantity: qty + i, Price: store.Money{Amount: 2450, Divisor: 100, Currency: "EUR"}, Enabled: true, ReadinessID: 1})
		l.Quantity += qty + i
	}
	return l
}

func (f *fixture) write(t *testing.T, storeID int64, ls ...store.ListingSnapshot) {
	t.Helper()
	if _, err := f.db.SyncListingsWrite(t.Context(), &store.SyncListingsWriteParams{StoreID: storeID, Listings: ls, Now: epoch}); err != nil {
		t.Fatal(err)
	}
}

// call is a command line and what it reads on stdin.
type call struct {
	stdin string
	args  []string
}

// writeTitled writes listing 901, titled title, with one product of 4 per
// SKU: for tests of how text from Etsy is shown.
func (f *fixture) writeTitled(t *testing.T, title string, skus ...string) {
	t.Helper()
	l := snapshot(901, skus, 4)
	l.Title = title
	f.write(t, f.store.ID, l)
}

// quantities maps each SKU of the store to the quantity a seller sees.
func (f *fixture) quantities(t *testing.T, storeID int64) map[string]int {
	t.Helper()
	rows, err := f.db.InventoryList(t.Context(), &store.InventoryListParams{AccountID: f.owner.Account.ID, StoreID: storeID})
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]int{}
	for _, r := range rows {
		m[r.SKU] = r.Shown()
	}
	return m
}

type result struct {
	code           int
	stdout, stderr string
}

func (f *fixture) run(t *testing.T, a app.Actor, stdin string, args ...string) result {
	t.Helper()
	return f.runEnv(t, Env{Actor: a, Stdin: strings.NewReader(stdin)}, args...)
}

// runEnv runs with env's actor, key and stdin on the fixture's service.
func (f *fixture) runEnv(t *testing.T, env Env, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	env.App, env.Stdout, env.Stderr = f.app, &out, &errb
	code := Run(t.Context(), env, args)
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

func (r result) want(t *testing.T, code int) result {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
	return r
}

func contains(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%s does not contain %q:\n%s", what, sub, s)
		}
	}
}

// jsonKeys returns the field names of the first object in a JSON array
// (or of the object itself).
func jsonKeys(t *testing.T, s string) []string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, s)
	}
	if arr, ok := v.([]any); ok {
		if len(arr) == 0 {
			t.Fatalf("empty JSON array")
		}
		v = arr[0]
	}
	obj, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("not a JSON object: %s", s)
	}
	var keys []string
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func wantKeys(t *testing.T, s string, want ...string) {
	t.Helper()
	got := jsonKeys(t, s)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("JSON fields\n got %v\nwant %v", got, want)
	}
}

func readCSV(t *testing.T, s string) [][]string {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(s)).ReadAll()
	if err != nil {
		t.Fatalf("not CSV: %v\n%s", err, s)
	}
	return recs
}

func TestHelp(t *testing.T) {
	f := newFixture(t)
	r := f.run(t, f.owner, "", "help").want(t, ExitOK)
	contains(t, "help", r.stdout, "inventory", "stock set", "stock import", "sync log", "keys link", "keys claim", "whoami")
	r = f.run(t, f.owner, "", "--help").want(t, ExitOK)
	contains(t, "--help", r.stdout, "stock add")

	for _, args := range [][]string{
		{"inventory", "--help"}, {"stock", "set", "--help"}, {"stock", "import", "-h"}, {"sales", "--help"},
		{"sync", "--help"}, {"sync", "log", "--help"}, {"keys", "list", "--help"}, {"keys", "link", "--help"}, {"keys", "claim", "--help"},
		{"keys", "remove", "--help"}, {"whoami", "--help"}, {"stores", "--help"}, {"help", "stock", "set"},
	} {
		r := f.run(t, f.owner, "", args...).want(t, ExitOK)
		contains(t, strings.Join(args, " "), r.stdout, "usage: ")
		if r.stderr != "" {
			t.Errorf("%v wrote to stderr: %s", args, r.stderr)
		}
	}
	r = f.run(t, f.owner, "", "inventory", "--help")
	contains(t, "inventory --help", r.stdout, "-format", "-low", "-filter", "-store")
	r = f.run(t, f.owner, "", "stock", "--help").want(t, ExitOK)
	contains(t, "stock --help", r.stdout, "set", "add", "import")
}

func TestUsageErrors(t *testing.T) {
	f := newFixture(t)
	for name, args := range map[string][]string{
		"no command":       {},
		"unknown command":  {"frobnicate"},
		"unknown sub":      {"stock", "frob"},
		"no sub":           {"keys"},
		"unknown flag":     {"inventory", "--colour"},
		"bad format":       {"inventory", "--format", "xml"},
		"missing argument": {"stock", "set", "MUG-1"},
		"extra argument":   {"whoami", "extra"},
		"not a number":     {"stock", "set", "MUG-1", "lots"},
		"flag value":       {"sync", "log", "--limit", "many"},
		"bad since":        {"sales", "--since", "last tuesday"},
	} {
		t.Run(name, func(t *testing.T) {
			r := f.run(t, f.owner, "", args...).want(t, ExitUsage)
			if r.stderr == "" || r.stdout != "" {
				t.Errorf("want a message on stderr only; stdout %q stderr %q", r.stdout, r.stderr)
			}
		})
	}
	r := f.run(t, f.owner, "", "inventory", "--colour").want(t, ExitUsage)
	contains(t, "stderr", r.stderr, "--colour", "help inventory")
}

func TestWhoami(t *testing.T) {
	f := newFixture(t)
	r := f.run(t, f.owner, "", "whoami").want(t, ExitOK)
	contains(t, "whoami", r.stdout, "Ada", "ada@example.com", f.owner.Fingerprint)
	r = f.run(t, f.owner, "", "whoami", "--format", "json").want(t, ExitOK)
	wantKeys(t, r.stdout, "account_id", "name", "email", "admin", "key_fingerprint", "created_at")
}

func TestStores(t *testing.T) {
	f := newFixture(t)
	r := f.run(t, f.viewer, "", "stores").want(t, ExitOK)
	contains(t, "stores", r.stdout, "Ada's Pottery", "viewer", "connected")
	r = f.run(t, f.owner, "", "stores", "--format", "json").want(t, ExitOK)
	wantKeys(t, r.stdout, "id", "etsy_shop_id", "name", "role", "status", "currency", "sandbox", "last_sync_at", "last_error")
	recs := readCSV(t, f.run(t, f.owner, "", "stores", "--format", "csv").want(t, ExitOK).stdout)
	if len(recs) != 2 || !slices.Equal(recs[0], storeCSVHeader) || recs[1][2] != "Ada's Pottery" || recs[1][3] != "owner" {
		t.Errorf("stores csv: %q", recs)
	}
}

func TestInventory(t *testing.T) {
	f := newFixture(t)
	r := f.run(t, f.owner, "", "inventory").want(t, ExitOK)
	contains(t, "table", r.stdout, "SKU", "MUG-1", "MUG-2", "MUG-3", "Hand-thrown mug 900", "Colour: glaze 1")

	recs := readCSV(t, f.run(t, f.owner, "", "inventory", "--format", "csv").want(t, ExitOK).stdout)
	if !slices.Equal(recs[0], inventoryCSVHeader) || recs[0][0] != "sku" || recs[0][1] != "quantity" {
		t.Errorf("csv header %q", recs[0])
	}
	if len(recs) != 4 || recs[1][0] != "MUG-1" || recs[1][1] != "10" || recs[1][11] != "24.50" {
		t.Errorf("csv rows %q", recs)
	}

	r = f.run(t, f.viewer, "", "inventory", "--format", "json").want(t, ExitOK)
	wantKeys(t, r.stdout, "sku", "quantity", "etsy_quantity", "pending", "push_status", "push_error", "listing_id",
		"product_id", "title", "variation", "state", "price", "currency", "low_stock_threshold", "low", "url", "updated_at")
	var items []inventoryJSON
	if err := json.Unmarshal([]byte(r.stdout), &items); err != nil || len(items) != 3 {
		t.Fatalf("json: %v %s", err, r.stdout)
	}
	if items[2].SKU != "MUG-3" || items[2].Quantity != 12 || items[2].ListingID != 900 || items[2].PushStatus != "synced" {
		t.Errorf("json row %+v", items[2])
	}

	r = f.run(t, f.owner, "", "inventory", "--filter", "mug-2", "--format", "csv").want(t, ExitOK)
	if recs := readCSV(t, r.stdout); len(recs) != 2 || recs[1][0] != "MUG-2" {
		t.Errorf("--filter: %q", recs)
	}
	// The store's default threshold decides what is low; set one row to it.
	rows, _ := f.app.Inventory(t.Context(), f.owner, f.store.ID)
	if _, err := f.app.SetStock(t.Context(), f.owner, app.StockParams{StoreID: f.store.ID, Source: store.SourceTUI,
		Edits: []store.StockEditItem{{OfferingID: rows[1].OfferingID, Quantity: rows[1].Threshold}}}); err != nil {
		t.Fatal(err)
	}
	r = f.run(t, f.owner, "", "inventory", "--low", "--format", "json").want(t, ExitOK)
	if err := json.Unmarshal([]byte(r.stdout), &items); err != nil || len(items) != 1 || items[0].SKU != "MUG-2" ||
		!items[0].Low || !items[0].Pending || items[0].PushStatus != "pending" {
		t.Errorf("--low: %v %s", err, r.stdout)
	}
}

func TestInventoryEscapesUntrustedText(t *testing.T) {
	f := newFixture(t)
	title := "Bowl \x1b]52;c;cGF5bG9hZA==\x07 \"quoted\"\nnext \u009b2J"
	f.writeTitled(t, title, "EVIL,1")
	r := f.run(t, f.owner, "", "inventory").want(t, ExitOK)
	if strings.ContainsAny(r.stdout, "\x1b\x07") {
		t.Errorf("table carries control characters: %q", r.stdout)
	}
	// CSV keeps the text, quoted (comma, quotes, line break), but not the
	// controls it cannot escape.
	out := f.run(t, f.owner, "", "inventory", "--format", "csv", "--filter", "evil").want(t, ExitOK).stdout
	if strings.ContainsAny(out, "\x1b\x07\u009b") {
		t.Errorf("csv carries terminal controls: %q", out)
	}
	recs := readCSV(t, out)
	if want := "Bowl ]52;c;cGF5bG9hZA== \"quoted\"\nnext 2J"; len(recs) != 2 || recs[1][0] != "EVIL,1" || recs[1][8] != want {
		t.Errorf("csv text: %q", recs)
	}
	r = f.run(t, f.owner, "", "inventory", "--format", "json", "--filter", "EVIL").want(t, ExitOK)
	var items []inventoryJSON
	if err := json.Unmarshal([]byte(r.stdout), &items); err != nil || len(items) != 1 || items[0].Title != title {
		t.Errorf("json does not carry the exact text: %v %s", err, r.stdout)
	}
	// The exact text, escaped: a terminal showing the JSON sees no control.
	if strings.ContainsAny(r.stdout, "\x1b\x07\u009b") || !strings.Contains(r.stdout, `\u009b2J`) {
		t.Errorf("json output carries raw controls: %q", r.stdout)
	}
}

func TestStoreChoice(t *testing.T) {
	f := newFixture(t)
	second := f.connect(t, f.owner, 5002, "Ada's Prints")
	f.listing(t, second.ID, 950, []string{"PRINT-1"}, 3)

	r := f.run(t, f.owner, "", "inventory").want(t, ExitUsage)
	contains(t, "stderr", r.stderr, "--store", "Ada's Pottery", "Ada's Prints")
	r = f.run(t, f.owner, "", "inventory", "--store", "nope").want(t, ExitUsage)
	contains(t, "stderr", r.stderr, `no store "nope"`, "Ada's Prints")

	r = f.run(t, f.owner, "", "inventory", "--store", "ada's prints").want(t, ExitOK)
	contains(t, "by name", r.stdout, "PRINT-1")
	r = f.run(t, f.owner, "", "inventory", "--store", strconv.FormatInt(second.ID, 10)).want(t, ExitOK)
	contains(t, "by id", r.stdout, "PRINT-1")
	f.run(t, f.owner, "", "stock", "set", "PRINT-1", "7", "--store", "5002").want(t, ExitOK)
	if q := f.quantities(t, second.ID)["PRINT-1"]; q != 7 {
		t.Errorf("PRINT-1 = %d, want 7", q)
	}

	// An account without stores is told to connect one.
	loner := f.signUp(t, "Lou")
	r = f.run(t, loner, "", "inventory").want(t, ExitFailure)
	contains(t, "stderr", r.stderr, "connect")
}

func TestStockSet(t *testing.T) {
	f := newFixture(t)
	r := f.run(t, f.owner, "", "stock", "set", "MUG-2", "4").want(t, ExitOK)
	contains(t, "stdout", r.stdout, "MUG-2", "11", "4", "queued")
	if q := f.quantities(t, f.store.ID); q["MUG-2"] != 4 || q["MUG-1"] != 10 {
		t.Errorf("quantities %v", q)
	}
	if len(f.jobs.PushCalls()) != 1 {
		t.Errorf("%d pushes queued, want 1", len(f.jobs.PushCalls()))
	}
	ev, err := f.app.History(t.Context(), f.owner, f.store.ID, 0, 10)
	if err != nil || len(ev) != 1 || ev[0].Source != store.SourceCommand || ev[0].Before != 11 || ev[0].After != 4 ||
		ev[0].AccountID != f.owner.Account.ID {
		t.Errorf("audit trail %+v %v", ev, err)
	}

	// listing_id:product, by position and by variation; flags after the
	// arguments.
	f.run(t, f.owner, "", "stock", "set", "900:3", "0", "--store", "Ada's Pottery").want(t, ExitOK)
	f.run(t, f.owner, "", "stock", "set", "900:colour: glaze 0", "1").want(t, ExitOK)
	if q := f.quantities(t, f.store.ID); q["MUG-3"] != 0 || q["MUG-1"] != 1 {
		t.Errorf("quantities %v", q)
	}

	before := f.quantities(t, f.store.ID)
	pushes := len(f.jobs.PushCalls())
	for name, tc := range map[string]struct {
		args []string
		code int
		msg  string
	}{
		"unknown SKU":   {[]string{"stock", "set", "NOPE-9", "3"}, ExitFailure, "unknown SKU"},
		"1000":          {[]string{"stock", "set", "MUG-1", "1000"}, ExitFailure, "0 to 999"},
		"negative":      {[]string{"stock", "set", "MUG-1", "-1"}, ExitFailure, "0 to 999"},
		"many variants": {[]string{"stock", "set", "900", "3"}, ExitFailure, "3 variations"},
		"not a number":  {[]string{"stock", "set", "MUG-1", "4.5"}, ExitUsage, "whole number"},
		"unknown flag":  {[]string{"stock", "set", "MUG-1", "4", "--force"}, ExitUsage, "-force"},
	} {
		t.Run(name, func(t *testing.T) {
			r := f.run(t, f.owner, "", tc.args...).want(t, tc.code)
			contains(t, "stderr", r.stderr, tc.msg)
		})
	}
	r = f.run(t, f.viewer, "", "stock", "set", "MUG-1", "5").want(t, ExitFailure)
	contains(t, "viewer stderr", r.stderr, "viewers")
	if after := f.quantities(t, f.store.ID); !maps.Equal(before, after) || len(f.jobs.PushCalls()) != pushes {
		t.Errorf("a refused edit changed something: %v → %v, pushes %d → %d", before, after, pushes, len(f.jobs.PushCalls()))
	}
}

func TestStockSetSharedSKU(t *testing.T) {
	f := newFixture(t)
	f.listing(t, f.store.ID, 902, []string{"MUG-1"}, 30) // the same SKU on another listing
	r := f.run(t, f.owner, "", "stock", "set", "MUG-1", "6").want(t, ExitOK)
	rows, _ := f.app.Inventory(t.Context(), f.owner, f.store.ID)
	n := 0
	for _, row := range rows {
		if row.SKU == "MUG-1" {
			n++
			if row.Shown() != 6 {
				t.Errorf("listing %d: MUG-1 = %d, want 6", row.EtsyListingID, row.Shown())
			}
		}
	}
	if n != 2 || strings.Count(r.stdout, "queued") != 2 {
		t.Errorf("%d rows, stdout:\n%s", n, r.stdout)
	}
}

func TestStockAdd(t *testing.T) {
	f := newFixture(t)
	f.run(t, f.owner, "", "stock", "add", "MUG-1", "5").want(t, ExitOK)
	f.run(t, f.owner, "", "stock", "add", "MUG-2", "-3").want(t, ExitOK)
	f.run(t, f.owner, "", "stock", "add", "--store", "5001", "MUG-3", "-2").want(t, ExitOK)
	if q := f.quantities(t, f.store.ID); q["MUG-1"] != 15 || q["MUG-2"] != 8 || q["MUG-3"] != 10 {
		t.Errorf("quantities %v", q)
	}
	r := f.run(t, f.owner, "", "stock", "add", "MUG-1", "985").want(t, ExitFailure)
	contains(t, "stderr", r.stderr, "1000", "0 to 999")
	f.run(t, f.owner, "", "stock", "add", "MUG-1", "-16").want(t, ExitFailure)
	f.run(t, f.viewer, "", "stock", "add", "MUG-1", "1").want(t, ExitFailure)
	if q := f.quantities(t, f.store.ID); q["MUG-1"] != 15 {
		t.Errorf("MUG-1 = %d after refused edits, want 15", q["MUG-1"])
	}
}

func TestStockImport(t *testing.T) {
	f := newFixture(t)
	csvText := "sku,quantity,note\nMUG-1,20,restock\nMUG-2,11,same\n"

	r := f.run(t, f.owner, csvText, "stock", "import", "--dry-run").want(t, ExitOK)
	contains(t, "dry run", r.stdout, "MUG-1", "10", "20")
	// The summary is a message, on stderr: stdout holds only the plan.
	contains(t, "dry run", r.stderr, "2 line(s) read, 1 unchanged", "1 row(s) would change", "2 Etsy call(s)")
	if q := f.quantities(t, f.store.ID); q["MUG-1"] != 10 {
		t.Fatalf("dry run applied: %v", q)
	}
	// A viewer may look at a plan but not apply it.
	f.run(t, f.viewer, csvText, "stock", "import", "--dry-run").want(t, ExitOK)
	r = f.run(t, f.viewer, csvText, "stock", "import").want(t, ExitFailure)
	contains(t, "viewer", r.stderr, "viewers")
	if q := f.quantities(t, f.store.ID); q["MUG-1"] != 10 || len(f.jobs.PushCalls()) != 0 {
		t.Fatalf("viewer import applied: %v", q)
	}

	r = f.run(t, f.owner, csvText, "stock", "import").want(t, ExitOK)
	contains(t, "import", r.stderr, "1 row(s) changed")
	if r.stdout != "" {
		t.Errorf("import wrote to stdout: %q", r.stdout)
	}
	// Importing it again changes nothing, and does not say it queued.
	r = f.run(t, f.owner, csvText, "stock", "import").want(t, ExitOK)
	contains(t, "again", r.stderr, "0 row(s) changed")
	if strings.Contains(r.stderr, "queued") {
		t.Errorf("a no-op import says it queued: %q", r.stderr)
	}
	if q := f.quantities(t, f.store.ID); q["MUG-1"] != 20 || q["MUG-2"] != 11 {
		t.Errorf("quantities %v", q)
	}
	ev, _ := f.app.History(t.Context(), f.owner, f.store.ID, 0, 10)
	if len(ev) != 1 || ev[0].Source != store.SourceImport {
		t.Errorf("audit trail %+v", ev)
	}
}

func TestStockImportRefusesInvalidRows(t *testing.T) {
	f := newFixture(t)
	good := "MUG-1,1\nMUG-2,2\nMUG-3,3\n"
	for name, tc := range map[string]struct {
		input string
		msg   string
	}{
		// Row 7 of the file (the header is line 1) is malformed.
		"malformed row 7": {"sku,quantity\n" + good + "\n\nMUG-9,\"4\n", "line 7"},
		"unknown SKU":     {"sku,quantity\n" + good + "\n\nNOPE,4\n", "line 7: unknown SKU"},
		"1000":            {"sku,quantity\n" + good + "\n\nMUG-1X,1000\n", "line 7"},
		"not whole":       {"sku,quantity\nMUG-1,2.5\n", "line 2: quantity \"2.5\" is not a whole number"},
		"duplicate":       {"sku,quantity\nMUG-1,1\nMUG-2,2\nMUG-1,3\n", "line 4: SKU \"MUG-1\" also on line 2"},
		"no header":       {"MUG-1,1\n", "sku and quantity"},
		"empty":           {"", "empty input"},
	} {
		t.Run(name, func(t *testing.T) {
			r := f.run(t, f.owner, tc.input, "stock", "import").want(t, ExitFailure)
			contains(t, "stderr", r.stderr, tc.msg, "nothing applied")
			if q := f.quantities(t, f.store.ID); q["MUG-1"] != 10 || q["MUG-2"] != 11 || q["MUG-3"] != 12 {
				t.Errorf("something was applied: %v", q)
			}
			if len(f.jobs.PushCalls()) != 0 {
				t.Errorf("pushes queued")
			}
		})
	}
	big := "sku,quantity\n" + strings.Repeat("MUG-1,1\n", MaxImportBytes/8+1)
	r := f.run(t, f.owner, big, "stock", "import").want(t, ExitFailure)
	contains(t, "stderr", r.stderr, "larger than 10 MiB")
}

func TestImportExportRoundTrip(t *testing.T) {
	f := newFixture(t)
	var ls []store.ListingSnapshot
	for i := range 100 {
		skus := make([]string, 10)
		for j := range skus {
			skus[j] = fmt.Sprintf("RT-%03d-%d", i, j)
		}
		ls = append(ls, snapshot(int64(10000+i), skus, 5))
	}
	f.write(t, f.store.ID, ls...)

	var in strings.Builder
	in.WriteString("sku,quantity\n")
	want := map[string]int{"MUG-1": 10, "MUG-2": 11, "MUG-3": 12}
	for i := range 1000 {
		sku := fmt.Sprintf("RT-%03d-%d", i/10, i%10)
		q := (i * 37) % 1000
		want[sku] = q
		fmt.Fprintf(&in, "%s,%d\n", sku, q)
	}
	r := f.run(t, f.owner, in.String(), "stock", "import").want(t, ExitOK)
	contains(t, "import", r.stderr, "imported 1000 line(s)")

	out := f.run(t, f.owner, "", "inventory", "--format", "csv").want(t, ExitOK).stdout
	recs := readCSV(t, out)
	got := map[string]int{}
	for _, rec := range recs[1:] {
		q, err := strconv.Atoi(rec[1])
		if err != nil {
			t.Fatalf("quantity %q: %v", rec[1], err)
		}
		got[rec[0]] = q
	}
	if !maps.Equal(got, want) {
		t.Errorf("round trip: %d SKUs exported, %d imported", len(got), len(want))
	}
	// The export imports again as a no-op.
	r = f.run(t, f.owner, out, "stock", "import", "--dry-run").want(t, ExitOK)
	contains(t, "re-import", r.stderr, "1003 line(s) read, 1003 unchanged; 0 row(s) would change")
}

func TestSales(t *testing.T) {
	f := newFixture(t)
	now := time.Now().UTC().Truncate(time.Second)
	receipts := []store.Receipt{
		{EtsyReceiptID: 7001, Status: "paid", BuyerName: "Bea, \"the\" buyer", IsPaid: true,
			Total: store.Money{Amount: 4900, Divisor: 100, Currency: "EUR"}, CreatedAt: now.Add(-2 * time.Hour), UpdatedAt: now.Add(-time.Hour),
			Items: []store.ReceiptItem{
				{EtsyTransactionID: 1, EtsyListingID: 900, SKU: "MUG-1", Title: "Hand-thrown mug", Quantity: 1, Price: store.Money{Amount: 2450, Divisor: 100, Currency: "EUR"}},
				{EtsyTransactionID: 2, EtsyListingID: 900, SKU: "MUG-2", Title: "Hand-thrown mug", Quantity: 1, Price: store.Money{Amount: 2450, Divisor: 100, Currency: "EUR"}},
			}},
		{EtsyReceiptID: 6001, Status: "completed", BuyerName: "Old", IsPaid: true, IsShipped: true,
			Total: store.Money{Amount: 1000, Divisor: 100, Currency: "EUR"}, CreatedAt: now.AddDate(0, 0, -20), UpdatedAt: now.AddDate(0, 0, -20),
			Items: []store.ReceiptItem{{EtsyTransactionID: 3, EtsyListingID: 900, SKU: "MUG-3", Quantity: 1, Price: store.Money{Amount: 1000, Divisor: 100, Currency: "EUR"}}}},
	}
	if _, err := f.db.SyncReceiptsWrite(t.Context(), &store.SyncReceiptsWriteParams{StoreID: f.store.ID, Receipts: receipts}); err != nil {
		t.Fatal(err)
	}
	r := f.run(t, f.viewer, "", "sales").want(t, ExitOK)
	contains(t, "table", r.stdout, "7001", "6001", "49.00 EUR", "1× MUG-1")
	r = f.run(t, f.owner, "", "sales", "--since", "7d").want(t, ExitOK)
	if strings.Contains(r.stdout, "6001") || !strings.Contains(r.stdout, "7001") {
		t.Errorf("--since 7d:\n%s", r.stdout)
	}
	r = f.run(t, f.owner, "", "sales", "--since", now.AddDate(0, 0, -30).Format(time.DateOnly), "--format", "json").want(t, ExitOK)
	wantKeys(t, r.stdout, "receipt_id", "created_at", "updated_at", "status", "buyer", "message", "paid", "shipped", "total", "currency", "items")
	var out []receiptJSON
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || len(out) != 2 {
		t.Fatalf("json %v %s", err, r.stdout)
	}
	if out[0].ReceiptID != 7001 || out[0].CreatedAt != now.Add(-2*time.Hour).Format(time.RFC3339) || out[0].Total != "49.00" ||
		len(out[0].Items) != 2 || out[0].Items[1].SKU != "MUG-2" || out[0].Items[1].Price != "24.50" {
		t.Errorf("json receipt %+v", out[0])
	}
	recs := readCSV(t, f.run(t, f.owner, "", "sales", "--since", "30d", "--format", "csv").want(t, ExitOK).stdout)
	if !slices.Equal(recs[0], salesCSVHeader) || len(recs) != 4 || recs[1][3] != "Bea, \"the\" buyer" || recs[2][10] != "MUG-2" {
		t.Errorf("csv %q", recs)
	}
}

// playSync makes the fake queue run a sync the way the sync engine
// reports one: a run in the log and hub events around it.
func (f *fixture) playSync(t *testing.T, result store.SyncResult, msg string) {
	f.jobs.OnSync(func(storeID int64, kind store.SyncKind, jobID int64) {
		f.recordRun(t, storeID, kind, store.TriggerManual, jobID, result, msg)
	})
}

// recordRun records a sync run the way the sync engine does: a run in the
// log and hub events around it. It returns the run's id.
func (f *fixture) recordRun(t *testing.T, storeID int64, kind store.SyncKind, trigger store.SyncTrigger, jobID int64,
	result store.SyncResult, msg string) int64 {
	ctx := context.Background()
	run, err := f.db.SyncRunStart(ctx, &store.SyncRunStartParams{StoreID: storeID, Kind: kind, Trigger: trigger,
		JobID: jobID, Process: "server", Now: time.Now()})
	if err != nil {
		t.Error(err)
		return 0
	}
	f.hub.Publish(hub.Event{Kind: hub.SyncStarted, StoreID: storeID, RunID: run.ID, JobID: jobID, State: string(kind)})
	if _, err := f.db.SyncRunFinish(ctx, &store.SyncRunFinishParams{ID: run.ID, Result: result, ListingsChanged: 3,
		APICalls: 4, Error: msg, Now: time.Now()}); err != nil {
		t.Error(err)
		return 0
	}
	f.hub.Publish(hub.Event{Kind: hub.SyncFinished, StoreID: storeID, RunID: run.ID, JobID: jobID, State: string(result), Error: msg})
	return run.ID
}

// TestSyncWaitReportsTheSyncItAskedFor: a scheduled incremental sync that
// starts and ends while the one asked for waits to run is not reported as
// it; --wait reports the run of its own job.
func TestSyncWaitReportsTheSyncItAskedFor(t *testing.T) {
	f := newFixture(t)
	asked := make(chan int64, 1)
	f.jobs.OnSync(func(storeID int64, kind store.SyncKind, jobID int64) {
		// A scheduled sync (another job) runs first, then the one asked for.
		f.recordRun(t, storeID, store.SyncIncremental, store.TriggerSchedule, 1, store.ResultFailed, "a scheduled sync's failure")
		asked <- f.recordRun(t, storeID, kind, store.TriggerManual, jobID, store.ResultOK, "")
	})
	r := f.run(t, f.owner, "", "sync", "--wait").want(t, ExitOK)
	run := <-asked
	contains(t, "stdout", r.stdout, fmt.Sprintf("sync %d ok", run))
	contains(t, "stderr", r.stderr, fmt.Sprintf("sync %d started (full)", run))
	if strings.Contains(r.stdout+r.stderr, "incremental") || strings.Contains(r.stdout+r.stderr, "scheduled sync") {
		t.Errorf("--wait reported the scheduled sync: %s%s", r.stderr, r.stdout)
	}
}

func TestSync(t *testing.T) {
	f := newFixture(t)
	r := f.run(t, f.owner, "", "sync").want(t, ExitOK)
	contains(t, "sync", r.stderr, "queued")
	if len(f.jobs.SyncKinds()) != 1 || f.jobs.SyncKinds()[0] != store.SyncFull {
		t.Errorf("syncs queued %v", f.jobs.SyncKinds())
	}

	f.playSync(t, store.ResultOK, "")
	r = f.run(t, f.viewer, "", "sync").want(t, ExitFailure)
	contains(t, "viewer's sync", r.stderr, "you are a viewer")
	r = f.run(t, f.owner, "", "sync", "--wait").want(t, ExitOK)
	contains(t, "stdout", r.stdout, "ok", "3 listing(s)", "4 Etsy call(s)")
	contains(t, "stderr", r.stderr, "started")

	f.playSync(t, store.ResultFailed, "Etsy answered 503")
	r = f.run(t, f.owner, "", "sync", "--wait").want(t, ExitFailure)
	contains(t, "stderr", r.stderr, "failed", "Etsy answered 503")

	r = f.run(t, f.owner, "", "sync", "log").want(t, ExitOK)
	contains(t, "log", r.stdout, "RESULT", "failed", "Etsy answered 503", "ok")
	r = f.run(t, f.owner, "", "sync", "log", "--format", "json", "--limit", "1").want(t, ExitOK)
	wantKeys(t, r.stdout, "id", "kind", "trigger", "result", "started_at", "finished_at", "duration_seconds",
		"listings_changed", "receipts_changed", "api_calls", "error")
	var runs []syncRunJSON
	if err := json.Unmarshal([]byte(r.stdout), &runs); err != nil || len(runs) != 1 || runs[0].Result != "failed" {
		t.Errorf("log json %v %s", err, r.stdout)
	}

	// Leaving the wait (the connection closing) ends it without waiting.
	f.jobs.OnSync(nil)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	var errb bytes.Buffer
	code := Run(ctx, Env{App: f.app, Actor: f.owner, Stdout: &bytes.Buffer{}, Stderr: &errb}, []string{"sync", "--wait"})
	if code != ExitFailure || !strings.Contains(errb.String(), "stopped waiting") {
		t.Errorf("cancelled wait: exit %d, %s", code, errb.String())
	}
}

func TestKeys(t *testing.T) {
	f := newFixture(t)
	r := f.run(t, f.owner, "", "keys", "list").want(t, ExitOK)
	contains(t, "list", r.stdout, f.owner.Fingerprint)
	r = f.run(t, f.owner, "", "keys", "list", "--format", "json").want(t, ExitOK)
	wantKeys(t, r.stdout, "id", "fingerprint", "comment", "current", "created_at", "last_used_at")

	pk := newKey(t)
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pk))) + " ada@tablet\n"
	// Pasting a public key proves nothing: keys add says how to link.
	r = f.run(t, f.owner, line, "keys", "add").want(t, ExitUsage)
	contains(t, "add", r.stderr, "keys link", "keys claim")
	r = f.run(t, f.owner, "", "keys", "link").want(t, ExitOK)
	code := strings.TrimSpace(r.stdout)
	contains(t, "link", r.stderr, "keys claim "+code)
	// The new key, signing in without an account, claims it.
	r = f.runEnv(t, Env{PublicKey: pk, RemoteAddr: "192.0.2.4:22"}, "keys", "claim", code).want(t, ExitOK)
	contains(t, "claim", r.stdout, ssh.FingerprintSHA256(pk), "Ada")
	f.runEnv(t, Env{PublicKey: newKey(t), RemoteAddr: "192.0.2.4:22"}, "keys", "claim", code).want(t, ExitFailure)
	f.runEnv(t, Env{PublicKey: newKey(t)}, "inventory").want(t, ExitFailure)
	f.run(t, f.viewer, "", "keys", "claim", code).want(t, ExitFailure) // a key with an account

	keys, _ := f.app.Keys(t.Context(), f.owner)
	if len(keys) != 2 || keys[1].Fingerprint != ssh.FingerprintSHA256(pk) {
		t.Fatalf("keys %+v", keys)
	}
	f.run(t, f.owner, "", "keys", "remove", "999").want(t, ExitFailure)
	f.run(t, f.owner, "", "keys", "remove", ssh.FingerprintSHA256(pk)).want(t, ExitOK)
	r = f.run(t, f.owner, "", "keys", "remove", strconv.FormatInt(keys[0].ID, 10)).want(t, ExitFailure)
	contains(t, "last key", r.stderr, "only key")
	if keys, _ := f.app.Keys(t.Context(), f.owner); len(keys) != 1 {
		t.Errorf("%d keys left, want 1", len(keys))
	}
}

// TestSyncWaitJoinsOnlyALiveSync: a sync of the same kind running in a
// live process is joined; one left running by a process that died is not
// waited for: a sync of its own is queued and reported.
func TestSyncWaitJoinsOnlyALiveSync(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	running := func(process string, seen time.Time, jobID int64) store.SyncRun {
		t.Helper()
		if err := f.db.ProcessBeat(ctx, process, seen); err != nil {
			t.Fatal(err)
		}
		run, err := f.db.SyncRunStart(ctx, &store.SyncRunStartParams{StoreID: f.store.ID, Kind: store.SyncFull,
			Trigger: store.TriggerManual, Process: process, JobID: jobID, Now: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		return run
	}
	dead := running("dead", time.Now().Add(-time.Minute), 77)
	f.playSync(t, store.ResultOK, "")
	r := f.run(t, f.owner, "", "sync", "--wait").want(t, ExitOK)
	if strings.Contains(r.stdout+r.stderr, fmt.Sprintf("sync %d ", dead.ID)) || len(f.jobs.SyncKinds()) != 1 {
		t.Fatalf("--wait followed the dead process's run %d (syncs queued %v): %s%s", dead.ID, f.jobs.SyncKinds(), r.stderr, r.stdout)
	}

	// A live process's sync of the same kind is joined, not queued again.
	f.jobs.OnSync(nil)
	running("alive", time.Now(), 78)
	req, err := f.app.SyncStart(ctx, f.owner, f.store.ID)
	if err != nil || !req.Joined || req.JobID != 78 || len(f.jobs.SyncKinds()) != 1 {
		t.Fatalf("sync start beside a live sync = %+v %v (syncs queued %v), want it joined", req, err, f.jobs.SyncKinds())
	}
}

func TestStoreSetZeroPolicy(t *testing.T) {
	f := newFixture(t)
	r := f.run(t, f.owner, "", "store", "set", "--zero-policy", "keep-sold-out").want(t, ExitOK)
	contains(t, "stderr", r.stderr, "keep-sold-out")
	if st, _ := f.db.StoreGet(t.Context(), f.store.ID); st.ZeroPolicy != store.ZeroKeepSoldOut {
		t.Fatalf("policy %q, want keep_sold_out", st.ZeroPolicy)
	}
	f.run(t, f.owner, "", "store", "set", "--zero-policy", "deactivate", "--store", "Ada's Pottery").want(t, ExitOK)
	for name, tc := range map[string]struct {
		who  app.Actor
		args []string
		code int
		msg  string
	}{
		"no setting":     {f.owner, []string{"store", "set"}, ExitUsage, "--zero-policy"},
		"unknown policy": {f.owner, []string{"store", "set", "--zero-policy", "never"}, ExitUsage, "keep-sold-out"},
		"viewer":         {f.viewer, []string{"store", "set", "--zero-policy", "keep-sold-out"}, ExitFailure, "you are a viewer"},
	} {
		t.Run(name, func(t *testing.T) {
			r := f.run(t, tc.who, "", tc.args...).want(t, tc.code)
			contains(t, "stderr", r.stderr, tc.msg)
		})
	}
	if st, _ := f.db.StoreGet(t.Context(), f.store.ID); st.ZeroPolicy != store.ZeroDeactivate {
		t.Fatalf("policy %q after refused changes, want deactivate", st.ZeroPolicy)
	}
	r = f.run(t, f.owner, "", "help", "store", "set").want(t, ExitOK)
	contains(t, "help", r.stdout, "keep-sold-out", "owner")
}
