// Tests of the request path: headers, error mapping, the refresh-and-retry,
// rate-limit learning and pacing, and each endpoint's parameters.
package etsy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stockroom/stockroom/internal/testclock"
)

// newFakeClock is a clock that only moves when the client waits.
func newFakeClock() *testclock.Fake {
	return testclock.NewFake(time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC))
}

// fakeTokens is a TokenSource whose Refresh hands out the next token.
type fakeTokens struct {
	mu         sync.Mutex
	access     string
	next       string
	refreshErr error
	refreshes  int
}

func (f *fakeTokens) AccessToken(context.Context) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.access, nil
}

func (f *fakeTokens) Refresh(context.Context) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refreshes++
	if f.refreshErr != nil {
		return "", f.refreshErr
	}
	f.access = f.next
	return f.access, nil
}

type testEnv struct {
	client *Client
	clock  *testclock.Fake
	server *httptest.Server
	tokens *fakeTokens
	shop   *ShopClient
}

func newEnv(t *testing.T, handler http.HandlerFunc, mutate ...func(*Config)) *testEnv {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	clock := newFakeClock()
	cfg := Config{
		APIBaseURL:   srv.URL + "/v3",
		AuthURL:      srv.URL + "/oauth/connect",
		TokenURL:     srv.URL + "/v3/public/oauth/token",
		Keystring:    "testkeystring",
		SharedSecret: "s3cret",
		RedirectURL:  "https://stockroom.example/callback",
		Timeout:      2 * time.Second,
		Now:          clock.Now,
	}
	for _, m := range mutate {
		m(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.sleep = clock.Sleep
	tokens := &fakeTokens{access: "12345678.oldtoken", next: "12345678.newtoken"}
	return &testEnv{client: c, clock: clock, server: srv, tokens: tokens, shop: c.Shop("store-1", tokens)}
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

func TestNewValidates(t *testing.T) {
	for name, cfg := range map[string]Config{
		"no secret":       {Keystring: "k"},
		"no keystring":    {SharedSecret: "s"},
		"colon in key":    {Keystring: "a:b", SharedSecret: "s"},
		"relative base":   {Keystring: "k", SharedSecret: "s", APIBaseURL: "/v3"},
		"negative budget": {Keystring: "k", SharedSecret: "s", Timeout: -time.Second},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: New accepted %+v", name, cfg)
		}
	}
	c, err := New(Config{Keystring: "k", SharedSecret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	if c.base != "https://api.etsy.com/v3" || c.cfg.Timeout != 30*time.Second || c.cfg.MaxResponseBytes != 16<<20 {
		t.Errorf("defaults not applied: %q %v %d", c.base, c.cfg.Timeout, c.cfg.MaxResponseBytes)
	}
}

func TestRequestHeaders(t *testing.T) {
	var got *http.Request
	env := newEnv(t, func(w http.ResponseWriter, r *http.Request) {
		got = r
		writeJSON(w, 200, `{"user_id": 12345678, "shop_id": 555}`)
	})
	me, err := env.shop.GetMe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if me.UserID != 12345678 || me.ShopID != 555 {
		t.Errorf("GetMe = %+v", me)
	}
	if got.URL.Path != "/v3/application/users/me" || got.Method != http.MethodGet {
		t.Errorf("request %s %s", got.Method, got.URL.Path)
	}
	if h := got.Header.Get("x-api-key"); h != "testkeystring:s3cret" {
		t.Errorf("x-api-key = %q", h)
	}
	if h := got.Header.Get("Authorization"); h != "Bearer 12345678.oldtoken" {
		t.Errorf("Authorization = %q", h)
	}
	if env.client.Calls("store-1") != 1 {
		t.Errorf("Calls = %d", env.client.Calls("store-1"))
	}
}

func TestLogsNoSecrets(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	env := newEnv(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "Bearer 12345678.oldtoken" {
			writeJSON(w, 401, `{"error":"invalid_token","error_description":"access token is expired"}`)
			return
		}
		writeJSON(w, 200, `{"user_id": 1, "shop_id": 2}`)
	}, func(c *Config) { c.Logger = logger })
	if _, err := env.shop.GetMe(context.Background()); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.Contains(out, "/application/users/me") {
		t.Fatalf("expected a log line per call, got %q", out)
	}
	for _, secret := range []string{"oldtoken", "newtoken", "s3cret"} {
		if strings.Contains(out, secret) {
			t.Errorf("log contains %q: %s", secret, out)
		}
	}
}

func TestErrorMapping(t *testing.T) {
	tests := []struct {
		name   string
		status int
		header map[string]string
		body   string
		check  func(t *testing.T, err error)
	}{
		{"server error", 500, nil, `{"error":"Server Error"}`, func(t *testing.T, err error) {
			var te *TransientError
			if !errors.As(err, &te) || te.Status != 500 || te.RequestID != "req-1" || !IsTransient(err) {
				t.Errorf("got %v", err)
			}
		}},
		{"gateway html", 502, nil, `<html>bad gateway</html>`, func(t *testing.T, err error) {
			if !IsTransient(err) {
				t.Errorf("got %v", err)
			}
		}},
		{"bad request", 400, nil, `{"error":"Invalid value for listing_ids"}`, func(t *testing.T, err error) {
			var re *RejectedError
			if !errors.As(err, &re) || re.Status != 400 || re.Message != "Invalid value for listing_ids" || IsTransient(err) {
				t.Errorf("got %v", err)
			}
		}},
		{"not found", 404, nil, `{"error":"Listing not found"}`, func(t *testing.T, err error) {
			if !IsNotFound(err) {
				t.Errorf("got %v", err)
			}
		}},
		{"conflict", 409, nil, `{"error":"Listing is being edited"}`, func(t *testing.T, err error) {
			var re *RejectedError
			if !errors.As(err, &re) || re.Status != 409 {
				t.Errorf("got %v", err)
			}
		}},
		{"insufficient scope", 403, nil, `{"error":"insufficient_scope","error_description":"Insufficient scope"}`, func(t *testing.T, err error) {
			if !errors.Is(err, ErrInsufficientScope) || !NeedsReauthorization(err) {
				t.Errorf("got %v", err)
			}
		}},
		{"missing shared secret", 403, nil, `{"error":"Shared secret is required in x-api-key header."}`, func(t *testing.T, err error) {
			var re *RejectedError
			if !errors.As(err, &re) || re.Status != 403 || NeedsReauthorization(err) {
				t.Errorf("got %v", err)
			}
		}},
		{"per-second 429", 429, map[string]string{"Retry-After": "2"}, `{"error":"Exceeded per second rate limit"}`, func(t *testing.T, err error) {
			var rl *RateLimitError
			if !errors.As(err, &rl) || rl.Daily || rl.RetryAfter != 2*time.Second {
				t.Errorf("got %v", err)
			}
		}},
		{"daily 429", 429, map[string]string{"Retry-After": "3600"}, `{"error":"Exceeded daily rate limit"}`, func(t *testing.T, err error) {
			var rl *RateLimitError
			if !errors.As(err, &rl) || !rl.Daily || rl.RetryAfter != time.Hour {
				t.Errorf("got %v", err)
			}
			if d, ok := IsRateLimited(err); !ok || d != time.Hour {
				t.Errorf("IsRateLimited = %v %v", d, ok)
			}
		}},
		{"malformed body", 200, nil, `{"user_id": "twelve"`, func(t *testing.T, err error) {
			if !IsTransient(err) {
				t.Errorf("got %v", err)
			}
		}},
		{"oversized body", 200, nil, `{"user_id": 1, "shop_id": 2, "padding": "` + strings.Repeat("x", 2000) + `"}`, func(t *testing.T, err error) {
			if !IsTransient(err) || !strings.Contains(err.Error(), "larger than") {
				t.Errorf("got %v", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Etsy-Request-Uuid", "req-1")
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				writeJSON(w, tt.status, tt.body)
			}, func(c *Config) { c.MaxResponseBytes = 1024 })
			_, err := env.shop.GetMe(context.Background())
			if err == nil {
				t.Fatal("no error")
			}
			tt.check(t, err)
		})
	}
}

func TestTimeoutIsTransient(t *testing.T) {
	release := make(chan struct{})
	env := newEnv(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}, func(c *Config) { c.Timeout = 50 * time.Millisecond })
	defer close(release)
	_, err := env.shop.GetMe(context.Background())
	if !IsTransient(err) {
		t.Fatalf("got %v", err)
	}
}

func TestCallerCancelIsNotTransient(t *testing.T) {
	env := newEnv(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, `{}`) })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := env.shop.GetMe(ctx)
	if !errors.Is(err, context.Canceled) || IsTransient(err) {
		t.Fatalf("got %v", err)
	}
}

