// Integration tests: the client against the in-memory Etsy sandbox, with
// every request and response checked against Etsy's OpenAPI description.
package etsy_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stockroom/stockroom/etsy"
	"github.com/stockroom/stockroom/etsy/etsyspec"
	"github.com/stockroom/stockroom/etsy/sandbox"
	"github.com/stockroom/stockroom/internal/testclock"
)

const (
	sbKey      = "sandboxkeystring"
	sbSecret   = "sandboxsecret"
	sbCallback = "https://stockroom.example/callback"
)

// vault is a TokenSource the way Stockroom's store keeps tokens: it
// refreshes through the client and keeps the rotated refresh token.
type vault struct {
	client *etsy.Client

	mu        sync.Mutex
	access    string
	refresh   string
	refreshes int
}

func (v *vault) AccessToken(context.Context) (string, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.access, nil
}

func (v *vault) Refresh(ctx context.Context) (string, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.refreshes++
	tok, err := v.client.Refresh(ctx, v.refresh)
	if err != nil {
		return "", err
	}
	v.access, v.refresh = tok.AccessToken, tok.RefreshToken
	return v.access, nil
}

type sbEnv struct {
	// lenient is set while a test provokes a response that breaks the
	// description on purpose (an injected malformed body).
	lenient atomic.Bool
	sb      *sandbox.Sandbox
	srv     *httptest.Server
	client  *etsy.Client
	clock   *testclock.Clock // shared by the sandbox, so tests can age tokens
	shop    sandbox.Shop
}

