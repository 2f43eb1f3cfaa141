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

// slowTouch is a store whose key-use writes each wait until the test lets
// them go; every write's keys are sent on touching.
type slowTouch struct {
	store.DB
	touching chan []string
	release  chan struct{}
	touched  chan error
}

func (s *slowTouch) KeyTouchMany(ctx context.Context, uses []store.KeyUse) error {
	fps := make([]string, len(uses))
	for i, u := range uses {
		fps[i] = u.Fingerprint
	}
	s.touching <- fps
	<-s.release
	err := s.DB.KeyTouchMany(ctx, uses)
	s.touched <- err
	return err
}

func (s *slowTouch) KeyTouch(ctx context.Context, fp string, at time.Time) error {
	return s.KeyTouchMany(ctx, []store.KeyUse{{Fingerprint: fp, At: at}})
}

// A login does not wait for its key's last-use write (under a burst it
// would queue for SQLite's write lock before the first frame), and the
// time is still recorded.
func TestIdentifyDoesNotWaitForTheKeyTouch(t *testing.T) {
	db := storetest.OpenSQLite(t)
	slow := &slowTouch{DB: db, touching: make(chan []string, 1), release: make(chan struct{}), touched: make(chan error, 1)}
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
	if fps := <-slow.touching; len(fps) != 1 || fps[0] != ada.Fingerprint {
		t.Fatalf("touched %v, want %s", fps, ada.Fingerprint)
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

// The logins that come while a key-use write is under way are written
// together, in one write, once it is done: a burst of 50 staff logging in
// makes a few writes (on PostgreSQL, commits) rather than 50.
func TestKeyTouchesOfABurstAreWrittenTogether(t *testing.T) {
	db := storetest.OpenSQLite(t)
	slow := &slowTouch{DB: db, touching: make(chan []string, 8), release: make(chan struct{}), touched: make(chan error, 8)}
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	svc := app.New(app.Config{Store: db, SignupOpen: true, Now: func() time.Time { return now }})
	var staff []app.Actor
	for _, name := range []string{"Ada", "Bo", "Cy", "Di", "Ed"} {
		a, err := svc.SignUp(t.Context(), app.SignUpParams{Name: name, PublicKey: edKey(t)})
		if err != nil {
			t.Fatal(err)
		}
		staff = append(staff, a)
	}
	svc = app.New(app.Config{Store: slow, Now: func() time.Time { return now }})
	now = now.Add(time.Hour)
	if _, err := svc.Identify(t.Context(), staff[0].Fingerprint); err != nil {
		t.Fatal(err)
	}
	first := testwait.Receive(t, slow.touching, "the first login's write")
	for _, a := range staff[1:] {
		if _, err := svc.Identify(t.Context(), a.Fingerprint); err != nil {
			t.Fatal(err)
		}
	}
	close(slow.release)
	rest := testwait.Receive(t, slow.touching, "the write of the logins that came meanwhile")
	if len(first) != 1 || len(rest) != len(staff)-1 {
		t.Fatalf("writes of %d and %d keys, want 1 and %d", len(first), len(rest), len(staff)-1)
	}
	for range 2 {
		if err := testwait.Receive(t, slow.touched, "a write's end"); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case more := <-slow.touching:
		t.Fatalf("a third write, of %v", more)
	case <-time.After(50 * time.Millisecond):
	}
	for _, a := range staff {
		keys, err := svc.Keys(t.Context(), a)
		if err != nil {
			t.Fatal(err)
		}
		if !keys[0].LastUsedAt.Equal(now) {
			t.Errorf("%s: last used %s, want %s", a.Account.Name, keys[0].LastUsedAt, now)
		}
	}
}
