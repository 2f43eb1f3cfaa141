// Listings, products and offerings, with the stock state that tells a
// seller's pending edit from what Etsy last said.
package store

import (
	"context"
	"time"
)

type Catalogue interface {
	// SyncListingsWrite writes one page of listings as Etsy returned them,
	// idempotently: an unchanged row is not rewritten and gets no new
	// version. Pending edits are never overwritten. Cursor fields commit in
	// the same transaction as the page.
	SyncListingsWrite(ctx context.Context, p *SyncListingsWriteParams) (SyncWriteResult, error)
	// SyncListingsMarkGone marks the store's listings whose Etsy ids are not
	// in seen as gone from Etsy, and those in seen as present again (a full
	// sync calls it once every page is written). Nothing is deleted: a
	// listing can come back, and its history stays.
	SyncListingsMarkGone(ctx context.Context, storeID int64, seen []int64) (int, error)

	// InventoryList returns every row of a store the account is a member of.
	InventoryList(ctx context.Context, p *InventoryListParams) ([]InventoryRow, error)
	// InventoryVersion is where the store's rows stand: rows read after
	// reading it stay right while its Version does not move, and once it
	// has, while Removed has not, reading the offerings removed since its
	// Since (CoverRowRemovedList), then the rows changed since
	// (CoverRowChangedList), brings them up to date.
	InventoryVersion(ctx context.Context, storeID int64) (InventoryVersion, error)
	InventoryGet(ctx context.Context, accountID, offeringID int64) (InventoryRow, error)
	// InventoryListByIDs returns the rows of the given offerings that are
	// in the store, for a member of it, in offering id order; ids it does
	// not find are left out. It is one query per few hundred ids, so a live
	// update of many rows costs one round trip rather than one per row.
	InventoryListByIDs(ctx context.Context, p *InventoryListByIDsParams) ([]InventoryRow, error)
	// InventoryGetByID is for the server's own work (push worker).
	InventoryGetByID(ctx context.Context, offeringID int64) (InventoryRow, error)

	// StockEdit sets the quantities a seller wants, all or nothing, records
	// each in the audit trail and runs OnCommit in the same transaction so a
	// push job is durable exactly when the edit is. An edit made from a
	// version that is no longer current fails with *StaleError.
	StockEdit(ctx context.Context, p *StockEditParams) ([]InventoryRow, error)
	// PushDone records that Etsy accepted the desired quantity of
	// DesiredVersion. A newer edit made meanwhile stays pending.
	PushDone(ctx context.Context, p *PushDoneParams) (InventoryRow, error)
	// PushFailed records Etsy's refusal of DesiredVersion.
	PushFailed(ctx context.Context, p *PushFailedParams) error
	// PushWindowRecord remembers when a push read a listing's products and
	// when Etsy answered its write, so a sale made in between (which the
	// write overwrote) is corrected when its receipt is learned, or at
	// once when the receipt was learned before the window was recorded.
	PushWindowRecord(ctx context.Context, p *PushWindowRecordParams) error
	// PushIntentSet records, before a write of the listing is sent, what
	// it is about to write (opaque to the store), replacing the listing's
	// earlier intent. PushIntentGet reads it (nil: none), so whichever push
	// of the listing comes next can tell whether a write whose answer was
	// lost landed. PushIntentClear forgets it once its outcome is
	// recorded, unless another intent has replaced it meanwhile.
	PushIntentSet(ctx context.Context, p *PushIntentParams) error
	// PushHandledSales says, of the given sales (Etsy transaction ids),
	// when each one that a write already took off Etsy's count (a set
	// that counted it, or a correction) was handled: a set's write counts
	// its sales as of its answer, which is then the base of the offering.
	PushHandledSales(ctx context.Context, storeID int64, txIDs []int64) (map[int64]time.Time, error)
	// SalesSeenAt says, of the given sales (Etsy transaction ids), when
	// Stockroom first had each one's receipt (see
	// SyncReceiptsWriteParams.SeenAt); sales not held, or held from before
	// that was recorded, are left out.
	SalesSeenAt(ctx context.Context, storeID int64, txIDs []int64) (map[int64]time.Time, error)
	// PushReplacedProducts says, of the listing's product ids that a
	// recorded write of Stockroom's replaced (Etsy issues new ids on every
	// inventory write), when Etsy answered that write: a sale made under
	// such an id came before then.
	PushReplacedProducts(ctx context.Context, storeID, etsyListingID int64) (map[int64]time.Time, error)
	PushIntentGet(ctx context.Context, storeID, etsyListingID int64) ([]byte, error)
	PushIntentClear(ctx context.Context, p *PushIntentParams) error
	// ListingStateSet records a listing state a push set on Etsy, and
	// whether Stockroom deactivated it for lack of stock.
	ListingStateSet(ctx context.Context, p *ListingStateSetParams) error
	// PushQueueClaim marks the listings of the given offerings as having a
	// push job waiting, in tx when set. It returns the offerings whose
	// listing had none: only those need a job. PushQueueTake clears the
	// mark as a job starts, before it reads what is pending, so an edit
	// committed after that queues a job of its own.
	PushQueueClaim(ctx context.Context, tx Tx, offeringIDs []int64) ([]int64, error)
	PushQueueTake(ctx context.Context, offeringID int64) error
	// PushPendingList lists offerings with edits not yet on Etsy, of a
	// store or of one of its listings.
	PushPendingList(ctx context.Context, p *PushPendingListParams) ([]InventoryRow, error)

	StockEventList(ctx context.Context, p *StockEventListParams) ([]StockEvent, error)
	// ThresholdSet overrides the low-stock threshold of a listing or of one
	// offering (nil clears the override).
	ThresholdSet(ctx context.Context, p *ThresholdSetParams) error
}

