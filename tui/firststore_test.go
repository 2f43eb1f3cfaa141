package tui

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/tui/internal/tuitest"
)

// accessReads counts the reads that check an actor's account and
// memberships.
type accessReads struct {
	store.DB
	mu sync.Mutex
	n  map[string]int
}

func (c *accessReads) count(what string) {
	c.mu.Lock()
	c.n[what]++
	c.mu.Unlock()
}

func (c *accessReads) AccountGetByID(ctx context.Context, id int64) (store.Account, error) {
	c.count("AccountGetByID")
	return c.DB.AccountGetByID(ctx, id)
}

func (c *accessReads) StoreListForAccount(ctx context.Context, accountID int64) ([]store.MemberStore, error) {
	c.count("StoreListForAccount")
	return c.DB.StoreListForAccount(ctx, accountID)
}

func (c *accessReads) StoreListForActiveAccount(ctx context.Context, accountID int64) ([]store.MemberStore, error) {
	c.count("StoreListForActiveAccount")
	return c.DB.StoreListForActiveAccount(ctx, accountID)
}

func (c *accessReads) StoreGetForAccount(ctx context.Context, accountID, storeID int64) (store.MemberStore, error) {
	c.count("StoreGetForAccount")
	return c.DB.StoreGetForAccount(ctx, accountID, storeID)
}

// A session's first frame, the Inventory with rows and the store's name,
// waits for no more account and membership reads than it needs: the first
// store comes with its name and live subscription (no SubscribeStore
// reading the membership again), and the screen's own load. Under a burst
// each read is paid by every session, and on PostgreSQL waits in the
// pool's queue. Live updates still reach the session.
func TestFirstFrameAccessReads(t *testing.T) {
	env := tuitest.New(t, shop(), tuitest.Options{})
	reads := &accessReads{DB: env.DB, n: map[string]int{}}
	svc := app.New(app.Config{Store: reads, Jobs: env.Jobs, Hub: env.Hub, Now: func() time.Time { return tuitest.Epoch }})
	m := New(Options{Ctx: t.Context(), App: svc, Snapshots: app.NewSnapshots(svc), Actor: &env.Owner,
		Screen: "inventory", Now: func() time.Time { return tuitest.Epoch }}).(*Model)
	m.firstWait = time.Hour // the hold ends by readiness alone here
	l := newLoop(t, m, 120, 30)
	l.settle("the first frame", func() bool { return strings.TrimSpace(l.plain()) != "" })
	if f := l.plain(); !strings.Contains(f, "MUG-OAT") || !strings.Contains(f, "Olive's Pott") {
		t.Fatalf("the first frame lacks the rows or the store's name:\n%s", f)
	}
	reads.mu.Lock()
	total := 0
	for _, n := range reads.n {
		total += n
	}
	// Opening the store: the memberships of the account if active, in
	// one query. The inventory's load takes that check, made once the
	// session's subscription was receiving, instead of its own.
	if total > 1 || reads.n["StoreGetForAccount"] > 0 {
		t.Errorf("account and membership reads before the first frame: %v, want one, the active account's memberships", reads.n)
	}
	reads.mu.Unlock()

	// The subscription that came with the store delivers: another
	// session's edit shows here without a keypress.
	rows, err := env.App.Inventory(t.Context(), env.Owner, env.StoreID)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.SKU != "MUG-OAT" {
			continue
		}
		if _, err := env.App.SetStock(t.Context(), env.Owner, app.StockParams{StoreID: env.StoreID, Source: store.SourceCommand,
			Edits: []store.StockEditItem{{OfferingID: r.OfferingID, Version: r.Version, Quantity: 77}}}); err != nil {
			t.Fatal(err)
		}
	}
	l.settle("the edit, live", func() bool {
		for line := range strings.SplitSeq(l.plain(), "\n") {
			if strings.Contains(line, "MUG-OAT") && strings.Contains(line, "77") {
				return true
			}
		}
		return false
	})
}

