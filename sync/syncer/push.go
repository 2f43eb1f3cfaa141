// Pushing sellers' stock edits to Etsy. Etsy's inventory write replaces a
// listing's whole inventory, so a push writes every pending offering of the
// listing at once: one read and one write however many of its variations
// changed. Each offering's quantity moves by the seller's change relative
// to the base the edit was made against (so Etsy's own sales are kept), and
// Etsy's answer is recorded per offering.
package syncer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/riverqueue/river"

	"github.com/stockroom/stockroom/etsy"
	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/jobs"
	"github.com/stockroom/stockroom/store"
)

// pushLeaseTTL bounds a push (two Etsy calls and some bookkeeping). The
// lease is per listing because Etsy replaces a listing's whole inventory on
// every write: two pushes of one listing at once would undo each other.
const pushLeaseTTL = 2 * time.Minute

// pushInDoubtTTL is how long a queue job keeps a listing's lease after a
// write whose outcome it does not know (the answer was lost, the process
// stopped). Only that job's intent can tell whether the write landed, and
// the write covered other offerings' edits too: their own jobs must not
// push them again meanwhile. It outlasts River's rescue of a job whose
// process died (jobs.RescueStuckJobsAfter), and the job's
// retry takes the lease back under the same holder name.
const pushInDoubtTTL = jobs.RescueStuckJobsAfter + 5*time.Minute

// maxPushRounds bounds how many edits made during a push one job follows
// before it leaves the rest to a new job.
const maxPushRounds = 20

// PushWorker runs push jobs.
type PushWorker struct {
	river.WorkerDefaults[jobs.PushArgs]
	e *Engine
}

// pushIntent is recorded on the job before the write, so a retry after the
// write's answer was lost (or the process died) can see that Etsy already
// holds the targets and does not apply the changes twice. It names every
// offering the write covered.
type pushIntent struct {
	Items []intentItem `json:"items,omitempty"`
	// DesiredVersion and Target are the intent of one offering as jobs
	// recorded it before writes covered whole listings; readIntent turns it
	// into an item.
	DesiredVersion int64 `json:"desired_version,omitempty"`
	Target         int   `json:"target,omitempty"`
}

type intentItem struct {
	OfferingID     int64 `json:"offering_id"`
	DesiredVersion int64 `json:"desired_version"`
	Target         int   `json:"target"`
	// EtsyOfferingID is Etsy's id of the offering read before the write.
	// Etsy issues new ids on every inventory write, so a different id
	// afterwards shows the write landed even when a sale has since moved
	// the quantity off the target.
	EtsyOfferingID int64 `json:"etsy_offering_id,omitempty"`
}

// landed tells whether the write of an earlier attempt covered this
// version of the offering and landed: Etsy holds its target, or the
// offering has a new id (a sale right after the write moved the quantity).
func (in *pushIntent) landed(row store.InventoryRow, etsyNow int, etsyOfferingID int64) bool {
	for _, it := range in.Items {
		if it.OfferingID == row.OfferingID && it.DesiredVersion == row.DesiredVersion {
			return it.Target == etsyNow || (it.EtsyOfferingID != 0 && it.EtsyOfferingID != etsyOfferingID)
		}
	}
	return false
}

func readIntent(out []byte, offeringID int64) pushIntent {
	var in pushIntent
	if len(out) == 0 {
		return in
	}
	if err := json.Unmarshal(out, &in); err != nil {
		return pushIntent{} // an unreadable intent is no intent
	}
	if len(in.Items) == 0 && in.DesiredVersion > 0 {
		in.Items = []intentItem{{OfferingID: offeringID, DesiredVersion: in.DesiredVersion, Target: in.Target}}
	}
	in.DesiredVersion, in.Target = 0, 0
	return in
}

// Work pushes the offering's pending edit (with the rest of its listing),
// then any edit made meanwhile, until nothing is pending.
func (w *PushWorker) Work(ctx context.Context, job *river.Job[jobs.PushArgs]) error {
	intent := readIntent(job.Output(), job.Args.OfferingID)
	for range maxPushRounds {
		done, err := w.e.push(ctx, job.ID, job.Args.OfferingID, &intent)
		if err != nil {
			return jobError(err)
		}
		if done {
			return nil
		}
	}
	return w.e.queue.EnqueuePush(ctx, job.Args.StoreID, job.Args.OfferingID, job.Args.Bulk)
}

