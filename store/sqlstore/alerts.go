package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/stockroom/stockroom/store"
)

// within runs fn in given when a caller is already inside one of this
// store's transactions (an OnCommit callback), else in a new transaction.
func (s *Store) within(ctx context.Context, given store.Tx, fn func(tx Tx) error) error {
	if given == nil {
		return s.d.InTx(ctx, fn)
	}
	ta, ok := given.(txAdapter)
	if !ok {
		return fmt.Errorf("a %T is not a transaction of this store: %w", given, store.ErrInvalid)
	}
	return fn(ta.tx)
}

type activeAlert struct {
	id   int64
	kind store.AlertKind
	// snoozedUntil and snoozeRestock carry a snooze over to the
	// out-of-stock alert a snoozed low-stock alert becomes.
	snoozedUntil  int64
	snoozeRestock bool
}

// scanActive reads rows of an active alert's id and offering id, followed
// by the columns more points into (nil: none), into into by offering; it
// closes q.
func scanActive(q Rows, into map[int64]activeAlert, more func(*activeAlert) []any) error {
	defer q.Close()
	for q.Next() {
		var a activeAlert
		var off int64
		dest := []any{&a.id, &off}
		if more != nil {
			dest = append(dest, more(&a)...)
		}
		if err := q.Scan(dest...); err != nil {
			return err
		}
		into[off] = a
	}
	return q.Err()
}

type member struct {
	id                            int64
	email, chatID, whatsapp       string
	byEmail, byTg, byWA, isDigest bool
}

func (s *Store) AlertEvaluate(ctx context.Context, p *store.AlertEvaluateParams) (store.AlertEvaluateResult, error) {
	var res store.AlertEvaluateResult
	if p.OfferingIDs != nil && len(p.OfferingIDs) == 0 {
		return res, nil
	}
	t := now(p.Now)
	err := s.within(ctx, p.Tx, func(tx Tx) error {
		res = store.AlertEvaluateResult{}
		var connectStarted int64
		err := tx.QueryRow(ctx, `SELECT id, started_at FROM sync_runs WHERE store_id = $1 AND trigger = $2 AND result = $3
			ORDER BY id DESC LIMIT 1`, p.StoreID, store.TriggerConnect, store.ResultRunning).Scan(&res.ConnectRun, &connectStarted)
		if err != nil && !s.isNotFound(err) {
			return err
		}
		res.ConnectStarted = fromMS(connectStarted)
		rows, active, err := s.alertState(ctx, tx, p.StoreID, p.OfferingIDs)
		if err != nil {
			return err
		}
		var fire []store.Alert
		var resolve []int64
		for _, r := range rows {
			q, th := r.Shown(), r.Threshold
			a, has := active[r.OfferingID]
			switch {
			case has && (r.Gone || q > th):
				resolve = append(resolve, a.id)
			case has && a.kind == store.AlertLowStock && q <= 0:
				// Out of stock is more urgent than low: it is a new alert
				// with messages of its own, not an edit of the old one.
				resolve = append(resolve, a.id)
				fire = append(fire, store.Alert{StoreID: p.StoreID, OfferingID: r.OfferingID, Kind: store.AlertOutOfStock, Quantity: q, Threshold: th,
					SnoozedUntil: fromMS(a.snoozedUntil), SnoozeRestock: a.snoozeRestock})
			case !has && !r.Gone && q <= th:
				kind := store.AlertLowStock
				if q <= 0 {
					kind = store.AlertOutOfStock
				}
				fire = append(fire, store.Alert{StoreID: p.StoreID, OfferingID: r.OfferingID, Kind: kind, Quantity: q, Threshold: th})
			}
		}
		var all []store.InventoryRow
		if p.OfferingIDs == nil {
			all = rows
		}
		coverFire, coverResolve, err := s.evaluateCover(ctx, tx, p.StoreID, p.OfferingIDs, all, t)
		if err != nil {
			return err
		}
		fire, resolve = append(fire, coverFire...), append(resolve, coverResolve...)
		for _, id := range resolve {
			var a store.Alert
			var fired, resolved int64
			var tenths int64
			err := tx.QueryRow(ctx, `UPDATE alerts SET active = $2, resolved_at = $3 WHERE id = $1 AND active = $4
				RETURNING id, store_id, offering_id, `+kindExpr+`, quantity, threshold, fired_at, resolved_at, cover_tenths`, id, false, ms(t), true).
				Scan(&a.ID, &a.StoreID, &a.OfferingID, &a.Kind, &a.Quantity, &a.Threshold, &fired, &resolved, &tenths)
			if s.isNotFound(err) {
				continue // resolved meanwhile by another evaluation
			}
			if err != nil {
				return err
			}
			a.FiredAt, a.ResolvedAt, a.CoverDays = fromMS(fired), fromMS(resolved), float64(tenths)/10
			res.Resolved = append(res.Resolved, a)
		}
		for _, a := range fire {
			// A concurrent evaluation that fired first wins; this one then
			// has nothing to add (the partial unique index says so).
			err := tx.QueryRow(ctx, `INSERT INTO alerts (store_id, offering_id, kind, quantity, threshold, active, fired_at,
					snoozed_until, snooze_restock, rule, cover_tenths)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING RETURNING id`,
				a.StoreID, a.OfferingID, storedKind(a.Kind), a.Quantity, a.Threshold, true, ms(t), ms(a.SnoozedUntil), a.SnoozeRestock,
				ruleOf(a.Kind), int64(math.Round(a.CoverDays*10))).Scan(&a.ID)
			if s.isNotFound(err) {
				continue
			}
			if err != nil {
				return err
			}
			a.Active, a.FiredAt = true, fromMS(ms(t))
			res.Fired = append(res.Fired, a)
		}
		// A snoozed alert that escalates stays snoozed: no message.
		var notify []store.Alert
		for _, a := range res.Fired {
			if !a.Snoozed(t) {
				notify = append(notify, a)
			}
		}
		if len(notify) > 0 {
			res.Summarized = res.ConnectRun != 0 || (p.SummarizeOver > 0 && len(notify) > p.SummarizeOver)
			if res.Deliveries, err = s.createDeliveries(ctx, tx, p, notify, ms(t), res.Summarized); err != nil {
				return err
			}
		}
		if p.OnCommit != nil && res.Changed() {
			return p.OnCommit(ctx, txAdapter{tx}, res)
		}
		return nil
	})
	if err != nil {
		return store.AlertEvaluateResult{}, s.err("alert evaluate", err)
	}
	return res, nil
}

