package activity

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/tui/internal/tuitest"
)

// benchEvents is the ledger of a busy store: 100,000 stock edits over the
// 1,000 rows of a 200-listing shop.
const benchEvents = 100_000

func benchEnv(b *testing.B) *tuitest.Env {
	b.Helper()
	env := tuitest.New(b, tuitest.Catalogue(200, 5), tuitest.Options{})
	ctx := context.Background()
	rows, err := env.App.Inventory(ctx, env.Owner, env.StoreID)
	if err != nil {
		b.Fatal(err)
	}
	batch := make([]store.ActivityEvent, 0, 1000)
	for i := range benchEvents {
		r := rows[i%len(rows)]
		batch = append(batch, store.ActivityEvent{StoreID: env.StoreID, ActorID: env.Owner.Account.ID, ActorKey: env.Owner.Fingerprint,
			Source: store.SourceTUI, Kind: store.KindStockSet, OfferingID: r.OfferingID, Subject: r.SKU, Title: r.Title,
			Before: fmt.Sprint(i % 40), After: fmt.Sprint((i + 1) % 40), BeforeQty: i % 40, AfterQty: (i + 1) % 40, Version: int64(i/len(rows) + 1)})
		if len(batch) == cap(batch) {
			if _, err := env.DB.ActivityAppend(ctx, &store.ActivityAppendParams{Events: batch, Now: tuitest.Epoch.Add(time.Duration(i) * time.Second)}); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	return env
}

// BenchmarkKeypress is one j on the Activity screen holding all 100,000
// events of the ledger at 120×40 (paged in by cursor, as scrolling to the
// end does): the Update and the View that follows it, as the Bubble Tea
// loop runs them.
func BenchmarkKeypress(b *testing.B) {
	env := benchEnv(b)
	m := New(env.Common(env.Owner, 120, 40))
	m.SetSize(120, 38)
	tuitest.Settle(b, m, m.SetStore(env.StoreID))
	for !m.end {
		tuitest.Press(b, m, "G")
	}
	if len(m.events) != benchEvents {
		b.Fatalf("loaded %d events", len(m.events))
	}
	m.list.Reset()
	tuitest.BenchKeypress(b, m, "j", func() {
		if m.list.Cursor() == len(m.events)-1 {
			m.list.Reset()
		}
	})
}

// BenchmarkPageRead is one page of 200 events read from the middle of the
// 100,000-event ledger on SQLite, with their Etsy outcomes: what scrolling
// a screen further costs (off the update loop).
func BenchmarkPageRead(b *testing.B) {
	env := benchEnv(b)
	ctx := context.Background()
	first, err := env.App.Activity(ctx, env.Owner, app.ActivityQuery{StoreID: env.StoreID, Limit: 1})
	if err != nil || len(first) != 1 {
		b.Fatal(err)
	}
	mid := first[0].ID - benchEvents/2
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		evs, err := env.App.Activity(ctx, env.Owner, app.ActivityQuery{StoreID: env.StoreID, Before: mid, Limit: pageSize})
		if err != nil || len(evs) != pageSize {
			b.Fatalf("%d events, %v", len(evs), err)
		}
	}
}
