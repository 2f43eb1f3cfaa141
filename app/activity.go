// The activity ledger as people and operators see it: recording changes,
// reading them back, and undoing a stock edit.
package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/store"
)

// Record appends one change to the ledger: a store's when ev.StoreID is set,
// else the account's ev.AccountID. The acting person comes from a (the zero
// Actor for changes nobody made: ev.Actor names them, "Etsy", "sync" or
// "schedule"). It is the one entry point for every write path outside a
// stock edit, which the store records in the edit's own transaction.
//
// The change has happened when Record is called, so a ledger that cannot
// be written does not undo it: the failure is logged for the operator.
func (s *Service) Record(ctx context.Context, a Actor, ev store.ActivityEvent) {
	if a.Account.ID != 0 {
		ev.ActorID, ev.ActorKey = a.Account.ID, a.Fingerprint
	}
	if ev.Source == "" {
		ev.Source = a.Source
	}
	if ev.Source == "" {
		ev.Source = store.SourceCommand
	}
	out, err := s.db.ActivityAppend(ctx, &store.ActivityAppendParams{Events: []store.ActivityEvent{ev}, Now: s.now()})
	if err != nil {
		s.log.Error("activity not recorded", "kind", ev.Kind, "store", ev.StoreID, "account", ev.AccountID, "err", err)
		return
	}
	s.logActivity(out[0])
	s.hub.Publish(hub.Event{Kind: hub.ActivityAdded, StoreID: ev.StoreID, AccountID: ev.AccountID})
}

// logActivity writes an event as the structured line operators read.
func (s *Service) logActivity(ev store.ActivityEvent) {
	attrs := []any{"id", ev.ID, "kind", ev.Kind, "source", ev.Source, "store", ev.StoreID, "actor_account", ev.ActorID,
		"actor_key", ev.ActorKey, "actor", ev.Actor}
	if ev.AccountID != 0 {
		attrs = append(attrs, "account", ev.AccountID)
	}
	if ev.OfferingID != 0 {
		attrs = append(attrs, "offering", ev.OfferingID)
	}
	attrs = append(attrs, "subject", ev.Subject, "before", ev.Before, "after", ev.After)
	if ev.BatchID != "" {
		attrs = append(attrs, "batch", ev.BatchID)
	}
	if ev.UndoOf != 0 {
		attrs = append(attrs, "undo_of", ev.UndoOf)
	}
	s.log.Info("activity", attrs...)
}

// logStockEdits logs the ledger entries a stock edit wrote in its
// transaction, read back so the lines carry their ids and before values.
func (s *Service) logStockEdits(ctx context.Context, a Actor, p StockParams, rows []store.InventoryRow) {
	if !s.log.Enabled(ctx, slog.LevelInfo) || len(rows) == 0 {
		return
	}
	q := ActivityQuery{AccountID: a.Account.ID, StoreID: p.StoreID, Kind: string(store.KindStockSet)}
	if p.BatchID != "" {
		q.BatchID, q.Limit = p.BatchID, len(rows)
		evs, err := s.db.ActivityList(ctx, &q)
		if err != nil {
			s.ledgerUnread(p, err)
		}
		for _, ev := range evs {
			s.logActivity(ev)
		}
		return
	}
	q.Limit = 1
	for _, r := range rows {
		q.OfferingID = r.OfferingID
		evs, err := s.db.ActivityList(ctx, &q)
		if err != nil {
			s.ledgerUnread(p, err)
			return
		}
		if len(evs) == 1 && !evs[0].CreatedAt.Before(r.UpdatedAt) {
			s.logActivity(evs[0])
		}
	}
}

// ledgerUnread says in the log that an edit's ledger entries, written and
// committed, could not be read back to log them: the log would otherwise
// miss them without a word.
func (s *Service) ledgerUnread(p StockParams, err error) {
	s.log.Warn("stock edit saved but its activity could not be read back for the log",
		"store", p.StoreID, "batch", p.BatchID, "err", err)
}

// NewBatchID names one import or one batch undo in the ledger.
func NewBatchID(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:]) // crypto/rand never fails on supported systems
	return prefix + "-" + hex.EncodeToString(b[:])
}

// ActivityQuery selects ledger events: a store's (StoreID) or, with StoreID
// 0, the actor's own account events.
type ActivityQuery = store.ActivityListParams

