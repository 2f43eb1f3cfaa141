// This file enforces Etsy's two rate limits: calls per second and calls per
// rolling 24 hours, counted per access token or per API key.

package sandbox

import (
	"net/http"
	"strconv"
	"time"
)

type bucket struct {
	second     int64       // the unix second sameSecond counts
	sameSecond int         // calls in that second
	day        []time.Time // call times inside the rolling day, oldest first
}

func (s *Sandbox) rateLimit(w http.ResponseWriter, r *http.Request, c *call) bool {
	if s.cfg.PerSecond <= 0 && s.cfg.PerDay <= 0 {
		return true
	}
	key := "key"
	if s.cfg.Mode == PerToken && c.user != 0 {
		key = "token:" + r.Header.Get("Authorization")
	}
	now := s.now()
	s.mu.Lock()
	b := s.limits[key]
	if b == nil {
		b = &bucket{}
		s.limits[key] = b
	}
	if b.second != now.Unix() {
		b.second, b.sameSecond = now.Unix(), 0
	}
	cut := now.Add(-24 * time.Hour)
	drop := 0
	for drop < len(b.day) && !b.day[drop].After(cut) {
		drop++
	}
	b.day = b.day[drop:]
	var denied string
	var retry int64
	switch {
	case s.cfg.PerSecond > 0 && b.sameSecond >= s.cfg.PerSecond:
		denied, retry = "Exceeded per second rate limit", 1
	case s.cfg.PerDay > 0 && len(b.day) >= s.cfg.PerDay:
		denied = "Exceeded daily rate limit"
		retry = int64(b.day[0].Add(24*time.Hour).Sub(now)/time.Second) + 1
	default:
		b.sameSecond++
		if s.cfg.PerDay > 0 {
			b.day = append(b.day, now)
		}
	}
	remainSecond, remainDay := s.cfg.PerSecond-b.sameSecond, s.cfg.PerDay-len(b.day)
	s.mu.Unlock()

	if denied != "" {
		w.Header().Set("Retry-After", strconv.FormatInt(retry, 10))
		writeError(w, http.StatusTooManyRequests, denied)
		return false
	}
	h := w.Header()
	if s.cfg.PerSecond > 0 {
		h.Set("X-Limit-Per-Second", strconv.Itoa(s.cfg.PerSecond))
		h.Set("X-Remaining-This-Second", strconv.Itoa(remainSecond))
	}
	if s.cfg.PerDay > 0 {
		h.Set("X-Limit-Per-Day", strconv.Itoa(s.cfg.PerDay))
		h.Set("X-Remaining-Today", strconv.Itoa(remainDay))
	}
	return true
}
