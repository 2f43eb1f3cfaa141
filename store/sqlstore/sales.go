package sqlstore

import (
	"context"
	"strings"
	"time"

	"github.com/stockroom/stockroom/store"
)

func (s *Store) SyncReceiptsWrite(ctx context.Context, p *store.SyncReceiptsWriteParams) (int, error) {
	var changed int
	err := s.d.InTx(ctx, func(tx Tx) error {
		if err := s.lockSaleWindows(ctx, tx, p.StoreID); err != nil {
			return err
		}
		if len(p.Receipts) > 0 {
			ids := make([]int64, 0, len(p.Receipts))
			for _, r := range p.Receipts {
				ids = append(ids, r.EtsyReceiptID)
			}
			seen := make(map[int64]int64, len(ids)) // etsy id -> etsy updated ms
			q, args := s.storeRowsByKey("receipts", "t.etsy_receipt_id, t.etsy_updated_at", "etsy_receipt_id", p.StoreID, ids)
			rows, err := tx.Query(ctx, q, args...)
			if err != nil {
				return err
			}
			for rows.Next() {
				var id, up int64
				if err := rows.Scan(&id, &up); err != nil {
					rows.Close()
					return err
				}
				seen[id] = up
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			var changedIDs []int64
			for _, r := range p.Receipts {
				if up, ok := seen[r.EtsyReceiptID]; !ok || up != ms(r.UpdatedAt) {
					changedIDs = append(changedIDs, r.EtsyReceiptID)
				}
			}
			// The sales sums move by what the changed receipts count after
			// the write less what they counted before it.
			before, err := s.countingLines(ctx, tx, p.StoreID, changedIDs)
			if err != nil {
				return err
			}
			seenAt := ms(p.SeenAt)
			for _, r := range p.Receipts {
				if up, ok := seen[r.EtsyReceiptID]; ok && up == ms(r.UpdatedAt) {
					continue // unchanged: an idempotent re-read of the page
				}
				changed++
				var id int64
				if err := tx.QueryRow(ctx, `INSERT INTO receipts (store_id, etsy_receipt_id, status, buyer_name, message, is_paid, is_shipped,
						total_amount, total_divisor, currency, etsy_created_at, etsy_updated_at, seen_at)
					VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
					ON CONFLICT (store_id, etsy_receipt_id) DO UPDATE SET status = excluded.status, buyer_name = excluded.buyer_name,
						message = excluded.message, is_paid = excluded.is_paid, is_shipped = excluded.is_shipped,
						total_amount = excluded.total_amount, total_divisor = excluded.total_divisor, currency = excluded.currency,
						etsy_updated_at = excluded.etsy_updated_at,
						seen_at = CASE WHEN receipts.seen_at > 0 THEN receipts.seen_at ELSE excluded.seen_at END
					RETURNING id`, p.StoreID, r.EtsyReceiptID, r.Status, r.BuyerName, r.Message, r.IsPaid, r.IsShipped,
					r.Total.Amount, r.Total.Divisor, r.Total.Currency, ms(r.CreatedAt), ms(r.UpdatedAt), seenAt).Scan(&id); err != nil {
					return err
				}
				voided := store.ReceiptVoided(r.Status)
				if len(r.Items) == 0 {
					// A page without lines still cancels or restores the
					// lines already held, which the sales figures count.
					if _, err := tx.Exec(ctx, `UPDATE receipt_items SET sold_at = $2, voided = $3 WHERE receipt_id = $1`,
						id, ms(r.CreatedAt), voided); err != nil {
						return err
					}
					continue
				}
				var sb strings.Builder
				sb.WriteString(`INSERT INTO receipt_items (store_id, receipt_id, etsy_transaction_id, etsy_listing_id, etsy_product_id, sku,
					title, variation, quantity, price_amount, price_divisor, sold_at, voided) VALUES `)
				args := make([]any, 0, len(r.Items)*13)
				for i, it := range r.Items {
					if i > 0 {
						sb.WriteByte(',')
					}
					sb.WriteString(placeholders(len(args)+1, 13))
					args = append(args, p.StoreID, id, it.EtsyTransactionID, it.EtsyListingID, it.EtsyProductID, it.SKU, it.Title,
						it.Variation, it.Quantity, it.Price.Amount, it.Price.Divisor, ms(r.CreatedAt), voided)
				}
				sb.WriteString(` ON CONFLICT (store_id, etsy_transaction_id) DO UPDATE SET quantity = excluded.quantity,
					sku = excluded.sku, title = excluded.title, variation = excluded.variation,
					sold_at = excluded.sold_at, voided = excluded.voided`)
				if _, err := tx.Exec(ctx, sb.String(), args...); err != nil {
					return err
				}
			}
			after, err := s.countingLines(ctx, tx, p.StoreID, changedIDs)
			if err != nil {
				return err
			}
			if err := s.applySales(ctx, tx, p.StoreID, before, after); err != nil {
				return err
			}
		}
		corrected, err := s.correctOverwrittenSales(ctx, tx, p)
		if err != nil {
			return err
		}
		if len(corrected) > 0 && p.OnCorrect != nil {
			if err := p.OnCorrect(ctx, txAdapter{tx}, corrected); err != nil {
				return err
			}
		}
		if p.Cursor != nil {
			c := *p.Cursor
			c.StoreID = p.StoreID
			return setSyncState(ctx, tx, &c)
		}
		return nil
	})
	return changed, s.err("sync receipts write", err)
}

func (s *Store) ReceiptUpdatedAtList(ctx context.Context, storeID int64, etsyReceiptIDs []int64) (map[int64]time.Time, error) {
	out := make(map[int64]time.Time, len(etsyReceiptIDs))
	if len(etsyReceiptIDs) == 0 {
		return out, nil
	}
	q, args := s.storeRowsByKey("receipts", "t.etsy_receipt_id, t.etsy_updated_at", "etsy_receipt_id", storeID, etsyReceiptIDs)
	return s.queryTimes(ctx, out, "receipt updated list", q, args...)
}

func (s *Store) ReceiptList(ctx context.Context, p *store.ReceiptListParams) ([]store.Receipt, error) {
	until := ms(p.Until)
	if until == 0 {
		until = 1<<62 - 1
	}
	rows, err := s.d.Query(ctx, `SELECT r.id, r.store_id, r.etsy_receipt_id, r.status, r.buyer_name, r.message, r.is_paid, r.is_shipped,
			r.total_amount, r.total_divisor, r.currency, r.etsy_created_at, r.etsy_updated_at
		FROM receipts r JOIN memberships m ON m.store_id = r.store_id AND m.account_id = $1
		WHERE r.store_id = $2 AND r.etsy_created_at >= $3 AND r.etsy_created_at < $4 AND (CAST($5 AS TEXT) = '' OR r.status = $5)
		ORDER BY r.etsy_created_at DESC, r.id DESC LIMIT $6`, p.AccountID, p.StoreID, ms(p.Since), until, p.Status, limit(p.Limit, 500))
	if err != nil {
		return nil, s.err("receipt list", err)
	}
	var out []store.Receipt
	index := map[int64]int{}
	for rows.Next() {
		var r store.Receipt
		var created, updated int64
		if err := rows.Scan(&r.ID, &r.StoreID, &r.EtsyReceiptID, &r.Status, &r.BuyerName, &r.Message, &r.IsPaid, &r.IsShipped,
			&r.Total.Amount, &r.Total.Divisor, &r.Total.Currency, &created, &updated); err != nil {
			rows.Close()
			return nil, s.err("receipt list", err)
		}
		r.CreatedAt, r.UpdatedAt = fromMS(created), fromMS(updated)
		index[r.ID] = len(out)
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, s.err("receipt list", err)
	}
	ids := make([]int64, 0, len(out))
	for _, r := range out {
		ids = append(ids, r.ID)
	}
	in, args := s.inInts("receipt_id", 1, ids)
	items, err := s.d.Query(ctx, `SELECT receipt_id, etsy_transaction_id, etsy_listing_id, etsy_product_id, sku, title, variation, quantity,
		price_amount, price_divisor FROM receipt_items WHERE `+in+` ORDER BY id`, args...)
	if err != nil {
		return nil, s.err("receipt list", err)
	}
	defer items.Close()
	for items.Next() {
		var rid int64
		var it store.ReceiptItem
		if err := items.Scan(&rid, &it.EtsyTransactionID, &it.EtsyListingID, &it.EtsyProductID, &it.SKU, &it.Title, &it.Variation,
			&it.Quantity, &it.Price.Amount, &it.Price.Divisor); err != nil {
			return nil, s.err("receipt list", err)
		}
		r := &out[index[rid]]
		it.Price.Currency = r.Total.Currency
		r.Items = append(r.Items, it)
	}
	return out, s.err("receipt list", items.Err())
}

// salesRange checks the account is a member of the store and returns the
// period in epoch milliseconds.
func (s *Store) salesRange(ctx context.Context, p *store.SalesRangeParams) (since, until int64, err error) {
	var one int
	if err := s.d.QueryRow(ctx, `SELECT 1 FROM memberships WHERE account_id = $1 AND store_id = $2`,
		p.AccountID, p.StoreID).Scan(&one); err != nil {
		return 0, 0, err
	}
	until = ms(p.Until)
	if until == 0 {
		until = openEnd
	}
	return ms(p.Since), until, nil
}

// salesRevenue is a line's revenue in hundredths, whatever its divisor.
const salesRevenue = `SUM(CAST(quantity AS BIGINT) * price_amount * 100 / CASE WHEN price_divisor > 0 THEN price_divisor ELSE 100 END)`
