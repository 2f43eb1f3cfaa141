// End-to-end tests of the connect pages: a browser-like client with a cookie
// jar walks Etsy's (sandbox) consent page and Stockroom's callback and
// confirmation pages, against a real SQLite file, with the Etsy traffic
// checked against the OpenAPI description.
package web_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stockroom/stockroom/connect"
	"github.com/stockroom/stockroom/etsy"
	"github.com/stockroom/stockroom/etsy/etsyspec"
	"github.com/stockroom/stockroom/etsy/sandbox"
	"github.com/stockroom/stockroom/health"
	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/internal/logtest"
	"github.com/stockroom/stockroom/internal/testclock"
	"github.com/stockroom/stockroom/internal/testwait"
	"github.com/stockroom/stockroom/seal"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/store/sqlite"
	"github.com/stockroom/stockroom/vault"
	"github.com/stockroom/stockroom/web"
)

type env struct {
	t       *testing.T
	sb      *sandbox.Sandbox
	sbURL   string
	web     *httptest.Server
	db      *sqlite.DB
	dbPath  string
	keyring *seal.Keyring
	hub     *hub.Hub
	flow    *connect.Flow
	flowCfg connect.Config
	logs    *logtest.Buffer // every log line Stockroom's side writes
	clock   *testclock.Clock
	ada     store.Account
	bob     store.Account
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, logs: &logtest.Buffer{}, clock: &testclock.Clock{}, hub: hub.New()}
	log := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	var handler http.Handler
	e.web = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(e.web.Close)

	callback := e.web.URL + "/oauth/callback"
	e.sb = sandbox.New(sandbox.Config{Keystring: "webkey", SharedSecret: "websecret", RedirectURIs: []string{callback}})
	if err := e.sb.Load(sandbox.Generate(sandbox.GenOptions{Seed: 5, Shops: 2, Listings: 2, Receipts: 1})); err != nil {
		t.Fatal(err)
	}
	sbSrv := httptest.NewServer(e.sb.Handler())
	t.Cleanup(sbSrv.Close)
	e.sbURL = sbSrv.URL

	hc := &http.Client{Transport: etsyspec.NewValidatingTransport(func(err error) { t.Error(err) }, nil)}
	client, err := etsy.New(etsy.Config{
		APIBaseURL: sbSrv.URL + "/v3", AuthURL: sbSrv.URL + "/oauth/connect", TokenURL: sbSrv.URL + "/v3/public/oauth/token",
		Keystring: "webkey", SharedSecret: "websecret", RedirectURL: callback, HTTPClient: hc, Logger: log,
	})
	if err != nil {
		t.Fatal(err)
	}

	ctx := context.Background()
	e.dbPath = filepath.Join(t.TempDir(), "stockroom.db")
	e.db, err = sqlite.Open(ctx, e.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.db.Close() })
	for _, a := range []*store.Account{&e.ada, &e.bob} {
		name := "ada"
		if a == &e.bob {
			name = "bob <b>"
		}
		*a, err = e.db.AccountCreate(ctx, &store.AccountCreateParams{Name: name, Fingerprint: "SHA256:" + name, PublicKey: "ssh-ed25519 AAAA " + name})
		if err != nil {
			t.Fatal(err)
		}
	}
	spec, err := seal.GenerateKeySpec("k1")
	if err != nil {
		t.Fatal(err)
	}
	if e.keyring, err = seal.ParseKeyring(spec); err != nil {
		t.Fatal(err)
	}
	e.flowCfg = connect.Config{
		Store: e.db, Keyring: e.keyring, Etsy: client, Hub: e.hub, Logger: log, Now: e.clock.Now, IsSandbox: true,
		PollInterval: 20 * time.Millisecond,
	}
	e.flow = connect.New(e.flowCfg)
	handler = web.New(web.Config{Store: e.db, Connect: e.flow, Logger: log, InsecureCookies: true})
	return e
}

// browser is a client with a cookie jar that follows redirects and
// remembers every URL it visited.
type browser struct {
	*http.Client
	visited []*url.URL
}

func (e *env) browser() *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	b := &browser{}
	b.Client = &http.Client{Jar: jar, CheckRedirect: func(r *http.Request, via []*http.Request) error {
		b.visited = append(b.visited, r.URL)
		return nil
	}}
	return b
}

type page struct {
	status int
	url    *url.URL
	body   string
	header http.Header
}

func (e *env) do(c *http.Client, method, u string, form url.Values) page {
	e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, url: resp.Request.URL, body: string(b), header: resp.Header}
}

