// This file builds the sandbox's HTTP surface and the chain every API call
// goes through: request id, call counting, injected faults, API key, OAuth
// token and scope, rate limit, then the operation itself.

package sandbox

import (
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// operation describes one Open API operation the sandbox serves. scope is
// the oauth2 scope the description requires ("" for API-key-only calls).
type operation struct {
	id      string
	pattern string
	scope   string
	handle  func(*call)
}

// call is one authenticated API request.
type call struct {
	w    http.ResponseWriter
	r    *http.Request
	user int64      // 0 without a token
	shop *shopState // the token owner's shop, nil without a token
}

func (s *Sandbox) operations() []operation {
	const app = "/v3/application"
	return []operation{
		{"getMe", "GET " + app + "/users/me", "shops_r", s.getMe},
		{"getShop", "GET " + app + "/shops/{shop_id}", "", s.getShop},
		{"getListingsByShop", "GET " + app + "/shops/{shop_id}/listings", "listings_r", s.getListingsByShop},
		{"getListingsInventoryByListingIds", "GET " + app + "/listings/batch/inventory", "listings_r", s.getListingsInventoryByListingIds},
		{"getListingInventory", "GET " + app + "/listings/{listing_id}/inventory", "listings_r", s.getListingInventory},
		{"updateListingInventory", "PUT " + app + "/listings/{listing_id}/inventory", "listings_w", s.updateListingInventory},
		{"updateListing", "PATCH " + app + "/shops/{shop_id}/listings/{listing_id}", "listings_w", s.updateListing},
		{"getShopReadinessStateDefinitions", "GET " + app + "/shops/{shop_id}/readiness-state-definitions", "shops_r", s.getShopReadinessStateDefinitions},
		{"getShopReceipts", "GET " + app + "/shops/{shop_id}/receipts", "transactions_r", s.getShopReceipts},
		{"getShopReceipt", "GET " + app + "/shops/{shop_id}/receipts/{receipt_id}", "transactions_r", s.getShopReceipt},
	}
}

// Handler serves the API under /v3/application, the token endpoint at
// /v3/public/oauth/token, the authorize page at /oauth/connect and the admin
// surface under /_sandbox/.
func (s *Sandbox) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, op := range s.operations() {
		mux.Handle(op.pattern, s.api(op))
	}
	mux.Handle("/v3/application/", s.withRequestID(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "Resource not found")
	}))
	mux.Handle("POST /v3/public/oauth/token", s.withRequestID(s.faulty("token", s.token)))
	mux.Handle("/v3/public/oauth/token", s.withRequestID(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusMethodNotAllowed, "Method not allowed")
	}))
	mux.HandleFunc("GET /oauth/connect", s.counted("connect", s.connectPage))
	mux.HandleFunc("POST /oauth/connect", s.counted("connect", s.connectDecision))
	s.adminRoutes(mux)
	return mux
}

func (s *Sandbox) withRequestID(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Etsy-Request-Uuid", requestUUID())
		start := s.now()
		next(w, r)
		// Never the query string: it may carry codes or states.
		s.logger.Debug("sandbox request", "method", r.Method, "path", r.URL.Path, "elapsed", s.now().Sub(start))
	}
}

func (s *Sandbox) counted(op string, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.calls[op]++
		s.mu.Unlock()
		next(w, r)
	}
}

// faulty counts the call and plays the next injected fault for op, if any.
func (s *Sandbox) faulty(op string, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.calls[op]++
		f, ok := s.takeFault(op)
		s.mu.Unlock()
		if !ok {
			next(w, r)
			return
		}
		if f.Applied {
			// The operation takes effect but its answer is lost, the
			// ambiguous case a client must survive.
			next(discardWriter{header: http.Header{}}, r)
		}
		s.playFault(w, r, f)
	}
}

func (s *Sandbox) api(op operation) http.Handler {
	return s.withRequestID(s.faulty(op.id, func(w http.ResponseWriter, r *http.Request) {
		if !s.checkAPIKey(w, r) {
			return
		}
		c := &call{w: w, r: r}
		if op.scope != "" || r.Header.Get("Authorization") != "" {
			if !s.authenticate(c, op.scope) {
				return
			}
		}
		if !s.rateLimit(w, r, c) {
			return
		}
		rec := &statusRecorder{ResponseWriter: w}
		c.w = rec
		op.handle(c)
		if s.cfg.Answered != nil && rec.status/100 == 2 {
			if f, ok := w.(http.Flusher); ok {
				f.Flush()
			}
			s.cfg.Answered(op.id, r)
		}
	}))
}

