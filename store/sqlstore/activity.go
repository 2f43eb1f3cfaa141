package sqlstore

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/stockroom/stockroom/store"
)

const activityInsert = `INSERT INTO activity (store_id, account_id, actor_id, actor_key, actor, source, kind, offering_id,
		subject, title, before_text, after_text, before_qty, after_qty, version, batch_id, undo_of, note, created_at)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) RETURNING id`

// nullID stores 0 as NULL, for the ledger's optional references.
func nullID(v int64) any {
	if v == 0 {
		return nil
	}
	return v
}

// appendActivity writes one event on q (a transaction when the event must
// commit with the change it records) and returns its id.
func appendActivity(ctx context.Context, q Querier, e *store.ActivityEvent, t int64) (int64, error) {
	var id int64
	err := q.QueryRow(ctx, activityInsert, nullID(e.StoreID), nullID(e.AccountID), nullID(e.ActorID), e.ActorKey, e.Actor,
		e.Source, e.Kind, nullID(e.OfferingID), e.Subject, e.Title, e.Before, e.After, e.BeforeQty, e.AfterQty,
		e.Version, e.BatchID, e.UndoOf, e.Note, t).Scan(&id)
	return id, err
}

// stockActivity is the ledger entry of a quantity change of row.
func stockActivity(row store.InventoryRow, kind store.ActivityKind, before, after int) store.ActivityEvent {
	return store.ActivityEvent{StoreID: row.StoreID, Kind: kind, OfferingID: row.OfferingID, Subject: row.SKU,
		Title: rowTitle(row.Title, row.Variation), Before: strconv.Itoa(before), After: strconv.Itoa(after),
		BeforeQty: before, AfterQty: after}
}

func rowTitle(title, variation string) string {
	if variation == "" {
		return title
	}
	return title + " (" + variation + ")"
}

// activityTitleSQL is rowTitle in SQL, over products p and listings l.
const activityTitleSQL = `l.title || CASE WHEN p.variation <> '' THEN ' (' || p.variation || ')' ELSE '' END`

func (s *Store) ActivityAppend(ctx context.Context, p *store.ActivityAppendParams) ([]store.ActivityEvent, error) {
	t := now(p.Now)
	out := make([]store.ActivityEvent, len(p.Events))
	err := s.d.InTx(ctx, func(tx Tx) error {
		for i, e := range p.Events {
			if e.Kind == "" || e.Source == "" || (e.StoreID == 0 && e.AccountID == 0) {
				return store.ErrInvalid
			}
			id, err := appendActivity(ctx, tx, &e, ms(t))
			if err != nil {
				return err
			}
			e.ID, e.CreatedAt = id, fromMS(ms(t))
			out[i] = e
		}
		return nil
	})
	if err != nil {
		return nil, s.err("activity append", err)
	}
	return out, nil
}

// The outcome of a stock edit is the first push, after it, that carried its
// version (or a later one) of the same offering.
const activitySelect = `SELECT e.id, COALESCE(e.store_id, 0), COALESCE(e.account_id, 0), COALESCE(e.actor_id, 0), e.actor_key, e.actor,
		COALESCE(a.name, ''), e.source, e.kind, COALESCE(e.offering_id, 0), e.subject, e.title, e.before_text, e.after_text,
		e.before_qty, e.after_qty, e.version, e.batch_id, e.undo_of, e.note, e.created_at,
		COALESCE(po.id, 0), COALESCE(po.kind, ''), COALESCE(po.after_qty, 0), COALESCE(po.note, '')
	FROM activity e
	LEFT JOIN accounts a ON a.id = e.actor_id
	LEFT JOIN activity po ON e.kind = 'stock.set' AND e.version > 0 AND po.id = (SELECT MIN(x.id) FROM activity x
		WHERE x.offering_id = e.offering_id AND x.id > e.id AND x.version >= e.version AND x.kind IN ('stock.pushed', 'stock.push_failed'))`

