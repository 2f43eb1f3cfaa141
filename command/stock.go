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

const importHelp = `Reads a CSV from stdin. The first row is a header naming the columns sku
and quantity; other columns are ignored, so an inventory --format csv export
imports back once rows without a SKU are removed and rows sharing a SKU
(Etsy makes them share a quantity) are kept once. Every row is checked first: an unknown SKU, a quantity that is not a
whole number from 0 to 999, or a SKU listed twice is reported with its line
number, and then nothing at all is applied. --dry-run prints the plan and the
Etsy calls the push will cost without changing anything.`

// editableStore resolves the store and refuses viewers before any work is
// done, so they get the same answer whether or not anything would change.
func (r *runner) editableStore(ref string) (store.MemberStore, error) {
	m, err := r.resolveStore(ref)
	if err != nil {
		return m, err
	}
	if !m.Role.CanEdit() {
		return m, app.ErrViewer
	}
	return m, nil
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
	m, err := r.editableStore(*storeRef)
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
		after, err := r.app.SetStock(r.ctx, r.actor, app.StockParams{StoreID: m.ID, Source: store.SourceCommand,
			Note: "ssh " + c.path, Edits: edits})
		var stale *store.StaleError
		if errors.As(err, &stale) && attempt < staleRetries {
			continue
		}
		if err != nil {
			return err
		}
		return r.printEdits(targets, after)
	}
}

// printEdits shows what a stock edit queued.
func (r *runner) printEdits(before, after []store.InventoryRow) error {
	was := make(map[int64]int, len(before))
	for _, b := range before {
		was[b.OfferingID] = b.Shown()
	}
	t := newTable(r.env.Stdout, []int{24, 0, 30, 0, 0, 0}, "SKU", "LISTING", "VARIATION", "BEFORE", "AFTER", "ETSY")
	queued := 0
	for _, a := range after {
		status := "unchanged"
		if a.Shown() != was[a.OfferingID] {
			status = "queued"
			queued++
		} else if a.Pending() {
			status = "queued"
		}
		t.row(a.SKU, strconv.FormatInt(a.EtsyListingID, 10), a.Variation, strconv.Itoa(was[a.OfferingID]),
			strconv.Itoa(a.Shown()), status)
	}
	if err := t.flush(); err != nil {
		return err
	}
	r.notef("%d row(s) changed, queued for Etsy", queued)
	return nil
}

func runStockImport(r *runner, c *invocation) error {
	fs := c.flags(r)
	storeRef := storeFlag(fs)
	dry := fs.Bool("dry-run", false, "print the plan and change nothing")
	if _, err := r.parse(c, fs, 0, 0); err != nil {
		return err
	}
	var m store.MemberStore
	var err error
	if *dry {
		m, err = r.resolveStore(*storeRef)
	} else {
		m, err = r.editableStore(*storeRef)
	}
	if err != nil {
		return err
	}
	data, err := readCapped(r.env.Stdin, MaxImportBytes)
	if err != nil {
		return err
	}
	plan, err := r.app.PlanImport(r.ctx, r.actor, m.ID, bytes.NewReader(data))
	if err != nil {
		return err
	}
	if *dry {
		t := newTable(r.env.Stdout, []int{0, 24, 0, 0, 0}, "LINE", "SKU", "CURRENT", "NEW", "ROWS")
		for _, l := range plan.Lines {
			t.row(strconv.Itoa(l.Line), l.SKU, strconv.Itoa(l.Current), strconv.Itoa(l.New), strconv.Itoa(len(l.Rows)))
		}
		if err := t.flush(); err != nil {
			return err
		}
		fmt.Fprintf(r.env.Stdout, "dry run: %d line(s), %d row(s) would change, costing about %d Etsy call(s); nothing applied\n",
			len(plan.Lines), plan.Changes, plan.EtsyCalls)
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
	fmt.Fprintf(r.env.Stdout, "imported %d line(s): %d row(s) changed, queued for Etsy (about %d Etsy call(s))\n",
		len(plan.Lines), len(rows), plan.EtsyCalls)
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
