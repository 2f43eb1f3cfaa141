// A listing title that tries to drive the seller's terminal: renamed on
// Etsy.com, re-read by a manual sync, then shown by the TUI and the commands.
// The terminal must get the words and none of the sequences.
package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	gossh "golang.org/x/crypto/ssh"
)

// hostileTitle holds every kind of sequence a title can smuggle: OSC 52
// (write the clipboard), OSC 8 (a hyperlink around "link"), CSI 2J (clear
// the screen), CSI 6n (make the terminal type a reply into the session) and
// the 8-bit CSI. The 8-bit form travels as U+009B: Etsy's API is JSON, and
// JSON cannot carry a lone 0x9b byte (decoders turn it into U+FFFD).
const hostileTitle = "Mug \x1b]52;c;SGVsbG8=\x07 \x1b]8;;http://evil.example\x1b\\link\x1b]8;;\x1b\\ \x1b[2J \x1b[6n \u009b2J end"

// editOnEtsy changes a listing the way its seller would on Etsy.com,
// through the sandbox's admin surface.
func editOnEtsy(t testing.TB, s *server, shopID, listingID int64, edit map[string]any) {
	t.Helper()
	edit["shop_id"], edit["listing_id"] = shopID, listingID
	s.sandboxAdmin(t, "listing", edit, fmt.Sprintf("editing listing %d", listingID))
}

// etsyShopID is the Etsy id of the account's only store.
func etsyShopID(t *testing.T, c *gossh.Client) int64 {
	t.Helper()
	stores := decode[[]struct {
		EtsyShopID int64 `json:"etsy_shop_id"`
	}](t, run(t, c, "stores --format json", ""))
	if len(stores) != 1 || stores[0].EtsyShopID == 0 {
		t.Fatalf("stores: %+v", stores)
	}
	return stores[0].EtsyShopID
}

// terminalControls lists what in out a terminal would act on rather than
// display: any OSC, the two CSIs of the title, BEL, and C1 controls in
// either encoding (U+0080..U+009F as UTF-8, or a raw byte 0x80..0x9f that
// is not part of a UTF-8 character, which a Latin-1 terminal reads as C1).
func terminalControls(out string) []string {
	var found []string
	for _, seq := range []string{"\x1b]", "\x1b[2J", "\x1b[6n", "\a"} {
		if n := strings.Count(out, seq); n > 0 {
			found = append(found, fmt.Sprintf("%q ×%d", seq, n))
		}
	}
	for i := 0; i < len(out); {
		r, size := utf8.DecodeRuneInString(out[i:])
		switch {
		case r >= 0x80 && r <= 0x9f:
			found = append(found, fmt.Sprintf("U+%04X at byte %d", r, i))
		case r == utf8.RuneError && size == 1 && out[i] >= 0x80 && out[i] <= 0x9f:
			found = append(found, fmt.Sprintf("raw byte %#x at %d", out[i], i))
		}
		i += size
	}
	return found
}

