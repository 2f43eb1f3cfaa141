// CSV stock imports: plan every row first, apply all or nothing.
package app

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/stockroom/stockroom/safetext"
	"github.com/stockroom/stockroom/store"
)

// MaxImportRows bounds one import.
const MaxImportRows = 50000

// ImportLine is one line that changes rows: Rows are the rows it changes.
type ImportLine struct {
	Line    int
	SKU     string
	Current int
	New     int
	Rows    []store.InventoryRow
}

// ImportPlan is what an import would do.
type ImportPlan struct {
	StoreID int64
	// Read counts the lines read; Lines holds those that change a row.
	Read  int
	Lines []ImportLine
	// Changes counts rows whose quantity moves.
	Changes int
	// EtsyCalls estimates the calls the pushes will cost: a read and a write
	// per listing with a changed row, since one write carries every changed
	// variation of a listing.
	EtsyCalls int
	// BatchID names the applied import in the activity ledger, where
	// `undo --batch` takes it back.
	BatchID string
}

// ImportError lists every invalid line; nothing was applied.
type ImportError struct {
	Problems []LineError
}

type LineError struct {
	Line   int
	Reason string
}

func (e *ImportError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d invalid row(s), nothing applied:", len(e.Problems))
	for _, p := range e.Problems {
		fmt.Fprintf(&b, "\n  line %d: %s", p.Line, p.Reason)
	}
	return b.String()
}

// ImportParams is one CSV import.
type ImportParams struct {
	StoreID int64
	Input   io.Reader
	// Raw takes cells as they are. Otherwise a cell an export neutralised
	// for spreadsheets ('=...) or whose bidi controls it marked (<U+202E>)
	// reads as the original text (safetext.CSVCellValue).
	Raw bool
}

// PlanImport reads a CSV with the columns sku and quantity (a header row is
// required, other columns are ignored) and plans it against the store.
func (s *Service) PlanImport(ctx context.Context, a Actor, p ImportParams) (*ImportPlan, error) {
	if _, err := s.member(ctx, a, p.StoreID); err != nil {
		return nil, err
	}
	rows, err := s.db.InventoryList(ctx, &store.InventoryListParams{AccountID: a.Account.ID, StoreID: p.StoreID})
	if err != nil {
		return nil, err
	}
	return PlanImport(rows, p)
}

