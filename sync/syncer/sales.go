// Sales since an edit's base, read live from Etsy when a set edit finds
// Etsy's count moved: the units sold are kept, a move no sale explains
// (an edit on Etsy.com, a restored backup) gives way to the seller's
// number.
package syncer

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/stockroom/stockroom/etsy"
	"github.com/stockroom/stockroom/store"
)

// salesSince are the sales of one listing made since the oldest base of
// its moved set edits, as Etsy's receipts tell them.
type salesSince struct {
	lines []saleLine
	// handled says when a write already took a sale off Etsy's count (see
	// store.Catalogue.PushHandledSales), seen when Stockroom first had
	// its receipt (store.Catalogue.SalesSeenAt).
	handled, seen map[int64]time.Time
	// replaced says when a write of Stockroom's replaced a product id (see
	// store.Catalogue.PushReplacedProducts).
	replaced map[int64]time.Time
}

type saleLine struct {
	receiptID int64
	txID      int64
	productID int64
	sku       string
	quantity  int
	created   time.Time
}

// salesSinceBase reads the receipts created since the oldest base of the
// listing's pending set edits. It is read from Etsy, not from the synced
// receipts: a sale whose receipt the sync has not fetched yet is still a
// sale. Etsy's times are whole seconds; a sale in the base's own second
// counts as after it (see saleLine.after).
func (p *listingPush) salesSinceBase(ctx context.Context) (*salesSince, error) {
	var since time.Time
	for _, r := range p.rows {
		if r.Pending() && r.EditKind != store.EditAdd {
			at := baseAt(r)
			if since.IsZero() || at.Before(since) {
				since = at
			}
		}
	}
	out, err := p.salesFrom(ctx, since)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(out.lines))
	for i, l := range out.lines {
		ids[i] = l.txID
	}
	if out.handled, err = p.e.db.PushHandledSales(ctx, p.st.ID, ids); err != nil {
		return nil, err
	}
	if out.seen, err = p.e.db.SalesSeenAt(ctx, p.st.ID, ids); err != nil {
		return nil, err
	}
	if out.replaced, err = p.e.db.PushReplacedProducts(ctx, p.st.ID, p.listID); err != nil {
		return nil, err
	}
	return out, nil
}

// salesFrom reads the listing's receipts created since since.
func (p *listingPush) salesFrom(ctx context.Context, since time.Time) (*salesSince, error) {
	out := &salesSince{}
	for offset := 0; ; offset += pageSize {
		page, err := p.shop.GetShopReceipts(ctx, p.st.EtsyShopID, etsy.ReceiptsParams{
			MinCreated: since.Truncate(time.Second), Limit: pageSize, Offset: offset, SortOn: "created", SortOrder: "asc",
		})
		if err != nil {
			return nil, err
		}
		for _, rc := range page.Results {
			if strings.EqualFold(rc.Status, "canceled") {
				continue
			}
			for _, t := range rc.Transactions {
				if t.ListingID == nil || *t.ListingID != p.listID {
					continue
				}
				l := saleLine{receiptID: rc.ReceiptID, txID: t.TransactionID, quantity: t.Quantity, created: etsy.Time(rc.CreatedTimestamp)}
				if t.CreatedTimestamp != 0 {
					l.created = etsy.Time(t.CreatedTimestamp)
				}
				if t.ProductID != nil {
					l.productID = *t.ProductID
				}
				if t.SKU != nil {
					l.sku = *t.SKU
				}
				out.lines = append(out.lines, l)
			}
		}
		if len(page.Results) < pageSize || offset+len(page.Results) >= page.Count {
			return out, nil
		}
	}
}

// baseAt is when Etsy held the row's base quantity (rows from before
// Stockroom recorded it fall back to the row's last change).
func baseAt(r store.InventoryRow) time.Time {
	if !r.BaseAt.IsZero() {
		return r.BaseAt
	}
	return r.UpdatedAt
}

