package sqlstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/stockroom/stockroom/store"
)

// chunk is the most rows one multi-row INSERT carries: well under both
// databases' parameter limits, large enough to keep round trips few.
const chunk = 200

type existingListing struct {
	id        int64
	title     string
	state     string
	url       string
	quantity  int
	updatedAt int64
	createdAt int64
	gone      bool
}

type existingProduct struct {
	id, listingID       int64
	key, sku, variation string
	props               string
	etsyProductID       int64
	gone                bool
	offeringID          int64
	etsyOfferingID      int64
	quantity            int
	price               store.Money
	enabled             bool
	readiness           int64
	version             int64
	pushedAt            int64
}

func (s *Store) SyncListingsWrite(ctx context.Context, p *store.SyncListingsWriteParams) (store.SyncWriteResult, error) {
	var res store.SyncWriteResult
	err := s.d.InTx(ctx, func(tx Tx) error {
		var err error
		if res, err = s.writeListings(ctx, tx, p); err != nil {
			return err
		}
		if p.Cursor != nil {
			c := *p.Cursor
			c.StoreID = p.StoreID
			if err := setSyncState(ctx, tx, &c); err != nil {
				return err
			}
		}
		if p.OnCommit != nil {
			return p.OnCommit(ctx, txAdapter{tx}, res)
		}
		return nil
	})
	return res, s.err("sync listings write", err)
}

func (s *Store) writeListings(ctx context.Context, tx Tx, p *store.SyncListingsWriteParams) (store.SyncWriteResult, error) {
	var res store.SyncWriteResult
	if len(p.Listings) == 0 {
		return res, nil
	}
	t := ms(now(p.Now))
	ids := make([]int64, 0, len(p.Listings))
	for _, l := range p.Listings {
		ids = append(ids, l.EtsyListingID)
	}
	existing := make(map[int64]existingListing, len(ids))
	byEtsy := make(map[int64]int64, len(ids)) // etsy listing id -> our id
	q, args := s.storeRowsByKey("listings", `t.id, t.etsy_listing_id, t.title, t.state, t.url, t.quantity, t.etsy_updated_at, t.etsy_created_at, t.gone`,
		"etsy_listing_id", p.StoreID, ids)
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return res, err
	}
	for rows.Next() {
		var e existingListing
		var etsyID int64
		if err := rows.Scan(&e.id, &etsyID, &e.title, &e.state, &e.url, &e.quantity, &e.updatedAt, &e.createdAt, &e.gone); err != nil {
			rows.Close()
			return res, err
		}
		existing[etsyID] = e
		byEtsy[etsyID] = e.id
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return res, err
	}

	var inserts []store.ListingSnapshot
	var updates []Statement
	for _, l := range p.Listings {
		e, ok := existing[l.EtsyListingID]
		if !ok {
			inserts = append(inserts, l)
			continue
		}
		if e.title != l.Title || e.state != l.State || e.url != l.URL || e.quantity != l.Quantity ||
			e.updatedAt != ms(l.UpdatedAt) || e.gone || (e.createdAt == 0 && !l.CreatedAt.IsZero()) {
			// A state someone else changed is theirs: Stockroom no longer
			// counts the listing as one it deactivated.
			updates = append(updates, Statement{`UPDATE listings SET title = $2, state = $3, url = $4, quantity = $5,
				etsy_updated_at = $6, gone = $7, synced_at = $8, etsy_created_at = $10,
				stockroom_deactivated = CASE WHEN state = CAST($3 AS TEXT) THEN stockroom_deactivated ELSE CAST($9 AS BOOLEAN) END WHERE id = $1`,
				[]any{e.id, l.Title, l.State, l.URL, l.Quantity, ms(l.UpdatedAt), false, t, false, max(e.createdAt, ms(l.CreatedAt))}})
		}
	}
	res.ListingsChanged = len(inserts) + len(updates)
	vals := make([]any, 0, len(inserts)*len(listingCols))
	for _, l := range inserts {
		vals = append(vals, p.StoreID, l.EtsyListingID, l.Title, l.State, l.URL, l.Quantity, ms(l.UpdatedAt), t, ms(l.CreatedAt))
	}
	if err := s.insertRows(ctx, tx, "listings", listingCols, vals, "id, etsy_listing_id", func(r Rows) error {
		var id, etsyID int64
		if err := r.Scan(&id, &etsyID); err != nil {
			return err
		}
		byEtsy[etsyID] = id
		return nil
	}); err != nil {
		return res, err
	}
	if err := s.d.ExecBatch(ctx, tx, updates); err != nil {
		return res, err
	}
	if err := s.writeProducts(ctx, tx, p, byEtsy, existing, t, &res); err != nil {
		return res, err
	}
	return res, nil
}

