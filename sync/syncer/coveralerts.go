package syncer

import "context"

// salesArrived checks the store's alerts again once a receipts pull wrote
// sales: the pace of sales moved, so a row whose stock did not move may
// have crossed "runs out within N days". The check reads the kept
// per-product day sums, once per pull, not per page. A failure is logged:
// the sales are written, and the next pull checks again.
func (e *Engine) salesArrived(ctx context.Context, storeID int64) {
	if e.alerts == nil {
		return
	}
	if _, err := e.alerts.Evaluate(ctx, storeID, nil); err != nil && ctx.Err() == nil {
		e.log.Warn("alerts after sales", "store", storeID, "err", err)
	}
}