func TestHostileTitleNeverReachesTheTerminal(t *testing.T) {
	s := startServer(t)
	_, c, shopRows := s.seller(t, "Rosa", "")
	target := pickRow(t, shopRows)

	editOnEtsy(t, s, etsyShopID(t, c), target.ListingID, map[string]any{"title": hostileTitle})
	if r := run(t, c, "sync --wait", ""); r.code != 0 {
		t.Fatalf("sync --wait: %s", r)
	}

	// JSON is for programs: the exact title, with the C0 controls escaped
	// (\u001b, \u0007), so no 7-bit sequence can start when it is printed.
	js := run(t, c, "inventory --format json --filter "+target.SKU, "")
	rows := decode[[]row](t, js)
	if len(rows) != 1 || rows[0].Title != hostileTitle {
		t.Fatalf("inventory --format json after the sync: %+v, want one row titled %q", rows, hostileTitle)
	}
	if strings.ContainsAny(js.stdout, "\x1b\a") {
		t.Errorf("inventory --format json writes raw ESC or BEL: %q", js.stdout)
	}

	// The table is for people: the words, none of the sequences.
	table := run(t, c, "inventory --format table --filter "+target.SKU, "")
	if table.code != 0 {
		t.Fatalf("inventory --format table: %s", table)
	}
	if bad := terminalControls(table.stdout); len(bad) > 0 || strings.Contains(table.stdout, "\x1b") {
		t.Errorf("inventory table passes terminal controls %v:\n%q", bad, table.stdout)
	}
	for _, word := range []string{"Mug", "link", "end", target.SKU} {
		if !strings.Contains(table.stdout, word) {
			t.Errorf("inventory table lacks %q:\n%s", word, table.stdout)
		}
	}

	// The TUI. Bubble Tea itself writes, once, before the first frame: the
	// OSC 11 query for the background colour, OSC 2 for the window title
	// (tui.go sets "Stockroom"), and CSI H CSI 2J to clear the alternate
	// screen. So the stream is checked twice:
	//   - from the moment the filter prompt is open to the filtered frame,
	//     the bytes that draw the renamed row (they must hold its words,
	//     or the check would prove nothing): no terminal control at all;
	//   - the whole session: nothing but those three of Bubble Tea's own,
	//     each exactly as Bubble Tea writes it and before that moment.
	tm := openTerm(t, c, "inventory", 160, 40)
	// Keys typed before the rows load are dropped: wait for them.
	tm.waitFor(t, "rows · sorted by", 10*time.Second)
	tm.send(t, "/")
	tm.waitFor(t, "enter apply", 5*time.Second)
	mark := len(tm.Raw())
	tm.send(t, target.SKU, "\r")
	sc := tm.waitUntil(t, "the renamed row selected", 5*time.Second, func(sc string) bool {
		return selectedLine(sc, target.SKU) && strings.Contains(sc, "e edit stock")
	})
	raw := tm.Raw()
	drawn := raw[mark:]
	if bad := terminalControls(drawn); len(bad) > 0 {
		t.Errorf("drawing the renamed row sent terminal controls %v:\n%q", bad, drawn)
	}
	var line string
	for _, l := range strings.Split(sc, "\n") {
		if selectedLine(l, target.SKU) {
			line = l
		}
	}
	for _, word := range []string{"Mug", "link", "end"} {
		if !strings.Contains(drawn, word) {
			t.Fatalf("the bytes after the filter do not draw %q, so they are not the renamed row's:\n%q", word, drawn)
		}
		if !strings.Contains(line, word) {
			t.Errorf("the selected row %q lacks %q; screen:\n%s", line, word, sc)
		}
	}
	before := raw[:mark]
	for _, own := range []string{"\x1b]11;?\a", "\x1b]2;Stockroom\a", "\x1b[H\x1b[2J"} {
		if !strings.Contains(before, own) {
			t.Logf("Bubble Tea no longer writes %q at start", own)
		}
		before = strings.Replace(before, own, "", 1)
	}
	if bad := terminalControls(before); len(bad) > 0 {
		t.Errorf("the session sent terminal controls of its own making %v before the filter:\n%q", bad, before)
	}
}

// The checks above are only as good as the detector: it must see every
// sequence the title carries, and the 8-bit CSI as a raw byte too.
func TestTerminalControlsSeesEverySequence(t *testing.T) {
	got := strings.Join(terminalControls(hostileTitle), " ")
	for _, want := range []string{`"\x1b]" ×3`, `"\x1b[2J" ×1`, `"\x1b[6n" ×1`, `"\a" ×1`, "U+009B"} {
		if !strings.Contains(got, want) {
			t.Errorf("terminalControls(hostileTitle) = %s; lacks %s", got, want)
		}
	}
	if got := terminalControls("a \x9b2J ▛ b"); len(got) != 1 || !strings.Contains(got[0], "raw byte 0x9b") {
		t.Errorf("a raw 8-bit CSI beside U+259B (E2 96 9B) gives %v, want that one raw byte", got)
	}
}
