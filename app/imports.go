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

	"github.com/stockroom/stockroom/store"
)

// MaxImportRows bounds one import.
const MaxImportRows = 50000

// ImportLine is one planned change.
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
	Lines   []ImportLine
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

// PlanImport reads a CSV with the columns sku and quantity (a header row is
// required, other columns are ignored) and plans it against the store.
func (s *Service) PlanImport(ctx context.Context, a Actor, storeID int64, r io.Reader) (*ImportPlan, error) {
	if _, err := s.member(ctx, a, storeID); err != nil {
		return nil, err
	}
	rows, err := s.db.InventoryList(ctx, &store.InventoryListParams{AccountID: a.Account.ID, StoreID: storeID})
	if err != nil {
		return nil, err
	}
	return PlanImport(storeID, rows, r)
}

// PlanImport plans a CSV against rows, reporting every invalid line.
func PlanImport(storeID int64, rows []store.InventoryRow, r io.Reader) (*ImportPlan, error) {
	bySKU := map[string][]store.InventoryRow{}
	for _, row := range rows {
		if row.SKU != "" && !row.Gone {
			bySKU[row.SKU] = append(bySKU[row.SKU], row)
		}
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, &ImportError{Problems: []LineError{{Line: 1, Reason: "empty input: want a header row with sku,quantity"}}}
	}
	if err != nil {
		return nil, &ImportError{Problems: []LineError{{Line: 1, Reason: csvReason(err)}}}
	}
	skuCol, qtyCol := -1, -1
	for i, h := range header {
		switch strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))) {
		case "sku":
			skuCol = i
		case "quantity":
			qtyCol = i
		}
	}
	if skuCol < 0 || qtyCol < 0 {
		return nil, &ImportError{Problems: []LineError{{Line: 1, Reason: "the header must name the columns sku and quantity"}}}
	}
	plan := &ImportPlan{StoreID: storeID}
	var problems []LineError
	seen := map[string]int{}
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
		if len(plan.Lines)+len(problems) >= MaxImportRows {
			problems = append(problems, LineError{Line: line, Reason: fmt.Sprintf("more than %d rows", MaxImportRows)})
			break
		}
		if len(rec) <= skuCol || len(rec) <= qtyCol {
			problems = append(problems, LineError{Line: line, Reason: "missing the sku or quantity column"})
			continue
		}
		sku, qtyText := strings.TrimSpace(rec[skuCol]), strings.TrimSpace(rec[qtyCol])
		if sku == "" && qtyText == "" && len(rec) <= 2 {
			continue // a blank line
		}
		if sku == "" {
			problems = append(problems, LineError{Line: line, Reason: "empty SKU"})
			continue
		}
		if first, dup := seen[sku]; dup {
			problems = append(problems, LineError{Line: line, Reason: fmt.Sprintf("SKU %q also on line %d", sku, first)})
			continue
		}
		seen[sku] = line
		qty, err := strconv.Atoi(qtyText)
		if err != nil {
			problems = append(problems, LineError{Line: line, Reason: fmt.Sprintf("quantity %q is not a whole number", qtyText)})
			continue
		}
		if err := CheckQuantity(qty); err != nil {
			problems = append(problems, LineError{Line: line, Reason: err.Error()})
			continue
		}
		matches := bySKU[sku]
		if len(matches) == 0 {
			problems = append(problems, LineError{Line: line, Reason: fmt.Sprintf("unknown SKU %q", sku)})
			continue
		}
		il := ImportLine{Line: line, SKU: sku, Current: matches[0].Shown(), New: qty, Rows: matches}
		for _, m := range matches {
			if m.Shown() != qty {
				plan.Changes++
				listings[m.EtsyListingID] = true
			}
		}
		plan.Lines = append(plan.Lines, il)
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
			if r.Shown() != l.New {
				edits = append(edits, store.StockEditItem{OfferingID: r.OfferingID, Version: r.Version, Quantity: l.New})
			}
		}
	}
	plan.BatchID = NewBatchID("import")
	return s.SetStock(ctx, a, StockParams{StoreID: plan.StoreID, Source: store.SourceImport, Note: "csv import", Edits: edits,
		BatchID: plan.BatchID})
}
