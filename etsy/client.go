// Package etsy is Stockroom's client for Etsy Open API v3: typed calls for
// the endpoints Stockroom uses, OAuth 2.0 with PKCE, per-shop rate limiting
// learned from Etsy's headers, and errors typed by what the caller should do.
//
// This file holds the Client, its Config and the request path every call
// takes: pacing, headers, timeout, size cap, error mapping, and the single
// refresh-and-retry on an expired token.
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
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"

	"github.com/stockroom/stockroom/internal/ctxsleep"
)

// Config configures a Client. Zero values take the documented defaults.
type Config struct {
	// APIBaseURL is the API root; paths like /application/users/me are
	// appended. Default "https://api.etsy.com/v3".
	APIBaseURL string
	// AuthURL is the consent page. Default "https://www.etsy.com/oauth/connect".
	AuthURL string
	// TokenURL is the token endpoint. Default
	// "https://api.etsy.com/v3/public/oauth/token".
	TokenURL string
	// Keystring and SharedSecret identify the Etsy app; both are required.
	Keystring    string
	SharedSecret string
	// RedirectURL is the registered OAuth callback, needed for connecting shops.
	RedirectURL string
	// HTTPClient sends every request. Default: a client without its own
	// timeout (Timeout below applies per call).
	HTTPClient *http.Client
	// Timeout bounds each HTTP call, waiting for a rate-limit slot excluded.
	// Default 30s.
	Timeout time.Duration
	// MaxResponseBytes caps a response body. Default 16 MiB.
	MaxResponseBytes int64
	// AppMaxPerSecond is an app-wide ceiling across all keys, for when Etsy
	// counts limits per API key rather than per token. 0 means none.
	AppMaxPerSecond float64
	// Ledger shares each key's day budget between the server processes
	// that use one database (ledger.go): every call is reserved in it
	// before it is sent. Default: the budget is kept in this process only.
	Ledger Ledger
	// Logger receives one debug line per call. Default: discard.
	Logger *slog.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

const (
	defaultAPIBaseURL       = "https://api.etsy.com/v3"
	defaultAuthURL          = "https://www.etsy.com/oauth/connect"
	defaultTokenURL         = "https://api.etsy.com/v3/public/oauth/token"
	defaultTimeout          = 30 * time.Second
	defaultMaxResponseBytes = 16 << 20
)

// Scopes are the OAuth scopes Stockroom asks a seller for.
var Scopes = []string{"listings_r", "listings_w", "shops_r", "transactions_r"}

// Client talks to Etsy for any number of shops. It is safe for concurrent use.
type Client struct {
	cfg    Config
	base   string
	http   *http.Client
	oauth  *oauth2.Config
	limits *limiter
	// readiness caches each shop's default readiness_state_id (readiness.go).
	readiness *readinessCache
	log       *slog.Logger
	now       func() time.Time
	// sleep waits for a rate-limit slot; tests replace it to drive a fake clock.
	sleep func(ctx context.Context, d time.Duration) error
}

// New validates cfg, applies defaults and returns a Client.
func New(cfg Config) (*Client, error) {
	if cfg.Keystring == "" || cfg.SharedSecret == "" {
		return nil, errors.New("etsy: keystring and shared secret are both required")
	}
	if strings.ContainsAny(cfg.Keystring, ": \r\n") || strings.ContainsAny(cfg.SharedSecret, "\r\n") {
		return nil, errors.New("etsy: keystring or shared secret holds a character not allowed in a header")
	}
	if cfg.APIBaseURL == "" {
		cfg.APIBaseURL = defaultAPIBaseURL
	}
	if cfg.AuthURL == "" {
		cfg.AuthURL = defaultAuthURL
	}
	if cfg.TokenURL == "" {
		cfg.TokenURL = defaultTokenURL
	}
	for name, raw := range map[string]string{"API base URL": cfg.APIBaseURL, "auth URL": cfg.AuthURL, "token URL": cfg.TokenURL} {
		if err := checkURL(raw); err != nil {
			return nil, fmt.Errorf("etsy: %s: %w", name, err)
		}
	}
	if cfg.RedirectURL != "" {
		if err := checkURL(cfg.RedirectURL); err != nil {
			return nil, fmt.Errorf("etsy: redirect URL: %w", err)
		}
	}
	if cfg.Timeout < 0 || cfg.MaxResponseBytes < 0 || cfg.AppMaxPerSecond < 0 {
		return nil, errors.New("etsy: timeout, response cap and app rate must not be negative")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = defaultTimeout
	}
	if cfg.MaxResponseBytes == 0 {
		cfg.MaxResponseBytes = defaultMaxResponseBytes
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	c := &Client{
		cfg:  cfg,
		base: strings.TrimRight(cfg.APIBaseURL, "/"),
		http: cfg.HTTPClient,
		oauth: &oauth2.Config{
			ClientID:    cfg.Keystring,
			RedirectURL: cfg.RedirectURL,
			Scopes:      Scopes,
			Endpoint: oauth2.Endpoint{
				AuthURL:   cfg.AuthURL,
				TokenURL:  cfg.TokenURL,
				AuthStyle: oauth2.AuthStyleInParams,
			},
		},
		limits:    newLimiter(cfg.Now, cfg.AppMaxPerSecond, cfg.Ledger != nil),
		readiness: &readinessCache{},
		log:       cfg.Logger,
		now:       cfg.Now,
		sleep:     ctxsleep.For,
	}
	return c, nil
}

func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%q is not an absolute http(s) URL", raw)
	}
	return nil
}

