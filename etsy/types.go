// Types mirroring the Etsy Open API v3 resources Stockroom reads and writes.
// Field names and JSON tags follow openapi.json; timestamps stay as the epoch
// seconds Etsy sends so that a value read can be compared with a value stored
// without a conversion in between.
package etsy

import (
	"fmt"
	"strconv"
	"time"
)

// Money is Etsy's price representation: Amount / Divisor in CurrencyCode.
type Money struct {
	Amount       int64  `json:"amount"`
	Divisor      int64  `json:"divisor"`
	CurrencyCode string `json:"currency_code"`
}

// Float returns the amount as a float, the form updateListingInventory wants.
// A zero divisor, which Etsy never sends for a real price, is an error rather
// than an infinite price.
func (m Money) Float() (float64, error) {
	if m.Divisor <= 0 {
		return 0, fmt.Errorf("etsy: money %d/%d %s has no divisor", m.Amount, m.Divisor, m.CurrencyCode)
	}
	return float64(m.Amount) / float64(m.Divisor), nil
}

// String formats the amount with as many decimals as the divisor implies,
// e.g. "19.99 USD".
func (m Money) String() string {
	if m.Divisor <= 0 {
		return strconv.FormatInt(m.Amount, 10) + " " + m.CurrencyCode
	}
	decimals := 0
	for d := m.Divisor; d > 1; d /= 10 {
		decimals++
	}
	return strconv.FormatFloat(float64(m.Amount)/float64(m.Divisor), 'f', decimals, 64) + " " + m.CurrencyCode
}

// Self is the answer of getMe.
type Self struct {
	UserID int64 `json:"user_id"`
	ShopID int64 `json:"shop_id"`
}

// User is Etsy's User resource.
type User struct {
	UserID       int64   `json:"user_id"`
	PrimaryEmail *string `json:"primary_email"`
	FirstName    *string `json:"first_name"`
	LastName     *string `json:"last_name"`
	ImageURL75   *string `json:"image_url_75x75"`
}

// Shop holds the fields of Etsy's Shop resource that Stockroom uses.
type Shop struct {
	ShopID                 int64   `json:"shop_id"`
	UserID                 int64   `json:"user_id"`
	ShopName               string  `json:"shop_name"`
	Title                  *string `json:"title"`
	CurrencyCode           string  `json:"currency_code"`
	IsVacation             bool    `json:"is_vacation"`
	VacationMessage        *string `json:"vacation_message"`
	ListingActiveCount     int64   `json:"listing_active_count"`
	DigitalListingCount    int64   `json:"digital_listing_count"`
	LoginName              string  `json:"login_name"`
	URL                    string  `json:"url"`
	IconURLFullxFull       *string `json:"icon_url_fullxfull"`
	CreatedTimestamp       int64   `json:"created_timestamp"`
	UpdatedTimestamp       int64   `json:"updated_timestamp"`
	TransactionSoldCount   int64   `json:"transaction_sold_count"`
	ShopLocationCountryISO *string `json:"shop_location_country_iso"`
}

// Listing states as Etsy names them.
const (
	StateActive   = "active"
	StateInactive = "inactive"
	StateSoldOut  = "sold_out"
	StateDraft    = "draft"
	StateExpired  = "expired"
)

// Listing holds the fields of ShopListingWithAssociations that Stockroom uses.
type Listing struct {
	ListingID        int64    `json:"listing_id"`
	UserID           int64    `json:"user_id"`
	ShopID           int64    `json:"shop_id"`
	Title            string   `json:"title"`
	State            string   `json:"state"`
	Quantity         int64    `json:"quantity"`
	URL              string   `json:"url"`
	SKUs             []string `json:"skus"`
	Price            Money    `json:"price"`
	HasVariations    bool     `json:"has_variations"`
	ListingType      string   `json:"listing_type"`
	ReadinessStateID *int64   `json:"readiness_state_id"`
	CreatedTimestamp int64    `json:"created_timestamp"`
	// OriginalCreationTimestamp survives renewals, which move
	// CreatedTimestamp.
	OriginalCreationTimestamp int64             `json:"original_creation_timestamp"`
	LastModifiedTimestamp     int64             `json:"last_modified_timestamp"`
	UpdatedTimestamp          int64             `json:"updated_timestamp"`
	StateTimestamp            *int64            `json:"state_timestamp"`
	EndingTimestamp           int64             `json:"ending_timestamp"`
	ShouldAutoRenew           bool              `json:"should_auto_renew"`
	Inventory                 *ListingInventory `json:"inventory"`
}

// ListingInventory is a listing's full set of products as Etsy returns it.
type ListingInventory struct {
	Products []Product `json:"products"`
	OnProperty
}

// OnProperty names, for an offering's price, quantity, SKU and processing
// profile, the properties whose values set it (none: one value for every
// product). An inventory read and an inventory write carry the same four
// lists.
type OnProperty struct {
	PriceOnProperty          []int64 `json:"price_on_property"`
	QuantityOnProperty       []int64 `json:"quantity_on_property"`
	SKUOnProperty            []int64 `json:"sku_on_property"`
	ReadinessStateOnProperty []int64 `json:"readiness_state_on_property"`
}

// clone copies o with every list present: a write must send [] where a
// read may have had null.
func (o OnProperty) clone() OnProperty {
	return OnProperty{PriceOnProperty: nonNil(o.PriceOnProperty), QuantityOnProperty: nonNil(o.QuantityOnProperty),
		SKUOnProperty: nonNil(o.SKUOnProperty), ReadinessStateOnProperty: nonNil(o.ReadinessStateOnProperty)}
}

