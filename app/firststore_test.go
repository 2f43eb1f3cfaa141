package app_test

import (
	"context"
	"errors"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/store/storetest"
)

// accessReads counts the reads of an account and of its memberships. A
// check reads the account and the membership side by side: the counts
// are taken under a lock.
type accessReads struct {
	store.DB
	mu sync.Mutex
	n  map[string]int
}

func (s *accessReads) count(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n[name]++
}

// counts returns a copy of the counts so far.
func (s *accessReads) counts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.n)
}

func (s *accessReads) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.n)
}

func (s *accessReads) AccountGetByID(ctx context.Context, id int64) (store.Account, error) {
	s.count("AccountGetByID")
	return s.DB.AccountGetByID(ctx, id)
}

func (s *accessReads) StoreListForAccount(ctx context.Context, accountID int64) ([]store.MemberStore, error) {
	s.count("StoreListForAccount")
	return s.DB.StoreListForAccount(ctx, accountID)
}

func (s *accessReads) StoreListForActiveAccount(ctx context.Context, accountID int64) ([]store.MemberStore, error) {
	s.count("StoreListForActiveAccount")
	return s.DB.StoreListForActiveAccount(ctx, accountID)
}

func (s *accessReads) StoreGetForAccount(ctx context.Context, accountID, storeID int64) (store.MemberStore, error) {
	s.count("StoreGetForAccount")
	return s.DB.StoreGetForAccount(ctx, accountID, storeID)
}

