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
	"sync/atomic"
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

// pushInDoubtGrace is how long a queue job keeps a listing's lease after a
// write whose answer it did not get: a write Etsy is still working on
// lands before another push of the listing reads. Only that: what the
// write was is kept per listing (see pushIntent), so any push of the
// listing can tell whether it landed, and a job that keeps the lease for
// longer (its retry may be minutes away, its process may have died) only
// holds the listing's other edits back.
const pushInDoubtGrace = 15 * time.Second

// maxPushRounds bounds how many edits made during a push one job follows
// before it leaves the rest to a new job.
const maxPushRounds = 20

// PushWorker runs push jobs.
type PushWorker struct {
	river.WorkerDefaults[jobs.PushArgs]
	e *Engine
}

// pushIntent is recorded per listing in the database before the write
// (store.Catalogue.PushIntentSet), so whichever push of the listing comes
// next after the write's answer was lost (the job's retry, another job
// after the lease was given up, another process after a kill) can see that
// Etsy already holds the targets and does not apply the changes twice. It
// names every offering the write covered. Jobs recorded it on themselves
// before it was kept per listing: readIntent still reads theirs.
type pushIntent struct {
	Items []intentItem `json:"items,omitempty"`
	// ReadAt is when the write's read was sent and Products what it
	// replaced: a retry that finds the write landed records its window.
	ReadAt   time.Time                 `json:"read_at,omitzero"`
	Products []store.PushWindowProduct `json:"products,omitempty"`
	// DesiredVersion and Target are the intent of one offering as jobs
	// recorded it before writes covered whole listings; readIntent turns it
	// into an item.
	DesiredVersion int64 `json:"desired_version,omitempty"`
	Target         int   `json:"target,omitempty"`
	// raw is the intent as the database holds it, to forget it once its
	// outcome is recorded (nil: not from the database).
	raw []byte
}

type intentItem struct {
	OfferingID     int64 `json:"offering_id"`
	DesiredVersion int64 `json:"desired_version"`
	Target         int   `json:"target"`
	// Desired is the seller's quantity at DesiredVersion: an add edit made
	// since is measured from it.
	Desired int    `json:"desired,omitempty"`
	Note    string `json:"note,omitempty"`
	// Counted are the sales Target already took off.
	Counted []countedSale `json:"counted,omitempty"`
	// Base and Unread are the base a set's Target was planned on and
	// whether it was planned without reading the receipts: a sale learned
	// while the write's answer was lost may have raised the base since,
	// and the push that finds the write landed takes it off (see
	// store.PushDoneParams.Unread).
	Base   int  `json:"base,omitempty"`
	Unread bool `json:"unread,omitempty"`
	// EtsyOfferingID is Etsy's id of the offering read before the write.
	// Etsy issues new ids on every inventory write, so a different id
	// afterwards shows the write landed even when a sale has since moved
	// the quantity off the target.
	EtsyOfferingID int64 `json:"etsy_offering_id,omitempty"`
}

// item is the intent's item for the row, if the write it describes is
// not recorded yet. It matches whatever edits the seller made since: a
// later edit must not make a write that landed count as not written.
func (in *pushIntent) item(row store.InventoryRow) (intentItem, bool) {
	for _, it := range in.Items {
		if it.OfferingID == row.OfferingID && it.DesiredVersion > row.PushedVersion && it.DesiredVersion <= row.DesiredVersion {
			return it, true
		}
	}
	return intentItem{}, false
}