func newSandbox(t *testing.T) *sbEnv {
	t.Helper()
	clk := &testclock.Clock{}
	sb := sandbox.New(sandbox.Config{
		Keystring: sbKey, SharedSecret: sbSecret, RedirectURIs: []string{sbCallback},
		PerSecond: 50, PerDay: 10000, Now: clk.Now,
	})
	if err := sb.Load(sandbox.Generate(sandbox.GenOptions{Seed: 7, Listings: 30, Receipts: 20})); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb.Handler())
	t.Cleanup(srv.Close)
	sb.SetBaseURL(srv.URL)
	e := &sbEnv{sb: sb, srv: srv, clock: clk, shop: sb.Shops()[0]}
	report := func(err error) {
		if !e.lenient.Load() {
			t.Error(err)
		}
	}
	hc := &http.Client{Transport: etsyspec.NewValidatingTransport(report, nil)}
	client, err := etsy.New(etsy.Config{
		APIBaseURL:   srv.URL + "/v3",
		AuthURL:      srv.URL + "/oauth/connect",
		TokenURL:     srv.URL + "/v3/public/oauth/token",
		Keystring:    sbKey,
		SharedSecret: sbSecret,
		RedirectURL:  sbCallback,
		HTTPClient:   hc,
		Timeout:      5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.client = client
	return e
}

func (e *sbEnv) vault(t *testing.T) *vault {
	t.Helper()
	access, refresh, err := e.sb.IssueToken(e.shop.ShopID, etsy.Scopes...)
	if err != nil {
		t.Fatal(err)
	}
	return &vault{client: e.client, access: access, refresh: refresh}
}

func TestSandboxConnectShop(t *testing.T) {
	e := newSandbox(t)
	ctx := context.Background()
	verifier := etsy.GenerateVerifier()
	consent, err := url.Parse(e.client.AuthCodeURL("st-1", verifier))
	if err != nil {
		t.Fatal(err)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(consent.String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("consent page answered %d", resp.StatusCode)
	}
	// The seller presses Allow.
	form := consent.Query()
	form.Set("decision", "allow")
	form.Set("user_id", strconv.FormatInt(e.shop.UserID, 10))
	resp, err = noFollow.PostForm(e.srv.URL+"/oauth/connect", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || back.Query().Get("state") != "st-1" || back.Query().Get("code") == "" {
		t.Fatalf("redirect %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	code := back.Query().Get("code")

	tok, err := e.client.Exchange(ctx, code, verifier)
	if err != nil {
		t.Fatal(err)
	}
	if tok.UserID != e.shop.UserID || tok.Expiry.Before(time.Now()) {
		t.Errorf("token user %d expiry %v", tok.UserID, tok.Expiry)
	}
	if _, err := e.client.Exchange(ctx, code, verifier); !errors.Is(err, etsy.ErrRevoked) {
		t.Errorf("reused code: %v", err)
	}

	v := &vault{client: e.client, access: tok.AccessToken, refresh: tok.RefreshToken}
	me, err := e.client.Shop("connect", v).GetMe(ctx)
	if err != nil || me.ShopID != e.shop.ShopID || me.UserID != e.shop.UserID {
		t.Fatalf("GetMe = %+v, %v", me, err)
	}

	// Refresh tokens are single use.
	old := v.refresh
	if _, err := v.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if v.refresh == old {
		t.Error("refresh token not rotated")
	}
	if _, err := e.client.Refresh(ctx, old); !errors.Is(err, etsy.ErrRevoked) {
		t.Errorf("reused refresh token: %v", err)
	}
}

func TestSandboxStockChange(t *testing.T) {
	e := newSandbox(t)
	ctx := context.Background()
	shop := e.client.Shop("stock", e.vault(t))
	shopID := e.shop.ShopID

	info, err := shop.GetShop(ctx, shopID)
	if err != nil || info.ShopName != e.shop.Name {
		t.Fatalf("GetShop = %+v, %v", info, err)
	}
	if defs, err := shop.GetShopReadinessStateDefinitions(ctx, shopID, 100, 0); err != nil || len(defs.Results) == 0 {
		t.Fatalf("readiness definitions = %+v, %v", defs, err)
	}

	var all []etsy.Listing
	for _, state := range []string{etsy.StateActive, etsy.StateInactive, etsy.StateSoldOut, etsy.StateDraft, etsy.StateExpired} {
		for offset := 0; ; offset += 10 {
			page, err := shop.GetListingsByShop(ctx, shopID, etsy.ListingsParams{State: state, Limit: 10, Offset: offset, IncludeInventory: true})
			if err != nil {
				t.Fatalf("%s listings: %v", state, err)
			}
			all = append(all, page.Results...)
			if offset+len(page.Results) >= page.Count || len(page.Results) == 0 {
				break
			}
		}
	}
	if len(all) != 30 {
		t.Fatalf("read %d listings, the shop has 30", len(all))
	}

	// A listing with variations, active, where another product keeps stock.
	var target etsy.Listing
	for _, l := range all {
		if l.State == etsy.StateActive && l.Inventory != nil && len(l.Inventory.Products) > 2 {
			target = l
			break
		}
	}
	if target.ListingID == 0 {
		t.Fatal("demo data has no active listing with variations")
	}

	other := all[len(all)-1].ListingID
	batch, err := shop.GetListingsInventoryByIDs(ctx, []int64{target.ListingID, other, 1})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(batch.Missing, []int64{1}) || len(batch.Listings) != 2 {
		t.Fatalf("batch: %d listings, missing %v", len(batch.Listings), batch.Missing)
	}

	inv, err := shop.GetListingInventory(ctx, target.ListingID)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]int{}
	for _, p := range inv.Products {
		keys[etsy.ProductKey(inv, p)] = p.Offerings[0].Quantity
	}
	chosen := inv.Products[1]
	match := etsy.MatchFor(inv, chosen)
	newQty := (chosen.Offerings[0].Quantity + 3) % 1000
	req, err := etsy.BuildInventoryUpdate(inv, match, newQty)
	if err != nil {
		t.Fatal(err)
	}
	written, err := shop.UpdateListingInventory(ctx, target.ListingID, req)
	if err != nil {
		t.Fatal(err)
	}
	after, err := shop.GetListingInventory(ctx, target.ListingID)
	if err != nil {
		t.Fatal(err)
	}
	if len(after.Products) != len(inv.Products) || len(written.Products) != len(inv.Products) {
		t.Fatalf("products %d -> %d: a variation was lost", len(inv.Products), len(after.Products))
	}
	for _, p := range after.Products {
		key := etsy.ProductKey(after, p)
		want, ok := keys[key]
		if !ok {
			t.Errorf("product %s appeared", key)
			continue
		}
		if key == match.Key() {
			want = newQty
		}
		if got := p.Offerings[0].Quantity; got != want {
			t.Errorf("%s: quantity %d, want %d", key, got, want)
		}
	}
	if i, err := match.Find(after); err != nil || after.Products[i].Offerings[0].Quantity != newQty {
		t.Errorf("the changed product is not found again: %d %v", i, err)
	}

	// Zero stock everywhere is refused locally; the listing is deactivated instead.
	l, err := shop.UpdateListing(ctx, shopID, target.ListingID, etsy.UpdateListingRequest{State: etsy.StateInactive})
	if err != nil || l.State != etsy.StateInactive {
		t.Fatalf("deactivate: %+v %v", l, err)
	}

	b := e.client.Budget("stock")
	if !b.Known || b.PerSecond != 50 || b.PerDay != 10000 || b.RemainingToday <= 0 {
		t.Errorf("budget %+v", b)
	}
	if n := e.client.Calls("stock"); n < 10 {
		t.Errorf("Calls = %d", n)
	}
}

func TestSandboxReceipts(t *testing.T) {
	e := newSandbox(t)
	ctx := context.Background()
	shop := e.client.Shop("receipts", e.vault(t))
	page, err := shop.GetShopReceipts(ctx, e.shop.ShopID, etsy.ReceiptsParams{
		MinLastModified: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), Limit: 100, SortOn: "updated", SortOrder: "asc",
	})
	if err != nil {
		t.Fatal(err)
	}
	if page.Count != 20 || len(page.Results) != 20 {
		t.Fatalf("receipts %d of %d", len(page.Results), page.Count)
	}
	first := page.Results[0]
	one, err := shop.GetShopReceipt(ctx, e.shop.ShopID, first.ReceiptID)
	if err != nil || one.ReceiptID != first.ReceiptID || len(one.Transactions) == 0 {
		t.Fatalf("receipt %+v %v", one, err)
	}
	if _, err := shop.GetShopReceipt(ctx, e.shop.ShopID, 1); !etsy.IsNotFound(err) {
		t.Errorf("unknown receipt: %v", err)
	}
}

func TestSandboxTokenLifecycle(t *testing.T) {
	e := newSandbox(t)
	ctx := context.Background()
	v := e.vault(t)
	shop := e.client.Shop("tokens", v)

	e.clock.Advance(2 * time.Hour) // the access token expires after one
	if _, err := shop.GetMe(ctx); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	if v.refreshes != 1 {
		t.Errorf("refreshes = %d, want 1", v.refreshes)
	}

	if err := e.sb.RevokeTokens(e.shop.ShopID); err != nil {
		t.Fatal(err)
	}
	_, err := shop.GetMe(ctx)
	if !errors.Is(err, etsy.ErrRevoked) || !etsy.NeedsReauthorization(err) {
		t.Fatalf("after a password change: %v", err)
	}
}

func TestSandboxFaults(t *testing.T) {
	e := newSandbox(t)
	ctx := context.Background()
	shop := e.client.Shop("faults", e.vault(t))
	for _, tc := range []struct {
		kind  sandbox.FaultKind
		check func(error) bool
	}{
		{sandbox.Fault500, etsy.IsTransient},
		{sandbox.FaultMalformed, etsy.IsTransient},
		{sandbox.Fault429, func(err error) bool { _, ok := etsy.IsRateLimited(err); return ok }},
	} {
		if err := e.sb.InjectFault("getShop", sandbox.Fault{Kind: tc.kind, Count: 1}); err != nil {
			t.Fatal(err)
		}
		e.lenient.Store(tc.kind == sandbox.FaultMalformed)
		_, err := shop.GetShop(ctx, e.shop.ShopID)
		e.lenient.Store(false)
		if !tc.check(err) {
			t.Errorf("%s: got %v", tc.kind, err)
		}
	}
	// The 429 holds the key back without another call to Etsy.
	before := e.client.Calls("faults")
	if _, err := shop.GetShop(ctx, e.shop.ShopID); err == nil {
		t.Error("call went through during retry-after")
	} else if !strings.Contains(err.Error(), "rate limit") {
		t.Errorf("got %v", err)
	}
	if e.client.Calls("faults") != before {
		t.Error("blocked key still called Etsy")
	}
}

// A listing that is not active reads with readiness_state_id null; writing
// its stock must still send one, taken from the shop's processing profiles,
// which are asked for once per shop, not once per write.
func TestReadinessStateIDNullIsFilledFromShopDefinitions(t *testing.T) {
	e := newSandbox(t)
	ctx := context.Background()
	shop := e.client.Shop("readiness", e.vault(t))
	defs, err := shop.GetShopReadinessStateDefinitions(ctx, e.shop.ShopID, 100, 0)
	if err != nil || len(defs.Results) == 0 {
		t.Fatalf("definitions: %+v %v", defs, err)
	}
	var inactive []etsy.Listing
	page, err := shop.GetListingsByShop(ctx, e.shop.ShopID, etsy.ListingsParams{State: etsy.StateInactive, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	inactive = page.Results
	if len(inactive) < 2 {
		t.Fatalf("the generated shop has %d inactive listings, want 2", len(inactive))
	}
	e.sb.ResetCalls()
	for _, l := range inactive[:2] {
		inv, err := shop.GetListingInventory(ctx, l.ListingID)
		if err != nil {
			t.Fatal(err)
		}
		p := inv.Products[0]
		if p.Offerings[0].ReadinessStateID != nil {
			t.Fatalf("listing %d reads readiness %d; the sandbox must send null for inactive listings", l.ListingID, *p.Offerings[0].ReadinessStateID)
		}
		req, err := etsy.BuildInventoryUpdate(inv, etsy.MatchFor(inv, p), p.Offerings[0].Quantity+1)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := shop.UpdateListingInventory(ctx, l.ListingID, req); err != nil {
			t.Fatalf("write to inactive listing %d: %v", l.ListingID, err)
		}
		after, _ := e.sb.Inventory(l.ListingID)
		got := after.Products[0].Offerings[0].ReadinessStateID
		if !slices.ContainsFunc(defs.Results, func(d etsy.ReadinessStateDefinition) bool { return d.ReadinessStateID == got }) {
			t.Fatalf("written readiness %d is not one of the shop's definitions", got)
		}
	}
	if n := e.sb.Calls()["getShopReadinessStateDefinitions"]; n != 1 {
		t.Fatalf("definitions asked %d times for two writes, want once per shop", n)
	}
}
