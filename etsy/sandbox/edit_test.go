// Tests of EditListing and POST /_sandbox/listing: a seller's edit on
// Etsy.com shows in the API (checked against Etsy's description) exactly as
// a client's next read would see it, and an edit Etsy would refuse changes
// nothing.
package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// apiListing finds a listing in getListingsByShop for its state, with its
// inventory, as a client reads it.
func (e *env) apiListing(state string, id int64) map[string]any {
	e.t.Helper()
	for offset := 0; ; offset += 100 {
		status, page := e.get(fmt.Sprintf("/v3/application/shops/%d/listings?state=%s&includes=Inventory&limit=100&offset=%d",
			e.shop.ShopID, state, offset))
		if status != 200 {
			e.t.Fatalf("getListingsByShop: %d %v", status, page)
		}
		results := page["results"].([]any)
		for _, r := range results {
			if m := r.(map[string]any); int64(m["listing_id"].(float64)) == id {
				return m
			}
		}
		if len(results) < 100 {
			e.t.Fatalf("listing %d not among the shop's %s listings", id, state)
		}
	}
}

// productKey is what ListingEdit.Quantities calls p.
func productKey(p Product) string {
	if p.SKU != "" {
		return p.SKU
	}
	values := []string{}
	for _, pv := range p.PropertyValues {
		values = append(values, strings.Join(pv.Values, ", "))
	}
	return strings.Join(values, " / ")
}

func TestEditListingTitleAndQuantities(t *testing.T) {
	e := newEnv(t, Config{})
	l := e.listingOf(StateActive, true)
	first := l.Inventory.Products[0]
	want := first.Offerings[0].Quantity + 5
	if want > maxQuantity {
		want = 1
	}
	e.advance(10 * time.Minute)
	title := "Quilted runner, blue"
	if err := e.sb.EditListing(e.shop.ShopID, l.ListingID, ListingEdit{Title: &title,
		Quantities: map[string]int{productKey(first): want}}); err != nil {
		t.Fatal(err)
	}

	got := e.apiListing(StateActive, l.ListingID)
	now := float64(e.now.Unix())
	if got["title"] != title || got["last_modified_timestamp"] != now || got["updated_timestamp"] != now {
		t.Fatalf("after the edit the API shows title %q, last_modified %v, updated %v; want %q and %v",
			got["title"], got["last_modified_timestamp"], got["updated_timestamp"], title, now)
	}
	if got["state_timestamp"] != float64(l.StateTimestamp) {
		t.Errorf("state_timestamp moved without a state change: %v, was %d", got["state_timestamp"], l.StateTimestamp)
	}
	sum := 0
	var edited float64 = -1
	for _, p := range got["inventory"].(map[string]any)["products"].([]any) {
		p := p.(map[string]any)
		off := p["offerings"].([]any)[0].(map[string]any)
		if off["is_enabled"] == true {
			sum += int(off["quantity"].(float64))
		}
		if p["sku"] == first.SKU && productKeyJSON(p) == productKey(first) {
			edited = off["quantity"].(float64)
		}
		for _, old := range l.Inventory.Products {
			if int64(p["product_id"].(float64)) == old.ProductID {
				t.Errorf("product id %d survived an inventory change", old.ProductID)
			}
		}
	}
	if edited != float64(want) {
		t.Errorf("edited product shows quantity %v, want %d", edited, want)
	}
	if got["quantity"] != float64(sum) {
		t.Errorf("listing quantity %v is not the sum of enabled offerings %d", got["quantity"], sum)
	}
	// The replaced products are what show_deleted adds.
	_, inv := e.get(fmt.Sprintf("/v3/application/listings/%d/inventory?show_deleted=true", l.ListingID))
	if n := len(inv["products"].([]any)); n != 2*len(l.Inventory.Products) {
		t.Errorf("show_deleted lists %d products, want the %d current and %d replaced",
			n, len(l.Inventory.Products), len(l.Inventory.Products))
	}
}

