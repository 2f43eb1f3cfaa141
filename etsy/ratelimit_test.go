// Tests of the day budget and of slots given back: reservations are made
// before a call is sent, so concurrent workers and processes never send more
// calls than the day allows, and a wait given up returns what it reserved.
package etsy

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stockroom/stockroom/internal/ctxsleep"
)

// A rate-limit slot reserved before a wait that the caller then cancelled
// must be given back: otherwise every cancelled wait pushes later calls
// further out and spends a unit of the day budget on a call never sent.
func TestCancelledRateLimitWaitReturnsItsSlot(t *testing.T) {
	clock := newFakeClock()
	l := newLimiter(clock.Now, 0, false)
	l.observe(&reservation{key: "k"}, limitHeaderSet(5, 5, 100, 50))
	first, err := l.reserve("k")
	if err != nil || first.wait != 0 {
		t.Fatalf("first reservation: %+v %v", first, err)
	}
	cancelled, err := l.reserve("k")
	if err != nil || cancelled.wait != 200*time.Millisecond {
		t.Fatalf("second reservation waits %v, %v; want 200ms at 5/s", cancelled.wait, err)
	}
	l.release(cancelled, false)
	next, err := l.reserve("k")
	if err != nil {
		t.Fatal(err)
	}
	if next.wait != 200*time.Millisecond {
		t.Fatalf("after a cancelled wait the next call waits %v, want the returned slot (200ms)", next.wait)
	}
	if b := l.budget("k"); b.RemainingToday != 48 {
		t.Fatalf("remaining today %d after two calls reserved (one cancelled), want 48", b.RemainingToday)
	}

	// Through the client: a caller that gives up waiting leaves the budget
	// and the pacing as they were.
	env := newEnv(t, func(w http.ResponseWriter, r *http.Request) {
		limitHeaders(w, 5, 4, 100, 50)
		writeJSON(w, 200, `{"user_id": 1, "shop_id": 2}`)
	})
	if _, err := env.shop.GetMe(context.Background()); err != nil {
		t.Fatal(err)
	}
	env.client.sleep = func(ctx context.Context, d time.Duration) error { return context.Canceled }
	for range 10 {
		if _, err := env.shop.GetMe(context.Background()); !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled wait: %v", err)
		}
	}
	if b := env.client.Budget("store-1"); b.RemainingToday != 50 {
		t.Fatalf("ten cancelled waits left %d of 50 calls today", b.RemainingToday)
	}
	res, err := env.client.limits.reserve("store-1")
	if err != nil || res.wait > 200*time.Millisecond {
		t.Fatalf("after ten cancelled waits the next slot is %v away (%v), want at most one interval", res.wait, err)
	}
}

// budgetServer is an Etsy whose day budget is budget calls: it counts every
// call it receives and answers with the remaining figure as Etsy does, so a
// call it receives with nothing left is an overshoot. Answers come back in
// an order that differs from the order the calls arrived in, as they do
// when calls run in parallel.
type budgetServer struct {
	budget   int
	received atomic.Int64
}

func (b *budgetServer) handle(w http.ResponseWriter, r *http.Request) {
	n := int(b.received.Add(1))
	left := max(b.budget-n, 0)
	if n%3 == 0 {
		// An answer held back while later calls are answered.
		time.Sleep(time.Duration(n%7) * time.Millisecond)
	}
	limitHeaders(w, 100, 99, 100, left)
	writeJSON(w, 200, `{"user_id": 1, "shop_id": 2}`)
}

// With four workers, no call goes out once the day budget is spent, however
// the answers interleave, and the figure shown is what is really left.
func TestDailyBudgetNotOvershotByConcurrentWorkers(t *testing.T) {
	srv := &budgetServer{budget: 30}
	env := newEnv(t, srv.handle)
	env.client.sleep = ctxsleep.For // real time: the workers must overlap
	// The first call learns the budget; then four workers spend it.
	if _, err := env.shop.GetMe(context.Background()); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 20 {
				_, _ = env.shop.GetMe(context.Background())
			}
		})
	}
	wg.Wait()
	if got := srv.received.Load(); got > int64(srv.budget) {
		t.Fatalf("Etsy received %d calls on a day budget of %d: %d went out after it was spent", got, srv.budget, got-int64(srv.budget))
	}
	if b := env.client.Budget("store-1"); b.RemainingToday != 0 {
		t.Fatalf("budget shows %d left when none is", b.RemainingToday)
	}
}

func limitHeaderSet(perSecond, remainingSecond, perDay, remainingToday int) http.Header {
	h := http.Header{}
	w := headerWriter{h}
	limitHeaders(w, perSecond, remainingSecond, perDay, remainingToday)
	return h
}

type headerWriter struct{ h http.Header }

func (w headerWriter) Header() http.Header       { return w.h }
func (headerWriter) Write(p []byte) (int, error) { return len(p), nil }
func (headerWriter) WriteHeader(int)             {}
