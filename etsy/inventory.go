// Building updateListingInventory bodies safely. Etsy replaces the whole
// inventory on every write, reissues product, offering and value ids, wants
// prices as floats, and refuses contradictory *_on_property lists, so a stock
// change is always: read, identify the product by something stable, rebuild
// every product, write.
package etsy

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

const maxQuantity = 999

// UpdateInventoryRequest is the JSON body of updateListingInventory.
type UpdateInventoryRequest struct {
	Products []ProductUpdate `json:"products"`
	OnProperty
}

// ProductUpdate is a product in an inventory write: no ids, no deleted flag.
type ProductUpdate struct {
	SKU            string                `json:"sku"`
	PropertyValues []PropertyValueUpdate `json:"property_values"`
	Offerings      []OfferingUpdate      `json:"offerings"`
}

// PropertyValueUpdate is a property value in an inventory write.
type PropertyValueUpdate struct {
	PropertyID   int64    `json:"property_id"`
	PropertyName *string  `json:"property_name,omitempty"`
	ScaleID      *int64   `json:"scale_id"`
	ValueIDs     []int64  `json:"value_ids"`
	Values       []string `json:"values"`
}

// OfferingUpdate is an offering in an inventory write; Price is a float,
// not a Money.
type OfferingUpdate struct {
	Price            float64 `json:"price"`
	Quantity         int     `json:"quantity"`
	IsEnabled        bool    `json:"is_enabled"`
	ReadinessStateID *int64  `json:"readiness_state_id"`
}

// Validate checks the rules Etsy enforces that a caller can get wrong:
// at least one product, offerings on every product, quantities in 0..999
// and not all zero.
func (r UpdateInventoryRequest) Validate() error {
	if len(r.Products) == 0 {
		return errors.New("etsy: inventory update has no products; it would delete every variation")
	}
	anyStock := false
	for i, p := range r.Products {
		if len(p.Offerings) == 0 {
			return fmt.Errorf("etsy: inventory update product %d has no offering", i)
		}
		for _, o := range p.Offerings {
			if o.Quantity < 0 || o.Quantity > maxQuantity {
				return fmt.Errorf("%w: product %d has %d", ErrQuantityRange, i, o.Quantity)
			}
			if math.IsNaN(o.Price) || math.IsInf(o.Price, 0) || o.Price < 0 {
				return fmt.Errorf("etsy: inventory update product %d has price %v", i, o.Price)
			}
			if o.Quantity > 0 {
				anyStock = true
			}
		}
	}
	if !anyStock {
		return ErrAllZero
	}
	return nil
}

// PropertyMatch names one variation of a product: the property (stable
// across writes) and its value strings (value ids are not).
type PropertyMatch struct {
	PropertyID int64
	Values     []string
}

// ProductMatch identifies a product across inventory writes, by SKU, by
// property values, or both. The zero ProductMatch identifies the single
// product of a listing without variations or SKU.
type ProductMatch struct {
	SKU        string
	Properties []PropertyMatch
}

// Key is a stable string for the match, fit for a database column.
func (m ProductMatch) Key() string {
	props := m.canonicalProperties()
	switch {
	case m.SKU != "" && props == "":
		return "sku:" + m.SKU
	case m.SKU != "":
		return "sku:" + m.SKU + "|props:" + props
	default:
		return "props:" + props
	}
}

func (m ProductMatch) canonicalProperties() string {
	return canonicalProperties(m.Properties)
}

func canonicalProperties(props []PropertyMatch) string {
	sorted := slices.Clone(props)
	slices.SortFunc(sorted, func(a, b PropertyMatch) int {
		switch {
		case a.PropertyID < b.PropertyID:
			return -1
		case a.PropertyID > b.PropertyID:
			return 1
		}
		return 0
	})
	parts := make([]string, len(sorted))
	for i, p := range sorted {
		vals := slices.Clone(p.Values)
		slices.Sort(vals)
		for j, v := range vals {
			vals[j] = url.QueryEscape(v)
		}
		parts[i] = strconv.FormatInt(p.PropertyID, 10) + "=" + strings.Join(vals, ",")
	}
	return strings.Join(parts, ";")
}