// Budget reports what is known of key's rate limits.
// With a Ledger, the day figures are the ledger's: what every process sees.
func (c *Client) Budget(key string) Budget { return c.sharedBudget(key, c.limits.budget(key)) }

// Calls reports how many API requests were sent for key since the Client
// was made, retries included.
func (c *Client) Calls(key string) int64 { return c.limits.calls(key) }

// TokenSource gives the access token of one shop. Refresh must obtain a new
// access token (usually through Client.Refresh) and persist the rotated
// refresh token before returning: Etsy's refresh tokens are single use.
// Concurrent calls of one shop may all see a 401 at once, so Refresh must be
// safe for concurrent use and should hand out a token another caller just
// obtained rather than spend the refresh token again.
type TokenSource interface {
	AccessToken(ctx context.Context) (string, error)
	Refresh(ctx context.Context) (string, error)
}

// StoreKey is the key a Stockroom store's calls count against: Etsy counts
// limits per OAuth token, that is per shop, and a store is one shop. Every
// place that paces, reserves or shows a store's budget uses this key.
func StoreKey(storeID int64) string { return strconv.FormatInt(storeID, 10) }

// ShopClient makes calls with one shop's token, paced under key's budget.
type ShopClient struct {
	c      *Client
	key    string
	tokens TokenSource
}

// Shop returns a ShopClient whose calls use tokens and count against key,
// normally the store's id in Stockroom.
func (c *Client) Shop(key string, tokens TokenSource) *ShopClient {
	return &ShopClient{c: c, key: key, tokens: tokens}
}

type apiRequest struct {
	method      string
	path        string // below APIBaseURL, starting with /application/
	query       url.Values
	body        []byte
	contentType string
}

// errUnauthorized marks a 401 so do can refresh once.
type errUnauthorized struct{ msg string }

func (e *errUnauthorized) Error() string { return "etsy: unauthorized: " + e.msg }

// do runs req and decodes a 2xx body into out (when not nil). A 401 leads
// to one refresh and one retry.
func (s *ShopClient) do(ctx context.Context, req apiRequest, out any) error {
	token, err := s.tokens.AccessToken(ctx)
	if err != nil {
		return fmt.Errorf("etsy: access token: %w", err)
	}
	err = s.attempt(ctx, req, token, out)
	var unauth *errUnauthorized
	if !errors.As(err, &unauth) {
		return err
	}
	token, err = s.tokens.Refresh(ctx)
	if err != nil {
		return fmt.Errorf("etsy: refresh access token: %w", err)
	}
	err = s.attempt(ctx, req, token, out)
	if errors.As(err, &unauth) {
		return fmt.Errorf("%w: %s", ErrTokenExpired, unauth.msg)
	}
	return err
}

