// Stock stays exactly right when sellers' edits, Etsy's sales, syncs, lost
// answers and refused writes land at every point of a push: before its
// read, between its read and its write, before its receipts read. A seeded run of random steps on one
// clock that Etsy and Stockroom share, which moves a few milliseconds a
// reading so that Etsy's whole seconds hold many events each, ends with
// everything pushed and synced; Etsy must then hold, for every SKU, what
// the seller set (or changed it by) less what sold after. A set is typed,
// as in the chaos soak, only on a row that shows Etsy's count and every
// sale's receipt; otherwise the seller adds. Each seed
// replays exactly, so a failure names the seed that reproduces it.
package syncer_test

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stockroom/stockroom/etsy/sandbox"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/store/sqlite"
	"github.com/stockroom/stockroom/sync/syncer"
)

// interleaveSeeds are the seeds TestStockRightUnderInterleavings runs: by
// default those whose runs once ended wrong (each found a case fixed
// since: 7, 26, 36, 37, 45 and 48 a sale before a count read in its own
// second, 62 the same with the read in the receipts' own millisecond, 11
// a set's target equal to a count read before later sales, 206 a set
// whose count Etsy already held taking off again a sale a write had
// overwritten, 873 a write's late record putting back an older count
// over a newer synced one, 1150 and 1272 a set typed in the second of a
// sale a write overwrote, after its receipt was known, 1402 that record's
// correction measured from the newer count, 2285 a sale a write took
// off, in the count a set was typed on, taken off again). Any change of
// code moves a seed's path, so these are a sample, not a proof: the
// search is the tool;
// STOCKROOM_INTERLEAVE_SEEDS=n (and STOCKROOM_INTERLEAVE_FIRST) for a
// longer search.
func interleaveSeeds(t *testing.T) []uint64 {
	s := os.Getenv("STOCKROOM_INTERLEAVE_SEEDS")
	if s == "" {
		return []uint64{1, 7, 11, 26, 36, 37, 45, 48, 62, 206, 873, 1150, 1272, 1402, 2285}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		t.Fatalf("STOCKROOM_INTERLEAVE_SEEDS=%q: want a positive count", s)
	}
	first := uint64(1)
	if f := os.Getenv("STOCKROOM_INTERLEAVE_FIRST"); f != "" {
		if first, err = strconv.ParseUint(f, 10, 64); err != nil {
			t.Fatalf("STOCKROOM_INTERLEAVE_FIRST=%q: %v", f, err)
		}
	}
	seeds := make([]uint64, n)
	for i := range seeds {
		seeds[i] = first + uint64(i)
	}
	return seeds
}

func TestStockRightUnderInterleavings(t *testing.T) {
	seeds := interleaveSeeds(t)
	eachBackend(t, func(t *testing.T, b backend) {
		for _, seed := range seeds {
			t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) { runInterleaving(t, b, seed) })
		}
	})
}

// interleaving is one seeded run: the model of what Etsy must end at, and
// the random steps that move it.
type interleaving struct {
	t   *testing.T
	e   *env
	rng *rand.Rand
	mu  sync.Mutex // the rng and the model: the sandbox's handler runs hooks on its own goroutine
	eng *syncer.Engine
	now func() time.Time

	listings []sandbox.Listing
	rows     []store.InventoryRow // every variation of listings
	expected map[int64]int        // by offering
	history  map[int64][]string   // by offering: what moved the model
	// sold counts the units sold by offering, and heard the units of the
	// receipts Stockroom held when the steps started.
	sold, heard map[int64]int
	// inHook is set while a hook acts, so the syncs it runs act on nothing.
	inHook atomic.Bool
	// syncing is set while a sync runs: a hook then runs no other.
	syncing atomic.Bool
}

