package hub_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/internal/testwait"
	"github.com/stockroom/stockroom/store/storetest"
)

func TestSubscribersGetTheirStoresEvents(t *testing.T) {
	h := hub.New()
	a := h.Subscribe(hub.ForStore(1))
	all := h.Subscribe(nil)
	defer a.Close()
	defer all.Close()

	h.Publish(hub.Event{Kind: hub.StockChanged, StoreID: 2})
	h.Publish(hub.Event{Kind: hub.StockChanged, StoreID: 1, OfferingIDs: []int64{7}})

	if e := <-a.C; e.StoreID != 1 || e.OfferingIDs[0] != 7 {
		t.Fatalf("store 1 subscriber got %+v", e)
	}
	select {
	case e := <-a.C:
		t.Fatalf("store 1 subscriber also got %+v", e)
	default:
	}
	if e1, e2 := <-all.C, <-all.C; e1.StoreID != 2 || e2.StoreID != 1 {
		t.Fatalf("unfiltered subscriber got %+v then %+v", e1, e2)
	}
}

// A receiver that stops reading never blocks the publisher: its events are
// dropped and it learns it missed some, so it reloads.
func TestSlowSubscriberNeverBlocksPublisher(t *testing.T) {
	h := hub.New()
	slow := h.Subscribe(nil)
	defer slow.Close()
	done := make(chan struct{})
	go func() {
		for i := range 1000 {
			h.Publish(hub.Event{Kind: hub.StockChanged, StoreID: int64(i)})
		}
		close(done)
	}()
	testwait.Receive(t, done, "publishing past a subscriber that does not read")
	if !slow.Missed() {
		t.Fatal("the slow subscriber was not told it missed events")
	}
	if slow.Missed() {
		t.Fatal("Missed did not clear")
	}
}

func TestClosedSubscriptionGetsNothing(t *testing.T) {
	h := hub.New()
	s := h.Subscribe(nil)
	s.Close()
	s.Close() // twice is harmless
	h.Publish(hub.Event{Kind: hub.StoreChanged, StoreID: 1})
	if _, open := <-s.C; open {
		t.Fatal("a closed subscription received an event")
	}
}

