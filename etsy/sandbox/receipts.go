// This file serves getShopReceipts and getShopReceipt: date, status filters,
// sorting and offset paging as the description gives them.

package sandbox

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"

	"github.com/stockroom/stockroom/etsy"
)

// transactionJSON is etsy's Transaction with the fields of the description
// that Stockroom does not read.
type transactionJSON struct {
	etsy.Transaction
	SellerUserID    int64   `json:"seller_user_id"`
	BuyerUserID     int64   `json:"buyer_user_id"`
	CreateTimestamp int64   `json:"create_timestamp"`
	FileData        string  `json:"file_data"`
	TransactionType string  `json:"transaction_type"`
	BuyerCoupon     float64 `json:"buyer_coupon"`
	ShopCoupon      float64 `json:"shop_coupon"`
}

// receiptJSON is etsy's Receipt with the fields of the description that
// Stockroom does not read. Its Transactions, carrying those fields too,
// stand in for the embedded Receipt's (the shallower field is the one JSON
// writes).
type receiptJSON struct {
	etsy.Receipt
	SellerEmail     *string           `json:"seller_email"`
	BuyerEmail      *string           `json:"buyer_email"`
	CreateTimestamp int64             `json:"create_timestamp"`
	UpdateTimestamp int64             `json:"update_timestamp"`
	GiftSender      string            `json:"gift_sender"`
	GiftWrapPrice   etsy.Money        `json:"gift_wrap_price"`
	Shipments       []shipmentJSON    `json:"shipments"`
	Transactions    []transactionJSON `json:"transactions"`
	Refunds         []any             `json:"refunds"`
}

