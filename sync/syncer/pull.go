// Pulling a shop from Etsy: the full sync (every listing of every state,
// every receipt), the incremental sync (receipts changed since the cursor
// and the listings they touch) and the reconcile (full listings, receipts
// from the cursor). Each page and its cursor commit together, so a sync cut
// short resumes where it stopped and a re-run changes nothing.
package syncer

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/stockroom/stockroom/etsy"
	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/internal/ctxsleep"
	"github.com/stockroom/stockroom/jobs"
	"github.com/stockroom/stockroom/store"
)

// pageSize is Etsy's largest page.
const pageSize = 100

// listingStates are every state a listing can be in; getListingsByShop takes
// one at a time.
var listingStates = [...]string{etsy.StateActive, etsy.StateInactive, etsy.StateSoldOut, etsy.StateDraft, etsy.StateExpired}

// syncLeaseTTL bounds how long a crashed process (or one cut off from the
// database) keeps others from syncing its store; a live sync's heartbeat
// renews it (see withLease).
const syncLeaseTTL = 30 * time.Second

// ErrStoreNotConnected means the store's link to Etsy is not usable
// (needs_reauth or disconnected): nothing is synced until it is connected
// again.
var ErrStoreNotConnected = errors.New("syncer: store is not connected to Etsy")

// SyncWorker runs sync jobs.
type SyncWorker struct {
	river.WorkerDefaults[jobs.SyncArgs]
	e *Engine
}

// Work syncs the store. Failures are in the sync log already; only rate
// limits (snooze) and a busy store are handed back to River, since the
// schedule's next tick is the retry for everything else.
func (w *SyncWorker) Work(ctx context.Context, job *river.Job[jobs.SyncArgs]) error {
	// A scheduled sync's first attempt does nothing if a sync that started
	// at or after its slot already did its work (see slotServed). A retry
	// after a failure runs: its own failed run is what moved the store on.
	var slot time.Time
	if job.Args.Trigger == store.TriggerSchedule && job.Args.Slot != 0 && job.Attempt <= 1 {
		slot = time.Unix(job.Args.Slot, 0)
	}
	if job.Args.Trigger == store.TriggerWebhook && job.Args.Slot != 0 {
		// The webhooks of one second share this job: it reads Etsy once
		// that second is over, after every sale they announce.
		if err := ctxsleep.Until(ctx, time.Unix(job.Args.Slot, 0)); err != nil {
			return err
		}
	}
	_, err := w.e.sync(ctx, job.Args.StoreID, job.Args.SyncKind, job.Args.Trigger, job.ID, slot)
	if errors.Is(err, ErrStoreNotConnected) || errors.Is(err, errSlotServed) {
		return nil
	}
	if _, ok := etsy.IsRateLimited(err); ok || errors.Is(err, errBusy) {
		return jobError(err)
	}
	if err != nil && !isEtsyError(err) {
		return err // the database failed: let River retry
	}
	return nil
}

func isEtsyError(err error) bool {
	var rej *etsy.RejectedError
	var tr *etsy.TransientError
	_, rl := etsy.IsRateLimited(err)
	return rl || errors.As(err, &rej) || errors.As(err, &tr) || etsy.NeedsReauthorization(err)
}

// Sync runs one sync of a store now, in this goroutine, and records it in
// the sync log. An incremental sync of a store never fully synced is a full
// sync. The run is returned even when it failed (with its error).
func (e *Engine) Sync(ctx context.Context, storeID int64, kind store.SyncKind, trigger store.SyncTrigger) (store.SyncRun, error) {
	return e.sync(ctx, storeID, kind, trigger, 0, time.Time{})
}

// sync is Sync for the River job jobID (0 for none), which the run records,
// of the scheduled slot (zero for none): errSlotServed if another sync
// already did the slot's work.
func (e *Engine) sync(ctx context.Context, storeID int64, kind store.SyncKind, trigger store.SyncTrigger, jobID int64, slot time.Time) (store.SyncRun, error) {
	// A first look before taking the lease: a job with nothing to do ends
	// without it. syncLeased looks again under the lease.
	_, _, err := e.syncTarget(ctx, storeID, kind, slot)
	if err != nil {
		return store.SyncRun{}, err
	}
	var run store.SyncRun
	var runErr error
	err = e.withLease(ctx, "sync:"+Key(storeID), syncLeaseTTL, 2*time.Second, func(ctx context.Context) error {
		run, runErr = e.syncLeased(ctx, storeID, kind, trigger, jobID, slot)
		return nil
	})
	if err != nil {
		return store.SyncRun{}, err
	}
	return run, runErr
}

