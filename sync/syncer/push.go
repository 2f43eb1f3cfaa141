// Pushing a seller's stock edit to Etsy: read the desired state when the job
// runs, read the listing's inventory, change only that product's quantity
// by the seller's change relative to the base the edit was made against (so
// Etsy's own sales are kept), write it, and record Etsy's answer.
package syncer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
// holds the target and does not apply the change twice.
type pushIntent struct {
	DesiredVersion int64 `json:"desired_version"`
	Target         int   `json:"target"`
}

// Work pushes the offering's pending edit, then any edit made meanwhile,
// until nothing is pending.
func (w *PushWorker) Work(ctx context.Context, job *river.Job[jobs.PushArgs]) error {
	var intent pushIntent
	if out := job.Output(); len(out) > 0 {
		_ = json.Unmarshal(out, &intent) // an unreadable intent is no intent
	}
	for range maxPushRounds {
		done, err := w.e.push(ctx, job.ID, job.Args.OfferingID, &intent)
		if err != nil {
			return jobError(err)
		}
		if done {
			return nil
		}
	}
	return w.e.queue.EnqueuePush(ctx, job.Args.StoreID, job.Args.OfferingID)
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
	if !row.Pending() {
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
	err = e.withLease(ctx, "push:"+Key(row.EtsyListingID), pushLeaseTTL, 3*time.Second, func(string) error {
		return e.pushRow(ctx, jobID, st, row, intent)
	})
	if err != nil {
		return false, err
	}
	return false, nil // loop: an edit may have come in meanwhile
}

func (e *Engine) pushRow(ctx context.Context, jobID int64, st store.Store, row store.InventoryRow, intent *pushIntent) (err error) {
	run, err := e.db.SyncRunStart(ctx, &store.SyncRunStartParams{StoreID: st.ID, Kind: store.SyncPush, Trigger: store.TriggerEdit, Now: e.now()})
	if err != nil {
		return err
	}
	key := Key(st.ID)
	callsBefore := e.etsy.Calls(key)
	changed := 0
	defer func() {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		result, msg := store.ResultOK, ""
		if err != nil {
			result, msg = store.ResultFailed, readable(err)
			if etsy.NeedsReauthorization(err) {
				e.markNeedsReauth(fctx, st.ID, err)
				err = nil // the edit waits for the seller to reconnect
			}
		}
		if ferr := retryWrite(fctx, func(ctx context.Context) error {
			_, err := e.db.SyncRunFinish(ctx, &store.SyncRunFinishParams{ID: run.ID, Result: result, ListingsChanged: changed,
				APICalls: int(e.etsy.Calls(key) - callsBefore), Error: msg, Now: e.now()})
			return err
		}); ferr != nil {
			e.log.Error("push run finish", "store", st.ID, "run", run.ID, "err", ferr)
		}
		e.hub.Publish(hub.Event{Kind: hub.StockChanged, StoreID: st.ID, OfferingIDs: []int64{row.OfferingID}})
	}()

	// A refusal of this edit is the seller's to see; it is not retried.
	fail := func(msg string) error {
		if err := e.db.PushFailed(ctx, &store.PushFailedParams{OfferingID: row.OfferingID, DesiredVersion: row.DesiredVersion,
			Message: msg, Now: e.now()}); err != nil {
			return err
		}
		return nil
	}

	shop := e.shop(st.ID)
	inv, err := shop.GetListingInventory(ctx, row.EtsyListingID)
	if etsy.IsNotFound(err) {
		return fail("the listing is no longer on Etsy")
	}
	if err != nil {
		return err
	}
	match, etsyNow, ok := findProduct(inv, row.ProductKey)
	if !ok {
		return fail("this variation is no longer on Etsy (" + row.Variation + ")")
	}

	done := func(pushed, after int, note string) error {
		_, err := e.db.PushDone(ctx, &store.PushDoneParams{OfferingID: row.OfferingID, DesiredVersion: row.DesiredVersion,
			Pushed: pushed, Etsy: after, Note: note, Now: e.now()})
		if err == nil && e.alerts != nil && after != row.DesiredQuantity {
			// Etsy sold some meanwhile: the row now shows less than the
			// seller typed, which may cross a threshold.
			_, err = e.alerts.Evaluate(ctx, row.StoreID, []int64{row.OfferingID})
		}
		return err
	}

	// The write of an earlier attempt may have landed with its answer lost:
	// Etsy holding the target is the proof, and it is not applied twice.
	if intent.DesiredVersion == row.DesiredVersion && intent.Target == etsyNow {
		changed = 1
		return done(etsyNow, etsyNow, noteFor(row, etsyNow))
	}

	target := min(max(etsyNow+row.DesiredQuantity-row.BaseQuantity, 0), 999)
	note := noteFor(row, target)
	if target == etsyNow {
		return done(target, etsyNow, note)
	}
	req, err := etsy.BuildInventoryUpdate(inv, match, target)
	if errors.Is(err, etsy.ErrAllZero) {
		return e.pushAllZero(ctx, shop, st, row, etsyNow, fail, done)
	}
	if err != nil {
		return fail(err.Error())
	}
	*intent = pushIntent{DesiredVersion: row.DesiredVersion, Target: target}
	if jobID != 0 {
		if err := e.queue.JobOutputSet(ctx, jobID, intent); err != nil {
			return err
		}
	}
	after, err := shop.UpdateListingInventory(ctx, row.EtsyListingID, req)
	var rej *etsy.RejectedError
	if errors.As(err, &rej) && !etsy.NeedsReauthorization(err) {
		if _, limited := etsy.IsRateLimited(err); !limited {
			return fail("Etsy refused: " + rej.Message)
		}
	}
	if err != nil {
		return err
	}
	got := target
	if _, q, ok := findProduct(after, row.ProductKey); ok {
		got = q
	}
	changed = 1
	return done(target, got, note)
}

// pushAllZero handles an edit that would leave every variation at 0, which
// Etsy's inventory endpoint refuses: by the store's zero policy, deactivate
// the listing, or leave it as it is and tell the seller.
func (e *Engine) pushAllZero(ctx context.Context, shop *etsy.ShopClient, st store.Store, row store.InventoryRow, etsyNow int,
	fail func(string) error, done func(pushed, after int, note string) error) error {
	if st.ZeroPolicy == store.ZeroKeepSoldOut {
		return fail("Etsy cannot hold 0 of every variation; the store's zero policy keeps the listing as it is on Etsy")
	}
	if row.ListingState != etsy.StateInactive {
		if _, err := shop.UpdateListing(ctx, st.EtsyShopID, row.EtsyListingID, etsy.UpdateListingRequest{State: etsy.StateInactive}); err != nil {
			var rej *etsy.RejectedError
			if errors.As(err, &rej) && !etsy.NeedsReauthorization(err) {
				if _, limited := etsy.IsRateLimited(err); !limited {
					return fail("Etsy refused to deactivate the listing: " + rej.Message)
				}
			}
			return err
		}
	}
	return done(0, etsyNow, fmt.Sprintf("every variation would be 0: listing deactivated on Etsy (it keeps %d there, not for sale)", etsyNow))
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
				return m, o.Quantity, true
			}
		}
	}
	return etsy.ProductMatch{}, 0, false
}

// Push writes an offering's pending edit to Etsy now, in this goroutine,
// following edits made meanwhile. The queue's push worker does the same.
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
