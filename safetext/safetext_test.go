package safetext

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

func TestClean(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "Handmade Ceramic Mug", "Handmade Ceramic Mug"},
		{"empty", "", ""},
		{"whitespace only", " \t\r\n ", ""},
		{"collapse and trim", "  Blue \t\t mug\r\nlarge  ", "Blue mug large"},
		{"unicode spaces", "a\u00a0\u2003b\u2028c\u3000d", "a b c d"},
		{"non-ascii kept", "Tasse en céramique 陶器のマグ Кружка", "Tasse en céramique 陶器のマグ Кружка"},
		{"osc 52 clipboard with BEL", "Mug\x1b]52;c;SGVsbG8=\x07 red", "Mug red"},
		{"osc 52 with ST", "Mug\x1b]52;c;SGVsbG8=\x1b\\ red", "Mug red"},
		{"osc 8 hyperlink", "\x1b]8;;http://evil\x1b\\x\x1b]8;;\x1b\\", "x"},
		{"csi clear screen", "\x1b[2JMug", "Mug"},
		{"csi report cursor", "Mug\x1b[6n", "Mug"},
		{"sgr colour", "\x1b[1;31mRED\x1b[0m sale", "RED sale"},
		{"csi private mode", "\x1b[?1049hX\x1b[?1049l", "X"},
		{"8-bit csi as raw byte", "\x9b2JMug", "Mug"},
		{"8-bit csi as rune", "\u009b2JMug", "Mug"},
		{"8-bit osc with rune ST", "\u009d52;c;AAAA\u009cMug", "Mug"},
		{"dcs payload", "\x1bPq#0;2;0;0;0\x1b\\Mug", "Mug"},
		{"apc payload", "\x1b_Gf=100;AAAA\x1b\\Mug", "Mug"},
		{"charset escape", "\x1b(BMug", "Mug"},
		{"reset escape", "\x1bcMug", "Mug"},
		{"lone esc at end", "Mug\x1b", "Mug"},
		{"esc before non-ascii", "\x1bé", "é"},
		{"unterminated osc swallows rest", "Mug\x1b]52;c;SGVsbG8=", "Mug"},
		{"can aborts csi", "\x1b[12\x18Mug", "Mug"},
		{"c0 inside csi", "\x1b[1\n2mMug", "Mug"},
		{"nested esc in string", "\x1b]0;title\x1b[31mMug", "Mug"},
		{"c0 controls", "a\x00b\x07c\x08d", "abcd"},
		{"del", "a\x7fb", "ab"},
		{"c1 nel is a space", "a\u0085b", "a b"},
		{"other c1", "a\u0084b", "ab"},
		{"invalid utf8", "a\xffb\xc3", "a\ufffdb\ufffd"},
		{"bidi override", "invoice\u202egpj.exe", "invoicegpj.exe"},
		{"bidi isolates and marks", "\u2066a\u2069\u200eb\u200f\u061cc", "abc"},
		{"zero width space and bom", "pay\u200bpal\ufeff", "paypal"},
		{"soft hyphen", "Mu\u00adg", "Mug"},
		{"tag characters", "x\U000E0041\U000E007Fy", "xy"},
		{"zwj in emoji kept", "Dev 👩\u200d💻 mug", "Dev 👩\u200d💻 mug"},
		{"zwj with skin tone kept", "👩🏽\u200d🚀", "👩🏽\u200d🚀"},
		{"zwj with vs16 kept", "🏳\ufe0f\u200d🌈", "🏳\ufe0f\u200d🌈"},
		{"zwj between letters dropped", "pay\u200dpal", "paypal"},
		{"trailing zwj dropped", "👩\u200d", "👩"},
		{"zwj after space dropped", "👩 \u200d💻", "👩 💻"},
		{"doubled zwj becomes one", "👩\u200d\u200d💻", "👩\u200d💻"},
		{"combining marks kept", "e\u0301", "e\u0301"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Clean(tt.in); got != tt.want {
				t.Errorf("Clean(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCleanLengthCap(t *testing.T) {
	long := strings.Repeat("abcd ", 200)
	got := Clean(long)
	if n := utf8.RuneCountInString(got); n > MaxRunes {
		t.Fatalf("Clean kept %d runes, cap is %d", n, MaxRunes)
	}
	if !strings.HasSuffix(got, Ellipsis) || strings.HasSuffix(got, " "+Ellipsis) {
		t.Fatalf("cut text should end in a word and an ellipsis, got ...%q", got[len(got)-10:])
	}
	if !strings.HasPrefix(long, strings.TrimSuffix(got, Ellipsis)) {
		t.Fatal("cut text is not a prefix of the input")
	}

	exact := strings.Repeat("x", MaxRunes)
	if Clean(exact) != exact {
		t.Fatal("text of exactly MaxRunes runes was cut")
	}

	// A cut never splits a grapheme: 255 family emoji of 5 runes each
	// exceed the cap, and the cut must fall between families.
	family := "👨\u200d👩\u200d👧"
	got = Clean(strings.Repeat(family, 200))
	body := strings.TrimSuffix(got, Ellipsis)
	if strings.ReplaceAll(body, family, "") != "" {
		t.Fatalf("cut split an emoji sequence: tail %q", body[len(body)-12:])
	}
}

func TestCleanDoesNotAllocateForCleanInput(t *testing.T) {
	in := "Handmade Ceramic Coffee Mug – Speckled Glaze, 12 oz, Gift for Her ☕ 陶器"
	allocs := testing.AllocsPerRun(100, func() {
		if Clean(in) != in {
			t.Fatal("clean input changed")
		}
	})
	if allocs != 0 {
		t.Fatalf("Clean allocated %.0f times for clean input", allocs)
	}
}

func TestLine(t *testing.T) {
	tests := []struct {
		in    string
		width int
		want  string
	}{
		{"Ceramic mug", 20, "Ceramic mug"},
		{"Ceramic mug", 11, "Ceramic mug"},
		{"Ceramic mug", 10, "Ceramic m…"},
		{"Ceramic mug", 1, "…"},
		{"Ceramic mug", 0, ""},
		{"Ceramic mug", -3, ""},
		{"陶器のマグ", 6, "陶器…"}, // wide characters count two cells
		{"陶器のマグ", 5, "陶器…"}, // never half a wide character
		{"👩\u200d💻👩\u200d💻", 3, "👩\u200d💻…"},
		{"\x1b[31mred\x1b[0m text", 5, "red …"},
		{"a\tb\nc", 10, "a b c"},
	}
	for _, tt := range tests {
		got := Line(tt.in, tt.width)
		if got != tt.want {
			t.Errorf("Line(%q, %d) = %q, want %q", tt.in, tt.width, got, tt.want)
		}
		if w := ansi.StringWidth(got); w > max(tt.width, 0) {
			t.Errorf("Line(%q, %d) is %d cells wide", tt.in, tt.width, w)
		}
	}
}

func TestMultiline(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		maxLines int
		want     string
	}{
		{"address", "Jane  Doe\r\n12 Main St\n\nApt 4\r\nSpringfield", 0, "Jane Doe\n12 Main St\n\nApt 4\nSpringfield"},
		{"blank runs collapse", "\n\n Hi,\n\n\n\nthanks!\n\n", 0, "Hi,\n\nthanks!"},
		{"other line breaks", "a\rb\u2028c\u2029d\u0085e\vf\fg", 0, "a\nb\nc\nd\ne\nf\ng"},
		{"lines cleaned", "\x1b[2J\x1b]52;c;AAAA\x07Hello\u202e\n  world\t!", 0, "Hello\nworld !"},
		{"sequence spanning lines removed", "Hi\x1b]52;c;AA\nAA\x07 there\nbye", 0, "Hi there\nbye"},
		{"max lines", "one\ntwo\nthree\nfour", 2, "one\ntwo…"},
		{"max lines exact", "one\ntwo", 2, "one\ntwo"},
		{"blank line does not fit", "one\n\ntwo", 2, "one…"},
		{"one line", "one\ntwo", 1, "one…"},
		{"existing ellipsis", "wait…\nmore", 1, "wait…"},
		{"empty", " \n\t\n", 3, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Multiline(tt.in, tt.maxLines); got != tt.want {
				t.Errorf("Multiline(%q, %d) = %q, want %q", tt.in, tt.maxLines, got, tt.want)
			}
		})
	}

	full := strings.Repeat("x", MaxRunes) + "\nmore"
	got := Multiline(full, 1)
	if n := utf8.RuneCountInString(got); n > MaxRunes || !strings.HasSuffix(got, Ellipsis) {
		t.Fatalf("Multiline on a full-length line: %d runes, suffix %q", n, got[len(got)-4:])
	}
}

