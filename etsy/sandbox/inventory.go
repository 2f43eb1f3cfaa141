// This file implements updateListingInventory, Etsy's dangerous write: a
// full replacement of a listing's products, validated as strictly as Etsy
// is known to validate it (FACTS.md, "updateListingInventory").

package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
)

const maxQuantity = 999

type inventoryRequest struct {
	Products []productRequest `json:"products"`
	OnProperty
}

type productRequest struct {
	SKU            *string                `json:"sku"`
	PropertyValues []propertyValueRequest `json:"property_values"`
	Offerings      []offeringRequest      `json:"offerings"`
}

type propertyValueRequest struct {
	PropertyID   int64    `json:"property_id"`
	ValueIDs     []int64  `json:"value_ids"`
	ScaleID      *int64   `json:"scale_id"`
	PropertyName string   `json:"property_name"`
	Values       []string `json:"values"`
}

type offeringRequest struct {
	Price            json.RawMessage `json:"price"`
	Quantity         json.RawMessage `json:"quantity"`
	IsEnabled        *bool           `json:"is_enabled"`
	ReadinessStateID json.RawMessage `json:"readiness_state_id"`
}

type badRequest string

func (s *Sandbox) updateListingInventory(c *call) {
	id, ok := pathID(c, "listing_id")
	if !ok {
		return
	}
	if !bodyIs(c, "application/json") {
		return
	}
	dec := json.NewDecoder(c.r.Body)
	// Unknown fields are refused: echoing a GET back (product_id,
	// offering_id, is_deleted, Money prices) is the classic client bug.
	dec.DisallowUnknownFields()
	var req inventoryRequest
	if err := dec.Decode(&req); err != nil {
		writeError(c.w, http.StatusBadRequest, "Invalid inventory body: "+err.Error())
		return
	}
	s.withOwnListing(c, id, func(l *Listing) {
		inv, bad := s.buildInventory(&req, c.shop)
		if bad != "" {
			writeError(c.w, http.StatusBadRequest, string(bad))
			return
		}
		inv.DeletedProducts = cloneProducts(l.Inventory.Products)
		l.Inventory = inv
		l.LastModified = s.now().Unix()
		writeJSON(c.w, http.StatusOK, renderInventory(l, false, true, c.shop.shop.CurrencyCode))
	})
}

// buildInventory validates req and returns the new inventory with freshly
// issued ids. Callers hold s.mu.
func (s *Sandbox) buildInventory(req *inventoryRequest, st *shopState) (Inventory, badRequest) {
	if len(req.Products) == 0 {
		return Inventory{}, "products must contain at least one product"
	}
	var propertyIDs []int64
	anyStock := false
	combos := map[string]bool{}
	products := make([]Product, 0, len(req.Products))
	valueIDs := map[string]int64{} // same value across products keeps one new id
	for i, pr := range req.Products {
		where := fmt.Sprintf("products[%d]", i)
		if pr.PropertyValues == nil {
			return Inventory{}, badRequest(where + ".property_values is required (use [] for a listing without variations)")
		}
		if len(pr.Offerings) != 1 {
			return Inventory{}, badRequest(where + ".offerings must contain exactly one offering")
		}
		var ids []int64
		var key strings.Builder
		pvs := make([]PropertyValue, 0, len(pr.PropertyValues))
		for j, pv := range pr.PropertyValues {
			pwhere := fmt.Sprintf("%s.property_values[%d]", where, j)
			if pv.PropertyID < 1 {
				return Inventory{}, badRequest(pwhere + ".property_id must be a positive integer")
			}
			if pv.ValueIDs == nil || len(pv.Values) != 1 {
				return Inventory{}, badRequest(pwhere + " needs value_ids and exactly one value")
			}
			if len(pv.ValueIDs) > 1 {
				return Inventory{}, badRequest(pwhere + ".value_ids holds more ids than values")
			}
			v := strings.TrimSpace(pv.Values[0])
			if v == "" || strings.ContainsAny(v, "()") || len(v) > 45 {
				return Inventory{}, badRequest(pwhere + ".values must be 1-45 characters without parentheses")
			}
			if slices.Contains(ids, pv.PropertyID) {
				return Inventory{}, badRequest(pwhere + " repeats a property")
			}
			ids = append(ids, pv.PropertyID)
			fmt.Fprintf(&key, "%d=%s;", pv.PropertyID, strings.ToLower(v))
			vk := fmt.Sprintf("%d=%s", pv.PropertyID, v)
			if valueIDs[vk] == 0 {
				valueIDs[vk] = s.newID()
			}
			name := pv.PropertyName
			if name == "" {
				name = propertyName(pv.PropertyID)
			}
			pvs = append(pvs, PropertyValue{PropertyID: pv.PropertyID, PropertyName: name, ScaleID: pv.ScaleID,
				ValueIDs: []int64{valueIDs[vk]}, Values: []string{v}})
		}
		if len(ids) > 2 {
			return Inventory{}, badRequest(where + " has more than two variation properties")
		}
		sorted := slices.Sorted(slices.Values(ids))
		if i == 0 {
			propertyIDs = sorted
		} else if !slices.Equal(sorted, propertyIDs) {
			return Inventory{}, badRequest(where + " does not use the same properties as products[0]")
		}
		if combos[key.String()] {
			return Inventory{}, badRequest(where + " duplicates the property values of another product")
		}
		combos[key.String()] = true

		off, bad := s.buildOffering(pr.Offerings[0], where+".offerings[0]", st)
		if bad != "" {
			return Inventory{}, bad
		}
		if off.IsEnabled && off.Quantity > 0 {
			anyStock = true
		}
		sku := ""
		if pr.SKU != nil {
			sku = strings.TrimSpace(*pr.SKU)
			if len(sku) > 32 {
				return Inventory{}, badRequest(where + ".sku must be at most 32 characters")
			}
		}
		products = append(products, Product{ProductID: s.newID(), SKU: sku, Offerings: []Offering{off}, PropertyValues: pvs})
	}
	if !anyStock {
		return Inventory{}, "At least one offering must have a quantity greater than 0 and be enabled"
	}
	for _, on := range []struct {
		name string
		ids  []int64
	}{{"price_on_property", req.PriceOnProperty}, {"quantity_on_property", req.QuantityOnProperty},
		{"sku_on_property", req.SKUOnProperty}, {"readiness_state_on_property", req.ReadinessStateOnProperty}} {
		for _, id := range on.ids {
			if !slices.Contains(propertyIDs, id) {
				return Inventory{}, badRequest(fmt.Sprintf("%s lists property %d that no product uses", on.name, id))
			}
		}
	}
	checks := []struct {
		name string
		on   []int64
		attr func(Product) string
	}{
		{"price_on_property", req.PriceOnProperty, func(p Product) string { return fmt.Sprint(p.Offerings[0].Price) }},
		{"quantity_on_property", req.QuantityOnProperty, func(p Product) string { return fmt.Sprint(p.Offerings[0].Quantity) }},
		{"sku_on_property", req.SKUOnProperty, func(p Product) string { return p.SKU }},
		{"readiness_state_on_property", req.ReadinessStateOnProperty, func(p Product) string { return fmt.Sprint(p.Offerings[0].ReadinessStateID) }},
	}
	for _, ch := range checks {
		if bad := determinedBy(products, ch.on, ch.attr); bad != "" {
			return Inventory{}, badRequest(fmt.Sprintf("%s is inconsistent with the products: %s", ch.name, bad))
		}
	}
	if len(req.SKUOnProperty) > 0 {
		qty := map[string]int{}
		for _, p := range products {
			if p.SKU == "" {
				continue
			}
			if q, seen := qty[p.SKU]; seen && q != p.Offerings[0].Quantity {
				return Inventory{}, badRequest(fmt.Sprintf("products sharing SKU %q must have the same quantity", p.SKU))
			}
			qty[p.SKU] = p.Offerings[0].Quantity
		}
	}
	return Inventory{Products: products, OnProperty: req.OnProperty.clone()}, ""
}

