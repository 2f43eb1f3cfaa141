package app_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/store/storetest"
)

// The sessions of one account that receive one event (same seen) share
// one access check and one read of the rows it names, however many they
// are; a check made before the event answers for none of them.
func TestRefreshOfOneEventReadsOnceForEverySession(t *testing.T) {
	s := newAlertShop(t)
	s.sync(t, listings(5, 3))
	db := &storetest.Reads{DB: s.db}
	svc := app.New(app.Config{Store: db})
	snaps := app.NewSnapshots(svc)
	ctx := t.Context()
	first, err := snaps.Get(ctx, s.owner, s.shop.ID)
	if err != nil {
		t.Fatal(err)
	}
	id := first.Row(0).OfferingID
	s.sync(t, listings(5, 9)) // Etsy's count changed, as a sync reports it
	seen := time.Now()        // the event's time: after the change committed
	// The sessions hold the snapshot they show (first, kept alive below):
	// a collection now must not cost a second read.
	runtime.GC()
	access, rows := db.Access.Load(), db.Rows.Load()
	const sessions = 50
	var wg sync.WaitGroup
	got := make([]*app.Snapshot, sessions)
	errs := make([]error, sessions)
	for i := range sessions {
		wg.Go(func() { got[i], errs[i] = snaps.Refresh(ctx, s.owner, s.shop.ID, []int64{id}, seen) })
	}
	wg.Wait()
	runtime.KeepAlive(first)
	for i := range sessions {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		pos, _ := got[i].Index(id)
		if q := got[i].Row(pos).Shown(); q != 9 {
			t.Fatalf("session %d shows %d, want the new 9", i, q)
		}
	}
	if n := db.Access.Load() - access; n != 2 { // the account, then its membership
		t.Errorf("%d sessions made %d access reads for one event, want one check (2 reads)", sessions, n)
	}
	if n := db.Rows.Load() - rows; n != 1 {
		t.Errorf("%d sessions read the event's rows %d times, want once", sessions, n)
	}
}

// A shared access check never outlives a change of access: once a member
// is removed, the next event's refresh (seen after the removal) is refused.
func TestRefreshChecksAccessAgainAfterAnEvent(t *testing.T) {
	s := newAlertShop(t)
	s.sync(t, listings(2, 3))
	ctx := t.Context()
	bo, err := s.db.AccountCreate(ctx, &store.AccountCreateParams{Name: "bo", Email: "bo@example.com", Fingerprint: "SHA256:bo", PublicKey: "ssh-ed25519 AAAAbo"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.db.MembershipAdd(ctx, &store.MembershipAddParams{StoreID: s.shop.ID, AccountID: bo.ID, Role: store.RoleManager}); err != nil {
		t.Fatal(err)
	}
	actor := app.Actor{Account: bo, Fingerprint: "SHA256:bo"}
	snaps := app.NewSnapshots(s.svc)
	snap, err := snaps.Get(ctx, actor, s.shop.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.db.MembershipRemove(ctx, &store.MembershipRemoveParams{StoreID: s.shop.ID, AccountID: bo.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := snaps.Refresh(ctx, actor, s.shop.ID, []int64{snap.Row(0).OfferingID}, time.Now()); err == nil {
		t.Fatal("a removed member's session refreshed the store")
	}
}

// Memo computes once per snapshot and key however many sessions ask at
// once, and a new snapshot (an event's refresh) computes it again.
func TestSnapshotMemoOncePerSnapshotAndKey(t *testing.T) {
	s := newAlertShop(t)
	s.sync(t, listings(5, 3))
	snaps := app.NewSnapshots(s.svc)
	ctx := t.Context()
	first, err := snaps.Get(ctx, s.owner, s.shop.ID)
	if err != nil {
		t.Fatal(err)
	}
	var computed sync.Map // key → number of computations
	memo := func(snap *app.Snapshot, key string) any {
		return snap.Memo(key, func(snap *app.Snapshot) any {
			n, _ := computed.LoadOrStore(key, new(atomic.Int32))
			n.(*atomic.Int32).Add(1)
			time.Sleep(time.Millisecond) // let the other callers arrive meanwhile
			return snap.Row(0).Shown()
		})
	}
	count := func(key string) int32 {
		n, ok := computed.Load(key)
		if !ok {
			return 0
		}
		return n.(*atomic.Int32).Load()
	}
	const sessions = 50
	var wg sync.WaitGroup
	for range sessions {
		wg.Go(func() { memo(first, "a") })
		wg.Go(func() { memo(first, "b") })
	}
	wg.Wait()
	if a, b := count("a"), count("b"); a != 1 || b != 1 {
		t.Fatalf("%d sessions computed key a %d times and key b %d times, want once each", sessions, a, b)
	}
	id := first.Row(0).OfferingID
	s.sync(t, listings(5, 9))
	next, err := snaps.Refresh(ctx, s.owner, s.shop.ID, []int64{id}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if next == first {
		t.Fatal("the refresh kept the old snapshot")
	}
	if got := memo(next, "a"); got != 9 || count("a") != 2 {
		t.Fatalf("the new snapshot's memo is %v after %d computations, want 9 computed anew", got, count("a"))
	}
	if got := memo(first, "a"); got != 3 || count("a") != 2 {
		t.Fatalf("the old snapshot's memo is %v after %d computations, want its own 3", got, count("a"))
	}
}

// together is a store whose account and membership reads each wait for
// the other to start: made one after the other, the first never returns
// on its own.
type together struct {
	store.DB
	account, membership chan struct{}
}

func (d *together) meet(mine, other chan struct{}) error {
	close(mine)
	select {
	case <-other:
		return nil
	case <-time.After(5 * time.Second):
		return errors.New("read made alone: the other waited for it")
	}
}

func (d *together) AccountGetByID(ctx context.Context, id int64) (store.Account, error) {
	if err := d.meet(d.account, d.membership); err != nil {
		return store.Account{}, err
	}
	return d.DB.AccountGetByID(ctx, id)
}

func (d *together) StoreGetForAccount(ctx context.Context, accountID, storeID int64) (store.MemberStore, error) {
	if err := d.meet(d.membership, d.account); err != nil {
		return store.MemberStore{}, err
	}
	return d.DB.StoreGetForAccount(ctx, accountID, storeID)
}

// A session opening a store reads the account and its membership at the
// same time (one round trip to the database on the way to its first
// frame), and still answers with the membership.
func TestOpenReadsAccountAndMembershipAtOnce(t *testing.T) {
	s := newAlertShop(t)
	s.sync(t, listings(2, 3))
	db := &together{DB: s.db, account: make(chan struct{}), membership: make(chan struct{})}
	snaps := app.NewSnapshots(app.New(app.Config{Store: db}))
	snap, ms, err := snaps.Open(t.Context(), s.owner, s.shop.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ms.ID != s.shop.ID || ms.Role != store.RoleOwner || snap.Len() != 2 {
		t.Fatalf("Open gave store %d role %q and %d rows, want store %d as owner with 2", ms.ID, ms.Role, snap.Len(), s.shop.ID)
	}
}
