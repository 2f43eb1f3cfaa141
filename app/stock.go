// Inventory and stock edits.
package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/store"
)

// Inventory returns every row (listing × variation) of one of the actor's
// stores.
func (s *Service) Inventory(ctx context.Context, a Actor, storeID int64) ([]store.InventoryRow, error) {
	if _, err := s.member(ctx, a, storeID); err != nil {
		return nil, err
	}
	return s.db.InventoryList(ctx, &store.InventoryListParams{AccountID: a.Account.ID, StoreID: storeID})
}

// Row returns one inventory row of the actor's stores.
func (s *Service) Row(ctx context.Context, a Actor, offeringID int64) (store.InventoryRow, error) {
	if _, err := s.active(ctx, a); err != nil {
		return store.InventoryRow{}, err
	}
	return s.db.InventoryGet(ctx, a.Account.ID, offeringID)
}

// StockParams is one edit of one or more rows, applied all or nothing.
type StockParams struct {
	StoreID int64
	Source  store.Source
	Note    string
	Edits   []store.StockEditItem

	// BatchID groups the rows in the activity ledger (an import, a batch
	// undo) so they can be undone together.
	BatchID string
}

// CheckQuantity refuses what Etsy would refuse.
func CheckQuantity(q int) error {
	if q < 0 || q > 999 {
		return &QuantityError{Quantity: q}
	}
	return nil
}

// SetStock records the quantities a seller wants and queues their push to
// Etsy in the same transaction. A row changed since the editor saw it
// (Version) fails with *store.StaleError and nothing is written.
func (s *Service) SetStock(ctx context.Context, a Actor, p StockParams) ([]store.InventoryRow, error) {
	if len(p.Edits) == 0 {
		return nil, nil
	}
	for _, e := range p.Edits {
		if err := CheckQuantity(e.Quantity); err != nil {
			return nil, err
		}
	}
	m, err := s.editor(ctx, a, p.StoreID)
	if err != nil {
		return nil, err
	}
	if m.Status == store.StatusDisconnected {
		return nil, ErrDisconnected
	}
	var fired store.AlertEvaluateResult
	rows, err := s.db.StockEdit(ctx, &store.StockEditParams{
		AccountID: a.Account.ID, StoreID: p.StoreID, Source: p.Source, Note: p.Note, Edits: p.Edits, Now: s.now(),
		Fingerprint: a.Fingerprint, BatchID: p.BatchID,
		// The push jobs and the alerts commit with the edit: an edit that
		// is saved is always pushed, and alerted on once. An import's
		// pushes wait behind a seller's single edits.
		OnCommit: func(ctx context.Context, tx store.Tx, rows []store.InventoryRow) error {
			ids := make([]int64, 0, len(rows))
			var pending []int64
			for _, r := range rows {
				ids = append(ids, r.OfferingID)
				if r.Pending() {
					pending = append(pending, r.OfferingID)
				}
			}
			// One job waits per listing at most: its push writes every
			// pending edit of the listing.
			need, err := s.db.PushQueueClaim(ctx, tx, pending)
			if err != nil {
				return err
			}
			for _, id := range need {
				if err := s.jobs.EnqueuePushTx(ctx, tx, p.StoreID, id, p.Source == store.SourceImport); err != nil {
					return err
				}
			}
			if s.alerts == nil {
				return nil
			}
			fired, err = s.alerts.EvaluateTx(ctx, tx, p.StoreID, ids)
			return err
		},
	})
	if errors.Is(err, store.ErrForbidden) {
		// The role changed between the check and the write.
		return nil, &RoleError{Role: store.RoleViewer}
	}
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.OfferingID
	}
	s.hub.Publish(hub.Event{Kind: hub.StockChanged, StoreID: p.StoreID, OfferingIDs: ids, AccountID: a.Account.ID})
	if s.alerts != nil {
		s.alerts.Announce(p.StoreID, fired)
	}
	s.logStockEdits(ctx, a, p, rows)
	return rows, nil
}