func TestHeader(t *testing.T) {
	in := "Order from Jane\r\nBcc: victim@example.com\x00"
	got := Header(in)
	if strings.ContainsAny(got, "\r\n\x00") {
		t.Fatalf("Header(%q) = %q keeps a line break or NUL", in, got)
	}
	if got != "Order from Jane Bcc: victim@example.com" {
		t.Fatalf("Header(%q) = %q", in, got)
	}
}

// checkClean asserts the invariants every Clean result must satisfy.
func checkClean(t *testing.T, in, out string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Fatalf("Clean(%q) = %q is not valid UTF-8", in, out)
	}
	prev := rune(-1)
	for i, r := range out {
		switch {
		case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
			t.Fatalf("Clean(%q) = %q keeps control %U", in, out, r)
		case unicode.Is(unicode.Cf, r) && r != zwj:
			t.Fatalf("Clean(%q) = %q keeps format character %U", in, out, r)
		case r == zwj && !(unicode.Is(extendedPictographic, []rune(out[i+len("\u200d"):] + "x")[0])):
			t.Fatalf("Clean(%q) = %q keeps a joiner outside an emoji sequence", in, out)
		case r == ' ' && (prev == ' ' || prev == -1):
			t.Fatalf("Clean(%q) = %q has a leading or doubled space", in, out)
		case unicode.IsSpace(r) && r != ' ':
			t.Fatalf("Clean(%q) = %q keeps whitespace %U", in, out, r)
		}
		prev = r
	}
	if prev == ' ' {
		t.Fatalf("Clean(%q) = %q has a trailing space", in, out)
	}
	if n := utf8.RuneCountInString(out); n > MaxRunes {
		t.Fatalf("Clean(%q) has %d runes, cap is %d", in, n, MaxRunes)
	}
	if again := Clean(out); again != out {
		t.Fatalf("Clean is not idempotent on %q: %q then %q", in, out, again)
	}
}

func TestCleanInvariantsOnSeeds(t *testing.T) {
	for _, s := range fuzzSeeds() {
		checkClean(t, s, Clean(s))
	}
}
