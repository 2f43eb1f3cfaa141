// The inventory's row order: sorting, fuzzy filtering and the columns a row
// is drawn in. The rows themselves live in a shared app.Snapshot; a session
// only owns slices of int32 positions into it.
package inventory

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"charm.land/lipgloss/v2"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/store"
)

// column is a sortable column.
type column int

const (
	colTitle column = iota
	colVariation
	colSKU
	colQuantity
	colPrice
	colState
	colPush
	numColumns
)

var columnNames = [numColumns]string{"title", "variation", "SKU", "quantity", "price", "state", "push"}

func (c column) String() string { return columnNames[c] }

// compareRows orders two rows by col, then by listing and offering so the
// order is total and stable across reloads.
func compareRows(a, b *store.InventoryRow, col column) int {
	var c int
	switch col {
	case colTitle:
		c = compareNatural(a.Title, b.Title)
	case colVariation:
		c = compareNatural(a.Variation, b.Variation)
	case colSKU:
		c = compareNatural(a.SKU, b.SKU)
	case colQuantity:
		c = cmp.Compare(a.Shown(), b.Shown())
	case colPrice:
		c = cmp.Compare(priceValue(a.Price), priceValue(b.Price))
	case colState:
		c = strings.Compare(a.ListingState, b.ListingState)
	case colPush:
		c = strings.Compare(string(a.PushStatus), string(b.PushStatus))
	}
	if c != 0 {
		return c
	}
	if c = compareNatural(a.Title, b.Title); c != 0 {
		return c
	}
	if c = cmp.Compare(a.EtsyListingID, b.EtsyListingID); c != 0 {
		return c
	}
	return cmp.Compare(a.OfferingID, b.OfferingID)
}

func priceValue(m store.Money) float64 {
	if m.Divisor <= 0 {
		return float64(m.Amount)
	}
	return float64(m.Amount) / float64(m.Divisor)
}

// compareNatural compares the way sellers number things: case-insensitive,
// with runs of digits compared as numbers, so "Beanie #17" comes before
// "Beanie #117" and "Size 9" before "Size 10". Numbers of any length work
// (they are compared by their digits, not parsed), and it does not
// allocate: a sort of 50,000 rows calls it about a million times.
func compareNatural(a, b string) int {
	// zeros breaks the tie between equal numbers written differently ("7"
	// and "07"), so the order stays total; it counts only if nothing else
	// differs.
	zeros := 0
	for a != "" && b != "" {
		if isDigit(a[0]) && isDigit(b[0]) {
			za, ea := digitRun(a)
			zb, eb := digitRun(b)
			na, nb := a[za:ea], b[zb:eb]
			if c := cmp.Compare(len(na), len(nb)); c != 0 {
				return c
			}
			if c := strings.Compare(na, nb); c != 0 {
				return c
			}
			if zeros == 0 {
				zeros = cmp.Compare(za, zb)
			}
			a, b = a[ea:], b[eb:]
			continue
		}
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		if ra < utf8.RuneSelf && rb < utf8.RuneSelf {
			ra, rb = asciiLower(ra), asciiLower(rb)
		} else {
			ra, rb = unicode.ToLower(ra), unicode.ToLower(rb)
		}
		if ra != rb {
			return cmp.Compare(ra, rb)
		}
		a, b = a[na:], b[nb:]
	}
	if c := cmp.Compare(len(a), len(b)); c != 0 {
		return c
	}
	return zeros
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// digitRun returns where the significant digits of s's leading run of
// ASCII digits start (after its leading zeros, keeping a lone 0) and where
// the run ends.
func digitRun(s string) (start, end int) {
	for end < len(s) && isDigit(s[end]) {
		end++
	}
	for start < end-1 && s[start] == '0' {
		start++
	}
	return start, end
}

func asciiLower(r rune) rune {
	if r >= 'A' && r <= 'Z' {
		return r + ('a' - 'A')
	}
	return r
}

// query is a lower-cased filter, split in runes once per keystroke.
type query []rune

func newQuery(s string) query {
	var q query
	for _, r := range strings.ToLower(s) {
		if !unicode.IsSpace(r) {
			q = append(q, r)
		}
	}
	return q
}

// fuzzy tells whether q's runes appear in s in order (case-insensitive),
// the way fzf-style filters match "mugblu" to "Mug, blue". It does not
// allocate.
func (q query) fuzzy(s string) bool {
	if len(q) == 0 {
		return true
	}
	i := 0
	for _, r := range s {
		if r < utf8.RuneSelf {
			r = asciiLower(r)
		} else {
			r = unicode.ToLower(r)
		}
		if r == q[i] {
			i++
			if i == len(q) {
				return true
			}
		}
	}
	return false
}

// matches tells whether the row's title, SKU or variation matches.
func (q query) matches(r *store.InventoryRow) bool {
	return q.fuzzy(r.Title) || q.fuzzy(r.SKU) || q.fuzzy(r.Variation)
}

// sorted is a snapshot's rows that are still on Etsy in one order, and
// their widest texts. Shared by every session on the snapshot: read only.
type sorted struct {
	order []int32
	need  need
}

// sortKey is the Memo key of a snapshot's order (a type of this package,
// so no other screen's key can collide with it).
type sortKey struct {
	col  column
	desc bool
}

// sortedOf is snap's order by col, sorted once per snapshot and order
// however many sessions show it: a shop's staff opening the screen at once
// share one sort. A new snapshot (a reload, or an edit's copy) starts a new
// one; a session that adopts an edited copy keeps its own order (adopt), so
// rows do not jump under the cursor.
func sortedOf(snap *app.Snapshot, col column, desc bool) *sorted {
	return snap.Memo(sortKey{col, desc}, func(snap *app.Snapshot) any {
		row := func(i int32) *store.InventoryRow { return snap.Row(int(i)) }
		order := make([]int32, 0, snap.Len())
		for i := range snap.Len() {
			if !snap.Row(i).Gone {
				order = append(order, int32(i))
			}
		}
		sortOrder(order, row, col, desc)
		return &sorted{order: order, need: measure(order, row)}
	}).(*sorted)
}

// sortOrder sorts positions into snap by col.
func sortOrder(order []int32, row func(int32) *store.InventoryRow, col column, desc bool) {
	slices.SortStableFunc(order, func(a, b int32) int {
		c := compareRows(row(a), row(b), col)
		if desc {
			return -c
		}
		return c
	})
}

// formatPrice shows minor units as a decimal amount.
func formatPrice(m store.Money) string {
	if m.Divisor <= 1 {
		return strconv.FormatInt(m.Amount, 10)
	}
	digits := len(strconv.Itoa(m.Divisor)) - 1
	neg := m.Amount < 0
	a := m.Amount
	if neg {
		a = -a
	}
	whole := a / int64(m.Divisor)
	frac := a % int64(m.Divisor)
	s := strconv.FormatInt(whole, 10) + "." + leftPad(strconv.FormatInt(frac, 10), digits, '0')
	if neg {
		s = "-" + s
	}
	return s
}

func leftPad(s string, n int, pad byte) string {
	if len(s) >= n {
		return s
	}
	return strings.Repeat(string(pad), n-len(s)) + s
}

// layout is the width of each column for one terminal width.
type layout struct {
	title, variation, sku, qty, price, state, push, mark int
}

// need is the widest text of the columns whose width follows the shop.
type need struct{ sku, variation int }

// measure finds the widest SKU and variation of the rows shown.
func measure(order []int32, row func(int32) *store.InventoryRow) need {
	var n need
	for _, i := range order {
		r := row(i)
		n.sku = max(n.sku, textWidth(r.SKU))
		n.variation = max(n.variation, textWidth(r.Variation))
	}
	return n
}

// textWidth is the width of s in cells; ASCII, the usual case, is counted
// without measuring.
func textWidth(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return lipgloss.Width(s)
		}
	}
	return len(s)
}

