// Tests drive the sandbox over HTTP with a plain client, behind the
// etsyspec validator so every request and every answer is checked against
// Etsy's description.
package sandbox

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stockroom/stockroom/etsy/etsyspec"
)

type env struct {
	t      *testing.T
	sb     *Sandbox
	srv    *httptest.Server
	shop   Shop
	token  string
	client *http.Client

	mu  sync.Mutex // guards the fields below, which the server goroutine reads too
	now time.Time
	// refusing is set while a test sends requests that break Etsy's
	// description on purpose; refused counts the request-side reports the
	// validator made meanwhile.
	refusing bool
	refused  int
}

func newEnv(t *testing.T, cfg Config) *env {
	t.Helper()
	e := &env{t: t, now: time.Date(2026, 8, 2, 10, 0, 0, 0, time.UTC)}
	cfg.Now = func() time.Time { e.mu.Lock(); defer e.mu.Unlock(); return e.now }
	e.sb = New(cfg)
	if err := e.sb.Load(Generate(GenOptions{Seed: 7, Shops: 2, Listings: 60, Receipts: 120})); err != nil {
		t.Fatal(err)
	}
	report := func(err error) {
		var re *etsyspec.RequestError
		if errors.As(err, &re) {
			e.mu.Lock()
			expected := e.refusing
			if expected {
				e.refused++
			}
			e.mu.Unlock()
			if expected {
				return
			}
		}
		t.Error(err)
	}
	e.srv = httptest.NewServer(etsyspec.ValidatingHandler(e.sb.Handler(), report))
	t.Cleanup(e.srv.Close)
	e.sb.SetBaseURL(e.srv.URL)
	e.client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	e.shop = e.sb.Shops()[0]
	var err error
	e.token, _, err = e.sb.IssueToken(e.shop.ShopID, "listings_r", "listings_w", "shops_r", "transactions_r")
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) advance(d time.Duration) { e.mu.Lock(); e.now = e.now.Add(d); e.mu.Unlock() }

// refuse runs send, whose requests break Etsy's description on purpose to
// check that the sandbox turns them away. Their request-side reports are
// expected rather than failures; yet the validator must make at least one,
// or the request is not the malformed one the test means to send. what
// names the request in that failure.
func (e *env) refuse(what string, send func()) {
	e.t.Helper()
	e.mu.Lock()
	e.refusing, e.refused = true, 0
	e.mu.Unlock()
	send()
	e.mu.Lock()
	refused := e.refused
	e.refusing, e.refused = false, 0
	e.mu.Unlock()
	if refused == 0 {
		e.t.Errorf("%s: meant to break Etsy's description, but it conforms", what)
	}
}

