// Removal of complete terminal control sequences, payload included.
package safetext

import (
	"strings"
	"unicode/utf8"
)

// C0 and C1 control characters that start or end control sequences
// (ECMA-48 §5, §8.3).
const (
	bel = 0x07
	can = 0x18
	sub = 0x1a
	esc = 0x1b
	del = 0x7f

	dcs  = 0x90
	sos  = 0x98
	csi  = 0x9b
	st   = 0x9c
	osc  = 0x9d
	pm   = 0x9e
	apc  = 0x9f
	c1lo = 0x80
	c1hi = 0x9f
)

type seqState uint8

const (
	ground   seqState = iota
	escape            // after ESC
	escInter          // ESC followed by intermediate bytes (nF, e.g. ESC ( B)
	csiParam          // inside CSI, before its final byte
	str               // inside OSC/DCS/SOS/PM/APC, until BEL or ST
	strEsc            // ESC seen inside a string: ST if '\' follows
)

// needsStrip reports whether s holds anything stripSequences would change,
// so clean input is passed through without allocating.
func needsStrip(s string) bool {
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b == esc {
			return true
		}
		if b < utf8.RuneSelf {
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			if b >= c1lo && b <= c1hi {
				return true
			}
		} else if r >= c1lo && r <= c1hi {
			return true
		}
		i += size - 1
	}
	return false
}

// stripSequences removes ESC- and C1-introduced control sequences
// (CSI, OSC, DCS, SOS, PM, APC and two- or three-character escapes) with
// their parameters and payloads, the way a terminal's parser would consume
// them, so that an OSC 52 clipboard payload disappears rather than showing
// as junk. An unterminated string sequence swallows the rest of the input,
// as it would on a terminal.
//
// Both the 7-bit (ESC [) and the 8-bit forms are recognised, and the 8-bit
// form both as a UTF-8 encoded rune (U+009B) and as a raw byte (0x9B, which
// is invalid UTF-8 but a CSI to a terminal in 8-bit mode). Other invalid
// bytes become U+FFFD. Remaining controls are left for the caller to remove.
func stripSequences(s string) string {
	if !needsStrip(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	state := ground
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 && s[i] >= c1lo && s[i] <= c1hi {
			r = rune(s[i])
		}
		reprocess := false
		state, reprocess = step(state, r, &b)
		if !reprocess {
			i += size
		}
	}
	return b.String()
}

// step advances the parser by one rune, writing it to b if it is text.
// It reports whether r ended a sequence without belonging to it, in which
// case r must be processed again from the new state.
func step(state seqState, r rune, b *strings.Builder) (seqState, bool) {
	switch state {
	case ground:
		switch r {
		case esc:
			return escape, false
		case csi:
			return csiParam, false
		case osc, dcs, sos, pm, apc:
			return str, false
		}
		b.WriteRune(r)
		return ground, false

	case escape, escInter:
		switch {
		case r == '[' && state == escape:
			return csiParam, false
		case (r == ']' || r == 'P' || r == 'X' || r == '^' || r == '_') && state == escape:
			return str, false
		case r >= 0x20 && r <= 0x2f:
			return escInter, false
		case r >= 0x30 && r <= 0x7e:
			return ground, false // final byte: ESC c, ESC 7, ESC ( B ...
		}
		return control(state, r)

	case csiParam:
		switch {
		case r >= 0x20 && r <= 0x3f:
			return csiParam, false
		case r >= 0x40 && r <= 0x7e:
			return ground, false
		}
		return control(state, r)

	case str:
		switch {
		case r == bel || r == st || r == can || r == sub:
			return ground, false
		case r == esc:
			return strEsc, false
		case r >= c1lo && r <= c1hi:
			return ground, true
		}
		return str, false // payload

	case strEsc:
		if r == '\\' {
			return ground, false
		}
		// Any other ESC ends the string and begins a new sequence.
		return escape, true
	}
	return ground, true
}

// control handles a rune that is not part of the escape or CSI grammar:
// terminals execute C0 controls in the middle of a sequence and carry on,
// CAN and SUB cancel it, ESC and C1 controls start a new one, and anything
// else aborts it and is shown as text.
func control(state seqState, r rune) (seqState, bool) {
	switch {
	case r == can || r == sub:
		return ground, false
	case r == esc:
		return escape, false
	case r < 0x20 || r == del:
		return state, false
	}
	return ground, true
}
