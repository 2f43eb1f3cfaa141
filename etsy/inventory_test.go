// Tests of BuildInventoryUpdate and product identity: the rules that keep a
// stock change from wiping variations or being refused by Etsy.
package etsy

import (
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
)

func usd(amount int64) Money { return Money{Amount: amount, Divisor: 100, CurrencyCode: "USD"} }

func ptr[T any](v T) *T { return &v }

func prop(id int64, name, value string, valueID int64) PropertyValue {
	return PropertyValue{PropertyID: id, PropertyName: ptr(name), ScaleName: ptr("US"), ValueIDs: []int64{valueID}, Values: []string{value}}
}

func product(id int64, sku string, qty int, price int64, props ...PropertyValue) Product {
	return Product{
		ProductID:      id,
		SKU:            sku,
		PropertyValues: props,
		Offerings: []Offering{{
			OfferingID: id * 10, Quantity: qty, IsEnabled: true, Price: usd(price), ReadinessStateID: ptr(int64(7)),
		}},
	}
}

func singleProduct() ListingInventory {
	return ListingInventory{Products: []Product{product(1, "MUG", 4, 1999)}}
}

// shirts varies price by colour (200) and has two sizes (513); quantity is
// the same everywhere, so quantity_on_property is empty.
func shirts() ListingInventory {
	red, blue := func() PropertyValue { return prop(200, "Color", "Red", 1) }, func() PropertyValue { return prop(200, "Color", "Blue", 2) }
	small, medium := func() PropertyValue { return prop(513, "Size", "S", 3) }, func() PropertyValue { return prop(513, "Size", "M", 4) }
	deleted := product(9, "OLD", 5, 999, prop(200, "Color", "Green", 5), small())
	deleted.IsDeleted = true
	return ListingInventory{
		Products: []Product{
			product(1, "TS-RED-S", 5, 1999, red(), small()),
			product(2, "TS-RED-M", 5, 1999, red(), medium()),
			product(3, "TS-BLUE-S", 5, 2499, blue(), small()),
			product(4, "TS-BLUE-M", 5, 2499, blue(), medium()),
			deleted,
		},
		OnProperty: OnProperty{PriceOnProperty: []int64{200}, QuantityOnProperty: []int64{}, SKUOnProperty: []int64{200, 513}},
	}
}

func quantities(req UpdateInventoryRequest) map[string]int {
	out := map[string]int{}
	for _, p := range req.Products {
		out[p.SKU] = p.Offerings[0].Quantity
	}
	return out
}

func TestBuildMultiVariationByProperties(t *testing.T) {
	inv := shirts()
	match := ProductMatch{Properties: []PropertyMatch{{PropertyID: 513, Values: []string{"S"}}, {PropertyID: 200, Values: []string{"Red"}}}}
	req, err := BuildInventoryUpdate(inv, match, 3)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"TS-RED-S": 3, "TS-RED-M": 5, "TS-BLUE-S": 5, "TS-BLUE-M": 5}
	if got := quantities(req); len(got) != 4 || !maps.Equal(got, want) {
		t.Errorf("quantities %v, want %v (deleted product dropped, others kept)", got, want)
	}
	// Red/S alone differs: quantity now varies along both properties.
	if !slices.Equal(req.QuantityOnProperty, []int64{200, 513}) {
		t.Errorf("quantity_on_property = %v", req.QuantityOnProperty)
	}
	if !slices.Equal(req.PriceOnProperty, []int64{200}) || !slices.Equal(req.SKUOnProperty, []int64{200, 513}) {
		t.Errorf("on_property lists changed: %v %v", req.PriceOnProperty, req.SKUOnProperty)
	}
	if p := req.Products[2]; p.Offerings[0].Price != 24.99 || !p.Offerings[0].IsEnabled || *p.Offerings[0].ReadinessStateID != 7 {
		t.Errorf("offering %+v", p.Offerings[0])
	}
	if pv := req.Products[0].PropertyValues[0]; pv.PropertyID != 200 || pv.Values[0] != "Red" || pv.ValueIDs[0] != 1 || *pv.PropertyName != "Color" {
		t.Errorf("property value %+v", pv)
	}

	body, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	for _, banned := range []string{"product_id", "offering_id", "scale_name", "is_deleted", "value_pairs", "amount", "divisor"} {
		if strings.Contains(string(body), `"`+banned+`"`) {
			t.Errorf("body contains %q: %s", banned, body)
		}
	}
	if !strings.Contains(string(body), `"price":19.99`) {
		t.Errorf("price not a float: %s", body)
	}
	// The input is left as it was.
	if inv.Products[0].Offerings[0].Quantity != 5 {
		t.Error("BuildInventoryUpdate changed its input")
	}
}