// alertState loads the rows to check and their active alerts.
func (s *Store) alertState(ctx context.Context, tx Tx, storeID int64, ids []int64) ([]store.InventoryRow, map[int64]activeAlert, error) {
	var rows []store.InventoryRow
	active := map[int64]activeAlert{}
	load := func(part []int64) error {
		rowFilter, alertFilter := "", ""
		if part != nil {
			rowFilter = ` AND o.id IN ` + placeholders(2, len(part))
			alertFilter = ` AND offering_id IN ` + placeholders(4, len(part))
		}
		got, err := s.queryRows(ctx, tx, "alert rows", `SELECT `+rowCols+rowFrom+` WHERE o.store_id = $1`+rowFilter,
			idArgs(part, storeID)...)
		if err != nil {
			return err
		}
		rows = append(rows, got...)
		q, err := tx.Query(ctx, `SELECT id, offering_id, kind, snoozed_until, snooze_restock FROM alerts
			WHERE store_id = $1 AND active = $2 AND rule = $3`+alertFilter,
			idArgs(part, storeID, true, ruleThreshold)...)
		if err != nil {
			return err
		}
		return scanActive(q, active, func(a *activeAlert) []any { return []any{&a.kind, &a.snoozedUntil, &a.snoozeRestock} })
	}
	if ids == nil {
		return rows, active, load(nil)
	}
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	for start := 0; start < len(ids); start += chunk {
		if err := load(ids[start:min(start+chunk, len(ids))]); err != nil {
			return nil, nil, err
		}
	}
	return rows, active, nil
}