// Product is one combination of property values of a listing. ProductID is
// reissued by Etsy on every inventory write: never use it as a key.
type Product struct {
	ProductID      int64           `json:"product_id"`
	SKU            string          `json:"sku"`
	IsDeleted      bool            `json:"is_deleted"`
	Offerings      []Offering      `json:"offerings"`
	PropertyValues []PropertyValue `json:"property_values"`
}

// Offering carries a product's price and stock. OfferingID is reissued on
// every inventory write.
type Offering struct {
	OfferingID       int64  `json:"offering_id"`
	Quantity         int    `json:"quantity"`
	IsEnabled        bool   `json:"is_enabled"`
	IsDeleted        bool   `json:"is_deleted"`
	Price            Money  `json:"price"`
	ReadinessStateID *int64 `json:"readiness_state_id"`
}

// PropertyValue is one variation property of a product (e.g. Color: Red).
// ValueIDs are reissued on writes for custom properties; PropertyID and
// Values are what identify a variation.
type PropertyValue struct {
	PropertyID   int64    `json:"property_id"`
	PropertyName *string  `json:"property_name"`
	ScaleID      *int64   `json:"scale_id"`
	ScaleName    *string  `json:"scale_name"`
	ValueIDs     []int64  `json:"value_ids"`
	Values       []string `json:"values"`
}

// ListingsPage is one page of getListingsByShop or the batch inventory call.
type ListingsPage struct {
	Count   int       `json:"count"`
	Results []Listing `json:"results"`
}

// ReadinessStateDefinition is a shop's processing profile; its
// ReadinessStateID is what offerings refer to.
type ReadinessStateDefinition struct {
	ShopID                     int64  `json:"shop_id"`
	ReadinessStateID           int64  `json:"readiness_state_id"`
	ReadinessState             string `json:"readiness_state"`
	MinProcessingDays          int64  `json:"min_processing_days"`
	MaxProcessingDays          int64  `json:"max_processing_days"`
	ProcessingDaysDisplayLabel string `json:"processing_days_display_label"`
}

// ReadinessStateDefinitionsPage is one page of getShopReadinessStateDefinitions.
type ReadinessStateDefinitionsPage struct {
	Count   int                        `json:"count"`
	Results []ReadinessStateDefinition `json:"results"`
}

// Receipt holds the fields of ShopReceipt that Stockroom uses. Name, address
// lines and messages are typed by the buyer: sanitize before display.
type Receipt struct {
	ReceiptID         int64         `json:"receipt_id"`
	ReceiptType       int64         `json:"receipt_type"`
	SellerUserID      int64         `json:"seller_user_id"`
	BuyerUserID       int64         `json:"buyer_user_id"`
	Name              string        `json:"name"`
	FirstLine         *string       `json:"first_line"`
	SecondLine        *string       `json:"second_line"`
	City              *string       `json:"city"`
	State             *string       `json:"state"`
	Zip               *string       `json:"zip"`
	CountryISO        *string       `json:"country_iso"`
	FormattedAddress  *string       `json:"formatted_address"`
	Status            string        `json:"status"`
	PaymentMethod     string        `json:"payment_method"`
	MessageFromBuyer  *string       `json:"message_from_buyer"`
	MessageFromSeller *string       `json:"message_from_seller"`
	IsPaid            bool          `json:"is_paid"`
	IsShipped         bool          `json:"is_shipped"`
	IsGift            bool          `json:"is_gift"`
	GiftMessage       string        `json:"gift_message"`
	CreatedTimestamp  int64         `json:"created_timestamp"`
	UpdatedTimestamp  int64         `json:"updated_timestamp"`
	Grandtotal        Money         `json:"grandtotal"`
	Subtotal          Money         `json:"subtotal"`
	TotalPrice        Money         `json:"total_price"`
	TotalShippingCost Money         `json:"total_shipping_cost"`
	TotalTaxCost      Money         `json:"total_tax_cost"`
	TotalVATCost      Money         `json:"total_vat_cost"`
	DiscountAmt       Money         `json:"discount_amt"`
	Transactions      []Transaction `json:"transactions"`
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

// Transaction is one line of a receipt.
type Transaction struct {
	TransactionID    int64                  `json:"transaction_id"`
	ReceiptID        int64                  `json:"receipt_id"`
	ListingID        *int64                 `json:"listing_id"`
	ProductID        *int64                 `json:"product_id"`
	SKU              *string                `json:"sku"`
	Title            *string                `json:"title"`
	Quantity         int                    `json:"quantity"`
	Price            Money                  `json:"price"`
	ShippingCost     Money                  `json:"shipping_cost"`
	IsDigital        bool                   `json:"is_digital"`
	Variations       []TransactionVariation `json:"variations"`
	ProductData      []PropertyValue        `json:"product_data"`
	CreatedTimestamp int64                  `json:"created_timestamp"`
	PaidTimestamp    *int64                 `json:"paid_timestamp"`
	ShippedTimestamp *int64                 `json:"shipped_timestamp"`
}

// TransactionVariation is a variation or personalization the buyer chose.
type TransactionVariation struct {
	PropertyID     int64  `json:"property_id"`
	ValueID        *int64 `json:"value_id"`
	FormattedName  string `json:"formatted_name"`
	FormattedValue string `json:"formatted_value"`
}

// ReceiptsPage is one page of getShopReceipts.
type ReceiptsPage struct {
	Count   int       `json:"count"`
	Results []Receipt `json:"results"`
}

// Time converts one of Etsy's epoch-second timestamps.
func Time(epochSeconds int64) time.Time {
	return time.Unix(epochSeconds, 0).UTC()
}
