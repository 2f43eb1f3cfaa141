package ctxsleep_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stockroom/stockroom/internal/ctxsleep"
)

func TestForEndsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := ctxsleep.For(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled wait of an hour returned %v, want context.Canceled", err)
	}
	if err := ctxsleep.Until(context.Background(), time.Now().Add(-time.Second)); err != nil {
		t.Fatalf("a wait for a time past returned %v", err)
	}
	if err := ctxsleep.For(context.Background(), time.Millisecond); err != nil {
		t.Fatalf("a short wait returned %v", err)
	}
}