// landed tells whether the write landed: Etsy holds its target, or the
// offering has a new id (a write replaced it) and what Etsy holds is the
// target less some of the units sold since the write's read (a sale right
// after the write moved the quantity). A new id alone proves nothing: an
// edit on Etsy.com after a refused write gives every offering new ids
// too. sold reads those sales; it is called only when the count moved.
//
// The offering the write would have replaced still there proves the
// opposite, even when Etsy holds the target: a sale made after a refused
// write can bring the count to it.
func (it intentItem) landed(etsyNow int, etsyOfferingID int64, sold func() (int, error)) (bool, error) {
	if it.EtsyOfferingID != 0 && it.EtsyOfferingID == etsyOfferingID {
		return false, nil
	}
	if it.Target == etsyNow {
		return true, nil
	}
	if it.EtsyOfferingID == 0 || etsyNow > it.Target {
		return false, nil
	}
	n, err := sold()
	if err != nil {
		return false, err
	}
	return it.Target-etsyNow <= n, nil
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
	// From here on an edit of the listing queues a job of its own; one
	// committed before is read below.
	if err := w.e.db.PushQueueTake(ctx, job.Args.OfferingID); err != nil {
		return err
	}
	intent := readIntent(job.Output(), job.Args.OfferingID)
	for range maxPushRounds {
		done, err := w.e.push(ctx, job.ID, job.Args.OfferingID, &intent)
		if err != nil {
			return jobError(err)
		}
		if done {
			return w.e.queueLeftOver(ctx, job.ID, job.Args)
		}
	}
	return w.e.queuePushes(ctx, job.Args.StoreID, []int64{job.Args.OfferingID}, job.Args.Bulk)
}