// authorize is the seller on Etsy's consent page: it loads the page, then
// presses Allow (as the seller of shop) or Deny.
func (e *env) authorize(b *browser, authURL string, shop sandbox.Shop, decision string) page {
	e.t.Helper()
	p := e.do(b.Client, "GET", authURL, nil)
	if p.status != http.StatusOK || !strings.Contains(p.body, "Allow access") {
		e.t.Fatalf("consent page: %d %s", p.status, p.body)
	}
	u, _ := url.Parse(authURL)
	form := u.Query()
	form.Set("user_id", strconv.FormatInt(shop.UserID, 10))
	form.Set("decision", decision)
	return e.do(b.Client, "POST", e.sbURL+"/oauth/connect", form)
}

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func csrfOf(t *testing.T, p page) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no CSRF field on the page (%d): %s", p.status, p.body)
	}
	return m[1]
}

func (e *env) confirm(b *browser, state, csrf, action string) page {
	return e.do(b.Client, "POST", e.web.URL+"/oauth/confirm", url.Values{"state": {state}, "csrf_token": {csrf}, "action": {action}})
}

// callbackURL is the callback the browser was sent to, code included.
func callbackURL(t *testing.T, b *browser) string {
	t.Helper()
	for _, u := range b.visited {
		if u.Path == "/oauth/callback" {
			return u.String()
		}
	}
	t.Fatal("the browser never reached the callback")
	return ""
}

func (e *env) stores() []store.Store {
	e.t.Helper()
	s, err := e.db.StoreList(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

func (e *env) state(state string) store.OAuthState {
	e.t.Helper()
	o, err := e.db.OAuthStateGet(context.Background(), state)
	if err != nil {
		e.t.Fatal(err)
	}
	return o
}

func (e *env) dbBytes() []byte {
	e.t.Helper()
	var all []byte
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(e.dbPath + suffix)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			e.t.Fatal(err)
		}
		all = append(all, b...)
	}
	return all
}

// start begins a connect for account, as a session signed with the key
// fingerprint would, and returns the Etsy link and the state.
func (e *env) start(account store.Account, fingerprint string) (authURL, state string) {
	e.t.Helper()
	authURL, state, err := e.flow.Start(context.Background(), account.ID, fingerprint)
	if err != nil {
		e.t.Fatal(err)
	}
	return authURL, state
}

// consent starts a connect for account and allows it on Etsy for shop in a
// new browser: the page it lands on is the confirm page.
func (e *env) consent(account store.Account, shop sandbox.Shop) (b *browser, state string, p page) {
	e.t.Helper()
	authURL, state := e.start(account, "SHA256:"+account.Name)
	b = e.browser()
	return b, state, e.authorize(b, authURL, shop, "allow")
}

// connectShop runs the whole flow for account and shop and returns the
// store and the browser.
func (e *env) connectShop(account store.Account, shop sandbox.Shop) (store.Store, *browser, string) {
	e.t.Helper()
	b, state, p := e.consent(account, shop)
	if p.url.Path != "/oauth/confirm" || p.status != http.StatusOK {
		e.t.Fatalf("after consent: %d at %s: %s", p.status, p.url, p.body)
	}
	p = e.confirm(b, state, csrfOf(e.t, p), "confirm")
	if p.status != http.StatusOK || p.url.Path != "/oauth/done" || !strings.Contains(p.body, "Go back to your terminal") {
		e.t.Fatalf("after confirm: %d at %s: %s", p.status, p.url, p.body)
	}
	st, err := e.flow.Wait(context.Background(), state)
	if err != nil {
		e.t.Fatalf("wait: %v", err)
	}
	return st, b, state
}

