package admin

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/etsy"
	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/store/storetest"
	"github.com/stockroom/stockroom/tui/internal/tuitest"
)

var now = tuitest.Noon

type budgets map[string]etsy.Budget

func (b budgets) Budget(key string) etsy.Budget { return b[key] }

type fixture struct {
	db          store.DB
	svc         *app.Service
	jobs        *tuitest.Jobs
	admin, bob  store.Account
	shop, other store.Store
}

func setup(t *testing.T) *fixture {
	t.Helper()
	ctx := t.Context()
	db := storetest.OpenSQLite(t)
	f := &fixture{db: db, jobs: &tuitest.Jobs{}}
	account := func(name string, admin bool) store.Account {
		a, err := db.AccountCreate(ctx, &store.AccountCreateParams{Name: name, Email: strings.ToLower(name) + "@example.com",
			IsAdmin: admin, Fingerprint: "SHA256:" + name, PublicKey: "ssh-ed25519 AAAA" + name, Now: now.Add(-30 * 24 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	f.admin = account("Root", true)
	f.bob = account("Bob\x1b[2J", false)
	var err error
	if f.shop, err = db.StoreConnect(ctx, &store.StoreConnectParams{AccountID: f.bob.ID, EtsyShopID: 5, Name: "Bob's Mugs",
		Currency: "USD", Now: now}); err != nil {
		t.Fatal(err)
	}
	if f.other, err = db.StoreConnect(ctx, &store.StoreConnectParams{AccountID: f.admin.ID, EtsyShopID: 6, Name: "Quiet Shop",
		Currency: "USD", Now: now}); err != nil {
		t.Fatal(err)
	}
	run, err := db.SyncRunStart(ctx, &store.SyncRunStartParams{StoreID: f.shop.ID, Kind: store.SyncFull, Trigger: store.TriggerSchedule,
		Now: now.Add(-2 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SyncRunFinish(ctx, &store.SyncRunFinishParams{ID: run.ID, Result: store.ResultFailed, APICalls: 2,
		Error: "invalid_grant\x1b]52;c;Zm9v\x07 token revoked", Now: now.Add(-2*time.Hour + time.Second)}); err != nil {
		t.Fatal(err)
	}
	f.svc = app.New(app.Config{Store: db, Jobs: f.jobs, Now: func() time.Time { return now },
		AdminFingerprints: map[string]bool{"SHA256:Root": true}, Budgets: budgets{
			etsy.StoreKey(f.shop.ID): {PerSecond: 5, PerDay: 10000, RemainingToday: 9120, Known: true},
		}})
	return f
}

func (f *fixture) page(t *testing.T, a store.Account) *Model {
	t.Helper()
	c := tuitest.Session(f.svc, app.Actor{Account: a, Fingerprint: "SHA256:" + a.Name}, now, 160, 30)
	return tuitest.Open(t, New(c), 160, 30, (*Model).Init)
}

func TestNonAdminIsRefused(t *testing.T) {
	f := setup(t)
	m := f.page(t, f.bob)
	if !errors.Is(m.Err(), app.ErrNotAdmin) {
		t.Fatalf("err = %v, want ErrNotAdmin", m.Err())
	}
	view := tuitest.Plain(m)
	if !strings.Contains(view, app.ErrNotAdmin.Error()) || strings.Contains(view, "Quiet Shop") {
		t.Fatalf("non-admin view:\n%s", view)
	}
	tuitest.Press(t, m, "right", "y")
	if len(f.jobs.SyncCalls()) != 0 {
		t.Fatal("a non-admin queued a sync")
	}
}

func TestOverviewShowsAccountsAndStoreHealth(t *testing.T) {
	f := setup(t)
	m := f.page(t, f.admin)
	if len(m.Overview().Accounts) != 2 || len(m.Overview().Stores) != 2 {
		t.Fatalf("overview: %+v", m.Overview())
	}
	v := m.View()
	plain := tuitest.Plain(m)
	for _, want := range []string{"Accounts (2)", "Root", "admin", "Bob", "seller", "active", "Stores (2)", "Bob's Mugs",
		"connected", "failed 2h ago", "9120/10000 left", "invalid_grant token revoked", "Quiet Shop", "never", "unknown"} {
		if !strings.Contains(plain, want) {
			t.Errorf("view lacks %q:\n%s", want, plain)
		}
	}
	if strings.Contains(v, "\x1b[2J") || strings.Contains(v, "\x1b]52") {
		t.Error("an account name or Etsy error reached the terminal unsanitised")
	}
}

func TestDisableAndEnableAnAccountWithConfirm(t *testing.T) {
	f := setup(t)
	m := f.page(t, f.admin)
	// Bob is the second account.
	tuitest.Press(t, m, "j", "space")
	if !m.Confirming() || !strings.Contains(tuitest.Plain(m), "Disable account") {
		t.Fatalf("no confirmation:\n%s", tuitest.Plain(m))
	}
	tuitest.Press(t, m, "esc")
	if acct, _ := f.db.AccountGetByID(t.Context(), f.bob.ID); acct.Disabled {
		t.Fatal("esc disabled the account")
	}
	tuitest.Press(t, m, "space", "enter")
	if acct, _ := f.db.AccountGetByID(t.Context(), f.bob.ID); !acct.Disabled {
		t.Fatalf("account not disabled (status %q)", m.Status())
	}
	if !strings.Contains(tuitest.Plain(m), "disabled") {
		t.Fatal("the list does not show the account disabled")
	}
	tuitest.Press(t, m, "space")
	if !strings.Contains(tuitest.Plain(m), "Enable account") {
		t.Fatal("a disabled account is not offered to be enabled")
	}
	tuitest.Press(t, m, "enter")
	if acct, _ := f.db.AccountGetByID(t.Context(), f.bob.ID); acct.Disabled {
		t.Fatal("account not enabled again")
	}
	// Admins cannot lock themselves out.
	tuitest.Press(t, m, "g", "space", "enter")
	if acct, _ := f.db.AccountGetByID(t.Context(), f.admin.ID); acct.Disabled {
		t.Fatal("the admin disabled their own account")
	}
	// Issue 17: an admin was told "only admins can do that".
	if !strings.Contains(m.Status(), "cannot disable your own account") || strings.Contains(m.Status(), "only admins") {
		t.Fatalf("status %q", m.Status())
	}
}

func TestSyncAnyStore(t *testing.T) {
	f := setup(t)
	m := f.page(t, f.admin)
	tuitest.Press(t, m, "y")
	if len(f.jobs.SyncCalls()) != 0 {
		t.Fatal("y on the accounts list queued a sync")
	}
	tuitest.Press(t, m, "right")
	var target int64
	for i, s := range m.Overview().Stores {
		if s.Store.Name == "Bob's Mugs" {
			for range i {
				tuitest.Press(t, m, "j")
			}
			target = s.Store.ID
		}
	}
	// The store under the cursor shows its members, names sanitised.
	if v := tuitest.Plain(m); !strings.Contains(v, "Members of Bob's Mugs: Bob (owner, account") || strings.Contains(m.View(), "\x1b[2J") {
		t.Fatalf("members line:\n%s", v)
	}
	tuitest.Press(t, m, "y")
	if len(f.jobs.SyncCalls()) != 1 || f.jobs.SyncCalls()[0] != target {
		t.Fatalf("synced %v, want [%d]", f.jobs.SyncCalls(), target)
	}
	if !strings.Contains(m.Status(), "Sync of Bob's Mugs queued") {
		t.Fatalf("status %q", m.Status())
	}
}

func TestReloadsOnLiveChanges(t *testing.T) {
	f := setup(t)
	m := f.page(t, f.admin)
	if err := f.db.AccountSetDisabled(t.Context(), f.bob.ID, true); err != nil {
		t.Fatal(err)
	}
	cmd := tuitest.Live(m, hub.Event{Kind: hub.AccountChanged, AccountID: f.bob.ID})
	tuitest.Settle(t, m, cmd)
	for _, a := range m.Overview().Accounts {
		if a.ID == f.bob.ID && !a.Disabled {
			t.Fatal("the overview did not reload")
		}
	}
}

// The invite key issues an account invite: the code shows once, on this
// screen only, and is gone at the next key; the admin ledger records it.
func TestAdminInviteKeyShowsCodeOnce(t *testing.T) {
	f := setup(t)
	m := f.page(t, f.admin)
	tuitest.Press(t, m, "i")
	code := m.Code()
	if len(code) != 19 || !strings.Contains(tuitest.Plain(m), code) {
		t.Fatalf("after i: code %q, screen:\n%s", code, tuitest.Plain(m))
	}
	codes, err := f.svc.AdminInvites(t.Context(), app.Actor{Account: f.admin, Fingerprint: "SHA256:Root"}, false)
	if err != nil || len(codes) != 1 || codes[0].Kind != store.CodeAccountInvite {
		t.Fatalf("open invites after i: %+v, %v", codes, err)
	}
	tuitest.Press(t, m, "j")
	if m.Code() != "" || strings.Contains(tuitest.Plain(m), code) {
		t.Fatalf("the code stayed on screen after the next key:\n%s", tuitest.Plain(m))
	}
	// A seller's screen has no invite to give.
	b := f.page(t, f.bob)
	tuitest.Press(t, b, "i")
	if b.Code() != "" {
		t.Fatalf("a seller got an invite code %q", b.Code())
	}
}
