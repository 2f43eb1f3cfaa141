// Package sandbox is an in-memory Etsy: the Open API v3 endpoints Stockroom
// uses, the OAuth authorize page and token endpoint, rate limits, and hooks
// that let tests inject faults and simulate sales. It behaves as strictly as
// Etsy is known to (see etsy/FACTS.md) so a client that passes against it is
// not relying on leniency.
package sandbox

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// RateLimitMode says whose calls share a rate-limit budget.
type RateLimitMode int

const (
	// PerToken gives every OAuth access token its own budget (the wording of
	// Etsy's docs for authenticated calls). Calls without a token are counted
	// against the API key.
	PerToken RateLimitMode = iota
	// PerAPIKey makes all calls of the app share one budget.
	PerAPIKey
)

// Config configures a Sandbox. Zero values are usable except Keystring and
// SharedSecret, which New fills with fixed test values when empty.
type Config struct {
	Keystring    string
	SharedSecret string
	// RedirectURIs are the registered OAuth callbacks; empty accepts any
	// non-empty redirect_uri.
	RedirectURIs []string
	// PerSecond and PerDay are the rate limits; 0 means unlimited (and the
	// matching headers are not sent).
	PerSecond int
	PerDay    int
	Mode      RateLimitMode
	// Now is the clock; tests pass a controllable one. Defaults to time.Now.
	Now func() time.Time
	// Logger receives one line per request; nil discards.
	Logger *slog.Logger
	// BaseURL is the sandbox's public URL, used in webhook resource_url and
	// listing urls. Defaults to https://openapi.etsy.com.
	BaseURL string
	// TimeoutDelay is how long a FaultTimeout holds a request when the
	// client does not give up first. Defaults to one minute.
	TimeoutDelay time.Duration
	// WebhookClient sends webhooks; defaults to a client with a 10 s timeout.
	WebhookClient *http.Client
	// Answered, when set, is called after an API call was answered
	// successfully and the answer flushed to the client, with the operation
	// id and the request (path values set). A test uses it to act between a
	// client's read and its next write: a sale right after an inventory GET
	// lands inside the push's window. It runs on the request's goroutine.
	Answered func(operationID string, r *http.Request)
}

// Sandbox is an in-memory Etsy. All methods are safe for concurrent use.
type Sandbox struct {
	cfg    Config
	now    func() time.Time
	logger *slog.Logger

	mu       sync.Mutex
	nextID   int64
	shops    map[int64]*shopState
	byUser   map[int64]*shopState
	listings map[int64]*Listing
	codes    map[string]*authCode
	access   map[string]*accessToken
	refresh  map[string]*refreshToken
	limits   map[string]*bucket
	faults   map[string][]Fault
	calls    map[string]int
	webhook  webhookTarget
	baseURL  string
}

type shopState struct {
	shop       Shop
	readiness  []ReadinessState
	listingIDs []int64 // newest first, Etsy's default order
	receipts   []*Receipt
}

// New returns an empty sandbox; fill it with LoadSeed or AddShop.
func New(cfg Config) *Sandbox {
	if cfg.Keystring == "" {
		cfg.Keystring = "sandboxkeystring"
	}
	if cfg.SharedSecret == "" {
		cfg.SharedSecret = "sandboxsecret"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = "https://openapi.etsy.com"
	}
	if cfg.TimeoutDelay <= 0 {
		cfg.TimeoutDelay = time.Minute
	}
	if cfg.WebhookClient == nil {
		cfg.WebhookClient = &http.Client{Timeout: 10 * time.Second}
	}
	return &Sandbox{
		cfg:      cfg,
		now:      cfg.Now,
		logger:   cfg.Logger,
		nextID:   1_000_000_000,
		shops:    map[int64]*shopState{},
		byUser:   map[int64]*shopState{},
		listings: map[int64]*Listing{},
		codes:    map[string]*authCode{},
		access:   map[string]*accessToken{},
		refresh:  map[string]*refreshToken{},
		limits:   map[string]*bucket{},
		faults:   map[string][]Fault{},
		calls:    map[string]int{},
		baseURL:  strings.TrimSuffix(cfg.BaseURL, "/"),
	}
}

// SetBaseURL changes the public URL used in webhook payloads, for tests that
// learn their server's address after New.
func (s *Sandbox) SetBaseURL(u string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.baseURL = strings.TrimSuffix(u, "/")
}

// LoadSeed adds every shop of a seed document.
func (s *Sandbox) LoadSeed(r io.Reader) error {
	seed, err := ReadSeed(r)
	if err != nil {
		return err
	}
	return s.Load(seed)
}