// push handles the offering's current pending edit. done is true when
// nothing is left pending (or nothing can be done until the seller acts).
func (e *Engine) push(ctx context.Context, jobID, offeringID int64, intent *pushIntent) (done bool, err error) {
	row, err := e.db.InventoryGetByID(ctx, offeringID)
	if errors.Is(err, store.ErrNotFound) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	// A retry after an in-doubt write whose own offering is settled still
	// settles the others that write covered, under the lease it kept, and
	// then gives the lease back.
	settle := !row.Pending()
	if settle && (jobID == 0 || len(intent.Items) == 0) {
		return true, nil
	}
	st, err := e.db.StoreGet(ctx, row.StoreID)
	if err != nil {
		return false, err
	}
	if st.Status != store.StatusConnected {
		// The edit stays pending and is pushed by the sweep after the
		// seller connects the shop again.
		return true, nil
	}
	// While another push holds the listing, it may be writing this
	// offering's edit too: once that is recorded there is nothing to wait
	// for.
	var stillPending func(ctx context.Context) (bool, error)
	if !settle {
		stillPending = func(ctx context.Context) (bool, error) {
			r, err := e.db.InventoryGetByID(ctx, offeringID)
			if errors.Is(err, store.ErrNotFound) {
				return false, nil
			}
			return err == nil && r.Pending(), err
		}
	}
	err = e.withPushLease(ctx, jobID, row.EtsyListingID, stillPending, func(hold func(time.Duration) error) error {
		return e.pushListing(ctx, jobID, st, row.EtsyListingID, intent, hold)
	})
	if errors.Is(err, errPushed) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	if settle {
		intent.Items = nil
		return true, nil
	}
	return false, nil // loop: an edit may have come in meanwhile
}

func pushLeaseName(etsyListingID int64) string { return "push:" + Key(etsyListingID) }

// pushHolder names a queue job's hold of a listing's lease after the job,
// so the job's retry can take back a lease it kept (see pushInDoubtTTL).
func pushHolder(jobID int64) string { return "push-job:" + strconv.FormatInt(jobID, 10) }

// inDoubtError is a failure after a write was sent whose outcome is not
// known, or whose outcome is known but not yet recorded.
type inDoubtError struct{ err error }

func (e *inDoubtError) Error() string { return e.err.Error() }
func (e *inDoubtError) Unwrap() error { return e.err }

// errPushed means the edit a push waited for was written by another push
// of the listing meanwhile.
var errPushed = errors.New("syncer: pushed by another push of the listing")

