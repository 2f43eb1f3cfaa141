package syncer

import (
	"context"
	"sync"
)

// salesArrived checks the alerts that a receipts pull's sales can change:
// the pace of sales moved for the listings sold (etsyListingIDs, the
// listings of the receipts the pull wrote), so a row of theirs whose stock
// did not move may have crossed "runs out within N days"; and a row with
// an active cover alert may have left it as the period moved on. The
// store lists those rows (store.DB.CoverCheckOfferings): a sale of one
// listing on a 50,000-row shop checks a handful of rows, not every one,
// and decides what a check of the whole store would. The check reads the
// kept per-product day sums, once per pull, not per page. A failure is
// logged: the sales are written, and the store's next pull with sales
// checks the whole store.
func (e *Engine) salesArrived(ctx context.Context, storeID int64, etsyListingIDs []int64) {
	if e.alerts == nil {
		return
	}
	var ids []int64 // nil: the whole store
	key := wholeKey{e, storeID}
	_, whole := checkWhole.Load(key)
	if !whole {
		var err error
		if ids, err = e.db.CoverCheckOfferings(ctx, storeID, etsyListingIDs); err != nil {
			e.salesCheckFailed(ctx, storeID, err)
			return
		}
		if len(ids) == 0 {
			return // nothing sold that the store holds, no alert to resolve
		}
		if len(ids) > salesCheckMax {
			ids = nil // a first sync's years of sales: one read of every row is cheaper
		}
	}
	if _, err := e.alerts.Evaluate(ctx, storeID, ids); err != nil {
		e.salesCheckFailed(ctx, storeID, err)
		return
	}
	if whole {
		checkWhole.Delete(key)
	}
}

// salesCheckMax is the most rows a check after sales names; past it the
// whole store is checked, in one read of its rows rather than in chunks
// by id.
const salesCheckMax = 2000

// checkWhole holds the stores whose check after sales failed, per engine:
// the rows those sales touched are known no more, so the engine's next
// check of the store is the whole store's.
var checkWhole sync.Map // wholeKey → struct{}

type wholeKey struct {
	e       *Engine
	storeID int64
}

func (e *Engine) salesCheckFailed(ctx context.Context, storeID int64, err error) {
	checkWhole.Store(wholeKey{e, storeID}, struct{}{})
	if ctx.Err() == nil {
		e.log.Warn("alerts after sales", "store", storeID, "err", err)
	}
}
