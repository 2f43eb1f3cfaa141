// Live updates: two sessions of one store see each other's edits without
// a keypress.
package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// quantityOnScreen is the quantity the screen's row of sku shows, -1 when
// the row is not on screen.
func quantityOnScreen(screen, sku string) int {
	for _, l := range strings.Split(screen, "\n") {
		f := strings.Fields(l)
		for i := 0; i+1 < len(f); i++ {
			if f[i] == sku {
				var q int
				if _, err := fmt.Sscanf(f[i+1], "%d", &q); err == nil {
					return q
				}
			}
		}
	}
	return -1
}

func TestSessionsSeeEachOthersEditsLive(t *testing.T) {
	s := startServer(t)
	key, c, shopRows := s.seller(t, "Ines", "")
	target := pickRow(t, shopRows)

	a := openTerm(t, s.dial(t, key), "inventory", 160, 40)
	b := openTerm(t, s.dial(t, key), "inventory", 160, 40)
	for _, tm := range []*term{a, b} {
		// Keys typed before the rows load are dropped: wait for them.
		tm.waitFor(t, "rows · sorted by", 10*time.Second)
	}
	// B shows the row, then only watches.
	b.send(t, "/")
	b.waitFor(t, "enter apply", 5*time.Second)
	b.send(t, target.SKU, "\r")
	b.waitUntil(t, "the row", 5*time.Second, func(sc string) bool {
		return quantityOnScreen(sc, target.SKU) == target.Quantity && strings.Contains(sc, "e edit stock")
	})

	for i, want := range []int{target.Quantity + 3, target.Quantity + 11} {
		if i == 0 {
			editInTUI(t, a, target.SKU, want)
		} else {
			// The second change comes from a command, not a screen.
			if r := run(t, c, fmt.Sprintf("stock set %s %d", target.SKU, want), ""); r.code != 0 {
				t.Fatalf("stock set: %s", r)
			}
		}
		start := time.Now()
		b.waitUntil(t, fmt.Sprintf("%s at %d", target.SKU, want), 2*time.Second, func(sc string) bool {
			return quantityOnScreen(sc, target.SKU) == want
		})
		t.Logf("session B showed %d %s after the edit", want, time.Since(start).Round(time.Millisecond))
	}
}