func (s *ShopClient) attempt(ctx context.Context, req apiRequest, token string, out any) error {
	c := s.c
	res, err := c.limits.reserve(s.key)
	if err != nil {
		return err
	}
	ticket, err := s.reserveShared(ctx)
	if err != nil {
		c.limits.release(res, false)
		return err
	}
	if err := c.sleep(ctx, res.wait); err != nil {
		// The call is not sent: its slot and budget go back.
		c.limits.release(res, false)
		s.settleShared(ctx, ticket, nil, false)
		return fmt.Errorf("etsy: waiting for rate limit: %w", err)
	}
	// A call that ends without Etsy's headers keeps its unit spent.
	defer c.limits.release(res, true)
	defer s.settleShared(ctx, ticket, nil, true)

	callCtx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	u := c.base + req.path
	if len(req.query) > 0 {
		u += "?" + req.query.Encode()
	}
	var body io.Reader
	if req.body != nil {
		body = bytes.NewReader(req.body)
	}
	hreq, err := http.NewRequestWithContext(callCtx, req.method, u, body)
	if err != nil {
		c.limits.release(res, false)
		s.settleShared(ctx, ticket, nil, false)
		return fmt.Errorf("etsy: build request: %w", err)
	}
	hreq.Header.Set("x-api-key", c.cfg.Keystring+":"+c.cfg.SharedSecret)
	hreq.Header.Set("Authorization", "Bearer "+token)
	hreq.Header.Set("Accept", "application/json")
	if req.contentType != "" {
		hreq.Header.Set("Content-Type", req.contentType)
	}

	start := c.now()
	c.limits.countCall(s.key)
	if n, ok := ctx.Value(callCounterKey{}).(*atomic.Int64); ok {
		n.Add(1)
	}
	resp, err := c.http.Do(hreq)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("etsy: %s %s: %w", req.method, req.path, ctx.Err())
		}
		return &TransientError{Err: fmt.Errorf("%s %s: %w", req.method, req.path, err)}
	}
	defer resp.Body.Close()
	requestID := resp.Header.Get("X-Etsy-Request-Uuid")
	c.limits.observe(res, resp.Header)
	if resp.StatusCode != http.StatusTooManyRequests {
		s.settleShared(ctx, ticket, resp.Header, true)
	}
	data, readErr := readCapped(resp.Body, c.cfg.MaxResponseBytes)
	c.log.Debug("etsy call", "key", s.key, "method", req.method, "path", req.path,
		"status", resp.StatusCode, "duration", c.now().Sub(start), "request_id", requestID)
	if readErr != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("etsy: %s %s: %w", req.method, req.path, ctx.Err())
		}
		return &TransientError{Status: resp.StatusCode, RequestID: requestID, Err: readErr}
	}

	status := resp.StatusCode
	switch {
	case status >= 200 && status < 300:
		if out == nil {
			return nil
		}
		if err := json.Unmarshal(data, out); err != nil {
			return &TransientError{Status: status, RequestID: requestID, Err: fmt.Errorf("malformed response: %w", err)}
		}
		return nil
	case status == http.StatusTooManyRequests:
		code, desc := parseErrorBody(data)
		msg := joinMessage(code, desc)
		daily := strings.Contains(strings.ToLower(msg), "daily") || resp.Header.Get("x-remaining-today") == "0"
		retryAfter, ok := parseRetryAfter(resp.Header.Get("Retry-After"), c.now())
		if !ok {
			retryAfter = perSecondHold
			if daily {
				retryAfter = dailyProbeInterval
			}
		}
		c.limits.block(s.key, retryAfter, daily)
		if daily {
			// Whatever the headers said, nothing is left today.
			h := resp.Header.Clone()
			h.Set("x-remaining-today", "0")
			s.settleShared(ctx, ticket, h, true)
		} else {
			s.settleShared(ctx, ticket, resp.Header, true)
		}
		return &RateLimitError{RetryAfter: retryAfter, Daily: daily, Message: msg}
	case status == http.StatusUnauthorized:
		code, desc := parseErrorBody(data)
		return &errUnauthorized{msg: joinMessage(code, desc)}
	case status == http.StatusForbidden:
		code, desc := parseErrorBody(data)
		if code == "insufficient_scope" {
			return fmt.Errorf("%w: %s", ErrInsufficientScope, joinMessage(code, desc))
		}
		return &RejectedError{Status: status, Message: messageOr(joinMessage(code, desc), status), RequestID: requestID}
	case status >= 400 && status < 500:
		code, desc := parseErrorBody(data)
		return &RejectedError{Status: status, Message: messageOr(joinMessage(code, desc), status), RequestID: requestID}
	default:
		code, desc := parseErrorBody(data)
		return &TransientError{Status: status, RequestID: requestID, Err: errors.New(messageOr(joinMessage(code, desc), status))}
	}
}

// readCapped reads at most limit bytes and fails if the body is longer.
func readCapped(r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read response: %w", err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("response larger than %d bytes", limit)
	}
	return data, nil
}

// parseErrorBody reads Etsy's {"error": ..., "error_description": ...}.
func parseErrorBody(data []byte) (code, description string) {
	var e struct {
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
	}
	if json.Unmarshal(data, &e) == nil {
		return e.Error, e.ErrorDescription
	}
	text := strings.TrimSpace(string(data))
	if len(text) > 200 {
		text = text[:200]
	}
	return strings.ToValidUTF8(text, ""), ""
}

func joinMessage(code, description string) string {
	switch {
	case code == "":
		return description
	case description == "" || description == code:
		return code
	default:
		return code + ": " + description
	}
}

func messageOr(msg string, status int) string {
	if msg != "" {
		return msg
	}
	return http.StatusText(status)
}

type callCounterKey struct{}

// CountCalls returns a context under which every call the client sends to
// Etsy is counted in the returned counter. Calls(key) counts all of a shop's
// calls; this counts one piece of work's own, even while other work on the
// same shop runs at once (the sync log's "Etsy calls" of a run).
func CountCalls(ctx context.Context) (context.Context, *atomic.Int64) {
	n := new(atomic.Int64)
	return context.WithValue(ctx, callCounterKey{}, n), n
}
