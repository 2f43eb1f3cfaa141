// Tests of the token vault against the in-memory Etsy sandbox and a real
// SQLite file, with the Etsy traffic checked against the OpenAPI description.
package vault_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stockroom/stockroom/etsy"
	"github.com/stockroom/stockroom/etsy/etsyspec"
	"github.com/stockroom/stockroom/etsy/sandbox"
	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/internal/testwait"
	"github.com/stockroom/stockroom/seal"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/store/sqlite"
	"github.com/stockroom/stockroom/vault"
)

type env struct {
	t       *testing.T
	sb      *sandbox.Sandbox
	client  *etsy.Client
	db      *sqlite.DB
	dbPath  string
	keyring *seal.Keyring
	hub     *hub.Hub
	account store.Account
}

func keySpec(t *testing.T, id string) string {
	t.Helper()
	s, err := seal.GenerateKeySpec(id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func parseKeyring(t *testing.T, spec string) *seal.Keyring {
	t.Helper()
	k, err := seal.ParseKeyring(spec)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newEnv(t *testing.T) *env {
	t.Helper()
	sb := sandbox.New(sandbox.Config{Keystring: "vaultkey", SharedSecret: "vaultsecret"})
	if err := sb.Load(sandbox.Generate(sandbox.GenOptions{Seed: 3, Shops: 2, Listings: 2, Receipts: 1})); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb.Handler())
	t.Cleanup(srv.Close)
	hc := &http.Client{Transport: etsyspec.NewValidatingTransport(func(err error) { t.Error(err) }, nil)}
	client, err := etsy.New(etsy.Config{
		APIBaseURL: srv.URL + "/v3", AuthURL: srv.URL + "/oauth/connect", TokenURL: srv.URL + "/v3/public/oauth/token",
		Keystring: "vaultkey", SharedSecret: "vaultsecret", RedirectURL: "https://stockroom.example/oauth/callback",
		HTTPClient: hc,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "stockroom.db")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	acct, err := db.AccountCreate(ctx, &store.AccountCreateParams{Name: "ada", Fingerprint: "SHA256:ada", PublicKey: "ssh-ed25519 AAAA ada"})
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, sb: sb, client: client, db: db, dbPath: path, keyring: parseKeyring(t, keySpec(t, "k1")), hub: hub.New(), account: acct}
}

// connect stores shop number i of the sandbox with fresh tokens, as the
// connect flow would, and returns the store and its plaintext tokens.
func (e *env) connect(i int, expires time.Time) (store.Store, string, string) {
	e.t.Helper()
	shop := e.sb.Shops()[i]
	access, refresh, err := e.sb.IssueToken(shop.ShopID, etsy.Scopes...)
	if err != nil {
		e.t.Fatal(err)
	}
	sa, err := e.keyring.Seal([]byte(access), vault.AccessTokenAD(shop.ShopID))
	if err != nil {
		e.t.Fatal(err)
	}
	sr, err := e.keyring.Seal([]byte(refresh), vault.RefreshTokenAD(shop.ShopID))
	if err != nil {
		e.t.Fatal(err)
	}
	st, err := e.db.StoreConnect(context.Background(), &store.StoreConnectParams{
		AccountID: e.account.ID, EtsyShopID: shop.ShopID, EtsyUserID: shop.UserID, Name: shop.Name,
		Currency: shop.CurrencyCode, IsSandbox: true, AccessToken: sa, RefreshToken: sr, TokenExpiresAt: expires,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return st, access, refresh
}

// vault makes a process's vault over the test's store; the sandbox counts
// Etsy calls from then on, so a test's counts are the vaults' calls.
func (e *env) vault(owner string, onRevoked func(context.Context, int64)) *vault.Vault {
	e.sb.ResetCalls()
	return vault.New(vault.Config{
		Store: e.db, Keyring: e.keyring, Etsy: e.client, Hub: e.hub, Owner: owner, OnRevoked: onRevoked,
		PollInterval: 10 * time.Millisecond,
	})
}

// stored opens the tokens the database holds for a store.
func (e *env) stored(st store.Store) (string, string, store.StoreTokens) {
	e.t.Helper()
	tok, err := e.db.StoreTokensGet(context.Background(), st.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	a, err := e.keyring.Open(tok.AccessToken, vault.AccessTokenAD(st.EtsyShopID))
	if err != nil {
		e.t.Fatal(err)
	}
	r, err := e.keyring.Open(tok.RefreshToken, vault.RefreshTokenAD(st.EtsyShopID))
	if err != nil {
		e.t.Fatal(err)
	}
	return string(a), string(r), tok
}

// dbBytes is everything SQLite wrote to disk, the WAL included.
func (e *env) dbBytes() []byte {
	e.t.Helper()
	var all []byte
	for _, suffix := range []string{"", "-wal", "-shm"} {
		b, err := os.ReadFile(e.dbPath + suffix)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			e.t.Fatal(err)
		}
		all = append(all, b...)
	}
	return all
}

func TestConcurrentRefreshCallsEtsyOnce(t *testing.T) {
	e := newEnv(t)
	st, oldAccess, oldRefresh := e.connect(0, time.Now().Add(time.Hour))
	v := e.vault("proc-a", nil)

	const n = 10
	got := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if i%2 == 0 {
				got[i], errs[i] = v.Refresh(context.Background(), st.ID)
			} else {
				got[i], errs[i] = v.TokenSource(st.ID).Refresh(context.Background())
			}
		}()
	}
	close(start)
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("refresh %d: %v", i, errs[i])
		}
		if got[i] != got[0] {
			t.Errorf("refresh %d got another token than refresh 0", i)
		}
	}
	if c := e.sb.Calls()["token"]; c != 1 {
		t.Fatalf("token endpoint called %d times, want 1", c)
	}
	access, refresh, tok := e.stored(st)
	if access != got[0] || access == oldAccess {
		t.Error("the new access token was not saved")
	}
	if refresh == oldRefresh {
		t.Error("the rotated refresh token was not saved")
	}
	if !tok.ExpiresAt.After(time.Now().Add(50 * time.Minute)) {
		t.Errorf("expiry not updated: %v", tok.ExpiresAt)
	}
	// The new token works and the saved refresh token is the live one.
	if _, err := v.Shop(st.ID).GetMe(context.Background()); err != nil {
		t.Fatalf("GetMe with the refreshed token: %v", err)
	}
	if _, err := v.Refresh(context.Background(), st.ID); err != nil {
		t.Fatalf("refresh with the saved refresh token: %v", err)
	}
	if _, err := e.client.Refresh(context.Background(), oldRefresh); !errors.Is(err, etsy.ErrRevoked) {
		t.Fatalf("the first refresh token should be spent, got %v", err)
	}
}

