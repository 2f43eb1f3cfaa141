// This file is the sandbox's OAuth 2.0 server: the authorize page a seller
// approves in a browser and the token endpoint (authorization code with PKCE
// S256, rotating single-use refresh tokens), worded as Etsy words its errors.

package sandbox

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"html/template"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	accessTokenTTL  = time.Hour
	refreshTokenTTL = 90 * 24 * time.Hour
	authCodeTTL     = 10 * time.Minute
)

// knownScopes are the scopes Etsy's description defines.
var knownScopes = []string{"address_r", "address_w", "email_r", "listings_d", "listings_r", "listings_w",
	"profile_r", "profile_w", "shops_r", "shops_w", "transactions_r", "transactions_w"}

var (
	verifierPattern  = regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`)
	challengePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)
)

type authCode struct {
	clientID, redirectURI, challenge string
	user                             int64
	scopes                           map[string]bool
	expires                          time.Time
	used                             bool
}

type accessToken struct {
	user    int64
	scopes  map[string]bool
	expires time.Time
	revoked bool
}

type refreshToken struct {
	user    int64
	scopes  map[string]bool
	expires time.Time
	revoked bool // used (rotated) or revoked by the seller
}

// authorizeRequest is a validated /oauth/connect query.
type authorizeRequest struct {
	redirectURI, state, challenge string
	scopes                        []string
}

// authorizeError is a failure to report by redirecting back to the client;
// a nil redirect means the client itself is unknown and the page shows it.
type authorizeError struct {
	redirect bool
	code     string
	desc     string
}

func (s *Sandbox) parseAuthorize(q url.Values) (authorizeRequest, *authorizeError) {
	req := authorizeRequest{redirectURI: q.Get("redirect_uri"), state: q.Get("state"), challenge: q.Get("code_challenge")}
	if q.Get("client_id") != s.cfg.Keystring {
		return req, &authorizeError{code: "invalid_client", desc: "client_id is not a known app"}
	}
	if req.redirectURI == "" {
		return req, &authorizeError{code: "invalid_request", desc: "redirect_uri is required"}
	}
	if u, err := url.Parse(req.redirectURI); err != nil || !u.IsAbs() || u.Fragment != "" {
		return req, &authorizeError{code: "invalid_request", desc: "redirect_uri is not an absolute URL"}
	}
	if len(s.cfg.RedirectURIs) > 0 && !slices.Contains(s.cfg.RedirectURIs, req.redirectURI) {
		return req, &authorizeError{code: "invalid_request", desc: "redirect_uri does not match a registered callback"}
	}
	fail := func(code, desc string) (authorizeRequest, *authorizeError) {
		return req, &authorizeError{redirect: true, code: code, desc: desc}
	}
	if q.Get("response_type") != "code" {
		return fail("unsupported_response_type", "response_type must be code")
	}
	req.scopes = strings.Fields(q.Get("scope"))
	if len(req.scopes) == 0 {
		return fail("invalid_scope", "scope is required")
	}
	for _, sc := range req.scopes {
		if !slices.Contains(knownScopes, sc) {
			return fail("invalid_scope", "unknown scope "+sc)
		}
	}
	if req.state == "" {
		return fail("invalid_request", "state is required")
	}
	if q.Get("code_challenge_method") != "S256" {
		return fail("invalid_request", "code_challenge_method must be S256")
	}
	if !challengePattern.MatchString(req.challenge) {
		return fail("invalid_request", "code_challenge must be a base64url SHA-256 digest")
	}
	return req, nil
}

func redirectWith(w http.ResponseWriter, r *http.Request, target string, params url.Values) {
	u, _ := url.Parse(target)
	q := u.Query()
	for k, v := range params {
		q[k] = v
	}
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

var connectPage = template.Must(template.New("connect").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Etsy sandbox: allow access</title>
<style>body{font-family:sans-serif;max-width:36em;margin:2em auto;line-height:1.5}
fieldset{margin:1em 0}button{font-size:1em;margin-right:1em;padding:.4em 1.2em}</style></head>
<body>
<h1>Allow access to your shop?</h1>
{{if .Error}}<p role="alert"><strong>{{.Error}}</strong></p>{{else}}
<p>An app is asking for: {{range .Scopes}}<code>{{.}}</code> {{end}}</p>
<form method="post" action="/oauth/connect">
{{range $k, $v := .Params}}<input type="hidden" name="{{$k}}" value="{{$v}}">
{{end}}<fieldset><legend>Sign in as</legend>
{{range $i, $s := .Sellers}}<label><input type="radio" name="user_id" value="{{$s.UserID}}"{{if eq $i 0}} checked{{end}}> {{$s.LoginName}} ({{$s.Name}})</label><br>
{{else}}<p>This sandbox has no sellers.</p>{{end}}</fieldset>
<button type="submit" name="decision" value="allow">Allow access</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form>{{end}}
</body></html>
`))

