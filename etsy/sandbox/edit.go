// This file holds EditListing, the test hook for a change the seller makes
// on Etsy.com rather than through the API: Stockroom hears of no such edit
// (Etsy sends no listing webhooks) and must find it by re-reading.

package sandbox

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// ErrInvalidEdit is returned by EditListing for a change Etsy.com would
// refuse to save.
var ErrInvalidEdit = errors.New("sandbox: invalid listing edit")

// ListingEdit is one save of Etsy.com's listing editor. Nil fields and an
// empty Quantities are left as they are.
type ListingEdit struct {
	// Title is not checked against the character rule of Etsy's
	// description: titles saved before that rule, or by other tools, still
	// reach API clients, and tests plant hostile text through this hook.
	Title *string `json:"title,omitempty"`
	// State is active or inactive, the two a seller can choose; active also
	// renews a sold out or expired listing that has stock.
	State *string `json:"state,omitempty"`
	// Quantities sets offering quantities. A key names the products with
	// that SKU; failing that, the product whose property values, joined
	// with " / " in the inventory's order, equal it ("M / Blue"); and ""
	// names the only product of a listing without variations.
	Quantities map[string]int `json:"quantities,omitempty"`
}

// EditListing applies e to a listing of shopID as Etsy.com would save it:
// all of it or nothing. A quantity change replaces the inventory the way
// every inventory update does (new product, offering and value ids, the old
// products kept as deleted), and every edit moves last_modified_timestamp
// (and state_timestamp when the state changes). Quantities stay within
// 0..999, at least one enabled offering keeps stock, and quantities that
// the inventory says do not vary by a property stay equal across products.
func (s *Sandbox) EditListing(shopID, listingID int64, e ListingEdit) error {
	if e.Title == nil && e.State == nil && len(e.Quantities) == 0 {
		return fmt.Errorf("%w: nothing to change", ErrInvalidEdit)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.listings[listingID]
	if _, ok := s.shops[shopID]; !ok || l == nil || l.ShopID != shopID {
		return fmt.Errorf("%w: listing %d in shop %d", ErrNotFound, listingID, shopID)
	}
	now := s.now().Unix()
	next := l.clone()
	if e.Title != nil {
		if strings.TrimSpace(*e.Title) == "" {
			return fmt.Errorf("%w: title cannot be empty", ErrInvalidEdit)
		}
		next.Title = *e.Title
	}
	if len(e.Quantities) > 0 {
		inv, err := s.editQuantities(&l.Inventory, e.Quantities)
		if err != nil {
			return err
		}
		next.Inventory = inv
	}
	// The state is checked against the new stock, so one save can restock
	// and renew a sold out listing.
	if e.State != nil && *e.State != l.State {
		want := *e.State
		if want != StateActive && want != StateInactive {
			return fmt.Errorf("%w: state must be active or inactive, not %q", ErrInvalidEdit, want)
		}
		if msg := stateChangeError(&next, want); msg != "" {
			return fmt.Errorf("%w: %s", ErrInvalidEdit, msg)
		}
		next.State, next.StateTimestamp = want, now
	}
	next.LastModified = now
	*l = next
	return nil
}

// editQuantities returns inv with the quantities set and fresh ids, or why
// Etsy would refuse it. Callers hold s.mu.
func (s *Sandbox) editQuantities(inv *Inventory, quantities map[string]int) (Inventory, error) {
	out := inv.clone()
	// Keys in a fixed order so the error for a bad edit is always the same.
	for _, key := range slices.Sorted(maps.Keys(quantities)) {
		qty := quantities[key]
		if qty < 0 || qty > maxQuantity {
			return Inventory{}, fmt.Errorf("%w: quantity %d for %q must be between 0 and %d", ErrInvalidEdit, qty, key, maxQuantity)
		}
		matched := productsFor(out.Products, key)
		if len(matched) == 0 {
			return Inventory{}, fmt.Errorf("%w: no product with SKU or property values %q", ErrNotFound, key)
		}
		for _, i := range matched {
			out.Products[i].Offerings[0].Quantity = qty
		}
	}
	if out.quantity() == 0 {
		return Inventory{}, fmt.Errorf("%w: at least one enabled offering must have a quantity greater than 0", ErrInvalidEdit)
	}
	if bad := determinedBy(out.Products, out.QuantityOnProperty, func(p Product) string {
		return fmt.Sprint(p.Offerings[0].Quantity)
	}); bad != "" {
		return Inventory{}, fmt.Errorf("%w: quantity does not vary by every property that tells these products apart: %s", ErrInvalidEdit, bad)
	}
	if len(out.SKUOnProperty) > 0 {
		qty := map[string]int{}
		for _, p := range out.Products {
			if q, seen := qty[p.SKU]; p.SKU != "" && seen && q != p.Offerings[0].Quantity {
				return Inventory{}, fmt.Errorf("%w: products sharing SKU %q must have the same quantity", ErrInvalidEdit, p.SKU)
			}
			qty[p.SKU] = p.Offerings[0].Quantity
		}
	}
	out.DeletedProducts = cloneProducts(inv.Products)
	valueIDs := map[int64]int64{} // one new id per old value id, shared across products as before
	for i := range out.Products {
		p := &out.Products[i]
		p.ProductID = s.newID()
		p.Offerings[0].OfferingID = s.newID()
		for j := range p.PropertyValues {
			for k, old := range p.PropertyValues[j].ValueIDs {
				if valueIDs[old] == 0 {
					valueIDs[old] = s.newID()
				}
				p.PropertyValues[j].ValueIDs[k] = valueIDs[old]
			}
		}
	}
	return out, nil
}

// productsFor returns the indexes of the products key names (see
// ListingEdit.Quantities).
func productsFor(products []Product, key string) []int {
	var out []int
	if key == "" {
		if len(products) == 1 && len(products[0].PropertyValues) == 0 {
			out = append(out, 0)
		}
		return out
	}
	for i, p := range products {
		if p.SKU == key {
			out = append(out, i)
		}
	}
	if len(out) > 0 {
		return out
	}
	for i, p := range products {
		values := make([]string, 0, len(p.PropertyValues))
		for _, pv := range p.PropertyValues {
			values = append(values, strings.Join(pv.Values, ", "))
		}
		if len(values) > 0 && strings.Join(values, " / ") == key {
			out = append(out, i)
		}
	}
	return out
}