func TestConnectEndToEnd(t *testing.T) {
	e := newEnv(t)
	shop := e.sb.Shops()[0]
	ctx := context.Background()

	authURL, state := e.start(e.ada, "SHA256:adakey")
	u, _ := url.Parse(authURL)
	q := u.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("state") != state || q.Get("scope") != "listings_r listings_w shops_r transactions_r" {
		t.Fatalf("consent URL: %s", authURL)
	}
	sub := e.hub.Subscribe(nil)
	defer sub.Close()
	waited := make(chan error, 1)
	go func() {
		_, err := e.flow.Wait(ctx, state)
		waited <- err
	}()

	b := e.browser()
	p := e.authorize(b, authURL, shop, "allow")
	if p.url.Path != "/oauth/confirm" || p.url.Query().Get("code") != "" {
		t.Fatalf("the callback should redirect to the confirm page without the code, got %s", p.url)
	}
	for _, want := range []string{shop.Name, "ada", "SHA256:adakey"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("confirm page lacks %q", want)
		}
	}
	if len(e.stores()) != 0 {
		t.Fatal("a store was saved before the seller confirmed")
	}
	p = e.confirm(b, state, csrfOf(t, p), "confirm")
	if p.status != http.StatusOK || !strings.Contains(p.body, "Connected") {
		t.Fatalf("after confirm: %d %s", p.status, p.body)
	}
	if err := <-waited; err != nil {
		t.Fatalf("wait: %v", err)
	}

	ms, err := e.db.StoreListForAccount(ctx, e.ada.ID)
	if err != nil || len(ms) != 1 {
		t.Fatalf("stores of the account: %v %v", ms, err)
	}
	if ms[0].Role != store.RoleOwner || ms[0].EtsyShopID != shop.ShopID || ms[0].Status != store.StatusConnected || !ms[0].IsSandbox {
		t.Fatalf("store: %+v", ms[0])
	}
	tok, err := e.db.StoreTokensGet(ctx, ms[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	access, err := e.keyring.Open(tok.AccessToken, vault.AccessTokenAD(shop.ShopID))
	if err != nil {
		t.Fatalf("access token not sealed for the store row: %v", err)
	}
	refresh, err := e.keyring.Open(tok.RefreshToken, vault.RefreshTokenAD(shop.ShopID))
	if err != nil {
		t.Fatalf("refresh token not sealed for the store row: %v", err)
	}
	if o := e.state(state); len(o.AccessToken) != 0 || len(o.RefreshToken) != 0 || o.StoreID != ms[0].ID {
		t.Fatal("the completed state still holds tokens")
	}
	// The saved tokens work.
	v := vault.New(vault.Config{Store: e.db, Keyring: e.keyring, Etsy: etsyClient(t, e), Owner: "t"})
	if me, err := v.Shop(ms[0].ID).GetMe(ctx); err != nil || me.ShopID != shop.ShopID {
		t.Fatalf("GetMe with the saved token: %v %v", me, err)
	}

	code := url.Values{}
	if cu, err := url.Parse(callbackURL(t, b)); err == nil {
		code = cu.Query()
	}
	secrets := map[string]string{"access token": string(access), "refresh token": string(refresh), "code": code.Get("code")}
	if _, err := e.db.SQL().Exec("PRAGMA wal_checkpoint(PASSIVE)"); err != nil {
		t.Fatal(err)
	}
	raw, logs := e.dbBytes(), []byte(e.logs.String())
	for name, s := range secrets {
		if s == "" {
			t.Fatalf("no %s to look for", name)
		}
		if bytes.Contains(raw, []byte(s)) {
			t.Errorf("the %s is in the database file in plaintext", name)
		}
		if bytes.Contains(logs, []byte(s)) {
			t.Errorf("the %s is in the logs", name)
		}
	}

	var kinds []hub.Kind
	for len(sub.C) > 0 {
		ev := <-sub.C
		kinds = append(kinds, ev.Kind)
		if ev.Kind == hub.ConnectDone && (ev.State != state || ev.StoreID != ms[0].ID || ev.AccountID != e.ada.ID || ev.Error != "") {
			t.Errorf("ConnectDone: %+v", ev)
		}
	}
	if !containsKind(kinds, hub.ConnectDone) || !containsKind(kinds, hub.StoreChanged) {
		t.Errorf("events: %v", kinds)
	}
}

func containsKind(ks []hub.Kind, k hub.Kind) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

// etsyClient is a second client on the same sandbox, for checking tokens.
func etsyClient(t *testing.T, e *env) *etsy.Client {
	c, err := etsy.New(etsy.Config{
		APIBaseURL: e.sbURL + "/v3", AuthURL: e.sbURL + "/oauth/connect", TokenURL: e.sbURL + "/v3/public/oauth/token",
		Keystring: "webkey", SharedSecret: "websecret", RedirectURL: e.web.URL + "/oauth/callback",
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestAccessDenied(t *testing.T) {
	e := newEnv(t)
	authURL, state := e.start(e.ada, "SHA256:ada")
	sub := e.hub.Subscribe(nil)
	defer sub.Close()
	p := e.authorize(e.browser(), authURL, e.sb.Shops()[0], "deny")
	if p.url.Path != "/oauth/callback" || !strings.Contains(p.body, "did not allow") {
		t.Fatalf("denied: %d at %s: %s", p.status, p.url, p.body)
	}
	if o := e.state(state); o.Error == "" || o.ConsumedAt.IsZero() || len(o.AccessToken) != 0 {
		t.Fatalf("state after deny: %+v", o)
	}
	if ev := testwait.Receive(t, sub.C, "ConnectDone"); ev.Kind != hub.ConnectDone || ev.State != state || ev.Error == "" {
		t.Fatalf("event: %+v", ev)
	}
	var failed *connect.FailedError
	if _, err := e.flow.Wait(context.Background(), state); !errors.As(err, &failed) {
		t.Fatalf("wait: %v", err)
	}
	if len(e.stores()) != 0 {
		t.Fatal("a store was saved")
	}
}

func TestCallbackWithoutUsableState(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	cases := []struct{ query, want string }{
		{"code=abc", "missing its connect code"},
		{"state=not-a-state&code=abc", "not one Stockroom issued"},
		{"error=access_denied&state=not-a-state", "not one Stockroom issued"},
	}
	for _, c := range cases {
		p := e.do(b.Client, "GET", e.web.URL+"/oauth/callback?"+c.query, nil)
		if p.status != http.StatusBadRequest || !strings.Contains(p.body, c.want) {
			t.Errorf("%s: %d %s", c.query, p.status, p.body)
		}
	}
	if len(e.stores()) != 0 {
		t.Fatal("a store was saved")
	}
}

func TestExpiredState(t *testing.T) {
	e := newEnv(t)
	authURL, state := e.start(e.ada, "SHA256:ada")
	e.clock.Advance(11 * time.Minute)
	e.sb.ResetCalls()
	p := e.authorize(e.browser(), authURL, e.sb.Shops()[0], "allow")
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, "expired") {
		t.Fatalf("expired: %d %s", p.status, p.body)
	}
	if o := e.state(state); !o.ConsumedAt.IsZero() || o.Error != "" || o.ConfirmToken != "" {
		t.Fatalf("an expired state was written: %+v", o)
	}
	if e.sb.Calls()["token"] != 0 {
		t.Fatal("the code of an expired state was exchanged")
	}
	if _, err := e.flow.Wait(context.Background(), state); !errors.Is(err, connect.ErrExpired) {
		t.Fatalf("wait: %v", err)
	}
}

func TestReplayedCallback(t *testing.T) {
	e := newEnv(t)
	st, b, _ := e.connectShop(e.ada, e.sb.Shops()[0])
	before, _ := e.db.StoreTokensGet(context.Background(), st.ID)
	e.sb.ResetCalls()
	p := e.do(e.browser().Client, "GET", callbackURL(t, b), nil)
	if p.status != http.StatusConflict || !strings.Contains(p.body, "already been used") {
		t.Fatalf("replay: %d %s", p.status, p.body)
	}
	after, _ := e.db.StoreTokensGet(context.Background(), st.ID)
	if !bytes.Equal(before.AccessToken, after.AccessToken) || len(e.stores()) != 1 || e.sb.Calls()["token"] != 0 {
		t.Fatal("a replayed callback changed something")
	}
}

func TestReusedCode(t *testing.T) {
	e := newEnv(t)
	_, b, _ := e.connectShop(e.ada, e.sb.Shops()[0])
	used, _ := url.Parse(callbackURL(t, b))
	_, state := e.start(e.bob, "SHA256:bob")
	q := url.Values{"state": {state}, "code": {used.Query().Get("code")}}
	p := e.do(e.browser().Client, "GET", e.web.URL+"/oauth/callback?"+q.Encode(), nil)
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, "Etsy refused the authorization") {
		t.Fatalf("reused code: %d %s", p.status, p.body)
	}
	if o := e.state(state); o.Error == "" || o.ConfirmToken != "" || len(o.AccessToken) != 0 {
		t.Fatalf("state after a reused code: %+v", o)
	}
	if ms, _ := e.db.StoreListForAccount(context.Background(), e.bob.ID); len(ms) != 0 {
		t.Fatal("the reused code linked a store")
	}
}

func TestShopLinkedToAnotherAccount(t *testing.T) {
	e := newEnv(t)
	shop := e.sb.Shops()[0]
	st, _, _ := e.connectShop(e.bob, shop)
	before, _ := e.db.StoreTokensGet(context.Background(), st.ID)

	authURL, state := e.start(e.ada, "SHA256:ada")
	p := e.authorize(e.browser(), authURL, shop, "allow")
	if p.status != http.StatusConflict || !strings.Contains(p.body, "already connected to another Stockroom account") {
		t.Fatalf("linked: %d %s", p.status, p.body)
	}
	if o := e.state(state); o.Error == "" || o.ConfirmToken != "" || len(o.AccessToken) != 0 {
		t.Fatalf("state: %+v", o)
	}
	after, _ := e.db.StoreTokensGet(context.Background(), st.ID)
	members, _ := e.db.MembershipList(context.Background(), st.ID)
	if !bytes.Equal(before.AccessToken, after.AccessToken) || len(members) != 1 || members[0].AccountID != e.bob.ID {
		t.Fatal("the other account's store was changed")
	}
}

func TestConfirmNeedsTheBrowsersTokens(t *testing.T) {
	e := newEnv(t)
	b, state, p := e.consent(e.bob, e.sb.Shops()[1])
	csrf := csrfOf(t, p)
	// html/template escaped the account name.
	if !strings.Contains(p.body, "bob &lt;b&gt;") {
		t.Error("the account name is not escaped on the confirm page")
	}
	for _, h := range []string{"Content-Security-Policy", "Referrer-Policy", "X-Frame-Options", "Cache-Control", "X-Content-Type-Options"} {
		if p.header.Get(h) == "" {
			t.Errorf("confirm page without %s", h)
		}
	}

	// A wrong form token, even with the right cookie.
	if p := e.confirm(b, state, csrf+"x", "confirm"); p.status != http.StatusForbidden {
		t.Fatalf("bad CSRF token: %d %s", p.status, p.body)
	}
	// The right form token from another browser (no cookie): someone who
	// only knows the state cannot confirm, nor read the page.
	other := e.browser()
	if p := e.confirm(other, state, csrf, "confirm"); p.status != http.StatusForbidden {
		t.Fatalf("confirm without the cookie: %d %s", p.status, p.body)
	}
	if p := e.do(other.Client, "GET", e.web.URL+"/oauth/confirm?state="+url.QueryEscape(state), nil); p.status != http.StatusForbidden || csrfField.MatchString(p.body) {
		t.Fatalf("confirm page without the cookie: %d", p.status)
	}
	if p := e.confirm(other, state, csrf, "cancel"); p.status != http.StatusForbidden {
		t.Fatalf("cancel without the cookie: %d", p.status)
	}
	if o := e.state(state); !o.CompletedAt.IsZero() || o.Error != "" || len(e.stores()) != 0 {
		t.Fatal("a refused confirmation wrote something")
	}
	// The seller's own confirmation still works, once.
	if p := e.confirm(b, state, csrf, "confirm"); p.status != http.StatusOK || p.url.Path != "/oauth/done" {
		t.Fatalf("confirm: %d %s", p.status, p.body)
	}
	if p := e.confirm(b, state, csrf, "confirm"); p.status == http.StatusOK {
		t.Fatal("a confirmation was accepted twice")
	}
	if len(e.stores()) != 1 {
		t.Fatal("store not saved")
	}
}

func TestCancel(t *testing.T) {
	e := newEnv(t)
	b, state, p := e.consent(e.ada, e.sb.Shops()[0])
	p = e.confirm(b, state, csrfOf(t, p), "cancel")
	if p.status != http.StatusOK || !strings.Contains(p.body, "Nothing was connected") {
		t.Fatalf("cancel: %d %s", p.status, p.body)
	}
	if o := e.state(state); o.Error != "cancelled" || len(o.AccessToken) != 0 || len(o.RefreshToken) != 0 {
		t.Fatalf("state after cancel: %+v", o)
	}
	if _, err := e.flow.Wait(context.Background(), state); !errors.Is(err, connect.ErrCancelled) {
		t.Fatalf("wait: %v", err)
	}
	if len(e.stores()) != 0 {
		t.Fatal("a cancelled attempt saved a store")
	}
}

type pinger struct{ err error }

func (p pinger) Ping(context.Context) error { return p.err }

func TestRoutesAndHeaders(t *testing.T) {
	hook := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusAccepted) })
	up := httptest.NewServer(web.New(web.Config{Store: pinger{}, Webhook: hook}))
	defer up.Close()
	down := httptest.NewServer(web.New(web.Config{Store: pinger{errors.New("down")}}))
	defer down.Close()

	cases := []struct {
		srv          *httptest.Server
		method, path string
		status       int
		body         string
	}{
		{up, "GET", "/healthz", 200, "ok"},
		{down, "GET", "/healthz", 503, ""},
		{up, "POST", "/etsy/webhook", 202, ""},
		{down, "POST", "/etsy/webhook", 404, ""},
		{up, "GET", "/", 404, ""},
		{up, "GET", "/admin", 404, ""},
		{up, "GET", "/oauth/done?result=connected", 200, "Go back to your terminal"},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(c.method, c.srv.URL+c.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status || !strings.Contains(string(b), c.body) {
			t.Errorf("%s %s: %d %q", c.method, c.path, resp.StatusCode, b)
		}
		h := resp.Header
		if !strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") || h.Get("Referrer-Policy") != "no-referrer" ||
			h.Get("X-Content-Type-Options") != "nosniff" || h.Get("X-Frame-Options") != "DENY" || h.Get("Cache-Control") != "no-store" {
			t.Errorf("%s %s: security headers %v", c.method, c.path, h)
		}
	}
}

