package testclock

import (
	"testing"
	"time"
)

func TestAdvanceMovesNowForward(t *testing.T) {
	var c Clock
	before := time.Now()
	c.Advance(time.Hour)
	if got := c.Now(); got.Before(before.Add(time.Hour)) || got.After(time.Now().Add(time.Hour)) {
		t.Fatalf("Now after Advance(1h) = %v, want within an hour of %v", got, before.Add(time.Hour))
	}
}
