// This file generates deterministic demo data: shops whose listings cover
// every state, with and without variations, with missing and shared SKUs,
// and months of receipts that reference real listings and products.

package sandbox

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// GenOptions sizes a generated seed. Zero values pick the defaults noted.
type GenOptions struct {
	Seed     int64     // random seed; same options give the same data
	Shops    int       // default 1
	Listings int       // per shop, default 50
	Receipts int       // per shop, default 300
	Days     int       // receipts spread over this many days, default 90
	Now      time.Time // default 2026-08-01 UTC, so output does not depend on the clock
}

var (
	sizes   = []string{"XS", "S", "M", "L", "XL"}
	colours = []string{"Black", "White", "Sage", "Rust", "Navy", "Mustard"}
	nouns   = []string{"Mug", "Tote Bag", "Scarf", "Candle", "Print", "Necklace", "Beanie", "Planter", "Notebook", "Coaster Set"}
	adjs    = []string{"Handmade", "Rustic", "Minimalist", "Vintage-style", "Hand-painted", "Organic", "Personalised", "Boho"}
	buyers  = []string{"Ada Lovelace", "Grace Hopper", "José Álvarez", "Zoë O'Brien", "李小龙", "Robert'); DROP TABLE--", "\x1b[31mRed\x1b[0m Buyer"}
)

// Generate builds a seed from opts.
func Generate(opts GenOptions) Seed {
	if opts.Shops <= 0 {
		opts.Shops = 1
	}
	if opts.Listings <= 0 {
		opts.Listings = 50
	}
	if opts.Receipts < 0 {
		opts.Receipts = 0
	} else if opts.Receipts == 0 {
		opts.Receipts = 300
	}
	if opts.Days <= 0 {
		opts.Days = 90
	}
	if opts.Now.IsZero() {
		opts.Now = time.Date(2026, 8, 1, 12, 0, 0, 0, time.UTC)
	}
	rng := rand.New(rand.NewPCG(uint64(opts.Seed), 0x5eed))
	now := opts.Now.Unix()
	id := int64(100_000_000)
	next := func() int64 { id++; return id }

	var seed Seed
	for si := range opts.Shops {
		shop := Shop{ShopID: 50_000_000 + int64(si)*1000 + 1, UserID: 80_000_000 + int64(si)*1000 + 1,
			Name: fmt.Sprintf("DemoShop%d", si+1), LoginName: fmt.Sprintf("demoseller%d", si+1),
			Email: fmt.Sprintf("seller%d@example.com", si+1), CurrencyCode: "USD",
			Created: now - 3*365*24*3600, Updated: now - 24*3600}
		ready := ReadinessState{ID: next(), State: "ready_to_ship", MinDays: 1, MaxDays: 3}
		made := ReadinessState{ID: next(), State: "made_to_order", MinDays: 5, MaxDays: 10}
		ss := SeedShop{Shop: shop, ReadinessStates: []ReadinessState{ready, made}}
		for li := range opts.Listings {
			ss.Listings = append(ss.Listings, genListing(rng, next, shop, li, now, []int64{ready.ID, made.ID}))
		}
		for range opts.Receipts {
			ss.Receipts = append(ss.Receipts, genReceipt(rng, next, ss.Listings, shop.ShopID, now, opts.Days))
		}
		seed.Shops = append(seed.Shops, ss)
	}
	return seed
}

