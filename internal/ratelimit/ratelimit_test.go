package ratelimit

import (
	"fmt"
	"testing"
	"time"
)

func TestWindowPerKey(t *testing.T) {
	now := time.Unix(1000, 0)
	l := New(3, time.Minute, func() time.Time { return now })
	for i := range 3 {
		if !l.Allow("a") {
			t.Fatalf("event %d refused within the limit", i+1)
		}
	}
	if l.Allow("a") {
		t.Fatal("fourth event in a window allowed")
	}
	if !l.Allow("b") {
		t.Fatal("another key shares the first key's limit")
	}
	now = now.Add(time.Minute)
	if !l.Allow("a") {
		t.Fatal("refused in the next window")
	}
}

func TestOldKeysDropped(t *testing.T) {
	now := time.Unix(1000, 0)
	l := New(1, time.Minute, func() time.Time { return now })
	for i := range 100 {
		l.Allow(fmt.Sprint(i))
	}
	now = now.Add(2 * time.Minute)
	l.Allow("fresh")
	if len(l.seen) != 1 {
		t.Fatalf("%d keys kept after their windows ended, want 1", len(l.seen))
	}
}