// withPushLease runs fn holding the listing's push lease, waiting up to a
// few seconds for it; while it waits, stillPending (when set) says whether
// there is still something to push, else errPushed. hold renews the lease
// for longer (before a write). A queue job whose fn fails with the write
// in doubt keeps the lease; everything else releases it.
func (e *Engine) withPushLease(ctx context.Context, jobID, etsyListingID int64, stillPending func(context.Context) (bool, error),
	fn func(hold func(time.Duration) error) error) error {
	name := pushLeaseName(etsyListingID)
	holder := e.newHolder()
	if jobID != 0 {
		holder = pushHolder(jobID)
	}
	deadline := time.Now().Add(3 * time.Second)
	for {
		now := e.now()
		ok, err := e.db.LeaseAcquire(ctx, name, holder, now, now.Add(pushLeaseTTL))
		if err != nil {
			return err
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			return errBusy
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if stillPending != nil {
			pending, err := stillPending(ctx)
			if err != nil {
				return err
			}
			if !pending {
				return errPushed
			}
		}
	}
	err := fn(func(ttl time.Duration) error {
		now := e.now()
		ok, err := e.db.LeaseAcquire(ctx, name, holder, now, now.Add(ttl))
		if err == nil && !ok {
			err = errBusy // the lease expired and another worker took it
		}
		return err
	})
	var doubt *inDoubtError
	if jobID != 0 && errors.As(err, &doubt) {
		return err
	}
	e.releaseLease(ctx, name, holder)
	return err
}

// pushWrite is one offering's part of a listing's write.
type pushWrite struct {
	row            store.InventoryRow
	match          etsy.ProductMatch
	etsyNow        int
	etsyOfferingID int64
	target         int
}

// pushListing writes every pending offering of the listing to Etsy in one
// write. It runs under the listing's lease and reads the pending edits
// itself, so a job whose offering an earlier push covered finds nothing to
// do and makes no call.
func (e *Engine) pushListing(ctx context.Context, jobID int64, st store.Store, etsyListingID int64, intent *pushIntent,
	hold func(time.Duration) error) (err error) {
	rows, err := e.db.PushPendingList(ctx, &store.PushPendingListParams{StoreID: st.ID, EtsyListingID: etsyListingID})
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		return nil
	}

	run, err := e.db.SyncRunStart(ctx, &store.SyncRunStartParams{StoreID: st.ID, Kind: store.SyncPush, Trigger: store.TriggerEdit, Process: e.owner, JobID: jobID, Now: e.now()})
	if err != nil {
		return err
	}
	// Other pushes and syncs of this shop may run at once: count only ours.
	ctx, calls := etsy.CountCalls(ctx)
	changed := 0
	// inDoubt is set from the moment the write is sent until its outcome
	// is recorded for every offering it covered.
	inDoubt := false
	defer func() {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		result, msg := store.ResultOK, ""
		if err != nil {
			result, msg = store.ResultFailed, readable(err)
			if etsy.NeedsReauthorization(err) {
				e.markNeedsReauth(fctx, st.ID, err)
				err = nil // the edits wait for the seller to reconnect
			}
		}
		if ferr := retryWrite(fctx, func(ctx context.Context) error {
			_, err := e.db.SyncRunFinish(ctx, &store.SyncRunFinishParams{ID: run.ID, Result: result, ListingsChanged: changed,
				APICalls: int(calls.Load()), Error: msg, Now: e.now()})
			return err
		}); ferr != nil {
			e.log.Error("push run finish", "store", st.ID, "run", run.ID, "err", ferr)
		}
		ids := make([]int64, len(rows))
		for i, r := range rows {
			ids[i] = r.OfferingID
		}
		e.hub.Publish(hub.Event{Kind: hub.StockChanged, StoreID: st.ID, OfferingIDs: ids})
		if err != nil && inDoubt {
			err = &inDoubtError{err}
		}
	}()

	// A refusal of an edit is the seller's to see; it is not retried.
	fail := func(r store.InventoryRow, msg string) error {
		return e.db.PushFailed(ctx, &store.PushFailedParams{OfferingID: r.OfferingID, DesiredVersion: r.DesiredVersion,
			Message: msg, Now: e.now()})
	}
	failAll := func(ws []pushWrite, msg string) error {
		for _, w := range ws {
			if err := fail(w.row, msg); err != nil {
				return err
			}
		}
		return nil
	}
	var moved []int64 // offerings Etsy holds at other than the seller typed
	done := func(r store.InventoryRow, pushed, after int, note string) error {
		if _, err := e.db.PushDone(ctx, &store.PushDoneParams{OfferingID: r.OfferingID, DesiredVersion: r.DesiredVersion,
			Pushed: pushed, Etsy: after, Note: note, Now: e.now()}); err != nil {
			return err
		}
		if after != r.DesiredQuantity {
			moved = append(moved, r.OfferingID)
		}
		return nil
	}
	defer func() {
		if err == nil && e.alerts != nil && len(moved) > 0 {
			// Etsy sold some meanwhile: a row now shows less than the
			// seller typed, which may cross a threshold.
			_, err = e.alerts.Evaluate(ctx, st.ID, moved)
		}
	}()

	shop := e.shop(st.ID)
	inv, err := shop.GetListingInventory(ctx, etsyListingID)
	if etsy.IsNotFound(err) {
		for _, r := range rows {
			if err := fail(r, "the listing is no longer on Etsy"); err != nil {
				return err
			}
		}
		return nil
	}
	if err != nil {
		return err
	}

	var writes []pushWrite
	for _, r := range rows {
		match, etsyNow, etsyOffering, ok := findOffering(inv, r.ProductKey)
		switch {
		case !ok:
			// Only this offering fails; the rest of the listing is
			// written.
			err = fail(r, "this variation is no longer on Etsy ("+r.Variation+")")
		case intent.landed(r, etsyNow, etsyOffering):
			// The write of an earlier attempt landed with its answer lost:
			// it is not applied twice.
			changed = 1
			err = done(r, etsyNow, etsyNow, noteFor(r, etsyNow))
		default:
			target := min(max(etsyNow+r.DesiredQuantity-r.BaseQuantity, 0), 999)
			if target == etsyNow {
				err = done(r, target, etsyNow, noteFor(r, target))
			} else {
				writes = append(writes, pushWrite{row: r, match: match, etsyNow: etsyNow, etsyOfferingID: etsyOffering, target: target})
			}
		}
		if err != nil {
			return err
		}
	}
	if len(writes) == 0 {
		return nil
	}

	req, err := buildListingUpdate(inv, writes)
	if errors.Is(err, etsy.ErrAllZero) {
		return e.pushAllZero(ctx, shop, st, writes, failAll, done)
	}
	if err != nil {
		return failAll(writes, err.Error())
	}
	*intent = pushIntent{Items: make([]intentItem, len(writes))}
	for i, w := range writes {
		intent.Items[i] = intentItem{OfferingID: w.row.OfferingID, DesiredVersion: w.row.DesiredVersion, Target: w.target,
			EtsyOfferingID: w.etsyOfferingID}
	}
	if jobID != 0 {
		if err := e.queue.JobOutputSet(ctx, jobID, intent); err != nil {
			return err
		}
		if err := hold(pushInDoubtTTL); err != nil {
			return err
		}
	}
	inDoubt = true
	after, err := shop.UpdateListingInventory(ctx, etsyListingID, req)
	var rej *etsy.RejectedError
	if _, limited := etsy.IsRateLimited(err); limited || etsy.NeedsReauthorization(err) {
		inDoubt = false // refused before it was applied
	} else if errors.As(err, &rej) {
		inDoubt = false
		intent.Items = nil
		return failAll(writes, "Etsy refused: "+rej.Message)
	}
	if err != nil {
		return err
	}
	changed = 1
	for _, w := range writes {
		got := w.target
		if _, q, ok := findProduct(after, w.row.ProductKey); ok {
			got = q
		}
		if err := done(w.row, w.target, got, noteFor(w.row, w.target)); err != nil {
			return err
		}
	}
	inDoubt = false
	intent.Items = nil // recorded: nothing left to prove
	return nil
}

