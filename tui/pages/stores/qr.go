// QR codes drawn with half-block characters, two modules per character
// cell, so a phone can scan the connect link straight off the terminal.
package stores

import (
	"strings"

	"rsc.io/qr"
)

// quiet is the light margin, in modules, scanners need around the code.
const quiet = 2

// QR draws text as a QR code: light modules (and the quiet zone) are block
// characters in the terminal's foreground, dark modules are blank cells.
// On the usual light-on-dark terminal that is a normal code; on a
// dark-on-light one it is inverted, which phone cameras read too. It
// returns "" when text does not fit in a QR code.
func QR(text string) string {
	code, err := qr.Encode(text, qr.L)
	if err != nil {
		return ""
	}
	n := code.Size + 2*quiet
	// light reports whether module (x, y) of the padded code is light.
	light := func(x, y int) bool {
		x, y = x-quiet, y-quiet
		if x < 0 || y < 0 || x >= code.Size || y >= code.Size {
			return true
		}
		return !code.Black(x, y)
	}
	var b strings.Builder
	b.Grow(n * (n/2 + 1) * 3)
	for y := 0; y < n; y += 2 {
		for x := range n {
			top, bottom := light(x, y), y+1 < n && light(x, y+1)
			switch {
			case top && bottom:
				b.WriteString("█")
			case top:
				b.WriteString("▀")
			case bottom:
				b.WriteString("▄")
			default:
				b.WriteByte(' ')
			}
		}
		if y+2 < n {
			b.WriteByte('\n')
		}
	}
	return b.String()
}