// productKeyJSON is productKey for a product as the API renders it.
func productKeyJSON(p map[string]any) string {
	if p["sku"] != "" {
		return p["sku"].(string)
	}
	values := []string{}
	for _, pv := range p["property_values"].([]any) {
		var vs []string
		for _, v := range pv.(map[string]any)["values"].([]any) {
			vs = append(vs, v.(string))
		}
		values = append(values, strings.Join(vs, ", "))
	}
	return strings.Join(values, " / ")
}

func TestEditListingRestocksAndRenewsSoldOut(t *testing.T) {
	e := newEnv(t, Config{})
	sold := e.listingOf(StateSoldOut, false)
	e.advance(time.Minute)
	active := StateActive
	if err := e.sb.EditListing(e.shop.ShopID, sold.ListingID, ListingEdit{State: &active,
		Quantities: map[string]int{"": 4}}); err != nil {
		t.Fatal(err)
	}
	got := e.apiListing(StateActive, sold.ListingID)
	if got["quantity"] != float64(4) || got["state_timestamp"] != float64(e.now.Unix()) {
		t.Fatalf("renewed listing: quantity %v state_timestamp %v, want 4 and %d", got["quantity"], got["state_timestamp"], e.now.Unix())
	}
	// A restock alone leaves it sold out: renewing is the seller's choice.
	other := e.listingOf(StateSoldOut, false)
	if err := e.sb.EditListing(e.shop.ShopID, other.ListingID, ListingEdit{Quantities: map[string]int{"": 2}}); err != nil {
		t.Fatal(err)
	}
	if got := e.apiListing(StateSoldOut, other.ListingID); got["quantity"] != float64(2) {
		t.Fatalf("restocked sold out listing shows quantity %v, want 2", got["quantity"])
	}
}

func TestEditListingRefusesWhatEtsyRefuses(t *testing.T) {
	e := newEnv(t, Config{})
	l := e.listingOf(StateActive, true)
	plain := e.listingOf(StateActive, false)
	// A listing whose quantity does not vary by size: one size alone
	// cannot change.
	rs := l.Inventory.Products[0].Offerings[0].ReadinessStateID
	same := fmt.Sprintf(`{"products":[`+
		`{"sku":"EQ-S","property_values":[{"property_id":100,"value_ids":[],"values":["S"]}],"offerings":[{"price":5,"quantity":3,"is_enabled":true,"readiness_state_id":%[1]d}]},`+
		`{"sku":"EQ-M","property_values":[{"property_id":100,"value_ids":[],"values":["M"]}],"offerings":[{"price":5,"quantity":3,"is_enabled":true,"readiness_state_id":%[1]d}]}],`+
		`"sku_on_property":[100]}`, rs)
	if status, _, out := e.do("PUT", fmt.Sprintf("/v3/application/listings/%d/inventory", plain.ListingID), "application/json", same); status != 200 {
		t.Fatalf("set up a listing with equal quantities: %d %v", status, out)
	}
	empty, long, sold := " ", "Renamed", StateSoldOut
	all := map[string]int{}
	for _, p := range l.Inventory.Products {
		all[productKey(p)] = 0
	}
	bad := []struct {
		name    string
		listing int64
		edit    ListingEdit
		want    error
	}{
		{"nothing", l.ListingID, ListingEdit{}, ErrInvalidEdit},
		{"empty title", l.ListingID, ListingEdit{Title: &empty}, ErrInvalidEdit},
		{"state sold_out", l.ListingID, ListingEdit{State: &sold}, ErrInvalidEdit},
		{"quantity 1000", l.ListingID, ListingEdit{Title: &long, Quantities: map[string]int{productKey(l.Inventory.Products[0]): 1000}}, ErrInvalidEdit},
		{"negative quantity", l.ListingID, ListingEdit{Quantities: map[string]int{productKey(l.Inventory.Products[0]): -1}}, ErrInvalidEdit},
		{"all zero", l.ListingID, ListingEdit{Quantities: all}, ErrInvalidEdit},
		{"unknown sku", l.ListingID, ListingEdit{Title: &long, Quantities: map[string]int{"NO-SUCH-SKU": 1}}, ErrNotFound},
		{"one of equal quantities", plain.ListingID, ListingEdit{Quantities: map[string]int{"EQ-S": 7}}, ErrInvalidEdit},
		{"unknown listing", 42, ListingEdit{Title: &long}, ErrNotFound},
	}
	for _, tt := range bad {
		before, _ := e.sb.Listing(tt.listing)
		e.advance(time.Second)
		err := e.sb.EditListing(e.shop.ShopID, tt.listing, tt.edit)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
		after, _ := e.sb.Listing(tt.listing)
		if after.Title != before.Title || after.LastModified != before.LastModified || after.Quantity() != before.Quantity() {
			t.Errorf("%s: a refused edit changed the listing: %+v", tt.name, after)
		}
	}
	// Another shop's listing is not this shop's to edit.
	other := e.sb.Shops()[1]
	if err := e.sb.EditListing(other.ShopID, l.ListingID, ListingEdit{Title: &long}); !errors.Is(err, ErrNotFound) {
		t.Errorf("edit through the wrong shop: %v", err)
	}
	// Both sizes together is a valid edit.
	if err := e.sb.EditListing(e.shop.ShopID, plain.ListingID, ListingEdit{Quantities: map[string]int{"EQ-S": 7, "M": 7}}); err != nil {
		t.Errorf("both sizes, by SKU and by value: %v", err)
	}
	if got, _ := e.sb.Listing(plain.ListingID); got.Quantity() != 14 {
		t.Errorf("quantity %d after setting both sizes to 7", got.Quantity())
	}
}

