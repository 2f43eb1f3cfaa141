// The sync log.
package store

import (
	"context"
	"time"
)

type SyncRuns interface {
	SyncRunStart(ctx context.Context, p *SyncRunStartParams) (SyncRun, error)
	SyncRunFinish(ctx context.Context, p *SyncRunFinishParams) (SyncRun, error)
	SyncRunList(ctx context.Context, p *SyncRunListParams) ([]SyncRun, error)
	// SyncRunListAll is for admins: the latest runs of every store.
	SyncRunListAll(ctx context.Context, limit int) ([]SyncRun, error)
	// SyncRunGet returns one run (for the server's own work: a connect's
	// summary waits for the run to end).
	SyncRunGet(ctx context.Context, id int64) (SyncRun, error)
	// SyncRunOfJob returns the latest run the River job jobID started for
	// a store of the account, or ErrNotFound while it has not started one.
	SyncRunOfJob(ctx context.Context, p *SyncRunOfJobParams) (SyncRun, error)
	// SyncRunAbandon closes runs left "running" by a process that stopped:
	// those of p.Process, or (p.Process empty) those that name no process
	// and started before p.StartedBefore. It marks them failed with
	// p.Reason, finished at p.Now, and says how many it marked.
	SyncRunAbandon(ctx context.Context, p *SyncRunAbandonParams) (int, error)
}

type SyncRunOfJobParams struct {
	AccountID int64
	StoreID   int64
	JobID     int64
}

type SyncRunAbandonParams struct {
	Process       string
	StartedBefore time.Time
	Reason        string
	Now           time.Time
}

type SyncRunStartParams struct {
	StoreID int64
	Kind    SyncKind
	Trigger SyncTrigger
	// Process names the process running the sync (see Processes), so the
	// run is closed if the process dies; JobID is the River job that asked
	// for it, 0 for none.
	Process string
	JobID   int64
	Now     time.Time
}

type SyncRunFinishParams struct {
	ID              int64
	Result          SyncResult
	ListingsChanged int
	ReceiptsChanged int
	APICalls        int
	Error           string
	Now             time.Time
}

type SyncRunListParams struct {
	AccountID int64
	StoreID   int64
	Limit     int
}