// pullStats is what a run changed.
type pullStats struct {
	listings, receipts int
	offerings          map[int64]bool
}

func (s *pullStats) addListings(res store.SyncWriteResult) {
	s.listings += res.ListingsChanged
	for _, c := range res.StockChanges {
		s.offerings[c.OfferingID] = true
	}
}

// syncLocked runs the sync while this process holds the store's sync
// lease. The run names the process and job, so it is closed if the process
// dies and `sync --wait` can find it.
func (e *Engine) syncLocked(ctx context.Context, st store.Store, kind store.SyncKind, trigger store.SyncTrigger, jobID int64) (store.SyncRun, error) {
	ctx = withTrigger(ctx, trigger)
	run, err := e.db.SyncRunStart(ctx, &store.SyncRunStartParams{StoreID: st.ID, Kind: kind, Trigger: trigger,
		Process: e.owner, JobID: jobID, Now: e.now()})
	if err != nil {
		return store.SyncRun{}, err
	}
	e.hub.Publish(hub.Event{Kind: hub.SyncStarted, StoreID: st.ID, RunID: run.ID, JobID: jobID, State: string(kind)})
	ctx, calls := etsy.CountCalls(ctx)
	stats := &pullStats{offerings: map[int64]bool{}}
	started := e.now()

	switch kind {
	case store.SyncFull:
		err = e.pullFull(ctx, st, stats, true)
	case store.SyncReconcile:
		err = e.pullFull(ctx, st, stats, false)
	case store.SyncIncremental:
		err = e.pullIncremental(ctx, st, stats)
	default:
		err = fmt.Errorf("syncer: sync kind %q: %w", kind, store.ErrInvalid)
	}

	// The finishing writes use a context that outlives a cancelled job, so
	// the log never keeps a run "running" forever.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	msg := ""
	result := store.ResultOK
	if err != nil {
		result, msg = store.ResultFailed, readable(err)
		if etsy.NeedsReauthorization(err) {
			e.markNeedsReauth(fctx, st.ID, err)
		}
	}
	// A failed attempt also counts as the last sync for the schedule, so a
	// store whose Etsy calls fail is retried at its interval, not hammered;
	// LastError tells the seller why.
	state := &store.StoreSetSyncStateParams{StoreID: st.ID, LastSyncAt: &started, LastError: &msg}
	if err == nil && kind != store.SyncIncremental {
		state.LastFullSyncAt = &started
	}
	if serr := retryWrite(fctx, func(ctx context.Context) error { return e.db.StoreSetSyncState(ctx, state) }); serr != nil && err == nil {
		err = serr
		result, msg = store.ResultFailed, readable(serr)
	}
	var finished store.SyncRun
	ferr := retryWrite(fctx, func(ctx context.Context) error {
		var err error
		finished, err = e.db.SyncRunFinish(ctx, &store.SyncRunFinishParams{
			ID: run.ID, Result: result, ListingsChanged: stats.listings, ReceiptsChanged: stats.receipts,
			APICalls: int(calls.Load()), Error: msg, Now: e.now(),
		})
		return err
	})
	if ferr != nil {
		e.log.Error("sync run finish", "store", st.ID, "run", run.ID, "err", ferr)
		finished = run
	}
	if len(stats.offerings) > 0 {
		e.hub.Publish(hub.Event{Kind: hub.StockChanged, StoreID: st.ID, OfferingIDs: sortedKeys(stats.offerings)})
	}
	e.hub.Publish(hub.Event{Kind: hub.SyncFinished, StoreID: st.ID, RunID: run.ID, JobID: jobID, State: string(result), Error: msg})
	if err == nil {
		e.requeuePending(fctx, st.ID)
	}
	return finished, err
}

// requeuePending queues a push, at bulk priority, for every listing with
// edits still waiting for Etsy and no push job waiting or running: it
// revives edits whose job was lost (discarded after its attempts,
// cancelled, or never queued because the process died between the claim
// and the insert) and never piles a second job behind a waiting one (an
// import's). The listing's mark is not trusted here: a lost job leaves it
// set, and every later edit of the listing would then queue nothing.
func (e *Engine) requeuePending(ctx context.Context, storeID int64) {
	if err := e.revivePending(ctx, storeID); err != nil {
		e.log.Warn("requeue pushes", "store", storeID, "err", err)
	}
}

