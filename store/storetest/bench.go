// The sync write benchmark: a large shop's first full sync.
package storetest

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stockroom/stockroom/store"
)

const (
	benchListings = 10_000
	benchProducts = 5
	benchPage     = 100 // Etsy's largest page of listings
)

var (
	benchColours = []string{"Cobalt", "Sage green", "Speckled oat", "Midnight", "Terracotta"}
	benchItems   = []string{"stoneware mug", "linen tote bag", "beeswax candle", "silver hoop earrings", "wool beanie", "ceramic planter"}
)

// benchCatalogue builds the pages a full sync of a 10,000-listing shop
// writes, with titles, SKUs and property JSON shaped like Etsy's.
func benchCatalogue() [][]store.ListingSnapshot {
	pages := make([][]store.ListingSnapshot, 0, benchListings/benchPage)
	updated := epoch.Add(-24 * time.Hour)
	for start := 0; start < benchListings; start += benchPage {
		page := make([]store.ListingSnapshot, 0, benchPage)
		for i := start; i < start+benchPage; i++ {
			id := int64(1_000_000_000 + i)
			item := benchItems[i%len(benchItems)]
			l := store.ListingSnapshot{
				EtsyListingID: id, State: "active", UpdatedAt: updated,
				Title:    fmt.Sprintf("Handmade %s no. %d, gift for her, personalised", item, i),
				URL:      fmt.Sprintf("https://www.etsy.com/listing/%d/handmade-%d", id, i),
				Products: make([]store.ProductSnapshot, 0, benchProducts),
			}
			for p := range benchProducts {
				colour := benchColours[p]
				props, _ := json.Marshal([]map[string]any{{
					"property_id": 200, "property_name": "Primary color", "scale_id": nil,
					"value_ids": []int64{int64(1213 + p)}, "values": []string{colour},
				}})
				sku := fmt.Sprintf("SR-%06d-%02d", i, p)
				qty := (i*7 + p*3) % 40
				l.Quantity += qty
				l.Products = append(l.Products, store.ProductSnapshot{
					Key: sku, EtsyProductID: id*10 + int64(p), SKU: sku, Variation: "Primary color: " + colour,
					PropertyValues: string(props), EtsyOfferingID: id*100 + int64(p), Quantity: qty,
					Price: store.Money{Amount: int64(1500 + (i%50)*100), Divisor: 100, Currency: "USD"}, Enabled: true, ReadinessID: 1402336022581,
				})
			}
			page = append(page, l)
		}
		pages = append(pages, page)
	}
	return pages
}

// BenchmarkSyncWrite writes a 10,000-listing, 50,000-offering shop into an
// empty store through SyncListingsWrite, page by page as a full sync does.
// One op is the whole shop.
func BenchmarkSyncWrite(b *testing.B, open func(tb testing.TB) store.DB) {
	benchSync(b, open, false)
}

// BenchmarkSyncRewrite writes the same shop again over itself, as every
// later full sync does: nothing changed, so one op is the lookups of the
// whole shop and no writes.
func BenchmarkSyncRewrite(b *testing.B, open func(tb testing.TB) store.DB) {
	benchSync(b, open, true)
}

// benchStore is the shop Bench, empty, and its owner, the account bench.
func benchStore(b *testing.B, db store.DB) (store.Account, store.Store) {
	ctx := b.Context()
	a, err := db.AccountCreate(ctx, &store.AccountCreateParams{Name: "bench", Fingerprint: "SHA256:bench", PublicKey: "ssh-ed25519 AAAA", Now: epoch})
	if err != nil {
		b.Fatal(err)
	}
	st, err := db.StoreConnect(ctx, &store.StoreConnectParams{AccountID: a.ID, EtsyShopID: 1, Name: "Bench", Currency: "USD", Now: epoch})
	if err != nil {
		b.Fatal(err)
	}
	return a, st
}

func benchSync(b *testing.B, open func(tb testing.TB) store.DB, again bool) {
	pages := benchCatalogue()
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		db := open(b)
		_, st := benchStore(b, db)
		write := func() int {
			var changed int
			for _, page := range pages {
				res, err := db.SyncListingsWrite(ctx, &store.SyncListingsWriteParams{StoreID: st.ID, Listings: page, Now: epoch})
				if err != nil {
					b.Fatal(err)
				}
				changed += res.OfferingsChanged
			}
			return changed
		}
		want := benchListings * benchProducts
		if again {
			write()
			want = 0
		}
		b.StartTimer()
		changed := write()
		b.StopTimer()
		if changed != want {
			b.Fatalf("%d offerings changed, want %d", changed, want)
		}
		_ = db.Close()
		b.StartTimer()
	}
}