func (s *Sandbox) renderConnect(w http.ResponseWriter, status int, data map[string]any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
	w.WriteHeader(status)
	_ = connectPage.Execute(w, data)
}

// connectPage is GET /oauth/connect: validate, then let the seller choose.
func (s *Sandbox) connectPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	req, aerr := s.parseAuthorize(q)
	if aerr != nil {
		s.authorizeFailed(w, r, req, aerr)
		return
	}
	params := map[string]string{}
	for _, k := range []string{"response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method"} {
		params[k] = q.Get(k)
	}
	s.renderConnect(w, http.StatusOK, map[string]any{"Scopes": req.scopes, "Params": params, "Sellers": s.Shops()})
}

func (s *Sandbox) authorizeFailed(w http.ResponseWriter, r *http.Request, req authorizeRequest, aerr *authorizeError) {
	if !aerr.redirect {
		s.renderConnect(w, http.StatusBadRequest, map[string]any{"Error": aerr.desc})
		return
	}
	redirectWith(w, r, req.redirectURI, url.Values{"error": {aerr.code}, "error_description": {aerr.desc}, "state": {req.state}})
}

// connectDecision is the form POST from the authorize page: Allow issues a
// code for the chosen seller, Deny reports access_denied.
func (s *Sandbox) connectDecision(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.renderConnect(w, http.StatusBadRequest, map[string]any{"Error": "malformed form"})
		return
	}
	req, aerr := s.parseAuthorize(r.PostForm)
	if aerr != nil {
		s.authorizeFailed(w, r, req, aerr)
		return
	}
	switch r.PostForm.Get("decision") {
	case "deny":
		redirectWith(w, r, req.redirectURI, url.Values{"error": {"access_denied"},
			"error_description": {"The user denied the request"}, "state": {req.state}})
		return
	case "allow":
	default:
		s.renderConnect(w, http.StatusBadRequest, map[string]any{"Error": "choose Allow or Deny"})
		return
	}
	user, err := strconv.ParseInt(r.PostForm.Get("user_id"), 10, 64)
	s.mu.Lock()
	_, known := s.byUser[user]
	s.mu.Unlock()
	if err != nil || !known {
		s.renderConnect(w, http.StatusBadRequest, map[string]any{"Error": "choose a seller to sign in as"})
		return
	}
	code := opaque()
	scopes := map[string]bool{}
	for _, sc := range req.scopes {
		scopes[sc] = true
	}
	s.mu.Lock()
	s.codes[code] = &authCode{clientID: s.cfg.Keystring, redirectURI: req.redirectURI, challenge: req.challenge,
		user: user, scopes: scopes, expires: s.now().Add(authCodeTTL)}
	s.mu.Unlock()
	redirectWith(w, r, req.redirectURI, url.Values{"code": {code}, "state": {req.state}})
}

// tokenResponse is the token endpoint's success body.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
}

