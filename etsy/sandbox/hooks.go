// This file holds the test hooks: injected faults, simulated sales with
// their order.paid webhook, and the JSON admin surface under /_sandbox/ that
// exposes them, and EditListing (edit.go), to a standalone sandbox process.

package sandbox

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// FaultKind is how an injected fault answers.
type FaultKind string

const (
	Fault429       FaultKind = "429"       // rate limited, retry-after 1
	Fault500       FaultKind = "500"       // {"error":"Server Error"}
	FaultTimeout   FaultKind = "timeout"   // hold until the client gives up or Delay passes
	FaultMalformed FaultKind = "malformed" // 200 with a truncated JSON body
)

// Fault makes the next Count calls of an operation fail. With Applied the
// operation takes effect before the failure is returned (a write whose
// answer is lost).
type Fault struct {
	Kind    FaultKind     `json:"kind"`
	Count   int           `json:"count"`
	Applied bool          `json:"applied,omitempty"`
	Delay   time.Duration `json:"delay,omitempty"`
}

// ErrNotFound is returned by hooks given an unknown shop, listing or SKU.
var ErrNotFound = errors.New("sandbox: not found")

// ErrInsufficientStock is returned by SimulateSale when the offering cannot
// cover the quantity sold.
var ErrInsufficientStock = errors.New("sandbox: insufficient stock")

