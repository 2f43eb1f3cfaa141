// Named leases shared by several server processes.
package store

import (
	"context"
	"time"
)

type Leases interface {
	// LeaseAcquire takes or renews the named lease for owner until Until.
	LeaseAcquire(ctx context.Context, name, owner string, now, until time.Time) (bool, error)
	LeaseRelease(ctx context.Context, name, owner string) error
}