func TestConnectionErrorIsTransient(t *testing.T) {
	env := newEnv(t, func(w http.ResponseWriter, r *http.Request) {})
	env.server.Close()
	_, err := env.shop.GetMe(context.Background())
	if !IsTransient(err) {
		t.Fatalf("got %v", err)
	}
}

func TestRefreshOnceRetryOnce(t *testing.T) {
	t.Run("expired then fresh", func(t *testing.T) {
		hits := 0
		env := newEnv(t, func(w http.ResponseWriter, r *http.Request) {
			hits++
			if r.Header.Get("Authorization") != "Bearer 12345678.newtoken" {
				writeJSON(w, 401, `{"error":"invalid_token","error_description":"access token is expired"}`)
				return
			}
			writeJSON(w, 200, `{"user_id": 12345678, "shop_id": 9}`)
		})
		me, err := env.shop.GetMe(context.Background())
		if err != nil || me.ShopID != 9 {
			t.Fatalf("GetMe = %+v, %v", me, err)
		}
		if env.tokens.refreshes != 1 || hits != 2 || env.client.Calls("store-1") != 2 {
			t.Errorf("refreshes=%d hits=%d calls=%d", env.tokens.refreshes, hits, env.client.Calls("store-1"))
		}
	})
	t.Run("still rejected after refresh", func(t *testing.T) {
		hits := 0
		env := newEnv(t, func(w http.ResponseWriter, r *http.Request) {
			hits++
			writeJSON(w, 401, `{"error":"invalid_token","error_description":"access token is invalid"}`)
		})
		_, err := env.shop.GetMe(context.Background())
		if !errors.Is(err, ErrTokenExpired) {
			t.Fatalf("got %v", err)
		}
		if env.tokens.refreshes != 1 || hits != 2 {
			t.Errorf("refreshes=%d hits=%d, want 1 and 2", env.tokens.refreshes, hits)
		}
	})
	t.Run("refresh revoked", func(t *testing.T) {
		hits := 0
		env := newEnv(t, func(w http.ResponseWriter, r *http.Request) {
			hits++
			writeJSON(w, 401, `{"error":"invalid_token","error_description":"access token is expired"}`)
		})
		env.tokens.refreshErr = fmt.Errorf("vault: %w", ErrRevoked)
		_, err := env.shop.GetMe(context.Background())
		if !errors.Is(err, ErrRevoked) || !NeedsReauthorization(err) {
			t.Fatalf("got %v", err)
		}
		if hits != 1 {
			t.Errorf("hits = %d, want 1", hits)
		}
	})
}