// visible limits events to what accountID may see: its stores' and its own.
const activityVisible = `((e.store_id IS NOT NULL AND EXISTS (SELECT 1 FROM memberships m WHERE m.store_id = e.store_id AND m.account_id = $1))
	OR (e.store_id IS NULL AND e.account_id = $1))`

func (s *Store) ActivityList(ctx context.Context, p *store.ActivityListParams) ([]store.ActivityEvent, error) {
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	var where []string
	switch {
	case p.Admin:
		where = append(where, "e.source = 'admin'")
	case p.StoreID != 0:
		where = append(where, "e.store_id = "+arg(p.StoreID),
			"EXISTS (SELECT 1 FROM memberships m WHERE m.store_id = e.store_id AND m.account_id = "+arg(p.AccountID)+")")
	default:
		where = append(where, "e.store_id IS NULL", "e.account_id = "+arg(p.AccountID))
	}
	if p.Before > 0 {
		where = append(where, "e.id < "+arg(p.Before))
	}
	if p.Who != "" {
		// A name matches from its start ("olive" is Olive Owner); keys
		// and the non-person actors match whole.
		n := arg(strings.ToLower(p.Who))
		where = append(where, "(LOWER(COALESCE(a.name, '')) LIKE "+arg(likeEscape(strings.ToLower(p.Who))+"%")+` ESCAPE '\'`+
			" OR LOWER(e.actor_key) = "+n+" OR LOWER(e.actor) = "+n+")")
	}
	if p.Kind != "" {
		where = append(where, "(e.kind = "+arg(p.Kind)+" OR e.kind LIKE "+arg(likeEscape(p.Kind)+".%")+` ESCAPE '\')`)
	}
	if p.Text != "" {
		n := arg("%" + likeEscape(strings.ToLower(p.Text)) + "%")
		where = append(where, "(LOWER(e.subject) LIKE "+n+` ESCAPE '\' OR LOWER(e.title) LIKE `+n+` ESCAPE '\')`)
	}
	if !p.Since.IsZero() {
		where = append(where, "e.created_at >= "+arg(ms(p.Since)))
	}
	if !p.Until.IsZero() {
		where = append(where, "e.created_at < "+arg(ms(p.Until)))
	}
	if p.BatchID != "" {
		where = append(where, "e.batch_id = "+arg(p.BatchID))
	}
	if p.OfferingID != 0 {
		where = append(where, "e.offering_id = "+arg(p.OfferingID))
	}
	q := activitySelect + " WHERE " + strings.Join(where, " AND ") + " ORDER BY e.id DESC LIMIT " + arg(limit(p.Limit, 100))
	return queryAll(ctx, s, s.d, "activity list", scanActivity, q, args...)
}

func (s *Store) ActivityGet(ctx context.Context, accountID, eventID int64) (store.ActivityEvent, error) {
	e, err := scanActivity(s.d.QueryRow(ctx, activitySelect+" WHERE e.id = $2 AND "+activityVisible, accountID, eventID))
	return e, s.err("activity get", err)
}

func (s *Store) ActivityPruneBefore(ctx context.Context, before time.Time) (int64, error) {
	n, err := s.d.Exec(ctx, `DELETE FROM activity WHERE created_at < $1`, ms(before))
	return n, s.err("activity prune", err)
}

func scanActivity(r Row) (store.ActivityEvent, error) {
	var e store.ActivityEvent
	var at int64
	var o store.ActivityOutcome
	if err := r.Scan(&e.ID, &e.StoreID, &e.AccountID, &e.ActorID, &e.ActorKey, &e.Actor, &e.ActorName, &e.Source, &e.Kind,
		&e.OfferingID, &e.Subject, &e.Title, &e.Before, &e.After, &e.BeforeQty, &e.AfterQty, &e.Version, &e.BatchID,
		&e.UndoOf, &e.Note, &at, &o.EventID, &o.Kind, &o.Etsy, &o.Note); err != nil {
		return e, err
	}
	e.CreatedAt = fromMS(at)
	if o.EventID != 0 {
		e.Outcome = &o
	}
	return e, nil
}

// likeEscape makes s match itself in a LIKE pattern with ESCAPE '\'.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