func genListing(rng *rand.Rand, next func() int64, shop Shop, i int, now int64, readiness []int64) Listing {
	state := listingStates[0]
	switch r := rng.IntN(100); {
	case r < 70:
		state = StateActive
	case r < 80:
		state = StateInactive
	case r < 88:
		state = StateSoldOut
	case r < 95:
		state = StateDraft
	default:
		state = StateExpired
	}
	created := now - int64(rng.IntN(700*24*3600)) - 3600
	l := Listing{ListingID: next(), ShopID: shop.ShopID, State: state, Created: created,
		Title:       fmt.Sprintf("%s %s #%d", adjs[rng.IntN(len(adjs))], nouns[rng.IntN(len(nouns))], i+1),
		Description: "Made in small batches in our studio.",
	}
	l.LastModified = created + int64(rng.IntN(int(now-created)))
	l.StateTimestamp = l.LastModified
	base := int64(500 + rng.IntN(9500))
	rs := readiness[rng.IntN(len(readiness))]
	skuBase := fmt.Sprintf("SKU-%d", i+1)
	noSKU := rng.IntN(100) < 12
	if rng.IntN(100) < 3 && i > 0 {
		skuBase = "SKU-1" // a SKU shared with another listing, as real shops have
	}
	qty := func() int {
		if state == StateSoldOut {
			return 0
		}
		return rng.IntN(40)
	}
	inv := Inventory{OnProperty: OnProperty{}.clone()} // every list present and empty
	product := func(sku string, price int64, pvs []PropertyValue) Product {
		if noSKU {
			sku = ""
		}
		return Product{ProductID: next(), SKU: sku, PropertyValues: pvs,
			Offerings: []Offering{{OfferingID: next(), Quantity: qty(), IsEnabled: true, Price: price, ReadinessStateID: rs}}}
	}
	pv := func(prop int64, name, v string, vid int64) PropertyValue {
		return PropertyValue{PropertyID: prop, PropertyName: name, ValueIDs: []int64{vid}, Values: []string{v}}
	}
	switch r := rng.IntN(10); {
	case r < 4: // no variations
		inv.Products = []Product{product(skuBase, base, []PropertyValue{})}
	case r < 8: // one property: size, priced by size
		inv.PriceOnProperty, inv.QuantityOnProperty, inv.SKUOnProperty = []int64{100}, []int64{100}, []int64{100}
		for k, sz := range sizes[:2+rng.IntN(3)] {
			inv.Products = append(inv.Products, product(skuBase+"-"+sz, base+int64(k)*200, []PropertyValue{pv(100, "Size", sz, next())}))
		}
	default: // two properties: size x colour
		inv.QuantityOnProperty, inv.SKUOnProperty = []int64{100, 200}, []int64{100, 200}
		for _, sz := range sizes[1:3] {
			for _, c := range colours[:2] {
				inv.Products = append(inv.Products, product(skuBase+"-"+sz+"-"+c[:1], base,
					[]PropertyValue{pv(100, "Size", sz, next()), pv(200, "Primary color", c, next())}))
			}
		}
	}
	if noSKU {
		inv.SKUOnProperty = []int64{}
	}
	// An active listing always has stock, as Etsy guarantees.
	if state == StateActive && inv.quantity() == 0 {
		inv.Products[0].Offerings[0].Quantity = 1
	}
	l.Inventory = inv
	return l
}

func genReceipt(rng *rand.Rand, next func() int64, listings []Listing, shopID, now int64, days int) Receipt {
	created := now - int64(rng.IntN(days*24*3600))
	r := Receipt{ReceiptID: next(), ShopID: shopID, BuyerUserID: next(), BuyerEmail: "buyer@example.com",
		Name: buyers[rng.IntN(len(buyers))], FirstLine: fmt.Sprintf("%d High Street", 1+rng.IntN(200)),
		City: "Portland", State: "OR", Zip: "97201", CountryISO: "US", Created: created,
		Shipping: 450, Tax: int64(rng.IntN(300)),
	}
	switch p := rng.IntN(100); {
	case p < 40:
		r.Status, r.IsPaid = ReceiptPaid, true
	case p < 75:
		r.Status, r.IsPaid, r.IsShipped, r.IsDelivered = ReceiptCompleted, true, true, rng.IntN(2) == 0
	case p < 82:
		r.Status = ReceiptOpen
	case p < 86:
		r.Status = ReceiptPaymentProcessing
	case p < 92:
		r.Status = ReceiptCanceled
	case p < 96:
		r.Status, r.IsPaid = ReceiptFullyRefunded, true
	default:
		r.Status, r.IsPaid, r.IsShipped = ReceiptPartiallyRefunded, true, true
	}
	if rng.IntN(5) == 0 {
		r.MessageFromBuyer = "Could you gift wrap this? \u202eThanks!"
	}
	if rng.IntN(8) == 0 {
		r.IsGift, r.GiftMessage = true, "Happy birthday!\n<3"
	}
	r.Updated = created + int64(rng.IntN(int(now-created)+1))
	for range 1 + rng.IntN(3) {
		l := listings[rng.IntN(len(listings))]
		p := l.Inventory.Products[rng.IntN(len(l.Inventory.Products))]
		t := Transaction{TransactionID: next(), ListingID: l.ListingID, ProductID: p.ProductID, SKU: p.SKU, Title: l.Title,
			Quantity: 1 + rng.IntN(2), Price: p.Offerings[0].Price, Variations: clonePropertyValues(p.PropertyValues)}
		if r.IsPaid {
			t.Paid = created
		}
		if r.IsShipped {
			t.Shipped = r.Updated
		}
		r.Transactions = append(r.Transactions, t)
	}
	return r
}
