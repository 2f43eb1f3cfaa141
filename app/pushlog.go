// Push outcomes as operators' log lines. The store writes a push's ledger
// entry (stock.pushed or stock.push_failed) in the push's own transaction,
// inside the sync engine; this wrapper of the engine's store adds the
// matching `activity` line to the server log, as Record does for every
// other event, without touching the push path.
package app

import (
	"context"
	"log/slog"

	"github.com/stockroom/stockroom/store"
)

// LogPushes wraps db so each push Etsy took or refused is also an
// `activity` line in log. Only calls that record something log: a retried
// job whose push was recorded already logs nothing.
func LogPushes(db store.DB, log *slog.Logger) store.DB {
	if log == nil {
		return db
	}
	return &pushLogDB{DB: db, log: log}
}

type pushLogDB struct {
	store.DB
	log *slog.Logger
}

// before reads the row a push outcome is about, when the line would be
// written.
func (d *pushLogDB) before(ctx context.Context, offeringID int64) (store.InventoryRow, bool) {
	if !d.log.Enabled(ctx, slog.LevelInfo) {
		return store.InventoryRow{}, false
	}
	cur, err := d.DB.InventoryGetByID(ctx, offeringID)
	return cur, err == nil
}

func (d *pushLogDB) PushDone(ctx context.Context, p *store.PushDoneParams) (store.InventoryRow, error) {
	cur, ok := d.before(ctx, p.OfferingID)
	row, err := d.DB.PushDone(ctx, p)
	// The store records a push once: only when its version was not yet
	// pushed.
	if ok && err == nil && cur.PushedVersion < p.DesiredVersion {
		d.line(store.KindStockPushed, cur, p.DesiredVersion, cur.Quantity, p.Etsy, p.Note)
	}
	return row, err
}

func (d *pushLogDB) PushFailed(ctx context.Context, p *store.PushFailedParams) error {
	cur, ok := d.before(ctx, p.OfferingID)
	err := d.DB.PushFailed(ctx, p)
	// The store records a refusal only of the version still waiting.
	if ok && err == nil && cur.DesiredVersion == p.DesiredVersion && cur.PushedVersion < p.DesiredVersion {
		d.line(store.KindStockPushFailed, cur, p.DesiredVersion, cur.Quantity, cur.Quantity, p.Message)
	}
	return err
}

// line has the fields of Service.logActivity's lines for the same event.
func (d *pushLogDB) line(kind store.ActivityKind, row store.InventoryRow, version int64, before, after int, note string) {
	d.log.Info("activity", "kind", kind, "source", store.SourcePush, "store", row.StoreID, "actor", store.ActorSync,
		"offering", row.OfferingID, "subject", row.SKU, "before", before, "after", after, "version", version, "note", note)
}