// Activity pages through a ledger, newest first.
func (s *Service) Activity(ctx context.Context, a Actor, q ActivityQuery) ([]store.ActivityEvent, error) {
	if q.StoreID != 0 {
		if _, err := s.member(ctx, a, q.StoreID); err != nil {
			return nil, err
		}
	} else if _, err := s.active(ctx, a); err != nil {
		return nil, err
	}
	q.AccountID, q.Admin = a.Account.ID, false
	return s.db.ActivityList(ctx, &q)
}

// ActivityEvent returns one event the actor may see.
func (s *Service) ActivityEvent(ctx context.Context, a Actor, id int64) (store.ActivityEvent, error) {
	if _, err := s.active(ctx, a); err != nil {
		return store.ActivityEvent{}, err
	}
	ev, err := s.db.ActivityGet(ctx, a.Account.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		return ev, fmt.Errorf("no activity event %d in your stores", id)
	}
	return ev, err
}

// UndoParams names what to undo: one event, or every row of a batch (an
// import) of a store.
type UndoParams struct {
	StoreID int64 // required with BatchID
	EventID int64
	BatchID string
}

// UndoLine is one row an undo puts back.
type UndoLine struct {
	Event store.ActivityEvent
	Row   store.InventoryRow
	// Now is the row's quantity as the seller sees it, To what the undo
	// sets. Moved says the row changed since the event (a sale, another
	// edit): To is then Now plus the reverse of the event's change, which
	// keeps what happened since.
	Now, To int
	Moved   bool
}

// UndoPlan is what an undo would do.
type UndoPlan struct {
	StoreID int64
	BatchID string // set when undoing a batch
	Lines   []UndoLine
}

// Moved lists the lines whose rows changed since their event.
func (p *UndoPlan) Moved() []UndoLine {
	var out []UndoLine
	for _, l := range p.Lines {
		if l.Moved {
			out = append(out, l)
		}
	}
	return out
}

// MovedError refuses an undo of rows that changed since: putting the old
// value back would erase what happened meanwhile.
type MovedError struct{ Lines []UndoLine }

func (e *MovedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d row(s) changed since, nothing undone:", len(e.Lines))
	for _, l := range e.Lines {
		fmt.Fprintf(&b, "\n  %s: was %d → %d, now %d", undoSubject(l.Event), l.Event.BeforeQty, l.Event.AfterQty, l.Now)
		fmt.Fprintf(&b, " (--force sets %d, reversing the change and keeping what happened since)", l.To)
	}
	return b.String()
}

func undoSubject(ev store.ActivityEvent) string {
	if ev.Subject != "" {
		return ev.Subject
	}
	return ev.Title
}

// PlanUndo works out what undoing an event or a batch would set. Only a
// person's stock edits can be undone, and only by the store's owners and
// managers.
func (s *Service) PlanUndo(ctx context.Context, a Actor, p UndoParams) (*UndoPlan, error) {
	var evs []store.ActivityEvent
	plan := &UndoPlan{StoreID: p.StoreID}
	switch {
	case p.EventID != 0:
		ev, err := s.ActivityEvent(ctx, a, p.EventID)
		if err != nil {
			return nil, err
		}
		if !ev.Undoable() {
			return nil, fmt.Errorf("event %d is a %s: only stock edits made in Stockroom can be undone", ev.ID, ev.Kind)
		}
		plan.StoreID = ev.StoreID
		evs = []store.ActivityEvent{ev}
	case p.BatchID != "":
		if p.StoreID == 0 {
			return nil, errors.New("name the store of the batch")
		}
		var err error
		evs, err = s.Activity(ctx, a, ActivityQuery{StoreID: p.StoreID, BatchID: p.BatchID, Kind: string(store.KindStockSet), Limit: MaxImportRows})
		if err != nil {
			return nil, err
		}
		if len(evs) == 0 {
			return nil, fmt.Errorf("no stock edits in batch %q of this store", p.BatchID)
		}
		plan.BatchID = p.BatchID
	default:
		return nil, errors.New("name an event id or a batch id to undo")
	}
	if _, err := s.editor(ctx, a, plan.StoreID); err != nil {
		return nil, err
	}
	seen := map[int64]bool{}
	// evs are newest first: a row edited twice in a batch goes back to its
	// value before the batch's first edit, so keep the oldest.
	for i := len(evs) - 1; i >= 0; i-- {
		ev := evs[i]
		if seen[ev.OfferingID] {
			continue
		}
		seen[ev.OfferingID] = true
		row, err := s.db.InventoryGet(ctx, a.Account.ID, ev.OfferingID)
		if err != nil {
			return nil, err
		}
		l := UndoLine{Event: ev, Row: row, Now: row.Shown(), To: ev.BeforeQty}
		if l.Now != ev.AfterQty {
			l.Moved = true
			l.To = min(max(l.Now+ev.BeforeQty-ev.AfterQty, 0), 999)
		}
		plan.Lines = append(plan.Lines, l)
	}
	return plan, nil
}

