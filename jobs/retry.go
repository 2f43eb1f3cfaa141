package jobs

import (
	"math/rand/v2"
	"time"

	"github.com/riverqueue/river/rivertype"
)

// RetryPolicy is River's backoff (failures to the fourth power, in
// seconds, ±10 %), counted over the attempts that failed. An attempt cut
// short because its process died (RescueReason) says nothing about the
// job: River counts it, and a push rescued from four kills in a row then
// waited 10 minutes after its next real failure, holding its listing's
// later edits back with it. Max caps the wait of the jobs of a kind.
type RetryPolicy struct {
	Max map[string]time.Duration
	Now func() time.Time // time.Now when nil
}

// PushRetryMax caps a failed push's wait for its next attempt: an edit
// must reach Etsy soon after Etsy answers again, and the listing's later
// edits wait behind the job (it holds the listing's place in the queue).
const PushRetryMax = time.Minute

// NextRetry implements river.ClientRetryPolicy.
func (p RetryPolicy) NextRetry(job *rivertype.JobRow) time.Time {
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	return now().Add(p.Backoff(job))
}

// Backoff is how long the job waits before its next attempt.
func (p RetryPolicy) Backoff(job *rivertype.JobRow) time.Duration {
	failures := 1 // the attempt failing now; its error is not in Errors yet
	for _, e := range job.Errors {
		if e.Error != RescueReason {
			failures++
		}
	}
	f := float64(min(failures, 100))
	d := time.Duration(f * f * f * f * float64(time.Second))
	d += time.Duration((rand.Float64()*0.2 - 0.1) * float64(d))
	if ceiling, ok := p.Max[job.Kind]; ok && d > ceiling {
		d = ceiling
	}
	return d
}
