package app_test

import (
	"testing"
	"time"

	"github.com/stockroom/stockroom/app"
)

func TestParseWhen(t *testing.T) {
	now := time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		in    string
		until bool
		want  time.Time
	}{
		{"7d", false, now.AddDate(0, 0, -7)},
		{" 12h ", true, now.Add(-12 * time.Hour)},
		{"2026-03-01", false, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)},
		{"2026-03-01", true, time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)},
		{"2026-03-01T10:00:00+01:00", true, time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)},
	} {
		got, err := app.ParseWhen(c.in, now, c.until)
		if err != nil || !got.Equal(c.want) {
			t.Errorf("ParseWhen(%q, until=%v) = %v, %v; want %v", c.in, c.until, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "yesterday", "-1d", "36501d", "99999999999h", "2026-13-01"} {
		if got, err := app.ParseWhen(bad, now, false); err == nil {
			t.Errorf("ParseWhen(%q) = %v, want an error", bad, got)
		}
	}
}
