// Package testclock holds clocks for tests, shared safely by the code
// under test and the test: Clock, the wall clock plus an offset the test
// moves forward (to age tokens, codes and links), and Fake, a clock that
// moves only when the test or the code's own waits move it, with timers
// (for rate limits and session limits proved without waiting for them).
package testclock

import (
	"sync"
	"time"
)

// Clock is the wall clock moved forward by every Advance so far. The zero
// value reads the wall clock.
type Clock struct {
	mu  sync.Mutex
	off time.Duration
}

// Now is the wall clock plus the offset.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.off += d
}
