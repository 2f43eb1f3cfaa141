// Text for CSV files that people open in spreadsheets.
package safetext

import (
	"fmt"
	"strconv"
	"strings"
)

// IsBidiControl reports whether r is a bidirectional formatting control:
// the embeddings and overrides U+202A..U+202E, the isolates U+2066..U+2069,
// the marks U+200E and U+200F and the Arabic letter mark U+061C. They make
// text display in an order other than the one it is stored in, so a SKU
// or file name can read as something it is not.
func IsBidiControl(r rune) bool {
	return (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f || r == 0x061c
}

// CSVCell makes a text cell safe to open in a spreadsheet, following
// OWASP's CSV injection guidance: a cell starting with =, +, -, @, tab or
// CR is prefixed with an apostrophe so it is shown as text, never run as a
// formula (=HYPERLINK(...), a buyer named =cmd|...). Numbers (-12.50, +3)
// are left alone: they are not formulas and must stay numbers. Bidi
// controls are shown as <U+202E>. CSVCellValue turns the result back into
// s exactly, so an export still imports: a cell that already starts with
// apostrophes before such a character gets one more, and a literal "<U+"
// is written with its "<" marked.
func CSVCell(s string) string {
	s = markBidi(s)
	if formulaLike(s) {
		return "'" + s
	}
	return s
}

// CSVCellValue is the text CSVCell was given.
func CSVCellValue(s string) string {
	if strings.HasPrefix(s, "'") && formulaLike(s[1:]) {
		s = s[1:]
	}
	return unmarkBidi(s)
}

// formulaLike reports whether s, after any leading apostrophes, starts
// with a character a spreadsheet reads as the start of a formula and is
// not a plain number.
func formulaLike(s string) bool {
	t := strings.TrimLeft(s, "'")
	if t == "" || !strings.ContainsRune("=+-@\t\r", rune(t[0])) {
		return false
	}
	return !isDecimal(t)
}

// isDecimal reports whether s is a plain decimal number: an optional sign,
// digits, and optionally a point and more digits.
func isDecimal(s string) bool {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	whole, frac, hasPoint := strings.Cut(s, ".")
	return allDigits(whole) && (!hasPoint || allDigits(frac))
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

const markPrefix = "<U+"

// markBidi writes each bidi control as <U+XXXX>, and the "<" of a literal
// "<U+" as <U+003C>, so unmarkBidi can tell the two apart.
func markBidi(s string) string {
	if !strings.Contains(s, markPrefix) && strings.IndexFunc(s, IsBidiControl) < 0 {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case IsBidiControl(r):
			fmt.Fprintf(&b, "<U+%04X>", r)
		case r == '<' && strings.HasPrefix(s[i:], markPrefix):
			b.WriteString("<U+003C>")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func unmarkBidi(s string) string {
	if !strings.Contains(s, markPrefix) {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, markPrefix)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		s = s[i:]
		if len(s) >= 8 && s[7] == '>' {
			if n, err := strconv.ParseUint(s[3:7], 16, 32); err == nil && (IsBidiControl(rune(n)) || n == '<') {
				b.WriteRune(rune(n))
				s = s[8:]
				continue
			}
		}
		b.WriteString(markPrefix)
		s = s[len(markPrefix):]
	}
}
