// The report command: how the shop is doing and what to restock.
package command

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/store"
)

const reportHelp = `Without --store the report adds up all your stores. Sales are units and
revenue today (UTC), over the last 7 and 30 days, from Etsy receipts less
cancelled and fully refunded ones. --days is the period velocity is
counted over (default 30; a listing younger than it is counted over its
age). Days of cover is stock ÷ velocity; restock is what brings the stock
to the store's target cover (default 30 days; owners set it with
store cover DAYS).

The table shows the figures, the top sellers and the rows that sell,
"runs out first". json holds everything (days_of_cover is null for a row
that does not sell); csv has one line per variation, runs out first, for
spreadsheets.
` + csvSafetyHelp

type reportJSON struct {
	GeneratedAt string            `json:"generated_at"`
	Days        int               `json:"days"`
	Stores      []reportStoreJSON `json:"stores"`
	Today       salesTotalJSON    `json:"today"`
	Last7Days   salesTotalJSON    `json:"last_7_days"`
	Last30Days  salesTotalJSON    `json:"last_30_days"`
	Daily       []salesDayJSON    `json:"daily"`
	LowCount    int               `json:"low_count"`
	OutCount    int               `json:"out_count"`
	Pending     int               `json:"pending_pushes"`
	TopSellers  []coverJSON       `json:"top_sellers"`
	Cover       []coverJSON       `json:"cover"`
}

type reportStoreJSON struct {
	ID              int64   `json:"id"`
	Name            string  `json:"name"`
	Currency        string  `json:"currency"`
	TargetCoverDays int     `json:"target_cover_days"`
	LastSyncAt      *string `json:"last_sync_at"`
	LastError       string  `json:"last_error"`
}

type salesTotalJSON struct {
	Units    int    `json:"units"`
	Revenue  string `json:"revenue"`
	Currency string `json:"currency"`
}

type salesDayJSON struct {
	Date    string `json:"date"`
	Units   int    `json:"units"`
	Revenue string `json:"revenue"`
}

type coverJSON struct {
	StoreID     int64    `json:"store_id"`
	ListingID   int64    `json:"listing_id"`
	ProductID   int64    `json:"product_id"`
	SKU         string   `json:"sku"`
	Title       string   `json:"title"`
	Variation   string   `json:"variation"`
	Stock       int      `json:"stock"`
	UnitsSold   int      `json:"units_sold"`
	Revenue     string   `json:"revenue"`
	Currency    string   `json:"currency"`
	PerDay      float64  `json:"velocity_per_day"`
	DaysOfCover *float64 `json:"days_of_cover"`
	Restock     int      `json:"restock"`
}

var reportCSVHeader = []string{"store_id", "listing_id", "product_id", "sku", "title", "variation", "stock", "units_sold",
	"revenue", "currency", "velocity_per_day", "days_of_cover", "restock"}

// reportTop is how many top sellers the report names.
const reportTop = 10

func runReport(r *runner, c *invocation) error {
	fs := c.flags(r)
	storeRef := fs.String("store", "", "the store `S`: its id, Etsy shop id or name (default: all your stores)")
	days := fs.Int("days", app.DefaultCoverDays, "count velocity over the last `N` days (1 to 365)")
	limit := fs.Int("limit", 20, "table: show the first `N` rows that run out (json and csv have them all)")
	out := c.output(fs, formatTable, formatCSV, formatJSON)
	if _, err := r.parse(c, fs, 0, 0); err != nil {
		return err
	}
	if *days < 1 || *days > app.MaxCoverDays {
		return usagef(c, "--days %d: want 1 to %d", *days, app.MaxCoverDays)
	}
	var storeID int64
	if strings.TrimSpace(*storeRef) != "" {
		m, err := r.resolveStore(*storeRef)
		if err != nil {
			return err
		}
		storeID = m.ID
	}
	d, err := r.app.Dashboard(r.ctx, r.actor, app.DashboardParams{StoreID: storeID, Days: *days})
	if err != nil {
		return err
	}
	rep := reportOf(&d)
	if out.format == formatJSON {
		return writeReportJSON(r.env.Stdout, rep, d.Cover)
	}
	return r.show(out, view{csvHeader: reportCSVHeader,
		csv: func() [][]string {
			recs := make([][]string, len(d.Cover))
			for i, c := range d.Cover {
				x := coverItem(c)
				recs[i] = []string{strconv.FormatInt(x.StoreID, 10), strconv.FormatInt(x.ListingID, 10),
					strconv.FormatInt(x.ProductID, 10), x.SKU, x.Title, x.Variation, strconv.Itoa(x.Stock), strconv.Itoa(x.UnitsSold),
					x.Revenue, x.Currency, strconv.FormatFloat(x.PerDay, 'f', -1, 64), coverDays(x.DaysOfCover), strconv.Itoa(x.Restock)}
			}
			return recs
		},
		table: func(w io.Writer) error { return reportTable(w, &d, rep, *limit) }})
}

