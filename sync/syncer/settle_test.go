package syncer_test

import (
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/stockroom/stockroom/internal/testwait"
)

// settled waits until River holds no job that could still run (available,
// running, retryable or pending; scheduled ones only if due within the
// test): after it, a count of calls to Etsy is final, with no sleep to guess
// how long a stray extra call would take.
func (e *env) settled() {
	e.t.Helper()
	params := river.NewJobListParams().States(rivertype.JobStateAvailable, rivertype.JobStateRunning,
		rivertype.JobStateRetryable, rivertype.JobStatePending)
	testwait.Until(e.t, "the job queue to settle", func() bool {
		res, err := e.q.JobList(e.ctx, params)
		if err != nil {
			e.t.Fatal(err)
		}
		return len(res.Jobs) == 0
	})
}