// InjectFault queues f for operationID (an Etsy operationId, or "token").
func (s *Sandbox) InjectFault(operationID string, f Fault) error {
	switch f.Kind {
	case Fault429, Fault500, FaultTimeout, FaultMalformed:
	default:
		return fmt.Errorf("sandbox: unknown fault kind %q", f.Kind)
	}
	if f.Count < 1 {
		return errors.New("sandbox: fault count must be at least 1")
	}
	known := operationID == "token"
	for _, op := range s.operations() {
		known = known || op.id == operationID
	}
	if !known {
		return fmt.Errorf("sandbox: unknown operation %q", operationID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[operationID] = append(s.faults[operationID], f)
	return nil
}

// ClearFaults drops the faults not played yet and says how many calls
// they would have failed.
func (s *Sandbox) ClearFaults() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, q := range s.faults {
		for _, f := range q {
			n += f.Count
		}
	}
	clear(s.faults)
	return n
}

// takeFault consumes one call of the first queued fault; callers hold s.mu.
func (s *Sandbox) takeFault(op string) (Fault, bool) {
	q := s.faults[op]
	if len(q) == 0 {
		return Fault{}, false
	}
	f := q[0]
	q[0].Count--
	if q[0].Count == 0 {
		s.faults[op] = q[1:]
	}
	return f, true
}

type webhookTarget struct {
	url    string
	secret []byte
}

// SetWebhook makes sales POST order.paid to url, signed per Standard
// Webhooks with secret ("whsec_" + base64 key). An empty url disables it.
func (s *Sandbox) SetWebhook(url, secret string) error {
	var key []byte
	if url != "" {
		b64, ok := strings.CutPrefix(secret, "whsec_")
		if !ok {
			return errors.New(`sandbox: webhook secret must start with "whsec_"`)
		}
		var err error
		if key, err = base64.StdEncoding.DecodeString(b64); err != nil || len(key) == 0 {
			return errors.New("sandbox: webhook secret is not base64 after whsec_")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.webhook = webhookTarget{url: url, secret: key}
	return nil
}

// SimulateSale sells qty of the listing's product with the given SKU (the
// only product when sku is empty), as a buyer on Etsy would: stock drops,
// a paid receipt appears, timestamps move, the listing sells out at zero,
// and order.paid is sent when a webhook is set. The webhook is sent before
// SimulateSale returns; a failed delivery is logged, not returned.
func (s *Sandbox) SimulateSale(shopID, listingID int64, sku string, qty int) (int64, error) {
	if qty < 1 {
		return 0, errors.New("sandbox: quantity sold must be at least 1")
	}
	s.mu.Lock()
	st, ok := s.shops[shopID]
	l := s.listings[listingID]
	if !ok || l == nil || l.ShopID != shopID {
		s.mu.Unlock()
		return 0, fmt.Errorf("%w: listing %d in shop %d", ErrNotFound, listingID, shopID)
	}
	var product *Product
	for i := range l.Inventory.Products {
		p := &l.Inventory.Products[i]
		if (sku == "" && len(l.Inventory.Products) == 1) || (sku != "" && p.SKU == sku) {
			if product == nil || (p.Offerings[0].IsEnabled && p.Offerings[0].Quantity >= qty) {
				product = p
			}
		}
	}
	if product == nil {
		s.mu.Unlock()
		return 0, fmt.Errorf("%w: sku %q on listing %d", ErrNotFound, sku, listingID)
	}
	off := &product.Offerings[0]
	if l.State != StateActive || !off.IsEnabled || off.Quantity < qty {
		s.mu.Unlock()
		return 0, fmt.Errorf("%w: listing %d (%s) has %d of sku %q", ErrInsufficientStock, listingID, l.State, off.Quantity, sku)
	}
	now := s.now().Unix()
	off.Quantity -= qty
	l.LastModified = now
	if l.Inventory.quantity() == 0 {
		l.State, l.StateTimestamp = StateSoldOut, now
	}
	r := &Receipt{
		ReceiptID: s.newID(), ShopID: shopID, BuyerUserID: s.newID(), BuyerEmail: "buyer@example.com",
		Name: "Sandbox Buyer", FirstLine: "1 Main St", City: "Springfield", State: "IL", Zip: "62701", CountryISO: "US",
		Status: ReceiptPaid, IsPaid: true, Created: now, Updated: now,
		Transactions: []Transaction{{TransactionID: s.newID(), ListingID: listingID, ProductID: product.ProductID,
			SKU: product.SKU, Title: l.Title, Quantity: qty, Price: off.Price,
			Variations: clonePropertyValues(product.PropertyValues), Paid: now}},
	}
	st.receipts = append(st.receipts, r)
	hook, base := s.webhook, s.baseURL
	s.mu.Unlock()

	if hook.url != "" {
		if err := s.sendWebhook(hook, base, shopID, r.ReceiptID); err != nil {
			s.logger.Warn("sandbox webhook delivery failed", "err", err)
		}
	}
	return r.ReceiptID, nil
}

func (s *Sandbox) sendWebhook(hook webhookTarget, base string, shopID, receiptID int64) error {
	body, _ := json.Marshal(map[string]any{
		"event_type":   "order.paid",
		"resource_url": fmt.Sprintf("%s/v3/application/shops/%d/receipts/%d", base, shopID, receiptID),
		"shop_id":      shopID,
	})
	id := "msg_" + opaque()[:24]
	ts := strconv.FormatInt(s.now().Unix(), 10)
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, hook.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", ts)
	req.Header.Set("webhook-signature", Sign(hook.secret, id, ts, body))
	resp, err := s.cfg.WebhookClient.Do(req)
	if err != nil {
		return err
	}
	_ = resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook answered %s", resp.Status)
	}
	return nil
}

// Sign returns the Standard Webhooks signature header value for a message.
func Sign(key []byte, id, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%s.", id, timestamp)
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// adminRoutes exposes the hooks as JSON for a sandbox running as its own
// process. It has no authentication: the sandbox is a test tool.
func (s *Sandbox) adminRoutes(mux *http.ServeMux) {
	decode := func(w http.ResponseWriter, r *http.Request, v any) bool {
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(v); err != nil {
			writeError(w, http.StatusBadRequest, "invalid JSON: "+err.Error())
			return false
		}
		return true
	}
	// answer ends a call that changes the sandbox: {"ok": true}, or err
	// with status.
	answer := func(w http.ResponseWriter, err error, status int) {
		if err != nil {
			writeError(w, status, err.Error())
			return
		}
		writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	}
	mux.HandleFunc("POST /_sandbox/faults", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Operation string `json:"operation"`
			Fault
		}
		if !decode(w, r, &req) {
			return
		}
		answer(w, s.InjectFault(req.Operation, req.Fault), http.StatusBadRequest)
	})
	mux.HandleFunc("POST /_sandbox/revoke", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			ShopID int64 `json:"shop_id"`
		}
		if !decode(w, r, &req) {
			return
		}
		answer(w, s.RevokeTokens(req.ShopID), http.StatusNotFound)
	})
	mux.HandleFunc("POST /_sandbox/sale", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			ShopID    int64  `json:"shop_id"`
			ListingID int64  `json:"listing_id"`
			SKU       string `json:"sku"`
			Quantity  int    `json:"quantity"`
		}
		if !decode(w, r, &req) {
			return
		}
		id, err := s.SimulateSale(req.ShopID, req.ListingID, req.SKU, req.Quantity)
		switch {
		case errors.Is(err, ErrNotFound):
			writeError(w, http.StatusNotFound, err.Error())
		case err != nil:
			writeError(w, http.StatusConflict, err.Error())
		default:
			writeJSON(w, http.StatusOK, map[string]int64{"receipt_id": id})
		}
	})
	mux.HandleFunc("POST /_sandbox/listing", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			ShopID    int64 `json:"shop_id"`
			ListingID int64 `json:"listing_id"`
			ListingEdit
		}
		if !decode(w, r, &req) {
			return
		}
		err := s.EditListing(req.ShopID, req.ListingID, req.ListingEdit)
		switch {
		case errors.Is(err, ErrNotFound):
			writeError(w, http.StatusNotFound, err.Error())
			return
		case err != nil:
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		// Answer with the listing as the API now shows it, so a test sees
		// what a client's next read will get.
		s.mu.Lock()
		out := s.renderListing(s.listings[req.ListingID], s.shops[req.ShopID], true, true)
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, out)
	})
	mux.HandleFunc("GET /_sandbox/calls", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Calls())
	})
	mux.HandleFunc("POST /_sandbox/calls/reset", func(w http.ResponseWriter, r *http.Request) {
		s.ResetCalls()
		answer(w, nil, 0)
	})
	mux.HandleFunc("POST /_sandbox/webhook", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			URL    string `json:"url"`
			Secret string `json:"secret"`
		}
		if !decode(w, r, &req) {
			return
		}
		answer(w, s.SetWebhook(req.URL, req.Secret), http.StatusBadRequest)
	})
}