// Issue 10, item 10: with the data disk full every write fails, and
// /healthz must say so (503, with the reason) instead of answering 200,
// then recover by itself once space is back.
func TestFullDiskLeavesHealthzAt200(t *testing.T) {
	var full atomic.Bool
	write := func(path string, data []byte) error {
		if full.Load() {
			return &os.PathError{Op: "write", Path: path, Err: syscall.ENOSPC}
		}
		return os.WriteFile(path, data, 0o600)
	}
	checker := health.New(health.Config{Checks: []health.Check{{Name: "disk", Probe: health.DiskProbe(t.TempDir(), write)}}})
	checker.SetReady(true)
	srv := httptest.NewServer(web.New(web.Config{Store: pinger{}, Health: checker}))
	defer srv.Close()

	get := func(path string) (int, string) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/healthz"); code != 200 || body != "ok\n" {
		t.Fatalf("before: %d %q", code, body)
	}
	full.Store(true)
	for _, path := range []string{"/healthz", "/readyz"} {
		if code, body := get(path); code != 503 || !strings.Contains(body, "disk: cannot write to") || !strings.Contains(body, "no space left on device") {
			t.Fatalf("disk full, %s: %d %q", path, code, body)
		}
	}
	full.Store(false)
	if code, body := get("/healthz"); code != 200 || body != "ok\n" {
		t.Fatalf("space back: %d %q", code, body)
	}
}

