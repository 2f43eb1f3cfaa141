package sshserver

import (
	"testing"
	"time"

	"github.com/stockroom/stockroom/internal/testclock"
)

// fakeClock is testclock's fake as the limits' clock: it moves only when a
// test advances it, and once Advance returns every limit that was due has
// acted.
type fakeClock struct{ *testclock.Fake }

func newFakeClock() fakeClock {
	return fakeClock{testclock.NewFake(time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC))}
}

func (c fakeClock) AfterFunc(d time.Duration, f func()) timer { return c.Fake.AfterFunc(d, f) }

func TestIdleClockExpiresAfterAQuietSpellNotBefore(t *testing.T) {
	clk := newFakeClock()
	expired := 0
	idle := newIdleClock(clk, time.Minute, func() { expired++ })
	defer idle.stop()

	// A keypress every 20s keeps it open for well past a minute.
	for range 9 {
		clk.Advance(20 * time.Second)
		idle.touch()
	}
	if expired != 0 {
		t.Fatalf("expired %d times while keys were pressed", expired)
	}
	clk.Advance(59 * time.Second)
	if expired != 0 {
		t.Fatal("expired 59s after the last keypress")
	}
	clk.Advance(time.Second)
	if expired != 1 {
		t.Fatalf("expired %d times a minute after the last keypress", expired)
	}
	clk.Advance(time.Hour)
	if expired != 1 {
		t.Fatalf("expired %d times: once is enough", expired)
	}
}

func TestIdleClockStoppedNeverExpires(t *testing.T) {
	clk := newFakeClock()
	idle := newIdleClock(clk, time.Minute, func() { t.Fatal("a stopped idle clock expired") })
	idle.stop()
	clk.Advance(time.Hour)
}
