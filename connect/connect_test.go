// Tests of the connect flow's SSH side: Start and Wait. The browser side is
// exercised end to end in package web.
package connect_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stockroom/stockroom/connect"
	"github.com/stockroom/stockroom/etsy"
	"github.com/stockroom/stockroom/etsy/sandbox"
	"github.com/stockroom/stockroom/internal/testwait"
	"github.com/stockroom/stockroom/seal"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/store/sqlite"
	"github.com/stockroom/stockroom/store/storetest"
)

func setup(t *testing.T) (*connect.Flow, *sqlite.DB, store.Account) {
	t.Helper()
	return setupWith(t, nil)
}

// setupWith is setup with the flow's store wrapped (nil: not wrapped).
func setupWith(t *testing.T, wrap func(connect.Store) connect.Store) (*connect.Flow, *sqlite.DB, store.Account) {
	t.Helper()
	sb := sandbox.New(sandbox.Config{Keystring: "k", SharedSecret: "s"})
	srv := httptest.NewServer(sb.Handler())
	t.Cleanup(srv.Close)
	client, err := etsy.New(etsy.Config{
		APIBaseURL: srv.URL + "/v3", AuthURL: srv.URL + "/oauth/connect", TokenURL: srv.URL + "/v3/public/oauth/token",
		Keystring: "k", SharedSecret: "s", RedirectURL: "https://stockroom.example/oauth/callback",
	})
	if err != nil {
		t.Fatal(err)
	}
	db := storetest.OpenSQLite(t)
	acct, err := db.AccountCreate(context.Background(), &store.AccountCreateParams{Name: "ada", Fingerprint: "SHA256:ada", PublicKey: "ssh-ed25519 AAAA"})
	if err != nil {
		t.Fatal(err)
	}
	spec, _ := seal.GenerateKeySpec("k1")
	kr, err := seal.ParseKeyring(spec)
	if err != nil {
		t.Fatal(err)
	}
	var st connect.Store = db
	if wrap != nil {
		st = wrap(db)
	}
	// No hub: Wait must notice the outcome by reading the state.
	f := connect.New(connect.Config{Store: st, Keyring: kr, Etsy: client, PollInterval: 10 * time.Millisecond})
	return f, db, acct
}

func TestStartSealsTheVerifier(t *testing.T) {
	f, db, acct := setup(t)
	authURL, state, err := f.Start(context.Background(), acct.ID, "SHA256:ada")
	if err != nil {
		t.Fatal(err)
	}
	if len(state) < 40 || !strings.Contains(authURL, "code_challenge_method=S256") {
		t.Fatalf("state %q, url %s", state, authURL)
	}
	o, err := db.OAuthStateGet(context.Background(), state)
	if err != nil {
		t.Fatal(err)
	}
	if o.AccountID != acct.ID || o.KeyFingerprint != "SHA256:ada" || len(o.CodeVerifier) == 0 {
		t.Fatalf("state row: %+v", o)
	}
	if d := o.ExpiresAt.Sub(o.CreatedAt); d != 10*time.Minute {
		t.Fatalf("state lifetime %v", d)
	}
	if _, _, err := f.Start(context.Background(), 0, ""); err == nil {
		t.Fatal("start without an account")
	}
}

// readsSignalled tells the test each time the flow has read an attempt's
// state, so a test can act once Wait has seen the attempt pending.
type readsSignalled struct {
	connect.Store
	read chan store.OAuthState
}

func (r readsSignalled) OAuthStateGet(ctx context.Context, state string) (store.OAuthState, error) {
	o, err := r.Store.OAuthStateGet(ctx, state)
	if err == nil {
		select {
		case r.read <- o:
		default: // nobody listening: Wait keeps polling
		}
	}
	return o, err
}

func TestWaitSeesAnOutcomeWithoutTheHub(t *testing.T) {
	reads := make(chan store.OAuthState)
	f, db, acct := setupWith(t, func(s connect.Store) connect.Store { return readsSignalled{s, reads} })
	_, state, err := f.Start(context.Background(), acct.ID, "SHA256:ada")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := f.Wait(context.Background(), state)
		done <- err
	}()
	// Wait has read the attempt pending; then another process fails it.
	if o := <-reads; o.Error != "" || !o.CompletedAt.IsZero() {
		t.Fatalf("the attempt was not pending when Wait first read it: %+v", o)
	}
	if err := db.OAuthStateFail(context.Background(), state, "cancelled", time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := testwait.Receive(t, done, "Wait to see the failure"); !errors.Is(err, connect.ErrCancelled) {
		t.Fatalf("wait: %v", err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, state2, _ := f.Start(context.Background(), acct.ID, "SHA256:ada")
	if _, err := f.Wait(ctx, state2); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("wait on a pending attempt: %v", err)
	}
	if _, err := f.Wait(context.Background(), "unknown"); !errors.Is(err, connect.ErrUnknownState) {
		t.Fatalf("wait on an unknown state: %v", err)
	}
}