// existingProducts reads the stored products and offerings of listings.
// On PostgreSQL each listing is looked up on its own: "listing_id = ANY($1)"
// planned while the tables were small (or never analysed) stays a scan of
// every offering, which makes each page of a re-sync read the whole store.
func (s *Store) existingProducts(ctx context.Context, tx Tx, listingIDs []int64, fn func(existingProduct)) error {
	if len(listingIDs) == 0 {
		return nil
	}
	const cols = `SELECT p.id, p.listing_id, p.product_key, p.sku, p.variation, p.property_values, p.etsy_product_id, p.gone,
			o.id, o.etsy_offering_id, o.quantity, o.price_amount, o.price_divisor, o.currency, o.is_enabled, o.readiness_state_id, o.version, o.pushed_at`
	var q string
	var args []any
	if s.arrays {
		// LIMIT and OFFSET keep each subquery apart, so every listing and
		// every product is an index probe whatever the statistics say.
		q = `SELECT p.id, p.listing_id, p.product_key, p.sku, p.variation, p.property_values, p.etsy_product_id, p.gone,
				o.id, o.etsy_offering_id, o.quantity, o.price_amount, o.price_divisor, o.currency, o.is_enabled, o.readiness_state_id, o.version, o.pushed_at
			FROM unnest(CAST($1 AS BIGINT[])) AS k(key_id)
			CROSS JOIN LATERAL (SELECT * FROM products WHERE listing_id = k.key_id OFFSET 0) p
			CROSS JOIN LATERAL (SELECT * FROM offerings WHERE product_id = p.id LIMIT 1) o`
		args = []any{listingIDs}
	} else {
		var in string
		in, args = s.inInts("p.listing_id", 1, listingIDs)
		q = cols + ` FROM products p JOIN offerings o ON o.product_id = p.id WHERE ` + in
	}
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var e existingProduct
		if err := rows.Scan(&e.id, &e.listingID, &e.key, &e.sku, &e.variation, &e.props, &e.etsyProductID, &e.gone,
			&e.offeringID, &e.etsyOfferingID, &e.quantity, &e.price.Amount, &e.price.Divisor, &e.price.Currency,
			&e.enabled, &e.readiness, &e.version, &e.pushedAt); err != nil {
			return err
		}
		fn(e)
	}
	return rows.Err()
}

type newProduct struct {
	listingID int64
	snap      store.ProductSnapshot
}