func TestEditListingAdminSurface(t *testing.T) {
	e := newEnv(t, Config{})
	l := e.listingOf(StateActive, false)
	post := func(body any) (int, map[string]any) {
		t.Helper()
		raw, _ := json.Marshal(body)
		resp, err := http.Post(e.srv.URL+"/_sandbox/listing", "application/json", bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var out map[string]any
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("admin answer is not JSON: %q", b)
		}
		return resp.StatusCode, out
	}
	// The text a hostile title carries: the API must hand it over intact
	// (JSON-escaped), since sanitising is the client's job.
	hostile := "Mug \x1b]52;c;SGVsbG8=\x07 \x1b[2J \u009b6n end"
	e.advance(time.Minute)
	status, out := post(map[string]any{"shop_id": e.shop.ShopID, "listing_id": l.ListingID, "title": hostile,
		"state": "inactive", "quantities": map[string]int{productKey(l.Inventory.Products[0]): 9}})
	if status != 200 || out["title"] != hostile || out["state"] != "inactive" || out["quantity"] != float64(9) {
		t.Fatalf("admin edit: %d %v", status, out)
	}
	if got := e.apiListing(StateInactive, l.ListingID); got["title"] != hostile || got["updated_timestamp"] != float64(e.now.Unix()) {
		t.Fatalf("API after the admin edit: title %q updated %v", got["title"], got["updated_timestamp"])
	}
	for _, tt := range []struct {
		name string
		body any
		want int
	}{
		{"unknown listing", map[string]any{"shop_id": e.shop.ShopID, "listing_id": 42, "title": "x"}, 404},
		{"quantity 1000", map[string]any{"shop_id": e.shop.ShopID, "listing_id": l.ListingID, "quantities": map[string]int{"": 1000}}, 400},
		{"unknown field", map[string]any{"shop_id": e.shop.ShopID, "listing_id": l.ListingID, "price": 5}, 400},
		{"nothing to change", map[string]any{"shop_id": e.shop.ShopID, "listing_id": l.ListingID}, 400},
	} {
		if status, out := post(tt.body); status != tt.want || out["error"] == "" {
			t.Errorf("%s: %d %v, want %d with an error", tt.name, status, out, tt.want)
		}
	}
}