// createDeliveries makes the delivery rows of fired alerts; summarized,
// every one waits for a summary (digest) whatever the account chose.
func (s *Store) createDeliveries(ctx context.Context, tx Tx, p *store.AlertEvaluateParams, fired []store.Alert, t int64, summarized bool) ([]store.Delivery, error) {
	can := map[store.Channel]bool{}
	for _, c := range p.Channels {
		can[c] = true
	}
	q, err := tx.Query(ctx, `SELECT a.id, a.email, a.telegram_chat_id, a.notify_email, a.notify_telegram, a.notify_digest,
			a.whatsapp_number, a.notify_whatsapp
		FROM memberships m JOIN accounts a ON a.id = m.account_id WHERE m.store_id = $1 AND a.disabled = $2 AND m.alerts = $3
		ORDER BY a.id`, p.StoreID, false, true)
	if err != nil {
		return nil, err
	}
	var members []member
	for q.Next() {
		var m member
		if err := q.Scan(&m.id, &m.email, &m.chatID, &m.byEmail, &m.byTg, &m.isDigest, &m.whatsapp, &m.byWA); err != nil {
			q.Close()
			return nil, err
		}
		m.isDigest = m.isDigest || summarized
		members = append(members, m)
	}
	q.Close()
	if err := q.Err(); err != nil {
		return nil, err
	}
	var want []store.Delivery
	for _, a := range fired {
		for _, m := range members {
			if can[store.ChannelEmail] && m.byEmail && m.email != "" {
				want = append(want, store.Delivery{AlertID: a.ID, AccountID: m.id, Channel: store.ChannelEmail, Digest: m.isDigest})
			}
			if can[store.ChannelTelegram] && m.byTg && m.chatID != "" {
				want = append(want, store.Delivery{AlertID: a.ID, AccountID: m.id, Channel: store.ChannelTelegram, Digest: m.isDigest})
			}
			if can[store.ChannelWhatsApp] && m.byWA && m.whatsapp != "" {
				want = append(want, store.Delivery{AlertID: a.ID, AccountID: m.id, Channel: store.ChannelWhatsApp, Digest: m.isDigest})
			}
		}
	}
	out := make([]store.Delivery, 0, len(want))
	for start := 0; start < len(want); start += chunk {
		part := want[start:min(start+chunk, len(want))]
		var sb strings.Builder
		sb.WriteString(`INSERT INTO deliveries (alert_id, account_id, channel, digest, status, created_at) VALUES `)
		args := make([]any, 0, len(part)*6)
		for i, d := range part {
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString(placeholders(len(args)+1, 6))
			args = append(args, d.AlertID, d.AccountID, d.Channel, d.Digest, store.DeliveryQueued, t)
		}
		sb.WriteString(` RETURNING id, alert_id, account_id, channel, digest`)
		got, err := queryAll(ctx, s, tx, "alerts: queue deliveries", func(r Row) (store.Delivery, error) {
			d := store.Delivery{Status: store.DeliveryQueued, CreatedAt: fromMS(t)}
			err := r.Scan(&d.ID, &d.AlertID, &d.AccountID, &d.Channel, &d.Digest)
			return d, err
		}, sb.String(), args...)
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
	}
	slices.SortFunc(out, func(a, b store.Delivery) int { return int(a.ID - b.ID) })
	return out, nil
}

const alertCols = `al.id, al.store_id, al.offering_id, ` + kindCol + `, al.quantity, al.threshold, al.cover_tenths, al.active, al.fired_at, al.resolved_at,
	al.acked_at, al.acked_by, al.snoozed_until, al.snooze_restock,
	s.name, l.etsy_listing_id, l.title, p.variation, p.sku, l.url`

// alertTimes are an alert's times as stored, scanned beside it.
type alertTimes struct{ fired, resolved, acked, snoozed, coverTenths int64 }

func (t *alertTimes) fill(a *store.Alert) {
	a.FiredAt, a.ResolvedAt, a.AckedAt, a.SnoozedUntil = fromMS(t.fired), fromMS(t.resolved), fromMS(t.acked), fromMS(t.snoozed)
	a.CoverDays = float64(t.coverTenths) / 10
}

const alertFrom = ` JOIN stores s ON s.id = al.store_id JOIN offerings o ON o.id = al.offering_id
	JOIN products p ON p.id = o.product_id JOIN listings l ON l.id = p.listing_id`

func alertDest(v *store.AlertView, t *alertTimes) []any {
	return []any{&v.ID, &v.StoreID, &v.OfferingID, &v.Kind, &v.Quantity, &v.Threshold, &t.coverTenths, &v.Active, &t.fired, &t.resolved,
		&t.acked, &v.AckedBy, &t.snoozed, &v.SnoozeRestock,
		&v.StoreName, &v.EtsyListingID, &v.Title, &v.Variation, &v.SKU, &v.URL}
}

