package syncer

import (
	"testing"
	"time"

	"github.com/stockroom/stockroom/etsy"
	"github.com/stockroom/stockroom/store"
)

// As a shop's daily Etsy budget runs low, quiet shops (no sale for a day)
// slow down first, then every shop; pushes are never stretched, so they
// keep the calls that are left.
func TestStretchSlowsQuietShopsFirst(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	busy := store.Store{ReceiptsCursor: now.Add(-time.Hour)}
	quiet := store.Store{ReceiptsCursor: now.Add(-48 * time.Hour)}
	budget := func(left int) etsy.Budget {
		return etsy.Budget{Known: true, PerDay: 10000, RemainingToday: left}
	}
	cases := []struct {
		name        string
		b           etsy.Budget
		busy, quiet int
	}{
		{"limits not yet known", etsy.Budget{}, 1, 1},
		{"plenty left", budget(8000), 1, 1},
		{"under half left", budget(4000), 1, 2},
		{"under a quarter left", budget(2000), 2, 4},
		{"nearly spent", budget(300), 4, 16},
	}
	for _, c := range cases {
		if got := stretch(c.b, busy, now); got != c.busy {
			t.Errorf("%s: a busy shop waits %d intervals, want %d", c.name, got, c.busy)
		}
		if got := stretch(c.b, quiet, now); got != c.quiet {
			t.Errorf("%s: a quiet shop waits %d intervals, want %d", c.name, got, c.quiet)
		}
	}
}