// ListingSnapshot is a listing as Etsy describes it, with its inventory.
type ListingSnapshot struct {
	EtsyListingID int64
	Title         string
	State         string
	URL           string
	Quantity      int
	UpdatedAt     time.Time
	// CreatedAt is when Etsy created the listing (zero when not known).
	CreatedAt time.Time
	// Products is nil when the inventory was not fetched with the listing;
	// then only the listing's own fields are written.
	Products []ProductSnapshot
}

type ProductSnapshot struct {
	// Key identifies the product across Etsy's writes, which reissue
	// product and offering ids: the SKU when unique, else the property
	// values.
	Key            string
	EtsyProductID  int64
	SKU            string
	Variation      string
	PropertyValues string // JSON, kept to rebuild Etsy's inventory body
	EtsyOfferingID int64
	Quantity       int
	Price          Money
	Enabled        bool
	ReadinessID    int64
}

type SyncListingsWriteParams struct {
	StoreID  int64
	Listings []ListingSnapshot
	Now      time.Time
	// ReadAt is when the page was read from Etsy (taken before the call).
	// An offering whose push was recorded at or after it keeps what the
	// push recorded: the page's picture of it predates Etsy's answer to
	// the write. Zero skips the check.
	ReadAt time.Time
	// Confirm moves on the count time (InventoryRow.QuantityAt) of the
	// offerings whose count is as held to ReadAt: Etsy held it then too.
	// A read that follows a receipts read sets it, so a set typed on the
	// count knows that the sales whose receipts Stockroom had before then
	// are in it, though Etsy's whole seconds cannot tell.
	Confirm bool
	Cursor  *StoreSetSyncStateParams
	// OnCommit runs in the page's transaction (e.g. to enqueue alert checks).
	OnCommit func(ctx context.Context, tx Tx, res SyncWriteResult) error

	// Source is what started the sync (SourceSync, or SourceWebhook for a
	// sale Etsy announced), for the activity ledger; empty is SourceSync.
	Source Source
}

// StockChange is one offering whose Etsy quantity moved.
type StockChange struct {
	OfferingID int64
	Before     int
	After      int
}

type SyncWriteResult struct {
	ListingsChanged  int
	OfferingsChanged int
	StockChanges     []StockChange
	// NewOfferings are the offerings the page added to the store (a shop
	// just connected: all of them); their stock did not move, but a row
	// already low needs its alert.
	NewOfferings []int64
}

// AlertIDs are the offerings whose alerts the page may change: those
// whose stock moved and the new ones.
func (r SyncWriteResult) AlertIDs() []int64 {
	ids := make([]int64, 0, len(r.StockChanges)+len(r.NewOfferings))
	for _, c := range r.StockChanges {
		ids = append(ids, c.OfferingID)
	}
	return append(ids, r.NewOfferings...)
}

