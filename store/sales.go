// Receipts and their line items.
package store

import (
	"context"
	"time"
)

type Sales interface {
	// SyncReceiptsWrite upserts one page of receipts and their items; the
	// cursor commits with them.
	SyncReceiptsWrite(ctx context.Context, p *SyncReceiptsWriteParams) (int, error)
	ReceiptList(ctx context.Context, p *ReceiptListParams) ([]Receipt, error)
}

type SyncReceiptsWriteParams struct {
	StoreID  int64
	Receipts []Receipt
	Cursor   *StoreSetSyncStateParams
}

type ReceiptListParams struct {
	AccountID int64
	StoreID   int64
	Since     time.Time
	Until     time.Time
	Status    string
	Limit     int
}
