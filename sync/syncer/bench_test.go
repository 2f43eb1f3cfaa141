package syncer_test

import (
	"testing"

	"github.com/stockroom/stockroom/etsy/sandbox"
	"github.com/stockroom/stockroom/store"
)

// BenchmarkFullSync10k times a full sync of a 10,000-listing shop into an
// empty store, with the sandbox's rate limit off and at Etsy's common 10
// calls a second, and reports the Etsy calls it took.
func BenchmarkFullSync10k(b *testing.B) {
	for _, be := range backends() {
		b.Run(be.name, func(b *testing.B) { benchFullSync(b, be) })
	}
}

func benchFullSync(b *testing.B, be backend) {
	for _, bc := range []struct {
		name      string
		perSecond int
	}{{"unlimited", 0}, {"10qps", 10}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				e := newEnv(b, be, sandbox.GenOptions{Seed: 1, Listings: 10000, Receipts: 500}, sandbox.Config{PerSecond: bc.perSecond})
				e.sb.ResetCalls()
				b.StartTimer()
				if _, err := e.eng.Sync(e.ctx, e.storeID, store.SyncFull, store.TriggerManual); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(e.calls()), "calls/op")
			}
		})
	}
}

// BenchmarkPushCallsPerEdit reports the Etsy calls one pushed edit costs:
// a set when Etsy's count has not moved (a read and a write), a set after
// a sale (one more call reads the receipts since the edit's base), and an
// add (relative to Etsy's count whatever moved it).
func BenchmarkPushCallsPerEdit(b *testing.B) {
	for _, bc := range []struct {
		name string
		kind store.EditKind
		sale bool
	}{{"set", store.EditSet, false}, {"set-after-a-sale", store.EditSet, true}, {"add-after-a-sale", store.EditAdd, true}} {
		b.Run(bc.name, func(b *testing.B) {
			e := newEnv(b, sqliteBackend(), sandbox.GenOptions{Seed: 48, Listings: 20, Receipts: 3}, sandbox.Config{})
			e.sync(store.SyncFull)
			l, r := e.variedListing(2)
			calls, edits := 0, 0
			for b.Loop() {
				b.StopTimer()
				if bc.sale {
					if _, err := e.sb.SimulateSale(e.shopID, l.ListingID, r.SKU, 1); err != nil {
						b.Fatal(err)
					}
				}
				// Alternate far apart, so every edit needs a write.
				cur := e.row(r.OfferingID)
				want := 20 + 10*(edits%2)
				if bc.kind == store.EditAdd {
					want = cur.Shown() + 5 - 10*(edits%2)
				}
				e.editKind(r.OfferingID, bc.kind, want)
				e.sb.ResetCalls()
				b.StartTimer()
				if err := e.eng.Push(e.ctx, r.OfferingID); err != nil {
					b.Fatal(err)
				}
				calls += e.calls()
				edits++
			}
			b.ReportMetric(float64(calls)/float64(edits), "calls/edit")
		})
	}
}
