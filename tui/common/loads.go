package common

import tea "charm.land/bubbletea/v2"

// Loads numbers a screen's reads so only the answer to the newest one is
// applied: a reload started while an older read is out (a new filter, a
// new store) makes the older answer stale, and it is dropped when it
// arrives. The zero value is ready to use.
type Loads struct {
	seq     int
	loading bool
}

// Start makes every answer still out stale and begins a read; the number
// it returns travels in the read's answer, for Done.
func (l *Loads) Start() int {
	l.Reset()
	return l.Begin()
}

// Reset makes every answer still out stale, with no read begun.
func (l *Loads) Reset() {
	l.seq++
	l.loading = false
}

// Begin begins a read that keeps the answers still out (the next page of
// what is shown) and returns its number.
func (l *Loads) Begin() int {
	l.loading = true
	return l.seq
}

// Seq is the number for a read that is not shown as loading (a quiet
// refresh of what is on screen).
func (l *Loads) Seq() int { return l.seq }

// Fresh reports whether the answer numbered seq is still wanted.
func (l *Loads) Fresh(seq int) bool { return seq == l.seq }

// Done reports whether the answer numbered seq is still wanted and, if so,
// ends the loading it showed; a stale answer changes nothing.
func (l *Loads) Done(seq int) bool {
	if !l.Fresh(seq) {
		return false
	}
	l.loading = false
	return true
}

// Take applies the answer numbered seq if it is still wanted: err becomes
// the error the screen shows (*shown), and apply runs when there is none.
// It reports whether the answer was wanted.
func (l *Loads) Take(seq int, err error, shown *error, apply func()) bool {
	if !l.Done(seq) {
		return false
	}
	*shown = err
	if err == nil {
		apply()
	}
	return true
}

// Loading reports whether a wanted read is still out.
func (l *Loads) Loading() bool { return l.loading }

// ReadStore starts a read of store storeID (Start) and returns the command
// that makes it off the update loop: read gets a copy of the session (the
// command must not see Update's later changes), the store and the read's
// number, for the answer it returns. With no store (0) nothing is read
// and the command is nil.
func (l *Loads) ReadStore(c *Common, storeID int64, read func(c *Common, storeID int64, seq int) tea.Msg) tea.Cmd {
	if storeID == 0 {
		return nil
	}
	c, seq := c.Copy(), l.Start()
	return func() tea.Msg { return read(c, storeID, seq) }
}
