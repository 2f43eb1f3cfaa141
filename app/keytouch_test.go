package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/internal/testwait"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/store/storetest"
)

// slowTouch is a store whose KeyTouch waits until the test lets it go.
type slowTouch struct {
	store.DB
	touching chan string
	release  chan struct{}
	touched  chan error
}

func (s *slowTouch) KeyTouch(ctx context.Context, fp string, at time.Time) error {
	s.touching <- fp
	<-s.release
	err := s.DB.KeyTouch(ctx, fp, at)
	s.touched <- err
	return err
}

// A login does not wait for its key's last-use write (under a burst it
// would queue for SQLite's write lock before the first frame), and the
// time is still recorded.
func TestIdentifyDoesNotWaitForTheKeyTouch(t *testing.T) {
	db := storetest.OpenSQLite(t)
	slow := &slowTouch{DB: db, touching: make(chan string, 1), release: make(chan struct{}), touched: make(chan error, 1)}
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	svc := app.New(app.Config{Store: slow, SignupOpen: true, Now: func() time.Time { return now }})
	ada, err := svc.SignUp(t.Context(), app.SignUpParams{Name: "Ada", PublicKey: edKey(t)})
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Hour)
	done := make(chan error, 1)
	go func() { _, err := svc.Identify(t.Context(), ada.Fingerprint); done <- err }()
	if err := testwait.Receive(t, done, "Identify, which must not wait for the key's last-use write"); err != nil {
		t.Fatal(err)
	}
	if fp := <-slow.touching; fp != ada.Fingerprint {
		t.Fatalf("touched %s, want %s", fp, ada.Fingerprint)
	}
	close(slow.release)
	if err := <-slow.touched; err != nil {
		t.Fatal(err)
	}
	keys, err := svc.Keys(t.Context(), ada)
	if err != nil {
		t.Fatal(err)
	}
	if !keys[0].LastUsedAt.Equal(now) {
		t.Fatalf("last used %s, want %s", keys[0].LastUsedAt, now)
	}
}
