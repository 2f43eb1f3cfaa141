// The stock commands: set, add and import.
package command

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/store"
)

// MaxImportBytes caps what stock import reads from stdin: far above any
// real shop's CSV (50,000 rows), far below what would strain the server.
const MaxImportBytes = 10 << 20

const importHelp = `Reads a CSV from stdin. The first row is a header naming the columns
quantity and sku, or quantity, listing_id and product_id; other columns are
ignored, so an inventory --format csv export imports back as it is. A line
with a listing_id and product_id changes that one row; a line with only a SKU
changes every row with that SKU. Lines that change nothing are skipped. Every
line is checked first: an unknown SKU or row, a quantity that is not a whole
number from 0 to 999, or a row given two different quantities is reported
with its line number, and then nothing at all is applied. --dry-run prints
the plan and the Etsy calls the push will cost without changing anything. A cell an export
neutralised for spreadsheets ('=...) or whose bidi controls it marked
(<U+202E>) reads as the original text; --raw takes cells as they are.`

// editableStore resolves the store and refuses viewers before any work is
// done, so they get the same answer whether or not anything would change.
func (r *runner) editableStore(ref string) (store.MemberStore, error) {
	m, err := r.resolveStore(ref)
	if err != nil {
		return m, err
	}
	if !m.Role.CanEdit() {
		return m, &app.RoleError{Role: m.Role}
	}
	return m, nil
}

// storeToEdit is editableStore, or for a dry run, which changes nothing,
// any store the actor can read.
func (r *runner) storeToEdit(ref string, dry bool) (store.MemberStore, error) {
	if dry {
		return r.resolveStore(ref)
	}
	return r.editableStore(ref)
}

func runStockSet(r *runner, c *invocation) error {
	return runStockEdit(r, c, false)
}

func runStockAdd(r *runner, c *invocation) error {
	return runStockEdit(r, c, true)
}

// staleRetries is how often stock add re-reads rows changed between its
// read and its write before giving up.
const staleRetries = 3

func runStockEdit(r *runner, c *invocation, add bool) error {
	fs := c.flags(r)
	storeRef := storeFlag(fs)
	dry := fs.Bool("dry-run", false, "print what would change and change nothing")
	pos, err := r.parse(c, fs, 2, 2)
	if err != nil {
		return err
	}
	ref := pos[0]
	n, err := strconv.Atoi(strings.TrimSpace(pos[1]))
	if err != nil {
		what := "quantity"
		if add {
			what = "delta"
		}
		return usagef(c, "the %s %q is not a whole number", what, pos[1])
	}
	if !add {
		if err := app.CheckQuantity(n); err != nil {
			return err
		}
	}
	m, err := r.storeToEdit(*storeRef, *dry)
	if err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		rows, err := r.app.Inventory(r.ctx, r.actor, m.ID)
		if err != nil {
			return err
		}
		targets, err := app.FindRows(rows, ref)
		if err != nil {
			return err
		}
		edits := make([]store.StockEditItem, len(targets))
		for i, t := range targets {
			if add {
				// The version makes the sum safe: a change made meanwhile
				// fails the edit instead of being overwritten.
				edits[i] = store.StockEditItem{OfferingID: t.OfferingID, Version: t.Version, Kind: store.EditAdd, Quantity: t.Shown() + n}
			} else {
				edits[i] = store.StockEditItem{OfferingID: t.OfferingID, Quantity: n}
			}
		}
		if *dry {
			return r.printDryEdits(targets, edits)
		}
		after, err := r.app.SetStock(r.ctx, r.actor, app.StockParams{StoreID: m.ID, Source: store.SourceCommand,
			Note: "ssh " + c.path, Edits: edits})
		var stale *store.StaleError
		if errors.As(err, &stale) && attempt < staleRetries {
			continue
		}
		if err != nil {
			return err
		}
		r.noteShared(targets, "all changed")
		return r.printEdits(m, targets, after)
	}
}

// noteShared says when one SKU named several rows: a seller who meant one
// listing should know the others moved too.
func (r *runner) noteShared(targets []store.InventoryRow, what string) {
	if len(targets) < 2 {
		return
	}
	listings := map[int64]bool{}
	for _, t := range targets {
		listings[t.EtsyListingID] = true
	}
	r.notef("%d rows in %d listings share SKU %q: %s; name one as listing_id:product_id to change only it",
		len(targets), len(listings), targets[0].SKU, what)
}

// printDryEdits shows what a stock edit would do, applying nothing.
func (r *runner) printDryEdits(targets []store.InventoryRow, edits []store.StockEditItem) error {
	t := newTable(r.env.Stdout, []int{24, 0, 30, 0, 0}, "SKU", "LISTING", "VARIATION", "BEFORE", "AFTER")
	changes := 0
	for i, row := range targets {
		if row.Shown() != edits[i].Quantity {
			changes++
		}
		t.row(row.SKU, strconv.FormatInt(row.EtsyListingID, 10), row.Variation, strconv.Itoa(row.Shown()), strconv.Itoa(edits[i].Quantity))
	}
	if err := t.flush(); err != nil {
		return err
	}
	r.noteShared(targets, "all would change")
	for _, e := range edits {
		if err := app.CheckQuantity(e.Quantity); err != nil {
			return err
		}
	}
	r.notef("dry run: %d row(s) would change; nothing applied", changes)
	return nil
}