// reportOf turns a dashboard into the report's JSON shape, all but the
// cover of every variation (writeReportJSON streams it).
func reportOf(d *app.Dashboard) reportJSON {
	rep := reportJSON{GeneratedAt: timestamp(d.Now), Days: d.Days, Today: salesTotal(d.Today), Last7Days: salesTotal(d.Week),
		Last30Days: salesTotal(d.Month), LowCount: d.Low, OutCount: d.Out, Pending: d.Pending,
		Stores: make([]reportStoreJSON, len(d.Stores)), Daily: make([]salesDayJSON, len(d.Daily)),
		TopSellers: []coverJSON{}, Cover: []coverJSON{}}
	for i, m := range d.Stores {
		rep.Stores[i] = reportStoreJSON{ID: m.ID, Name: m.Name, Currency: m.Currency, TargetCoverDays: m.TargetCoverDays,
			LastSyncAt: optTime(m.LastSyncAt), LastError: m.LastError}
	}
	for i, x := range d.Daily {
		rep.Daily[i] = salesDayJSON{Date: x.Day.Format("2006-01-02"), Units: x.Units,
			Revenue: money(store.Money{Amount: x.Revenue, Divisor: 100})}
	}
	for _, x := range d.TopSellers(reportTop) {
		rep.TopSellers = append(rep.TopSellers, coverItem(x))
	}
	return rep
}

// writeReportJSON writes the report as writeJSON would, the cover of
// every variation encoded one at a time into a buffered writer: 50,000
// variations never become one 15 MB document in memory.
func writeReportJSON(w io.Writer, rep reportJSON, cover []app.Cover) error {
	return writeReportChunks(w, rep, cover, coverChunk)
}

