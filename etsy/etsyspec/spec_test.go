// Tests that the validator accepts conforming traffic and catches the
// mistakes that matter: wrong types, bad enums, undocumented error shapes.
package etsyspec

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func jsonHeader() http.Header {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	return h
}

func TestLoadCachedAndScopes(t *testing.T) {
	a, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Load()
	if a != b {
		t.Fatal("Load parsed the description twice")
	}
	if got := a.Scopes("updateListingInventory"); len(got) != 1 || got[0] != "listings_w" {
		t.Fatalf("updateListingInventory scopes = %v", got)
	}
	if got := a.Scopes("getShopReceipts"); len(got) != 1 || got[0] != "transactions_r" {
		t.Fatalf("getShopReceipts scopes = %v", got)
	}
}

func TestValidateRequest(t *testing.T) {
	s := MustLoad()
	tests := []struct {
		name, method, url, body, ctype string
		ok                             bool
	}{
		{"listings any host", "GET", "http://127.0.0.1:9/v3/application/shops/7/listings?state=active&limit=100&includes=Inventory", "", "", true},
		{"listings bad state", "GET", "http://x/v3/application/shops/7/listings?state=gone", "", "", false},
		{"listings limit too high", "GET", "http://x/v3/application/shops/7/listings?limit=101", "", "", false},
		{"batch inventory needs ids", "GET", "http://x/v3/application/listings/batch/inventory", "", "", false},
		{"batch inventory ids comma separated", "GET", "http://x/v3/application/listings/batch/inventory?listing_ids=1,22,333", "", "", true},
		{"batch inventory ids not numbers", "GET", "http://x/v3/application/listings/batch/inventory?listing_ids=1,x", "", "", false},
		{"inventory float price", "PUT", "http://x/v3/application/listings/5/inventory",
			`{"products":[{"sku":"A","property_values":[],"offerings":[{"price":5.5,"quantity":3,"is_enabled":true,"readiness_state_id":1}]}]}`,
			"application/json", true},
		{"inventory money price", "PUT", "http://x/v3/application/listings/5/inventory",
			`{"products":[{"sku":"A","property_values":[],"offerings":[{"price":{"amount":550,"divisor":100,"currency_code":"USD"},"quantity":3,"is_enabled":true,"readiness_state_id":1}]}]}`,
			"application/json", false},
		{"inventory missing readiness", "PUT", "http://x/v3/application/listings/5/inventory",
			`{"products":[{"sku":"A","property_values":[],"offerings":[{"price":5.5,"quantity":3,"is_enabled":true}]}]}`,
			"application/json", false},
		{"token endpoint skipped", "POST", "http://x/v3/public/oauth/token", "grant_type=nonsense", "application/x-www-form-urlencoded", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.url, strings.NewReader(tt.body))
			if tt.ctype != "" {
				r.Header.Set("Content-Type", tt.ctype)
			}
			wantValid[*RequestError](t, tt.ok, s.ValidateRequest(r, []byte(tt.body)))
		})
	}
}

// wantValid fails t unless err is nil when ok, and an E (the validation
// error of a request or a response) when not.
func wantValid[E error](t *testing.T, ok bool, err error) {
	t.Helper()
	var e E
	switch {
	case ok && err != nil:
		t.Fatalf("want valid, got %v", err)
	case !ok && !errors.As(err, &e):
		t.Fatalf("want %T, got %v", e, err)
	}
}

func TestValidateRequestUnknownOperation(t *testing.T) {
	r := httptest.NewRequest("GET", "http://x/v3/application/no/such/thing", nil)
	if err := MustLoad().ValidateRequest(r, nil); !errors.Is(err, ErrNoOperation) {
		t.Fatalf("want ErrNoOperation, got %v", err)
	}
}

func TestValidateResponse(t *testing.T) {
	s := MustLoad()
	inv := httptest.NewRequest("GET", "http://x/v3/application/listings/5/inventory", nil)
	tests := []struct {
		name   string
		req    *http.Request
		status int
		body   string
		ok     bool
	}{
		{"inventory ok", inv, 200, `{"products":[{"product_id":1,"sku":"A","is_deleted":false,"offerings":[{"offering_id":2,"quantity":1,"is_enabled":true,"is_deleted":false,"price":{"amount":500,"divisor":100,"currency_code":"USD"},"readiness_state_id":3}],"property_values":[]}],"price_on_property":[],"quantity_on_property":[],"sku_on_property":[],"readiness_state_on_property":[]}`, true},
		{"inventory float price", inv, 200, `{"products":[{"product_id":1,"sku":"A","is_deleted":false,"offerings":[{"offering_id":2,"quantity":1,"is_enabled":true,"is_deleted":false,"price":5.0,"readiness_state_id":3}],"property_values":[]}]}`, false},
		{"inventory negative quantity", inv, 200, `{"products":[{"product_id":1,"sku":"A","offerings":[{"offering_id":2,"quantity":-1}]}]}`, false},
		{"inventory null sku", inv, 200, `{"products":[{"product_id":1,"sku":null}]}`, false},
		{"described error", inv, 404, `{"error":"Listing not found"}`, true},
		{"described error missing field", inv, 404, `{"message":"nope"}`, false},
		{"undescribed error in Etsy shape", inv, 429, `{"error":"Exceeded per second rate limit"}`, true},
		{"undescribed error not JSON", inv, 429, `Too Many Requests`, false},
		{"receipt bad status", httptest.NewRequest("GET", "http://x/v3/application/shops/1/receipts/2", nil), 200, `{"receipt_id":2,"status":"shipped"}`, false},
		{"me ok", httptest.NewRequest("GET", "http://x/v3/application/users/me", nil), 200, `{"user_id":1,"shop_id":2}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantValid[*ResponseError](t, tt.ok, s.ValidateResponse(tt.req, tt.status, jsonHeader(), []byte(tt.body)))
		})
	}
}

func TestTransportAndHandlerReport(t *testing.T) {
	// A server that answers a documented call with the wrong shape.
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"user_id":"one","shop_id":2}`)
	})
	var serverSide []error
	srv := httptest.NewServer(ValidatingHandler(h, func(err error) { serverSide = append(serverSide, err) }))
	defer srv.Close()

	var clientSide []error
	client := &http.Client{Transport: NewValidatingTransport(func(err error) { clientSide = append(clientSide, err) }, nil)}
	resp, err := client.Get(srv.URL + "/v3/application/users/me")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if !strings.Contains(string(body), `"one"`) {
		t.Fatalf("body not passed through: %s", body)
	}
	if len(clientSide) != 1 || len(serverSide) != 1 {
		t.Fatalf("client reported %v, server reported %v; want one each", clientSide, serverSide)
	}
}
