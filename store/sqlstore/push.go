package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/stockroom/stockroom/store"
)

// pushWindowKeep is how long a push window is kept: far longer than a
// receipt takes to reach Stockroom (the next sync tick, or a webhook).
const pushWindowKeep = 7 * 24 * time.Hour

func (s *Store) PushWindowRecord(ctx context.Context, p *store.PushWindowRecordParams) error {
	if len(p.Products) == 0 && len(p.Counted) == 0 {
		return nil
	}
	return s.err("push window record", s.d.InTx(ctx, func(tx Tx) error {
		if err := s.lockSaleWindows(ctx, tx, p.StoreID); err != nil {
			return err
		}
		return s.recordWindow(ctx, tx, p)
	}))
}

// saleWindowsLock names the lock, per store, that
// lockSaleWindows takes.
const saleWindowsLock = 0x53574c // "SWL"

// lockSaleWindows makes a transaction that records a push window and one
// that writes receipts take turns per store. Each reads what the other
// writes: under PostgreSQL's read committed, two at once would each miss
// the other's rows and an overwritten sale would go uncorrected. Taken
// first, before any row lock, so it adds no lock-order cycle.
func (s *Store) lockSaleWindows(ctx context.Context, tx Tx, storeID int64) error {
	return s.d.LockInTx(ctx, tx, saleWindowsLock, int32(storeID))
}