func runInterleaving(t *testing.T, b backend, seed uint64) {
	var clockMu sync.Mutex
	var at time.Time
	clockRng := rand.New(rand.NewPCG(seed, 99))
	var started atomic.Bool
	clock := func() time.Time {
		if !started.Load() {
			return time.Now()
		}
		clockMu.Lock()
		defer clockMu.Unlock()
		at = at.Add(time.Duration(clockRng.IntN(40)) * time.Millisecond)
		return at
	}
	e := newEnv(t, b, sandbox.GenOptions{Seed: int64(seed), Listings: 12, Receipts: 3}, sandbox.Config{Now: clock})
	e.sync(store.SyncFull)
	at = time.Now().Truncate(time.Second).Add(time.Second)
	started.Store(true)
	eng, err := syncer.New(syncer.Config{Store: e.db, Etsy: e.client, Tokens: e.tokens, Queue: e.q, Hub: e.hub, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	in := &interleaving{t: t, e: e, rng: rand.New(rand.NewPCG(seed, 1)), eng: eng, now: clock,
		expected: map[int64]int{}, history: map[int64][]string{}, sold: map[int64]int{}, heard: map[int64]int{}}
	in.pick(3)
	in.importAll()
	e.onRequest(in.hook)
	for range 80 {
		in.step()
	}
	e.onRequest(func(*http.Request) {})
	in.settle()
	in.check()
}

// unitsHeard is how many units of the row's SKU the receipts Stockroom
// holds sold. A set is the whole contract only when Stockroom has heard
// of every sale: a sale in the same one of Etsy's seconds as the read of
// the count the set was typed on, whose receipt came later, cannot be
// told from one after the read, and is taken off (one unit held back
// rather than sold twice).
func (in *interleaving) unitsHeard(r store.InventoryRow) int {
	return int(in.e.rawInt(fmt.Sprintf(`SELECT COALESCE(SUM(quantity), 0) FROM receipt_items WHERE etsy_listing_id = %d AND sku = '%s'`,
		r.EtsyListingID, r.SKU)))
}

// pick takes up to n listings whose every variation has a SKU.
func (in *interleaving) pick(n int) {
	for _, r := range in.e.rows() {
		if len(in.listings) == n {
			break
		}
		l, ok := in.e.sb.Listing(r.EtsyListingID)
		if !ok || l.State != sandbox.StateActive || in.has(l.ListingID) {
			continue
		}
		good := true
		for _, p := range l.Inventory.Products {
			good = good && p.SKU != ""
		}
		if good {
			in.listings = append(in.listings, l)
		}
	}
	if len(in.listings) == 0 {
		in.t.Fatal("the generated shop has no listing whose variations all have SKUs")
	}
	for _, r := range in.e.rows() {
		if in.has(r.EtsyListingID) {
			in.rows = append(in.rows, r)
		}
	}
}

func (in *interleaving) has(listingID int64) bool {
	for _, l := range in.listings {
		if l.ListingID == listingID {
			return true
		}
	}
	return false
}

// importAll sets every row and pushes it before the steps start, as a
// seller's first import does: from then on every product id Etsy holds
// came from a write of Stockroom's.
func (in *interleaving) importAll() {
	items := make([]store.StockEditItem, len(in.rows))
	for i, r := range in.rows {
		q := 60 + in.rng.IntN(60)
		items[i] = store.StockEditItem{OfferingID: r.OfferingID, Quantity: q}
		in.expected[r.OfferingID] = q
		in.note(r.OfferingID, "import %d", q)
	}
	if err := editAllAt(in.e.ctx, in.e.db, in.e.q, in.e.account, in.e.storeID, store.SourceImport, items, in.now()); err != nil {
		in.t.Fatal(err)
	}
	in.settle()
	in.check()
	for _, r := range in.rows {
		in.heard[r.OfferingID] = in.unitsHeard(r)
	}
}

func (in *interleaving) note(offeringID int64, format string, a ...any) {
	in.history[offeringID] = append(in.history[offeringID],
		in.now().UTC().Format("05.000 ")+fmt.Sprintf(format, a...)+" → "+strconv.Itoa(in.expected[offeringID]))
}

// step makes one random move of the seller, Etsy or Stockroom.
func (in *interleaving) step() {
	in.mu.Lock()
	n := in.rng.IntN(10)
	r := in.rows[in.rng.IntN(len(in.rows))]
	in.mu.Unlock()
	switch {
	case n < 3:
		in.edit(r, "")
	case n < 5:
		in.sell(r, "")
	case n < 8:
		in.push(r)
	default:
		in.sync("")
	}
}

// hook acts at a request of a push or a sync: before an inventory read, an
// inventory write (after the push's read) or a receipts read.
func (in *interleaving) hook(req *http.Request) {
	var where string
	switch {
	case req.Method == http.MethodGet && strings.HasSuffix(req.URL.Path, "/inventory"):
		where = "before a read"
	case req.Method == http.MethodPut && strings.HasSuffix(req.URL.Path, "/inventory"):
		where = "inside a write"
	case req.Method == http.MethodGet && strings.HasSuffix(req.URL.Path, "/receipts"):
		where = "before a receipts read"
	default:
		return
	}
	if in.inHook.Load() {
		return
	}
	in.inHook.Store(true)
	defer in.inHook.Store(false)
	listing := listingOfPath(req.URL.Path)
	for range 2 {
		in.mu.Lock()
		n := in.rng.IntN(10)
		r := in.rows[in.rng.IntN(len(in.rows))]
		if listing != 0 {
			// Mostly the listing being read or written.
			for range 4 {
				if r.EtsyListingID == listing {
					break
				}
				r = in.rows[in.rng.IntN(len(in.rows))]
			}
		}
		in.mu.Unlock()
		switch {
		case n < 3:
			in.sell(r, where)
		case n < 5:
			in.edit(r, where)
		case n < 6 && !in.syncing.Load():
			in.sync(where)
		case n < 7 && req.Method == http.MethodPut:
			// This write lands and its answer is lost, or Etsy refuses it.
			f := sandbox.Fault{Kind: sandbox.Fault500, Count: 1, Applied: in.rng.IntN(3) > 0}
			if err := in.e.sb.InjectFault("updateListingInventory", f); err != nil {
				in.t.Error(err)
			}
		}
	}
}

func listingOfPath(path string) int64 {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		if p == "listings" && i+1 < len(parts) {
			id, _ := strconv.ParseInt(parts[i+1], 10, 64)
			return id
		}
	}
	return 0
}

func (in *interleaving) edit(r store.InventoryRow, where string) {
	in.mu.Lock()
	exp := in.expected[r.OfferingID]
	// A set is made only on a row that shows Etsy's count now, with
	// nothing pending: a set typed on a count without a sale it has not
	// heard of keeps that sale (it is measured from the count it was
	// typed on), so "Etsy ends at the set less the sales after it" is the
	// contract only then. Otherwise the seller adds.
	cur := in.e.row(r.OfferingID)
	settled := !cur.Pending() && cur.Quantity == sandboxQty(in.t, in.e.sb, r.EtsyListingID, r.SKU) &&
		in.unitsHeard(r) == in.heard[r.OfferingID]+in.sold[r.OfferingID]
	add := in.rng.IntN(2) == 0 || !settled
	var item store.StockEditItem
	if add {
		d := in.rng.IntN(11) - 5
		if d == 0 || exp+d < 10 || exp+d > 900 {
			d = 3
		}
		item = store.StockEditItem{OfferingID: r.OfferingID, Kind: store.EditAdd, Quantity: cur.Shown() + d}
		in.mu.Unlock()
		if cur.Shown()+d < 0 || cur.Shown()+d > 999 {
			return
		}
		if err := editAllAt(in.e.ctx, in.e.db, in.e.q, in.e.account, in.e.storeID, store.SourceCommand, []store.StockEditItem{item}, in.now()); err != nil {
			in.t.Fatal(err)
		}
		in.mu.Lock()
		in.expected[r.OfferingID] += d
		in.note(r.OfferingID, "add %+d %s", d, where)
		in.mu.Unlock()
		return
	}
	q := 40 + in.rng.IntN(100)
	in.mu.Unlock()
	item = store.StockEditItem{OfferingID: r.OfferingID, Kind: store.EditSet, Quantity: q}
	if err := editAllAt(in.e.ctx, in.e.db, in.e.q, in.e.account, in.e.storeID, store.SourceCommand, []store.StockEditItem{item}, in.now()); err != nil {
		in.t.Fatal(err)
	}
	in.mu.Lock()
	in.expected[r.OfferingID] = q
	in.note(r.OfferingID, "set %d %s", q, where)
	in.mu.Unlock()
}

func (in *interleaving) sell(r store.InventoryRow, where string) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.expected[r.OfferingID] < 5 {
		return
	}
	if _, err := in.e.sb.SimulateSale(in.e.shopID, r.EtsyListingID, r.SKU, 1); err != nil {
		in.note(r.OfferingID, "sale refused %s: %v", where, err)
		return
	}
	in.expected[r.OfferingID]--
	in.sold[r.OfferingID]++
	in.note(r.OfferingID, "sale %s", where)
}