func (e *Engine) revivePending(ctx context.Context, storeID int64) error {
	rows, err := e.db.PushPendingList(ctx, &store.PushPendingListParams{StoreID: storeID})
	if err != nil || len(rows) == 0 {
		return err
	}
	queued, err := e.queue.PushJobOfferings(ctx)
	if err != nil {
		return err
	}
	// A job pushes its offering's listing.
	covered := map[int64]bool{}
	first := map[int64]int64{}
	var order []int64
	for _, r := range rows {
		if queued[r.OfferingID] {
			covered[r.EtsyListingID] = true
			delete(queued, r.OfferingID)
		}
		if _, ok := first[r.EtsyListingID]; !ok {
			first[r.EtsyListingID] = r.OfferingID
			order = append(order, r.EtsyListingID)
		}
	}
	for id := range queued {
		r, err := e.db.InventoryGetByID(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		covered[r.EtsyListingID] = true
	}
	for _, l := range order {
		if covered[l] {
			continue
		}
		// The mark outlived its job: clear it and claim the listing anew.
		// An edit that claims it in between queues its own job, and this
		// claim then queues none.
		if err := e.db.PushQueueTake(ctx, first[l]); err != nil {
			return err
		}
		if err := e.queuePushes(ctx, storeID, []int64{first[l]}, true); err != nil {
			return err
		}
	}
	return nil
}

func readable(err error) string {
	var rej *etsy.RejectedError
	if errors.As(err, &rej) {
		return "Etsy refused: " + rej.Message
	}
	return err.Error()
}

func sortedKeys(m map[int64]bool) []int64 {
	out := make([]int64, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// pullFull reads every listing of every state with its inventory, marks
// the listings Etsy no longer has, then reads receipts: all of them when
// allReceipts, else those changed since the cursor.
func (e *Engine) pullFull(ctx context.Context, st store.Store, stats *pullStats, allReceipts bool) error {
	shop := e.shop(st.ID)
	var seen []int64
	for _, state := range listingStates {
		for offset := 0; ; offset += pageSize {
			// A push recorded after this instant is newer than the page.
			readAt := e.now()
			page, err := shop.GetListingsByShop(ctx, st.EtsyShopID, etsy.ListingsParams{
				State: state, Limit: pageSize, Offset: offset, IncludeInventory: true,
			})
			if err != nil {
				return err
			}
			if err := e.writePage(ctx, st.ID, page.Results, readAt, false, stats); err != nil {
				return err
			}
			for _, l := range page.Results {
				seen = append(seen, l.ListingID)
			}
			if len(page.Results) < pageSize || offset+len(page.Results) >= page.Count {
				break
			}
		}
	}
	gone, err := e.db.SyncListingsMarkGone(ctx, st.ID, seen)
	if err != nil {
		return err
	}
	stats.listings += gone
	since := st.ReceiptsCursor
	if allReceipts {
		since = time.Time{}
	}
	return e.pullReceipts(ctx, st, shop, since, stats, false)
}

// pullIncremental reads the receipts changed since the cursor and the
// inventory of the listings they touch.
func (e *Engine) pullIncremental(ctx context.Context, st store.Store, stats *pullStats) error {
	return e.pullReceipts(ctx, st, e.shop(st.ID), st.ReceiptsCursor, stats, true)
}

// pullReceipts pages through receipts modified since since (all when zero),
// oldest change first so the cursor can advance page by page. With
// refreshListings, the listings a new or changed receipt touches are read
// (batch inventory) and written before the receipts page and its cursor
// commit: a crash in between reads the page again next time.
func (e *Engine) pullReceipts(ctx context.Context, st store.Store, shop *etsy.ShopClient, since time.Time, stats *pullStats, refreshListings bool) error {
	cursor := since
	// Pages follow the update time rather than a growing offset: Etsy
	// refuses offsets past 12,000 (a shop has more receipts than that long
	// before it is a big shop), and a receipt updated while pages are read
	// moves to the end, which would shift an offset past a receipt never
	// read. Each page starts at the last second the previous one reached
	// (min_last_modified is inclusive) and skips the receipts of that
	// second it already holds; a page lying wholly inside one second moves
	// on by offset.
	from, offset := since, 0
	// Sales written (even before a failure) move the pace of sales.
	written, sold := stats.receipts, []int64(nil)
	defer func() {
		if stats.receipts > written {
			e.salesArrived(ctx, st.ID, sold)
		}
	}()
	for {
		page, err := shop.GetShopReceipts(ctx, st.EtsyShopID, etsy.ReceiptsParams{
			MinLastModified: from, Limit: pageSize, Offset: offset, SortOn: "updated", SortOrder: "asc",
		})
		if err != nil {
			return err
		}
		// The page's sales were made before its answer came.
		seenAt := e.now()
		// Etsy's min_last_modified is inclusive and its times are whole
		// seconds: the receipts at the cursor come again. Those already
		// held as they are now touch nothing; another receipt changed in
		// that same second after the last tick read it is new.
		var atCursor []int64
		for _, r := range page.Results {
			if !since.IsZero() && !etsy.Time(r.UpdatedTimestamp).After(since) {
				atCursor = append(atCursor, r.ReceiptID)
			}
		}
		known, err := e.db.ReceiptUpdatedAtList(ctx, st.ID, atCursor)
		if err != nil {
			return err
		}
		receipts := make([]store.Receipt, 0, len(page.Results))
		var touched []int64
		for _, r := range page.Results {
			receipts = append(receipts, receipt(st, r))
			up := etsy.Time(r.UpdatedTimestamp)
			if up.After(cursor) {
				cursor = up
			}
			if held, ok := known[r.ReceiptID]; ok && held.Equal(up) {
				continue
			}
			for _, t := range r.Transactions {
				if t.ListingID != nil && *t.ListingID > 0 {
					touched = append(touched, *t.ListingID)
				}
			}
		}
		sold = append(sold, touched...)
		if refreshListings && len(touched) > 0 {
			if err := e.refreshListings(ctx, st, shop, touched, seenAt, stats); err != nil {
				return err
			}
		}
		c := cursor
		n, err := e.db.SyncReceiptsWrite(ctx, &store.SyncReceiptsWriteParams{
			StoreID: st.ID, Receipts: receipts, Cursor: &store.StoreSetSyncStateParams{ReceiptsCursor: &c}, Now: e.now(), SeenAt: seenAt,
			// A sale a push overwrote is taken off Etsy's count again: its
			// push commits with the receipt, once.
			OnCorrect: func(ctx context.Context, tx store.Tx, ids []int64) error {
				for _, id := range ids {
					stats.offerings[id] = true
				}
				return e.queuePushesTx(ctx, tx, st.ID, ids)
			},
		})
		if err != nil {
			return err
		}
		stats.receipts += n
		if len(page.Results) < pageSize || offset+len(page.Results) >= page.Count {
			return nil
		}
		last := etsy.Time(page.Results[len(page.Results)-1].UpdatedTimestamp)
		if !last.After(from) {
			offset += pageSize
			continue
		}
		from, offset = last, 0
		for _, r := range page.Results {
			if etsy.Time(r.UpdatedTimestamp).Equal(last) {
				offset++
			}
		}
	}
}

// refreshListings reads and writes the inventory of the given listings,
// 100 a call, after a receipts page answered at seenAt. Listings Etsy no
// longer knows are left for the next full sync or reconcile to mark.
func (e *Engine) refreshListings(ctx context.Context, st store.Store, shop *etsy.ShopClient, ids []int64, seenAt time.Time,
	stats *pullStats) error {
	slices.Sort(ids)
	ids = slices.Compact(ids)
	for start := 0; start < len(ids); start += pageSize {
		readAt := e.laterThan(seenAt)
		batch, err := shop.GetListingsInventoryByIDs(ctx, ids[start:min(start+pageSize, len(ids))])
		if err != nil {
			return err
		}
		// The read follows the receipts read: the count it finds has
		// every sale of those receipts.
		if err := e.writePage(ctx, st.ID, batch.Listings, readAt, true, stats); err != nil {
			return err
		}
	}
	return nil
}

// writePage writes a page of listings Etsy answered with, read at readAt
// (a push recorded after it is newer than the page), and counts them;
// confirm as store.SyncListingsWriteParams.Confirm.
func (e *Engine) writePage(ctx context.Context, storeID int64, listings []etsy.Listing, readAt time.Time, confirm bool, stats *pullStats) error {
	snaps := make([]store.ListingSnapshot, 0, len(listings))
	for _, l := range listings {
		snap, err := snapshot(l)
		if err != nil {
			return err
		}
		snaps = append(snaps, snap)
	}
	res, err := e.writeListings(ctx, storeID, snaps, readAt, confirm)
	if err != nil {
		return err
	}
	stats.addListings(res)
	return nil
}

// snapshot turns an Etsy listing into what the store keeps. Products are
// keyed as the push matches them (etsy.MatchFor), so an edit finds its
// product again after Etsy reissues every id.
func snapshot(l etsy.Listing) (store.ListingSnapshot, error) {
	s := store.ListingSnapshot{
		EtsyListingID: l.ListingID,
		Title:         l.Title,
		State:         l.State,
		URL:           l.URL,
		Quantity:      int(l.Quantity),
		UpdatedAt:     etsy.Time(max(l.LastModifiedTimestamp, l.UpdatedTimestamp)),
		CreatedAt:     etsy.Time(cmp.Or(l.OriginalCreationTimestamp, l.CreatedTimestamp)),
	}
	if l.Inventory == nil {
		return s, nil
	}
	inv := *l.Inventory
	s.Products = make([]store.ProductSnapshot, 0, len(inv.Products))
	for _, p := range inv.Products {
		if p.IsDeleted {
			continue
		}
		var off *etsy.Offering
		for i := range p.Offerings {
			if !p.Offerings[i].IsDeleted {
				off = &p.Offerings[i]
				break
			}
		}
		if off == nil {
			continue
		}
		props, err := json.Marshal(p.PropertyValues)
		if err != nil {
			return s, fmt.Errorf("listing %d: %w", l.ListingID, err)
		}
		ps := store.ProductSnapshot{
			Key:            etsy.MatchFor(inv, p).Key(),
			EtsyProductID:  p.ProductID,
			SKU:            p.SKU,
			Variation:      variation(p.PropertyValues),
			PropertyValues: string(props),
			EtsyOfferingID: off.OfferingID,
			Quantity:       off.Quantity,
			Price:          store.Money{Amount: off.Price.Amount, Divisor: int(off.Price.Divisor), Currency: off.Price.CurrencyCode},
			Enabled:        off.IsEnabled,
		}
		if off.ReadinessStateID != nil {
			ps.ReadinessID = *off.ReadinessStateID
		}
		s.Products = append(s.Products, ps)
	}
	return s, nil
}

// variation is how a seller reads a product: "Size: M / Colour: Red".
func variation(pvs []etsy.PropertyValue) string {
	parts := make([]string, 0, len(pvs))
	for _, pv := range pvs {
		name := ""
		if pv.PropertyName != nil {
			name = *pv.PropertyName
		}
		if name == "" {
			name = fmt.Sprintf("Property %d", pv.PropertyID)
		}
		parts = append(parts, name+": "+strings.Join(pv.Values, ", "))
	}
	return strings.Join(parts, " / ")
}

func receipt(st store.Store, r etsy.Receipt) store.Receipt {
	msg := ""
	if r.MessageFromBuyer != nil {
		msg = *r.MessageFromBuyer
	}
	total := r.Grandtotal
	out := store.Receipt{
		StoreID:       st.ID,
		EtsyReceiptID: r.ReceiptID,
		Status:        r.Status,
		BuyerName:     r.Name,
		Message:       msg,
		IsPaid:        r.IsPaid,
		IsShipped:     r.IsShipped,
		Total:         store.Money{Amount: total.Amount, Divisor: int(total.Divisor), Currency: total.CurrencyCode},
		CreatedAt:     etsy.Time(r.CreatedTimestamp),
		UpdatedAt:     etsy.Time(r.UpdatedTimestamp),
		Items:         make([]store.ReceiptItem, 0, len(r.Transactions)),
	}
	for _, t := range r.Transactions {
		it := store.ReceiptItem{
			EtsyTransactionID: t.TransactionID,
			Quantity:          t.Quantity,
			Price:             store.Money{Amount: t.Price.Amount, Divisor: int(t.Price.Divisor), Currency: t.Price.CurrencyCode},
		}
		if t.ListingID != nil {
			it.EtsyListingID = *t.ListingID
		}
		if t.ProductID != nil {
			it.EtsyProductID = *t.ProductID
		}
		if t.SKU != nil {
			it.SKU = *t.SKU
		}
		if t.Title != nil {
			it.Title = *t.Title
		}
		vs := make([]string, 0, len(t.Variations))
		for _, v := range t.Variations {
			vs = append(vs, v.FormattedName+": "+v.FormattedValue)
		}
		it.Variation = strings.Join(vs, " / ")
		out.Items = append(out.Items, it)
	}
	return out
}

// laterThan is the time now, once it is in a later millisecond than t
// (Stockroom's times are kept in milliseconds): a read sent after an
// answer that came at t is then known to have come after it, so the
// count it finds is known to hold the sales of that answer's receipts.
// A real clock gets there within a millisecond; a clock that does not move
// (a test's) gets t's next millisecond.
func (e *Engine) laterThan(t time.Time) time.Time {
	for range 20 {
		if now := e.now(); now.UnixMilli() > t.UnixMilli() {
			return now
		}
		time.Sleep(100 * time.Microsecond)
	}
	return time.UnixMilli(t.UnixMilli() + 1)
}