// determinedBy reports a contradiction when products that agree on every
// property in on disagree on attr: the attribute varies by a property the
// request did not declare.
func determinedBy(products []Product, on []int64, attr func(Product) string) string {
	seen := map[string]string{}
	for _, p := range products {
		var key strings.Builder
		for _, pv := range p.PropertyValues {
			if slices.Contains(on, pv.PropertyID) {
				fmt.Fprintf(&key, "%d=%s;", pv.PropertyID, pv.Values[0])
			}
		}
		v := attr(p)
		if prev, ok := seen[key.String()]; ok && prev != v {
			return fmt.Sprintf("values %q and %q differ between products the listed properties do not tell apart", prev, v)
		}
		seen[key.String()] = v
	}
	return ""
}

func (s *Sandbox) buildOffering(or offeringRequest, where string, st *shopState) (Offering, badRequest) {
	if or.Price == nil || or.Quantity == nil || or.IsEnabled == nil || or.ReadinessStateID == nil {
		return Offering{}, badRequest(where + " requires price, quantity, is_enabled and readiness_state_id")
	}
	var price float64
	if bytes.HasPrefix(bytes.TrimSpace(or.Price), []byte("{")) || json.Unmarshal(or.Price, &price) != nil {
		return Offering{}, badRequest(where + ".price must be a number (a float such as 12.5), not a Money object")
	}
	cents := math.Round(price * 100)
	if cents < 20 || cents > 5_000_000 {
		return Offering{}, badRequest(where + ".price must be between 0.20 and 50000.00")
	}
	var qty float64
	if json.Unmarshal(or.Quantity, &qty) != nil || qty != math.Trunc(qty) {
		return Offering{}, badRequest(where + ".quantity must be an integer")
	}
	if qty < 0 || qty > maxQuantity {
		return Offering{}, badRequest(where + ".quantity must be between 0 and 999; it cannot be greater than 999")
	}
	var rs *int64
	if json.Unmarshal(or.ReadinessStateID, &rs) != nil || rs == nil {
		return Offering{}, badRequest(where + ".readiness_state_id is required")
	}
	if !slices.ContainsFunc(st.readiness, func(d ReadinessState) bool { return d.ID == *rs }) {
		return Offering{}, badRequest(fmt.Sprintf("%s.readiness_state_id %d is not one of the shop's readiness state definitions", where, *rs))
	}
	return Offering{OfferingID: s.newID(), Quantity: int(qty), IsEnabled: *or.IsEnabled, Price: int64(cents), ReadinessStateID: *rs}, ""
}

// propertyName names the variation properties Etsy predefines; custom
// properties (513, 514) carry the seller's own name in the request.
func propertyName(id int64) string {
	switch id {
	case 200:
		return "Primary color"
	case 52047899002:
		return "Secondary color"
	case 100:
		return "Size"
	case 513, 514:
		return "Custom property"
	}
	return fmt.Sprintf("Property %d", id)
}
