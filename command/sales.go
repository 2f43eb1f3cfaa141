// The sales command.
package command

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/store"
)

const salesHelp = `--since takes a number of days (7d), hours (12h) or a date (2026-03-01, UTC)
or an RFC 3339 time; the default is 30d. The table shows one line per
receipt; csv has one line per item sold, with its receipt's fields, for
spreadsheets; json nests the items in their receipts.
` + csvSafetyHelp

type receiptJSON struct {
	ReceiptID int64             `json:"receipt_id"`
	CreatedAt string            `json:"created_at"`
	UpdatedAt *string           `json:"updated_at"`
	Status    string            `json:"status"`
	Buyer     string            `json:"buyer"`
	Message   string            `json:"message"`
	Paid      bool              `json:"paid"`
	Shipped   bool              `json:"shipped"`
	Total     string            `json:"total"`
	Currency  string            `json:"currency"`
	Items     []receiptItemJSON `json:"items"`
}

type receiptItemJSON struct {
	TransactionID int64  `json:"transaction_id"`
	ListingID     int64  `json:"listing_id"`
	ProductID     int64  `json:"product_id"`
	SKU           string `json:"sku"`
	Title         string `json:"title"`
	Variation     string `json:"variation"`
	Quantity      int    `json:"quantity"`
	Price         string `json:"price"`
	Currency      string `json:"currency"`
}

var salesCSVHeader = []string{"receipt_id", "created_at", "status", "buyer", "paid", "shipped", "total", "currency",
	"transaction_id", "listing_id", "sku", "title", "variation", "quantity", "price"}

// parseSince reads --since relative to now.
func parseSince(v string, now time.Time) (time.Time, error) { return parseWhen("since", v, now, false) }

// parseWhen reads the time flag --name with app.ParseWhen, naming the flag
// in its error.
func parseWhen(name, v string, now time.Time, endOfDay bool) (time.Time, error) {
	t, err := app.ParseWhen(v, now, endOfDay)
	if err != nil {
		return t, fmt.Errorf("--%s %w", name, err)
	}
	return t, nil
}

func runSales(r *runner, c *invocation) error {
	fs := c.flags(r)
	storeRef := storeFlag(fs)
	since := fs.String("since", "30d", "how far back: `7d|12h|DATE`")
	out := c.output(fs, formatTable, formatCSV, formatJSON)
	if _, err := r.parse(c, fs, 0, 0); err != nil {
		return err
	}
	from, err := parseSince(*since, time.Now())
	if err != nil {
		return usagef(c, "%v", err)
	}
	m, err := r.resolveStore(*storeRef)
	if err != nil {
		return err
	}
	receipts, err := r.app.Sales(r.ctx, r.actor, store.ReceiptListParams{StoreID: m.ID, Since: from})
	if err != nil {
		return err
	}
	items := jsonItems(receipts, func(rc store.Receipt) receiptJSON {
		return receiptJSON{ReceiptID: rc.EtsyReceiptID, CreatedAt: timestamp(rc.CreatedAt), UpdatedAt: optTime(rc.UpdatedAt),
			Status: rc.Status, Buyer: rc.BuyerName, Message: rc.Message, Paid: rc.IsPaid, Shipped: rc.IsShipped,
			Total: money(rc.Total), Currency: rc.Total.Currency, Items: jsonItems(rc.Items, func(it store.ReceiptItem) receiptItemJSON {
				return receiptItemJSON{TransactionID: it.EtsyTransactionID, ListingID: it.EtsyListingID,
					ProductID: it.EtsyProductID, SKU: it.SKU, Title: it.Title, Variation: it.Variation, Quantity: it.Quantity,
					Price: money(it.Price), Currency: it.Price.Currency}
			})}
	})
	return r.show(out, view{json: items, csvHeader: salesCSVHeader, empty: "no sales since " + shortTime(from), count: len(items),
		csv: func() [][]string { return salesCSV(items) },
		table: func(w io.Writer) error {
			t := newTable(w, []int{0, 0, 24, 0, 0, 0, 50}, "RECEIPT", "DATE", "BUYER", "STATUS", "ITEMS", "TOTAL", "WHAT")
			for i, rc := range items {
				units := 0
				var what []string
				for _, it := range rc.Items {
					units += it.Quantity
					label := it.SKU
					if label == "" {
						label = it.Title
					}
					what = append(what, fmt.Sprintf("%d× %s", it.Quantity, label))
				}
				t.row(strconv.FormatInt(rc.ReceiptID, 10), shortTime(receipts[i].CreatedAt), rc.Buyer, rc.Status,
					strconv.Itoa(units), rc.Total+" "+rc.Currency, strings.Join(what, ", "))
			}
			return t.flush()
		}})
}

// salesCSV has one record per item sold, with its receipt's fields.
func salesCSV(receipts []receiptJSON) [][]string {
	var recs [][]string
	for _, rc := range receipts {
		head := []string{strconv.FormatInt(rc.ReceiptID, 10), rc.CreatedAt, rc.Status, rc.Buyer, strconv.FormatBool(rc.Paid),
			strconv.FormatBool(rc.Shipped), rc.Total, rc.Currency}
		if len(rc.Items) == 0 {
			recs = append(recs, append(head, "", "", "", "", "", "", ""))
		}
		for _, it := range rc.Items {
			recs = append(recs, append(append([]string{}, head...), strconv.FormatInt(it.TransactionID, 10),
				strconv.FormatInt(it.ListingID, 10), it.SKU, it.Title, it.Variation, strconv.Itoa(it.Quantity), it.Price))
		}
	}
	return recs
}
