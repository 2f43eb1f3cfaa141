// Package testwait waits in tests for a condition that another goroutine,
// process or job makes true, polling briefly and failing with what was
// awaited when it does not come. It is for outcomes with no signal to wait
// on; where a channel or hook exists, wait on that instead.
package testwait

import (
	"testing"
	"time"
)

// Timeout is how long Until waits: long enough for a loaded CI machine,
// short enough that a hung test says so well before the test binary's own
// timeout.
const Timeout = 10 * time.Second

// Until polls cond until it holds, failing the test after Timeout.
func Until(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	Within(tb, Timeout, what, cond)
}

// Within polls cond until it holds, failing the test after d.
func Within(tb testing.TB, d time.Duration, what string, cond func() bool) {
	tb.Helper()
	Every(tb, 10*time.Millisecond, d, what, cond)
}

// Every is Within polling every poll: for a cond costly enough (one that
// reads a whole fleet's stores) that a brisker poll would load what it
// measures.
func Every(tb testing.TB, poll, d time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(d)
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %s waiting for %s", d, what)
		}
		<-tick.C
	}
}

// Receive waits up to Timeout for a value on ch (a goroutine's result, an
// event) and returns it, failing the test with what was awaited when none
// comes.
func Receive[T any](tb testing.TB, ch <-chan T, what string) T {
	tb.Helper()
	return ReceiveWithin(tb, Timeout, ch, what)
}

// ReceiveWithin waits up to d for a value on ch and returns it, failing the
// test when none comes.
func ReceiveWithin[T any](tb testing.TB, d time.Duration, ch <-chan T, what string) T {
	tb.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(d):
		tb.Fatalf("timed out after %s waiting for %s", d, what)
		panic("unreachable: Fatalf ends the test")
	}
}
