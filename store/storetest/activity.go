// The activity ledger.
package storetest

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stockroom/stockroom/store"
)

func (h *harness) activity(t *testing.T, p store.ActivityListParams) []store.ActivityEvent {
	t.Helper()
	evs, err := h.db.ActivityList(t.Context(), &p)
	noErr(t, err, "activity list")
	return evs
}

func (h *harness) appendActivity(t *testing.T, at time.Time, evs ...store.ActivityEvent) []store.ActivityEvent {
	t.Helper()
	out, err := h.db.ActivityAppend(t.Context(), &store.ActivityAppendParams{Events: evs, Now: at})
	noErr(t, err, "activity append")
	return out
}

func ids(evs []store.ActivityEvent) []int64 {
	out := make([]int64, len(evs))
	for i, e := range evs {
		out[i] = e.ID
	}
	return out
}

var activityTests = map[string]func(t *testing.T, h *harness){
	// The ledger's interface has no way to change or remove one event:
	// only appends, reads and the operator's retention prune.
	"AppendOnlyInterface": func(t *testing.T, h *harness) {
		typ := reflect.TypeFor[store.Activity]()
		var names []string
		for i := range typ.NumMethod() {
			names = append(names, typ.Method(i).Name)
		}
		want := []string{"ActivityAppend", "ActivityGet", "ActivityList", "ActivityPruneBefore"}
		if !slices.Equal(names, want) {
			t.Fatalf("store.Activity methods = %v, want exactly %v", names, want)
		}
		s := h.seller(t, "alice", 701)
		first := h.appendActivity(t, h.now, store.ActivityEvent{StoreID: s.store.ID, ActorID: s.account.ID, Source: store.SourceCommand,
			Kind: store.KindStoreSettings, Subject: "low_stock_default", Before: "5", After: "3"})[0]
		h.appendActivity(t, h.at(time.Minute), store.ActivityEvent{StoreID: s.store.ID, ActorID: s.account.ID, Source: store.SourceCommand,
			Kind: store.KindStoreSettings, Subject: "low_stock_default", Before: "3", After: "7"})
		got, err := h.db.ActivityGet(t.Context(), s.account.ID, first.ID)
		noErr(t, err, "activity get")
		if got.Before != "5" || got.After != "3" || !got.CreatedAt.Equal(h.now) || got.ActorName != "alice" {
			t.Fatalf("first event after a later append = %+v", got)
		}
	},

	// Newest first is insertion order, whatever the clocks said: two
	// events in the same millisecond, and one stamped earlier by a slow
	// writer, keep the order they were written in.
	"OrderNewestFirst": func(t *testing.T, h *harness) {
		s := h.seller(t, "alice", 702)
		ev := func(n int) store.ActivityEvent {
			return store.ActivityEvent{StoreID: s.store.ID, Actor: store.ActorSchedule, Source: store.SourceSync,
				Kind: store.KindStoreSettings, Subject: fmt.Sprint(n)}
		}
		a := h.appendActivity(t, h.now, ev(1))[0]
		b := h.appendActivity(t, h.now, ev(2))[0]
		c := h.appendActivity(t, h.at(-time.Hour), ev(3))[0]
		got := ids(h.activity(t, store.ActivityListParams{AccountID: s.account.ID, StoreID: s.store.ID, Kind: "store"}))
		if want := []int64{c.ID, b.ID, a.ID}; !slices.Equal(got, want) {
			t.Fatalf("order = %v, want %v", got, want)
		}
	},

	// Pages follow the cursor with no gap and no repeat, even while new
	// events arrive between pages.
	"CursorPagination": func(t *testing.T, h *harness) {
		s := h.seller(t, "alice", 703)
		var all []int64
		for i := range 25 {
			e := h.appendActivity(t, h.at(time.Duration(i)*time.Second), store.ActivityEvent{StoreID: s.store.ID, ActorID: s.account.ID,
				Source: store.SourceTUI, Kind: store.KindThresholdSet, Subject: fmt.Sprintf("SKU-%d", i)})[0]
			all = append(all, e.ID)
		}
		slices.Reverse(all)
		var got []int64
		var cursor int64
		for page := 0; ; page++ {
			evs := h.activity(t, store.ActivityListParams{AccountID: s.account.ID, StoreID: s.store.ID, Kind: "threshold", Before: cursor, Limit: 10})
			if page == 0 { // a newer event must not shift the next pages
				h.appendActivity(t, h.at(time.Hour), store.ActivityEvent{StoreID: s.store.ID, ActorID: s.account.ID,
					Source: store.SourceTUI, Kind: store.KindThresholdSet, Subject: "late"})
			}
			if len(evs) == 0 {
				break
			}
			if len(evs) > 10 {
				t.Fatalf("page %d has %d events, limit 10", page, len(evs))
			}
			got = append(got, ids(evs)...)
			cursor = evs[len(evs)-1].ID
		}
		if !slices.Equal(got, all) {
			t.Fatalf("paged ids = %v, want %v", got, all)
		}
	},

	// Alice never lists or reads an event of Bob's store or account.
	"TenantIsolation": func(t *testing.T, h *harness) {
		ctx := t.Context()
		alice := h.seller(t, "alice", 704)
		bob := h.seller(t, "bob", 705)
		h.edit(t, bob, bob.rows[0].OfferingID, bob.rows[0].Version, 2)
		own := h.appendActivity(t, h.now, store.ActivityEvent{AccountID: bob.account.ID, ActorID: bob.account.ID, ActorKey: "SHA256:bob",
			Source: store.SourceCommand, Kind: store.KindKeyAdd, Subject: "SHA256:new"})[0]
		bobs := h.activity(t, store.ActivityListParams{AccountID: bob.account.ID, StoreID: bob.store.ID})
		if len(bobs) == 0 {
			t.Fatal("bob sees no event of his own store")
		}
		if evs := h.activity(t, store.ActivityListParams{AccountID: alice.account.ID, StoreID: bob.store.ID}); len(evs) != 0 {
			t.Fatalf("alice lists %d events of bob's store", len(evs))
		}
		if evs := h.activity(t, store.ActivityListParams{AccountID: alice.account.ID}); len(evs) != 0 {
			t.Fatalf("alice's account ledger shows %d events, want none (bob's key event must not leak)", len(evs))
		}
		for _, id := range []int64{bobs[0].ID, own.ID} {
			_, err := h.db.ActivityGet(ctx, alice.account.ID, id)
			wantErr(t, err, store.ErrNotFound, "alice reads bob's event")
		}
		if got, err := h.db.ActivityGet(ctx, bob.account.ID, own.ID); err != nil || got.Kind != store.KindKeyAdd {
			t.Fatalf("bob reads his own key event = %+v, %v", got, err)
		}
	},

	// A stock edit is recorded with who, before → after and source in the
	// edit's transaction, and its outcome is the push that carried it.
	"StockEditAndPushOutcome": func(t *testing.T, h *harness) {
		ctx := t.Context()
		s := h.seller(t, "alice", 706)
		r := s.rows[0]
		rows, err := h.db.StockEdit(ctx, &store.StockEditParams{AccountID: s.account.ID, StoreID: s.store.ID, Source: store.SourceCommand,
			Now: h.now, Fingerprint: "SHA256:alice", BatchID: "b1",
			Edits: []store.StockEditItem{{OfferingID: r.OfferingID, Version: r.Version, Quantity: 4, UndoOf: 77}}})
		noErr(t, err, "stock edit")
		evs := h.activity(t, store.ActivityListParams{AccountID: s.account.ID, StoreID: s.store.ID, Kind: "stock.set"})
		if len(evs) != 1 {
			t.Fatalf("%d stock.set events, want 1", len(evs))
		}
		e := evs[0]
		if e.ActorID != s.account.ID || e.ActorKey != "SHA256:alice" || e.Source != store.SourceCommand || e.BeforeQty != r.Quantity ||
			e.AfterQty != 4 || e.Before != fmt.Sprint(r.Quantity) || e.After != "4" || e.Subject != r.SKU || e.BatchID != "b1" ||
			e.UndoOf != 77 || e.OfferingID != r.OfferingID || e.Version != rows[0].DesiredVersion || e.Outcome != nil ||
			!strings.Contains(e.Title, r.Title) {
			t.Fatalf("edit event = %+v (row %+v)", e, rows[0])
		}
		_, err = h.db.PushDone(ctx, &store.PushDoneParams{OfferingID: r.OfferingID, DesiredVersion: rows[0].DesiredVersion, Pushed: 4, Etsy: 4, Now: h.at(time.Second)})
		noErr(t, err, "push done")
		e, err = h.db.ActivityGet(ctx, s.account.ID, e.ID)
		noErr(t, err, "activity get")
		if e.Outcome == nil || e.Outcome.Kind != store.KindStockPushed || e.Outcome.Etsy != 4 {
			t.Fatalf("outcome after push = %+v", e.Outcome)
		}
		// A second edit that Etsy refuses carries the refusal.
		again := h.edit(t, s, r.OfferingID, 0, 1)
		noErr(t, h.db.PushFailed(ctx, &store.PushFailedParams{OfferingID: r.OfferingID, DesiredVersion: again.DesiredVersion, Message: "listing is inactive", Now: h.at(time.Minute)}), "push failed")
		evs = h.activity(t, store.ActivityListParams{AccountID: s.account.ID, StoreID: s.store.ID, Kind: "stock.set", Limit: 1})
		if o := evs[0].Outcome; o == nil || o.Kind != store.KindStockPushFailed || o.Note != "listing is inactive" || o.Etsy != 4 {
			t.Fatalf("outcome after refusal = %+v", o)
		}
	},

	// A quantity Etsy changed (a sale), seen by a sync, is Etsy's event.
	"SyncChangeRecorded": func(t *testing.T, h *harness) {
		s := h.seller(t, "alice", 707)
		l := listing(7070, 3, 10)
		l.Products[1].Quantity = 3
		h.write(t, s.store.ID, l)
		evs := h.activity(t, store.ActivityListParams{AccountID: s.account.ID, StoreID: s.store.ID, Who: "etsy"})
		if len(evs) != 1 {
			t.Fatalf("%d events by Etsy, want 1: %+v", len(evs), evs)
		}
		if e := evs[0]; e.Kind != store.KindStockSync || e.BeforeQty != 11 || e.AfterQty != 3 || e.Subject != "MUG-7070-1" || e.Source != store.SourceSync {
			t.Fatalf("sync event = %+v", e)
		}
	},

	// Filters by person, kind area, text, dates and batch.
	"Filters": func(t *testing.T, h *harness) {
		s := h.seller(t, "alice", 708)
		base := store.ActivityEvent{StoreID: s.store.ID, ActorID: s.account.ID, ActorKey: "SHA256:alice", Source: store.SourceTUI}
		mk := func(kind store.ActivityKind, subject, title, batch string) store.ActivityEvent {
			e := base
			e.Kind, e.Subject, e.Title, e.BatchID = kind, subject, title, batch
			return e
		}
		h.appendActivity(t, h.at(-48*time.Hour), mk(store.KindThresholdSet, "OLD-1", "Old mug", ""))
		h.appendActivity(t, h.now, mk(store.KindStockSet, "MUG_1", "Blue 100% mug", "imp-1"), mk(store.KindStockSet, "MUGX1", "Red mug", "imp-1"))
		h.appendActivity(t, h.now, store.ActivityEvent{StoreID: s.store.ID, Actor: store.ActorEtsy, Source: store.SourceSync, Kind: store.KindStockSync, Subject: "MUG_1"})
		count := func(p store.ActivityListParams) int {
			p.AccountID, p.StoreID = s.account.ID, s.store.ID
			return len(h.activity(t, p))
		}
		cases := []struct {
			name string
			p    store.ActivityListParams
			want int
		}{
			{"person by name", store.ActivityListParams{Who: "Alice"}, 3},
			{"person by the start of the name", store.ActivityListParams{Who: "ali"}, 3},
			{"another person", store.ActivityListParams{Who: "bob"}, 0},
			{"person by key", store.ActivityListParams{Who: "SHA256:alice"}, 3},
			{"Etsy", store.ActivityListParams{Who: "Etsy"}, 1},
			{"kind area", store.ActivityListParams{Kind: "stock"}, 3},
			{"kind", store.ActivityListParams{Kind: "stock.sync"}, 1},
			{"kind prefix is an area, not a substring", store.ActivityListParams{Kind: "stoc"}, 0},
			{"text literal underscore", store.ActivityListParams{Text: "mug_"}, 2},
			{"text literal percent in title", store.ActivityListParams{Text: "100%"}, 1},
			{"since", store.ActivityListParams{Since: h.at(-time.Hour)}, 3},
			{"until", store.ActivityListParams{Until: h.at(-time.Hour)}, 1},
			{"batch", store.ActivityListParams{BatchID: "imp-1"}, 2},
		}
		for _, c := range cases {
			if got := count(c.p); got != c.want {
				t.Errorf("%s: %d events, want %d", c.name, got, c.want)
			}
		}
	},

	// The operator's retention removes only what is older than the cutoff.
	"PruneBefore": func(t *testing.T, h *harness) {
		s := h.seller(t, "alice", 709)
		ev := store.ActivityEvent{StoreID: s.store.ID, ActorID: s.account.ID, Source: store.SourceTUI, Kind: store.KindThresholdSet}
		h.appendActivity(t, h.at(-72*time.Hour), ev)
		keep := h.appendActivity(t, h.now, ev)[0]
		n, err := h.db.ActivityPruneBefore(t.Context(), h.at(-24*time.Hour))
		noErr(t, err, "prune")
		got := ids(h.activity(t, store.ActivityListParams{AccountID: s.account.ID, StoreID: s.store.ID, Kind: "threshold"}))
		if n != 1 || !slices.Equal(got, []int64{keep.ID}) {
			t.Fatalf("prune removed %d, left %v; want 1 removed, [%d] left", n, got, keep.ID)
		}
	},

	// The admin ledger is every admin action, on any account or store,
	// and nothing else.
	"AdminLedger": func(t *testing.T, h *harness) {
		alice := h.seller(t, "alice", 710)
		bob := h.seller(t, "bob", 711)
		admin := h.account(t, "root")
		disable := h.appendActivity(t, h.now, store.ActivityEvent{AccountID: bob.account.ID, ActorID: admin.ID, Source: store.SourceAdmin,
			Kind: store.KindAccountDisable})[0]
		resync := h.appendActivity(t, h.now, store.ActivityEvent{StoreID: alice.store.ID, ActorID: admin.ID, Source: store.SourceAdmin,
			Kind: store.KindAdminSync})[0]
		h.appendActivity(t, h.now, store.ActivityEvent{AccountID: bob.account.ID, ActorID: bob.account.ID, Source: store.SourceCommand, Kind: store.KindKeyAdd})
		got := ids(h.activity(t, store.ActivityListParams{Admin: true}))
		if !slices.Equal(got, []int64{resync.ID, disable.ID}) {
			t.Fatalf("admin ledger = %v, want [%d %d]", got, resync.ID, disable.ID)
		}
		if got := ids(h.activity(t, store.ActivityListParams{AccountID: bob.account.ID})); len(got) != 2 || got[1] != disable.ID {
			t.Fatalf("bob's own ledger = %v, want his key and the admin's disable", got)
		}
	},

	// An event must say what it belongs to and what it is.
	"AppendRefusesIncomplete": func(t *testing.T, h *harness) {
		_, err := h.db.ActivityAppend(t.Context(), &store.ActivityAppendParams{Events: []store.ActivityEvent{{Kind: store.KindKeyAdd, Source: store.SourceTUI}}})
		wantErr(t, err, store.ErrInvalid, "append without store or account")
	},
}
