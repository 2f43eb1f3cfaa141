package safetext

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

func fuzzSeeds() []string {
	return []string{
		"",
		"Handmade Ceramic Mug",
		"\x1b]52;c;SGVsbG8=\x07",
		"\x1b]8;;http://evil\x1b\\x\x1b]8;;\x1b\\",
		"\x1b[2J",
		"\x1b[6n",
		"\x9b2J",
		"\u009b2J\u009d0;t\u009c",
		"abc\u202eexe.jpg\u2066x\u2069\u200e\u200f\u061c",
		"a\xffb\xc3\x28\xe2\x82",
		"\xc2\x1b[m\x9b",
		"\t tab \r\n crlf \u2028 ls \u00a0",
		"👩\u200d💻 👨\u200d👩\u200d👧 🏳\ufe0f\u200d🌈 a\u200db",
		"陶器のマグカップ",
		strings.Repeat("ab ", 300),
		strings.Repeat("👩\u200d💻", 200),
	}
}

func FuzzClean(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkClean(t, s, Clean(s))
		if h := Header(s); strings.ContainsAny(h, "\r\n") {
			t.Fatalf("Header(%q) = %q contains CR or LF", s, h)
		}
		m := Multiline(s, 4)
		if strings.Count(m, "\n") > 3 {
			t.Fatalf("Multiline(%q, 4) = %q has more than 4 lines", s, m)
		}
		for _, line := range strings.Split(m, "\n") {
			if line != "" {
				checkClean(t, s, line)
			}
		}
		if again := Multiline(m, 4); again != m {
			t.Fatalf("Multiline is not idempotent on %q: %q then %q", s, m, again)
		}
	})
}

func FuzzLine(f *testing.F) {
	for _, s := range fuzzSeeds() {
		for _, w := range []int{0, 1, 2, 5, 80} {
			f.Add(s, w)
		}
	}
	f.Fuzz(func(t *testing.T, s string, width int) {
		width %= 300
		out := Line(s, width)
		if !utf8.ValidString(out) {
			t.Fatalf("Line(%q, %d) = %q is not valid UTF-8", s, width, out)
		}
		if w := ansi.StringWidth(out); w > max(width, 0) {
			t.Fatalf("Line(%q, %d) = %q is %d cells wide", s, width, out, w)
		}
		if out != "" && !strings.HasSuffix(out, Ellipsis) && out != Clean(s) {
			t.Fatalf("Line(%q, %d) = %q changed the text without marking the cut", s, width, out)
		}
		if strings.ContainsAny(out, "\x1b\x7f") || strings.ContainsFunc(out, func(r rune) bool {
			return r < 0x20 || (r >= 0x80 && r <= 0x9f)
		}) {
			t.Fatalf("Line(%q, %d) = %q contains a control", s, width, out)
		}
	})
}

func BenchmarkClean(b *testing.B) {
	for _, bc := range []struct{ name, in string }{
		{"clean", "Handmade Ceramic Coffee Mug, Speckled Glaze, 12 oz, Gift for Coffee Lovers ☕"},
		{"dirty", "Handmade \x1b[31mCeramic\x1b[0m Coffee Mug,\tSpeckled  Glaze\u202e, 12 oz, Gift\r\n"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Clean(bc.in)
			}
		})
	}
}

func BenchmarkLine(b *testing.B) {
	in := "Handmade Ceramic Coffee Mug, Speckled Glaze, 12 oz, Gift for Coffee Lovers ☕"
	b.ReportAllocs()
	for b.Loop() {
		Line(in, 40)
	}
}