// Widths of the inventory's columns. The ones a seller cannot do without
// (SKU, quantity, the LOW/OUT stock marker, the push status) are always
// there; the others join by priority while their minimum fits: title,
// variation, a title wide enough to read (titlePref), price, then the
// listing's state.
const (
	skuMin, skuMax             = 6, 24
	qtyWidth                   = 5 // "Qty ▲"
	pushWidth                  = 7 // "pending"
	markWidth                  = 5 // "Stock"
	variationMin, titleMin     = 10, 12
	titlePref                  = 24
	priceWidth, stateWidth     = 10, 8
	cursorWidth                = 2
	variationShare, titleShare = 2, 1 // how extra width is shared
)

// newLayout shares the width between the columns by priority. The SKU
// column is as wide as the widest SKU (within bounds), so SKUs are read
// whole; extra width goes to variation and title, variation first up to
// its widest text.
func newLayout(width int, n need) layout {
	l := layout{sku: min(max(n.sku, skuMin), skuMax), qty: qtyWidth, push: pushWidth, mark: markWidth}
	// Every column is followed by a one-cell separator.
	rest := width - (cursorWidth + l.sku + 1 + l.qty + 1 + l.push + 1 + l.mark + 1)
	take := func(w int) bool {
		if rest >= w+1 {
			rest -= w + 1
			return true
		}
		return false
	}
	if take(titleMin) {
		l.title = titleMin
	}
	if take(variationMin) {
		l.variation = variationMin
	}
	// A title readable enough to tell listings apart comes before price
	// and state.
	if l.variation > 0 {
		boost := min(titlePref-titleMin, max(rest, 0))
		l.title += boost
		rest -= boost
	}
	if l.title > 0 && take(priceWidth) {
		l.price = priceWidth
		if take(stateWidth) {
			l.state = stateWidth
		}
	}
	switch {
	case l.title == 0:
	case l.variation == 0:
		l.title += rest
	default:
		grow := min(max(n.variation-l.variation, 0), rest*variationShare/(variationShare+titleShare))
		l.variation += grow
		l.title += rest - grow
	}
	return l
}
