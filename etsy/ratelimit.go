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
	// inFlight counts calls reserved against remainingToday whose answer
	// has not come back: Etsy may not have counted them yet, so a header's
	// remaining figure is lowered by them rather than taken as is.
	inFlight int
	// seq numbers the key's reservations; an answer to the latest one,
	// alone in flight, tells the exact figure (see observe).
	seq int64
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
	// dayShared: the day budget is kept in a Ledger, not here.
	dayShared bool
}

// newLimiter makes a limiter; shared says a Ledger keeps the day budget,
// so this one only paces.
func newLimiter(now func() time.Time, appMaxPerSecond float64, shared bool) *limiter {
	return &limiter{now: now, keys: make(map[string]*keyState), appRate: appMaxPerSecond, dayShared: shared}
}

func (l *limiter) state(key string) *keyState {
	st, ok := l.keys[key]
	if !ok {
		st = &keyState{}
		l.keys[key] = st
	}
	return st
}

// reservation is one booked call: its pacing slot and whether it took a
// unit of the day budget, so that a call never sent can give both back.
type reservation struct {
	key  string
	wait time.Duration
	slot time.Time
	// next and appNext are what the key's and the app's next slot were
	// before this one was booked.
	prevNext, prevAppNext time.Time
	nextAfter, appAfter   time.Time
	counted               bool
	done                  bool
	seq                   int64
}

// reserve books the next slot for key and says how long to wait for it,
// or returns a RateLimitError when the key must not call at all right now.
func (l *limiter) reserve(key string) (*reservation, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	st := l.state(key)

	if now.Before(st.blockedUntil) {
		return nil, &RateLimitError{RetryAfter: st.blockedUntil.Sub(now), Daily: st.blockedDaily}
	}
	if st.dayKnown && st.remainingToday <= 0 {
		probeAt := st.updatedAt.Add(dailyProbeInterval)
		if now.Before(probeAt) {
			return nil, &RateLimitError{RetryAfter: probeAt.Sub(now), Daily: true, Message: "daily budget spent"}
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
	st.seq++
	r := &reservation{key: key, slot: slot, wait: slot.Sub(now), prevNext: st.next, prevAppNext: l.appNext, seq: st.seq}
	st.next = slot.Add(time.Second / time.Duration(perSecond))
	r.nextAfter = st.next
	st.recent = append(st.recent, slot)
	if len(st.recent) > perSecond {
		st.recent = append(st.recent[:0], st.recent[len(st.recent)-perSecond:]...)
	}
	if l.appRate > 0 {
		l.appNext = slot.Add(time.Duration(float64(time.Second) / l.appRate))
		r.appAfter = l.appNext
	}
	if st.dayKnown {
		// Counted now so that concurrent calls do not all spend the last
		// unit; the answer's header corrects the figure.
		if st.remainingToday > 0 {
			st.remainingToday--
		}
		st.inFlight++
		r.counted = true
	}
	return r, nil
}

// release ends a reservation whose call told nothing of the budget. sent
// false means the call never went out (its wait was cancelled): its slot is
// handed back when no later call was booked after it, and its unit of the
// day budget is returned. sent true means it went out and failed without
// Etsy's headers: Etsy may have counted it, so the unit stays spent.
func (l *limiter) release(r *reservation, sent bool) {
	if r == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if r.done {
		return
	}
	r.done = true
	st := l.state(r.key)
	if r.counted {
		st.inFlight = max(st.inFlight-1, 0)
		if !sent {
			st.remainingToday++
		}
	}
	if sent {
		return
	}
	if st.next.Equal(r.nextAfter) {
		st.next = r.prevNext
		if i := len(st.recent) - 1; i >= 0 && st.recent[i].Equal(r.slot) {
			st.recent = st.recent[:i]
		}
	}
	if l.appRate > 0 && l.appNext.Equal(r.appAfter) {
		l.appNext = r.prevAppNext
	}
}

func (l *limiter) countCall(key string) {
	l.mu.Lock()
	l.state(key).calls++
	l.mu.Unlock()
}

// observe learns the limits from the headers of the answer to r's call.
func (l *limiter) observe(r *reservation, h http.Header) {
	key := r.key
	perSecond, okPS := headerInt(h, "x-limit-per-second")
	remainingSecond, okRS := headerInt(h, "x-remaining-this-second")
	perDay, okPD := headerInt(h, "x-limit-per-day")
	remainingToday, okRT := headerInt(h, "x-remaining-today")
	if !okPS && !okRS && !okPD && !okRT {
		l.release(r, true)
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	st := l.state(key)
	others := 0
	if r.counted && !r.done {
		others = max(st.inFlight-1, 0)
		st.inFlight = others
	}
	r.done = true
	st.known = true
	st.updatedAt = now
	if okPS {
		st.perSecond = perSecond
	}
	if okPD {
		st.perDay = perDay
	}
	if okRT {
		// Calls still in flight may not be in Etsy's figure yet: they
		// count as spent. And answers overtake each other, so only the
		// answer to the latest reservation, alone in flight, may raise the
		// figure; any other may be older than one already taken.
		fig := max(remainingToday-others, 0)
		if st.dayKnown && (st.seq != r.seq || others > 0) {
			fig = min(fig, st.remainingToday)
		}
		st.remainingToday = fig
		st.dayKnown = !l.dayShared
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
		st.dayKnown = !l.dayShared
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