func (s *Sandbox) checkAPIKey(w http.ResponseWriter, r *http.Request) bool {
	key := r.Header.Get("x-api-key")
	switch {
	case key == "":
		writeError(w, http.StatusForbidden, "Missing API key in x-api-key header.")
		return false
	case !strings.Contains(key, ":"):
		if key == s.cfg.Keystring {
			writeError(w, http.StatusForbidden, "Shared secret is required in x-api-key header.")
		} else {
			writeError(w, http.StatusForbidden, "Invalid API key")
		}
		return false
	case key != s.cfg.Keystring+":"+s.cfg.SharedSecret:
		writeError(w, http.StatusForbidden, "Invalid API key")
		return false
	}
	return true
}

func (s *Sandbox) authenticate(c *call, scope string) bool {
	auth := c.r.Header.Get("Authorization")
	raw, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok || raw == "" {
		writeOAuthError(c.w, http.StatusUnauthorized, "invalid_token", "access token is invalid")
		return false
	}
	s.mu.Lock()
	tok, found := s.access[raw]
	var shop *shopState
	if found {
		shop = s.byUser[tok.user]
	}
	s.mu.Unlock()
	switch {
	case !found || tok.revoked || shop == nil:
		writeOAuthError(c.w, http.StatusUnauthorized, "invalid_token", "access token is invalid")
		return false
	case !s.now().Before(tok.expires):
		writeOAuthError(c.w, http.StatusUnauthorized, "invalid_token", "access token is expired")
		return false
	case scope != "" && !tok.scopes[scope]:
		writeOAuthError(c.w, http.StatusForbidden, "insufficient_scope", "Insufficient scope")
		return false
	}
	c.user, c.shop = tok.user, shop
	return true
}

// ownShop resolves the {shop_id} path parameter and insists it is the
// caller's own shop: a token only ever sees its seller's private data.
func (s *Sandbox) ownShop(c *call) (*shopState, bool) {
	id, ok := pathID(c, "shop_id")
	if !ok {
		return nil, false
	}
	s.mu.Lock()
	st, exists := s.shops[id]
	s.mu.Unlock()
	if !exists {
		writeError(c.w, http.StatusNotFound, "Shop with shop_id "+strconv.FormatInt(id, 10)+" not found")
		return nil, false
	}
	if c.shop != st {
		writeError(c.w, http.StatusForbidden, "The shop does not belong to the authenticated user.")
		return nil, false
	}
	return st, true
}

// ownShopItem is ownShop and then the id in the path's name segment (a
// listing or receipt of that shop); either failing has already answered.
func (s *Sandbox) ownShopItem(c *call, name string) (*shopState, int64, bool) {
	st, ok := s.ownShop(c)
	if !ok {
		return nil, 0, false
	}
	id, ok := pathID(c, name)
	if !ok {
		return nil, 0, false
	}
	return st, id, true
}

// bodyIs reports whether the request's body is of media type want, and
// otherwise answers 400 as Etsy does.
func bodyIs(c *call, want string) bool {
	mt, _, _ := mime.ParseMediaType(c.r.Header.Get("Content-Type"))
	if mt != want {
		writeError(c.w, http.StatusBadRequest, "Request body must be "+want)
		return false
	}
	return true
}

func pathID(c *call, name string) (int64, bool) {
	id, err := strconv.ParseInt(c.r.PathValue(name), 10, 64)
	if err != nil || id < 1 {
		writeError(c.w, http.StatusBadRequest, "Expected int >= 1 for '"+name+"'")
		return 0, false
	}
	return id, true
}

// statusRecorder remembers the status an operation answered with.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(p []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(p)
}

// discardWriter swallows the answer of an operation whose response an
// injected fault replaces.
type discardWriter struct{ header http.Header }

func (d discardWriter) Header() http.Header         { return d.header }
func (d discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d discardWriter) WriteHeader(int)             {}

// playFault answers as the fault says.
func (s *Sandbox) playFault(w http.ResponseWriter, r *http.Request, f Fault) {
	switch f.Kind {
	case Fault429:
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusTooManyRequests, "Exceeded per second rate limit")
	case Fault500:
		writeError(w, http.StatusInternalServerError, "Server Error")
	case FaultMalformed:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"count":1,"results":[{"listing_id":`))
	case FaultTimeout:
		delay := f.Delay
		if delay <= 0 {
			delay = s.cfg.TimeoutDelay
		}
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-r.Context().Done():
			return
		case <-t.C:
		}
		writeError(w, http.StatusGatewayTimeout, "Gateway Timeout")
	}
}
