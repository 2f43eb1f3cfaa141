// Package page is the scaffolding the screens that list one store's rows
// share (Sales, Sync log, Alerts): the session, the store shown, the list
// over the rows, the numbered reads and the failure of the last, the size,
// and the rules a store's screen follows on a store switch, a resize, a
// read's answer and a live change. A screen embeds Store and keeps only
// its own rows, keys and drawing.
package page

import (
	"slices"

	tea "charm.land/bubbletea/v2"

	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/tui/common"
	"github.com/stockroom/stockroom/tui/components/list"
)

// Store is what a screen of one store's rows holds besides its rows.
type Store struct {
	C       *common.Common
	StoreID int64 // 0: no store selected
	List    list.Model
	Loads   common.Loads
	// Err is the failure of the last read, shown in place of the rows.
	Err           error
	Width, Height int
	// chrome is how many lines the screen draws around the list.
	chrome int
}

// NewStore is the scaffolding of a screen of c that draws chrome lines
// (title, column header, status…) around its list, sized to the session.
func NewStore(c *common.Common, chrome int) Store {
	s := Store{C: c, List: list.New(list.NewKeyMap(c.Keys)), chrome: chrome}
	s.SetSize(c.Width, c.Height)
	return s
}

// Init loads nothing: a store's screen reads when SetStore names the store.
func (s *Store) Init() tea.Cmd { return nil }

// SetSize leaves the screen's chrome lines around the list.
func (s *Store) SetSize(width, height int) {
	s.Width, s.Height = width, height
	s.List.SetHeight(height - s.chrome)
}

// Switch makes storeID the store shown and reports whether it is another
// one: the list is emptied, and the screen drops the old store's rows.
func (s *Store) Switch(storeID int64) bool {
	if storeID == s.StoreID {
		return false
	}
	s.StoreID = storeID
	s.List.Clear()
	return true
}

// Read starts a read of the store shown off the update loop (see
// common.Loads.ReadStore); with no store it is nil.
func (s *Store) Read(read func(c *common.Common, storeID int64, seq int) tea.Msg) tea.Cmd {
	return s.Loads.ReadStore(s.C, s.StoreID, read)
}

// Take applies the answer numbered seq when it is still wanted: err
// becomes the failure shown, and apply runs when there is none (see
// common.Loads.Take).
func (s *Store) Take(seq int, err error, apply func()) bool {
	return s.Loads.Take(seq, err, &s.Err, apply)
}

// Reloads reports whether the live change e makes the screen read again:
// a change of the account (one enabled again must drop the refusal it
// showed while disabled), or one of kinds on the store shown.
func (s *Store) Reloads(e hub.Event, kinds ...hub.Kind) bool {
	return e.Kind == hub.AccountChanged || e.StoreID == s.StoreID && slices.Contains(kinds, e.Kind)
}

// Head is the screen's first line, its title marked while a read is out
// and cut to the width, and whether the rows can be drawn under it: when
// the last read failed or no store is selected, what stands in their
// place follows the title and ok is false.
func (s *Store) Head(title string) (lines []string, ok bool) {
	st := s.C.Styles
	lines = []string{common.Fit(st.Busy(title, &s.Loads), s.Width)}
	if u := st.Unavailable(s.Err, s.StoreID, s.Width); u != "" {
		return append(lines, u), false
	}
	return lines, true
}