func TestRefreshAcrossProcessesCallsEtsyOnce(t *testing.T) {
	e := newEnv(t)
	st, _, _ := e.connect(0, time.Now().Add(time.Hour))
	// Two vaults with their own owners stand for two server processes.
	vaults := []*vault.Vault{e.vault("proc-a", nil), e.vault("proc-b", nil)}

	// Six callers hold the same access token, all see Etsy refuse it (a
	// 401) and ask for a refresh at once: the path every API call takes.
	var wg sync.WaitGroup
	got := make([]string, 6)
	errs := make([]error, 6)
	start := make(chan struct{})
	for i := range got {
		ts := vaults[i%2].TokenSource(st.ID)
		if _, err := ts.AccessToken(context.Background()); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			got[i], errs[i] = ts.Refresh(context.Background())
		}()
	}
	close(start)
	wg.Wait()
	for i := range got {
		if errs[i] != nil {
			t.Fatalf("refresh %d: %v", i, errs[i])
		}
	}
	// One refresh in all: callers in the same process share it, and the
	// other process finds the stale token replaced and takes the new one
	// instead of spending the refresh token again.
	if c := e.sb.Calls()["token"]; c != 1 {
		t.Fatalf("token endpoint called %d times", c)
	}
	access, _, _ := e.stored(st)
	for i, g := range got {
		if g != access {
			t.Errorf("caller %d ended with a token the store does not hold", i)
		}
	}
	if _, err := vaults[1].Shop(st.ID).GetMe(context.Background()); err != nil {
		t.Fatalf("GetMe after the concurrent refreshes: %v", err)
	}
}

