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
