// The inventory command.
package command

import (
	"io"
	"strconv"
	"strings"

	"github.com/stockroom/stockroom/store"
)

const inventoryHelp = `One line per listing × variation. QUANTITY is what you see in the TUI:
your edit while it waits for Etsy, else Etsy's count. --low keeps rows at or
below their low-stock threshold; --filter keeps rows whose SKU, title,
variation or listing id contains TEXT. The csv format starts with the
columns sku,quantity, so an edited export can be fed to stock import.
` + csvSafetyHelp

// csvSafetyHelp explains what CSV output does to text for spreadsheets.
const csvSafetyHelp = `CSV cells that start with =, +, -, @, a tab or a carriage return (and are
not numbers) get a leading ' so a spreadsheet shows them instead of running
them as formulas; bidi controls show as <U+202E>. stock import reads both
back to the original text. --raw gives the exact text instead.`

// inventoryJSON is one row as commands print it. The field names are part
// of the command's contract: scripts read them.
type inventoryJSON struct {
	SKU          string  `json:"sku"`
	Quantity     int     `json:"quantity"`
	EtsyQuantity int     `json:"etsy_quantity"`
	Pending      bool    `json:"pending"`
	PushStatus   string  `json:"push_status"`
	PushError    string  `json:"push_error"`
	ListingID    int64   `json:"listing_id"`
	ProductID    int64   `json:"product_id"`
	Title        string  `json:"title"`
	Variation    string  `json:"variation"`
	State        string  `json:"state"`
	Price        string  `json:"price"`
	Currency     string  `json:"currency"`
	Threshold    int     `json:"low_stock_threshold"`
	Low          bool    `json:"low"`
	URL          string  `json:"url"`
	UpdatedAt    *string `json:"updated_at"`
}

var inventoryCSVHeader = []string{"sku", "quantity", "etsy_quantity", "pending", "push_status", "push_error",
	"listing_id", "product_id", "title", "variation", "state", "price", "currency", "low_stock_threshold", "low", "url", "updated_at"}

func inventoryItem(r store.InventoryRow) inventoryJSON {
	return inventoryJSON{SKU: r.SKU, Quantity: r.Shown(), EtsyQuantity: r.Quantity, Pending: r.Pending(),
		PushStatus: pushStatus(r), PushError: r.PushError, ListingID: r.EtsyListingID, ProductID: r.EtsyProductID,
		Title: r.Title, Variation: r.Variation, State: r.ListingState, Price: money(r.Price), Currency: r.Price.Currency,
		Threshold: r.Threshold, Low: r.Low(), URL: r.URL, UpdatedAt: optTime(r.UpdatedAt)}
}

// pushStatus names where the row's latest edit stands, "synced" when there
// is none to push.
func pushStatus(r store.InventoryRow) string {
	switch {
	case r.Pending() && r.PushStatus == store.PushFailed:
		return string(store.PushFailed)
	case r.Pending():
		return string(store.PushPending)
	case r.PushStatus == store.PushNone:
		return "synced"
	}
	return string(r.PushStatus)
}

func runInventory(r *runner, c *invocation) error {
	fs := c.flags(r)
	storeRef := storeFlag(fs)
	out := c.output(fs, formatTable, formatCSV, formatJSON)
	low := fs.Bool("low", false, "only rows at or below their low-stock threshold")
	filter := fs.String("filter", "", "only rows whose SKU, title, variation or listing id contains `TEXT`")
	if _, err := r.parse(c, fs, 0, 0); err != nil {
		return err
	}
	m, err := r.resolveStore(*storeRef)
	if err != nil {
		return err
	}
	rows, err := r.app.Inventory(r.ctx, r.actor, m.ID)
	if err != nil {
		return err
	}
	needle := strings.ToLower(strings.TrimSpace(*filter))
	items := make([]inventoryJSON, 0, len(rows))
	for _, row := range rows {
		// Rows gone from Etsy cannot be edited or pushed; the TUI hides
		// them too.
		if row.Gone || (*low && !row.Low()) {
			continue
		}
		if needle != "" && !strings.Contains(strings.ToLower(row.SKU), needle) &&
			!strings.Contains(strings.ToLower(row.Title), needle) &&
			!strings.Contains(strings.ToLower(row.Variation), needle) &&
			!strings.Contains(strconv.FormatInt(row.EtsyListingID, 10), needle) {
			continue
		}
		items = append(items, inventoryItem(row))
	}
	return r.show(out, view{json: items, csvHeader: inventoryCSVHeader, empty: "no rows match", count: len(items),
		csv: func() [][]string {
			recs := make([][]string, len(items))
			for i, it := range items {
				updated := ""
				if it.UpdatedAt != nil {
					updated = *it.UpdatedAt
				}
				recs[i] = []string{it.SKU, strconv.Itoa(it.Quantity), strconv.Itoa(it.EtsyQuantity), strconv.FormatBool(it.Pending),
					it.PushStatus, it.PushError, strconv.FormatInt(it.ListingID, 10), strconv.FormatInt(it.ProductID, 10),
					it.Title, it.Variation, it.State, it.Price, it.Currency, strconv.Itoa(it.Threshold), strconv.FormatBool(it.Low),
					it.URL, updated}
			}
			return recs
		},
		table: func(w io.Writer) error {
			t := newTable(w, []int{24, 0, 0, 0, 12, 40, 30}, "SKU", "QTY", "ETSY", "LISTING", "STATUS", "TITLE", "VARIATION")
			for _, it := range items {
				status := it.PushStatus
				if it.Low {
					status += " low"
				}
				t.row(it.SKU, strconv.Itoa(it.Quantity), strconv.Itoa(it.EtsyQuantity), strconv.FormatInt(it.ListingID, 10),
					status, it.Title, it.Variation)
			}
			return t.flush()
		}})
}