// printEdits shows what a stock edit queued.
func (r *runner) printEdits(m store.MemberStore, before, after []store.InventoryRow) error {
	was := make(map[int64]int, len(before))
	for _, b := range before {
		was[b.OfferingID] = b.Shown()
	}
	t := newTable(r.env.Stdout, []int{24, 0, 30, 0, 0, 0}, "SKU", "LISTING", "VARIATION", "BEFORE", "AFTER", "ETSY")
	changed := 0
	for _, a := range after {
		status := "unchanged"
		if a.Shown() != was[a.OfferingID] {
			status = "queued"
			changed++
		} else if a.Pending() {
			status = "queued"
		}
		t.row(a.SKU, strconv.FormatInt(a.EtsyListingID, 10), a.Variation, strconv.Itoa(was[a.OfferingID]),
			strconv.Itoa(a.Shown()), status)
	}
	if err := t.flush(); err != nil {
		return err
	}
	if changed == 0 {
		r.notef("0 row(s) changed: already at that quantity")
		return nil
	}
	r.queued(m, fmt.Sprintf("%d row(s) changed", changed), "")
	return nil
}

// queued reports saved changes: queued for Etsy, or, when the store cannot
// reach Etsy until it is connected again, saved with a warning. The edit is
// kept rather than refused: it is what the seller wants Etsy to say, it
// goes out by itself after the reconnect, and refusing would make them type
// it all again. Exit 0, but they must not believe Etsy has it.
func (r *runner) queued(m store.MemberStore, summary, cost string) {
	switch m.Status {
	case store.StatusNeedsReauth, store.StatusDisconnected:
		r.notef("%s, saved", summary)
		why := "needs to be connected again"
		if m.Status == store.StatusDisconnected {
			why = "is disconnected"
		}
		r.errorf("warning: %s %s, so your change is saved but will not reach Etsy until you connect it: "+
			"open Stockroom (ssh without a command), go to Stores and press c", m.Name, why)
	default:
		r.notef("%s, queued for Etsy%s", summary, cost)
	}
}

func runStockImport(r *runner, c *invocation) error {
	fs := c.flags(r)
	storeRef := storeFlag(fs)
	dry := fs.Bool("dry-run", false, "print the plan and change nothing")
	raw := fs.Bool("raw", false, "take cells as they are: do not read back text an export neutralised for spreadsheets")
	if _, err := r.parse(c, fs, 0, 0); err != nil {
		return err
	}
	m, err := r.storeToEdit(*storeRef, *dry)
	if err != nil {
		return err
	}
	data, err := readCapped(r.env.Stdin, MaxImportBytes)
	if err != nil {
		return err
	}
	plan, err := r.app.PlanImport(r.ctx, r.actor, app.ImportParams{StoreID: m.ID, Input: bytes.NewReader(data), Raw: *raw})
	if err != nil {
		return err
	}
	if *dry {
		if len(plan.Lines) > 0 {
			t := newTable(r.env.Stdout, []int{0, 24, 0, 0, 0}, "LINE", "SKU", "CURRENT", "NEW", "ROWS")
			for _, l := range plan.Lines {
				t.row(strconv.Itoa(l.Line), l.SKU, strconv.Itoa(l.Current), strconv.Itoa(l.New), strconv.Itoa(len(l.Rows)))
			}
			if err := t.flush(); err != nil {
				return err
			}
		}
		r.notef("dry run: %d line(s) read, %d unchanged; %d row(s) would change, costing about %d Etsy call(s); nothing applied",
			plan.Read, plan.Read-len(plan.Lines), plan.Changes, plan.EtsyCalls)
		return nil
	}
	rows, err := r.app.ApplyImport(r.ctx, r.actor, plan)
	var stale *store.StaleError
	if errors.As(err, &stale) {
		return fmt.Errorf("SKU %q changed while importing (now %d): nothing applied, run the import again",
			stale.Current.SKU, stale.Current.Shown())
	}
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		r.notef("imported %d line(s): 0 row(s) changed, every quantity was already as given", plan.Read)
		return nil
	}
	r.queued(m, fmt.Sprintf("imported %d line(s): %d row(s) changed", plan.Read, len(rows)),
		fmt.Sprintf(" (about %d Etsy call(s))", plan.EtsyCalls))
	r.notef("batch %s: take it back with undo --batch %s", plan.BatchID, plan.BatchID)
	return nil
}

// readCapped reads all of rd, refusing more than limit bytes.
func readCapped(rd io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(rd, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading stdin: %w", err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("the input is larger than %d MiB: split it into several imports", limit>>20)
	}
	return data, nil
}