// FindRows resolves what a command names: a SKU (every row with it), a
// listing id (its only row), or listing_id:product where product is a
// product_id, a SKU, a variation text or a 1-based position in Etsy's
// order of the listing's variations.
func FindRows(rows []store.InventoryRow, ref string) ([]store.InventoryRow, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return nil, errors.New("name a SKU or a listing id")
	}
	listingPart, productPart, hasProduct := strings.Cut(ref, ":")
	if id, err := strconv.ParseInt(listingPart, 10, 64); err == nil {
		var inListing []store.InventoryRow
		for _, r := range rows {
			if r.EtsyListingID == id && !r.Gone {
				inListing = append(inListing, r)
			}
		}
		// Etsy's order: the order of the listing's products, which is the
		// order they were first stored in, as the TUI shows them.
		slices.SortFunc(inListing, func(a, b store.InventoryRow) int { return cmp.Compare(a.OfferingID, b.OfferingID) })
		if len(inListing) > 0 {
			if !hasProduct {
				if len(inListing) == 1 {
					return inListing, nil
				}
				return nil, fmt.Errorf("listing %d has %d variations: name one as %d:<product_id|sku|variation|n>", id, len(inListing), id)
			}
			if pid, err := strconv.ParseInt(productPart, 10, 64); err == nil {
				// A product_id, as an export prints it, before a position:
				// Etsy's ids are far larger than any listing's count.
				for _, r := range inListing {
					if r.EtsyProductID == pid {
						return []store.InventoryRow{r}, nil
					}
				}
				if pid >= 1 && pid <= int64(len(inListing)) {
					return inListing[pid-1 : pid], nil
				}
			}
			for _, r := range inListing {
				if r.SKU == productPart || strings.EqualFold(r.Variation, productPart) {
					return []store.InventoryRow{r}, nil
				}
			}
			return nil, fmt.Errorf("listing %d has no variation %q", id, productPart)
		}
	}
	var bySKU []store.InventoryRow
	for _, r := range rows {
		if r.SKU == ref && !r.Gone {
			bySKU = append(bySKU, r)
		}
	}
	if len(bySKU) == 0 {
		return nil, fmt.Errorf("unknown SKU or listing %q", ref)
	}
	return bySKU, nil
}

// History lists the audit trail of a store or of one row.
func (s *Service) History(ctx context.Context, a Actor, storeID, offeringID int64, limit int) ([]store.StockEvent, error) {
	if _, err := s.member(ctx, a, storeID); err != nil {
		return nil, err
	}
	return s.db.StockEventList(ctx, &store.StockEventListParams{AccountID: a.Account.ID, StoreID: storeID, OfferingID: offeringID, Limit: limit})
}

// SetThreshold overrides the low-stock threshold of a listing or one row
// (nil clears it).
func (s *Service) SetThreshold(ctx context.Context, a Actor, p store.ThresholdSetParams) error {
	if _, err := s.editor(ctx, a, p.StoreID); err != nil {
		return err
	}
	if p.Threshold != nil {
		if err := CheckQuantity(*p.Threshold); err != nil {
			return err
		}
	}
	p.AccountID = a.Account.ID
	ev := s.thresholdEvent(ctx, a, p)
	if err := s.db.ThresholdSet(ctx, &p); err != nil {
		return err
	}
	s.Record(ctx, a, ev)
	var ids []int64 // nil: every row of the store (a listing-wide change)
	if p.OfferingID != 0 {
		ids = []int64{p.OfferingID}
	}
	s.hub.Publish(hub.Event{Kind: hub.StockChanged, StoreID: p.StoreID, OfferingIDs: ids})
	if s.alerts != nil {
		if _, err := s.alerts.Evaluate(ctx, p.StoreID, ids); err != nil {
			return err
		}
	}
	return nil
}
