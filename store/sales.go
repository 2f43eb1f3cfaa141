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
	// SalesByProductList sums the units and revenue of each Etsy product
	// (listing, product id, SKU and variation)
	// sold in [Since, Until), leaving out cancelled and fully refunded
	// receipts. Whole days come from sums kept as receipts are written
	// (with Until open, from one row per product kept for the 30 days
	// before Now); only the part of a day at either end reads receipt
	// lines, through their covering index.
	SalesByProductList(ctx context.Context, p *SalesRangeParams) ([]ProductSales, error)
	// SalesByProductChangedList is SalesByProductList of an open period
	// (Until zero) for only the products whose sums a receipt write
	// changed after the store's sales version: a reader holding the list
	// of that version replaces these entries (an entry with no units and
	// no revenue no longer sold in the period) instead of reading all.
	SalesByProductChangedList(ctx context.Context, p *SalesRangeParams, version int64) ([]ProductSales, error)
	// SalesByDayList sums the units and revenue sold on each UTC day of
	// [Since, Until) that had a sale, oldest first, from the same kept
	// sums.
	SalesByDayList(ctx context.Context, p *SalesRangeParams) ([]DaySales, error)
	// CoverRowList lists a store's rows with only what days of cover and
	// the dashboard's counts read: ids, listing, product, SKU, title,
	// variation, quantities and edit versions, currency, threshold, gone
	// and when listed; the other fields are zero. In no order. A report
	// that is not drawn from a shared Snapshot reads half the columns and
	// sorts nothing.
	CoverRowList(ctx context.Context, p *InventoryListParams) ([]InventoryRow, error)
	// CoverRowChangedList lists, as CoverRowList does, the store's rows
	// whose offering, product or listing was written at or past since (an
	// InventoryVersion's Since), in offering id order: with the rows read
	// after reading that InventoryVersion, and while its Removed has not
	// moved, they are the store's rows now, less the removed ones
	// (CoverRowRemovedList). It may list a row that did
	// not change, never leave out one that did.
	CoverRowChangedList(ctx context.Context, p *InventoryListParams, since int64) ([]InventoryRow, error)
	// CoverRowRemovedList lists the offerings removed from the store at or
	// past since (an InventoryVersion's Since), in no order: with
	// CoverRowChangedList read after it, the rows a reader kept are brought
	// up to date, removals included (a row listed by both is there again).
	// complete is false when the record of removals no longer reaches back
	// to since (old ones are pruned): the caller reads every row again.
	CoverRowRemovedList(ctx context.Context, p *InventoryListParams, since int64) (ids []int64, complete bool, err error)
}

// ReceiptVoided tells whether a receipt's status means its lines were not
// sold after all (cancelled or fully refunded); the sales figures leave
// them out. The statuses are Etsy's.
func ReceiptVoided(status string) bool {
	return status == "canceled" || status == "fully refunded"
}

// SalesRangeParams names a store and a period; the store must be one of
// the account's (ErrNotFound otherwise). A zero Until is open.
type SalesRangeParams struct {
	AccountID int64
	StoreID   int64
	Since     time.Time
	Until     time.Time
	// Now is the reader's clock (default time.Now): the per-product sums
	// are kept for the 30 days before it.
	Now time.Time
}

// ProductSales is what one Etsy product sold in a period. Revenue is in
// hundredths of the store's currency. Etsy reissues product ids when an
// inventory is written, so a line also names its listing, SKU and
// variation for matching it to the product as it is now.
type ProductSales struct {
	EtsyListingID int64
	EtsyProductID int64
	SKU           string
	Variation     string
	Units         int
	Revenue       int64
}

// DaySales is what a store sold on one UTC day. Revenue is in hundredths
// of the store's currency.
type DaySales struct {
	Day     time.Time
	Units   int
	Revenue int64
}

type SyncReceiptsWriteParams struct {
	StoreID  int64
	Receipts []Receipt
	Cursor   *StoreSetSyncStateParams
	Now      time.Time
	// SeenAt is when Etsy's answer with the page came (zero: unknown):
	// its sales were made before then.
	SeenAt time.Time
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