func propertiesOf(p Product) []PropertyMatch {
	out := make([]PropertyMatch, len(p.PropertyValues))
	for i, pv := range p.PropertyValues {
		out[i] = PropertyMatch{PropertyID: pv.PropertyID, Values: pv.Values}
	}
	return out
}

func (m ProductMatch) matches(p Product) bool {
	if m.SKU != "" && p.SKU != m.SKU {
		return false
	}
	if m.SKU != "" && len(m.Properties) == 0 {
		return true
	}
	return canonicalProperties(propertiesOf(p)) == m.canonicalProperties()
}

// Find returns the index in inv.Products of the one live product m
// identifies, or ErrNoProduct / ErrAmbiguousProduct.
func (m ProductMatch) Find(inv ListingInventory) (int, error) {
	found := -1
	for i, p := range inv.Products {
		if p.IsDeleted || !m.matches(p) {
			continue
		}
		if found >= 0 {
			return -1, fmt.Errorf("%w: %s", ErrAmbiguousProduct, m.Key())
		}
		found = i
	}
	if found < 0 {
		return -1, fmt.Errorf("%w: %s", ErrNoProduct, m.Key())
	}
	return found, nil
}

// MatchFor returns the stable identity of p within inv: its SKU when no other
// live product shares it, otherwise its property values.
func MatchFor(inv ListingInventory, p Product) ProductMatch {
	if p.SKU != "" {
		n := 0
		for _, q := range inv.Products {
			if !q.IsDeleted && q.SKU == p.SKU {
				n++
			}
		}
		if n == 1 {
			return ProductMatch{SKU: p.SKU}
		}
	}
	return ProductMatch{Properties: propertiesOf(p)}
}

// ProductKey is MatchFor(inv, p).Key(): how the sync engine keys a product.
func ProductKey(inv ListingInventory, p Product) string {
	return MatchFor(inv, p).Key()
}

// BuildInventoryUpdate rebuilds current as an update body in which the
// product match identifies has quantity on every live offering. Every other
// live product is kept unchanged, so no variation is lost. quantity_on_property
// is widened when the new quantity makes stock vary along more properties
// than before.
func BuildInventoryUpdate(current ListingInventory, match ProductMatch, quantity int) (UpdateInventoryRequest, error) {
	if quantity < 0 || quantity > maxQuantity {
		return UpdateInventoryRequest{}, fmt.Errorf("%w: got %d", ErrQuantityRange, quantity)
	}
	target, err := match.Find(current)
	if err != nil {
		return UpdateInventoryRequest{}, err
	}

	req := UpdateInventoryRequest{Products: []ProductUpdate{}, OnProperty: current.OnProperty.clone()}
	var live []Product
	for i, p := range current.Products {
		if p.IsDeleted {
			continue
		}
		pu, err := productUpdate(p, i == target, quantity)
		if err != nil {
			return UpdateInventoryRequest{}, err
		}
		req.Products = append(req.Products, pu)
		live = append(live, p)
	}

	onProp, err := quantityProperties(live, req.Products, req.QuantityOnProperty)
	if err != nil {
		return UpdateInventoryRequest{}, err
	}
	req.QuantityOnProperty = onProp
	if err := checkSharedSKUs(req); err != nil {
		return UpdateInventoryRequest{}, err
	}
	if err := req.Validate(); err != nil {
		return UpdateInventoryRequest{}, err
	}
	return req, nil
}