// writeReportChunks is writeReportJSON encoding chunk covers at a time.
func writeReportChunks(w io.Writer, rep reportJSON, cover []app.Cover, chunk int) error {
	head, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	// Cover is the last field, marshalled empty: the array goes there.
	const tail = "[]\n}"
	if !bytes.HasSuffix(head, []byte(tail)) {
		return fmt.Errorf("report: unexpected JSON layout")
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.Write(escapeJSON(head[:len(head)-len(tail)]))
	if len(cover) == 0 {
		bw.WriteString("[]\n}\n")
		return bw.Flush()
	}
	bw.WriteString("[")
	writeCovers(bw, cover, chunk)
	bw.WriteString("\n  ]\n}\n")
	return bw.Flush()
}

// coverChunk is how many covers writeCovers encodes at a time, some
// 300 KB.
const coverChunk = 1024

// writeCovers writes the covers as the report's array has them, comma
// separated, chunk at a time: a second goroutine encodes every other
// chunk while this one encodes and writes the rest, in order. Encoding
// is the better part of a report after the reads, and a server has the
// cores; at most a few chunks are in memory at once.
func writeCovers(w io.Writer, cover []app.Cover, chunk int) {
	n := (len(cover) + chunk - 1) / chunk
	part := func(i int) []app.Cover { return cover[i*chunk : min((i+1)*chunk, len(cover))] }
	odd := make(chan []byte, 1)
	free := make(chan []byte, 2) // the odd chunks' buffers, back from the writer
	free <- nil
	free <- nil
	go func() {
		for i := 1; i < n; i += 2 {
			odd <- appendCovers(<-free, part(i), false)
		}
	}()
	var own []byte
	for i := range n {
		if i%2 == 0 {
			own = appendCovers(own[:0], part(i), i == 0)
			w.Write(own)
			continue
		}
		b := <-odd // every odd chunk is received: the goroutine never waits on a writer gone
		w.Write(b)
		free <- b[:0]
	}
}

// appendCovers appends the covers, each after a comma but the very
// first of the report's.
func appendCovers(b []byte, cover []app.Cover, first bool) []byte {
	for i, c := range cover {
		if i > 0 || !first {
			b = append(b, ',')
		}
		start := len(b)
		var ascii bool
		if b, ascii = appendCoverJSON(b, c); !ascii {
			// escapeJSON returns its argument or a new slice: either is
			// copied over the cover as it was.
			b = append(b[:start], escapeJSON(b[start:])...)
		}
	}
	return b
}

// appendCoverJSON appends one cover item as coverItem has it, indented
// as MarshalIndent puts it inside the report, without reflection or a
// coverJSON in between (50,000 of them per report). ascii tells that it
// appended plain ASCII alone: escapeJSON has nothing to do.
func appendCoverJSON(b []byte, c app.Cover) (_ []byte, ascii bool) {
	r := c.Row
	ascii = true
	b = append(b, "\n    {\n      \"store_id\": "...)
	b = strconv.AppendInt(b, r.StoreID, 10)
	b = append(b, ",\n      \"listing_id\": "...)
	b = strconv.AppendInt(b, r.EtsyListingID, 10)
	b = append(b, ",\n      \"product_id\": "...)
	b = strconv.AppendInt(b, r.EtsyProductID, 10)
	b = append(b, ",\n      \"sku\": "...)
	b = appendJSONString(b, r.SKU, &ascii)
	b = append(b, ",\n      \"title\": "...)
	b = appendJSONString(b, r.Title, &ascii)
	b = append(b, ",\n      \"variation\": "...)
	b = appendJSONString(b, r.Variation, &ascii)
	b = append(b, ",\n      \"stock\": "...)
	b = strconv.AppendInt(b, int64(r.Shown()), 10)
	b = append(b, ",\n      \"units_sold\": "...)
	b = strconv.AppendInt(b, int64(c.Units), 10)
	b = append(b, ",\n      \"revenue\": \""...)
	b = appendMoney(b, store.Money{Amount: c.Revenue, Divisor: 100}) // digits, '.' and '-': nothing to quote
	b = append(b, "\",\n      \"currency\": "...)
	b = appendJSONString(b, r.Price.Currency, &ascii)
	b = append(b, ",\n      \"velocity_per_day\": "...)
	b = appendJSONFloat(b, math.Round(c.Velocity*1000)/1000)
	b = append(b, ",\n      \"days_of_cover\": "...)
	if math.IsInf(c.Days, 1) {
		b = append(b, "null"...)
	} else {
		b = appendJSONFloat(b, math.Round(c.Days*10)/10)
	}
	b = append(b, ",\n      \"restock\": "...)
	b = strconv.AppendInt(b, int64(c.Restock), 10)
	return append(b, "\n    }"...), ascii
}

// jsonPlain are the bytes encoding/json writes as they are in a string:
// printable ASCII but the quote, the backslash and HTML's <, > and &.
var jsonPlain = func() (t [utf8.RuneSelf]bool) {
	for c := byte(0x20); c < 0x7f; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// appendJSONString appends s quoted as encoding/json quotes it: plain
// ASCII and valid UTF-8 other than U+2028 and U+2029 as they are, any
// other string through encoding/json itself. It clears *ascii when s has
// a byte outside ASCII.
func appendJSONString(b []byte, s string, ascii *bool) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if !jsonPlain[c] {
				return appendMarshalled(b, s, ascii)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
			return appendMarshalled(b, s, ascii)
		}
		*ascii = false
		i += size
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

func appendMarshalled(b []byte, s string, ascii *bool) []byte {
	q, _ := json.Marshal(s) // a string always marshals
	for _, c := range q {
		if c >= utf8.RuneSelf {
			*ascii = false
			break
		}
	}
	return append(b, q...)
}

// appendJSONFloat appends f as encoding/json writes a float64.
func appendJSONFloat(b []byte, f float64) []byte {
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) || math.IsNaN(f) || math.IsInf(f, 0) {
		q, err := json.Marshal(f)
		if err != nil {
			return append(b, "null"...)
		}
		return append(b, q...)
	}
	return strconv.AppendFloat(b, f, 'f', -1, 64)
}

func salesTotal(t app.SalesTotal) salesTotalJSON {
	return salesTotalJSON{Units: t.Units, Revenue: money(store.Money{Amount: t.Revenue, Divisor: 100}), Currency: t.Currency}
}

func coverItem(c app.Cover) coverJSON {
	x := coverJSON{StoreID: c.Row.StoreID, ListingID: c.Row.EtsyListingID, ProductID: c.Row.EtsyProductID, SKU: c.Row.SKU,
		Title: c.Row.Title, Variation: c.Row.Variation, Stock: c.Row.Shown(), UnitsSold: c.Units,
		Revenue: money(store.Money{Amount: c.Revenue, Divisor: 100}), Currency: c.Row.Price.Currency,
		PerDay: math.Round(c.Velocity*1000) / 1000, Restock: c.Restock}
	if !math.IsInf(c.Days, 1) {
		v := math.Round(c.Days*10) / 10
		x.DaysOfCover = &v
	}
	return x
}

// coverDays is days of cover as text; empty for a row that does not sell.
func coverDays(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', 1, 64)
}

func reportTable(w io.Writer, d *app.Dashboard, rep reportJSON, limit int) error {
	names := make([]string, len(d.Stores))
	for i, m := range d.Stores {
		names[i] = m.Name
	}
	if _, err := fmt.Fprintf(w, "%s · velocity over %d days · %s\n\n", cleanName(strings.Join(names, ", ")), d.Days, shortTime(d.Now)); err != nil {
		return err
	}
	t := newTable(w, nil, "SALES", "UNITS", "REVENUE")
	for _, p := range []struct {
		name string
		v    salesTotalJSON
	}{{"today", rep.Today}, {"7 days", rep.Last7Days}, {"30 days", rep.Last30Days}} {
		t.row(p.name, strconv.Itoa(p.v.Units), strings.TrimSpace(p.v.Revenue+" "+p.v.Currency))
	}
	if err := t.flush(); err != nil {
		return err
	}
	if _, err := fmt.Fprintf(w, "\nlow %d · out of stock %d · pending pushes %d\n", d.Low, d.Out, d.Pending); err != nil {
		return err
	}
	if len(rep.TopSellers) > 0 {
		if _, err := fmt.Fprintln(w, "\nTop sellers"); err != nil {
			return err
		}
		t := newTable(w, []int{24, 40, 30, 0, 0}, "SKU", "TITLE", "VARIATION", "SOLD", "REVENUE")
		for _, x := range rep.TopSellers {
			t.row(x.SKU, x.Title, x.Variation, strconv.Itoa(x.UnitsSold), x.Revenue)
		}
		if err := t.flush(); err != nil {
			return err
		}
	}
	first := d.RunsOutFirst(max(limit, 0))
	if len(first) == 0 {
		_, err := fmt.Fprintf(w, "\nNothing sold in the last %d days.\n", d.Days)
		return err
	}
	if _, err := fmt.Fprintln(w, "\nRuns out first"); err != nil {
		return err
	}
	t = newTable(w, []int{24, 40, 30, 0, 0, 0, 0, 0}, "SKU", "TITLE", "VARIATION", "STOCK", "SOLD", "PER DAY", "COVER", "RESTOCK")
	for _, c := range first {
		x := coverItem(c)
		t.row(x.SKU, x.Title, x.Variation, strconv.Itoa(x.Stock), strconv.Itoa(x.UnitsSold),
			strconv.FormatFloat(x.PerDay, 'f', 2, 64), coverDays(x.DaysOfCover)+"d", strconv.Itoa(x.Restock))
	}
	return t.flush()
}

// runStoreCover sets the store's target cover: how many days of sales a
// restock suggestion aims to hold.
func runStoreCover(r *runner, c *invocation) error {
	return r.storeCommand(c, 1, 1, func(m store.MemberStore, pos []string) error {
		days, err := strconv.Atoi(pos[0])
		if err != nil || days < 1 || days > app.MaxCoverDays {
			return usagef(c, "%q: want a number of days from 1 to %d", pos[0], app.MaxCoverDays)
		}
		st, err := r.app.UpdateStoreSettings(r.ctx, r.actor, app.StoreSettings{StoreID: m.ID, TargetCoverDays: &days})
		if err != nil {
			return err
		}
		fmt.Fprintf(r.env.Stdout, "%s: restock suggestions now aim for %d days of stock\n", cleanName(st.Name), st.TargetCoverDays)
		return nil
	})
}
