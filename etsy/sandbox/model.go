// This file holds the sandbox's own model of Etsy data (shops, listings,
// inventory, receipts) and the seed format that fills it. The model is
// deliberately independent of package etsy so the two implementations check
// each other against the published description; only the rendered answers
// (api.go, receipts.go) reuse etsy's types where the wire shapes are one.

package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
)

// Seed is the JSON document a sandbox is filled from.
type Seed struct {
	Shops []SeedShop `json:"shops"`
}

// SeedShop is one seller: the shop, its owner, its processing profiles, its
// listings and its orders.
type SeedShop struct {
	Shop            Shop             `json:"shop"`
	ReadinessStates []ReadinessState `json:"readiness_states"`
	Listings        []Listing        `json:"listings"`
	Receipts        []Receipt        `json:"receipts"`
}

// Shop is a seller's shop. UserID is the owning seller's Etsy user id, the
// prefix of their OAuth tokens.
type Shop struct {
	ShopID       int64  `json:"shop_id"`
	UserID       int64  `json:"user_id"`
	Name         string `json:"shop_name"`
	LoginName    string `json:"login_name"`
	Email        string `json:"email,omitempty"`
	CurrencyCode string `json:"currency_code"`
	IsVacation   bool   `json:"is_vacation"`
	Created      int64  `json:"created_timestamp"`
	Updated      int64  `json:"updated_timestamp"`
}

// ReadinessState is a processing profile, what an offering's
// readiness_state_id points at.
type ReadinessState struct {
	ID      int64  `json:"readiness_state_id"`
	State   string `json:"readiness_state"` // ready_to_ship or made_to_order
	MinDays int    `json:"min_processing_days"`
	MaxDays int    `json:"max_processing_days"`
}

// Listing states as Etsy names them.
const (
	StateActive   = "active"
	StateInactive = "inactive"
	StateSoldOut  = "sold_out"
	StateDraft    = "draft"
	StateExpired  = "expired"
)

var listingStates = []string{StateActive, StateInactive, StateSoldOut, StateDraft, StateExpired}

// Listing is one listing with its inventory. Quantity and price shown to
// clients are derived from the inventory, as on Etsy.
type Listing struct {
	ListingID      int64     `json:"listing_id"`
	ShopID         int64     `json:"shop_id"`
	Title          string    `json:"title"`
	Description    string    `json:"description"`
	State          string    `json:"state"`
	Created        int64     `json:"created_timestamp"`
	LastModified   int64     `json:"last_modified_timestamp"`
	StateTimestamp int64     `json:"state_timestamp"`
	Inventory      Inventory `json:"inventory"`
}

// Inventory is a listing's products and which properties drive which
// attributes. DeletedProducts are those removed by the latest update, shown
// with show_deleted=true.
type Inventory struct {
	Products []Product `json:"products"`
	OnProperty
	DeletedProducts []Product `json:"deleted_products,omitempty"`
}

// OnProperty names, for an offering's price, quantity, SKU and processing
// profile, the properties whose values set it: the four lists an inventory
// holds and an inventory write sends.
type OnProperty struct {
	PriceOnProperty          []int64 `json:"price_on_property"`
	QuantityOnProperty       []int64 `json:"quantity_on_property"`
	SKUOnProperty            []int64 `json:"sku_on_property"`
	ReadinessStateOnProperty []int64 `json:"readiness_state_on_property"`
}

// clone copies o with every list present, as Etsy answers ([] for none).
func (o OnProperty) clone() OnProperty {
	return OnProperty{PriceOnProperty: nonNil(slices.Clone(o.PriceOnProperty)), QuantityOnProperty: nonNil(slices.Clone(o.QuantityOnProperty)),
		SKUOnProperty: nonNil(slices.Clone(o.SKUOnProperty)), ReadinessStateOnProperty: nonNil(slices.Clone(o.ReadinessStateOnProperty))}
}

// Product is one variation combination (or the only product of a listing
// without variations).
type Product struct {
	ProductID      int64           `json:"product_id"`
	SKU            string          `json:"sku"`
	Offerings      []Offering      `json:"offerings"`
	PropertyValues []PropertyValue `json:"property_values"`
}

// Offering is what a buyer can buy: a price and a quantity. Price is in the
// currency's minor unit (divisor 100).
type Offering struct {
	OfferingID       int64 `json:"offering_id"`
	Quantity         int   `json:"quantity"`
	IsEnabled        bool  `json:"is_enabled"`
	Price            int64 `json:"price"`
	ReadinessStateID int64 `json:"readiness_state_id"`
}

