package syncer

import (
	"time"

	"github.com/stockroom/stockroom/store"
)

// NextSlot is when the scheduler would start st's next sync at now, for the
// fleet simulation's count of the syncs a window should hold.
func (s *Scheduler) NextSlot(st store.Store, now time.Time) (time.Time, bool) {
	_, at, _, ok := s.next(st, now)
	return at, ok
}