// push pushes the row's listing. A push whose write's answer was lost
// fails; the next push of the listing finds out what landed.
func (in *interleaving) push(r store.InventoryRow) {
	if err := in.eng.Push(in.e.ctx, r.OfferingID); err != nil && !strings.Contains(err.Error(), "500") {
		in.t.Fatalf("push of %s: %v", r.SKU, err)
	}
}

func (in *interleaving) sync(where string) {
	in.syncing.Store(true)
	defer in.syncing.Store(false)
	if _, err := in.eng.Sync(in.e.ctx, in.e.storeID, store.SyncIncremental, store.TriggerManual); err != nil {
		in.t.Fatalf("sync %s: %v", where, err)
	}
}

// settle pushes and syncs until nothing is pending and a sync moves
// nothing.
func (in *interleaving) settle() {
	for range 20 {
		pending := false
		for _, r := range in.rows {
			if in.e.row(r.OfferingID).Pending() {
				pending = true
				in.push(r)
			}
		}
		in.sync("")
		if !pending {
			again := false
			for _, r := range in.rows {
				again = again || in.e.row(r.OfferingID).Pending()
			}
			if !again {
				return
			}
		}
	}
	in.t.Fatal("edits still pending after 20 rounds of pushes and syncs")
}

// check compares Etsy with the model for every SKU, and Stockroom with Etsy.
func (in *interleaving) check() {
	in.t.Helper()
	bad := 0
	for _, r := range in.rows {
		got := sandboxQty(in.t, in.e.sb, r.EtsyListingID, r.SKU)
		row := in.e.row(r.OfferingID)
		if got == in.expected[r.OfferingID] && row.Quantity == got {
			continue
		}
		bad++
		in.t.Errorf("%s (listing %d): Etsy %d, Stockroom %d, expected %d\n  %s\n  audit:\n%s%s", r.SKU, r.EtsyListingID, got, row.Quantity,
			in.expected[r.OfferingID], strings.Join(in.history[r.OfferingID], "\n  "), auditDump(in.e, r.OfferingID), salesDump(in.e, r))
	}
	if bad > 0 {
		in.t.FailNow()
	}
}