// The store a session opens on is StoreIDs' first, with the name and the
// live events SubscribeStore gives, read in one query: the memberships of
// the account if it is active, and no membership read again to subscribe.
// Only an account without a store listed is read, to tell a disabled one
// from one with no store.
func TestOpenFirstStore(t *testing.T) {
	ctx := t.Context()
	db := storetest.OpenSQLite(t)
	h := hub.New()
	svc := app.New(app.Config{Store: db, Hub: h})
	acct, err := db.AccountCreate(ctx, &store.AccountCreateParams{Name: "ada", Fingerprint: "SHA256:ada", PublicKey: "ssh-ed25519 AAAAada"})
	if err != nil {
		t.Fatal(err)
	}
	ada := app.Actor{Account: acct, Fingerprint: "SHA256:ada"}
	for i, name := range []string{"Clay & Co", "Glaze Lab"} {
		if _, err := db.StoreConnect(ctx, &store.StoreConnectParams{AccountID: acct.ID, EtsyShopID: int64(7 + i), Name: name,
			Currency: "EUR", TokenExpiresAt: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	ids, err := svc.StoreIDs(ctx, ada)
	if err != nil || len(ids) != 2 {
		t.Fatalf("StoreIDs: %v %v", ids, err)
	}

	spy := &accessReads{DB: db, n: map[string]int{}}
	st, sub, err := app.New(app.Config{Store: spy, Hub: h}).OpenFirstStore(ctx, ada)
	if err != nil {
		t.Fatal(err)
	}
	want, err := svc.Store(ctx, ada, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if st.ID != ids[0] || st.Name != want.Name || st.Role != want.Role {
		t.Errorf("opened store %d %q %s, want StoreIDs' first, %d %q %s", st.ID, st.Name, st.Role, want.ID, want.Name, want.Role)
	}
	if len(spy.counts()) != 1 || spy.counts()["StoreListForActiveAccount"] != 1 {
		t.Errorf("reads of the account and its memberships: %v, want the active account's memberships once", spy.counts())
	}
	// The events of SubscribeStore: the store's and the account's own,
	// not another store's.
	h.Publish(hub.Event{Kind: hub.StockChanged, StoreID: ids[1]})
	h.Publish(hub.Event{Kind: hub.StockChanged, StoreID: ids[0]})
	h.Publish(hub.Event{Kind: hub.AccountChanged, AccountID: acct.ID})
	for _, w := range []hub.Event{{Kind: hub.StockChanged, StoreID: ids[0]}, {Kind: hub.AccountChanged, AccountID: acct.ID}} {
		select {
		case got := <-sub.C:
			if got.Kind != w.Kind || got.StoreID != w.StoreID || got.AccountID != w.AccountID {
				t.Errorf("heard %+v, want %+v", got, w)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("did not hear %+v", w)
		}
	}

	// An account disabled after the session's actor was read opens
	// nothing, as StoreIDs refuses it.
	if err := db.AccountSetDisabled(ctx, acct.ID, true); err != nil {
		t.Fatal(err)
	}
	if st, sub, err := svc.OpenFirstStore(ctx, ada); !errors.Is(err, app.ErrDisabled) || st.ID != 0 || sub != nil {
		t.Errorf("disabled account: store %d, subscription %v, err %v; want ErrDisabled and nothing", st.ID, sub != nil, err)
	}
	if err := db.AccountSetDisabled(ctx, acct.ID, false); err != nil {
		t.Fatal(err)
	}

	// An account without a store opens none, without an error.
	bo, err := db.AccountCreate(ctx, &store.AccountCreateParams{Name: "bo", Fingerprint: "SHA256:bo", PublicKey: "ssh-ed25519 AAAAbo"})
	if err != nil {
		t.Fatal(err)
	}
	if st, sub, err := svc.OpenFirstStore(ctx, app.Actor{Account: bo, Fingerprint: "SHA256:bo"}); err != nil || st.ID != 0 || sub != nil {
		t.Errorf("no store: store %d, subscription %v, err %v", st.ID, sub != nil, err)
	}
}

// publishDuringList publishes an event while the memberships are read.
type publishDuringList struct {
	store.DB
	publish func()
}

func (p *publishDuringList) StoreListForActiveAccount(ctx context.Context, accountID int64) ([]store.MemberStore, error) {
	p.publish()
	return p.DB.StoreListForActiveAccount(ctx, accountID)
}

// The session's subscription is in place before its access is read: a
// membership change while the memberships are being read is heard, so the
// read stands as the first screen's check for as long as the subscription
// is open.
func TestOpenFirstStoreListensBeforeItReads(t *testing.T) {
	ctx := t.Context()
	db := storetest.OpenSQLite(t)
	h := hub.New()
	acct, err := db.AccountCreate(ctx, &store.AccountCreateParams{Name: "ada", Fingerprint: "SHA256:ada", PublicKey: "ssh-ed25519 AAAAada"})
	if err != nil {
		t.Fatal(err)
	}
	st, err := db.StoreConnect(ctx, &store.StoreConnectParams{AccountID: acct.ID, EtsyShopID: 7, Name: "Clay & Co",
		Currency: "EUR", TokenExpiresAt: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	removed := hub.Event{Kind: hub.MembersChanged, StoreID: st.ID, AccountID: acct.ID}
	spy := &publishDuringList{DB: db, publish: func() { h.Publish(removed) }}
	svc := app.New(app.Config{Store: spy, Hub: h})
	ms, sub, err := app.NewSnapshots(svc).OpenFirstStore(ctx, app.Actor{Account: acct, Fingerprint: "SHA256:ada"})
	if err != nil || ms.ID != st.ID || sub == nil {
		t.Fatalf("OpenFirstStore: store %d, subscription %v, err %v", ms.ID, sub != nil, err)
	}
	select {
	case got := <-sub.C:
		if got.Kind != removed.Kind || got.AccountID != acct.ID {
			t.Errorf("heard %+v, want %+v", got, removed)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the membership change made during the read was not heard")
	}
}

// The check a session's first store leaves for its first screen waits for
// it even while sessions of other stores come and go: the screen opens
// without reading the account or the membership again, though its store
// had no snapshot yet that kept the check's place.
func TestFirstStoreCheckWaitsForItsScreen(t *testing.T) {
	ctx := t.Context()
	db := storetest.OpenSQLite(t)
	h := hub.New()
	var actors []app.Actor
	var shops []int64
	for i, name := range []string{"ada", "bo"} {
		acct, err := db.AccountCreate(ctx, &store.AccountCreateParams{Name: name, Fingerprint: "SHA256:" + name, PublicKey: "ssh-ed25519 AAAA" + name})
		if err != nil {
			t.Fatal(err)
		}
		st, err := db.StoreConnect(ctx, &store.StoreConnectParams{AccountID: acct.ID, EtsyShopID: int64(7 + i), Name: name + "'s",
			Currency: "EUR", TokenExpiresAt: time.Now().Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		actors, shops = append(actors, app.Actor{Account: acct, Fingerprint: "SHA256:" + name}), append(shops, st.ID)
	}
	spy := &accessReads{DB: db, n: map[string]int{}}
	snaps := app.NewSnapshots(app.New(app.Config{Store: spy, Hub: h}))
	ms, sub, err := snaps.OpenFirstStore(ctx, actors[0])
	if err != nil || ms.ID != shops[0] {
		t.Fatalf("OpenFirstStore: store %d, err %v", ms.ID, err)
	}
	defer sub.Close()
	// Another store's session opens meanwhile.
	if _, err := snaps.Get(ctx, actors[1], shops[1]); err != nil {
		t.Fatal(err)
	}
	spy.reset()
	if _, got, err := snaps.OpenSince(ctx, actors[0], shops[0], sub.Since()); err != nil || got.ID != shops[0] || got.Role != store.RoleOwner {
		t.Fatalf("OpenSince: store %d role %q, err %v", got.ID, got.Role, err)
	}
	if len(spy.counts()) != 0 {
		t.Errorf("the first screen checked access again: %v", spy.counts())
	}
	// A check not made after the subscription is not taken.
	spy.reset()
	if _, _, err := snaps.OpenSince(ctx, actors[0], shops[0], time.Now()); err != nil {
		t.Fatal(err)
	}
	if spy.counts()["StoreGetForAccount"] != 1 {
		t.Errorf("a check older than the subscription was taken: reads %v", spy.counts())
	}
}