// /readyz separates alive from ready: a process still starting (or
// stopping) is alive but must not be sent work.
func TestReadyzWaitsForStartup(t *testing.T) {
	checker := health.New(health.Config{})
	srv := httptest.NewServer(web.New(web.Config{Store: pinger{}, Health: checker}))
	defer srv.Close()
	status := func(path string) int {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if h, r := status("/healthz"), status("/readyz"); h != 200 || r != 503 {
		t.Fatalf("starting: healthz %d readyz %d", h, r)
	}
	checker.SetReady(true)
	if r := status("/readyz"); r != 200 {
		t.Fatalf("started: readyz %d", r)
	}
}

func TestDatabaseDownIs503WithAReason(t *testing.T) {
	srv := httptest.NewServer(web.New(web.Config{Store: pinger{errors.New("connection refused")}}))
	defer srv.Close()
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 503 || !strings.Contains(string(b), "database: unavailable: connection refused") {
			t.Fatalf("%s: %d %q", path, resp.StatusCode, b)
		}
	}
}

// A load balancer polling through an outage logs its start and its end,
// not every poll.
func TestHealthLogsChangesNotEveryPoll(t *testing.T) {
	var logs bytes.Buffer
	var down atomic.Bool
	checker := health.New(health.Config{Checks: []health.Check{{Name: "disk", Probe: func(context.Context) error {
		if down.Load() {
			return errors.New("full")
		}
		return nil
	}}}})
	srv := httptest.NewServer(web.New(web.Config{Store: pinger{}, Health: checker, Logger: slog.New(slog.NewTextHandler(&logs, nil))}))
	defer srv.Close()
	poll := func(n int) {
		for range n {
			resp, err := http.Get(srv.URL + "/healthz")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
	}
	poll(2)
	down.Store(true)
	poll(3)
	down.Store(false)
	poll(2)
	out := logs.String()
	if strings.Count(out, "health check failed") != 1 || strings.Count(out, "well again") != 1 || !strings.Contains(out, "disk: full") {
		t.Fatalf("log:\n%s", out)
	}
}
