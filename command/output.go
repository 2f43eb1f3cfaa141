// Output formats shared by the commands: aligned, sanitised tables for
// people; CSV and JSON, with the exact text, for programs.
package command

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/stockroom/stockroom/safetext"
	"github.com/stockroom/stockroom/store"
)

type format string

const (
	formatTable format = "table"
	formatCSV   format = "csv"
	formatJSON  format = "json"
)

// formatFlag declares --format on fs, defaulting to table.
func formatFlag(fs *flag.FlagSet, allowed ...format) *string {
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = string(a)
	}
	return fs.String("format", string(formatTable), "output format: "+strings.Join(names, ", "))
}

func checkFormat(c *invocation, v string, allowed ...format) (format, error) {
	f := format(strings.ToLower(strings.TrimSpace(v)))
	if !slices.Contains(allowed, f) {
		names := make([]string, len(allowed))
		for i, a := range allowed {
			names[i] = string(a)
		}
		return "", usagef(c, "unknown format %q: choose %s", safetext.Clean(v), strings.Join(names, ", "))
	}
	return f, nil
}

// table writes aligned columns. Every cell passes the sanitiser and is cut
// to its column's width (0: no cut beyond safetext's own cap).
type table struct {
	tw     *tabwriter.Writer
	widths []int
}

func newTable(w io.Writer, widths []int, header ...string) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 4, 2, ' ', 0), widths: widths}
	fmt.Fprintln(t.tw, strings.Join(header, "\t"))
	return t
}

func (t *table) row(cells ...string) {
	for i, c := range cells {
		w := 0
		if i < len(t.widths) {
			w = t.widths[i]
		}
		if w > 0 {
			cells[i] = safetext.Line(c, w)
		} else {
			cells[i] = safetext.Clean(c)
		}
		if cells[i] == "" {
			cells[i] = "-"
		}
	}
	fmt.Fprintln(t.tw, strings.Join(cells, "\t"))
}

func (t *table) flush() error { return t.tw.Flush() }

// writeCSV writes a header and records per RFC 4180 (CRLF line ends, as
// spreadsheets expect). Cells keep their exact text, quoted as needed,
// except for terminal control characters: CSV has no way to escape them,
// a CSV printed to the terminal would run them (ESC starts a sequence that
// can write the clipboard), and no real title or SKU holds one. Tabs and
// line breaks stay.
func writeCSV(w io.Writer, header []string, records [][]string) error {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(header); err != nil {
		return err
	}
	for _, rec := range records {
		for i, c := range rec {
			rec[i] = dropControls(c)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// dropControls removes C0 controls other than tab, CR and LF, DEL, and C1
// controls; it returns s itself when there are none.
func dropControls(s string) string {
	isControl := func(r rune) bool {
		return (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || (r >= 0x7f && r <= 0x9f)
	}
	if strings.IndexFunc(s, isControl) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isControl(r) {
			return -1
		}
		return r
	}, s)
}

// writeJSON writes v indented, ending in a newline.
func writeJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(escapeC1(b), '\n'))
	return err
}

// writeJSONLine writes v as one line of JSON (for --follow streams).
func writeJSONLine(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(append(escapeC1(b), '\n'))
	return err
}

// escapeC1 writes U+0080..U+009F as \u escapes. encoding/json escapes the
// C0 controls but passes these through as raw UTF-8, and some terminals act
// on them (U+009B starts a CSI) when a person runs a command without
// redirecting its output. Escaped, the JSON holds the same text. They can
// only appear inside JSON strings, so a byte-level rewrite is safe.
func escapeC1(b []byte) []byte {
	if !bytes.Contains(b, []byte{0xc2}) {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	for i := 0; i < len(b); i++ {
		if b[i] == 0xc2 && i+1 < len(b) && b[i+1] >= 0x80 && b[i+1] <= 0x9f {
			out = fmt.Appendf(out, `\u%04x`, b[i+1])
			i++
			continue
		}
		out = append(out, b[i])
	}
	return out
}

// timestamp formats t as RFC 3339 in UTC; the zero time is empty.
func timestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// optTime is a JSON timestamp that is null when unknown.
func optTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := timestamp(t)
	return &s
}

// shortTime is a table's timestamp: minutes are enough for a person.
func shortTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04Z")
}

// money formats an amount in minor units as a decimal string ("24.00"), so
// a spreadsheet reads it exactly, without float rounding.
func money(m store.Money) string {
	div := int64(m.Divisor)
	if div <= 1 {
		return strconv.FormatInt(m.Amount, 10)
	}
	digits := 0
	for d := div; d > 1 && d%10 == 0; d /= 10 {
		digits++
	}
	if pow10(digits) != div {
		return strconv.FormatFloat(float64(m.Amount)/float64(div), 'f', -1, 64)
	}
	sign := ""
	a := m.Amount
	if a < 0 {
		sign, a = "-", -a
	}
	return fmt.Sprintf("%s%d.%0*d", sign, a/div, digits, a%div)
}

func pow10(n int) int64 {
	p := int64(1)
	for range n {
		p *= 10
	}
	return p
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// cleanName is a name from Etsy fit for one line of output.
func cleanName(s string) string { return safetext.Line(s, 60) }
