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
}

type SyncRunStartParams struct {
	StoreID int64
	Kind    SyncKind
	Trigger SyncTrigger
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