// limitHeaders sets Etsy's rate-limit headers.
func limitHeaders(w http.ResponseWriter, perSecond, remainingSecond, perDay, remainingToday int) {
	w.Header().Set("x-limit-per-second", fmt.Sprint(perSecond))
	w.Header().Set("x-remaining-this-second", fmt.Sprint(remainingSecond))
	w.Header().Set("x-limit-per-day", fmt.Sprint(perDay))
	w.Header().Set("x-remaining-today", fmt.Sprint(remainingToday))
}

// meEnv is a client whose Etsy answers every call with GetMe's body, its
// rate-limit headers set by headers (given the call's number, from 0; nil
// sets none); starts returns when each call reached Etsy, on the client's
// clock.
func meEnv(t *testing.T, headers func(w http.ResponseWriter, call int), mutate ...func(*Config)) (env *testEnv, starts func() []time.Time) {
	t.Helper()
	var mu sync.Mutex
	var at []time.Time
	env = newEnv(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		call := len(at)
		at = append(at, env.clock.Now())
		mu.Unlock()
		if headers != nil {
			headers(w, call)
		}
		writeJSON(w, 200, `{"user_id": 1, "shop_id": 2}`)
	}, mutate...)
	return env, func() []time.Time {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(at)
	}
}

func TestPacingStartsCautiousThenLearns(t *testing.T) {
	env, startsOf := meEnv(t, func(w http.ResponseWriter, _ int) { limitHeaders(w, 2, 1, 10000, 9000) })
	if b := env.client.Budget("store-1"); b.Known {
		t.Fatalf("budget known before any call: %+v", b)
	}
	for range 5 {
		if _, err := env.shop.GetMe(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	starts := startsOf()
	// First gap: the cautious 5/s start. Later gaps: the learned 2/s.
	if gap := starts[1].Sub(starts[0]); gap < 200*time.Millisecond {
		t.Errorf("gap 0-1 = %v, want >= 200ms", gap)
	}
	for i := 2; i < len(starts); i++ {
		if gap := starts[i].Sub(starts[i-1]); gap < 500*time.Millisecond {
			t.Errorf("gap %d-%d = %v, want >= 500ms", i-1, i, gap)
		}
	}
	b := env.client.Budget("store-1")
	if !b.Known || b.PerSecond != 2 || b.PerDay != 10000 || b.RemainingToday != 9000 || b.UpdatedAt.IsZero() {
		t.Errorf("budget = %+v", b)
	}
	// Another key has its own, still cautious, budget.
	if b := env.client.Budget("store-2"); b.Known {
		t.Errorf("store-2 budget = %+v", b)
	}
}

func TestSecondSpentWaitsASecond(t *testing.T) {
	env, startsOf := meEnv(t, func(w http.ResponseWriter, _ int) { limitHeaders(w, 100, 0, 10000, 9000) })
	for range 2 {
		if _, err := env.shop.GetMe(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	starts := startsOf()
	if gap := starts[1].Sub(starts[0]); gap < time.Second {
		t.Errorf("gap = %v after x-remaining-this-second: 0, want >= 1s", gap)
	}
}

// When the client's own pacing spends Etsy's second, the next call waits
// only until the first call of that second is a second old, not a whole
// second more: at the limit, throughput stays at the limit.
func TestSpentSecondAtTheLimitKeepsThroughput(t *testing.T) {
	env, startsOf := meEnv(t, func(w http.ResponseWriter, call int) { limitHeaders(w, 10, 9-call%10, 10000, 9000) })
	for range 21 {
		if _, err := env.shop.GetMe(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	starts := startsOf()
	// Calls 0-9 spend a second; call 10 may start a second after call 0.
	for _, i := range []int{10, 20} {
		gap := starts[i].Sub(starts[i-10])
		if gap < time.Second {
			t.Errorf("calls %d and %d are %v apart: more than 10 in a second", i-10, i, gap)
		}
		if gap > 1300*time.Millisecond {
			t.Errorf("calls %d and %d are %v apart: the spent second was waited out twice", i-10, i, gap)
		}
	}
}

func TestDailyBudgetSpentStopsCalls(t *testing.T) {
	hits := 0
	env := newEnv(t, func(w http.ResponseWriter, r *http.Request) {
		hits++
		limitHeaders(w, 10, 9, 10000, 0)
		writeJSON(w, 200, `{"user_id": 1, "shop_id": 2}`)
	})
	if _, err := env.shop.GetMe(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, err := env.shop.GetMe(context.Background())
	var rl *RateLimitError
	if !errors.As(err, &rl) || !rl.Daily || rl.RetryAfter <= 0 {
		t.Fatalf("got %v", err)
	}
	if hits != 1 {
		t.Errorf("hits = %d: the client called Etsy with no budget left", hits)
	}
	env.clock.Advance(rl.RetryAfter)
	if _, err := env.shop.GetMe(context.Background()); err != nil {
		t.Fatalf("probe after the wait: %v", err)
	}
	if hits != 2 {
		t.Errorf("hits = %d, want the probe to reach Etsy", hits)
	}
}

func TestRetryAfterBlocksKey(t *testing.T) {
	hits := 0
	limited := true
	env := newEnv(t, func(w http.ResponseWriter, r *http.Request) {
		hits++
		if limited {
			w.Header().Set("Retry-After", "30")
			writeJSON(w, 429, `{"error":"Exceeded per second rate limit"}`)
			return
		}
		writeJSON(w, 200, `{"user_id": 1, "shop_id": 2}`)
	})
	_, err := env.shop.GetMe(context.Background())
	if d, ok := IsRateLimited(err); !ok || d != 30*time.Second {
		t.Fatalf("got %v", err)
	}
	limited = false
	_, err = env.shop.GetMe(context.Background())
	if d, ok := IsRateLimited(err); !ok || d != 30*time.Second {
		t.Fatalf("second call: got %v", err)
	}
	if hits != 1 {
		t.Errorf("hits = %d: blocked key still called Etsy", hits)
	}
	if b := env.client.Budget("store-1"); !b.BlockedUntil.Equal(env.clock.Now().Add(30 * time.Second)) {
		t.Errorf("BlockedUntil = %v", b.BlockedUntil)
	}
	// Other shops are not held back.
	if _, err := env.client.Shop("store-2", env.tokens).GetMe(context.Background()); err != nil {
		t.Errorf("store-2: %v", err)
	}
	env.clock.Advance(30 * time.Second)
	if _, err := env.shop.GetMe(context.Background()); err != nil {
		t.Errorf("after retry-after: %v", err)
	}
}

func TestAppCeilingSpansKeys(t *testing.T) {
	env, startsOf := meEnv(t, nil, func(c *Config) { c.AppMaxPerSecond = 1 })
	for i := range 3 {
		if _, err := env.client.Shop(fmt.Sprintf("store-%d", i), env.tokens).GetMe(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	starts := startsOf()
	for i := 1; i < len(starts); i++ {
		if gap := starts[i].Sub(starts[i-1]); gap < time.Second {
			t.Errorf("gap %d = %v, want >= 1s across keys", i, gap)
		}
	}
}

func TestRealClockPacing(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"user_id": 1, "shop_id": 2}`)
	}))
	defer srv.Close()
	c, err := New(Config{APIBaseURL: srv.URL + "/v3", Keystring: "k", SharedSecret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	shop := c.Shop("store", &fakeTokens{access: "1.a"})
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			if _, err := shop.GetMe(context.Background()); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// Four concurrent calls at the cautious 5/s need three gaps of 200ms.
	if elapsed := time.Since(start); elapsed < 550*time.Millisecond {
		t.Errorf("4 calls took %v, want >= 600ms at 5/s", elapsed)
	}
	if n := c.Calls("store"); n != 4 {
		t.Errorf("Calls = %d", n)
	}
}

func TestGetListingsByShopParams(t *testing.T) {
	var got *http.Request
	env := newEnv(t, func(w http.ResponseWriter, r *http.Request) {
		got = r
		writeJSON(w, 200, `{"count": 1, "results": [{"listing_id": 11, "shop_id": 5, "title": "Mug", "state": "active", "quantity": 4,
			"price": {"amount": 1999, "divisor": 100, "currency_code": "USD"}, "skus": ["MUG"],
			"inventory": {"products": [{"product_id": 1, "sku": "MUG", "is_deleted": false, "property_values": [],
				"offerings": [{"offering_id": 2, "quantity": 4, "is_enabled": true, "is_deleted": false,
					"price": {"amount": 1999, "divisor": 100, "currency_code": "USD"}, "readiness_state_id": 7}]}],
				"price_on_property": [], "quantity_on_property": [], "sku_on_property": [], "readiness_state_on_property": []}}]}`)
	})
	page, err := env.shop.GetListingsByShop(context.Background(), 5, ListingsParams{State: StateInactive, Limit: 100, Offset: 200, IncludeInventory: true})
	if err != nil {
		t.Fatal(err)
	}
	if got.URL.Path != "/v3/application/shops/5/listings" {
		t.Errorf("path %s", got.URL.Path)
	}
	q := got.URL.Query()
	if q.Get("state") != "inactive" || q.Get("limit") != "100" || q.Get("offset") != "200" || q.Get("includes") != "Inventory" {
		t.Errorf("query %s", got.URL.RawQuery)
	}
	if page.Count != 1 || len(page.Results) != 1 {
		t.Fatalf("page %+v", page)
	}
	l := page.Results[0]
	if l.Inventory == nil || l.Inventory.Products[0].Offerings[0].Quantity != 4 || l.Price.String() != "19.99 USD" {
		t.Errorf("listing %+v", l)
	}

	for _, bad := range []ListingsParams{{Limit: 101}, {Offset: 12001}, {State: "removed"}, {Limit: -1}} {
		if _, err := env.shop.GetListingsByShop(context.Background(), 5, bad); err == nil {
			t.Errorf("accepted %+v", bad)
		}
	}
	if _, err := env.shop.GetListingsByShop(context.Background(), 0, ListingsParams{}); err == nil {
		t.Error("accepted shop id 0")
	}
	if n := env.client.Calls("store-1"); n != 1 {
		t.Errorf("invalid parameters spent calls: %d", n)
	}
}

// The single-object GETs put their ids in the path in order, and refuse an
// id that cannot be one without spending a call.
func TestSingleObjectGetsPathsAndIDs(t *testing.T) {
	var paths []string
	env := newEnv(t, func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.Path)
		writeJSON(w, 200, `{}`)
	})
	ctx := context.Background()
	calls := []func() error{
		func() error { _, err := env.shop.GetShop(ctx, 5); return err },
		func() error { _, err := env.shop.GetListingInventory(ctx, 11); return err },
		func() error { _, err := env.shop.GetShopReceipt(ctx, 5, 9); return err },
	}
	for _, call := range calls {
		if err := call(); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"/v3/application/shops/5", "/v3/application/listings/11/inventory", "/v3/application/shops/5/receipts/9"}
	if !slices.Equal(paths, want) {
		t.Fatalf("paths %q, want %q", paths, want)
	}
	bad := map[string]func() error{
		"shop 0":           func() error { _, err := env.shop.GetShop(ctx, 0); return err },
		"listing -1":       func() error { _, err := env.shop.GetListingInventory(ctx, -1); return err },
		"receipt 0":        func() error { _, err := env.shop.GetShopReceipt(ctx, 5, 0); return err },
		"receipt's shop 0": func() error { _, err := env.shop.GetShopReceipt(ctx, 0, 9); return err },
	}
	for name, call := range bad {
		if err := call(); err == nil || !strings.Contains(err.Error(), "invalid") {
			t.Errorf("%s: %v, want an invalid id error", name, err)
		}
	}
	if len(paths) != len(want) {
		t.Errorf("invalid ids spent %d calls", len(paths)-len(want))
	}
}

func TestGetShopReceiptsParams(t *testing.T) {
	var got *http.Request
	env := newEnv(t, func(w http.ResponseWriter, r *http.Request) {
		got = r
		writeJSON(w, 200, `{"count": 1, "results": [{"receipt_id": 77, "status": "paid", "is_paid": true, "name": "Ann",
			"created_timestamp": 1764000000, "updated_timestamp": 1764000100,
			"grandtotal": {"amount": 2500, "divisor": 100, "currency_code": "EUR"},
			"transactions": [{"transaction_id": 1, "receipt_id": 77, "listing_id": 11, "product_id": 3, "sku": "MUG", "quantity": 2,
				"price": {"amount": 1250, "divisor": 100, "currency_code": "EUR"},
				"variations": [{"property_id": 200, "value_id": 1, "formatted_name": "Color", "formatted_value": "Red"}]}]}]}`)
	})
	from := time.Unix(1764000000, 0)
	paid := true
	page, err := env.shop.GetShopReceipts(context.Background(), 5, ReceiptsParams{
		MinLastModified: from, MaxLastModified: from.Add(time.Hour), MinCreated: from.Add(-time.Hour),
		Limit: 50, Offset: 100, SortOn: "updated", SortOrder: "asc", WasPaid: &paid,
	})
	if err != nil {
		t.Fatal(err)
	}
	q := got.URL.Query()
	want := map[string]string{
		"min_last_modified": "1764000000", "max_last_modified": "1764003600", "min_created": "1763996400",
		"limit": "50", "offset": "100", "sort_on": "updated", "sort_order": "asc", "was_paid": "true",
	}
	for k, v := range want {
		if q.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, q.Get(k), v)
		}
	}
	if q.Has("max_created") || q.Has("was_shipped") {
		t.Errorf("unset filters sent: %s", got.URL.RawQuery)
	}
	r := page.Results[0]
	if r.ReceiptID != 77 || len(r.Transactions) != 1 || *r.Transactions[0].SKU != "MUG" || r.Transactions[0].Variations[0].FormattedValue != "Red" {
		t.Errorf("receipt %+v", r)
	}
	if _, err := env.shop.GetShopReceipts(context.Background(), 5, ReceiptsParams{SortOn: "price"}); err == nil {
		t.Error("accepted sort_on=price")
	}
	if _, err := env.shop.GetShopReceipts(context.Background(), 5, ReceiptsParams{MinCreated: time.Unix(100, 0)}); err == nil {
		t.Error("accepted a timestamp before 2000")
	}
}

func TestGetShopReceiptAndShopAndReadiness(t *testing.T) {
	env := newEnv(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v3/application/shops/5/receipts/77":
			writeJSON(w, 200, `{"receipt_id": 77, "status": "canceled"}`)
		case "/v3/application/shops/5":
			writeJSON(w, 200, `{"shop_id": 5, "shop_name": "MugHouse", "currency_code": "USD", "is_vacation": false, "listing_active_count": 12}`)
		case "/v3/application/shops/5/readiness-state-definitions":
			if r.URL.Query().Get("limit") != "100" {
				t.Errorf("readiness query %s", r.URL.RawQuery)
			}
			writeJSON(w, 200, `{"count": 1, "results": [{"shop_id": 5, "readiness_state_id": 7, "readiness_state": "ready_to_ship", "min_processing_days": 1, "max_processing_days": 3}]}`)
		default:
			writeJSON(w, 404, `{"error":"no such path"}`)
		}
	})
	ctx := context.Background()
	rec, err := env.shop.GetShopReceipt(ctx, 5, 77)
	if err != nil || rec.Status != ReceiptCanceled {
		t.Errorf("receipt %+v %v", rec, err)
	}
	shop, err := env.shop.GetShop(ctx, 5)
	if err != nil || shop.ShopName != "MugHouse" || shop.ListingActiveCount != 12 {
		t.Errorf("shop %+v %v", shop, err)
	}
	defs, err := env.shop.GetShopReadinessStateDefinitions(ctx, 5, 100, 0)
	if err != nil || len(defs.Results) != 1 || defs.Results[0].ReadinessStateID != 7 {
		t.Errorf("definitions %+v %v", defs, err)
	}
}

func TestUpdateListingIsFormEncodedPatch(t *testing.T) {
	var method, ctype, body string
	env := newEnv(t, func(w http.ResponseWriter, r *http.Request) {
		method, ctype = r.Method, r.Header.Get("Content-Type")
		b, _ := io.ReadAll(r.Body)
		body = string(b)
		writeJSON(w, 200, `{"listing_id": 11, "state": "inactive"}`)
	})
	l, err := env.shop.UpdateListing(context.Background(), 5, 11, UpdateListingRequest{State: StateInactive})
	if err != nil || l.State != StateInactive {
		t.Fatalf("%+v %v", l, err)
	}
	if method != http.MethodPatch || ctype != "application/x-www-form-urlencoded" || body != "state=inactive" {
		t.Errorf("%s %s %q", method, ctype, body)
	}
	if _, err := env.shop.UpdateListing(context.Background(), 5, 11, UpdateListingRequest{State: StateSoldOut}); err == nil {
		t.Error("accepted state sold_out")
	}
}

func TestUpdateListingInventorySendsJSON(t *testing.T) {
	var body map[string]any
	var ctype string
	env := newEnv(t, func(w http.ResponseWriter, r *http.Request) {
		ctype = r.Header.Get("Content-Type")
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			t.Error(err)
		}
		writeJSON(w, 200, `{"products": [{"product_id": 99, "sku": "MUG", "offerings": [{"offering_id": 98, "quantity": 3, "is_enabled": true,
			"price": {"amount": 1999, "divisor": 100, "currency_code": "USD"}}], "property_values": []}]}`)
	})
	req, err := BuildInventoryUpdate(singleProduct(), ProductMatch{SKU: "MUG"}, 3)
	if err != nil {
		t.Fatal(err)
	}
	inv, err := env.shop.UpdateListingInventory(context.Background(), 11, req)
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "application/json" || inv.Products[0].ProductID != 99 {
		t.Errorf("ctype %q inventory %+v", ctype, inv)
	}
	if _, ok := body["products"]; !ok {
		t.Errorf("body %v", body)
	}
	// A hand-built body is checked too.
	if _, err := env.shop.UpdateListingInventory(context.Background(), 11, UpdateInventoryRequest{}); err == nil {
		t.Error("sent an inventory without products")
	}
}

func TestBatchInventoryIsolatesMissingIDs(t *testing.T) {
	known := map[string]bool{"1": true, "2": true, "3": true, "5": true, "8": true}
	hits := 0
	env := newEnv(t, func(w http.ResponseWriter, r *http.Request) {
		hits++
		if r.URL.Path != "/v3/application/listings/batch/inventory" {
			t.Errorf("path %s", r.URL.Path)
		}
		ids := strings.Split(r.URL.Query().Get("listing_ids"), ",")
		var results []string
		for _, id := range ids {
			if !known[id] {
				writeJSON(w, 404, `{"error":"Listing not found"}`)
				return
			}
			results = append(results, fmt.Sprintf(`{"listing_id": %s, "inventory": {"products": []}}`, id))
		}
		writeJSON(w, 200, fmt.Sprintf(`{"count": %d, "results": [%s]}`, len(results), strings.Join(results, ",")))
	})
	batch, err := env.shop.GetListingsInventoryByIDs(context.Background(), []int64{8, 7, 6, 5, 4, 3, 2, 1, 1})
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, l := range batch.Listings {
		if l.Inventory == nil {
			t.Errorf("listing %d without inventory", l.ListingID)
		}
		got = append(got, l.ListingID)
	}
	if fmt.Sprint(got) != "[1 2 3 5 8]" || fmt.Sprint(batch.Missing) != "[4 6 7]" {
		t.Errorf("listings %v missing %v", got, batch.Missing)
	}
	// Halving costs at most 2n-1 calls for n ids.
	if hits > 15 {
		t.Errorf("%d calls for 8 ids", hits)
	}

	hits = 0
	batch, err = env.shop.GetListingsInventoryByIDs(context.Background(), []int64{1, 2, 3})
	if err != nil || len(batch.Listings) != 3 || len(batch.Missing) != 0 || hits != 1 {
		t.Errorf("all known: %+v %v hits=%d", batch, err, hits)
	}

	many := make([]int64, 101)
	for i := range many {
		many[i] = int64(i + 1)
	}
	if _, err := env.shop.GetListingsInventoryByIDs(context.Background(), many); err == nil {
		t.Error("accepted 101 ids")
	}
}

func TestBatchInventoryOtherErrorsPropagate(t *testing.T) {
	env := newEnv(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 500, `{"error":"Server Error"}`)
	})
	if _, err := env.shop.GetListingsInventoryByIDs(context.Background(), []int64{1, 2}); !IsTransient(err) {
		t.Errorf("got %v", err)
	}
}
