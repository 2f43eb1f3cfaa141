// Output formats shared by the commands: aligned, sanitised tables for
// people; CSV and JSON, with the exact text, for programs.
package command

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/safetext"
	"github.com/stockroom/stockroom/store"
)

type format string

const (
	formatTable format = "table"
	formatCSV   format = "csv"
	formatJSON  format = "json"
)

// output is a command's --format flag, and --raw where CSV is offered.
// The invocation checks it when its flags are parsed.
type output struct {
	allowed []format
	value   *string
	raw     *bool
	format  format
}

// output declares --format on fs, defaulting to table, and --raw when CSV
// is among the allowed formats.
func (c *invocation) output(fs *flag.FlagSet, allowed ...format) *output {
	o := &output{allowed: allowed, value: fs.String("format", string(formatTable), "output format `F`: "+formatNames(allowed))}
	if slices.Contains(allowed, formatCSV) {
		o.raw = fs.Bool("raw", false, "csv: the exact text, for programs; cells a spreadsheet would run as formulas are not neutralised")
	}
	c.out = o
	return o
}

func formatNames(allowed []format) string {
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = string(a)
	}
	return strings.Join(names, ", ")
}

func (o *output) check(c *invocation) error {
	f := format(strings.ToLower(strings.TrimSpace(*o.value)))
	if !slices.Contains(o.allowed, f) {
		return usagef(c, "unknown format %q: choose %s", safetext.Clean(*o.value), formatNames(o.allowed))
	}
	o.format = f
	return nil
}

// formatOnly parses a command whose only flag is --format, offering the
// allowed formats.
func (r *runner) formatOnly(c *invocation, allowed ...format) (*output, error) {
	fs := c.flags(r)
	o := c.output(fs, allowed...)
	_, err := r.parse(c, fs, 0, 0)
	return o, err
}

// view is one command's result in each format it offers: the value JSON
// encodes, the CSV header and records, and the table for people.
type view struct {
	json      any
	csvHeader []string
	csv       func() [][]string
	table     func(w io.Writer) error
	// empty, when count is 0, is the note people are shown in place of an
	// empty table (JSON and CSV stay empty lists, for programs).
	empty string
	count int
}

// show writes v in the format the command was asked for.
func (r *runner) show(o *output, v view) error {
	switch o.format {
	case formatJSON:
		return writeJSON(r.env.Stdout, v.json)
	case formatCSV:
		return writeCSV(r.env.Stdout, v.csvHeader, v.csv(), o.raw != nil && *o.raw)
	}
	if v.empty != "" && v.count == 0 {
		r.notef("%s", v.empty)
		return nil
	}
	return v.table(r.env.Stdout)
}

// showList is the body of a command that takes only --format (one of
// formats) and shows the rows list reads for the actor, as viewOf makes
// them.
func showList[V any](r *runner, c *invocation, list func(context.Context, app.Actor) ([]V, error), viewOf func([]V) view, formats ...format) error {
	o, err := r.formatOnly(c, formats...)
	if err != nil {
		return err
	}
	rows, err := list(r.ctx, r.actor)
	if err != nil {
		return err
	}
	return r.show(o, viewOf(rows))
}

// jsonItems is each of vs as its command's JSON shows it.
func jsonItems[V, J any](vs []V, item func(V) J) []J {
	out := make([]J, len(vs))
	for i, v := range vs {
		out[i] = item(v)
	}
	return out
}

// table writes aligned columns. Every cell passes the sanitiser and is cut
// to its column's width (0: no cut beyond safetext's own cap). Widths are
// counted in terminal cells, so CJK text (two cells a character) and emoji
// keep the columns aligned; text/tabwriter counts runes.
type table struct {
	w      io.Writer
	widths []int
	rows   [][]string
}

func newTable(w io.Writer, widths []int, header ...string) *table {
	return &table{w: w, widths: widths, rows: [][]string{header}}
}

func (t *table) row(cells ...string) {
	for i, c := range cells {
		cells[i] = tableCell(c, i, t.widths)
	}
	t.rows = append(t.rows, cells)
}

// tableCell is cell i as a table shows it: cleaned, cut to its column's
// width (0: no cut beyond safetext's own cap), "-" when empty.
func tableCell(c string, i int, widths []int) string {
	if i < len(widths) && widths[i] > 0 {
		c = safetext.Line(c, widths[i])
	} else {
		c = safetext.Clean(c)
	}
	if c == "" {
		return "-"
	}
	return c
}

// flush writes the rows, each column as wide as its widest cell plus two
// spaces; the last column is not padded.
func (t *table) flush() error {
	var widths []int
	for _, r := range t.rows {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], ansi.StringWidth(c))
		}
	}
	bw := bufio.NewWriter(t.w)
	for _, r := range t.rows {
		for i, c := range r {
			bw.WriteString(c)
			if i < len(r)-1 {
				bw.WriteString(strings.Repeat(" ", widths[i]-ansi.StringWidth(c)+2))
			}
		}
		bw.WriteByte('\n')
	}
	t.rows = t.rows[:0]
	return bw.Flush()
}