const deliveryCols = `d.id, d.alert_id, d.account_id, d.channel, d.digest, d.status, d.attempts, d.last_error, d.created_at, d.sent_at`

func deliveryDest(d *store.Delivery, created, sent *int64) []any {
	return []any{&d.ID, &d.AlertID, &d.AccountID, &d.Channel, &d.Digest, &d.Status, &d.Attempts, &d.LastError, created, sent}
}

func (s *Store) AlertList(ctx context.Context, p *store.AlertListParams) ([]store.AlertView, error) {
	const op = "alert list"
	order := "DESC"
	if p.OldestFirst {
		order = "ASC"
	}
	rows, err := s.d.Query(ctx, `SELECT `+alertCols+` FROM alerts al
		JOIN memberships m ON m.store_id = al.store_id AND m.account_id = $1`+alertFrom+`
		WHERE al.store_id = $2 AND (NOT $3 OR al.active = $4) AND al.id > $5
		ORDER BY al.id `+order+` LIMIT $6`, p.AccountID, p.StoreID, p.ActiveOnly, true, p.AfterID, limit(p.Limit, 200))
	if err != nil {
		return nil, s.err(op, err)
	}
	var out []store.AlertView
	for rows.Next() {
		var v store.AlertView
		var t alertTimes
		if err := rows.Scan(alertDest(&v, &t)...); err != nil {
			rows.Close()
			return nil, s.err(op, err)
		}
		t.fill(&v.Alert)
		out = append(out, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, s.err(op, err)
	}
	if len(out) == 0 {
		return out, nil
	}
	byID := make(map[int64]int, len(out))
	args := []any{p.AccountID}
	for i, v := range out {
		byID[v.ID] = i
		args = append(args, v.ID)
	}
	drows, err := s.d.Query(ctx, `SELECT `+deliveryCols+` FROM deliveries d WHERE d.account_id = $1 AND d.alert_id IN `+
		placeholders(2, len(out))+` ORDER BY d.id`, args...)
	if err != nil {
		return nil, s.err(op, err)
	}
	defer drows.Close()
	for drows.Next() {
		var d store.Delivery
		var created, sent int64
		if err := drows.Scan(deliveryDest(&d, &created, &sent)...); err != nil {
			return nil, s.err(op, err)
		}
		d.CreatedAt, d.SentAt = fromMS(created), fromMS(sent)
		i := byID[d.AlertID]
		out[i].Deliveries = append(out[i].Deliveries, d)
	}
	return out, s.err(op, drows.Err())
}

const jobCols = deliveryCols + `, ` + alertCols + `, a.name, a.email, a.telegram_chat_id, a.disabled, a.whatsapp_number`

const jobFrom = ` FROM deliveries d JOIN alerts al ON al.id = d.alert_id JOIN accounts a ON a.id = d.account_id` + alertFrom

func scanJob(r Row) (store.DeliveryJob, error) {
	var j store.DeliveryJob
	var created, sent int64
	var t alertTimes
	dest := append(deliveryDest(&j.Delivery, &created, &sent), alertDest(&j.Alert, &t)...)
	dest = append(dest, &j.AccountName, &j.Email, &j.TelegramChatID, &j.Disabled, &j.WhatsAppNumber)
	if err := r.Scan(dest...); err != nil {
		return j, err
	}
	j.CreatedAt, j.SentAt = fromMS(created), fromMS(sent)
	t.fill(&j.Alert.Alert)
	return j, nil
}

func (s *Store) DeliveryGet(ctx context.Context, id int64) (store.DeliveryJob, error) {
	j, err := scanJob(s.d.QueryRow(ctx, `SELECT `+jobCols+jobFrom+` WHERE d.id = $1`, id))
	return j, s.err("delivery get", err)
}

func idArgs(ids []int64, first ...any) []any {
	args := append(make([]any, 0, len(first)+len(ids)), first...)
	for _, id := range ids {
		args = append(args, id)
	}
	return args
}

func (s *Store) DeliveryMarkSent(ctx context.Context, p *store.DeliveryMarkSentParams) (int, error) {
	if len(p.IDs) == 0 {
		return 0, nil
	}
	n, err := s.d.Exec(ctx, `UPDATE deliveries SET status = $1, sent_at = $2, last_error = '', attempts = attempts + 1
		WHERE status <> $1 AND id IN `+placeholders(3, len(p.IDs)), idArgs(p.IDs, store.DeliverySent, ms(now(p.Now)))...)
	return int(n), s.err("delivery mark sent", err)
}

func (s *Store) DeliveryMarkFailed(ctx context.Context, p *store.DeliveryMarkFailedParams) error {
	if len(p.IDs) == 0 {
		return nil
	}
	status := store.DeliveryRetrying
	if p.Final {
		status = store.DeliveryFailed
	}
	if p.Error == "" {
		return s.err("delivery mark failed", errors.Join(store.ErrInvalid, errors.New("a failure needs its reason")))
	}
	_, err := s.d.Exec(ctx, `UPDATE deliveries SET status = $1, last_error = $2, attempts = attempts + 1
		WHERE status <> $3 AND id IN `+placeholders(4, len(p.IDs)), idArgs(p.IDs, status, p.Error, store.DeliverySent)...)
	return s.err("delivery mark failed", err)
}

func (s *Store) DigestPendingList(ctx context.Context) ([]store.DigestKey, error) {
	return queryAll(ctx, s, s.d, "digest pending", func(r Row) (store.DigestKey, error) {
		var k store.DigestKey
		err := r.Scan(&k.AccountID, &k.Channel)
		return k, err
	}, `SELECT DISTINCT account_id, channel FROM deliveries
		WHERE digest = $1 AND status IN ($2, $3) ORDER BY account_id, channel`, true, store.DeliveryQueued, store.DeliveryRetrying)
}

func (s *Store) DigestDeliveryList(ctx context.Context, key store.DigestKey) ([]store.DeliveryJob, error) {
	return queryAll(ctx, s, s.d, "digest deliveries", scanJob, `SELECT `+jobCols+jobFrom+`
		WHERE d.account_id = $1 AND d.channel = $2 AND d.digest = $3 AND d.status IN ($4, $5) ORDER BY d.id`,
		key.AccountID, key.Channel, true, store.DeliveryQueued, store.DeliveryRetrying)
}

func (s *Store) AlertHandle(ctx context.Context, p *store.AlertHandleParams) (store.Alert, error) {
	const op = "alert handle"
	var a store.Alert
	err := s.d.InTx(ctx, func(tx Tx) error {
		var role store.Role
		if err := tx.QueryRow(ctx, `SELECT m.role FROM alerts al JOIN memberships m ON m.store_id = al.store_id AND m.account_id = $1
			WHERE al.id = $2`, p.AccountID, p.AlertID).Scan(&role); err != nil {
			return err
		}
		if !role.CanEdit() {
			return store.ErrForbidden
		}
		t := ms(now(p.Now))
		if p.Ack {
			if _, err := tx.Exec(ctx, `UPDATE alerts SET acked_at = $2, acked_by = $3 WHERE id = $1`, p.AlertID, t, p.AccountID); err != nil {
				return err
			}
		}
		if !p.SnoozeUntil.IsZero() || p.SnoozeRestock {
			if _, err := tx.Exec(ctx, `UPDATE alerts SET snoozed_until = $2, snooze_restock = $3 WHERE id = $1`,
				p.AlertID, ms(p.SnoozeUntil), p.SnoozeRestock); err != nil {
				return err
			}
		}
		var at alertTimes
		err := tx.QueryRow(ctx, `SELECT id, store_id, offering_id, `+kindExpr+`, quantity, threshold, cover_tenths, active, fired_at, resolved_at,
			acked_at, acked_by, snoozed_until, snooze_restock FROM alerts WHERE id = $1`, p.AlertID).Scan(&a.ID, &a.StoreID,
			&a.OfferingID, &a.Kind, &a.Quantity, &a.Threshold, &at.coverTenths, &a.Active, &at.fired, &at.resolved, &at.acked, &a.AckedBy,
			&at.snoozed, &a.SnoozeRestock)
		at.fill(&a)
		return err
	})
	return a, s.err(op, err)
}
