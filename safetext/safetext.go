// Clean, Line, Multiline and Header: the sanitiser's public entry points.
package safetext

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
	"github.com/clipperhouse/uax29/v2/graphemes"
)

// MaxRunes caps the length of a cleaned string (and of each line of
// Multiline), counting the trailing ellipsis, so one hostile field cannot
// flood a screen or an email.
const MaxRunes = 512

// Ellipsis marks text that was cut.
const Ellipsis = "…"

const zwj = '\u200d'

// Clean returns s as a single line that is safe to print: valid UTF-8
// (invalid bytes become U+FFFD), with complete escape sequences removed
// payload and all, no C0 or C1 controls or DEL, no Unicode format
// characters (category Cf: bidi overrides and isolates, directional marks,
// zero-width spaces, soft hyphens, tag characters) except a zero-width
// joiner inside an emoji sequence, whitespace runs (line breaks and tabs
// included) collapsed to one space, trimmed, and cut to MaxRunes runes with
// an ellipsis. Text that is already clean is returned as is, without
// allocating.
func Clean(s string) string {
	if isClean(s) {
		return s
	}
	return cleanLine(stripSequences(s))
}

// Line cleans s and cuts it to at most width terminal cells, ending in an
// ellipsis when cut. East Asian wide characters and emoji count two cells;
// a grapheme cluster is never split. A width below one yields "".
func Line(s string, width int) string {
	if width < 1 {
		return ""
	}
	s = Clean(s)
	// No grapheme is wider in cells than in UTF-8 bytes (wide characters
	// take three or four), so short strings skip the width calculation.
	if len(s) <= width {
		return s
	}
	return ansi.Truncate(s, width, Ellipsis)
}

// Multiline cleans text whose line breaks matter, such as a buyer's message
// or a postal address: each line is cleaned as by Clean, leading and
// trailing blank lines are dropped, runs of blank lines become one, and
// lines are separated by "\n". When there are more than maxLines lines, the
// last kept line ends in an ellipsis; maxLines < 1 means no limit on the
// number of lines.
func Multiline(s string, maxLines int) string {
	s = stripSequences(s)
	var (
		b       strings.Builder
		lines   int
		blank   bool // a blank line is pending between kept lines
		lastEnd int  // b.Len() after the last kept line
	)
	for len(s) > 0 {
		raw, rest := cutLine(s)
		s = rest
		line := cleanLine(raw)
		if line == "" {
			blank = lines > 0
			continue
		}
		need := 1
		if blank {
			need = 2
		}
		if maxLines >= 1 && lines+need > maxLines {
			return appendEllipsis(b.String()[:lastEnd])
		}
		if lines > 0 {
			b.WriteByte('\n')
		}
		if blank {
			b.WriteByte('\n')
			lines++
		}
		b.WriteString(line)
		lines++
		lastEnd = b.Len()
		blank = false
	}
	return b.String()
}

// Header cleans s for an email header such as a Subject: Clean's output
// never contains CR or LF (nor any other control), so a buyer's text cannot
// inject headers.
func Header(s string) string {
	return Clean(s)
}

// appendEllipsis adds the ellipsis to the last line of text, replacing that
// line's final grapheme when the line is already at MaxRunes.
func appendEllipsis(text string) string {
	start := strings.LastIndexByte(text, '\n') + 1
	last := text[start:]
	if strings.HasSuffix(last, Ellipsis) {
		return text
	}
	if utf8.RuneCountInString(last) < MaxRunes {
		return text + Ellipsis
	}
	return text[:start] + cutRunes(last, MaxRunes-1) + Ellipsis
}

// cutLine splits off the first line of s, treating CR LF, LF, CR, VT, FF,
// NEL and the Unicode line and paragraph separators as line breaks.
func cutLine(s string) (line, rest string) {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if isLineBreak(r) {
			if r == '\r' && strings.HasPrefix(s[i+1:], "\n") {
				size++
			}
			return s[:i], s[i+size:]
		}
		i += size
	}
	return s, ""
}