// PropertyValue is a product's value for one variation property.
type PropertyValue struct {
	PropertyID   int64    `json:"property_id"`
	PropertyName string   `json:"property_name"`
	ScaleID      *int64   `json:"scale_id,omitempty"`
	ValueIDs     []int64  `json:"value_ids"`
	Values       []string `json:"values"`
}

// Receipt statuses as Etsy names them.
const (
	ReceiptPaid              = "paid"
	ReceiptCompleted         = "completed"
	ReceiptOpen              = "open"
	ReceiptPaymentProcessing = "payment processing"
	ReceiptCanceled          = "canceled"
	ReceiptFullyRefunded     = "fully refunded"
	ReceiptPartiallyRefunded = "partially refunded"
)

var receiptStatuses = []string{ReceiptPaid, ReceiptCompleted, ReceiptOpen, ReceiptPaymentProcessing,
	ReceiptCanceled, ReceiptFullyRefunded, ReceiptPartiallyRefunded}

// Receipt is an order. The buyer's name, address, message and gift message
// are text the buyer typed and may hold anything.
type Receipt struct {
	ReceiptID        int64         `json:"receipt_id"`
	ShopID           int64         `json:"shop_id"`
	BuyerUserID      int64         `json:"buyer_user_id"`
	BuyerEmail       string        `json:"buyer_email"`
	Name             string        `json:"name"`
	FirstLine        string        `json:"first_line"`
	SecondLine       string        `json:"second_line"`
	City             string        `json:"city"`
	State            string        `json:"state"`
	Zip              string        `json:"zip"`
	CountryISO       string        `json:"country_iso"`
	Status           string        `json:"status"`
	IsPaid           bool          `json:"is_paid"`
	IsShipped        bool          `json:"is_shipped"`
	IsDelivered      bool          `json:"is_delivered"`
	MessageFromBuyer string        `json:"message_from_buyer"`
	IsGift           bool          `json:"is_gift"`
	GiftMessage      string        `json:"gift_message"`
	Shipping         int64         `json:"total_shipping_cost"`
	Tax              int64         `json:"total_tax_cost"`
	Created          int64         `json:"created_timestamp"`
	Updated          int64         `json:"updated_timestamp"`
	Transactions     []Transaction `json:"transactions"`
}

// Transaction is one line of a receipt.
type Transaction struct {
	TransactionID int64           `json:"transaction_id"`
	ListingID     int64           `json:"listing_id"`
	ProductID     int64           `json:"product_id"`
	SKU           string          `json:"sku"`
	Title         string          `json:"title"`
	Quantity      int             `json:"quantity"`
	Price         int64           `json:"price"`
	Variations    []PropertyValue `json:"variations"`
	Paid          int64           `json:"paid_timestamp,omitempty"`
	Shipped       int64           `json:"shipped_timestamp,omitempty"`
}

// quantity is what Etsy shows as the listing's quantity: the sum over
// enabled offerings.
func (inv *Inventory) quantity() int {
	total := 0
	for _, p := range inv.Products {
		for _, o := range p.Offerings {
			if o.IsEnabled {
				total += o.Quantity
			}
		}
	}
	return total
}

// minPrice is the listing's displayed price: the lowest enabled offering.
func (inv *Inventory) minPrice() int64 {
	var price int64 = -1
	for _, p := range inv.Products {
		for _, o := range p.Offerings {
			if o.IsEnabled && (price < 0 || o.Price < price) {
				price = o.Price
			}
		}
	}
	if price < 0 {
		for _, p := range inv.Products {
			for _, o := range p.Offerings {
				if price < 0 || o.Price < price {
					price = o.Price
				}
			}
		}
	}
	return max(price, 0)
}

func (inv *Inventory) skus() []string {
	out := []string{}
	for _, p := range inv.Products {
		if p.SKU != "" && !slices.Contains(out, p.SKU) {
			out = append(out, p.SKU)
		}
	}
	return out
}

func (inv *Inventory) hasVariations() bool {
	for _, p := range inv.Products {
		if len(p.PropertyValues) > 0 {
			return true
		}
	}
	return false
}

// clone deep-copies l so callers of read helpers cannot reach the sandbox's
// state.
func (l Listing) clone() Listing {
	l.Inventory = l.Inventory.clone()
	return l
}