// streamTable writes a table a row at a time, as rows arrive: its columns
// have fixed widths (0: the last column, unpadded), every cell cut and
// padded to its column's, counted in terminal cells.
type streamTable struct {
	w      io.Writer
	widths []int
}

func newStreamTable(w io.Writer, widths []int, header ...string) (*streamTable, error) {
	t := &streamTable{w: w, widths: widths}
	return t, t.row(header...)
}

func (t *streamTable) row(cells ...string) error {
	var b strings.Builder
	for i, c := range cells {
		c = tableCell(c, i, t.widths)
		b.WriteString(c)
		if i < len(t.widths) && t.widths[i] > 0 && i < len(cells)-1 {
			w := t.widths[i]
			b.WriteString(strings.Repeat(" ", w-ansi.StringWidth(c)+2))
		}
	}
	b.WriteByte('\n')
	_, err := io.WriteString(t.w, b.String())
	return err
}

// writeCSV writes a header and records per RFC 4180 (CRLF line ends, as
// spreadsheets expect). Cells keep their text, quoted as needed, except for
// terminal control characters: CSV has no way to escape them, a CSV printed
// to the terminal would run them (ESC starts a sequence that can write the
// clipboard), and no real title or SKU holds one. Tabs and line breaks
// stay. Unless raw, every cell also passes safetext.CSVCell: a cell a
// spreadsheet would run as a formula is neutralised and bidi controls are
// marked, reversibly, so stock import still reads the text back exactly.
func writeCSV(w io.Writer, header []string, records [][]string, raw bool) error {
	bw := bufio.NewWriter(w)
	writeCSVRecord(bw, header)
	for _, rec := range records {
		for i, c := range rec {
			c = dropControls(c)
			if !raw {
				c = safetext.CSVCell(c)
			}
			rec[i] = c
		}
		writeCSVRecord(bw, rec)
	}
	return bw.Flush()
}

// writeCSVRecord writes one record. A field is quoted when it holds a
// comma, quote or line break (RFC 4180), a leading or trailing space, or a
// semicolon: spreadsheets set to a semicolon-separated locale would split
// an unquoted field there and could read what follows as a new cell.
func writeCSVRecord(w *bufio.Writer, rec []string) {
	for i, f := range rec {
		if i > 0 {
			w.WriteByte(',')
		}
		if f == "" || !strings.ContainsAny(f, ",\";\r\n") && f[0] != ' ' && f[len(f)-1] != ' ' {
			w.WriteString(f)
			continue
		}
		w.WriteByte('"')
		w.WriteString(strings.ReplaceAll(f, `"`, `""`))
		w.WriteByte('"')
	}
	w.WriteString("\r\n")
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
	_, err = w.Write(append(escapeJSON(b), '\n'))
	return err
}

// writeJSONLine writes v as one line of JSON (for --follow streams).
func writeJSONLine(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(append(escapeJSON(b), '\n'))
	return err
}

// escapeJSON writes U+0080..U+009F and the bidi controls as \u escapes.
// encoding/json escapes the C0 controls but passes these through as raw
// UTF-8: some terminals act on C1 controls (U+009B starts a CSI) when a
// person runs a command without redirecting its output, and bidi controls
// (U+202E) make a SKU or title display as something it is not. Escaped,
// the JSON holds the same text. They can only appear inside JSON strings,
// so a rune-level rewrite is safe.
func escapeJSON(b []byte) []byte {
	// Both are outside ASCII: plain ASCII (nearly every report line) is
	// passed through after a byte scan, without decoding runes.
	ascii := true
	for _, c := range b {
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return b
	}
	needs := func(r rune) bool { return (r >= 0x80 && r <= 0x9f) || safetext.IsBidiControl(r) }
	if bytes.IndexFunc(b, needs) < 0 {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if needs(r) {
			out = fmt.Appendf(out, `\u%04x`, r)
		} else {
			out = append(out, b[:size]...)
		}
		b = b[size:]
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
	return string(appendMoney(nil, m))
}

// appendMoney appends m as a decimal: the amount over its divisor, with
// as many decimals as a power-of-ten divisor has zeros (a report's 50,000
// revenues are appended without a string each).
func appendMoney(b []byte, m store.Money) []byte {
	div := int64(m.Divisor)
	if div <= 1 {
		return strconv.AppendInt(b, m.Amount, 10)
	}
	digits := 0
	for d := div; d > 1 && d%10 == 0; d /= 10 {
		digits++
	}
	if pow10(digits) != div {
		return strconv.AppendFloat(b, float64(m.Amount)/float64(div), 'f', -1, 64)
	}
	a := m.Amount
	if a < 0 {
		b = append(b, '-')
		a = -a
		if a < 0 { // the least int64: as money has it
			return fmt.Appendf(b, "%d.%0*d", a/div, digits, a%div)
		}
	}
	b = strconv.AppendInt(b, a/div, 10)
	b = append(b, '.')
	frac := a % div
	n := 1
	for x := frac; x >= 10; x /= 10 {
		n++
	}
	for ; n < digits; n++ {
		b = append(b, '0')
	}
	return strconv.AppendInt(b, frac, 10)
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