func (s *Store) writeProducts(ctx context.Context, tx Tx, p *store.SyncListingsWriteParams, byEtsy map[int64]int64,
	known map[int64]existingListing, t int64, res *store.SyncWriteResult) error {
	// Only listings that were already stored can have products to compare;
	// a first sync skips the lookup altogether.
	listingIDs := make([]int64, 0, len(p.Listings))
	for _, l := range p.Listings {
		if _, ok := known[l.EtsyListingID]; ok && l.Products != nil {
			listingIDs = append(listingIDs, byEtsy[l.EtsyListingID])
		}
	}
	existing := make(map[int64]map[string]existingProduct, len(listingIDs))
	if err := s.existingProducts(ctx, tx, listingIDs, func(e existingProduct) {
		if existing[e.listingID] == nil {
			existing[e.listingID] = map[string]existingProduct{}
		}
		existing[e.listingID][e.key] = e
	}); err != nil {
		return err
	}
	readAt := ms(p.ReadAt) // 0: no check
	source := p.Source
	if source == "" {
		source = store.SourceSync
	}
	var inserts []newProduct
	var stmts []Statement
	for _, l := range p.Listings {
		if l.Products == nil {
			continue
		}
		lid := byEtsy[l.EtsyListingID]
		have := existing[lid]
		seen := make(map[string]bool, len(l.Products))
		for _, ps := range l.Products {
			if seen[ps.Key] {
				return fmt.Errorf("listing %d: two products share the key %q", l.EtsyListingID, ps.Key)
			}
			seen[ps.Key] = true
			e, ok := have[ps.Key]
			if !ok {
				inserts = append(inserts, newProduct{lid, ps})
				continue
			}
			if e.sku != ps.SKU || e.variation != ps.Variation || e.props != ps.PropertyValues || e.etsyProductID != ps.EtsyProductID || e.gone {
				stmts = append(stmts, Statement{`UPDATE products SET sku = $2, variation = $3, property_values = $4,
					etsy_product_id = $5, gone = $6 WHERE id = $1`, []any{e.id, ps.SKU, ps.Variation, ps.PropertyValues, ps.EtsyProductID, false}})
			}
			if readAt != 0 && e.pushedAt >= readAt {
				continue // pushed since the page was read: the push's record is newer
			}
			if ps.ReadinessID == 0 {
				// Etsy sent null, as it does outside shop-scoped and
				// single-listing reads of active listings: the profile
				// known stays.
				ps.ReadinessID = e.readiness
			}
			if e.etsyOfferingID != ps.EtsyOfferingID || e.quantity != ps.Quantity || e.price != ps.Price ||
				e.enabled != ps.Enabled || e.readiness != ps.ReadinessID {
				// The version check lets a concurrent push or edit win over
				// this older picture of Etsy; the next sync catches up.
				seenAt := readAt
				if seenAt == 0 {
					seenAt = t
				}
				stmts = append(stmts, Statement{`UPDATE offerings SET etsy_offering_id = $3, quantity = $4, price_amount = $5,
					price_divisor = $6, currency = $7, is_enabled = $8, readiness_state_id = $9, version = version + 1, updated_at = $10,
					quantity_at = CASE WHEN quantity <> CAST($4 AS INTEGER) OR (CAST($12 AS INTEGER) = 1 AND quantity_at < CAST($11 AS BIGINT))
						THEN CAST($11 AS BIGINT) ELSE quantity_at END
					WHERE id = $1 AND version = $2`, []any{e.offeringID, e.version, ps.EtsyOfferingID, ps.Quantity, ps.Price.Amount,
					ps.Price.Divisor, ps.Price.Currency, ps.Enabled, ps.ReadinessID, t, seenAt, boolInt(p.Confirm && readAt != 0)}})
				res.OfferingsChanged++
				if e.quantity != ps.Quantity {
					res.StockChanges = append(res.StockChanges, store.StockChange{OfferingID: e.offeringID, Before: e.quantity, After: ps.Quantity})
					// Recorded only if the update above applied (the row is
					// at the version it set), so a change a concurrent edit
					// won over never reaches the audit trail.
					stmts = append(stmts, Statement{`INSERT INTO stock_events (store_id, offering_id, source, before_qty, after_qty, created_at)
						SELECT $1, $2, 'sync', $3, $4, $5 WHERE EXISTS
							(SELECT 1 FROM offerings WHERE id = $2 AND version = $6 AND updated_at = $5)`,
						[]any{p.StoreID, e.offeringID, e.quantity, ps.Quantity, t, e.version + 1}})
					stmts = append(stmts, Statement{`INSERT INTO activity (store_id, actor, source, kind, offering_id, subject, title,
							before_text, after_text, before_qty, after_qty, created_at)
						SELECT $1, 'Etsy', $9, 'stock.sync', o.id, p.sku, ` + activityTitleSQL + `, $3, $4, $5, $6, $7
						FROM offerings o JOIN products p ON p.id = o.product_id JOIN listings l ON l.id = p.listing_id
						WHERE o.id = $2 AND o.version = $8 AND o.updated_at = $7`,
						[]any{p.StoreID, e.offeringID, strconv.Itoa(e.quantity), strconv.Itoa(ps.Quantity), e.quantity, ps.Quantity, t, e.version + 1, source}})
				}
			} else if p.Confirm && readAt != 0 {
				stmts = append(stmts, Statement{`UPDATE offerings SET quantity_at = $2 WHERE id = $1 AND quantity = $3 AND quantity_at < $2`,
					[]any{e.offeringID, readAt, ps.Quantity}})
			}
		}
		for key, e := range have {
			if !seen[key] && !e.gone {
				stmts = append(stmts, Statement{`UPDATE products SET gone = $2 WHERE id = $1`, []any{e.id, true}})
			}
		}
	}
	if err := s.d.ExecBatch(ctx, tx, stmts); err != nil {
		return err
	}

	if len(inserts) == 0 {
		return nil
	}
	type productRef struct {
		listingID int64
		key       string
	}
	vals := make([]any, 0, len(inserts)*len(productCols))
	for _, np := range inserts {
		vals = append(vals, p.StoreID, np.listingID, np.snap.Key, np.snap.SKU, np.snap.Variation, np.snap.PropertyValues, np.snap.EtsyProductID)
	}
	productIDs := make(map[productRef]int64, len(inserts))
	if err := s.insertRows(ctx, tx, "products", productCols, vals, "id, listing_id, product_key", func(r Rows) error {
		var id int64
		var ref productRef
		if err := r.Scan(&id, &ref.listingID, &ref.key); err != nil {
			return err
		}
		productIDs[ref] = id
		return nil
	}); err != nil {
		return err
	}
	vals = make([]any, 0, len(inserts)*len(offeringCols))
	for _, np := range inserts {
		pid, ok := productIDs[productRef{np.listingID, np.snap.Key}]
		if !ok {
			return errors.New("product insert returned no id")
		}
		vals = append(vals, p.StoreID, pid, np.snap.EtsyOfferingID, np.snap.Quantity, np.snap.Price.Amount, np.snap.Price.Divisor,
			np.snap.Price.Currency, np.snap.Enabled, np.snap.ReadinessID, t, cmp.Or(readAt, t))
	}
	if err := s.insertRows(ctx, tx, "offerings", offeringCols, vals, "id", func(r Rows) error {
		var id int64
		if err := r.Scan(&id); err != nil {
			return err
		}
		res.NewOfferings = append(res.NewOfferings, id)
		return nil
	}); err != nil {
		return err
	}
	res.OfferingsChanged += len(inserts)
	return nil
}