// token is POST /v3/public/oauth/token.
func (s *Sandbox) token(w http.ResponseWriter, r *http.Request) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/x-www-form-urlencoded" {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "request body must be form encoded")
		return
	}
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "malformed form body")
		return
	}
	f := r.PostForm
	if f.Get("client_id") == "" {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "client_id is required")
		return
	}
	if f.Get("client_id") != s.cfg.Keystring {
		writeOAuthError(w, http.StatusUnauthorized, "invalid_client", "client_id is invalid")
		return
	}
	switch f.Get("grant_type") {
	case "authorization_code":
		s.exchangeCode(w, f)
	case "refresh_token":
		s.refreshGrant(w, f)
	case "":
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "grant_type is required")
	default:
		writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "grant_type is not supported")
	}
}

func (s *Sandbox) exchangeCode(w http.ResponseWriter, f url.Values) {
	for _, k := range []string{"redirect_uri", "code", "code_verifier"} {
		if f.Get(k) == "" {
			writeOAuthError(w, http.StatusBadRequest, "invalid_request", k+" is required")
			return
		}
	}
	verifier := f.Get("code_verifier")
	if !verifierPattern.MatchString(verifier) {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "code_verifier must be 43-128 characters of [A-Za-z0-9._~-]")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	code, ok := s.codes[f.Get("code")]
	switch {
	case !ok:
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "code is invalid")
		return
	case code.used:
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "code has been used previously")
		return
	case !s.now().Before(code.expires):
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "code has expired")
		return
	case code.redirectURI != f.Get("redirect_uri"):
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "redirect_uri does not match the authorization request")
		return
	}
	sum := sha256.Sum256([]byte(verifier))
	if subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(code.challenge)) != 1 {
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "code_verifier does not match code_challenge")
		return
	}
	code.used = true
	writeJSON(w, http.StatusOK, s.issueLocked(code.user, code.scopes))
}

func (s *Sandbox) refreshGrant(w http.ResponseWriter, f url.Values) {
	raw := f.Get("refresh_token")
	if raw == "" {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "refresh_token is required")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rt, ok := s.refresh[raw]
	switch {
	case !ok:
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "refresh_token is invalid")
		return
	case rt.revoked:
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "refresh_token is revoked")
		return
	case !s.now().Before(rt.expires):
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "refresh_token is expired")
		return
	}
	// Single use: the old refresh token dies as the new pair is issued.
	rt.revoked = true
	writeJSON(w, http.StatusOK, s.issueLocked(rt.user, rt.scopes))
}

func (s *Sandbox) issueLocked(user int64, scopes map[string]bool) tokenResponse {
	now := s.now()
	prefix := strconv.FormatInt(user, 10) + "."
	access, refresh := prefix+opaque(), prefix+opaque()
	s.access[access] = &accessToken{user: user, scopes: scopes, expires: now.Add(accessTokenTTL)}
	s.refresh[refresh] = &refreshToken{user: user, scopes: scopes, expires: now.Add(refreshTokenTTL)}
	return tokenResponse{AccessToken: access, TokenType: "Bearer", ExpiresIn: int(accessTokenTTL / time.Second), RefreshToken: refresh}
}

// IssueToken mints a token pair for a shop's seller without the browser
// step, for tests of code that starts from stored tokens. scopes are Etsy
// scope names.
func (s *Sandbox) IssueToken(shopID int64, scopes ...string) (access, refresh string, err error) {
	set := map[string]bool{}
	for _, sc := range scopes {
		if !slices.Contains(knownScopes, sc) {
			return "", "", fmt.Errorf("sandbox: unknown scope %q", sc)
		}
		set[sc] = true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.shops[shopID]
	if !ok {
		return "", "", fmt.Errorf("sandbox: shop %d not found", shopID)
	}
	t := s.issueLocked(st.shop.UserID, set)
	return t.AccessToken, t.RefreshToken, nil
}

// RevokeTokens kills every token of the shop's seller, as a password change
// does on Etsy.
func (s *Sandbox) RevokeTokens(shopID int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.shops[shopID]
	if !ok {
		return fmt.Errorf("sandbox: shop %d not found", shopID)
	}
	for _, t := range s.access {
		if t.user == st.shop.UserID {
			t.revoked = true
		}
	}
	for _, t := range s.refresh {
		if t.user == st.shop.UserID {
			t.revoked = true
		}
	}
	return nil
}
