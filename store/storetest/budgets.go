// Etsy day budgets shared between processes.
package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stockroom/stockroom/store"
)

var budgetTests = map[string]func(t *testing.T, h *harness){
	"ReserveObserveRelease": func(t *testing.T, h *harness) {
		ctx := t.Context()
		reserve := func(at time.Time) store.RateBudgetReservation {
			t.Helper()
			r, err := h.db.RateBudgetReserve(ctx, &store.RateBudgetReserveParams{Key: "7", Now: at,
				ProbeEvery: 10 * time.Minute, StaleAfter: time.Minute})
			noErr(t, err, "reserve")
			return r
		}
		get := func() store.RateBudget {
			t.Helper()
			b, err := h.db.RateBudgetGet(ctx, "7")
			noErr(t, err, "get")
			return b
		}
		if _, err := h.db.RateBudgetGet(ctx, "7"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("get before any call: %v", err)
		}
		// Unknown: let through, not counted against a figure nobody knows.
		if r := reserve(h.now); !r.OK || r.Counted {
			t.Fatalf("first reservation of an unknown key: %+v", r)
		}
		if b := get(); b.Known || b.InFlight != 1 {
			t.Fatalf("after the first reservation: %+v", b)
		}
		noErr(t, h.db.RateBudgetObserve(ctx, &store.RateBudgetObserveParams{Key: "7", PerDay: 100, Remaining: 3, Now: h.at(time.Second)}), "observe")
		if b := get(); !b.Known || b.PerDay != 100 || b.Remaining != 3 || b.InFlight != 0 || !b.UpdatedAt.Equal(h.at(time.Second)) {
			t.Fatalf("after the first answer: %+v", b)
		}
		// Two calls in flight; the first answer counted only itself, so
		// the other is still counted as spent.
		for range 2 {
			if r := reserve(h.at(2 * time.Second)); !r.OK || !r.Counted {
				t.Fatalf("reservation with budget left: %+v", r)
			}
		}
		noErr(t, h.db.RateBudgetObserve(ctx, &store.RateBudgetObserveParams{Key: "7", Remaining: 2, Now: h.at(3 * time.Second)}), "observe")
		if b := get(); b.Remaining != 1 || b.InFlight != 1 || b.PerDay != 100 {
			t.Fatalf("an answer while another call is in flight: %+v, want 1 left, 1 in flight", b)
		}
		// A call never sent is refunded; one sent without an answer is not.
		noErr(t, h.db.RateBudgetRelease(ctx, &store.RateBudgetReleaseParams{Key: "7", Refund: true}), "release")
		if b := get(); b.Remaining != 2 || b.InFlight != 0 {
			t.Fatalf("after a refund: %+v", b)
		}
		reserve(h.at(4 * time.Second))
		noErr(t, h.db.RateBudgetRelease(ctx, &store.RateBudgetReleaseParams{Key: "7"}), "release")
		if b := get(); b.Remaining != 1 || b.InFlight != 0 {
			t.Fatalf("after a call without an answer: %+v", b)
		}
		reserve(h.at(5 * time.Second))
		if r := reserve(h.at(5 * time.Second)); r.OK {
			t.Fatal("a reservation went through with no budget left")
		}
		if r := reserve(h.at(2 * time.Minute)); r.OK {
			t.Fatal("spent budget let a call through before the probe was due")
		}
		noErr(t, h.db.RateBudgetObserve(ctx, &store.RateBudgetObserveParams{Key: "7", Remaining: 0, Now: h.at(2 * time.Minute)}), "observe")
		if b := get(); b.Remaining != 0 || b.InFlight != 0 {
			t.Fatalf("after the answer: %+v", b)
		}
		// Spent: one probe per ProbeEvery, across every process.
		probe := reserve(h.at(12*time.Minute + time.Second))
		if !probe.OK || probe.Counted {
			t.Fatalf("probe after the interval: %+v", probe)
		}
		if r := reserve(h.at(12*time.Minute + 2*time.Second)); r.OK {
			t.Fatal("a second probe went through in the same interval")
		}
		// A process that dies with calls in flight never records their
		// answers: once no call was reserved for StaleAfter they stop
		// lowering the figure.
		// The probe's answer, the only call since, sets the figure.
		noErr(t, h.db.RateBudgetObserve(ctx, &store.RateBudgetObserveParams{Key: "7", Seq: probe.Seq, Remaining: 50, Now: h.at(13 * time.Minute)}), "observe")
		if b := get(); b.Remaining != 50 {
			t.Fatalf("after the probe's answer: %+v, want 50", b)
		}
		reserve(h.at(13*time.Minute + time.Second))
		reserve(h.at(13*time.Minute + time.Second))
		if r := reserve(h.at(15 * time.Minute)); !r.OK || !r.Counted {
			t.Fatalf("reservation after a dead process: %+v", r)
		}
		if b := get(); b.InFlight != 1 || b.Remaining != 47 {
			t.Fatalf("stale reservations still in flight: %+v", b)
		}
	},
	"OlderAnswerOnlyLowers": func(t *testing.T, h *harness) {
		ctx := t.Context()
		reserve := func() store.RateBudgetReservation {
			t.Helper()
			r, err := h.db.RateBudgetReserve(ctx, &store.RateBudgetReserveParams{Key: "8", Now: h.now, ProbeEvery: 10 * time.Minute, StaleAfter: time.Minute})
			noErr(t, err, "reserve")
			return r
		}
		observe := func(r store.RateBudgetReservation, remaining int) int {
			t.Helper()
			noErr(t, h.db.RateBudgetObserve(ctx, &store.RateBudgetObserveParams{Key: "8", Seq: r.Seq, PerDay: 100, Remaining: remaining, Now: h.now}), "observe")
			b, err := h.db.RateBudgetGet(ctx, "8")
			noErr(t, err, "get")
			return b.Remaining
		}
		if got := observe(reserve(), 20); got != 20 {
			t.Fatalf("the only call's answer set %d, want 20", got)
		}
		// a is answered last, with the figure Etsy had when it served a,
		// before b and c reached it.
		a, b, c := reserve(), reserve(), reserve()
		if got := observe(b, 17); got != 15 {
			t.Fatalf("b's answer with a and c in flight: %d, want 17 less those two", got)
		}
		if got := observe(c, 16); got != 15 {
			t.Fatalf("c's answer with a in flight: %d, want 15", got)
		}
		if got := observe(a, 19); got != 15 {
			t.Fatalf("a's older answer raised the figure to %d; at most 16 are left", got)
		}
		// The next call alone in flight tells the exact figure again.
		if got := observe(reserve(), 16); got != 16 {
			t.Fatalf("a lone call's answer set %d, want 16", got)
		}
	},
	"ConcurrentReservationsNeverOvershoot": func(t *testing.T, h *harness) {
		ctx := t.Context()
		noErr(t, h.db.RateBudgetObserve(ctx, &store.RateBudgetObserveParams{Key: "9", PerDay: 100, Remaining: 5, Now: h.now}), "observe")
		granted := raceWins(t, 16, "reserve", func(int) (bool, error) {
			r, err := h.db.RateBudgetReserve(context.Background(), &store.RateBudgetReserveParams{Key: "9", Now: h.at(time.Second),
				ProbeEvery: 10 * time.Minute, StaleAfter: time.Minute})
			return r.OK, err
		})
		if granted != 5 {
			t.Fatalf("%d calls reserved from a budget of 5", granted)
		}
	},
}
