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

func TestFakeFiresDueTimersInOrderAtTheirTime(t *testing.T) {
	start := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	c := NewFake(start)
	var fired []time.Duration
	record := func() { fired = append(fired, c.Now().Sub(start)) }
	c.AfterFunc(3*time.Second, record)
	c.AfterFunc(time.Second, record)
	stopped := c.AfterFunc(2*time.Second, record)
	if !stopped.Stop() {
		t.Fatal("Stop of a pending timer reported it was not pending")
	}
	c.Advance(2 * time.Second)
	if len(fired) != 1 || fired[0] != time.Second {
		t.Fatalf("after 2s fired at %v, want [1s]", fired)
	}
	if err := c.Sleep(t.Context(), 2*time.Second); err != nil {
		t.Fatal(err)
	}
	if len(fired) != 2 || fired[1] != 3*time.Second || c.Now().Sub(start) != 4*time.Second {
		t.Fatalf("after 4s fired at %v (now +%v), want [1s 3s] at +4s", fired, c.Now().Sub(start))
	}
}