func TestBuildWidensQuantityOnPropertyMinimally(t *testing.T) {
	inv := ListingInventory{Products: []Product{
		product(1, "", 5, 1000, prop(200, "Color", "Red", 1)),
		product(2, "", 5, 1000, prop(200, "Color", "Blue", 2)),
	}}
	req, err := BuildInventoryUpdate(inv, ProductMatch{Properties: []PropertyMatch{{PropertyID: 200, Values: []string{"Blue"}}}}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(req.QuantityOnProperty, []int64{200}) {
		t.Errorf("quantity_on_property = %v, want [200]", req.QuantityOnProperty)
	}

	// The current list still explains the new quantities: it is kept, even
	// though another single property would too.
	inv = ListingInventory{
		Products: []Product{
			product(1, "", 5, 1000, prop(200, "Color", "Red", 1), prop(513, "Size", "S", 3)),
			product(2, "", 5, 1000, prop(200, "Color", "Blue", 2), prop(513, "Size", "M", 4)),
		},
		OnProperty: OnProperty{QuantityOnProperty: []int64{513}},
	}
	req, err = BuildInventoryUpdate(inv, ProductMatch{Properties: []PropertyMatch{{PropertyID: 200, Values: []string{"Blue"}}, {PropertyID: 513, Values: []string{"M"}}}}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(req.QuantityOnProperty, []int64{513}) {
		t.Errorf("quantity_on_property = %v, want [513] kept", req.QuantityOnProperty)
	}
}

func TestBuildBySKU(t *testing.T) {
	req, err := BuildInventoryUpdate(shirts(), ProductMatch{SKU: "TS-BLUE-M"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if q := quantities(req); q["TS-BLUE-M"] != 0 || q["TS-RED-S"] != 5 {
		t.Errorf("quantities %v", q)
	}
}

func TestBuildRefusals(t *testing.T) {
	inv := shirts()
	for _, q := range []int{1000, -1} {
		if _, err := BuildInventoryUpdate(inv, ProductMatch{SKU: "TS-RED-S"}, q); !errors.Is(err, ErrQuantityRange) {
			t.Errorf("quantity %d: got %v", q, err)
		}
	}
	if _, err := BuildInventoryUpdate(singleProduct(), ProductMatch{SKU: "MUG"}, 0); !errors.Is(err, ErrAllZero) {
		t.Errorf("all zero: got %v", err)
	}
	if _, err := BuildInventoryUpdate(inv, ProductMatch{SKU: "NOPE"}, 1); !errors.Is(err, ErrNoProduct) {
		t.Errorf("unknown SKU: got %v", err)
	}
	// A deleted product is not a match.
	if _, err := BuildInventoryUpdate(inv, ProductMatch{SKU: "OLD"}, 1); !errors.Is(err, ErrNoProduct) {
		t.Errorf("deleted SKU: got %v", err)
	}
	// A partial property match names two products.
	partial := ProductMatch{Properties: []PropertyMatch{{PropertyID: 200, Values: []string{"Red"}}}}
	if _, err := BuildInventoryUpdate(inv, partial, 1); !errors.Is(err, ErrNoProduct) {
		t.Errorf("partial properties: got %v", err)
	}
	dup := shirts()
	dup.Products[1].SKU = "TS-RED-S"
	if _, err := BuildInventoryUpdate(dup, ProductMatch{SKU: "TS-RED-S"}, 1); !errors.Is(err, ErrAmbiguousProduct) {
		t.Errorf("duplicate SKU: got %v", err)
	}
	// Products sharing a SKU under sku_on_property must share a quantity.
	dup.SKUOnProperty = []int64{200}
	red := ProductMatch{Properties: []PropertyMatch{{PropertyID: 200, Values: []string{"Red"}}, {PropertyID: 513, Values: []string{"M"}}}}
	if _, err := BuildInventoryUpdate(dup, red, 1); err == nil || !strings.Contains(err.Error(), "same quantity") {
		t.Errorf("shared SKU split: got %v", err)
	}
	// A stored quantity out of range is reported, not sent.
	bad := shirts()
	bad.Products[3].Offerings[0].Quantity = 1200
	if _, err := BuildInventoryUpdate(bad, ProductMatch{SKU: "TS-RED-S"}, 1); !errors.Is(err, ErrQuantityRange) {
		t.Errorf("stored 1200: got %v", err)
	}
	zeroDivisor := singleProduct()
	zeroDivisor.Products[0].Offerings[0].Price.Divisor = 0
	if _, err := BuildInventoryUpdate(zeroDivisor, ProductMatch{SKU: "MUG"}, 1); err == nil {
		t.Error("accepted a price without divisor")
	}
}

func TestBuildWithoutVariationsSendsEmptyArrays(t *testing.T) {
	inv := ListingInventory{Products: []Product{product(1, "", 2, 500)}}
	req, err := BuildInventoryUpdate(inv, ProductMatch{}, 9)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(req)
	for _, want := range []string{`"property_values":[]`, `"price_on_property":[]`, `"quantity_on_property":[]`, `"quantity":9`, `"price":5`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("body lacks %s: %s", want, body)
		}
	}
	if strings.Contains(string(body), "null,") && !strings.Contains(string(body), `"readiness_state_id"`) {
		t.Errorf("unexpected null: %s", body)
	}
}

func TestProductKeysSurviveIDChanges(t *testing.T) {
	before := shirts()
	after := shirts()
	for i := range after.Products {
		after.Products[i].ProductID += 1000
		after.Products[i].Offerings[0].OfferingID += 1000
		for j := range after.Products[i].PropertyValues {
			after.Products[i].PropertyValues[j].ValueIDs = []int64{after.Products[i].PropertyValues[j].ValueIDs[0] + 1000}
		}
	}
	for i := range before.Products {
		if a, b := ProductKey(before, before.Products[i]), ProductKey(after, after.Products[i]); a != b {
			t.Errorf("product %d key changed: %q -> %q", i, a, b)
		}
	}
	if k := ProductKey(before, before.Products[0]); k != "sku:TS-RED-S" {
		t.Errorf("unique SKU key = %q", k)
	}

	// Without unique SKUs the key falls back to property values, and the
	// match it gives finds the same product.
	dup := shirts()
	dup.Products[1].SKU = "TS-RED-S"
	m := MatchFor(dup, dup.Products[1])
	if m.SKU != "" || !strings.HasPrefix(m.Key(), "props:") {
		t.Errorf("duplicate SKU match %+v key %q", m, m.Key())
	}
	if i, err := m.Find(dup); err != nil || i != 1 {
		t.Errorf("Find = %d, %v", i, err)
	}
	// Keys are distinct within a listing.
	seen := map[string]bool{}
	for _, p := range dup.Products {
		if p.IsDeleted {
			continue
		}
		k := ProductKey(dup, p)
		if seen[k] {
			t.Errorf("key %q repeats", k)
		}
		seen[k] = true
	}
	// Values with separators cannot collide.
	a := ProductMatch{Properties: []PropertyMatch{{PropertyID: 513, Values: []string{"a;200=b"}}}}
	b := ProductMatch{Properties: []PropertyMatch{{PropertyID: 513, Values: []string{"a"}}, {PropertyID: 200, Values: []string{"b"}}}}
	if a.Key() == b.Key() {
		t.Errorf("keys collide: %q", a.Key())
	}
}
