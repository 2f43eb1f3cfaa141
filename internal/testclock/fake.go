package testclock

import (
	"context"
	"sync"
	"time"
)

// Fake is a clock that moves only when a test moves it (Advance, or a
// Sleep of the code under test), firing its AfterFunc timers in order,
// synchronously: once Advance returns, every timer that fell due has run.
type Fake struct {
	mu     sync.Mutex
	now    time.Time
	timers []*Timer
}

// NewFake returns a fake clock reading start.
func NewFake(start time.Time) *Fake { return &Fake{now: start} }

// Now is the fake time.
func (c *Fake) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Sleep is time passing for the code under test: the clock moves by d at
// once, and only ctx's end is waited for.
func (c *Fake) Sleep(ctx context.Context, d time.Duration) error {
	if d > 0 {
		c.Advance(d)
	}
	return ctx.Err()
}

// AfterFunc runs f in Advance once the clock reaches d from now.
func (c *Fake) AfterFunc(d time.Duration, f func()) *Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &Timer{c: c, at: c.now.Add(d), f: f, live: true}
	c.timers = append(c.timers, t)
	return t
}

// Advance moves the clock by d, firing each timer that falls due on the
// way at its own time (a timer a callback resets fires again if it is
// still within d).
func (c *Fake) Advance(d time.Duration) {
	c.mu.Lock()
	end := c.now.Add(d)
	for {
		var next *Timer
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

// Timer is a Fake's AfterFunc, stopped and reset as a *time.Timer is.
type Timer struct {
	c    *Fake
	at   time.Time
	f    func()
	live bool
}

// Stop keeps the timer from firing; it reports whether it was still to.
func (t *Timer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := t.live
	t.live = false
	return was
}

// Reset has the timer fire d from now; it reports whether it was still to.
func (t *Timer) Reset(d time.Duration) bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := t.live
	t.at, t.live = t.c.now.Add(d), true
	return was
}
