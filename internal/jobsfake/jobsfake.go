// Package jobsfake is the job queue of tests that drive the application
// layer without River: it records the pushes and syncs enqueued and runs
// a sync only when a test plays the sync worker (OnSync).
package jobsfake

import (
	"context"
	"sync"

	"github.com/stockroom/stockroom/store"
)

// firstJobID numbers the sync jobs from 1001, so that a test cannot take a
// job's id for the id of the sync run it leads to (runs count from 1).
const firstJobID = 1001

// Push is one recorded EnqueuePushTx call.
type Push struct{ StoreID, OfferingID int64 }

type syncJob struct {
	storeID int64
	kind    store.SyncKind
}

// Queue records the jobs the application layer enqueues. The zero value
// runs nothing and says no job is queued.
type Queue struct {
	mu     sync.Mutex
	pushes []Push
	syncs  []syncJob
	onSync func(storeID int64, kind store.SyncKind, jobID int64)
	state  func(jobID int64) (queued, running bool)
}

func (q *Queue) EnqueuePushTx(_ context.Context, _ store.Tx, storeID, offeringID int64, _ bool) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.pushes = append(q.pushes, Push{storeID, offeringID})
	return nil
}

func (q *Queue) EnqueueSync(ctx context.Context, storeID int64, kind store.SyncKind, trigger store.SyncTrigger) error {
	_, err := q.EnqueueSyncJob(ctx, storeID, kind, trigger)
	return err
}

// EnqueueSyncJob records the sync and, when a test plays the sync worker,
// runs it on a goroutine of its own, as a worker would.
func (q *Queue) EnqueueSyncJob(_ context.Context, storeID int64, kind store.SyncKind, _ store.SyncTrigger) (int64, error) {
	q.mu.Lock()
	q.syncs = append(q.syncs, syncJob{storeID, kind})
	id := int64(firstJobID - 1 + len(q.syncs))
	fn := q.onSync
	q.mu.Unlock()
	if fn != nil {
		go fn(storeID, kind, id)
	}
	return id, nil
}

// JobQueued answers with the function JobState set; without one no job is
// queued or running.
func (q *Queue) JobQueued(_ context.Context, jobID int64) (queued, running bool, err error) {
	q.mu.Lock()
	fn := q.state
	q.mu.Unlock()
	if fn == nil {
		return false, false, nil
	}
	queued, running = fn(jobID)
	return queued, running, nil
}

// OnSync makes fn the sync worker of the syncs enqueued from now on; nil
// runs none.
func (q *Queue) OnSync(fn func(storeID int64, kind store.SyncKind, jobID int64)) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.onSync = fn
}

// JobState makes fn the answer to JobQueued: whether a job waits to run
// (queued, snoozed) or runs now, as River would tell.
func (q *Queue) JobState(fn func(jobID int64) (queued, running bool)) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.state = fn
}

// PushCalls returns a copy of the recorded pushes.
func (q *Queue) PushCalls() []Push {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]Push(nil), q.pushes...)
}

// SyncCalls returns the stores a sync was asked for, in order.
func (q *Queue) SyncCalls() []int64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make([]int64, len(q.syncs))
	for i, s := range q.syncs {
		out[i] = s.storeID
	}
	return out
}

// SyncKinds returns the kinds of the syncs asked for, in order.
func (q *Queue) SyncKinds() []store.SyncKind {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make([]store.SyncKind, len(q.syncs))
	for i, s := range q.syncs {
		out[i] = s.kind
	}
	return out
}
