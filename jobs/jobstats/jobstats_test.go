package jobstats_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/riverqueue/river"

	"github.com/stockroom/stockroom/jobs"
	"github.com/stockroom/stockroom/jobs/jobstats"
	"github.com/stockroom/stockroom/jobs/jobstest"
)

// Jobs waiting in a queue that no worker takes are counted, and their age
// grows with the clock: what the queue-stuck check and the metrics read.
func TestQueuesCountsWaitingJobsAndTheirAge(t *testing.T) {
	for _, b := range []struct {
		name string
		open func(t *testing.T) (*jobs.Queue, *jobstats.Reader)
	}{
		{"sqlite", func(t *testing.T) (*jobs.Queue, *jobstats.Reader) {
			q, db := jobstest.SQLite(t)
			return q, jobstats.NewSQLite(db.SQL())
		}},
		{"postgres", func(t *testing.T) (*jobs.Queue, *jobstats.Reader) {
			q, db := jobstest.Postgres(t)
			h := stdlib.OpenDBFromPool(db.Pool())
			t.Cleanup(func() { h.Close() })
			return q, jobstats.NewPostgres(h)
		}},
	} {
		t.Run(b.name, func(t *testing.T) {
			q, r := b.open(t)
			river.AddWorker(q.Workers(), jobstest.Nop[jobs.PushArgs]{})
			t.Cleanup(func() { _ = q.Stop(context.Background()) })
			got, err := r.Queues(t.Context())
			if err != nil || len(got) != 0 {
				t.Fatalf("empty queue: %+v, %v", got, err)
			}
			for id := int64(1); id <= 3; id++ {
				if err := q.EnqueuePush(t.Context(), 1, id, false); err != nil {
					t.Fatal(err)
				}
			}
			later := r.WithClock(func() time.Time { return time.Now().Add(20 * time.Minute) })
			got, err = later.Queues(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0].Name != jobs.QueuePush || got[0].Available != 3 ||
				got[0].OldestAge < 19*time.Minute || got[0].OldestAge > 21*time.Minute {
				t.Fatalf("20 minutes on: %+v", got)
			}
		})
	}
}
