// Limits on connections and sessions: per remote IP before authentication,
// per account after it, and the keypress-driven idle clock.
package sshserver

import (
	"net"
	"sync"
	"time"
)

// counter counts holders per key, up to a maximum (0: no maximum).
type counter struct {
	max int
	mu  sync.Mutex
	n   map[string]int
}

func newCounter(max int) *counter { return &counter{max: max, n: map[string]int{}} }

// acquire takes one slot for key; the returned release gives it back and is
// safe to call more than once. ok is false when key already holds max slots.
func (c *counter) acquire(key string) (release func(), ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.max > 0 && c.n[key] >= c.max {
		return nil, false
	}
	c.n[key]++
	var once sync.Once
	return func() {
		once.Do(func() {
			c.mu.Lock()
			defer c.mu.Unlock()
			if c.n[key]--; c.n[key] <= 0 {
				delete(c.n, key)
			}
		})
	}, true
}

// ipKey is the counting key of a remote address: its IP, without the port.
func ipKey(addr net.Addr) string {
	if tcp, ok := addr.(*net.TCPAddr); ok {
		return tcp.IP.String()
	}
	host, _, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	return host
}

// countedConn gives its slot back when the connection closes, whichever side
// closes it.
type countedConn struct {
	net.Conn
	release func()
}

func (c *countedConn) Close() error {
	c.release()
	return c.Conn.Close()
}

// idleClock fires expire once no keypress has been seen for d. Only the TUI
// reports keypresses (touch): screen redraws and terminal replies are output
// or protocol noise, not a person at the keyboard.
type idleClock struct {
	clock  clock
	d      time.Duration
	mu     sync.Mutex
	last   time.Time
	timer  timer
	done   bool
	expire func()
}

// newIdleClock starts the clock; d <= 0 never expires.
func newIdleClock(clk clock, d time.Duration, expire func()) *idleClock {
	c := &idleClock{clock: clk, d: d, last: clk.Now(), expire: expire}
	if d > 0 {
		c.timer = clk.AfterFunc(d, c.check)
	}
	return c
}

func (c *idleClock) touch() {
	c.mu.Lock()
	c.last = c.clock.Now()
	c.mu.Unlock()
}

// check runs when the timer fires: a keypress since it was set pushes the
// deadline out instead of resetting the timer on every key.
func (c *idleClock) check() {
	c.mu.Lock()
	if c.done {
		c.mu.Unlock()
		return
	}
	left := c.d - c.clock.Now().Sub(c.last)
	if left > 0 {
		c.timer.Reset(left)
		c.mu.Unlock()
		return
	}
	c.done = true
	c.mu.Unlock()
	c.expire()
}

func (c *idleClock) stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.done = true
	if c.timer != nil {
		c.timer.Stop()
	}
}
