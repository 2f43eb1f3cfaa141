package jobs_test

import (
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/stockroom/stockroom/jobs"
)

func attemptErrors(reasons ...string) []rivertype.AttemptError {
	out := make([]rivertype.AttemptError, len(reasons))
	for i, r := range reasons {
		out[i] = rivertype.AttemptError{Attempt: i + 1, Error: r}
	}
	return out
}

// A job rescued from four dead processes in a row, failing for the first
// time: its wait is the first failure's (about a second), not the fifth's
// (625 s), as River's own policy counts it.
func TestRetryAfterRescuesCountsOnlyFailures(t *testing.T) {
	now := time.Date(2026, 11, 30, 7, 30, 0, 0, time.UTC)
	p := jobs.RetryPolicy{Now: func() time.Time { return now }}
	r := jobs.RescueReason
	job := &rivertype.JobRow{Attempt: 5, Errors: attemptErrors(r, r, r, r)}
	if got := p.NextRetry(job).Sub(now); got < 900*time.Millisecond || got > 1100*time.Millisecond {
		t.Errorf("after 4 rescues, first failure waits %s, want about 1s", got)
	}
	job.Errors = attemptErrors("etsy: 500", r, "etsy: 500", r)
	if got := p.NextRetry(job).Sub(now); got < 73*time.Second || got > 90*time.Second {
		t.Errorf("third failure waits %s, want about 81s (3^4)", got)
	}
}

func TestRetryWaitIsCapped(t *testing.T) {
	p := jobs.RetryPolicy{Max: map[string]time.Duration{"push": time.Minute}}
	job := &rivertype.JobRow{Kind: "push", Attempt: 10, Errors: attemptErrors("a", "b", "c", "d", "e", "f", "g", "h", "i")}
	if got := p.Backoff(job); got != time.Minute {
		t.Errorf("tenth failure waits %s, want the cap 1m", got)
	}
	job.Kind = "sync"
	if got := p.Backoff(job); got < 9000*time.Second || got > 11000*time.Second {
		t.Errorf("uncapped tenth failure waits %s, want about 10^4 s", got)
	}
}