func (s *Store) recordWindow(ctx context.Context, tx Tx, p *store.PushWindowRecordParams) error {
	if _, err := tx.Exec(ctx, `DELETE FROM push_windows WHERE wrote_at < $1`, ms(now(p.Now).Add(-pushWindowKeep))); err != nil {
		return err
	}
	stmts := make([]Statement, 0, len(p.Products)+len(p.Counted))
	for _, pr := range p.Products {
		stmts = append(stmts, Statement{`INSERT INTO push_windows (store_id, etsy_listing_id, etsy_product_id, product_key, read_at, wrote_at,
				read_qty, new_product_id, written_qty)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, []any{p.StoreID, p.EtsyListingID, pr.EtsyProductID, pr.Key, ms(p.ReadAt), ms(p.WroteAt),
			pr.ReadQty, pr.NewProductID, pr.WrittenQty}})
	}
	// A counted sale is recorded as handled: the write took it off
	// already, as of its answer (the base the write leaves; see
	// PushHandledSales).
	handledAt := ms(p.WroteAt)
	if p.WroteAt.IsZero() {
		handledAt = ms(now(p.Now))
	}
	for _, c := range p.Counted {
		stmts = append(stmts, Statement{`INSERT INTO push_corrections (store_id, etsy_transaction_id, offering_id, quantity, created_at)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (store_id, etsy_transaction_id) DO NOTHING`,
			[]any{p.StoreID, c.EtsyTransactionID, c.OfferingID, c.Quantity, handledAt}})
	}
	if err := s.d.ExecBatch(ctx, tx, stmts); err != nil {
		return err
	}
	return s.correctKnownSales(ctx, tx, p)
}

// correctKnownSales corrects the sales of the window's products that were
// synced before the window was recorded (a receipt can arrive while the
// push that overwrote it is still writing): the receipt's own check found
// no window then, and would never look again. The corrections' edits are
// pushed by the job that recorded the window, which follows the
// listing's pending edits (or by the next sync's sweep).
func (s *Store) correctKnownSales(ctx context.Context, tx Tx, p *store.PushWindowRecordParams) error {
	if len(p.Products) == 0 {
		return nil
	}
	from := ms(p.ReadAt)/1000*1000 - 1000
	rows, err := tx.Query(ctx, `SELECT r.etsy_receipt_id, r.status, r.etsy_created_at, i.etsy_transaction_id, i.etsy_listing_id,
			i.etsy_product_id, i.sku, i.quantity
		FROM receipt_items i JOIN receipts r ON r.id = i.receipt_id
		WHERE i.store_id = $1 AND i.etsy_listing_id = $2 AND r.etsy_created_at >= $3 AND r.etsy_created_at <= $4
			AND NOT EXISTS (SELECT 1 FROM push_corrections c WHERE c.store_id = i.store_id AND c.etsy_transaction_id = i.etsy_transaction_id)
		ORDER BY r.etsy_created_at, i.etsy_transaction_id`, p.StoreID, p.EtsyListingID, from, ms(p.WroteAt))
	if err != nil {
		return err
	}
	var receipts []store.Receipt
	for rows.Next() {
		var r store.Receipt
		var it store.ReceiptItem
		var created int64
		if err := rows.Scan(&r.EtsyReceiptID, &r.Status, &created, &it.EtsyTransactionID, &it.EtsyListingID, &it.EtsyProductID,
			&it.SKU, &it.Quantity); err != nil {
			rows.Close()
			return err
		}
		r.CreatedAt = fromMS(created)
		r.Items = []store.ReceiptItem{it}
		receipts = append(receipts, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(receipts) == 0 {
		return err
	}
	_, err = s.correctOverwrittenSales(ctx, tx, &store.SyncReceiptsWriteParams{StoreID: p.StoreID, Receipts: receipts, Now: p.Now})
	return err
}

func (s *Store) PushHandledSales(ctx context.Context, storeID int64, txIDs []int64) (map[int64]time.Time, error) {
	return s.timesOfSales(ctx, "push handled sales", `SELECT etsy_transaction_id, created_at FROM push_corrections
		WHERE store_id = $1 AND `, "etsy_transaction_id", storeID, txIDs)
}

func (s *Store) SalesSeenAt(ctx context.Context, storeID int64, txIDs []int64) (map[int64]time.Time, error) {
	return s.timesOfSales(ctx, "sales seen at", `SELECT i.etsy_transaction_id, r.seen_at FROM receipt_items i
		JOIN receipts r ON r.id = i.receipt_id WHERE r.seen_at > 0 AND i.store_id = $1 AND `, "i.etsy_transaction_id", storeID, txIDs)
}

func (s *Store) PushReplacedProducts(ctx context.Context, storeID, etsyListingID int64) (map[int64]time.Time, error) {
	return s.queryTimes(ctx, map[int64]time.Time{}, "push replaced products", `SELECT etsy_product_id, MIN(wrote_at) FROM push_windows
		WHERE store_id = $1 AND etsy_listing_id = $2 AND new_product_id <> 0 AND new_product_id <> etsy_product_id
		GROUP BY etsy_product_id`, storeID, etsyListingID)
}

// timesOfSales runs q (its store $1, followed by the ids' condition on
// col) and maps each sale to the time in milliseconds it selects.
func (s *Store) timesOfSales(ctx context.Context, op, q, col string, storeID int64, txIDs []int64) (map[int64]time.Time, error) {
	out := map[int64]time.Time{}
	if len(txIDs) == 0 {
		return out, nil
	}
	in, args := s.inInts(col, 2, txIDs)
	return s.queryTimes(ctx, out, op, q+in, append([]any{storeID}, args...)...)
}

// queryTimes runs sql, whose rows are an id and a time in milliseconds,
// and adds them to out, which it returns (nil with an error).
func (s *Store) queryTimes(ctx context.Context, out map[int64]time.Time, op, sql string, args ...any) (map[int64]time.Time, error) {
	rows, err := s.d.Query(ctx, sql, args...)
	if err != nil {
		return nil, s.err(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, at int64
		if err := rows.Scan(&id, &at); err != nil {
			return nil, s.err(op, err)
		}
		out[id] = fromMS(at)
	}
	return out, s.err(op, rows.Err())
}

func (s *Store) PushIntentSet(ctx context.Context, p *store.PushIntentParams) error {
	_, err := s.d.Exec(ctx, `INSERT INTO push_intents (store_id, etsy_listing_id, intent, created_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (store_id, etsy_listing_id) DO UPDATE SET intent = excluded.intent, created_at = excluded.created_at`,
		p.StoreID, p.EtsyListingID, string(p.Intent), ms(now(p.Now)))
	return s.err("push intent set", err)
}

func (s *Store) PushIntentGet(ctx context.Context, storeID, etsyListingID int64) ([]byte, error) {
	var in string
	err := s.d.QueryRow(ctx, `SELECT intent FROM push_intents WHERE store_id = $1 AND etsy_listing_id = $2`, storeID, etsyListingID).Scan(&in)
	if errors.Is(s.d.MapError(err), store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, s.err("push intent get", err)
	}
	return []byte(in), nil
}

func (s *Store) PushIntentClear(ctx context.Context, p *store.PushIntentParams) error {
	_, err := s.d.Exec(ctx, `DELETE FROM push_intents WHERE store_id = $1 AND etsy_listing_id = $2 AND intent = $3`,
		p.StoreID, p.EtsyListingID, string(p.Intent))
	return s.err("push intent clear", err)
}

func (s *Store) ListingStateSet(ctx context.Context, p *store.ListingStateSetParams) error {
	_, err := s.d.Exec(ctx, `UPDATE listings SET state = $3, stockroom_deactivated = $4 WHERE store_id = $1 AND etsy_listing_id = $2`,
		p.StoreID, p.EtsyListingID, p.State, p.StockroomDeactivated)
	return s.err("listing state set", err)
}

const listingOfOffering = `(SELECT p.listing_id ` + offeringAndProduct + `)`

// offeringAndProduct is offering $1 with its product (no row when the
// offering is gone).
const offeringAndProduct = `FROM offerings o JOIN products p ON p.id = o.product_id WHERE o.id = $1`

func (s *Store) PushQueueClaim(ctx context.Context, stx store.Tx, offeringIDs []int64) ([]int64, error) {
	var need []int64
	claim := func(tx Tx) error {
		need = need[:0]
		for _, id := range offeringIDs {
			// The upsert takes the mark's row lock whatever its value, so
			// a job clearing the mark waits for this edit to commit and
			// then reads it. The mark has a row of its own, not the
			// listing's: a sync locks a listing and then its offerings,
			// and an edit holds its offerings here.
			var n int64
			err := tx.QueryRow(ctx, `INSERT INTO push_marks (listing_id, waiting) SELECT p.listing_id, 1 `+offeringAndProduct+`
				ON CONFLICT (listing_id) DO UPDATE SET waiting = push_marks.waiting + 1
				RETURNING waiting`, id).Scan(&n)
			if err != nil && errors.Is(s.d.MapError(err), store.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if n == 1 {
				need = append(need, id)
			}
		}
		return nil
	}
	if stx == nil {
		return need, s.err("push queue claim", s.d.InTx(ctx, claim))
	}
	a, ok := stx.(txAdapter)
	if !ok {
		return nil, fmt.Errorf("push queue claim: a %T is not this store's transaction: %w", stx, store.ErrInvalid)
	}
	return need, s.err("push queue claim", claim(a.tx))
}

func (s *Store) PushQueueTake(ctx context.Context, offeringID int64) error {
	_, err := s.d.Exec(ctx, `UPDATE push_marks SET waiting = 0 WHERE listing_id = `+listingOfOffering, offeringID)
	return s.err("push queue take", err)
}

type pushWindow struct {
	listingID, productID int64
	key                  string
	readAt, wroteAt      int64
	readQty              int
}

// overlaps tells whether a sale Etsy timed at created (whole seconds) may
// lie between the read and the answer of the write. Etsy's seconds cannot
// tell a sale just before the read from one just after it in the same
// second: both count as inside, so a doubtful sale is taken off (at worst
// one unit is held back) rather than sold twice.
func (w pushWindow) overlaps(created int64) bool {
	sec := created / 1000 * 1000
	return sec <= w.wroteAt && sec+999 >= w.readAt
}

// correctOverwrittenSales finds the sales of a receipts page that a push's
// write overwrote (made between its read and its answer) and takes each
// off Etsy's count again with an add edit, once per transaction. A pending
// set needs no correction: its push subtracts the sales since its base.
func (s *Store) correctOverwrittenSales(ctx context.Context, tx Tx, p *store.SyncReceiptsWriteParams) ([]int64, error) {
	if len(p.Receipts) == 0 {
		return nil, nil
	}
	// Only the windows of the page's listings are read: an import leaves
	// many windows, and a full sync reads every receipt.
	seen := map[int64]bool{}
	var listingIDs []int64
	for _, r := range p.Receipts {
		for _, it := range r.Items {
			if it.EtsyListingID != 0 && !seen[it.EtsyListingID] {
				seen[it.EtsyListingID] = true
				listingIDs = append(listingIDs, it.EtsyListingID)
			}
		}
	}
	if len(listingIDs) == 0 {
		return nil, nil
	}
	in, args := s.inInts("etsy_listing_id", 2, listingIDs)
	rows, err := tx.Query(ctx, `SELECT etsy_listing_id, etsy_product_id, product_key, read_at, wrote_at, read_qty FROM push_windows
		WHERE store_id = $1 AND `+in, append([]any{p.StoreID}, args...)...)
	if err != nil {
		return nil, err
	}
	windows := map[[2]int64][]pushWindow{}
	for rows.Next() {
		var w pushWindow
		if err := rows.Scan(&w.listingID, &w.productID, &w.key, &w.readAt, &w.wroteAt, &w.readQty); err != nil {
			rows.Close()
			return nil, err
		}
		k := [2]int64{w.listingID, w.productID}
		windows[k] = append(windows[k], w)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(windows) == 0 {
		return nil, err
	}
	t := ms(now(p.Now))
	var out []int64
	for _, r := range p.Receipts {
		if strings.EqualFold(r.Status, "canceled") {
			continue
		}
		created := ms(r.CreatedAt)
		for _, it := range r.Items {
			if it.Quantity <= 0 {
				continue
			}
			for _, w := range windows[[2]int64{it.EtsyListingID, it.EtsyProductID}] {
				units, ok, err := s.unitsAfterRead(ctx, tx, p.StoreID, w, it)
				if err != nil {
					return nil, err
				}
				if !ok && w.overlaps(created) {
					// The id's count before the read is unknown: Etsy's
					// whole seconds decide, unless Stockroom had the
					// receipt by the read, which proves the sale came
					// before it.
					seen, err := s.seenBy(ctx, tx, p.StoreID, it.EtsyTransactionID, w.readAt)
					if err != nil {
						return nil, err
					}
					if !seen {
						units = it.Quantity
					}
				}
				if units == 0 {
					continue
				}
				id, err := s.correctSale(ctx, tx, p.StoreID, r.EtsyReceiptID, it, units, w, created, t)
				if err != nil {
					return nil, err
				}
				if id != 0 {
					out = append(out, id)
				}
				break
			}
		}
	}
	return out, nil
}

// seenBy tells whether Stockroom had the receipt of the sale txID before
// at (ms): the sale was made before then.
func (s *Store) seenBy(ctx context.Context, tx Tx, storeID, txID, at int64) (bool, error) {
	var seen int64
	err := tx.QueryRow(ctx, `SELECT r.seen_at FROM receipt_items i JOIN receipts r ON r.id = i.receipt_id
		WHERE i.store_id = $1 AND i.etsy_transaction_id = $2`, storeID, txID).Scan(&seen)
	if errors.Is(s.d.MapError(err), store.ErrNotFound) {
		return false, nil
	}
	// A receipt seen in the read's own millisecond may have come after it.
	return err == nil && seen > 0 && seen < at, err
}

// unitsAfterRead tells how many units of a sale of the window's read id
// were sold after the read, exactly, when the id came from an earlier
// write of Stockroom's (ok): that write left written units, the read saw
// readQty, so the first written-readQty units sold under the id came
// before the read and the rest after it (and before the window's write,
// which replaced the id). Sales are taken in Etsy's order: creation
// second, then transaction id.
func (s *Store) unitsAfterRead(ctx context.Context, tx Tx, storeID int64, w pushWindow, it store.ReceiptItem) (int, bool, error) {
	var written int
	err := tx.QueryRow(ctx, `SELECT written_qty FROM push_windows WHERE store_id = $1 AND etsy_listing_id = $2 AND new_product_id = $3
		ORDER BY wrote_at DESC LIMIT 1`, storeID, w.listingID, w.productID).Scan(&written)
	if err != nil {
		if errors.Is(s.d.MapError(err), store.ErrNotFound) {
			return 0, false, nil
		}
		return 0, false, err
	}
	before := max(written-w.readQty, 0)
	rows, err := tx.Query(ctx, `SELECT i.etsy_transaction_id, i.quantity FROM receipt_items i JOIN receipts r ON r.id = i.receipt_id
		WHERE i.store_id = $1 AND i.etsy_listing_id = $2 AND i.etsy_product_id = $3 AND r.status <> 'canceled'
		ORDER BY r.etsy_created_at, i.etsy_transaction_id`, storeID, w.listingID, w.productID)
	if err != nil {
		return 0, false, err
	}
	defer rows.Close()
	sold := 0
	for rows.Next() {
		var txID int64
		var q int
		if err := rows.Scan(&txID, &q); err != nil {
			return 0, false, err
		}
		if txID == it.EtsyTransactionID {
			return min(max(sold+q-before, 0), q), true, nil
		}
		sold += q
	}
	return 0, true, rows.Err()
}

// correctSale records one overwritten sale and, unless a set is pending
// or the seller set the count after the sale, the add edit that takes it
// off again. It returns the offering to push, or 0.
func (s *Store) correctSale(ctx context.Context, tx Tx, storeID, receiptID int64, it store.ReceiptItem, units int, w pushWindow, created, t int64) (int64, error) {
	var done int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM push_corrections WHERE store_id = $1 AND etsy_transaction_id = $2`,
		storeID, it.EtsyTransactionID).Scan(&done); err != nil || done > 0 {
		return 0, err
	}
	cur, err := scanRow(tx.QueryRow(ctx, `SELECT `+rowCols+rowFrom+` WHERE l.store_id = $1 AND l.etsy_listing_id = $2 AND p.product_key = $3`,
		storeID, w.listingID, w.key))
	if errors.Is(s.d.MapError(err), store.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	// A set typed after the sale leaves it out of the seller's count
	// already. It is recorded as handled before any base (time 0), so no
	// set's push takes it off either. The set came after the sale when it
	// was typed once the write that overwrote the sale had answered, or
	// after the window's read in a later second than Etsy's for the sale.
	// A set typed inside the window in the sale's own second may have come
	// before it, unless Stockroom had the receipt by then: the seller
	// typed on a count that did not hold the sale, so the sale is kept
	// (taken off the set).
	var setAt int64
	if err := tx.QueryRow(ctx, `SELECT set_at FROM offerings WHERE id = $1`, cur.OfferingID).Scan(&setAt); err != nil {
		return 0, err
	}
	counted := setAt >= w.wroteAt || setAt >= max(w.readAt, created/1000*1000+1000)
	if !counted && setAt > 0 {
		// Stockroom had the receipt before the set: the sale came first,
		// whatever Etsy's seconds say.
		seen, err := s.seenBy(ctx, tx, storeID, it.EtsyTransactionID, setAt)
		if err != nil {
			return 0, err
		}
		counted = seen
	}
	handledAt := t
	if counted {
		handledAt = 0
	}
	if _, err := tx.Exec(ctx, `INSERT INTO push_corrections (store_id, etsy_transaction_id, offering_id, quantity, created_at)
		VALUES ($1, $2, $3, $4, $5)`, storeID, it.EtsyTransactionID, cur.OfferingID, units, handledAt); err != nil {
		return 0, err
	}
	if counted {
		return 0, nil
	}
	return s.takeOffSale(ctx, tx, storeID, receiptID, cur, units, t)
}

// takeOffSale takes an overwritten sale's units off the row cur. An edit
// may commit between the read of cur and this write (PostgreSQL's read
// committed does not hold the row): the write names the version read, and
// on a miss the row is read again, so the edit is never written over.
func (s *Store) takeOffSale(ctx context.Context, tx Tx, storeID, receiptID int64, cur store.InventoryRow, units int, t int64) (int64, error) {
	for {
		id, done, err := s.takeOffSaleAt(ctx, tx, storeID, receiptID, cur, units, t)
		if err != nil || done {
			return id, err
		}
		if cur, err = scanRow(tx.QueryRow(ctx, `SELECT `+rowCols+rowFrom+` WHERE o.id = $1`, cur.OfferingID)); err != nil {
			return 0, err
		}
	}
}

// takeOffSaleAt is takeOffSale while the row is at cur's version; done is
// false when it no longer is.
func (s *Store) takeOffSaleAt(ctx context.Context, tx Tx, storeID, receiptID int64, cur store.InventoryRow, units int, t int64) (int64, bool, error) {
	if cur.Pending() && cur.EditKind == store.EditSet {
		// The set, typed before the sale, subtracts the sales since its
		// base, but its push reads the receipts only when Etsy's count
		// moved off the base, and the write put back the units this sale
		// took: the base takes them in, so the count shows moved and the
		// sale is kept.
		n, err := tx.Exec(ctx, `UPDATE offerings SET base_quantity = base_quantity + $2, version = version + 1, updated_at = $3
			WHERE id = $1 AND version = $4`, cur.OfferingID, units, t, cur.Version)
		return 0, n == 1, err
	}
	after := max(cur.Shown()-units, 0)
	n, err := tx.Exec(ctx, `UPDATE offerings SET desired_quantity = $2,
			base_quantity = CASE WHEN desired_version > pushed_version THEN base_quantity ELSE quantity END,
			base_at = CASE WHEN desired_version > pushed_version THEN base_at WHEN quantity_at > 0 THEN quantity_at ELSE updated_at END,
			edit_kind = 'add', desired_version = desired_version + 1, version = version + 1,
			push_status = 'pending', push_error = '', updated_at = $3
		WHERE id = $1 AND version = $4`, cur.OfferingID, after, t, cur.Version)
	if err != nil || n == 0 {
		return 0, false, err
	}
	note := fmt.Sprintf("sold %d (receipt %d) while Stockroom was writing this listing; taken off Etsy's count again", units, receiptID)
	if _, err := tx.Exec(ctx, `INSERT INTO stock_events (store_id, offering_id, source, before_qty, after_qty, note, created_at)
		VALUES ($1, $2, 'push', $3, $4, $5, $6)`, storeID, cur.OfferingID, cur.Shown(), after, note, t); err != nil {
		return 0, false, err
	}
	return cur.OfferingID, true, nil
}
