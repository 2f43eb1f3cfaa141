// A quiet SQLite listener. SQLite has no LISTEN/NOTIFY, so River's SQLite
// driver emulates it by reading its notification table every 50 ms: twenty
// queries a second in a process with nothing to do, most of an idle
// server's CPU. This listener reads the table at once after this process
// queues a job (for a short burst, so the insert's transaction has
// committed), and otherwise every 5 seconds. Jobs queued by another process
// on the same file are noticed within those seconds (and River's fetch poll
// backs it up), and none is lost: the listener reads every notification
// after the last it delivered.
package jobs

import (
	"context"
	"errors"
	"time"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riversqlite"
)

const (
	// quietIdle is how often the notification table is read when this
	// process has queued nothing.
	quietIdle = 5 * time.Second
	// quietBurst is how long it is read at River's own pace after this
	// process queued a job: longer than any edit's transaction.
	quietBurst = 2 * time.Second
	// quietSlice bounds one read at River's pace (a read, then its 50 ms
	// wait).
	quietSlice = 60 * time.Millisecond
)

// waker tells the listener that this process queued a job.
type waker struct{ ch chan struct{} }

func newWaker() *waker { return &waker{ch: make(chan struct{}, 1)} }

func (w *waker) kick() {
	select {
	case w.ch <- struct{}{}:
	default:
	}
}

// quietDriver is River's SQLite driver with a quiet listener.
type quietDriver struct {
	*riversqlite.Driver
	wake *waker
}

func (d quietDriver) GetListener(p *riverdriver.GetListenenerParams) riverdriver.Listener {
	return &quietListener{Listener: d.Driver.GetListener(p), wake: d.wake}
}

type quietListener struct {
	riverdriver.Listener
	wake       *waker
	burstUntil time.Time // only River's notifier goroutine waits
}

func (l *quietListener) WaitForNotification(ctx context.Context) (*riverdriver.Notification, error) {
	for {
		if time.Now().After(l.burstUntil) {
			t := time.NewTimer(quietIdle)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil, ctx.Err()
			case <-l.wake.ch:
				l.burstUntil = time.Now().Add(quietBurst)
			case <-t.C:
			}
			t.Stop()
		}
		sctx, cancel := context.WithTimeout(ctx, quietSlice)
		n, err := l.Listener.WaitForNotification(sctx)
		cancel()
		switch {
		case err == nil:
			return n, nil
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case !errors.Is(err, context.DeadlineExceeded):
			return nil, err
		}
	}
}