// do sends an API call with the app key and token; it returns status, headers
// and the decoded JSON body.
func (e *env) do(method, path, ctype, body string) (int, http.Header, map[string]any) {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	req.Header.Set("x-api-key", "sandboxkeystring:sandboxsecret")
	if e.token != "" {
		req.Header.Set("Authorization", "Bearer "+e.token)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, resp.Header, out
}

func (e *env) get(path string) (int, map[string]any) {
	status, _, body := e.do("GET", path, "", "")
	return status, body
}

func (e *env) listingOf(state string, variations bool) Listing {
	e.t.Helper()
	for _, l := range e.allListings() {
		if l.State == state && l.Inventory.hasVariations() == variations && l.ShopID == e.shop.ShopID {
			return l
		}
	}
	e.t.Fatalf("no %s listing (variations=%v) in the generated shop", state, variations)
	return Listing{}
}

func (e *env) allListings() []Listing {
	var out []Listing
	e.sb.mu.Lock()
	ids := append([]int64(nil), e.sb.shops[e.shop.ShopID].listingIDs...)
	e.sb.mu.Unlock()
	for _, id := range ids {
		l, _ := e.sb.Listing(id)
		out = append(out, l)
	}
	return out
}

func TestScopesMatchSpec(t *testing.T) {
	spec := etsyspec.MustLoad()
	for _, op := range New(Config{}).operations() {
		want := spec.Scopes(op.id)
		got := []string{}
		if op.scope != "" {
			got = []string{op.scope}
		}
		if fmt.Sprint(want) != fmt.Sprint(got) && !(len(want) == 0 && len(got) == 0) {
			t.Errorf("%s: sandbox requires %v, description says %v", op.id, got, want)
		}
	}
}

func TestAPIKeyAndTokens(t *testing.T) {
	e := newEnv(t, Config{})
	req, _ := http.NewRequest("GET", e.srv.URL+"/v3/application/users/me", nil)
	req.Header.Set("x-api-key", "sandboxkeystring")
	resp, _ := e.client.Do(req)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 403 || !strings.Contains(string(body), "Shared secret is required in x-api-key header.") {
		t.Fatalf("bare keystring: %d %s", resp.StatusCode, body)
	}
	if resp.Header.Get("X-Etsy-Request-Uuid") == "" {
		t.Fatal("no X-Etsy-Request-Uuid")
	}
	if status, body := e.get("/v3/application/users/me"); status != 200 || int64(body["shop_id"].(float64)) != e.shop.ShopID {
		t.Fatalf("getMe: %d %v", status, body)
	}
	other := e.sb.Shops()[1]
	if status, _ := e.get(fmt.Sprintf("/v3/application/shops/%d/listings", other.ShopID)); status != 403 {
		t.Fatalf("other shop's listings: %d", status)
	}
	narrow, _, _ := e.sb.IssueToken(e.shop.ShopID, "shops_r")
	e.token = narrow
	if status, body := e.get(fmt.Sprintf("/v3/application/shops/%d/receipts", e.shop.ShopID)); status != 403 || body["error"] != "insufficient_scope" {
		t.Fatalf("missing scope: %d %v", status, body)
	}
	e.advance(time.Hour)
	if status, body := e.get("/v3/application/users/me"); status != 401 || body["error_description"] != "access token is expired" {
		t.Fatalf("expired: %d %v", status, body)
	}
	e.token = "1.nonsense"
	if status, body := e.get("/v3/application/users/me"); status != 401 || body["error_description"] != "access token is invalid" {
		t.Fatalf("invalid: %d %v", status, body)
	}
}

func pkce(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func (e *env) postForm(path string, form url.Values) (int, map[string]any) {
	resp, err := e.client.PostForm(e.srv.URL+path, form)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestOAuthFlow(t *testing.T) {
	e := newEnv(t, Config{RedirectURIs: []string{"https://app.example/callback"}})
	verifier := strings.Repeat("v", 50)
	q := url.Values{"response_type": {"code"}, "client_id": {"sandboxkeystring"}, "redirect_uri": {"https://app.example/callback"},
		"scope": {"listings_r shops_r"}, "state": {"st4te"}, "code_challenge": {pkce(verifier)}, "code_challenge_method": {"S256"}}

	resp, err := e.client.Get(e.srv.URL + "/oauth/connect?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), e.shop.LoginName) || strings.Contains(string(page), "http://") {
		t.Fatalf("authorize page: %d\n%s", resp.StatusCode, page)
	}
	bad := url.Values{}
	for k, v := range q {
		bad[k] = v
	}
	bad.Set("code_challenge_method", "plain")
	resp, _ = e.client.Get(e.srv.URL + "/oauth/connect?" + bad.Encode())
	if loc, _ := url.Parse(resp.Header.Get("Location")); resp.StatusCode != 302 || loc.Query().Get("error") != "invalid_request" {
		t.Fatalf("plain PKCE accepted: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp.Body.Close()

	deny := url.Values{"decision": {"deny"}}
	allow := url.Values{"decision": {"allow"}, "user_id": {fmt.Sprint(e.shop.UserID)}}
	for k, v := range q {
		deny[k], allow[k] = v, v
	}
	resp, _ = e.client.PostForm(e.srv.URL+"/oauth/connect", deny)
	if loc, _ := url.Parse(resp.Header.Get("Location")); loc.Query().Get("error") != "access_denied" || loc.Query().Get("state") != "st4te" {
		t.Fatalf("deny redirect: %s", resp.Header.Get("Location"))
	}
	resp, _ = e.client.PostForm(e.srv.URL+"/oauth/connect", allow)
	loc, _ := url.Parse(resp.Header.Get("Location"))
	code := loc.Query().Get("code")
	if code == "" || loc.Query().Get("state") != "st4te" {
		t.Fatalf("allow redirect: %s", resp.Header.Get("Location"))
	}

	exchange := url.Values{"grant_type": {"authorization_code"}, "client_id": {"sandboxkeystring"},
		"redirect_uri": {"https://app.example/callback"}, "code": {code}, "code_verifier": {strings.Repeat("w", 50)}}
	if status, body := e.postForm("/v3/public/oauth/token", exchange); status != 400 || body["error"] != "invalid_grant" {
		t.Fatalf("wrong verifier: %d %v", status, body)
	}
	exchange.Set("code_verifier", verifier)
	status, tok := e.postForm("/v3/public/oauth/token", exchange)
	if status != 200 || tok["token_type"] != "Bearer" || tok["expires_in"].(float64) != 3600 ||
		!strings.HasPrefix(tok["access_token"].(string), fmt.Sprint(e.shop.UserID)+".") {
		t.Fatalf("exchange: %d %v", status, tok)
	}
	if status, body := e.postForm("/v3/public/oauth/token", exchange); status != 400 || body["error_description"] != "code has been used previously" {
		t.Fatalf("reused code: %d %v", status, body)
	}

	e.token = tok["access_token"].(string)
	if status, _ := e.get("/v3/application/users/me"); status != 200 {
		t.Fatalf("new token rejected: %d", status)
	}
	refresh := url.Values{"grant_type": {"refresh_token"}, "client_id": {"sandboxkeystring"}, "refresh_token": {tok["refresh_token"].(string)}}
	status, tok2 := e.postForm("/v3/public/oauth/token", refresh)
	if status != 200 || tok2["refresh_token"] == tok["refresh_token"] {
		t.Fatalf("refresh: %d %v", status, tok2)
	}
	if status, body := e.postForm("/v3/public/oauth/token", refresh); status != 400 || body["error_description"] != "refresh_token is revoked" {
		t.Fatalf("old refresh token reused: %d %v", status, body)
	}
	if err := e.sb.RevokeTokens(e.shop.ShopID); err != nil {
		t.Fatal(err)
	}
	refresh.Set("refresh_token", tok2["refresh_token"].(string))
	if status, body := e.postForm("/v3/public/oauth/token", refresh); status != 400 || body["error_description"] != "refresh_token is revoked" {
		t.Fatalf("refresh after revoke: %d %v", status, body)
	}
	e.token = tok2["access_token"].(string)
	if status, _ := e.get("/v3/application/users/me"); status != 401 {
		t.Fatalf("revoked access token accepted: %d", status)
	}
}

func TestRateLimits(t *testing.T) {
	e := newEnv(t, Config{PerSecond: 3, PerDay: 5})
	for i := range 3 {
		status, h, _ := e.do("GET", "/v3/application/users/me", "", "")
		if status != 200 || h.Get("X-Limit-Per-Second") != "3" || h.Get("X-Remaining-This-Second") != fmt.Sprint(2-i) ||
			h.Get("X-Limit-Per-Day") != "5" || h.Get("X-Remaining-Today") != fmt.Sprint(4-i) {
			t.Fatalf("call %d: %d %v", i, status, h)
		}
	}
	status, h, body := e.do("GET", "/v3/application/users/me", "", "")
	if status != 429 || h.Get("Retry-After") != "1" || body["error"] != "Exceeded per second rate limit" {
		t.Fatalf("per second: %d %v %v", status, h, body)
	}
	e.advance(time.Second)
	e.do("GET", "/v3/application/users/me", "", "")
	e.do("GET", "/v3/application/users/me", "", "")
	status, h, body = e.do("GET", "/v3/application/users/me", "", "")
	if status != 429 || body["error"] != "Exceeded daily rate limit" || h.Get("Retry-After") == "" {
		t.Fatalf("per day: %d %v %v", status, h, body)
	}
	// Per token: another seller's token has its own budget.
	other, _, _ := e.sb.IssueToken(e.sb.Shops()[1].ShopID, "shops_r")
	e.token = other
	if status, _ := e.get("/v3/application/users/me"); status != 200 {
		t.Fatalf("other token limited: %d", status)
	}
	e.advance(24 * time.Hour)
}

func TestListingsPaging(t *testing.T) {
	e := newEnv(t, Config{})
	base := fmt.Sprintf("/v3/application/shops/%d/listings", e.shop.ShopID)
	// offset=12001 is within the description; Etsy's cap (FACTS.md) refuses it.
	if status, _ := e.get(base + "?offset=12001"); status != 400 {
		t.Errorf("?offset=12001: %d, want 400", status)
	}
	for _, q := range []string{"?limit=101", "?limit=0", "?state=deleted", "?includes=Bogus"} {
		e.refuse(q, func() {
			if status, _ := e.get(base + q); status != 400 {
				t.Errorf("%s: %d, want 400", q, status)
			}
		})
	}
	active := 0
	for _, l := range e.allListings() {
		if l.State == StateActive {
			active++
		}
	}
	seen := map[float64]bool{}
	for offset := 0; ; offset += 7 {
		status, body := e.get(fmt.Sprintf("%s?limit=7&offset=%d&includes=Inventory", base, offset))
		if status != 200 || int(body["count"].(float64)) != active {
			t.Fatalf("page at %d: %d count=%v want %d", offset, status, body["count"], active)
		}
		results := body["results"].([]any)
		for _, r := range results {
			m := r.(map[string]any)
			if m["state"] != "active" || m["inventory"] == nil {
				t.Fatalf("bad listing %v", m)
			}
			seen[m["listing_id"].(float64)] = true
		}
		if len(results) < 7 {
			break
		}
	}
	if len(seen) != active {
		t.Fatalf("paged through %d distinct listings, want %d", len(seen), active)
	}
}

func TestBatchInventory(t *testing.T) {
	e := newEnv(t, Config{})
	ls := e.allListings()
	ids := fmt.Sprintf("%d,%d", ls[0].ListingID, ls[1].ListingID)
	status, body := e.get("/v3/application/listings/batch/inventory?listing_ids=" + ids)
	if status != 200 || body["count"].(float64) != 2 {
		t.Fatalf("batch: %d %v", status, body)
	}
	if status, _ := e.get("/v3/application/listings/batch/inventory?listing_ids=" + ids + ",999"); status != 404 {
		t.Fatalf("unknown id in batch: %d", status)
	}
	many := strings.TrimSuffix(strings.Repeat(fmt.Sprint(ls[0].ListingID)+",", 101), ",")
	if status, _ := e.get("/v3/application/listings/batch/inventory?listing_ids=" + many); status != 400 {
		t.Fatalf("101 ids: %d", status)
	}
}

func inventoryBody(products string, onProps string) string {
	return `{"products":[` + products + `]` + onProps + `}`
}

func TestUpdateListingInventory(t *testing.T) {
	e := newEnv(t, Config{})
	rs := e.sb.shops[e.shop.ShopID].readiness[0].ID
	l := e.listingOf(StateActive, true)
	path := fmt.Sprintf("/v3/application/listings/%d/inventory", l.ListingID)
	product := func(size string, price string, qty int, sku string) string {
		return fmt.Sprintf(`{"sku":%q,"property_values":[{"property_id":100,"property_name":"Size","value_ids":[],"values":[%q]}],`+
			`"offerings":[{"price":%s,"quantity":%d,"is_enabled":true,"readiness_state_id":%d}]}`, sku, size, price, qty, rs)
	}
	put := func(body string) (int, map[string]any) {
		status, _, out := e.do("PUT", path, "application/json", body)
		return status, out
	}
	e.advance(time.Minute)
	status, out := put(inventoryBody(product("S", "12.5", 3, "A-S")+","+product("M", "12.5", 4, "A-M"),
		`,"quantity_on_property":[100],"sku_on_property":[100]`))
	if status != 200 {
		t.Fatalf("valid update: %d %v", status, out)
	}
	after, _ := e.sb.Listing(l.ListingID)
	if len(after.Inventory.Products) != 2 || after.Quantity() != 7 || after.LastModified <= l.LastModified {
		t.Fatalf("replacement not applied: %+v", after)
	}
	for _, p := range after.Inventory.Products {
		for _, old := range l.Inventory.Products {
			if p.ProductID == old.ProductID || p.Offerings[0].OfferingID == old.Offerings[0].OfferingID {
				t.Fatal("ids reused across updates")
			}
		}
		if p.Offerings[0].Price != 1250 {
			t.Fatalf("price %d, want 1250", p.Offerings[0].Price)
		}
	}
	// Most of these fit the description and break only Etsy's rules
	// (FACTS.md); malformed ones break the description itself.
	bad := []struct {
		name, body, mention string
		malformed           bool
	}{
		{"quantity 1000", inventoryBody(product("S", "12.5", 1000, "A-S"), `,"quantity_on_property":[100],"sku_on_property":[100]`), "999", false},
		{"all zero", inventoryBody(product("S", "12.5", 0, "A-S"), `,"sku_on_property":[100]`), "greater than 0", false},
		{"money price", inventoryBody(product("S", `{"amount":1250,"divisor":100,"currency_code":"USD"}`, 1, "A-S"), ""), "price", true},
		{"quantity varies undeclared", inventoryBody(product("S", "12.5", 3, "A")+","+product("M", "12.5", 4, "A"), ""), "quantity_on_property", false},
		{"shared sku different quantity", inventoryBody(product("S", "12.5", 3, "A")+","+product("M", "12.5", 4, "A"), `,"quantity_on_property":[100],"sku_on_property":[100]`), "same quantity", false},
		{"echoed product_id", `{"products":[{"product_id":5,"sku":"","property_values":[],"offerings":[{"price":1,"quantity":1,"is_enabled":true,"readiness_state_id":1}]}]}`, "product_id", false},
		{"unknown readiness", strings.Replace(inventoryBody(product("S", "12.5", 3, "A"), ""), fmt.Sprintf(`"readiness_state_id":%d`, rs), `"readiness_state_id":42`, 1), "readiness", false},
		{"missing property_values", fmt.Sprintf(`{"products":[{"sku":"x","offerings":[{"price":1,"quantity":1,"is_enabled":true,"readiness_state_id":%d}]}]}`, rs), "property_values", false},
	}
	for _, tt := range bad {
		check := func() {
			status, out := put(tt.body)
			if msg, _ := out["error"].(string); status != 400 || !strings.Contains(msg, tt.mention) {
				t.Errorf("%s: %d %v, want 400 mentioning %q", tt.name, status, out, tt.mention)
			}
		}
		if tt.malformed {
			e.refuse(tt.name, check)
		} else {
			check()
		}
	}
	// A listing without variations takes property_values: [].
	plain := e.listingOf(StateActive, false)
	body := fmt.Sprintf(`{"products":[{"sku":"P1","property_values":[],"offerings":[{"price":9.99,"quantity":2,"is_enabled":true,"readiness_state_id":%d}]}]}`, rs)
	if status, _, out := e.do("PUT", fmt.Sprintf("/v3/application/listings/%d/inventory", plain.ListingID), "application/json", body); status != 200 {
		t.Fatalf("plain listing: %d %v", status, out)
	}
}

func TestUpdateListingState(t *testing.T) {
	e := newEnv(t, Config{})
	l := e.listingOf(StateActive, false)
	path := fmt.Sprintf("/v3/application/shops/%d/listings/%d", e.shop.ShopID, l.ListingID)
	form := "application/x-www-form-urlencoded"
	if status, _, out := e.do("PATCH", path, form, "state=inactive"); status != 200 || out["state"] != "inactive" {
		t.Fatalf("deactivate: %d %v", status, out)
	}
	if status, _, out := e.do("PATCH", path, form, "state=active"); status != 200 || out["state"] != "active" {
		t.Fatalf("activate: %d %v", status, out)
	}
	e.refuse("state=sold_out", func() {
		if status, _, _ := e.do("PATCH", path, form, "state=sold_out"); status != 400 {
			t.Fatalf("state=sold_out accepted: %d", status)
		}
	})
	sold := e.listingOf(StateSoldOut, false)
	soldPath := fmt.Sprintf("/v3/application/shops/%d/listings/%d", e.shop.ShopID, sold.ListingID)
	if status, _, _ := e.do("PATCH", soldPath, form, "state=active"); status != 400 {
		t.Fatalf("sold out listing without stock activated: %d", status)
	}
}

func TestReceiptsFilters(t *testing.T) {
	e := newEnv(t, Config{})
	base := fmt.Sprintf("/v3/application/shops/%d/receipts", e.shop.ShopID)
	_, all := e.get(base + "?limit=100")
	total := int(all["count"].(float64))
	_, paid := e.get(base + "?was_paid=true")
	_, unpaid := e.get(base + "?was_paid=false")
	if int(paid["count"].(float64))+int(unpaid["count"].(float64)) != total || total != 120 {
		t.Fatalf("was_paid split %v+%v != %d", paid["count"], unpaid["count"], total)
	}
	cut := e.now.Add(-30 * 24 * time.Hour).Unix()
	_, recent := e.get(fmt.Sprintf("%s?min_created=%d&sort_on=created&sort_order=asc&limit=100", base, cut))
	prev := int64(0)
	for _, r := range recent["results"].([]any) {
		m := r.(map[string]any)
		c := int64(m["created_timestamp"].(float64))
		if c < cut || c < prev {
			t.Fatalf("min_created/asc violated: %d (cut %d, prev %d)", c, cut, prev)
		}
		prev = c
		if len(m["transactions"].([]any)) == 0 {
			t.Fatal("receipt without transactions")
		}
	}
	e.refuse("min_created=5", func() {
		if status, _ := e.get(base + "?min_created=5"); status != 400 {
			t.Fatalf("min_created below 2000 accepted: %d", status)
		}
	})
	id := int64(all["results"].([]any)[0].(map[string]any)["receipt_id"].(float64))
	if status, _ := e.get(fmt.Sprintf("%s/%d", base, id)); status != 200 {
		t.Fatalf("getShopReceipt: %d", status)
	}
}

func TestFaults(t *testing.T) {
	e := newEnv(t, Config{TimeoutDelay: 50 * time.Millisecond})
	if err := e.sb.InjectFault("getMe", Fault{Kind: Fault500, Count: 2}); err != nil {
		t.Fatal(err)
	}
	if err := e.sb.InjectFault("getMe", Fault{Kind: FaultTimeout, Count: 1}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []int{500, 500, 504, 200} {
		if status, _ := e.get("/v3/application/users/me"); status != want {
			t.Fatalf("got %d, want %d", status, want)
		}
	}
	if got := e.sb.Calls()["getMe"]; got != 4 {
		t.Fatalf("Calls()[getMe] = %d, want 4", got)
	}
	if err := e.sb.InjectFault("nope", Fault{Kind: Fault500, Count: 1}); err == nil {
		t.Fatal("unknown operation accepted")
	}
	// Admin surface: the same hook over HTTP.
	resp, err := http.Post(e.srv.URL+"/_sandbox/faults", "application/json", strings.NewReader(`{"operation":"token","kind":"429","count":1}`))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("admin fault: %v %v", err, resp)
	}
	if status, _ := e.postForm("/v3/public/oauth/token", url.Values{}); status != 429 {
		t.Fatalf("token fault: %d", status)
	}
}

func TestSimulateSaleAndWebhook(t *testing.T) {
	e := newEnv(t, Config{})
	secret := []byte("0123456789abcdef0123456789abcdef")
	got := make(chan *http.Request, 1)
	bodies := make(chan []byte, 1)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- r
		bodies <- b
	}))
	defer hook.Close()
	if err := e.sb.SetWebhook(hook.URL, "whsec_"+base64.StdEncoding.EncodeToString(secret)); err != nil {
		t.Fatal(err)
	}
	l := e.listingOf(StateActive, false)
	// Make the stock exactly 2 so two sales sell it out.
	rs := l.Inventory.Products[0].Offerings[0].ReadinessStateID
	body := fmt.Sprintf(`{"products":[{"sku":"ONE","property_values":[],"offerings":[{"price":5,"quantity":2,"is_enabled":true,"readiness_state_id":%d}]}]}`, rs)
	if status, _, out := e.do("PUT", fmt.Sprintf("/v3/application/listings/%d/inventory", l.ListingID), "application/json", body); status != 200 {
		t.Fatalf("set stock: %d %v", status, out)
	}
	rid, err := e.sb.SimulateSale(e.shop.ShopID, l.ListingID, "ONE", 1)
	if err != nil {
		t.Fatal(err)
	}
	req, raw := <-got, <-bodies
	sig := Sign(secret, req.Header.Get("webhook-id"), req.Header.Get("webhook-timestamp"), raw)
	if req.Header.Get("webhook-signature") != sig {
		t.Fatalf("signature %q, want %q", req.Header.Get("webhook-signature"), sig)
	}
	var payload map[string]any
	_ = json.Unmarshal(raw, &payload)
	want := fmt.Sprintf("%s/v3/application/shops/%d/receipts/%d", e.srv.URL, e.shop.ShopID, rid)
	if payload["event_type"] != "order.paid" || payload["resource_url"] != want {
		t.Fatalf("payload %v", payload)
	}
	if status, r := e.get(strings.TrimPrefix(want, e.srv.URL)); status != 200 || r["status"] != "paid" {
		t.Fatalf("receipt: %d %v", status, r)
	}
	if _, err := e.sb.SimulateSale(e.shop.ShopID, l.ListingID, "ONE", 2); !errors.Is(err, ErrInsufficientStock) {
		t.Fatalf("oversell: %v", err)
	}
	if _, err := e.sb.SimulateSale(e.shop.ShopID, l.ListingID, "ONE", 1); err != nil {
		t.Fatal(err)
	}
	<-got
	<-bodies
	after, _ := e.sb.Listing(l.ListingID)
	if after.State != StateSoldOut || after.Quantity() != 0 {
		t.Fatalf("after selling out: state %s quantity %d", after.State, after.Quantity())
	}
}

func TestGenerateDeterministicAndLarge(t *testing.T) {
	a, _ := json.Marshal(Generate(GenOptions{Seed: 3, Listings: 20}))
	b, _ := json.Marshal(Generate(GenOptions{Seed: 3, Listings: 20}))
	if string(a) != string(b) {
		t.Fatal("same options generated different data")
	}
	seed := Generate(GenOptions{Seed: 1, Listings: 10_000, Receipts: 300})
	states := map[string]int{}
	for _, l := range seed.Shops[0].Listings {
		states[l.State]++
	}
	for _, s := range listingStates {
		if states[s] == 0 {
			t.Errorf("no %s listings generated", s)
		}
	}
	sb := New(Config{})
	var buf strings.Builder
	_ = json.NewEncoder(&buf).Encode(seed)
	if err := sb.LoadSeed(strings.NewReader(buf.String())); err != nil {
		t.Fatal(err)
	}
}

// Etsy returns readiness_state_id only for active physical listings and null
// otherwise, yet refuses a write whose offering lacks one: a client that
// echoes what it read fails on every listing that is not active.
func TestReadinessStateIDNullWhenListingNotActive(t *testing.T) {
	e := newEnv(t, Config{})
	readiness := func(l Listing) []any {
		t.Helper()
		status, out := e.get(fmt.Sprintf("/v3/application/listings/%d/inventory", l.ListingID))
		if status != 200 {
			t.Fatalf("inventory of %d: %d %v", l.ListingID, status, out)
		}
		var ids []any
		for _, p := range out["products"].([]any) {
			for _, o := range p.(map[string]any)["offerings"].([]any) {
				ids = append(ids, o.(map[string]any)["readiness_state_id"])
			}
		}
		return ids
	}
	for _, id := range readiness(e.listingOf(StateActive, false)) {
		if id == nil {
			t.Fatal("an active listing shows a null readiness_state_id")
		}
	}
	for _, state := range []string{StateInactive, StateSoldOut} {
		for _, id := range readiness(e.listingOf(state, false)) {
			if id != nil {
				t.Fatalf("a %s listing shows readiness_state_id %v, want null as Etsy may send", state, id)
			}
		}
	}
	// A batch read is neither shop-scoped nor about one listing: null even
	// for an active listing.
	active := e.listingOf(StateActive, false)
	status, out := e.get(fmt.Sprintf("/v3/application/listings/batch/inventory?listing_ids=%d", active.ListingID))
	if status != 200 {
		t.Fatalf("batch inventory: %d %v", status, out)
	}
	for _, res := range out["results"].([]any) {
		for _, p := range res.(map[string]any)["inventory"].(map[string]any)["products"].([]any) {
			for _, o := range p.(map[string]any)["offerings"].([]any) {
				if id := o.(map[string]any)["readiness_state_id"]; id != nil {
					t.Fatalf("a batch read shows readiness_state_id %v, want null as Etsy may send", id)
				}
			}
		}
	}

	l := e.listingOf(StateInactive, false)
	path := fmt.Sprintf("/v3/application/listings/%d/inventory", l.ListingID)
	put := func(name, offering string) {
		body := `{"products":[{"sku":"P1","property_values":[],"offerings":[` + offering + `]}]}`
		status, _, out := e.do("PUT", path, "application/json", body)
		if msg, _ := out["error"].(string); status != 400 || !strings.Contains(msg, "readiness_state_id") {
			t.Errorf("%s readiness_state_id: %d %v, want 400 naming it", name, status, out)
		}
	}
	// null fits the description's shape; only Etsy's rule refuses it.
	put("null", `{"price":9.99,"quantity":2,"is_enabled":true,"readiness_state_id":null}`)
	e.refuse("missing readiness_state_id", func() {
		put("missing", `{"price":9.99,"quantity":2,"is_enabled":true}`)
	})
}

// The Answered hook runs after a successful answer has reached the client,
// so a test can sell between a client's inventory read and its write.
func TestAnsweredHookRunsAfterTheAnswer(t *testing.T) {
	var e *env
	got := make(chan string, 4)
	e = newEnv(t, Config{Answered: func(op string, r *http.Request) {
		if op == "getListingInventory" {
			got <- r.PathValue("listing_id")
		}
	}})
	l := e.listingOf(StateActive, false)
	if status, _ := e.get(fmt.Sprintf("/v3/application/listings/%d/inventory", l.ListingID)); status != 200 {
		t.Fatalf("inventory: %d", status)
	}
	if id := <-got; id != fmt.Sprint(l.ListingID) {
		t.Fatalf("hook saw listing %s, want %d", id, l.ListingID)
	}
	// A refused call is not announced.
	if status, _ := e.get("/v3/application/listings/1/inventory"); status != 404 {
		t.Fatalf("unknown listing: %d", status)
	}
	select {
	case id := <-got:
		t.Fatalf("hook ran for a refused call (listing %s)", id)
	default:
	}
}

// The admin surface answers a change it made with {"ok": true} and one it
// refused with the hook's error and the status that error calls for.
func TestAdminRoutesAnswer(t *testing.T) {
	e := newEnv(t, Config{})
	shop := e.sb.Shops()[0].ShopID
	for _, c := range []struct {
		path, body string
		status     int
		says       string
	}{
		{"/_sandbox/faults", `{"operation":"getMe","kind":"500","count":1}`, 200, `"ok":true`},
		{"/_sandbox/faults", `{"operation":"nope","kind":"500","count":1}`, 400, "unknown operation"},
		{"/_sandbox/revoke", fmt.Sprintf(`{"shop_id":%d}`, shop), 200, `"ok":true`},
		{"/_sandbox/revoke", `{"shop_id":1}`, 404, "not found"},
		{"/_sandbox/calls/reset", ``, 200, `"ok":true`},
		{"/_sandbox/webhook", `{"url":"http://127.0.0.1:9/hook","secret":"whsec_MDEyMzQ1Njc4OWFiY2RlZg=="}`, 200, `"ok":true`},
		{"/_sandbox/webhook", `{"url":"http://127.0.0.1:9/hook","secret":"plain"}`, 400, "whsec_"},
	} {
		resp, err := http.Post(e.srv.URL+c.path, "application/json", strings.NewReader(c.body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status || !strings.Contains(string(b), c.says) {
			t.Errorf("POST %s %s: %d %s, want %d with %q", c.path, c.body, resp.StatusCode, b, c.status, c.says)
		}
	}
}

func TestClearFaultsDropsTheFaultsNotPlayed(t *testing.T) {
	sb := New(Config{})
	if err := sb.InjectFault("getShopReceipts", Fault{Kind: Fault500, Count: 2}); err != nil {
		t.Fatal(err)
	}
	if err := sb.InjectFault("updateListingInventory", Fault{Kind: Fault429, Count: 1}); err != nil {
		t.Fatal(err)
	}
	if n := sb.ClearFaults(); n != 3 {
		t.Errorf("cleared %d faulty calls, want 3", n)
	}
	if _, ok := sb.takeFault("getShopReceipts"); ok {
		t.Error("a cleared fault was played")
	}
}
