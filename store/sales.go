// Receipts and their line items.
package store

import (
	"context"
	"time"
)

type Sales interface {
	// SyncReceiptsWrite upserts one page of receipts and their items; the
	// cursor commits with them. A sale a push overwrote is corrected in
	// the same transaction (see OnCorrect).
	SyncReceiptsWrite(ctx context.Context, p *SyncReceiptsWriteParams) (int, error)
	ReceiptList(ctx context.Context, p *ReceiptListParams) ([]Receipt, error)
	// ReceiptUpdatedAtList returns when Etsy last changed each of the given
	// receipts as the store holds them; receipts it does not hold are
	// absent. A sync uses it to tell a receipt it already handled from one
	// changed in the same second.
	ReceiptUpdatedAtList(ctx context.Context, storeID int64, etsyReceiptIDs []int64) (map[int64]time.Time, error)
}

type SyncReceiptsWriteParams struct {
	StoreID  int64
	Receipts []Receipt
	Cursor   *StoreSetSyncStateParams
	Now      time.Time
	// OnCorrect runs in the page's transaction with the offerings whose
	// sales a push overwrote (a receipt created inside a push window, see
	// PushWindowRecord): each got an add edit taking the sale off Etsy's
	// count again, once per transaction, and needs a push.
	OnCorrect func(ctx context.Context, tx Tx, offeringIDs []int64) error
}

type ReceiptListParams struct {
	AccountID int64
	StoreID   int64
	Since     time.Time
	Until     time.Time
	Status    string
	Limit     int
}