type shipmentJSON struct {
	ReceiptShippingID *int64 `json:"receipt_shipping_id"`
	Timestamp         int64  `json:"shipment_notification_timestamp"`
	CarrierName       string `json:"carrier_name"`
	TrackingCode      string `json:"tracking_code"`
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func optInt(v int64) *int64 {
	if v == 0 {
		return nil
	}
	return &v
}

func renderReceipt(r *Receipt, st *shopState) receiptJSON {
	cur := st.shop.CurrencyCode
	var subtotal int64
	txs := make([]transactionJSON, 0, len(r.Transactions))
	for _, t := range r.Transactions {
		subtotal += t.Price * int64(t.Quantity)
		vars := make([]etsy.TransactionVariation, 0, len(t.Variations))
		for _, v := range t.Variations {
			var vid *int64
			if len(v.ValueIDs) > 0 {
				vid = &v.ValueIDs[0]
			}
			val := ""
			if len(v.Values) > 0 {
				val = v.Values[0]
			}
			vars = append(vars, etsy.TransactionVariation{PropertyID: v.PropertyID, ValueID: vid, FormattedName: v.PropertyName, FormattedValue: val})
		}
		txs = append(txs, transactionJSON{
			Transaction: etsy.Transaction{
				TransactionID: t.TransactionID, Title: optString(t.Title), CreatedTimestamp: r.Created,
				PaidTimestamp: optInt(t.Paid), ShippedTimestamp: optInt(t.Shipped), Quantity: t.Quantity, ReceiptID: r.ReceiptID,
				ListingID: optInt(t.ListingID), ProductID: optInt(t.ProductID), SKU: optString(t.SKU),
				Price: toMoney(t.Price, cur), ShippingCost: toMoney(0, cur), Variations: vars,
				ProductData: renderPropertyValues(t.Variations),
			},
			SellerUserID: st.shop.UserID, BuyerUserID: r.BuyerUserID, CreateTimestamp: r.Created, TransactionType: "listing",
		})
	}
	shipments := []shipmentJSON{}
	if r.IsShipped {
		id := r.ReceiptID + 1
		shipments = append(shipments, shipmentJSON{ReceiptShippingID: &id, Timestamp: r.Updated, CarrierName: "usps",
			TrackingCode: "9400" + strconv.FormatInt(r.ReceiptID, 10)})
	}
	email := st.shop.Email
	return receiptJSON{
		Receipt: etsy.Receipt{
			ReceiptID: r.ReceiptID, SellerUserID: st.shop.UserID, BuyerUserID: r.BuyerUserID, Name: r.Name,
			FirstLine: optString(r.FirstLine), SecondLine: optString(r.SecondLine), City: optString(r.City),
			State: optString(r.State), Zip: optString(r.Zip), Status: r.Status, CountryISO: optString(r.CountryISO),
			PaymentMethod: "cc", MessageFromBuyer: optString(r.MessageFromBuyer), IsPaid: r.IsPaid, IsShipped: r.IsShipped,
			CreatedTimestamp: r.Created, UpdatedTimestamp: r.Updated, IsGift: r.IsGift, GiftMessage: r.GiftMessage,
			Grandtotal: toMoney(subtotal+r.Shipping+r.Tax, cur), Subtotal: toMoney(subtotal, cur), TotalPrice: toMoney(subtotal, cur),
			TotalShippingCost: toMoney(r.Shipping, cur), TotalTaxCost: toMoney(r.Tax, cur), TotalVATCost: toMoney(0, cur),
			DiscountAmt: toMoney(0, cur),
		},
		SellerEmail: optString(email), BuyerEmail: optString(r.BuyerEmail), CreateTimestamp: r.Created, UpdateTimestamp: r.Updated,
		GiftWrapPrice: toMoney(0, cur), Shipments: shipments, Transactions: txs, Refunds: []any{},
	}
}

const minTimestamp = 946684800 // 2000-01-01, the description's minimum

func (s *Sandbox) getShopReceipts(c *call) {
	st, ok := s.ownShop(c)
	if !ok {
		return
	}
	var bounds [4]int64
	for i, name := range []string{"min_created", "max_created", "min_last_modified", "max_last_modified"} {
		v, ok := queryInt(c, name, 0, minTimestamp, 1<<62)
		if !ok {
			return
		}
		bounds[i] = v
	}
	var flags [4]*bool
	for i, name := range []string{"was_paid", "was_shipped", "was_delivered", "was_canceled"} {
		v, ok := queryBool(c, name)
		if !ok {
			return
		}
		flags[i] = v
	}
	if _, ok := queryBool(c, "legacy"); !ok {
		return
	}
	limit, offset, ok := paging(c)
	if !ok {
		return
	}
	sortOn, ok := queryEnum(c, "sort_on", "created", "created", "updated", "receipt_id")
	if !ok {
		return
	}
	order, ok := queryEnum(c, "sort_order", "desc", "asc", "ascending", "desc", "descending", "up", "down")
	if !ok {
		return
	}
	in := func(v, lo, hi int64) bool { return (lo == 0 || v >= lo) && (hi == 0 || v <= hi) }
	want := func(flag *bool, v bool) bool { return flag == nil || *flag == v }

	s.mu.Lock()
	defer s.mu.Unlock()
	var matched []*Receipt
	for _, r := range st.receipts {
		if in(r.Created, bounds[0], bounds[1]) && in(r.Updated, bounds[2], bounds[3]) &&
			want(flags[0], r.IsPaid) && want(flags[1], r.IsShipped) && want(flags[2], r.IsDelivered) &&
			want(flags[3], r.Status == ReceiptCanceled) {
			matched = append(matched, r)
		}
	}
	key := func(r *Receipt) int64 {
		switch sortOn {
		case "updated":
			return r.Updated
		case "receipt_id":
			return r.ReceiptID
		}
		return r.Created
	}
	asc := order == "asc" || order == "ascending" || order == "up"
	slices.SortStableFunc(matched, func(a, b *Receipt) int {
		c := cmp.Or(cmp.Compare(key(a), key(b)), cmp.Compare(a.ReceiptID, b.ReceiptID))
		if asc {
			return c
		}
		return -c
	})
	from, to := window(len(matched), limit, offset)
	page := listPage[receiptJSON]{Count: len(matched), Results: make([]receiptJSON, 0, to-from)}
	for _, r := range matched[from:to] {
		page.Results = append(page.Results, renderReceipt(r, st))
	}
	writeJSON(c.w, http.StatusOK, page)
}

func (s *Sandbox) getShopReceipt(c *call) {
	st, id, ok := s.ownShopItem(c, "receipt_id")
	if !ok {
		return
	}
	if _, ok := queryBool(c, "legacy"); !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range st.receipts {
		if r.ReceiptID == id {
			writeJSON(c.w, http.StatusOK, renderReceipt(r, st))
			return
		}
	}
	writeError(c.w, http.StatusNotFound, "Receipt with receipt_id "+strconv.FormatInt(id, 10)+" not found")
}
