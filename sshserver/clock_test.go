package sshserver

import (
	"sync"
	"testing"
	"time"
)

// fakeClock moves only when a test advances it, running due timers in
// order, synchronously: once Advance returns, every limit that was due has
// acted.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	c    *fakeClock
	at   time.Time
	f    func()
	live bool
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{c: c, at: c.now.Add(d), f: f, live: true}
	c.timers = append(c.timers, t)
	return t
}

// Advance moves the clock by d, firing each timer that falls due on the
// way at its own time (a timer a callback resets fires again if it is
// still within d).
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	end := c.now.Add(d)
	for {
		var next *fakeTimer
		for _, t := range c.timers {
			if t.live && !t.at.After(end) && (next == nil || t.at.Before(next.at)) {
				next = t
			}
		}
		if next == nil {
			break
		}
		next.live = false
		c.now = next.at
		c.mu.Unlock()
		next.f()
		c.mu.Lock()
	}
	c.now = end
	c.mu.Unlock()
}

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := t.live
	t.live = false
	return was
}

func (t *fakeTimer) Reset(d time.Duration) bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := t.live
	t.at, t.live = t.c.now.Add(d), true
	return was
}

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