func TestAccessTokenRefreshesOnlyNearExpiry(t *testing.T) {
	e := newEnv(t)
	fresh, freshAccess, _ := e.connect(0, time.Now().Add(time.Hour))
	soon, soonAccess, _ := e.connect(1, time.Now().Add(2*time.Minute))
	v := e.vault("proc-a", nil)

	got, err := v.TokenSource(fresh.ID).AccessToken(context.Background())
	if err != nil || got != freshAccess {
		t.Fatalf("fresh token: %v (same token: %v)", err, got == freshAccess)
	}
	if c := e.sb.Calls()["token"]; c != 0 {
		t.Fatalf("a token valid for an hour was refreshed (%d calls)", c)
	}
	got, err = v.TokenSource(soon.ID).AccessToken(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got == soonAccess || e.sb.Calls()["token"] != 1 {
		t.Fatal("a token expiring in 2 minutes was not refreshed first")
	}
}

func TestRefreshAfterUnauthorizedTakesTokenSavedMeanwhile(t *testing.T) {
	e := newEnv(t)
	st, _, _ := e.connect(0, time.Now().Add(time.Hour))
	v := e.vault("proc-a", nil)
	other := e.vault("proc-b", nil)
	ts := v.TokenSource(st.ID)
	if _, err := ts.AccessToken(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Another process refreshes after this one read its token.
	newer, err := other.Refresh(context.Background(), st.ID)
	if err != nil {
		t.Fatal(err)
	}
	e.sb.ResetCalls()
	got, err := ts.Refresh(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got != newer || e.sb.Calls()["token"] != 0 {
		t.Fatalf("refresh spent the refresh token again (%d calls)", e.sb.Calls()["token"])
	}
}

func TestRevokedMarksNeedsReauthOnce(t *testing.T) {
	e := newEnv(t)
	st, _, _ := e.connect(0, time.Now().Add(time.Hour))
	var told atomic.Int32
	v := e.vault("proc-a", func(_ context.Context, id int64) {
		if id != st.ID {
			t.Errorf("OnRevoked for store %d", id)
		}
		told.Add(1)
	})
	sub := e.hub.Subscribe(hub.ForStore(st.ID))
	defer sub.Close()
	if err := e.sb.RevokeTokens(st.EtsyShopID); err != nil {
		t.Fatal(err)
	}

	var wg sync.WaitGroup
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := v.Refresh(context.Background(), st.ID)
			if !etsy.NeedsReauthorization(err) || !errors.Is(err, vault.ErrNeedsReauth) {
				t.Errorf("refresh of a revoked grant: %v", err)
			}
		}()
	}
	wg.Wait()
	if _, err := v.TokenSource(st.ID).AccessToken(context.Background()); !errors.Is(err, vault.ErrNeedsReauth) {
		t.Fatalf("access token of a store needing reauth: %v", err)
	}
	if n := told.Load(); n != 1 {
		t.Fatalf("OnRevoked called %d times, want 1", n)
	}
	got, err := e.db.StoreGet(context.Background(), st.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != store.StatusNeedsReauth || got.LastError == "" {
		t.Fatalf("store status %q, last error %q", got.Status, got.LastError)
	}
	if ev := testwait.Receive(t, sub.C, "a StoreChanged event"); ev.Kind != hub.StoreChanged {
		t.Fatalf("event %+v", ev)
	}
}

func TestServerErrorIsNotRevocation(t *testing.T) {
	e := newEnv(t)
	st, _, oldRefresh := e.connect(0, time.Now().Add(time.Hour))
	var told atomic.Int32
	v := e.vault("proc-a", func(context.Context, int64) { told.Add(1) })
	if err := e.sb.InjectFault("token", sandbox.Fault{Kind: sandbox.Fault500, Count: 1}); err != nil {
		t.Fatal(err)
	}
	_, err := v.Refresh(context.Background(), st.ID)
	if err == nil || etsy.NeedsReauthorization(err) || !etsy.IsTransient(err) {
		t.Fatalf("refresh answered 500: %v", err)
	}
	got, _ := e.db.StoreGet(context.Background(), st.ID)
	if got.Status != store.StatusConnected || told.Load() != 0 {
		t.Fatalf("a 500 disconnected the store (status %q)", got.Status)
	}
	if _, refresh, _ := e.stored(st); refresh != oldRefresh {
		t.Fatal("the refresh token changed although Etsy answered 500")
	}
	// The next attempt goes through.
	if _, err := v.Refresh(context.Background(), st.ID); err != nil {
		t.Fatalf("refresh after the 500: %v", err)
	}
}

func TestRefreshDue(t *testing.T) {
	e := newEnv(t)
	later, _, _ := e.connect(0, time.Now().Add(time.Hour))
	due, dueAccess, _ := e.connect(1, time.Now().Add(3*time.Minute))
	v := e.vault("proc-a", nil)
	if err := v.RefreshDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c := e.sb.Calls()["token"]; c != 1 {
		t.Fatalf("token endpoint called %d times, want 1", c)
	}
	if access, _, _ := e.stored(due); access == dueAccess {
		t.Fatal("the due store was not refreshed")
	}
	if _, _, tok := e.stored(later); tok.ExpiresAt.Before(time.Now().Add(50 * time.Minute)) {
		t.Fatal("the store not due was touched")
	}
}

func TestRotateResealsWithPrimaryKey(t *testing.T) {
	e := newEnv(t)
	k1, k2 := keySpec(t, "k1"), keySpec(t, "k2")
	e.keyring = parseKeyring(t, k1)
	st, access, refresh := e.connect(0, time.Now().Add(time.Hour))
	other, _, _ := e.connect(1, time.Now().Add(time.Hour))

	e.keyring = parseKeyring(t, k2+","+k1)
	v := e.vault("proc-a", nil)
	n, err := v.Rotate(context.Background())
	if err != nil || n != 2 {
		t.Fatalf("rotate: n=%d err=%v", n, err)
	}
	gotAccess, gotRefresh, tok := e.stored(st)
	if gotAccess != access || gotRefresh != refresh {
		t.Fatal("rotation changed the tokens")
	}
	if e.keyring.NeedsRotation(tok.AccessToken) || e.keyring.NeedsRotation(tok.RefreshToken) {
		t.Fatal("tokens still sealed with the old key")
	}
	// Rotated rows open without the old key, and a second run has nothing to do.
	e.keyring = parseKeyring(t, k2)
	e.stored(other)
	if n, err := e.vault("proc-a", nil).Rotate(context.Background()); n != 0 || err != nil {
		t.Fatalf("second rotate: n=%d err=%v", n, err)
	}
}

func TestRotateWaitsForRefreshLease(t *testing.T) {
	e := newEnv(t)
	k1, k2 := keySpec(t, "k1"), keySpec(t, "k2")
	e.keyring = parseKeyring(t, k1)
	st, _, _ := e.connect(0, time.Now().Add(time.Hour))
	e.keyring = parseKeyring(t, k2+","+k1)
	// Another process holds the refresh lease: rotation leaves the store
	// for its next run rather than overwrite a refresh in flight.
	ok, err := e.db.StoreTokenLeaseAcquire(context.Background(), &store.LeaseParams{
		StoreID: st.ID, Owner: "proc-b", Now: time.Now(), Until: time.Now().Add(time.Minute),
	})
	if err != nil || !ok {
		t.Fatalf("lease: %v %v", ok, err)
	}
	n, err := e.vault("proc-a", nil).Rotate(context.Background())
	if err != nil || n != 0 {
		t.Fatalf("rotate under another's lease: n=%d err=%v", n, err)
	}
	if _, _, tok := e.stored(st); !e.keyring.NeedsRotation(tok.AccessToken) {
		t.Fatal("tokens rewritten under another process's lease")
	}
}

func TestPlaintextTokensNeverReachTheDatabase(t *testing.T) {
	e := newEnv(t)
	st, access, refresh := e.connect(0, time.Now().Add(time.Hour))
	v := e.vault("proc-a", nil)
	newAccess, err := v.Refresh(context.Background(), st.ID)
	if err != nil {
		t.Fatal(err)
	}
	_, newRefresh, _ := e.stored(st)
	if _, err := e.db.SQL().Exec("PRAGMA wal_checkpoint(PASSIVE)"); err != nil {
		t.Fatal(err)
	}
	raw := e.dbBytes()
	for _, secret := range []string{access, refresh, newAccess, newRefresh} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Fatal("a plaintext token is in the database file")
		}
		// The opaque part alone must not appear either.
		if i := bytes.IndexByte([]byte(secret), '.'); i > 0 && bytes.Contains(raw, []byte(secret[i+1:])) {
			t.Fatal("a plaintext token is in the database file")
		}
	}
}