var (
	listingCols = []bulkCol{{"store_id", colInt}, {"etsy_listing_id", colInt}, {"title", colText}, {"state", colText},
		{"url", colText}, {"quantity", colInt}, {"etsy_updated_at", colInt}, {"synced_at", colInt},
		{"etsy_created_at", colInt}}
	productCols = []bulkCol{{"store_id", colInt}, {"listing_id", colInt}, {"product_key", colText}, {"sku", colText},
		{"variation", colText}, {"property_values", colText}, {"etsy_product_id", colInt}}
	offeringCols = []bulkCol{{"store_id", colInt}, {"product_id", colInt}, {"etsy_offering_id", colInt}, {"quantity", colInt},
		{"price_amount", colInt}, {"price_divisor", colInt}, {"currency", colText}, {"is_enabled", colBool},
		{"readiness_state_id", colInt}, {"updated_at", colInt}, {"quantity_at", colInt}}
)

func (s *Store) SyncListingsMarkGone(ctx context.Context, storeID int64, seen []int64) (int, error) {
	seenSet := make(map[int64]bool, len(seen))
	for _, id := range seen {
		seenSet[id] = true
	}
	var changed int
	err := s.d.InTx(ctx, func(tx Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, etsy_listing_id, gone FROM listings WHERE store_id = $1`, storeID)
		if err != nil {
			return err
		}
		var stmts []Statement
		for rows.Next() {
			var id, etsyID int64
			var gone bool
			if err := rows.Scan(&id, &etsyID, &gone); err != nil {
				rows.Close()
				return err
			}
			if gone == seenSet[etsyID] {
				stmts = append(stmts, Statement{`UPDATE listings SET gone = $2 WHERE id = $1`, []any{id, !gone}})
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		changed = len(stmts)
		return s.d.ExecBatch(ctx, tx, stmts)
	})
	return changed, s.err("sync listings mark gone", err)
}

const rowCols = `o.id, p.id, l.id, o.store_id, l.etsy_listing_id, p.etsy_product_id, o.etsy_offering_id, l.title, l.state, l.url,
	p.product_key, p.sku, p.variation, o.quantity, o.desired_quantity, o.base_quantity, o.price_amount, o.price_divisor, o.currency,
	o.is_enabled, o.readiness_state_id, o.version, o.desired_version, o.pushed_version, o.push_status, o.push_error, o.pushed_at,
	COALESCE(o.low_stock_threshold, l.low_stock_threshold, s.low_stock_default), l.gone, p.gone, o.updated_at,
	o.edit_kind, o.base_at, o.quantity_at, l.stockroom_deactivated, l.etsy_created_at, o.set_at`

const rowFrom = ` FROM offerings o JOIN products p ON p.id = o.product_id JOIN listings l ON l.id = p.listing_id
	JOIN stores s ON s.id = o.store_id`

func scanRow(r Row) (store.InventoryRow, error) {
	var x store.InventoryRow
	var pushedAt, updated, baseAt, qtyAt, listed, setAt int64
	var lgone, pgone bool
	err := r.Scan(&x.OfferingID, &x.ProductID, &x.ListingID, &x.StoreID, &x.EtsyListingID, &x.EtsyProductID, &x.EtsyOfferingID,
		&x.Title, &x.ListingState, &x.URL, &x.ProductKey, &x.SKU, &x.Variation, &x.Quantity, &x.DesiredQuantity, &x.BaseQuantity,
		&x.Price.Amount, &x.Price.Divisor, &x.Price.Currency, &x.Enabled, &x.ReadinessID, &x.Version, &x.DesiredVersion,
		&x.PushedVersion, &x.PushStatus, &x.PushError, &pushedAt, &x.Threshold, &lgone, &pgone, &updated,
		&x.EditKind, &baseAt, &qtyAt, &x.StockroomDeactivated, &listed, &setAt)
	x.PushedAt, x.UpdatedAt, x.BaseAt, x.QuantityAt = fromMS(pushedAt), fromMS(updated), fromMS(baseAt), fromMS(qtyAt)
	x.ListedAt, x.SetAt = fromMS(listed), fromMS(setAt)
	x.Gone = lgone || pgone
	return x, err
}

func (s *Store) queryRows(ctx context.Context, q Querier, op, sql string, args ...any) ([]store.InventoryRow, error) {
	return queryAll(ctx, s, q, op, scanRow, sql, args...)
}

func (s *Store) InventoryList(ctx context.Context, p *store.InventoryListParams) ([]store.InventoryRow, error) {
	return s.queryRows(ctx, s.d, "inventory list", `SELECT `+rowCols+rowFrom+`
		JOIN memberships m ON m.store_id = o.store_id AND m.account_id = $1
		WHERE o.store_id = $2 ORDER BY l.title, l.etsy_listing_id, p.variation, o.id`, p.AccountID, p.StoreID)
}

func (s *Store) InventoryGet(ctx context.Context, accountID, offeringID int64) (store.InventoryRow, error) {
	x, err := scanRow(s.d.QueryRow(ctx, `SELECT `+rowCols+rowFrom+`
		JOIN memberships m ON m.store_id = o.store_id AND m.account_id = $1 WHERE o.id = $2`, accountID, offeringID))
	return x, s.err("inventory get", err)
}

// inventoryIDsPerQuery bounds the placeholders of one InventoryListByIDs
// query (SQLite allows 32,766, PostgreSQL 65,535; smaller keeps each
// statement cheap to plan).
const inventoryIDsPerQuery = 500

func (s *Store) InventoryListByIDs(ctx context.Context, p *store.InventoryListByIDsParams) ([]store.InventoryRow, error) {
	// Sorted and unique, so the chunks come back in id order and no row
	// twice.
	sorted := slices.Compact(slices.Sorted(slices.Values(p.OfferingIDs)))
	var out []store.InventoryRow
	for ids := range slices.Chunk(sorted, inventoryIDsPerQuery) {
		args := make([]any, 0, len(ids)+2)
		args = append(args, p.AccountID, p.StoreID)
		var in strings.Builder
		for i, id := range ids {
			if i > 0 {
				in.WriteByte(',')
			}
			fmt.Fprintf(&in, "$%d", i+3)
			args = append(args, id)
		}
		rows, err := s.queryRows(ctx, s.d, "inventory list by ids", `SELECT `+rowCols+rowFrom+`
			JOIN memberships m ON m.store_id = o.store_id AND m.account_id = $1
			WHERE o.store_id = $2 AND o.id IN (`+in.String()+`) ORDER BY o.id`, args...)
		if err != nil {
			return nil, err
		}
		out = append(out, rows...)
	}
	return out, nil
}

func (s *Store) InventoryGetByID(ctx context.Context, offeringID int64) (store.InventoryRow, error) {
	x, err := scanRow(s.d.QueryRow(ctx, `SELECT `+rowCols+rowFrom+` WHERE o.id = $1`, offeringID))
	return x, s.err("inventory get", err)
}

func (s *Store) StockEdit(ctx context.Context, p *store.StockEditParams) ([]store.InventoryRow, error) {
	t := ms(now(p.Now))
	var out []store.InventoryRow
	err := s.d.InTx(ctx, func(tx Tx) error {
		var role store.Role
		if err := tx.QueryRow(ctx, `SELECT role FROM memberships WHERE account_id = $1 AND store_id = $2`,
			p.AccountID, p.StoreID).Scan(&role); err != nil {
			return err
		}
		if !role.CanEdit() {
			return store.ErrForbidden
		}
		out = make([]store.InventoryRow, 0, len(p.Edits))
		for _, e := range p.Edits {
			if e.Quantity < 0 || e.Quantity > 999 {
				return fmt.Errorf("quantity %d is outside 0..999: %w", e.Quantity, store.ErrInvalid)
			}
			cur, err := scanRow(tx.QueryRow(ctx, `SELECT `+rowCols+rowFrom+` WHERE o.id = $1 AND o.store_id = $2`, e.OfferingID, p.StoreID))
			if err != nil {
				return err
			}
			if e.Version != 0 && cur.Version != e.Version {
				return &store.StaleError{Current: cur}
			}
			if cur.Shown() == e.Quantity && (cur.Pending() || cur.PushStatus != store.PushFailed) {
				if !cur.Pending() && (e.Kind == "" || e.Kind == store.EditSet) {
					// Nothing to write, but a set of the count shown is
					// still the seller's count as of now: a sale a write
					// overwrote before it, learned later, is left out of
					// it as with any set (see correctSale).
					if _, err := tx.Exec(ctx, `UPDATE offerings SET set_at = $2 WHERE id = $1`, e.OfferingID, t); err != nil {
						return err
					}
				}
				out = append(out, cur)
				continue
			}
			kind := e.Kind
			if kind == "" {
				kind = store.EditSet
			}
			if kind != store.EditSet && kind != store.EditAdd {
				return fmt.Errorf("edit kind %q: %w", kind, store.ErrInvalid)
			}
			// A new edit keeps the base of an edit still waiting for Etsy
			// (and when Etsy held it): the push applies the seller's total
			// change, and a set among the waiting edits makes them a set.
			n, err := tx.Exec(ctx, `UPDATE offerings SET desired_quantity = $3,
					base_quantity = CASE WHEN desired_version > pushed_version THEN base_quantity ELSE quantity END,
					base_at = CASE WHEN desired_version > pushed_version THEN base_at
						WHEN quantity_at > 0 THEN quantity_at ELSE updated_at END,
					edit_kind = CASE WHEN desired_version > pushed_version AND edit_kind = 'set' THEN 'set' ELSE CAST($5 AS TEXT) END,
					set_at = CASE WHEN CAST($5 AS TEXT) = 'set' THEN CAST($4 AS BIGINT) ELSE set_at END,
					desired_version = desired_version + 1, version = version + 1, push_status = 'pending', push_error = '', updated_at = $4
				WHERE id = $1 AND version = $2`, e.OfferingID, cur.Version, e.Quantity, t, string(kind))
			if err != nil {
				return err
			}
			if n == 0 {
				now, err := scanRow(tx.QueryRow(ctx, `SELECT `+rowCols+rowFrom+` WHERE o.id = $1`, e.OfferingID))
				if err != nil {
					return err
				}
				return &store.StaleError{Current: now}
			}
			if _, err := tx.Exec(ctx, `INSERT INTO stock_events (store_id, offering_id, account_id, source, before_qty, after_qty, note, created_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, p.StoreID, e.OfferingID, p.AccountID, p.Source, cur.Shown(), e.Quantity, p.Note, t); err != nil {
				return err
			}
			ev := stockActivity(cur, store.KindStockSet, cur.Shown(), e.Quantity)
			ev.ActorID, ev.ActorKey, ev.Source, ev.Note = p.AccountID, p.Fingerprint, p.Source, p.Note
			ev.Version, ev.BatchID, ev.UndoOf = cur.DesiredVersion+1, p.BatchID, e.UndoOf
			if _, err := appendActivity(ctx, tx, &ev, t); err != nil {
				return err
			}
			row, err := scanRow(tx.QueryRow(ctx, `SELECT `+rowCols+rowFrom+` WHERE o.id = $1`, e.OfferingID))
			if err != nil {
				return err
			}
			out = append(out, row)
		}
		if p.OnCommit != nil {
			return p.OnCommit(ctx, txAdapter{tx}, out)
		}
		return nil
	})
	var stale *store.StaleError
	if errors.As(err, &stale) {
		return nil, err
	}
	return out, s.err("stock edit", err)
}