// Load adds every shop of seed.
func (s *Sandbox) Load(seed Seed) error {
	for _, shop := range seed.Shops {
		if err := s.AddShop(shop); err != nil {
			return err
		}
	}
	return nil
}

// AddShop adds one shop with its listings and receipts. Ids must not clash
// with anything already in the sandbox.
func (s *Sandbox) AddShop(seed SeedShop) error {
	if err := seed.validate(); err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.shops[seed.Shop.ShopID]; dup {
		return fmt.Errorf("sandbox: shop %d already exists", seed.Shop.ShopID)
	}
	if _, dup := s.byUser[seed.Shop.UserID]; dup {
		return fmt.Errorf("sandbox: user %d already owns a shop", seed.Shop.UserID)
	}
	for _, l := range seed.Listings {
		if _, dup := s.listings[l.ListingID]; dup {
			return fmt.Errorf("sandbox: listing %d already exists", l.ListingID)
		}
	}
	st := &shopState{shop: seed.Shop, readiness: slices.Clone(seed.ReadinessStates)}
	s.bump(seed.Shop.ShopID, seed.Shop.UserID)
	for _, rs := range seed.ReadinessStates {
		s.bump(rs.ID)
	}
	for _, l := range seed.Listings {
		l := l.clone()
		s.bump(l.ListingID)
		for _, p := range l.Inventory.Products {
			s.bump(p.ProductID, p.Offerings[0].OfferingID)
			for _, v := range p.PropertyValues {
				s.bump(v.ValueIDs...)
			}
		}
		s.listings[l.ListingID] = &l
		st.listingIDs = append(st.listingIDs, l.ListingID)
	}
	slices.SortStableFunc(st.listingIDs, func(a, b int64) int {
		la, lb := s.listings[a], s.listings[b]
		if la.Created != lb.Created {
			return int(lb.Created - la.Created)
		}
		return int(b - a)
	})
	for _, r := range seed.Receipts {
		r := r.clone()
		s.bump(r.ReceiptID, r.BuyerUserID)
		for _, t := range r.Transactions {
			s.bump(t.TransactionID)
		}
		st.receipts = append(st.receipts, &r)
	}
	s.shops[seed.Shop.ShopID] = st
	s.byUser[seed.Shop.UserID] = st
	return nil
}

// bump keeps generated ids above every seeded id.
func (s *Sandbox) bump(ids ...int64) {
	for _, id := range ids {
		if id >= s.nextID {
			s.nextID = id + 1
		}
	}
}

// newID issues a fresh id; callers hold s.mu.
func (s *Sandbox) newID() int64 {
	s.nextID++
	return s.nextID
}

// Shops lists the sandbox's shops.
func (s *Sandbox) Shops() []Shop {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Shop, 0, len(s.shops))
	for _, st := range s.shops {
		out = append(out, st.shop)
	}
	slices.SortFunc(out, func(a, b Shop) int { return int(a.ShopID - b.ShopID) })
	return out
}

// Listing returns a copy of a listing as the sandbox holds it.
func (s *Sandbox) Listing(id int64) (Listing, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.listings[id]
	if !ok {
		return Listing{}, false
	}
	return l.clone(), true
}

// Inventory returns a copy of a listing's inventory.
func (s *Sandbox) Inventory(listingID int64) (Inventory, bool) {
	l, ok := s.Listing(listingID)
	return l.Inventory, ok
}

// ListingQuantity is the listing's quantity as Etsy would report it.
func (l Listing) Quantity() int { return l.Inventory.quantity() }

// Receipt returns a copy of a receipt.
func (s *Sandbox) Receipt(shopID, receiptID int64) (Receipt, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.shops[shopID]
	if !ok {
		return Receipt{}, false
	}
	for _, r := range st.receipts {
		if r.ReceiptID == receiptID {
			return r.clone(), true
		}
	}
	return Receipt{}, false
}

// Calls counts requests per operation id (Etsy's operationId, plus "token"
// and "connect" for the OAuth endpoints) since the last ResetCalls.
func (s *Sandbox) Calls() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.calls))
	for k, v := range s.calls {
		out[k] = v
	}
	return out
}

// ResetCalls zeroes the call counters.
func (s *Sandbox) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.calls)
}

// requestUUID is what Etsy sends as X-Etsy-Request-Uuid.
func requestUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func opaque() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// writeJSON sends v with Etsy's content type.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// apiError is Etsy's error body; OAuth-style errors carry a description.
type apiError struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, apiError{Error: msg})
}

func writeOAuthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, apiError{Error: code, Description: desc})
}
