package notify_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stockroom/stockroom/notify"
	"github.com/stockroom/stockroom/store"
)

// oneDelivery is a SenderStore holding one queued email delivery. Like
// the SQL stores, it writes nothing for a caller whose context is done.
// The other methods are not called (the embedded interface is nil).
type oneDelivery struct {
	notify.SenderStore
	mu     sync.Mutex
	failed []store.DeliveryMarkFailedParams
	sent   []store.DeliveryMarkSentParams
	// bounds are how long each record was given, from when it was asked.
	bounds []time.Duration
}

func (s *oneDelivery) DeliveryGet(ctx context.Context, id int64) (store.DeliveryJob, error) {
	if err := ctx.Err(); err != nil {
		return store.DeliveryJob{}, err
	}
	return store.DeliveryJob{
		Delivery: store.Delivery{ID: id, AlertID: 1, AccountID: 1, Channel: store.ChannelEmail, Status: store.DeliveryQueued},
		Alert:    store.AlertView{StoreName: "Clay & Co", Title: "Oat mug", SKU: "MUG-1"},
		Email:    "ada@example.com",
	}, nil
}

func (s *oneDelivery) record(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if dl, ok := ctx.Deadline(); ok {
		s.bounds = append(s.bounds, time.Until(dl))
	} else {
		s.bounds = append(s.bounds, -1)
	}
	return nil
}

func (s *oneDelivery) DeliveryMarkFailed(ctx context.Context, p *store.DeliveryMarkFailedParams) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.record(ctx); err != nil {
		return err
	}
	s.failed = append(s.failed, *p)
	return nil
}

func (s *oneDelivery) DeliveryMarkSent(ctx context.Context, p *store.DeliveryMarkSentParams) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.record(ctx); err != nil {
		return 0, err
	}
	s.sent = append(s.sent, *p)
	return len(p.IDs), nil
}

// slowMailer answers when the job's time is up: with the context's error,
// or, accepted, with none (a server that took the message just then).
type slowMailer struct{ accepts bool }

func (m slowMailer) Send(ctx context.Context, _ notify.Email) error {
	<-ctx.Done()
	if m.accepts {
		return nil
	}
	return ctx.Err()
}

// A delivery whose attempt ran out of time, or was cancelled, is recorded
// as failed all the same (for good on the last attempt), although the
// job's context is over by then: the record is what the Alerts screen and
// the retries go by. The record has a few seconds of its own, not forever.
func TestExpiredAttemptIsRecorded(t *testing.T) {
	for _, tc := range []struct {
		name string
		last bool
		end  func(context.Context) (context.Context, context.CancelFunc)
	}{
		{"timed out", false, func(ctx context.Context) (context.Context, context.CancelFunc) {
			return context.WithTimeout(ctx, 2*time.Minute)
		}},
		{"timed out, last attempt", true, func(ctx context.Context) (context.Context, context.CancelFunc) {
			return context.WithTimeout(ctx, 2*time.Minute)
		}},
		{"cancelled", false, func(ctx context.Context) (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(ctx)
			time.AfterFunc(time.Second, cancel)
			return ctx, cancel
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The two minutes pass in the bubble's own time.
			synctest.Test(t, func(t *testing.T) {
				db := &oneDelivery{}
				s := notify.NewSender(notify.SenderConfig{Store: db, Email: slowMailer{}})
				ctx, cancel := tc.end(t.Context())
				defer cancel()
				err := s.Deliver(ctx, 7, tc.last)
				if err == nil || !errors.Is(err, ctx.Err()) {
					t.Errorf("Deliver: %v; want the context's error, %v", err, ctx.Err())
				}
				if len(db.failed) != 1 {
					t.Fatalf("failures recorded: %d; want 1", len(db.failed))
				}
				f := db.failed[0]
				if len(f.IDs) != 1 || f.IDs[0] != 7 || f.Final != tc.last || !strings.Contains(f.Error, "context") {
					t.Errorf("recorded %+v; want delivery 7, final %v, the context's error", f, tc.last)
				}
				if b := db.bounds[0]; b <= 0 || b > 10*time.Second {
					t.Errorf("the record had %v to be written; want a few seconds", b)
				}
			})
		})
	}
}

// A message the server accepted as the attempt's time ran out is recorded
// as sent, not left queued.
func TestSentAsTimeRunsOutIsRecorded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db := &oneDelivery{}
		s := notify.NewSender(notify.SenderConfig{Store: db, Email: slowMailer{accepts: true}})
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
		defer cancel()
		if err := s.Deliver(ctx, 7, false); err != nil {
			t.Errorf("Deliver: %v", err)
		}
		if len(db.sent) != 1 || len(db.sent[0].IDs) != 1 || db.sent[0].IDs[0] != 7 {
			t.Fatalf("sent records: %+v; want delivery 7", db.sent)
		}
		if b := db.bounds[0]; b <= 0 || b > 10*time.Second {
			t.Errorf("the record had %v to be written; want a few seconds", b)
		}
	})
}