// of sums the units of the row's product sold since its base, with the
// receipts and transactions that sold them. A sale names the product by the id Etsy gave it
// then (ids change on every write), so the SKU, the id now and the id the
// row last saw all identify it; a listing of one product needs none.
//
// Etsy's whole seconds cannot tell a sale just before the base from one
// just after it in the base's own second; Stockroom's own record can. A
// sale a write took off (a set's write counted it, or its correction was
// written) no later than the base is in the base already; one it took off
// later is not. A sale no write took off whose receipt Stockroom had before
// the base's time (a receipt seen in its own millisecond may have come
// after it) was made before it, so Etsy's count at the base has it. A
// sale made under a product id that a write answered by the base (or by
// the time the set was typed: a write that left the row's count as it was
// does not move its base) replaced came before that write landed: the base has it, or the write overwrote
// it, and a set made on the count the write left is the seller's count,
// which leaves it out (its correction is skipped too: see
// store.Catalogue.SyncReceiptsWrite).
func (s *salesSince) of(r store.InventoryRow, match etsy.ProductMatch, inv etsy.ListingInventory) (sold int, receipts []int64, txs []countedSale) {
	base := baseAt(r)
	kept := &salesSince{lines: make([]saleLine, 0, len(s.lines))}
	for _, l := range s.lines {
		if at, ok := s.handled[l.txID]; ok {
			if !at.After(base) {
				continue
			}
		} else if at, ok := s.seen[l.txID]; ok && at.Before(base) {
			continue
		}
		if at, ok := s.replaced[l.productID]; ok && l.productID != 0 && (!at.After(base) || !at.After(r.SetAt)) {
			continue
		}
		kept.lines = append(kept.lines, l)
	}
	return kept.ofSince(r, match, inv, base)
}

// ofSince is of with the sales counted from since.
func (s *salesSince) ofSince(r store.InventoryRow, match etsy.ProductMatch, inv etsy.ListingInventory, from time.Time) (sold int, receipts []int64, txs []countedSale) {
	single := 0
	for _, p := range inv.Products {
		if !p.IsDeleted {
			single++
		}
	}
	var nowID int64
	for _, p := range inv.Products {
		if !p.IsDeleted && etsy.MatchFor(inv, p).Key() == match.Key() {
			nowID = p.ProductID
		}
	}
	since := from.Truncate(time.Second)
	for _, l := range s.lines {
		if l.created.Before(since) {
			continue
		}
		mine := single == 1 || (r.SKU != "" && l.sku == r.SKU) || (l.productID != 0 && (l.productID == nowID || l.productID == r.EtsyProductID))
		if !mine {
			continue
		}
		sold += l.quantity
		receipts = append(receipts, l.receiptID)
		txs = append(txs, countedSale{TxID: l.txID, Quantity: l.quantity, created: l.created})
	}
	return sold, receipts, txs
}

// setNote explains a set edit's target when Etsy's count had moved;
// sinceRead of the units sold may have been sold after the count was read.
func setNote(r store.InventoryRow, target, etsyNow, sold, sinceRead int, receipts []int64) string {
	var parts []string
	if sold > 0 {
		ids := make([]string, len(receipts))
		for i, id := range receipts {
			ids[i] = strconv.FormatInt(id, 10)
		}
		word := "receipt"
		if len(ids) > 1 {
			word = "receipts"
		}
		parts = append(parts, fmt.Sprintf("%d sold since your edit (%s %s); sales kept", sold, word, strings.Join(ids, ", ")))
	}
	// Sales made after Etsy's count was read are not in it: a rise they
	// explain is not an edit on Etsy.
	if unexplained := etsyNow - (r.BaseQuantity - sold); unexplained != 0 && (unexplained < 0 || unexplained > sinceRead) {
		parts = append(parts, fmt.Sprintf("Etsy's count had moved by %+d that no sale explains (an edit on Etsy?); your number wins", unexplained))
	}
	if target == r.DesiredQuantity {
		if len(parts) == 0 {
			return ""
		}
		return fmt.Sprintf("set to %d: %s", target, strings.Join(parts, "; "))
	}
	return fmt.Sprintf("set to %d, not %d: %s", target, r.DesiredQuantity, strings.Join(parts, "; "))
}
