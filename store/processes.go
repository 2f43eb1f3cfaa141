// The liveness of server processes sharing one database.
package store

import (
	"context"
	"time"
)

// ProcessDeadAfter is how long a process may go without a beat before it
// is taken for dead: four missed beats of every 5 seconds, so one slow
// write does not declare a live process dead.
const ProcessDeadAfter = 20 * time.Second

// Processes records which server processes are alive. Each beats its row
// every few seconds; a row not seen for a while belongs to a process that
// died (kill -9, a lost machine), whose jobs, runs and leases the others
// then take over.
type Processes interface {
	// ProcessBeat records that the process id is alive at now.
	ProcessBeat(ctx context.Context, id string, now time.Time) error
	// ProcessListDead lists the processes last seen before before.
	ProcessListDead(ctx context.Context, before time.Time) ([]string, error)
	// ProcessDelete forgets a process once its work has been taken over.
	ProcessDelete(ctx context.Context, id string) error
}