// auditDump is the offering's stock events, oldest first.
func auditDump(e *env, offeringID int64) string {
	ev, err := e.db.StockEventList(e.ctx, &store.StockEventListParams{AccountID: e.account, StoreID: e.storeID,
		OfferingID: offeringID, Limit: 100})
	if err != nil {
		return err.Error()
	}
	var b strings.Builder
	for i := len(ev) - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "    %s %s %d -> %d %s\n", ev[i].CreatedAt.UTC().Format("05.000"), ev[i].Source, ev[i].Before, ev[i].After, ev[i].Note)
	}
	return b.String()
}

// salesDump lists, on SQLite, the listing's write windows of the row's
// product and the sales of its SKU in that listing that Stockroom holds.
func salesDump(e *env, r store.InventoryRow) string {
	if e.b.name != "sqlite" {
		return ""
	}
	db, err := sqlite.OpenRaw(e.where)
	if err != nil {
		return err.Error()
	}
	defer db.Close()
	at := func(ms int64) string {
		if ms <= 0 {
			return strconv.FormatInt(ms, 10)
		}
		return time.UnixMilli(ms).UTC().Format("05.000")
	}
	var b strings.Builder
	rows, err := db.QueryContext(e.ctx, `SELECT read_at, wrote_at, etsy_product_id, new_product_id, read_qty, written_qty, product_key
		FROM push_windows WHERE etsy_listing_id = ? ORDER BY wrote_at`, r.EtsyListingID)
	if err != nil {
		return err.Error()
	}
	b.WriteString("  windows (read, wrote, id read→written, qty read→written):\n")
	for rows.Next() {
		var ra, wa, id, nid, rq, wq int64
		var key string
		if err := rows.Scan(&ra, &wa, &id, &nid, &rq, &wq, &key); err != nil {
			return err.Error()
		}
		if key == r.ProductKey {
			fmt.Fprintf(&b, "    %s %s %d→%d %d→%d\n", at(ra), at(wa), id, nid, rq, wq)
		}
	}
	rows.Close()
	rows, err = db.QueryContext(e.ctx, `SELECT r.etsy_created_at, r.seen_at, i.etsy_transaction_id, i.etsy_product_id, i.quantity,
			COALESCE(c.created_at, -1) FROM receipt_items i JOIN receipts r ON r.id = i.receipt_id
			LEFT JOIN push_corrections c ON c.store_id = i.store_id AND c.etsy_transaction_id = i.etsy_transaction_id
			WHERE i.etsy_listing_id = ? AND i.sku = ? ORDER BY r.etsy_created_at, i.etsy_transaction_id`, r.EtsyListingID, r.SKU)
	if err != nil {
		return err.Error()
	}
	b.WriteString("  sales (created, seen, transaction, product id, qty, handled at):\n")
	for rows.Next() {
		var v [6]int64
		if err := rows.Scan(&v[0], &v[1], &v[2], &v[3], &v[4], &v[5]); err != nil {
			return err.Error()
		}
		fmt.Fprintf(&b, "    %s seen %s tx %d product %d qty %d handled %s\n", at(v[0]), at(v[1]), v[2], v[3], v[4], at(v[5]))
	}
	rows.Close()
	return b.String()
}