// PlanImport plans a CSV against rows, reporting every invalid line. A line
// names its row by the listing_id and product_id columns when the CSV has
// them and they are filled in (as an inventory export has), else by SKU,
// which names every row with that SKU. Lines that change nothing are
// skipped, so an export imports back as is: rows without a SKU and SKUs
// shared by several listings included.
func PlanImport(rows []store.InventoryRow, p ImportParams) (*ImportPlan, error) {
	bySKU := map[string][]store.InventoryRow{}
	type rowKey struct{ listing, product int64 }
	byID := map[rowKey]store.InventoryRow{}
	for _, row := range rows {
		if row.Gone {
			continue
		}
		if row.SKU != "" {
			bySKU[row.SKU] = append(bySKU[row.SKU], row)
		}
		byID[rowKey{row.EtsyListingID, row.EtsyProductID}] = row
	}
	cr := csv.NewReader(p.Input)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, &ImportError{Problems: []LineError{{Line: 1, Reason: "empty input: want a header row with sku,quantity"}}}
	}
	if err != nil {
		return nil, &ImportError{Problems: []LineError{{Line: 1, Reason: csvReason(err)}}}
	}
	skuCol, qtyCol, listingCol, productCol := -1, -1, -1, -1
	for i, h := range header {
		switch strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))) {
		case "sku":
			skuCol = i
		case "quantity":
			qtyCol = i
		case "listing_id":
			listingCol = i
		case "product_id":
			productCol = i
		}
	}
	if qtyCol < 0 || (skuCol < 0 && (listingCol < 0 || productCol < 0)) {
		return nil, &ImportError{Problems: []LineError{{Line: 1,
			Reason: "the header must name the columns sku and quantity (or listing_id, product_id and quantity)"}}}
	}
	cell := func(rec []string, col int) string {
		if col < 0 || col >= len(rec) {
			return ""
		}
		return rec[col]
	}
	plan := &ImportPlan{StoreID: p.StoreID}
	var problems []LineError
	type claim struct{ line, qty int }
	claimed := map[int64]claim{} // offering → the line that set it
	listings := map[int64]bool{} // listings with a changed row
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			problems = append(problems, LineError{Line: line, Reason: csvReason(err)})
			continue
		}
		line, _ := cr.FieldPos(0)
		if plan.Read+len(problems) >= MaxImportRows {
			problems = append(problems, LineError{Line: line, Reason: fmt.Sprintf("more than %d rows", MaxImportRows)})
			break
		}
		if len(rec) <= qtyCol {
			problems = append(problems, LineError{Line: line, Reason: "missing the quantity column"})
			continue
		}
		sku := cell(rec, skuCol)
		if !p.Raw {
			sku = safetext.CSVCellValue(sku)
		}
		sku = strings.TrimSpace(sku)
		qtyText := strings.TrimSpace(rec[qtyCol])
		listingText, productText := strings.TrimSpace(cell(rec, listingCol)), strings.TrimSpace(cell(rec, productCol))
		if sku == "" && qtyText == "" && listingText == "" && len(rec) <= 2 {
			continue // a blank line
		}
		plan.Read++
		var matches []store.InventoryRow
		var what string
		switch {
		case listingText != "" || productText != "":
			lid, lerr := strconv.ParseInt(listingText, 10, 64)
			pid, perr := strconv.ParseInt(productText, 10, 64)
			if lerr != nil || perr != nil {
				problems = append(problems, LineError{Line: line,
					Reason: fmt.Sprintf("listing_id %q and product_id %q must both be numbers", listingText, productText)})
				continue
			}
			row, ok := byID[rowKey{lid, pid}]
			if !ok {
				problems = append(problems, LineError{Line: line, Reason: fmt.Sprintf("no row with listing_id %d and product_id %d", lid, pid)})
				continue
			}
			matches, what = []store.InventoryRow{row}, fmt.Sprintf("listing %d product %d", lid, pid)
		case sku == "":
			problems = append(problems, LineError{Line: line, Reason: "empty SKU (and no listing_id and product_id)"})
			continue
		default:
			matches, what = bySKU[sku], fmt.Sprintf("SKU %q", sku)
			if len(matches) == 0 {
				problems = append(problems, LineError{Line: line, Reason: fmt.Sprintf("unknown SKU %q", sku)})
				continue
			}
		}
		qty, err := strconv.Atoi(qtyText)
		if err != nil {
			problems = append(problems, LineError{Line: line, Reason: fmt.Sprintf("quantity %q is not a whole number", qtyText)})
			continue
		}
		conflict := false
		for _, m := range matches {
			if c, dup := claimed[m.OfferingID]; dup && c.qty != qty {
				problems = append(problems, LineError{Line: line,
					Reason: fmt.Sprintf("%s also on line %d, with quantity %d", what, c.line, c.qty)})
				conflict = true
				break
			}
		}
		if conflict {
			continue
		}
		var changed []store.InventoryRow
		for _, m := range matches {
			if _, dup := claimed[m.OfferingID]; dup {
				continue
			}
			claimed[m.OfferingID] = claim{line: line, qty: qty}
			if m.Shown() != qty {
				changed = append(changed, m)
			}
		}
		if len(changed) == 0 {
			// Unchanged rows are skipped, even out of range: Etsy said so.
			continue
		}
		if err := CheckQuantity(qty); err != nil {
			problems = append(problems, LineError{Line: line, Reason: err.Error()})
			continue
		}
		for _, m := range changed {
			listings[m.EtsyListingID] = true
		}
		plan.Changes += len(changed)
		plan.Lines = append(plan.Lines, ImportLine{Line: line, SKU: matches[0].SKU, Current: changed[0].Shown(), New: qty, Rows: changed})
	}
	if len(problems) > 0 {
		return nil, &ImportError{Problems: problems}
	}
	plan.EtsyCalls = 2 * len(listings)
	return plan, nil
}

func csvReason(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return "malformed CSV: " + pe.Err.Error()
	}
	return "malformed CSV: " + err.Error()
}

// ApplyImport applies a plan in one transaction. Rows changed since the
// plan was made fail the whole import with *store.StaleError.
func (s *Service) ApplyImport(ctx context.Context, a Actor, plan *ImportPlan) ([]store.InventoryRow, error) {
	var edits []store.StockEditItem
	for _, l := range plan.Lines {
		for _, r := range l.Rows {
			edits = append(edits, store.StockEditItem{OfferingID: r.OfferingID, Version: r.Version, Quantity: l.New})
		}
	}
	plan.BatchID = NewBatchID("import")
	return s.SetStock(ctx, a, StockParams{StoreID: plan.StoreID, Source: store.SourceImport, Note: "csv import", Edits: edits,
		BatchID: plan.BatchID})
}
