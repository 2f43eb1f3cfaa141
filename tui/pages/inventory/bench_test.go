package inventory

import (
	"runtime"
	"testing"

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
	j := tuitest.Key("j")
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if m.cursor == len(m.view)-1 {
			m.cursor, m.offset = 0, 0
		}
		comp, _ = comp.Update(j)
		_ = comp.View()
	}
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
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		m.desc = !m.desc
		sortOrder(m.order, m.rowAt, colTitle, m.desc)
	}
}
