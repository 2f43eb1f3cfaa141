// Points in time as people type them, for the commands' --since and
// --until and the Activity screen's since: and until: alike.
package app

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// maxDaysBack bounds 7d and 12h: a century, far past any ledger, and far
// from overflowing a time.Duration.
const maxDaysBack = 36500

// ParseWhen reads v relative to now: days back (7d), hours back (12h), a
// date (2026-03-01, UTC) or an RFC 3339 time. As an upper bound (until), a
// date means the end of that day, so "until 2026-03-14" includes the 14th.
func ParseWhen(v string, now time.Time, until bool) (time.Time, error) {
	v = strings.TrimSpace(v)
	if n, ok := strings.CutSuffix(v, "d"); ok {
		if d, err := strconv.Atoi(n); err == nil && d >= 0 && d <= maxDaysBack {
			return now.AddDate(0, 0, -d), nil
		}
	}
	if n, ok := strings.CutSuffix(v, "h"); ok {
		if h, err := strconv.Atoi(n); err == nil && h >= 0 && h <= maxDaysBack*24 {
			return now.Add(-time.Duration(h) * time.Hour), nil
		}
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		if until {
			t = t.AddDate(0, 0, 1)
		}
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q: want days (7d), hours (12h), a date (2026-03-01) or an RFC 3339 time", v)
}