// buildListingUpdate is the inventory write that gives each offering of
// writes its target and keeps every other product as Etsy holds it.
func buildListingUpdate(inv etsy.ListingInventory, writes []pushWrite) (etsy.UpdateInventoryRequest, error) {
	next := inv
	next.Products = slices.Clone(inv.Products)
	for _, w := range writes[1:] {
		i, err := w.match.Find(next)
		if err != nil {
			return etsy.UpdateInventoryRequest{}, err
		}
		p := next.Products[i]
		p.Offerings = slices.Clone(p.Offerings)
		for k := range p.Offerings {
			p.Offerings[k].Quantity = w.target
		}
		next.Products[i] = p
	}
	return etsy.BuildInventoryUpdate(next, writes[0].match, writes[0].target)
}

// pushAllZero handles a write that would leave every variation at 0, which
// Etsy's inventory endpoint refuses: by the store's zero policy, deactivate
// the listing, or leave it as it is and tell the seller. Every offering of
// the write shares the outcome, since only together do they empty it.
func (e *Engine) pushAllZero(ctx context.Context, shop *etsy.ShopClient, st store.Store, writes []pushWrite,
	failAll func([]pushWrite, string) error, done func(r store.InventoryRow, pushed, after int, note string) error) error {
	if st.ZeroPolicy == store.ZeroKeepSoldOut {
		return failAll(writes, "Etsy cannot hold 0 of every variation; the store's zero policy keeps the listing as it is on Etsy")
	}
	first := writes[0].row
	if first.ListingState != etsy.StateInactive {
		if _, err := shop.UpdateListing(ctx, st.EtsyShopID, first.EtsyListingID, etsy.UpdateListingRequest{State: etsy.StateInactive}); err != nil {
			var rej *etsy.RejectedError
			if errors.As(err, &rej) && !etsy.NeedsReauthorization(err) {
				if _, limited := etsy.IsRateLimited(err); !limited {
					return failAll(writes, "Etsy refused to deactivate the listing: "+rej.Message)
				}
			}
			return err
		}
	}
	for _, w := range writes {
		note := fmt.Sprintf("every variation would be 0: listing deactivated on Etsy (it keeps %d there, not for sale)", w.etsyNow)
		// Etsy still holds etsyNow: that is the base an edit made meanwhile
		// must be measured against.
		if err := done(w.row, w.etsyNow, w.etsyNow, note); err != nil {
			return err
		}
	}
	return nil
}

// noteFor explains a pushed value that differs from what the seller typed.
func noteFor(row store.InventoryRow, target int) string {
	if target == row.DesiredQuantity {
		return ""
	}
	return fmt.Sprintf("set to %d, not %d: Etsy's count moved since the edit (sales kept)", target, row.DesiredQuantity)
}

// findProduct finds the live product whose key is key, with its quantity.
func findProduct(inv etsy.ListingInventory, key string) (etsy.ProductMatch, int, bool) {
	m, q, _, ok := findOffering(inv, key)
	return m, q, ok
}

// findOffering is findProduct with Etsy's id of the product's offering.
func findOffering(inv etsy.ListingInventory, key string) (etsy.ProductMatch, int, int64, bool) {
	for _, p := range inv.Products {
		if p.IsDeleted {
			continue
		}
		m := etsy.MatchFor(inv, p)
		if m.Key() != key {
			continue
		}
		for _, o := range p.Offerings {
			if !o.IsDeleted {
				return m, o.Quantity, o.OfferingID, true
			}
		}
	}
	return etsy.ProductMatch{}, 0, 0, false
}

// Push writes an offering's pending edit (with the rest of its listing) to
// Etsy now, in this goroutine, following edits made meanwhile. The queue's
// push worker does the same.
func (e *Engine) Push(ctx context.Context, offeringID int64) error {
	var intent pushIntent
	for range maxPushRounds {
		done, err := e.push(ctx, 0, offeringID, &intent)
		if err != nil || done {
			return err
		}
	}
	return nil
}