// ApplyUndo sets the rows of a plan back through the normal edit path (so
// the push to Etsy and the alerts follow), each edit recorded as undoing its
// event. Rows that moved since their event fail with *MovedError unless
// force, which applies the reverse change instead. A row changed after the
// plan was made fails the whole undo with *store.StaleError.
func (s *Service) ApplyUndo(ctx context.Context, a Actor, plan *UndoPlan, force bool, source store.Source) ([]store.InventoryRow, error) {
	if moved := plan.Moved(); len(moved) > 0 && !force {
		return nil, &MovedError{Lines: moved}
	}
	edits := make([]store.StockEditItem, 0, len(plan.Lines))
	for _, l := range plan.Lines {
		edits = append(edits, store.StockEditItem{OfferingID: l.Row.OfferingID, Version: l.Row.Version, Quantity: l.To, UndoOf: l.Event.ID})
	}
	p := StockParams{StoreID: plan.StoreID, Source: source, Edits: edits, Note: fmt.Sprintf("undo of #%d", plan.Lines[0].Event.ID)}
	if plan.BatchID != "" {
		p.Note, p.BatchID = "undo of batch "+plan.BatchID, NewBatchID("undo")
	}
	return s.SetStock(ctx, a, p)
}

// thresholdEvent describes a threshold change before it is made, so the
// event carries the value it replaces.
func (s *Service) thresholdEvent(ctx context.Context, a Actor, p store.ThresholdSetParams) store.ActivityEvent {
	ev := store.ActivityEvent{StoreID: p.StoreID, Kind: store.KindThresholdSet, After: "store default"}
	if p.Threshold != nil {
		ev.After = strconv.Itoa(*p.Threshold)
	}
	if p.OfferingID == 0 {
		ev.Subject = "listing " + strconv.FormatInt(p.ListingID, 10)
		return ev
	}
	ev.OfferingID = p.OfferingID
	if row, err := s.db.InventoryGet(ctx, a.Account.ID, p.OfferingID); err == nil {
		ev.Subject, ev.Title, ev.Before = row.SKU, row.Title, strconv.Itoa(row.Threshold)
	}
	return ev
}

// recordSettings records each setting that changed.
func (s *Service) recordSettings(ctx context.Context, a Actor, before, after store.Store) {
	change := func(name, from, to string) {
		if from != to {
			s.Record(ctx, a, store.ActivityEvent{StoreID: after.ID, Kind: store.KindStoreSettings, Subject: name, Before: from, After: to})
		}
	}
	change("zero_policy", string(before.ZeroPolicy), string(after.ZeroPolicy))
	change("low_stock_default", strconv.Itoa(before.LowStockDefault), strconv.Itoa(after.LowStockDefault))
	change("sync_interval", before.SyncInterval.String(), after.SyncInterval.String())
	change("runs_out_days", strconv.Itoa(before.RunsOutDays), strconv.Itoa(after.RunsOutDays))
}

// PruneActivity deletes the ledger's events older than retention, the
// operator's STOCKROOM_ACTIVITY_RETENTION; 0 keeps them for ever and
// deletes nothing. The scheduler's housekeeping calls it.
func PruneActivity(ctx context.Context, db store.Activity, retention time.Duration, now time.Time, log *slog.Logger) (int64, error) {
	if retention <= 0 {
		return 0, nil
	}
	n, err := db.ActivityPruneBefore(ctx, now.Add(-retention))
	if err == nil && n > 0 {
		log.Info("activity pruned", "events", n, "retention", retention.String())
	}
	return n, err
}

// AdminActivity pages through the admin ledger: every admin action on any
// account or store, for admins only.
func (s *Service) AdminActivity(ctx context.Context, a Actor, q ActivityQuery) ([]store.ActivityEvent, error) {
	if err := s.admin(ctx, a); err != nil {
		return nil, err
	}
	q.Admin, q.StoreID = true, 0
	return s.db.ActivityList(ctx, &q)
}