func (s *Store) PushDone(ctx context.Context, p *store.PushDoneParams) (store.InventoryRow, error) {
	t := ms(now(p.Now))
	var row store.InventoryRow
	err := s.d.InTx(ctx, func(tx Tx) error {
		if p.Window != nil {
			if err := s.lockSaleWindows(ctx, tx, p.Window.StoreID); err != nil {
				return err
			}
		}
		// The window is recorded once the outcome is: a sale it finds
		// already synced is corrected against the row as pushed.
		if err := s.pushDone(ctx, tx, p, t, &row); err != nil || p.Window == nil {
			return err
		}
		if err := s.recordWindow(ctx, tx, p.Window); err != nil {
			return err
		}
		var err error
		row, err = scanRow(tx.QueryRow(ctx, `SELECT `+rowCols+rowFrom+` WHERE o.id = $1`, p.OfferingID))
		return err
	})
	return row, s.err("push done", err)
}

// pushDone is PushDone's record of the outcome, in tx; row is set to the
// offering's row.
func (s *Store) pushDone(ctx context.Context, tx Tx, p *store.PushDoneParams, t int64, row *store.InventoryRow) error {
	cur, err := scanRow(tx.QueryRow(ctx, `SELECT `+rowCols+rowFrom+` WHERE o.id = $1`, p.OfferingID))
	if err != nil {
		return err
	}
	if cur.PushedVersion >= p.DesiredVersion {
		*row = cur // already recorded: a retried job after a crash
		return nil
	}
	etsyAt := ms(p.EtsyAt)
	if etsyAt == 0 {
		etsyAt = t
	}
	// A sync that read Etsy's count after the push did (a sale since) is
	// newer than the push's picture of it: its count stays. Otherwise the
	// count is Etsy's as of etsyAt, changed or not: a set typed on it
	// knows the sales Stockroom had heard of before then are in it.
	etsyNow := p.Etsy
	if ms(cur.QuantityAt) > etsyAt {
		etsyNow = cur.Quantity
	}
	// An edit made since DesiredVersion stays pending and is rebased
	// on what this push did: its base becomes that version's quantity,
	// still as of the edits' base time, so nothing is applied twice. An
	// add keeps only the change made after DesiredVersion. A set (or an
	// add merged into one) still keeps the sales made since that base:
	// Etsy holds the written version less them, so they stay told apart
	// from edits made on Etsy.com. Measured from Etsy's count now instead,
	// a sale the written version kept would be undone by the next write.
	if _, err := tx.Exec(ctx, `UPDATE offerings SET pushed_version = $2, quantity = CAST($4 AS INTEGER),
			base_quantity = CASE WHEN desired_version <= $2 THEN CAST($3 AS INTEGER) ELSE CAST($7 AS INTEGER) END,
			base_at = CASE WHEN desired_version > $2 THEN base_at ELSE CAST($6 AS BIGINT) END,
			quantity_at = CASE WHEN quantity <> CAST($4 AS INTEGER) OR quantity_at < CAST($6 AS BIGINT) THEN CAST($6 AS BIGINT) ELSE quantity_at END,
			push_status = CASE WHEN desired_version <= $2 THEN 'pushed' ELSE 'pending' END,
			push_error = '', pushed_at = $5, version = version + 1, updated_at = $5
		WHERE id = $1`, p.OfferingID, p.DesiredVersion, p.Pushed, etsyNow, t, etsyAt, p.Desired); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO stock_events (store_id, offering_id, source, before_qty, after_qty, note, created_at)
		VALUES ($1, $2, 'push', $3, $4, $5, $6)`, cur.StoreID, p.OfferingID, cur.Quantity, etsyNow, p.Note, t); err != nil {
		return err
	}
	if err := s.keepRaisedBase(ctx, tx, p, cur, t, etsyAt); err != nil {
		return err
	}
	ev := stockActivity(cur, store.KindStockPushed, cur.Quantity, etsyNow)
	ev.Actor, ev.Source, ev.Version, ev.Note = store.ActorSync, store.SourcePush, p.DesiredVersion, p.Note
	if _, err := appendActivity(ctx, tx, &ev, t); err != nil {
		return err
	}
	*row, err = scanRow(tx.QueryRow(ctx, `SELECT `+rowCols+rowFrom+` WHERE o.id = $1`, p.OfferingID))
	return err
}

// keepRaisedBase takes off the sales a receipt kept by raising the base of
// the set this push wrote after the push had planned on the base without
// reading the receipts: the push did not take them off. With nothing
// newer pending, a correction is queued (an add, pushed by the job's next
// round); a newer edit, rebased on this push, keeps the raised base.
func (s *Store) keepRaisedBase(ctx context.Context, tx Tx, p *store.PushDoneParams, cur store.InventoryRow, t, etsyAt int64) error {
	extra := cur.BaseQuantity - p.Base
	if !p.Unread || cur.EditKind != store.EditSet || extra <= 0 {
		return nil
	}
	if cur.DesiredVersion > p.DesiredVersion {
		_, err := tx.Exec(ctx, `UPDATE offerings SET base_quantity = base_quantity + $2 WHERE id = $1`, p.OfferingID, extra)
		return err
	}
	// The correction is measured from what the write left (p.Etsy), not
	// from the count the row shows: a sync may have read a newer one.
	after := max(p.Etsy-extra, 0)
	if _, err := tx.Exec(ctx, `UPDATE offerings SET desired_quantity = $2, base_quantity = $5, base_at = $3, edit_kind = 'add',
			desired_version = desired_version + 1, version = version + 1, push_status = 'pending', push_error = '', updated_at = $4
		WHERE id = $1`, p.OfferingID, after, etsyAt, t, p.Etsy); err != nil {
		return err
	}
	note := fmt.Sprintf("sold %d while Stockroom was writing this listing, learned as it wrote again; taken off Etsy's count again", extra)
	_, err := tx.Exec(ctx, `INSERT INTO stock_events (store_id, offering_id, source, before_qty, after_qty, note, created_at)
		VALUES ($1, $2, 'push', $3, $4, $5, $6)`, cur.StoreID, p.OfferingID, p.Etsy, after, note, t)
	return err
}

func (s *Store) PushFailed(ctx context.Context, p *store.PushFailedParams) error {
	// The refused edit stops being pending, so the row shows Etsy's
	// quantity again, with the reason beside it.
	t := ms(now(p.Now))
	err := s.d.InTx(ctx, func(tx Tx) error {
		n, err := tx.Exec(ctx, `UPDATE offerings SET pushed_version = desired_version, push_status = 'failed', push_error = $3,
			version = version + 1, updated_at = $4 WHERE id = $1 AND desired_version = $2 AND pushed_version < $2`,
			p.OfferingID, p.DesiredVersion, p.Message, t)
		if err != nil || n == 0 {
			return err
		}
		cur, err := scanRow(tx.QueryRow(ctx, `SELECT `+rowCols+rowFrom+` WHERE o.id = $1`, p.OfferingID))
		if err != nil {
			return err
		}
		ev := stockActivity(cur, store.KindStockPushFailed, cur.Quantity, cur.Quantity)
		ev.Actor, ev.Source, ev.Version, ev.Note = store.ActorSync, store.SourcePush, p.DesiredVersion, p.Message
		_, err = appendActivity(ctx, tx, &ev, t)
		return err
	})
	return s.err("push failed", err)
}

func (s *Store) PushPendingList(ctx context.Context, p *store.PushPendingListParams) ([]store.InventoryRow, error) {
	return s.queryRows(ctx, s.d, "push pending", `SELECT `+rowCols+rowFrom+`
		WHERE o.store_id = $1 AND o.desired_version > o.pushed_version
			AND (CAST($2 AS BIGINT) = 0 OR l.etsy_listing_id = $2)
		ORDER BY o.updated_at, o.id`, p.StoreID, p.EtsyListingID)
}

func (s *Store) StockEventList(ctx context.Context, p *store.StockEventListParams) ([]store.StockEvent, error) {
	q := `SELECT e.id, e.store_id, e.offering_id, COALESCE(e.account_id, 0), e.source, e.before_qty, e.after_qty, e.note, e.created_at
		FROM stock_events e JOIN memberships m ON m.store_id = e.store_id AND m.account_id = $1
		WHERE e.store_id = $2 AND (CAST($3 AS BIGINT) = 0 OR e.offering_id = $3) ORDER BY e.created_at DESC, e.id DESC LIMIT $4`
	return queryAll(ctx, s, s.d, "stock events", scanStockEvent, q, p.AccountID, p.StoreID, p.OfferingID, limit(p.Limit, 200))
}

func scanStockEvent(r Row) (store.StockEvent, error) {
	var e store.StockEvent
	var at int64
	err := r.Scan(&e.ID, &e.StoreID, &e.OfferingID, &e.AccountID, &e.Source, &e.Before, &e.After, &e.Note, &at)
	e.CreatedAt = fromMS(at)
	return e, err
}

func (s *Store) ThresholdSet(ctx context.Context, p *store.ThresholdSetParams) error {
	member := ` AND EXISTS (SELECT 1 FROM memberships m WHERE m.store_id = $2 AND m.account_id = $4 AND m.role IN ('owner', 'manager'))`
	switch {
	case p.OfferingID != 0:
		return s.execOne(ctx, "threshold set", `UPDATE offerings SET low_stock_threshold = $3, version = version + 1
			WHERE id = $1 AND store_id = $2`+member, p.OfferingID, p.StoreID, p.Threshold, p.AccountID)
	case p.ListingID != 0:
		return s.execOne(ctx, "threshold set", `UPDATE listings SET low_stock_threshold = $3
			WHERE id = $1 AND store_id = $2`+member, p.ListingID, p.StoreID, p.Threshold, p.AccountID)
	default:
		return s.err("threshold set", fmt.Errorf("a listing or an offering is required: %w", store.ErrInvalid))
	}
}

// boolInt is b as the 0 or 1 both databases compare integers with.
func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
