package testwait

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestWithinReturnsOnceTheConditionHolds(t *testing.T) {
	var n atomic.Int32
	Within(t, time.Second, "three polls", func() bool { return n.Add(1) >= 3 })
	if n.Load() != 3 {
		t.Fatalf("polled %d times after the condition held", n.Load())
	}
}

// recorder captures a failure instead of ending the test.
type recorder struct {
	testing.TB
	msg string
}

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(format string, args ...any) {
	r.msg = format
	panic(r)
}

func TestWithinFailsNamingWhatItAwaited(t *testing.T) {
	r := &recorder{TB: t}
	func() {
		defer func() {
			if p := recover(); p != r {
				t.Fatalf("recover = %v", p)
			}
		}()
		Within(r, 30*time.Millisecond, "never", func() bool { return false })
	}()
	if !strings.Contains(r.msg, "waiting for") {
		t.Fatalf("failure message %q", r.msg)
	}
}

func TestReceiveWithinReturnsTheValueOrFailsNamingIt(t *testing.T) {
	ch := make(chan int, 1)
	ch <- 7
	if v := ReceiveWithin(t, time.Second, ch, "seven"); v != 7 {
		t.Fatalf("received %d, want 7", v)
	}
	r := &recorder{TB: t}
	func() {
		defer func() {
			if p := recover(); p != r {
				t.Fatalf("recover = %v", p)
			}
		}()
		ReceiveWithin(r, 30*time.Millisecond, ch, "nothing")
	}()
	if !strings.Contains(r.msg, "waiting for") {
		t.Fatalf("failure message %q", r.msg)
	}
}
