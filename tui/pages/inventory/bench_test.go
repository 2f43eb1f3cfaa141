package inventory

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/store"

	"github.com/stockroom/stockroom/tui/common"
	"github.com/stockroom/stockroom/tui/internal/tuitest"
)

// A 50,000-row shop: 10,000 listings of 5 variations.
const benchListings, benchVariations = 10_000, 5

func benchEnv(b *testing.B) *tuitest.Env {
	b.Helper()
	return tuitest.New(b, tuitest.Catalogue(benchListings, benchVariations), tuitest.Options{})
}

func benchSession(b *testing.B, env *tuitest.Env) (*Model, common.Component) {
	b.Helper()
	m := New(env.Common(env.Owner, 120, 40))
	m.SetSize(120, 38) // the root keeps a header and a help line
	var comp common.Component = m
	comp = tuitest.Drive(comp, wait, tuitest.Run(m.SetStore(env.StoreID), wait)...)
	if m.snap == nil || len(m.view) != benchListings*benchVariations {
		b.Fatalf("loaded %d rows (%v)", len(m.view), m.loadErr)
	}
	m.View()
	return m, comp
}

// BenchmarkKeypress is one j on a 50,000-row inventory at 120×40: the
// Update and the View that follows it, as the Bubble Tea loop runs them.
func BenchmarkKeypress(b *testing.B) {
	env := benchEnv(b)
	m, comp := benchSession(b, env)
	tuitest.BenchKeypress(b, comp, "j", func() {
		if m.cursor == len(m.view)-1 {
			m.cursor, m.offset = 0, 0
		}
	})
}

// BenchmarkSessionHeap measures the live heap one more idle 120×40 session
// of an open 50,000-row store costs, after a GC. The rows are shared
// through app.Snapshots, so a session owns only its order, its filter and
// its drawn lines. Reported as B/session, with the shared snapshot as
// B/snapshot.
func BenchmarkSessionHeap(b *testing.B) {
	env := benchEnv(b)
	const sessions = 20
	var ms runtime.MemStats
	heap := func() uint64 {
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	for b.Loop() {
		before := heap()
		first, _ := benchSession(b, env)
		afterFirst := heap()
		held := make([]*Model, 0, sessions)
		for range sessions {
			m, _ := benchSession(b, env)
			held = append(held, m)
		}
		after := heap()
		runtime.KeepAlive(first)
		runtime.KeepAlive(held)
		perSession := float64(int64(after)-int64(afterFirst)) / sessions
		b.ReportMetric(perSession, "B/session")
		b.ReportMetric(float64(int64(afterFirst)-int64(before))-perSession, "B/snapshot")
	}
}

// BenchmarkSortTitle is one sort of a 50,000-row inventory by title, which
// s, S, a reload and a filter change pay (a keypress that moves does not).
func BenchmarkSortTitle(b *testing.B) {
	env := benchEnv(b)
	m, _ := benchSession(b, env)
	order := slices.Clone(m.order) // m.order is the snapshot's, shared
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		m.desc = !m.desc
		sortOrder(order, m.rowAt, colTitle, m.desc)
	}
}

// BenchmarkRefreshFanout is one live event reaching the 8 sessions that
// have a 1,000-row store open (200 listings of 5): each asks the shared
// cache for the rows the event names, as the hub delivers it to all at
// once. rows=100 is a bulk edit, rows=1000 an import of every row.
func BenchmarkRefreshFanout(b *testing.B) {
	for _, changed := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("rows=%d", changed), func(b *testing.B) {
			const sessions = 8
			env := tuitest.New(b, tuitest.Catalogue(200, 5), tuitest.Options{})
			ctx := context.Background()
			snap, err := env.Snaps.Get(ctx, env.Owner, env.StoreID)
			if err != nil {
				b.Fatal(err)
			}
			ids := make([]int64, changed)
			for i := range ids {
				ids[i] = snap.Row(i * snap.Len() / changed).OfferingID
			}
			held := make([]*app.Snapshot, sessions)
			qty := 0
			for b.Loop() {
				b.StopTimer()
				qty = 1 - qty
				edits := make([]store.StockEditItem, len(ids))
				for i, id := range ids {
					edits[i] = store.StockEditItem{OfferingID: id, Quantity: qty}
				}
				if _, err := env.App.SetStock(ctx, env.Owner, app.StockParams{StoreID: env.StoreID, Source: store.SourceImport, Edits: edits}); err != nil {
					b.Fatal(err)
				}
				seen := time.Now()
				b.StartTimer()
				var wg sync.WaitGroup
				errs := make([]error, sessions)
				for s := range sessions {
					wg.Go(func() {
						held[s], errs[s] = env.Snaps.Refresh(ctx, env.Owner, env.StoreID, ids, seen)
					})
				}
				wg.Wait()
				if err := errors.Join(errs...); err != nil {
					b.Fatal(err)
				}
				for _, h := range held {
					if i, _ := h.Index(ids[0]); h.Row(i).Shown() != qty {
						b.Fatalf("a session's row shows %d, want %d", h.Row(i).Shown(), qty)
					}
				}
			}
		})
	}
}
