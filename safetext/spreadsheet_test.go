package safetext

import (
	"strings"
	"testing"
)

// Issue 11 item 6: a neutralised cell reads back as the original text, and
// nothing that leaves CSVCell starts a formula.
func TestCSVCellRoundTrip(t *testing.T) {
	for _, s := range []string{"", "plain", "=1+1", "+1", "-1", "-12.50", "+3", "@x", "\tx", "\rx", "'", "'=x", "''=x",
		"'plain", "-", "=", "'-5", "a=b", " =x", "gpj\u202e.exe", "\u2066\u2069\u200e\u200f\u061c", "<U+202E>", "-1e5"} {
		e := CSVCell(s)
		if got := CSVCellValue(e); got != s {
			t.Errorf("%q -> %q -> %q", s, e, got)
		}
		if e != "" && strings.ContainsRune("=+-@\t\r", rune(e[0])) && !isDecimal(e) {
			t.Errorf("%q neutralised to %q, still a formula", s, e)
		}
		for _, r := range e {
			if IsBidiControl(r) {
				t.Errorf("%q -> %q keeps U+%04X", s, e, r)
			}
		}
	}
	for _, n := range []string{"-12.50", "-3", "+4", "12", "0.5"} {
		if CSVCell(n) != n {
			t.Errorf("number %q became %q", n, CSVCell(n))
		}
	}
}