// Home, where a session opens without a command, reads no account or
// membership beside the first store's one query: its figures and its rows
// (the shared snapshot) are computed under the first store's check, which
// the session's subscription keeps standing, rather than checks of their
// own.
func TestHomeFirstFrameAccessReads(t *testing.T) {
	env := tuitest.New(t, shop(), tuitest.Options{})
	reads := &accessReads{DB: env.DB, n: map[string]int{}}
	svc := app.New(app.Config{Store: reads, Jobs: env.Jobs, Hub: env.Hub, Now: func() time.Time { return tuitest.Epoch }})
	m := New(Options{Ctx: t.Context(), App: svc, Snapshots: app.NewSnapshots(svc), Actor: &env.Owner,
		Now: func() time.Time { return tuitest.Epoch }}).(*Model)
	m.firstWait = time.Hour
	l := newLoop(t, m, 120, 30)
	l.settle("the first frame", func() bool { return strings.TrimSpace(l.plain()) != "" })
	if f := l.plain(); !strings.Contains(f, "Runs out first") || !strings.Contains(f, "Olive's Pott") {
		t.Fatalf("the first frame is not Home with the store's name:\n%s", f)
	}
	reads.mu.Lock()
	defer reads.mu.Unlock()
	if len(reads.n) != 1 || reads.n["StoreListForActiveAccount"] != 1 {
		t.Errorf("account and membership reads before Home's first frame: %v, want the first store's list only", reads.n)
	}
}

// revokeAfterList is a store on which the memberships of one account are
// removed, by the store's owner, right after they were listed for it: the
// listing a session opens on is already out of date when it arrives.
type revokeAfterList struct {
	store.DB
	victim int64
	revoke func()
	once   sync.Once
}

func (r *revokeAfterList) StoreListForActiveAccount(ctx context.Context, accountID int64) ([]store.MemberStore, error) {
	ms, err := r.DB.StoreListForActiveAccount(ctx, accountID)
	if accountID == r.victim {
		r.once.Do(r.revoke)
	}
	return ms, err
}

// A member removed from the store just after the session read its
// memberships loses the store on the screen, though its first screen took
// that read as its access check rather than checking again: the removal
// reaches the session as an event, because the session listens before it
// reads.
func TestFirstStoreRevokedAfterTheRead(t *testing.T) {
	for _, screen := range []string{"inventory", ""} { // "": Home
		t.Run("screen="+screen, func(t *testing.T) { firstStoreRevokedAfterTheRead(t, screen) })
	}
}

func firstStoreRevokedAfterTheRead(t *testing.T, screen string) {
	env := tuitest.New(t, shop(), tuitest.Options{})
	vic := env.Member(t, "Vic Viewer", store.RoleViewer)
	db := &revokeAfterList{DB: env.DB, victim: vic.Account.ID, revoke: func() {
		if err := env.App.MemberRemove(context.Background(), env.Owner, env.StoreID, vic.Account.ID); err != nil {
			t.Error(err)
		}
	}}
	svc := app.New(app.Config{Store: db, Jobs: env.Jobs, Hub: env.Hub, Now: func() time.Time { return tuitest.Epoch }})
	m := New(Options{Ctx: t.Context(), App: svc, Snapshots: app.NewSnapshots(svc), Actor: &vic,
		Screen: screen, Now: func() time.Time { return tuitest.Epoch }}).(*Model)
	m.firstWait = time.Hour
	l := newLoop(t, m, 120, 30)
	l.settle("the store gone", func() bool {
		return l.root().storeID == 0 && strings.Contains(l.plain(), "no longer a member of Olive's Pottery")
	})
	l.quiet()
	if f := l.plain(); strings.Contains(f, "TOTE-L") || strings.Contains(f, "MUG-OAT") || strings.Contains(f, "Speckled") {
		t.Fatalf("the removed member still sees the store's listings:\n%s", f)
	}
	if l.root().storeID != 0 {
		t.Fatalf("the removed member is back on store %d", l.root().storeID)
	}
}
