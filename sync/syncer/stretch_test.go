package syncer

import (
	"testing"
	"time"

	"github.com/stockroom/stockroom/etsy"
	"github.com/stockroom/stockroom/store"
)

var (
	stretchNow = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	busyShop   = store.Store{ReceiptsCursor: stretchNow.Add(-time.Hour)}      // sold an hour ago
	quietShop  = store.Store{ReceiptsCursor: stretchNow.Add(-48 * time.Hour)} // no sale for two days
	neverSold  = store.Store{}
)

func budgetLeft(perDay, left int) etsy.Budget {
	return etsy.Budget{Known: true, PerDay: perDay, RemainingToday: left}
}

// As the day's budget runs down, quiet shops slow before busy ones, no
// shop ever speeds up, and a full or unknown budget slows nobody.
func TestStretchSlowsQuietShopsFirst(t *testing.T) {
	const perDay = 10000
	if got := stretch(etsy.Budget{}, quietShop, stretchNow); got != 1 {
		t.Errorf("limits not yet known: a quiet shop waits %d intervals, want 1", got)
	}
	if got := stretch(budgetLeft(perDay, perDay), quietShop, stretchNow); got != 1 {
		t.Errorf("a full budget: a quiet shop waits %d intervals, want 1", got)
	}

	quietSlowsAt, busySlowsAt := -1, -1 // the most calls left at which each is slowed
	prevBusy, prevQuiet := 1, 1
	for left := perDay; left >= 0; left -= perDay / 200 {
		b := budgetLeft(perDay, left)
		busy, quiet := stretch(b, busyShop, stretchNow), stretch(b, quietShop, stretchNow)
		if never := stretch(b, neverSold, stretchNow); never != quiet {
			t.Errorf("%d left: a shop that never sold waits %d intervals, a quiet one %d", left, never, quiet)
		}
		if quiet < busy {
			t.Errorf("%d left: a quiet shop waits %d intervals, less than a busy one's %d", left, quiet, busy)
		}
		if busy < prevBusy || quiet < prevQuiet {
			t.Errorf("%d left: a shop sped up as the budget fell (busy %d→%d, quiet %d→%d)", left, prevBusy, busy, prevQuiet, quiet)
		}
		prevBusy, prevQuiet = busy, quiet
		if quiet > 1 && quietSlowsAt < 0 {
			quietSlowsAt = left
		}
		if busy > 1 && busySlowsAt < 0 {
			busySlowsAt = left
		}
	}
	if quietSlowsAt < 0 || busySlowsAt < 0 {
		t.Fatalf("an empty budget slowed quiet shops at %d left and busy ones at %d: some shop was never slowed", quietSlowsAt, busySlowsAt)
	}
	if quietSlowsAt <= busySlowsAt {
		t.Errorf("quiet shops slow at %d calls left, busy ones at %d: quiet ones must slow first", quietSlowsAt, busySlowsAt)
	}
	if busySlowsAt >= perDay/2 {
		t.Errorf("busy shops slow with %d of %d calls left: more than half left should not slow a shop that sells", busySlowsAt, perDay)
	}
	if prevBusy <= 1 || prevQuiet <= prevBusy {
		t.Errorf("an empty budget: busy shops wait %d intervals, quiet ones %d", prevBusy, prevQuiet)
	}
}

// spendDay runs a day of scheduled syncs of one shop, each costing cost
// calls, every interval stretched by factor, and returns the calls left
// at the day's end (negative: the syncs overspent the day).
func spendDay(perDay, cost int, interval time.Duration, st store.Store, factor func(etsy.Budget, store.Store, time.Time) int) int {
	left := perDay
	for at := time.Duration(0); at < 24*time.Hour; {
		left -= cost
		at += interval * time.Duration(factor(budgetLeft(perDay, left), st, stretchNow))
	}
	return left
}

// Syncs that unstretched would spend a day and a quarter's budget leave
// calls for pushes when stretched, a quiet shop more than a busy one.
func TestStretchKeepsCallsForPushes(t *testing.T) {
	const perDay, interval = 10000, 15 * time.Minute
	cost := perDay * 5 / 4 / int(24*time.Hour/interval) // a day and a quarter's budget at one sync an interval
	unstretched := func(etsy.Budget, store.Store, time.Time) int { return 1 }
	if left := spendDay(perDay, cost, interval, busyShop, unstretched); left >= 0 {
		t.Fatalf("unstretched syncs leave %d calls: the scenario does not need stretching", left)
	}
	busyLeft := spendDay(perDay, cost, interval, busyShop, stretch)
	quietLeft := spendDay(perDay, cost, interval, quietShop, stretch)
	if busyLeft < perDay/100 {
		t.Errorf("a busy shop's syncs leave %d of %d calls for pushes, want at least 1%%", busyLeft, perDay)
	}
	if quietLeft <= busyLeft {
		t.Errorf("a quiet shop's syncs leave %d calls, a busy one's %d: the quiet one should spend less", quietLeft, busyLeft)
	}
}