func isLineBreak(r rune) bool {
	switch r {
	case '\n', '\r', '\v', '\f', 0x85, 0x2028, 0x2029:
		return true
	}
	return false
}

// isClean reports whether cleanLine would return s unchanged. It is the
// fast path for the common case (every row render), so it must not
// allocate; anything unusual defers to cleanLine.
func isClean(s string) bool {
	runes := 0
	prevSpace := true // a leading space is not clean
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == del {
				return false
			}
			if c == ' ' {
				if prevSpace {
					return false
				}
				prevSpace = true
			} else {
				prevSpace = false
			}
			i++
		} else {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				return false
			}
			if r == zwj || dropped(r) || unicode.IsSpace(r) {
				return false
			}
			prevSpace = false
			i += size
		}
		runes++
		if runes > MaxRunes {
			return false
		}
	}
	return !prevSpace || s == ""
}

// dropped reports whether r is removed wherever it appears. Controls are
// the terminal-injection risk; format characters (Cf) are invisible and
// let two strings that look identical differ, or reorder what is shown
// (bidi overrides such as U+202E make "gpj.exe" read "exe.jpg"). ZWNJ and
// tag characters are lost with them, which changes how a few scripts and
// subdivision flags render: that is the price of text that means what it
// shows. The zero-width joiner is the one format character kept, and only
// between emoji (see cleanLine), because family, profession and flag
// sequences such as 👩‍💻 fall apart into separate pictures without it,
// and sellers use emoji in listing titles.
func dropped(r rune) bool {
	return r < 0x20 || r == del || (r >= c1lo && r <= c1hi) || unicode.Is(unicode.Cf, r)
}

// extendsEmoji reports whether r continues an emoji sequence without ending
// it: combining marks, variation selectors and skin-tone modifiers.
func extendsEmoji(r rune) bool {
	return (r >= 0x1f3fb && r <= 0x1f3ff) || unicode.In(r, unicode.Mn, unicode.Me)
}

// cleanLine applies Clean's rules to s, which holds no escape sequences.
func cleanLine(s string) string {
	var b strings.Builder
	b.Grow(min(len(s), 4*MaxRunes+len(Ellipsis)))
	var (
		runes        int
		pendingSpace bool
		inEmoji      bool // the text so far ends in an emoji and its extenders
	)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case unicode.IsSpace(r):
			pendingSpace = b.Len() > 0
			inEmoji = false
			continue
		case r == zwj:
			next, _ := utf8.DecodeRuneInString(s[i:])
			if !inEmoji || !unicode.Is(extendedPictographic, next) {
				continue
			}
			inEmoji = false
		case dropped(r):
			continue
		case unicode.Is(extendedPictographic, r):
			inEmoji = true
		case !extendsEmoji(r):
			inEmoji = false
		}
		if pendingSpace {
			b.WriteByte(' ')
			runes++
			pendingSpace = false
		}
		b.WriteRune(r) // RuneError from an invalid byte is written as U+FFFD
		runes++
		if runes > MaxRunes {
			// Enough is known to cut: a grapheme boundary depends only on
			// the runes around it.
			return cutRunes(b.String(), MaxRunes-1) + Ellipsis
		}
	}
	return b.String()
}

// cutRunes returns the longest prefix of s made of whole grapheme clusters
// with at most n runes, without a trailing space or joiner, so that adding
// an ellipsis neither splits a character nor leaves something Clean would
// change.
func cutRunes(s string, n int) string {
	end, runes := 0, 0
	g := graphemes.FromString(s)
	for g.Next() {
		runes += utf8.RuneCountInString(g.Value())
		if runes > n {
			break
		}
		end = g.End()
	}
	s = s[:end]
	for {
		switch {
		case strings.HasSuffix(s, " "):
			s = s[:len(s)-1]
		case strings.HasSuffix(s, "\u200d"):
			s = s[:len(s)-len("\u200d")]
		default:
			return s
		}
	}
}
