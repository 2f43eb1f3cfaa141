// How long a seller's edit takes to reach Etsy: from the edit's commit
// (with its push job in the same transaction) to the moment Etsy receives
// the PUT of the listing's inventory, with the push queue idle and with
// 1,000 edits waiting ahead.
package syncer_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stockroom/stockroom/etsy/sandbox"
	"github.com/stockroom/stockroom/internal/testwait"
	"github.com/stockroom/stockroom/jobs"
	"github.com/stockroom/stockroom/store"
)

// putClock records when the sandbox received the last inventory PUT of
// each listing.
type putClock struct {
	mu      sync.Mutex
	last    map[int64]time.Time
	changed chan struct{}
}

func newPutClock() *putClock {
	return &putClock{last: map[int64]time.Time{}, changed: make(chan struct{})}
}

func (c *putClock) observe(r *http.Request) {
	at := time.Now()
	rest, ok := strings.CutSuffix(r.URL.Path, "/inventory")
	if r.Method != http.MethodPut || !ok {
		return
	}
	id, err := strconv.ParseInt(rest[strings.LastIndexByte(rest, '/')+1:], 10, 64)
	if err != nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.last[id] = at
	close(c.changed)
	c.changed = make(chan struct{})
}

// after waits for a PUT of the listing received after t0.
func (c *putClock) after(ctx context.Context, listingID int64, t0 time.Time) (time.Time, error) {
	for {
		c.mu.Lock()
		at, ok := c.last[listingID]
		ch := c.changed
		c.mu.Unlock()
		if ok && at.After(t0) {
			return at, nil
		}
		select {
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		case <-ch:
		}
	}
}

// BenchmarkEditToEtsyLatency reports the p50 and p95 of the time from a
// seller's edit to Etsy receiving its PUT, on a queue with the server's
// own settings (not the tests' quick polling).
func BenchmarkEditToEtsyLatency(b *testing.B) {
	for _, be := range backends() {
		for _, pending := range []int{0, 1000} {
			name := be.name + "/idle"
			if pending > 0 {
				name = be.name + "/" + strconv.Itoa(pending) + "-pending"
			}
			b.Run(name, func(b *testing.B) { benchEditLatency(b, be, pending) })
		}
	}
}

// latencyProbes edits are timed per round, probeSpacing apart.
const (
	latencyProbes = 20
	probeSpacing  = 200 * time.Millisecond
)

func benchEditLatency(b *testing.B, be backend, pending int) {
	e := newEnv(b, be, sandbox.GenOptions{Seed: 41, Listings: 700, Receipts: 10}, sandbox.Config{})
	e.sync(store.SyncFull)
	// A queue as the server runs it (default workers and polling), beside
	// the env's test queue, which stays unstarted.
	q, _ := e.processWith(e.db, jobs.Config{ID: "bench"}, e.hub)
	clock := newPutClock()
	e.onRequest(clock.observe)
	if err := q.Start(e.ctx); err != nil {
		b.Fatal(err)
	}

	// Probes edit listings of their own; the backlog edits every product
	// of the others.
	byListing := map[int64][]store.InventoryRow{}
	var listings []int64
	for _, r := range e.rows() {
		if r.ListingState != sandbox.StateActive {
			continue
		}
		if _, ok := byListing[r.EtsyListingID]; !ok {
			listings = append(listings, r.EtsyListingID)
		}
		byListing[r.EtsyListingID] = append(byListing[r.EtsyListingID], r)
	}
	if len(listings) < latencyProbes+1 {
		b.Fatalf("%d active listings, want more than %d", len(listings), latencyProbes)
	}
	probes := listings[:latencyProbes]
	var backlog []store.InventoryRow
	for _, id := range listings[latencyProbes:] {
		backlog = append(backlog, byListing[id]...)
	}
	if len(backlog) < pending {
		b.Fatalf("%d offerings for the backlog, want %d", len(backlog), pending)
	}
	backlog = backlog[:pending]

	var lat []time.Duration
	round := 0
	for b.Loop() {
		round++
		if pending > 0 {
			edits := make([]store.StockEditItem, len(backlog))
			for i, r := range backlog {
				edits[i] = store.StockEditItem{OfferingID: r.OfferingID, Quantity: r.Quantity + round}
			}
			if _, err := e.db.StockEdit(e.ctx, &store.StockEditParams{AccountID: e.account, StoreID: e.storeID,
				Source: store.SourceImport, Edits: edits, Now: time.Now(),
				OnCommit: func(ctx context.Context, tx store.Tx, rows []store.InventoryRow) error {
					for _, r := range rows {
						if err := q.EnqueuePushTx(ctx, tx, e.storeID, r.OfferingID, true); err != nil {
							return err
						}
					}
					return nil
				}}); err != nil {
				b.Fatal(err)
			}
		}
		// Probes are spread over a few seconds, inside the backlog's
		// drain when there is one, each timed on its own.
		got := make([]time.Duration, len(probes))
		errs := make(chan error, len(probes))
		var wg sync.WaitGroup
		for i, id := range probes {
			time.Sleep(probeSpacing)
			r := byListing[id][0]
			t0 := time.Now()
			if err := editVia(e.ctx, e.db, q, e.account, e.storeID, r.OfferingID, r.Quantity+round); err != nil {
				b.Fatal(err)
			}
			wg.Go(func() {
				ctx, cancel := context.WithTimeout(e.ctx, 5*time.Minute)
				defer cancel()
				at, err := clock.after(ctx, id, t0)
				if err != nil {
					errs <- fmt.Errorf("the edit of listing %d never reached Etsy: %w", id, err)
					return
				}
				got[i] = at.Sub(t0)
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			b.Fatal(err)
		}
		lat = append(lat, got...)
		// The backlog drains before the next round.
		b.StopTimer()
		testwait.Within(b, 10*time.Minute, "the backlog to drain", func() bool {
			rows, err := e.db.PushPendingList(e.ctx, &store.PushPendingListParams{StoreID: e.storeID})
			return err == nil && len(rows) == 0
		})
		b.StartTimer()
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))]) / float64(time.Millisecond)
	}
	b.ReportMetric(pct(0.50), "p50_ms")
	b.ReportMetric(pct(0.95), "p95_ms")
}
