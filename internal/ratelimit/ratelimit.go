// Package ratelimit counts events per key in fixed windows: enough to stop
// guessing one-time codes and to keep an attack from flooding the log, with
// no goroutine and a clock the caller controls.
package ratelimit

import (
	"sync"
	"time"
)

// Limiter allows Limit events per key in each Window.
type Limiter struct {
	limit  int
	window time.Duration
	now    func() time.Time

	mu    sync.Mutex
	seen  map[string]*slot
	swept time.Time
}

type slot struct {
	start time.Time
	n     int
}

// New makes a limiter; now may be nil for the wall clock.
func New(limit int, window time.Duration, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{limit: limit, window: window, now: now, seen: map[string]*slot{}}
}

// Allow counts one event for key and tells whether it is within the limit.
func (l *Limiter) Allow(key string) bool {
	ok, _ := l.AllowN(key)
	return ok
}

// AllowN is Allow that also says how many events of key this window has
// seen, this one included.
func (l *Limiter) AllowN(key string) (bool, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	t := l.now()
	// Windows that ended are dropped once a window, so the map holds only
	// keys seen recently.
	if t.Sub(l.swept) >= l.window {
		for k, s := range l.seen {
			if t.Sub(s.start) >= l.window {
				delete(l.seen, k)
			}
		}
		l.swept = t
	}
	s := l.seen[key]
	if s == nil || t.Sub(s.start) >= l.window {
		s = &slot{start: t}
		l.seen[key] = s
	}
	s.n++
	return s.n <= l.limit, s.n
}