// queueLeftOver ends a job that left nothing in doubt: it gives back the
// listing's lease if an earlier attempt kept it (pushes of the listing
// would otherwise wait for pushInDoubtGrace), and queues a job for edits of
// the listing still pending: a correction its write's window made of
// another variation's sale (see store.Catalogue.PushWindowRecord) has no
// job of its own, since the listing's mark was taken by this one.
func (e *Engine) queueLeftOver(ctx context.Context, jobID int64, a jobs.PushArgs) error {
	row, err := e.db.InventoryGetByID(ctx, a.OfferingID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	e.releaseLease(ctx, pushLeaseName(row.EtsyListingID), pushHolder(jobID))
	rows, err := e.db.PushPendingList(ctx, &store.PushPendingListParams{StoreID: row.StoreID, EtsyListingID: row.EtsyListingID})
	if err != nil || len(rows) == 0 {
		return err
	}
	st, err := e.db.StoreGet(ctx, row.StoreID)
	if err != nil || st.Status != store.StatusConnected {
		return err // pushed by the sweep once the shop is connected again
	}
	return e.queuePushes(ctx, row.StoreID, []int64{rows[0].OfferingID}, a.Bulk)
}

// queuePushes queues a push job for each of the offerings whose listing
// has none waiting (see store.Catalogue.PushQueueClaim).
func (e *Engine) queuePushes(ctx context.Context, storeID int64, offeringIDs []int64, bulk bool) error {
	need, err := e.db.PushQueueClaim(ctx, nil, offeringIDs)
	if err != nil {
		return err
	}
	for _, id := range need {
		if err := e.queue.EnqueuePush(ctx, storeID, id, bulk); err != nil {
			return err
		}
	}
	return nil
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
	var pushed func(ctx context.Context) error
	if !settle {
		pushed = func(ctx context.Context) error {
			r, err := e.db.InventoryGetByID(ctx, offeringID)
			switch {
			case errors.Is(err, store.ErrNotFound):
				return errPushed
			case err != nil:
				return err
			case !r.Pending():
				return errPushed
			}
			return nil
		}
	}
	err = e.withPushLease(ctx, jobID, row.EtsyListingID, pushed, func(hold func(time.Duration) error) error {
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

// pushLeaseName names the lease of an Etsy listing (not a store: Key is
// for stores).
func pushLeaseName(etsyListingID int64) string {
	return "push:listing:" + strconv.FormatInt(etsyListingID, 10)
}

// pushHolder names a queue job's hold of a listing's lease after the job,
// so the job's retry can take back a lease it kept (see pushInDoubtGrace).
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
// few seconds for it; while it waits, pushed (when set) fails with
// errPushed once there is nothing left to push. hold renews the lease
// for longer (before a write). A queue job whose fn fails with the write
// in doubt keeps the lease; everything else releases it.
func (e *Engine) withPushLease(ctx context.Context, jobID, etsyListingID int64, pushed func(context.Context) error,
	fn func(hold func(time.Duration) error) error) error {
	name := pushLeaseName(etsyListingID)
	holder := e.newHolder()
	// A queue job does not wait on a held listing: it is snoozed and gives
	// its worker back. Workers waiting on listings that a killed process's
	// jobs hold (until they are rescued) or that a write in doubt keeps
	// would otherwise take every worker, and the pushes of other listings
	// (an import's, at a lower priority) would wait for the leases to run
	// out.
	wait := 3 * time.Second
	if jobID != 0 {
		holder, wait = pushHolder(jobID), 0
	}
	// Snoozed, or kept waiting, only while there is still something to
	// push.
	if err := e.acquireLease(ctx, name, holder, pushLeaseTTL, wait, 50*time.Millisecond, pushed); err != nil {
		return err
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
		now := e.now()
		if _, herr := e.db.LeaseAcquire(context.WithoutCancel(ctx), name, holder, now, now.Add(pushInDoubtGrace)); herr != nil {
			e.log.Warn("keep push lease", "lease", name, "err", herr)
		}
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
	// unread: a set whose target was planned on its base without reading
	// the receipts (see store.PushDoneParams.Unread).
	unread bool
	note   string
	// counted are the sales (transaction ids) the target already takes
	// off: a sale made after the read but before the receipts were read
	// is both in the target and inside the write's window, and must not
	// be corrected again.
	counted []countedSale
}

// countedSale is a sale (Etsy's transaction) a set's target took off.
type countedSale struct {
	TxID     int64 `json:"tx"`
	Quantity int   `json:"qty"`
	// created is when Etsy says the sale was made (whole seconds).
	created time.Time
}

// soldSinceRead is the units of counted sales that may have been made
// after a read sent at readAt: Etsy's whole seconds put those of the
// read's own second on both sides of it.
func soldSinceRead(counted []countedSale, readAt time.Time) int {
	n := 0
	for _, c := range counted {
		if !c.created.Before(readAt.Truncate(time.Second)) {
			n += c.Quantity
		}
	}
	return n
}

// listingPush is one push of a listing's pending edits, run under the
// listing's lease. Its steps run in order: read Etsy's inventory, settle
// what an earlier attempt's lost answer already wrote, plan each
// offering's target, write them in one call, record the outcome. finish
// then closes the run and tells the seller's screens, and the low-stock
// alerts are checked last, once the push's own outcome is decided.
type listingPush struct {
	e      *Engine
	jobID  int64
	st     store.Store
	shop   *etsy.ShopClient
	listID int64
	intent *pushIntent
	hold   func(time.Duration) error

	rows  []store.InventoryRow
	inv   etsy.ListingInventory
	calls *atomic.Int64
	// readAt is taken before the read is sent, wroteAt after the write's
	// answer came: a sale between them was overwritten (see
	// PushWindowRecord).
	readAt, wroteAt time.Time
	changed         int
	// moved are offerings Etsy holds at other than the seller typed.
	moved []int64
	// inDoubt is set from the moment the write is sent until its outcome
	// is recorded for every offering it covered.
	inDoubt bool
}

// pushListing writes every pending offering of the listing to Etsy in one
// write. It reads the pending edits itself, so a job whose offering an
// earlier push covered finds nothing to do and makes no call.
func (e *Engine) pushListing(ctx context.Context, jobID int64, st store.Store, etsyListingID int64, intent *pushIntent,
	hold func(time.Duration) error) error {
	rows, err := e.db.PushPendingList(ctx, &store.PushPendingListParams{StoreID: st.ID, EtsyListingID: etsyListingID})
	if err != nil || len(rows) == 0 {
		return err
	}
	run, err := e.db.SyncRunStart(ctx, &store.SyncRunStartParams{StoreID: st.ID, Kind: store.SyncPush, Trigger: store.TriggerEdit, Process: e.owner, JobID: jobID, Now: e.now()})
	if err != nil {
		return err
	}
	p := &listingPush{e: e, jobID: jobID, st: st, shop: e.shop(st.ID), listID: etsyListingID, intent: intent, hold: hold, rows: rows}
	// Other pushes and syncs of this shop may run at once: count only ours.
	ctx, p.calls = etsy.CountCalls(ctx)
	err = p.loadIntent(ctx)
	if err == nil {
		err = p.run(ctx)
	}
	if err == nil {
		// Every write the intent named is recorded, or was found not to
		// have landed and was written again.
		err = p.forgetIntent(ctx)
	}
	err = p.finish(ctx, run, err)
	if err == nil {
		p.checkAlerts(ctx)
	}
	if err != nil && p.inDoubt {
		return &inDoubtError{err}
	}
	return err
}

// run reads, plans, writes and records.
func (p *listingPush) run(ctx context.Context) error {
	p.readAt = p.e.now()
	inv, err := p.shop.GetListingInventory(ctx, p.listID)
	if etsy.IsNotFound(err) {
		return p.failAll(ctx, p.rows, "the listing is no longer on Etsy")
	}
	if err != nil {
		return err
	}
	p.inv = inv
	if err := p.settleLanded(ctx); err != nil {
		return err
	}
	writes, unchanged, err := p.plan(ctx)
	if err != nil {
		return err
	}
	if len(writes) > 0 {
		err = p.write(ctx, writes)
	} else {
		err = p.reactivate(ctx, nil)
	}
	if err != nil {
		return err
	}
	// Edits Etsy already holds are recorded last, with the listing's state
	// settled. A set's target that already took sales off, Etsy's count
	// included, records them as handled as of the read, as a write's
	// window does: one a write overwrote is not taken off again.
	// A write of the listing's other offerings wrote these too, as read:
	// Etsy held them as of its answer.
	etsyAt := p.readAt
	if len(writes) > 0 && !p.wroteAt.IsZero() {
		etsyAt = p.wroteAt
	}
	for _, w := range unchanged {
		var window *store.PushWindowRecordParams
		if len(w.counted) > 0 {
			window = &store.PushWindowRecordParams{StoreID: p.st.ID, EtsyListingID: p.listID, ReadAt: p.readAt, WroteAt: p.readAt,
				Counted: countedOf(w), Now: p.e.now()}
		}
		if err := p.doneWith(ctx, w, w.etsyNow, etsyAt, window); err != nil {
			return err
		}
	}
	return nil
}

// countedOf is the sales w's target took off, as a window records them.
func countedOf(w pushWrite) []store.PushCountedSale {
	out := make([]store.PushCountedSale, len(w.counted))
	for i, c := range w.counted {
		out[i] = store.PushCountedSale{EtsyTransactionID: c.TxID, OfferingID: w.row.OfferingID, Quantity: c.Quantity}
	}
	return out
}

// settleLanded records the offerings an earlier attempt's write covered
// when that write landed with its answer lost, whatever edits were made
// since: what landed is never applied again. An edit made since stays
// pending, rebased on what landed (see store.PushDoneParams).
func (p *listingPush) settleLanded(ctx context.Context) error {
	if len(p.intent.Items) == 0 {
		return nil
	}
	landed := false
	var sales *salesSince
	for i, r := range p.rows {
		it, ok := p.intent.item(r)
		if !ok {
			continue
		}
		match, etsyNow, etsyOffering, found := findOffering(p.inv, r.ProductKey)
		if !found {
			continue
		}
		ok, err := it.landed(etsyNow, etsyOffering, func() (int, error) {
			if sales == nil {
				var err error
				if sales, err = p.salesFrom(ctx, p.intent.ReadAt); err != nil {
					return 0, err
				}
			}
			n, _, _ := sales.ofSince(r, match, p.inv, p.intent.ReadAt)
			return n, nil
		})
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		p.changed = 1
		row, err := p.e.db.PushDone(ctx, &store.PushDoneParams{OfferingID: r.OfferingID, DesiredVersion: it.DesiredVersion,
			Pushed: it.Target, Etsy: etsyNow, EtsyAt: p.readAt, Desired: it.Desired, Base: it.Base, Unread: it.Unread, Note: it.Note,
			Now: p.e.now()})
		if err != nil {
			return err
		}
		p.rows[i] = row
		landed = true
	}
	if !landed {
		return nil
	}
	// The write's window ends at the latest here, when its outcome is seen.
	if err := p.recordWindow(ctx, p.intent.ReadAt, p.readAt, p.intent, p.inv); err != nil {
		return err
	}
	p.intent.Items = nil
	// The window may have corrected sales it overwrote, rebasing the
	// listing's pending edits: plan on the rows as they are now.
	for i, r := range p.rows {
		row, err := p.e.db.InventoryGetByID(ctx, r.OfferingID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err == nil {
			p.rows[i] = row
		}
	}
	return nil
}

// plan works out each pending offering's target: writes are the
// offerings to write, unchanged those Etsy already holds at their target.
func (p *listingPush) plan(ctx context.Context) (writes, unchanged []pushWrite, err error) {
	var sales *salesSince
	for _, r := range p.rows {
		if !r.Pending() {
			continue
		}
		match, etsyNow, etsyOffering, ok := findOffering(p.inv, r.ProductKey)
		if !ok {
			// Only this offering fails; the rest of the listing is
			// written.
			if err := p.fail(ctx, r, "this variation is no longer on Etsy ("+r.Variation+")"); err != nil {
				return nil, nil, err
			}
			continue
		}
		w := pushWrite{row: r, match: match, etsyNow: etsyNow, etsyOfferingID: etsyOffering}
		switch {
		case r.EditKind == store.EditAdd:
			w.target = clampQty(etsyNow + r.DesiredQuantity - r.BaseQuantity)
			if w.target != r.DesiredQuantity {
				w.note = fmt.Sprintf("set to %d, not %d: your change of %+d was applied to Etsy's count, which had moved to %d",
					w.target, r.DesiredQuantity, r.DesiredQuantity-r.BaseQuantity, etsyNow)
			}
		case etsyNow == r.BaseQuantity:
			// Nothing moved since the edit's base: the seller's number
			// stands, and no extra call is made.
			w.target = r.DesiredQuantity
			w.unread = true
		default:
			// Etsy's count moved: the receipts since the base tell the
			// sales (kept) from edits made elsewhere (overridden).
			if sales == nil {
				var err error
				if sales, err = p.salesSinceBase(ctx); err != nil {
					return nil, nil, err
				}
			}
			sold, receipts, txs := sales.of(r, match, p.inv)
			w.target = clampQty(r.DesiredQuantity - sold)
			w.counted = txs
			w.note = setNote(r, w.target, etsyNow, sold, soldSinceRead(txs, p.readAt), receipts)
		}
		// The receipts are read after the count: a sale between the two
		// reads is in the target but not in etsyNow, so a target equal to
		// etsyNow may still be above what Etsy holds. It is written then
		// (at worst a write that changes nothing).
		if w.target == etsyNow && soldSinceRead(w.counted, p.readAt) == 0 {
			unchanged = append(unchanged, w)
			continue
		}
		writes = append(writes, w)
	}
	return writes, unchanged, nil
}

// write sends the listing's new inventory and records Etsy's answer.
func (p *listingPush) write(ctx context.Context, writes []pushWrite) error {
	req, err := buildListingUpdate(p.inv, writes)
	if errors.Is(err, etsy.ErrAllZero) {
		return p.allZero(ctx, writes)
	}
	if err != nil {
		return p.failAll(ctx, rowsOf(writes), err.Error())
	}
	if err := p.recordIntent(ctx, writes); err != nil {
		return err
	}
	p.inDoubt = true
	after, err := p.shop.UpdateListingInventory(ctx, p.listID, req)
	p.wroteAt = p.e.now()
	var rej *etsy.RejectedError
	if _, limited := etsy.IsRateLimited(err); limited || etsy.NeedsReauthorization(err) {
		p.inDoubt = false // refused before it was applied
	} else if errors.As(err, &rej) {
		p.inDoubt = false
		p.intent.Items = nil
		return p.failAll(ctx, rowsOf(writes), "Etsy refused: "+rej.Message)
	}
	if err != nil {
		return err
	}
	p.changed = 1
	// The listing is active again before the edits show as pushed, so a
	// row never shows its new stock on a listing still off sale.
	if err := p.reactivate(ctx, &after); err != nil {
		return err
	}
	// The write's window is recorded with its last offering's outcome:
	// a sale already synced that it overwrote is then corrected against
	// rows that all show the write (see store.PushDoneParams.Window).
	for i, w := range writes {
		got := w.target
		if _, q, ok := findProduct(after, w.row.ProductKey); ok {
			got = q
		}
		var window *store.PushWindowRecordParams
		if i == len(writes)-1 {
			window = p.window(p.readAt, p.wroteAt, p.intent, after)
		}
		if err := p.doneWith(ctx, w, got, p.wroteAt, window); err != nil {
			return err
		}
	}
	p.inDoubt = false
	p.intent.Items = nil // recorded: nothing left to prove
	return nil
}

// loadIntent reads the listing's intent, recorded by whichever push wrote
// it last: it is what tells whether a write whose answer was lost landed.
// With none recorded, the job's own (from before intents were kept per
// listing) stands.
func (p *listingPush) loadIntent(ctx context.Context) error {
	raw, err := p.e.db.PushIntentGet(ctx, p.st.ID, p.listID)
	if err != nil || raw == nil {
		return err
	}
	var in pushIntent
	if err := json.Unmarshal(raw, &in); err != nil {
		p.e.log.Warn("unreadable push intent", "store", p.st.ID, "listing", p.listID, "err", err)
	}
	in.raw = raw
	*p.intent = in
	return nil
}

// forgetIntent forgets the listing's intent once what it names is
// recorded, unless another push has replaced it since.
func (p *listingPush) forgetIntent(ctx context.Context) error {
	raw := p.intent.raw
	p.intent.Items, p.intent.raw = nil, nil
	if raw == nil {
		return nil
	}
	return p.e.db.PushIntentClear(ctx, &store.PushIntentParams{StoreID: p.st.ID, EtsyListingID: p.listID, Intent: raw})
}

// recordIntent records for the listing what the write is about to do,
// and has a queue job's lease outlast the write: a process killed while it
// writes leaves the lease to its job's retry, or to any push of the
// listing once it expires (see pushInDoubtGrace).
func (p *listingPush) recordIntent(ctx context.Context, writes []pushWrite) error {
	*p.intent = pushIntent{Items: make([]intentItem, len(writes)), ReadAt: p.readAt, Products: windowProducts(p.inv, writes)}
	for i, w := range writes {
		p.intent.Items[i] = intentItem{OfferingID: w.row.OfferingID, DesiredVersion: w.row.DesiredVersion, Target: w.target,
			EtsyOfferingID: w.etsyOfferingID, Desired: w.row.DesiredQuantity, Note: w.note, Counted: w.counted,
			Base: w.row.BaseQuantity, Unread: w.unread}
	}
	raw, err := json.Marshal(p.intent)
	if err != nil {
		return err
	}
	if err := p.e.db.PushIntentSet(ctx, &store.PushIntentParams{StoreID: p.st.ID, EtsyListingID: p.listID, Intent: raw, Now: p.e.now()}); err != nil {
		return err
	}
	p.intent.raw = raw
	if p.jobID == 0 {
		return nil
	}
	return p.hold(pushLeaseTTL)
}

// recordWindow records the window of the write in describes.
func (p *listingPush) recordWindow(ctx context.Context, readAt, wroteAt time.Time, in *pushIntent, written etsy.ListingInventory) error {
	return p.e.db.PushWindowRecord(ctx, p.window(readAt, wroteAt, in, written))
}

// window is the window of the write in describes, with the ids Etsy gave
// its products (as written holds them) and the sales its targets already
// took off.
func (p *listingPush) window(readAt, wroteAt time.Time, in *pushIntent, written etsy.ListingInventory) *store.PushWindowRecordParams {
	products := slices.Clone(in.Products)
	for i, pr := range products {
		for _, np := range written.Products {
			if !np.IsDeleted && etsy.MatchFor(written, np).Key() == pr.Key {
				products[i].NewProductID = np.ProductID
			}
		}
	}
	var counted []store.PushCountedSale
	for _, it := range in.Items {
		for _, c := range it.Counted {
			counted = append(counted, store.PushCountedSale{EtsyTransactionID: c.TxID, OfferingID: it.OfferingID, Quantity: c.Quantity})
		}
	}
	return &store.PushWindowRecordParams{StoreID: p.st.ID, EtsyListingID: p.listID,
		ReadAt: readAt, WroteAt: wroteAt, Products: products, Counted: counted, Now: p.e.now()}
}

// windowProducts are every product a write of inv replaces, as read and
// as written: the write carries each of them, so a sale of any of them
// after the read is overwritten.
func windowProducts(inv etsy.ListingInventory, writes []pushWrite) []store.PushWindowProduct {
	out := make([]store.PushWindowProduct, 0, len(inv.Products))
	for _, pr := range inv.Products {
		if pr.IsDeleted {
			continue
		}
		key := etsy.MatchFor(inv, pr).Key()
		_, qty, _, _ := findOffering(inv, key)
		wp := store.PushWindowProduct{EtsyProductID: pr.ProductID, Key: key, ReadQty: qty, WrittenQty: qty}
		for _, w := range writes {
			if w.row.ProductKey == key {
				wp.WrittenQty = w.target
			}
		}
		out = append(out, wp)
	}
	return out
}

// allZero handles a write that would leave every variation at 0, which
// Etsy's inventory endpoint refuses: by the store's zero policy,
// deactivate the listing, or leave it as it is and tell the seller. Every
// offering of the write shares the outcome, since only together do they
// empty it.
func (p *listingPush) allZero(ctx context.Context, writes []pushWrite) error {
	if p.st.ZeroPolicy == store.ZeroKeepSoldOut {
		return p.failAll(ctx, rowsOf(writes), "Etsy cannot hold 0 of every variation; the store's zero policy keeps the listing as it is on Etsy")
	}
	first := writes[0].row
	if first.ListingState != etsy.StateInactive {
		if _, err := p.shop.UpdateListing(ctx, p.st.EtsyShopID, p.listID, etsy.UpdateListingRequest{State: etsy.StateInactive}); err != nil {
			if msg, refused := refusal(err); refused {
				return p.failAll(ctx, rowsOf(writes), "Etsy refused to deactivate the listing: "+msg)
			}
			return err
		}
		if err := p.e.db.ListingStateSet(ctx, &store.ListingStateSetParams{StoreID: p.st.ID, EtsyListingID: p.listID,
			State: etsy.StateInactive, StockroomDeactivated: true}); err != nil {
			return err
		}
	}
	p.changed = 1
	for _, w := range writes {
		w.note = fmt.Sprintf("every variation would be 0: listing deactivated on Etsy (it keeps %d there, not for sale)", w.etsyNow)
		// Etsy still holds etsyNow: that is the base an edit made meanwhile
		// must be measured against.
		w.target = w.etsyNow
		if err := p.done(ctx, w, w.etsyNow, p.readAt); err != nil {
			return err
		}
	}
	return nil
}

// reactivate makes a listing Stockroom deactivated for lack of stock
// active again once it has stock on Etsy. after is Etsy's answer to the
// write, nil when nothing was written.
func (p *listingPush) reactivate(ctx context.Context, after *etsy.ListingInventory) error {
	first := p.rows[0]
	if !first.StockroomDeactivated || first.ListingState != etsy.StateInactive {
		return nil
	}
	inv := p.inv
	if after != nil {
		inv = *after
	}
	stock := 0
	for _, pr := range inv.Products {
		if _, q, _, ok := findOffering(inv, etsy.MatchFor(inv, pr).Key()); ok && !pr.IsDeleted {
			stock += q
		}
	}
	if stock == 0 {
		return nil
	}
	if _, err := p.shop.UpdateListing(ctx, p.st.EtsyShopID, p.listID, etsy.UpdateListingRequest{State: etsy.StateActive}); err != nil {
		if _, refused := refusal(err); !refused {
			return err
		}
		// Etsy would not activate it (a draft's missing images, say):
		// the stock is written, and the next sync shows the state.
		p.e.log.Warn("reactivate listing", "store", p.st.ID, "listing", p.listID, "err", err)
		return nil
	}
	p.changed = 1
	return p.e.db.ListingStateSet(ctx, &store.ListingStateSetParams{StoreID: p.st.ID, EtsyListingID: p.listID, State: etsy.StateActive})
}

// refusal tells an answer that refused the call for good from one worth
// retrying (rate limits, reauthorization, transient failures).
func refusal(err error) (string, bool) {
	var rej *etsy.RejectedError
	if !errors.As(err, &rej) || etsy.NeedsReauthorization(err) {
		return "", false
	}
	if _, limited := etsy.IsRateLimited(err); limited {
		return "", false
	}
	return rej.Message, true
}

// done records that Etsy holds after (seen at etsyAt) for the write's
// offering.
func (p *listingPush) done(ctx context.Context, w pushWrite, after int, etsyAt time.Time) error {
	return p.doneWith(ctx, w, after, etsyAt, nil)
}

// doneWith is done that records the write's window in the same
// transaction.
func (p *listingPush) doneWith(ctx context.Context, w pushWrite, after int, etsyAt time.Time, window *store.PushWindowRecordParams) error {
	r := w.row
	if _, err := p.e.db.PushDone(ctx, &store.PushDoneParams{OfferingID: r.OfferingID, DesiredVersion: r.DesiredVersion,
		Pushed: w.target, Etsy: after, EtsyAt: etsyAt, Desired: r.DesiredQuantity, Base: r.BaseQuantity, Unread: w.unread,
		Note: w.note, Now: p.e.now(), Window: window}); err != nil {
		return err
	}
	if after != r.DesiredQuantity {
		p.moved = append(p.moved, r.OfferingID)
	}
	return nil
}

// fail records Etsy's refusal of an edit: it is the seller's to see and is
// not retried.
func (p *listingPush) fail(ctx context.Context, r store.InventoryRow, msg string) error {
	return p.e.db.PushFailed(ctx, &store.PushFailedParams{OfferingID: r.OfferingID, DesiredVersion: r.DesiredVersion,
		Message: msg, Now: p.e.now()})
}

func (p *listingPush) failAll(ctx context.Context, rows []store.InventoryRow, msg string) error {
	for _, r := range rows {
		if err := p.fail(ctx, r, msg); err != nil {
			return err
		}
	}
	return nil
}

func rowsOf(ws []pushWrite) []store.InventoryRow {
	out := make([]store.InventoryRow, len(ws))
	for i, w := range ws {
		out[i] = w.row
	}
	return out
}

// finish closes the push's run in the sync log and tells the seller's
// screens. A refused authorization stops the store; its edits wait for
// the seller to connect it again, so the push itself is not an error.
func (p *listingPush) finish(ctx context.Context, run store.SyncRun, err error) error {
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	result, msg := store.ResultOK, ""
	if err != nil {
		result, msg = store.ResultFailed, readable(err)
		if etsy.NeedsReauthorization(err) {
			p.e.markNeedsReauth(fctx, p.st.ID, err)
			err = nil
		}
	}
	if ferr := retryWrite(fctx, func(ctx context.Context) error {
		_, err := p.e.db.SyncRunFinish(ctx, &store.SyncRunFinishParams{ID: run.ID, Result: result, ListingsChanged: p.changed,
			APICalls: int(p.calls.Load()), Error: msg, Now: p.e.now()})
		return err
	}); ferr != nil {
		p.e.log.Error("push run finish", "store", p.st.ID, "run", run.ID, "err", ferr)
	}
	ids := make([]int64, len(p.rows))
	for i, r := range p.rows {
		ids[i] = r.OfferingID
	}
	p.e.hub.Publish(hub.Event{Kind: hub.StockChanged, StoreID: p.st.ID, OfferingIDs: ids})
	return err
}

// checkAlerts re-checks the low-stock alerts of offerings Etsy holds at
// less than the seller typed (sales kept): a row may have crossed its
// threshold. The push is recorded already, so a failure here must not
// fail it (its retry would find nothing pending and never check again):
// the check is retried a while, then logged.
func (p *listingPush) checkAlerts(ctx context.Context) {
	if p.e.alerts == nil || len(p.moved) == 0 {
		return
	}
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := retryWrite(actx, func(ctx context.Context) error {
		_, err := p.e.alerts.Evaluate(ctx, p.st.ID, p.moved)
		return err
	}); err != nil {
		p.e.log.Error("push alert check", "store", p.st.ID, "offerings", p.moved, "err", err)
	}
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

func clampQty(q int) int { return min(max(q, 0), 999) }

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

// queuePushesTx is queuePushes in a store transaction, at the seller's
// priority.
func (e *Engine) queuePushesTx(ctx context.Context, tx store.Tx, storeID int64, offeringIDs []int64) error {
	need, err := e.db.PushQueueClaim(ctx, tx, offeringIDs)
	if err != nil {
		return err
	}
	for _, id := range need {
		if err := e.queue.EnqueuePushTx(ctx, tx, storeID, id, false); err != nil {
			return err
		}
	}
	return nil
}