// InventoryVersion is where a store's rows stand, read before reading
// them.
type InventoryVersion struct {
	// Version moves whenever the store's rows change as a reader sees
	// them: an offering, product or listing written, added or removed.
	Version int64
	// Removed moves whenever a row moves to another store, which leaves
	// no changed row to read and no record of the removal (a row deleted
	// leaves one: CoverRowRemovedList).
	Removed int64
	// Since is where the changes begin that a read made after this one
	// may lack: every row written since is stamped at or past it (the
	// store's stamps are its own: a version on SQLite, a transaction id on
	// PostgreSQL; only CoverRowChangedList reads them).
	Since int64
}

type InventoryListParams struct {
	AccountID int64
	StoreID   int64
}

type InventoryListByIDsParams struct {
	AccountID   int64
	StoreID     int64
	OfferingIDs []int64
}

type StockEditParams struct {
	AccountID int64
	StoreID   int64
	Source    Source
	Note      string
	Edits     []StockEditItem
	Now       time.Time
	OnCommit  func(ctx context.Context, tx Tx, rows []InventoryRow) error

	// Fingerprint is the SSH key the edit came through and BatchID groups
	// an import's rows, for the activity ledger.
	Fingerprint string
	BatchID     string
}

type StockEditItem struct {
	OfferingID int64
	// Kind is EditSet (the default) or EditAdd; Quantity is the number the
	// seller now sees either way.
	Kind EditKind
	// Version the editor saw; 0 skips the check (commands that say
	// "set to N whatever it is now").
	Version  int64
	Quantity int

	// UndoOf is the activity event this edit undoes (0: none).
	UndoOf int64
}

type PushDoneParams struct {
	OfferingID     int64
	DesiredVersion int64
	// Pushed is the quantity written to Etsy, Etsy the quantity Etsy holds
	// after the write (normally the same), EtsyAt when it held it.
	Pushed int
	Etsy   int
	EtsyAt time.Time
	// Desired is the seller's quantity of DesiredVersion. An add edit made
	// since is measured from it: its base becomes Desired, so only the
	// change made after DesiredVersion is applied next.
	Desired int
	// Base is the base the push planned on, and Unread that it planned
	// without reading the receipts (Etsy's count had not moved from it).
	// A receipt written meanwhile may have raised the base of the pending
	// set to keep a sale an earlier write overwrote (see
	// SyncReceiptsWrite); such a push did not take it off, so the sale is
	// taken off by a correction after it.
	Base   int
	Unread bool
	Note   string
	Now    time.Time
	// Window, when set, is the write's window, recorded in the same
	// transaction (see PushWindowRecord).
	Window *PushWindowRecordParams
}

type PushIntentParams struct {
	StoreID       int64
	EtsyListingID int64
	Intent        []byte
	Now           time.Time
}

type PushWindowRecordParams struct {
	StoreID       int64
	EtsyListingID int64
	// ReadAt is taken before the read is sent, WroteAt after the write's
	// answer came.
	ReadAt   time.Time
	WroteAt  time.Time
	Products []PushWindowProduct
	// Counted are sales the write's targets already took off (a set's
	// sales since its base): they are never corrected, even when they lie
	// inside the window.
	Counted []PushCountedSale
	Now     time.Time
}

type PushCountedSale struct {
	EtsyTransactionID int64
	OfferingID        int64
	Quantity          int
}

// PushWindowProduct is a product a write replaced: Etsy's id and count as
// read, and the id and count the write gave it. Etsy issues new ids on
// every inventory write and a sale names the id of its moment, so the
// sales of an id the write replaced were made before it landed, and of
// those, the units beyond what the id's own write left minus the count
// read were made after the read: the window is exact when the read id
// came from an earlier write of Stockroom's.
type PushWindowProduct struct {
	EtsyProductID int64
	Key           string
	ReadQty       int
	NewProductID  int64
	WrittenQty    int
}

type ListingStateSetParams struct {
	StoreID              int64
	EtsyListingID        int64
	State                string
	StockroomDeactivated bool
}

type PushFailedParams struct {
	OfferingID     int64
	DesiredVersion int64
	Message        string
	Now            time.Time
}

type PushPendingListParams struct {
	StoreID       int64
	EtsyListingID int64 // 0: every listing of the store
}

type StockEventListParams struct {
	AccountID  int64
	StoreID    int64
	OfferingID int64 // 0: the whole store
	Limit      int
}

type ThresholdSetParams struct {
	AccountID  int64
	StoreID    int64
	ListingID  int64 // set for a listing-wide override
	OfferingID int64 // or for one offering
	Threshold  *int
}
