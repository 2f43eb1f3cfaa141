// Per-key rate limiting learned from Etsy's response headers: a pacer that
// keeps calls under the per-second limit, a stop when the day's budget is
// spent, a hold after a 429, and a call counter for the sync log.
package etsy

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

const (
	// cautiousPerSecond paces a key until Etsy's headers tell its real limit;
	// every limit seen in the wild is at least this high.
	cautiousPerSecond = 5
	// dailyProbeInterval is how long a key whose day budget reads 0 stays
	// silent before one call probes again: the window slides, so budget comes
	// back gradually, and only a call can tell how much.
	dailyProbeInterval = 10 * time.Minute
	// perSecondHold is the hold after a per-second 429 without retry-after.
	perSecondHold = time.Second
)

// Budget is what Stockroom knows of one key's Etsy rate limits.
type Budget struct {
	PerSecond      int
	PerDay         int
	RemainingToday int
	// Known is false until a response carried Etsy's limit headers; the
	// numbers are then zero and calls are paced cautiously.
	Known     bool
	UpdatedAt time.Time
	// BlockedUntil is set after a 429 (or a spent day budget): calls for the
	// key are refused until then.
	BlockedUntil time.Time
}

type keyState struct {
	perSecond      int
	perDay         int
	remainingToday int
	dayKnown       bool // remainingToday came from a header
	known          bool
	updatedAt      time.Time
	next           time.Time // earliest start of the next call
	blockedUntil   time.Time
	blockedDaily   bool
	calls          int64
	// recent holds the start times of the latest calls, at most the
	// per-second limit of them, to tell when a spent second frees up.
	recent []time.Time
}

type limiter struct {
	now func() time.Time

	mu      sync.Mutex
	keys    map[string]*keyState
	appRate float64
	appNext time.Time
}

func newLimiter(now func() time.Time, appMaxPerSecond float64) *limiter {
	return &limiter{now: now, keys: make(map[string]*keyState), appRate: appMaxPerSecond}
}

func (l *limiter) state(key string) *keyState {
	st, ok := l.keys[key]
	if !ok {
		st = &keyState{}
		l.keys[key] = st
	}
	return st
}

// reserve books the next slot for key and returns how long to wait for it,
// or a RateLimitError when the key must not call at all right now.
func (l *limiter) reserve(key string) (time.Duration, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	st := l.state(key)

	if now.Before(st.blockedUntil) {
		return 0, &RateLimitError{RetryAfter: st.blockedUntil.Sub(now), Daily: st.blockedDaily}
	}
	if st.dayKnown && st.remainingToday <= 0 {
		probeAt := st.updatedAt.Add(dailyProbeInterval)
		if now.Before(probeAt) {
			return 0, &RateLimitError{RetryAfter: probeAt.Sub(now), Daily: true, Message: "daily budget spent"}
		}
		// Let this one call through; its headers refresh the budget.
		st.updatedAt = now
	}

	perSecond := st.perSecond
	if !st.known || perSecond <= 0 {
		perSecond = cautiousPerSecond
	}
	slot := now
	if st.next.After(slot) {
		slot = st.next
	}
	if l.appRate > 0 && l.appNext.After(slot) {
		slot = l.appNext
	}
	st.next = slot.Add(time.Second / time.Duration(perSecond))
	st.recent = append(st.recent, slot)
	if len(st.recent) > perSecond {
		st.recent = append(st.recent[:0], st.recent[len(st.recent)-perSecond:]...)
	}
	if l.appRate > 0 {
		l.appNext = slot.Add(time.Duration(float64(time.Second) / l.appRate))
	}
	if st.dayKnown && st.remainingToday > 0 {
		// Counted now so that concurrent calls do not all spend the last unit;
		// the next response's header corrects the figure.
		st.remainingToday--
	}
	return slot.Sub(now), nil
}

func (l *limiter) countCall(key string) {
	l.mu.Lock()
	l.state(key).calls++
	l.mu.Unlock()
}

// observe learns the limits from a response's headers.
func (l *limiter) observe(key string, h http.Header) {
	perSecond, okPS := headerInt(h, "x-limit-per-second")
	remainingSecond, okRS := headerInt(h, "x-remaining-this-second")
	perDay, okPD := headerInt(h, "x-limit-per-day")
	remainingToday, okRT := headerInt(h, "x-remaining-today")
	if !okPS && !okRS && !okPD && !okRT {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	st := l.state(key)
	st.known = true
	st.updatedAt = now
	if okPS {
		st.perSecond = perSecond
	}
	if okPD {
		st.perDay = perDay
	}
	if okRT {
		st.remainingToday = remainingToday
		st.dayKnown = true
	}
	if okRS && remainingSecond <= 0 {
		// Etsy's second is spent: no call until the oldest of the last
		// limit-many calls is a second old. That is right whether Etsy counts
		// a sliding second or calendar seconds, and costs no throughput when
		// our own pacing spent it; without that history, wait a whole second.
		hold := now.Add(time.Second)
		if n := st.perSecond; n > 0 && len(st.recent) >= n {
			hold = st.recent[len(st.recent)-n].Add(time.Second)
		}
		if hold.After(st.next) {
			st.next = hold
		}
	}
}

// block holds key back after a 429.
func (l *limiter) block(key string, retryAfter time.Duration, daily bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	st := l.state(key)
	until := now.Add(retryAfter)
	if until.After(st.blockedUntil) {
		st.blockedUntil = until
		st.blockedDaily = daily
	}
	if daily {
		st.remainingToday = 0
		st.dayKnown = true
		st.updatedAt = now
	}
}

func (l *limiter) budget(key string) Budget {
	l.mu.Lock()
	defer l.mu.Unlock()
	st, ok := l.keys[key]
	if !ok {
		return Budget{}
	}
	return Budget{
		PerSecond:      st.perSecond,
		PerDay:         st.perDay,
		RemainingToday: st.remainingToday,
		Known:          st.known,
		UpdatedAt:      st.updatedAt,
		BlockedUntil:   st.blockedUntil,
	}
}

func (l *limiter) calls(key string) int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if st, ok := l.keys[key]; ok {
		return st.calls
	}
	return 0
}

func headerInt(h http.Header, name string) (int, bool) {
	v := h.Get(name)
	if v == "" {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// parseRetryAfter reads retry-after as seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d, true
		}
		return 0, true
	}
	return 0, false
}