func (inv Inventory) clone() Inventory {
	out := inv
	out.Products = cloneProducts(inv.Products)
	out.DeletedProducts = cloneProducts(inv.DeletedProducts)
	out.PriceOnProperty = slices.Clone(inv.PriceOnProperty)
	out.QuantityOnProperty = slices.Clone(inv.QuantityOnProperty)
	out.SKUOnProperty = slices.Clone(inv.SKUOnProperty)
	out.ReadinessStateOnProperty = slices.Clone(inv.ReadinessStateOnProperty)
	return out
}

func cloneProducts(in []Product) []Product {
	if in == nil {
		return nil
	}
	out := make([]Product, len(in))
	for i, p := range in {
		p.Offerings = slices.Clone(p.Offerings)
		p.PropertyValues = clonePropertyValues(p.PropertyValues)
		out[i] = p
	}
	return out
}

func clonePropertyValues(in []PropertyValue) []PropertyValue {
	out := make([]PropertyValue, len(in))
	for i, v := range in {
		v.ValueIDs = slices.Clone(v.ValueIDs)
		v.Values = slices.Clone(v.Values)
		out[i] = v
	}
	return out
}

func (r Receipt) clone() Receipt {
	r.Transactions = slices.Clone(r.Transactions)
	for i := range r.Transactions {
		r.Transactions[i].Variations = clonePropertyValues(r.Transactions[i].Variations)
	}
	return r
}

// ReadSeed decodes a seed document, rejecting unknown fields so a typo in a
// hand-written seed is reported rather than silently ignored.
func ReadSeed(r io.Reader) (Seed, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var seed Seed
	if err := dec.Decode(&seed); err != nil {
		return Seed{}, fmt.Errorf("sandbox: decode seed: %w", err)
	}
	return seed, nil
}

// validate checks one shop's seed for the mistakes that would make the
// sandbox answer something Etsy never would.
func (s *SeedShop) validate() error {
	if s.Shop.ShopID <= 0 || s.Shop.UserID <= 0 {
		return errors.New("shop_id and user_id must be positive")
	}
	if s.Shop.Name == "" {
		return fmt.Errorf("shop %d: shop_name is required", s.Shop.ShopID)
	}
	if len(s.Shop.CurrencyCode) != 3 {
		return fmt.Errorf("shop %d: currency_code must be a 3-letter code", s.Shop.ShopID)
	}
	if len(s.ReadinessStates) == 0 {
		return fmt.Errorf("shop %d: at least one readiness state is required", s.Shop.ShopID)
	}
	states := map[int64]bool{}
	for _, rs := range s.ReadinessStates {
		if rs.ID <= 0 || (rs.State != "ready_to_ship" && rs.State != "made_to_order") || rs.MinDays < 0 || rs.MaxDays < rs.MinDays {
			return fmt.Errorf("shop %d: invalid readiness state %+v", s.Shop.ShopID, rs)
		}
		states[rs.ID] = true
	}
	for _, l := range s.Listings {
		if l.ListingID <= 0 || l.ShopID != s.Shop.ShopID {
			return fmt.Errorf("shop %d: listing %d has shop_id %d", s.Shop.ShopID, l.ListingID, l.ShopID)
		}
		if !slices.Contains(listingStates, l.State) {
			return fmt.Errorf("listing %d: unknown state %q", l.ListingID, l.State)
		}
		if len(l.Inventory.Products) == 0 {
			return fmt.Errorf("listing %d: inventory has no products", l.ListingID)
		}
		for _, p := range l.Inventory.Products {
			if p.ProductID <= 0 || len(p.Offerings) != 1 {
				return fmt.Errorf("listing %d: product %d needs a positive id and exactly one offering", l.ListingID, p.ProductID)
			}
			o := p.Offerings[0]
			if o.OfferingID <= 0 || o.Quantity < 0 || o.Quantity > maxQuantity || o.Price <= 0 || !states[o.ReadinessStateID] {
				return fmt.Errorf("listing %d: invalid offering %+v", l.ListingID, o)
			}
		}
	}
	for _, r := range s.Receipts {
		if r.ReceiptID <= 0 || r.ShopID != s.Shop.ShopID || !slices.Contains(receiptStatuses, r.Status) {
			return fmt.Errorf("shop %d: invalid receipt %d", s.Shop.ShopID, r.ReceiptID)
		}
	}
	return nil
}
