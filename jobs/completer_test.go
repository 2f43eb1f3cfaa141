package jobs_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/stockroom/stockroom/internal/testwait"
	"github.com/stockroom/stockroom/jobs"
	"github.com/stockroom/stockroom/store"
)

// River's batch completer is patched (third_party/river) to stop its 50 ms
// ticker while nothing waits to be completed. A job that finishes after
// such an idle spell must still be recorded completed at once: the first
// completion wakes the completer.
func TestJobFinishedAfterAnIdleSpellIsRecordedCompleted(t *testing.T) {
	eachBackend(t, func(t *testing.T, q *jobs.Queue, db store.DB) {
		ctx := t.Context()
		events := startCompleted(t, q)
		for round := range 3 {
			// An idle spell several ticks long, so the completer sleeps.
			time.Sleep(300 * time.Millisecond)
			id, err := q.Insert(ctx, jobs.PushArgs{StoreID: 1, OfferingID: int64(100 + round)}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if ev := testwait.Receive(t, events, fmt.Sprintf("round %d: the job that ran after an idle spell to be recorded completed", round)); ev.Job.ID != id {
				t.Fatalf("round %d: completed job %d, want %d", round, ev.Job.ID, id)
			}
			row, err := q.JobGet(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if row.State != rivertype.JobStateCompleted {
				t.Fatalf("round %d: job state %s, want completed", round, row.State)
			}
		}
	})
}
