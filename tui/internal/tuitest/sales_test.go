package tuitest

import (
	"testing"
	"time"
)

// The bench shop's 50,000 receipts fall in order within the 30 days
// before Epoch, the last within a minute of it.
func TestSalesSpreadOverThirtyDays(t *testing.T) {
	const n = 50_000
	first := Epoch.Add(-30 * 24 * time.Hour)
	prev := first.Add(-time.Nanosecond)
	for r := range n {
		at := saleAt(r, n)
		if at.Before(first) || !at.Before(Epoch) || !at.After(prev) {
			t.Fatalf("receipt %d of %d at %v: want after %v, within [%v, %v)", r, n, at, prev, first, Epoch)
		}
		prev = at
	}
	if Epoch.Sub(prev) > time.Minute {
		t.Fatalf("the last receipt at %v, %v before Epoch", prev, Epoch.Sub(prev))
	}
}