func productUpdate(p Product, isTarget bool, quantity int) (ProductUpdate, error) {
	pu := ProductUpdate{
		SKU:            p.SKU,
		PropertyValues: []PropertyValueUpdate{},
		Offerings:      []OfferingUpdate{},
	}
	for _, pv := range p.PropertyValues {
		pu.PropertyValues = append(pu.PropertyValues, PropertyValueUpdate{
			PropertyID:   pv.PropertyID,
			PropertyName: pv.PropertyName,
			ScaleID:      pv.ScaleID,
			ValueIDs:     nonNil(pv.ValueIDs),
			Values:       nonNil(pv.Values),
		})
	}
	for _, o := range p.Offerings {
		if o.IsDeleted {
			continue
		}
		price, err := o.Price.Float()
		if err != nil {
			return ProductUpdate{}, fmt.Errorf("etsy: product %s: %w", describe(p), err)
		}
		q := o.Quantity
		if isTarget {
			q = quantity
		} else if q < 0 || q > maxQuantity {
			return ProductUpdate{}, fmt.Errorf("%w: product %s currently has %d", ErrQuantityRange, describe(p), q)
		}
		pu.Offerings = append(pu.Offerings, OfferingUpdate{
			Price:            price,
			Quantity:         q,
			IsEnabled:        o.IsEnabled,
			ReadinessStateID: o.ReadinessStateID,
		})
	}
	if len(pu.Offerings) == 0 {
		return ProductUpdate{}, fmt.Errorf("etsy: product %s has no live offering", describe(p))
	}
	return pu, nil
}

func describe(p Product) string {
	return MatchFor(ListingInventory{Products: []Product{p}}, p).Key()
}

// quantityProperties returns the quantity_on_property list for the new
// quantities: the current list if it still explains them, otherwise the
// smallest set of properties (preferring supersets of the current list) that
// does. Etsy rejects a body whose quantities vary along a property the list
// does not name.
func quantityProperties(live []Product, updates []ProductUpdate, current []int64) ([]int64, error) {
	quantities := make([]int, len(updates))
	for i, u := range updates {
		quantities[i] = u.Offerings[0].Quantity
		for _, o := range u.Offerings[1:] {
			if o.Quantity != quantities[i] {
				return nil, fmt.Errorf("etsy: product %s has offerings with different quantities", describe(live[i]))
			}
		}
	}
	if explains(live, quantities, current) {
		return current, nil
	}
	var all []int64
	for _, p := range live {
		for _, pv := range p.PropertyValues {
			if !slices.Contains(all, pv.PropertyID) {
				all = append(all, pv.PropertyID)
			}
		}
	}
	slices.Sort(all)
	var best []int64
	bestScore := math.MaxInt
	for mask := 1; mask < 1<<len(all); mask++ {
		var set []int64
		for i, id := range all {
			if mask&(1<<i) != 0 {
				set = append(set, id)
			}
		}
		if !explains(live, quantities, set) {
			continue
		}
		// Fewer properties first; among equals, keep what the seller had.
		score := len(set) * 2
		for _, id := range current {
			if !slices.Contains(set, id) {
				score++
				break
			}
		}
		if score < bestScore {
			best, bestScore = set, score
		}
	}
	if best == nil {
		return nil, errors.New("etsy: products with the same property values have different quantities")
	}
	return best, nil
}

// explains reports whether quantity is a function of the values of props.
func explains(live []Product, quantities []int, props []int64) bool {
	byKey := make(map[string]int)
	for i, p := range live {
		var parts []PropertyMatch
		for _, pv := range p.PropertyValues {
			if slices.Contains(props, pv.PropertyID) {
				parts = append(parts, PropertyMatch{PropertyID: pv.PropertyID, Values: pv.Values})
			}
		}
		k := canonicalProperties(parts)
		if q, ok := byKey[k]; ok && q != quantities[i] {
			return false
		}
		byKey[k] = quantities[i]
	}
	return true
}

// checkSharedSKUs enforces Etsy's rule that products sharing a SKU under
// sku_on_property share a quantity, so the seller hears it from Stockroom
// rather than as Etsy's terse 400.
func checkSharedSKUs(req UpdateInventoryRequest) error {
	if len(req.SKUOnProperty) == 0 {
		return nil
	}
	bySKU := make(map[string]int)
	for _, p := range req.Products {
		if p.SKU == "" {
			continue
		}
		q := p.Offerings[0].Quantity
		if prev, ok := bySKU[p.SKU]; ok && prev != q {
			return fmt.Errorf("etsy: products sharing SKU %q must keep the same quantity (%d vs %d)", p.SKU, prev, q)
		}
		bySKU[p.SKU] = q
	}
	return nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return slices.Clone(s)
}