// bridged is the hubs of two processes on one PostgreSQL, each bridged
// to it until the test ends.
func bridged(t *testing.T) (h1, h2 *hub.Hub) {
	t.Helper()
	db := storetest.OpenPostgres(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	log := slog.New(slog.DiscardHandler)
	h1, h2 = hub.New(), hub.New()
	go hub.NewBridge(h1, db.Pool(), "proc-1", log).Run(ctx)
	go hub.NewBridge(h2, db.Pool(), "proc-2", log).Run(ctx)
	return h1, h2
}

// Two processes on one PostgreSQL: an event published in one reaches the
// other's subscribers once, and is not echoed back to its own.
func TestBridgeCarriesEventsBetweenProcesses(t *testing.T) {
	h1, h2 := bridged(t)
	s1 := h1.Subscribe(hub.ForStore(5))
	s2 := h2.Subscribe(hub.ForStore(5))
	defer s1.Close()
	defer s2.Close()

	want := hub.Event{Kind: hub.StockChanged, StoreID: 5, OfferingIDs: []int64{42}, AccountID: 9}
	got, published := publishUntilHeard(t, h1, s2, want)
	if got.Kind != want.Kind || got.StoreID != 5 || got.AccountID != 9 || len(got.OfferingIDs) != 1 || got.OfferingIDs[0] != 42 {
		t.Fatalf("process 2 got %+v", got)
	}
	// A last, different event: process 1's bridge sends its events one at a
	// time, in order, so once process 2 hears this one every copy of the
	// earlier ones that was ever going to arrive has arrived.
	h1.Publish(hub.Event{Kind: hub.StoreChanged, StoreID: 5})
	remote := 1
	for last := false; !last; {
		select {
		case e := <-s2.C:
			if last = e.Kind == hub.StoreChanged; !last {
				remote++
			}
		case <-time.After(10 * time.Second):
			t.Fatal("process 2 never heard the last event")
		}
	}
	// Process 1's subscriber got each of its events once, locally, never a
	// copy back through PostgreSQL; process 2 got at most one copy of each.
	local := len(s1.C) - 1
	if local != published {
		t.Fatalf("process 1 published %d events and its own subscriber got %d", published, local)
	}
	if remote > published {
		t.Fatalf("process 2 got %d events for %d published", remote, published)
	}
}

// A subscription tied to a session's context is closed when the session
// ends, even if nobody ever closes it; closing it first is harmless.
func TestSubscriptionEndsWithItsContext(t *testing.T) {
	h := hub.New()
	ctx, cancel := context.WithCancel(context.Background())
	s := h.SubscribeContext(ctx, nil)
	cancel()
	select {
	case _, open := <-s.C:
		if open {
			t.Fatal("an event instead of the close")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the subscription outlived its context")
	}
	h.Publish(hub.Event{Kind: hub.StoreChanged, StoreID: 1}) // no send on a closed channel

	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	s2 := h.SubscribeContext(ctx2, nil)
	s2.Close()
	cancel2()
	s2.Close()
	if _, open := <-s2.C; open {
		t.Fatal("a closed subscription delivered an event")
	}
}

// publishUntilHeard publishes e on from every 100ms until sub (in another
// process) hears something, since the listeners start asynchronously; it
// returns what was heard and how many times e was published.
func publishUntilHeard(t *testing.T, from *hub.Hub, sub *hub.Subscription, e hub.Event) (hub.Event, int) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	published := 0
	for {
		select {
		case got := <-sub.C:
			return got, published
		case <-tick.C:
			from.Publish(e)
			published++
		case <-deadline:
			t.Fatalf("the other process never heard %v", e.Kind)
		}
	}
}

// An import or sync that changes thousands of offerings makes an event
// whose id list would not fit in a PostgreSQL notification (8000 bytes).
// It must still reach the other process, as "reload the store".
func TestBridgeCarriesA2000OfferingEventAsReload(t *testing.T) {
	h1, h2 := bridged(t)
	const storeID = 770077
	s2 := h2.Subscribe(hub.ForStore(storeID))
	defer s2.Close()

	ids := make([]int64, 2000)
	for i := range ids {
		ids[i] = 1_000_000 + int64(i)
	}
	got, _ := publishUntilHeard(t, h1, s2, hub.Event{Kind: hub.StockChanged, StoreID: storeID, OfferingIDs: ids, AccountID: 3})
	if got.Kind != hub.StockChanged || got.StoreID != storeID || got.AccountID != 3 || len(got.OfferingIDs) != 0 {
		t.Fatalf("process 2 got %v with %d offering ids, want a store-wide stock change", got.Kind, len(got.OfferingIDs))
	}
}

// Every event a slow subscriber misses is counted, for the metrics.
func TestDroppedEventsAreObserved(t *testing.T) {
	var drops []string
	h := hub.New(hub.WithDropObserver(func(where string) { drops = append(drops, where) }))
	slow := h.Subscribe(nil)
	defer slow.Close()
	for i := range 70 {
		h.Publish(hub.Event{Kind: hub.StockChanged, StoreID: int64(i)})
	}
	if len(drops) != 70-cap(slow.C) || drops[0] != "subscriber" {
		t.Fatalf("%d drops observed (%v), want %d", len(drops), drops[:min(len(drops), 3)], 70-cap(slow.C))
	}
}

// Every subscriber gets an event with the same time, taken when it was
// published (after the change it reports): the sessions that receive it
// share the reads made after that time.
func TestPublishStampsOneTimeForEverySubscriber(t *testing.T) {
	h := hub.New()
	a, b := h.Subscribe(nil), h.Subscribe(nil)
	defer a.Close()
	defer b.Close()
	before := time.Now()
	h.Publish(hub.Event{Kind: hub.StockChanged, StoreID: 1})
	after := time.Now()
	ea, eb := <-a.C, <-b.C
	if ea.At.IsZero() || ea.At.Before(before) || ea.At.After(after) {
		t.Fatalf("At = %v, want a time between %v and %v", ea.At, before, after)
	}
	if !ea.At.Equal(eb.At) {
		t.Fatalf("subscribers got %v and %v for one event", ea.At, eb.At)
	}
}
