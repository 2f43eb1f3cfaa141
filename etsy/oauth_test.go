// Tests of connecting a shop: the consent URL, the code exchange and the
// refresh, and how token endpoint failures are typed.
package etsy

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestAuthCodeURL(t *testing.T) {
	env := newEnv(t, func(w http.ResponseWriter, r *http.Request) {})
	verifier := GenerateVerifier()
	if len(verifier) < 43 || len(verifier) > 128 {
		t.Fatalf("verifier length %d", len(verifier))
	}
	raw := env.client.AuthCodeURL("state-xyz", verifier)
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if u.Path != "/oauth/connect" {
		t.Errorf("path %s", u.Path)
	}
	q := u.Query()
	sum := sha256.Sum256([]byte(verifier))
	want := map[string]string{
		"response_type":         "code",
		"client_id":             "testkeystring",
		"redirect_uri":          "https://stockroom.example/callback",
		"scope":                 "listings_r listings_w shops_r transactions_r",
		"state":                 "state-xyz",
		"code_challenge":        base64.RawURLEncoding.EncodeToString(sum[:]),
		"code_challenge_method": "S256",
	}
	for k, v := range want {
		if q.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, q.Get(k), v)
		}
	}
	if strings.Contains(raw, "s3cret") || strings.Contains(raw, verifier) {
		t.Errorf("consent URL leaks a secret: %s", raw)
	}
}

func tokenServer(t *testing.T, handle func(w http.ResponseWriter, form url.Values)) *testEnv {
	return newEnv(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v3/public/oauth/token" || r.Method != http.MethodPost {
			t.Errorf("token request %s %s", r.Method, r.URL.Path)
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
			t.Errorf("content type %q", ct)
		}
		if r.Header.Get("Authorization") != "" {
			t.Error("client credentials sent in a header; Etsy wants client_id in the body")
		}
		if err := r.ParseForm(); err != nil {
			t.Fatal(err)
		}
		handle(w, r.PostForm)
	})
}

func TestExchange(t *testing.T) {
	verifier := GenerateVerifier()
	env := tokenServer(t, func(w http.ResponseWriter, form url.Values) {
		want := map[string]string{
			"grant_type": "authorization_code", "client_id": "testkeystring", "code": "the-code",
			"code_verifier": verifier, "redirect_uri": "https://stockroom.example/callback",
		}
		for k, v := range want {
			if form.Get(k) != v {
				t.Errorf("%s = %q, want %q", k, form.Get(k), v)
			}
		}
		if form.Has("client_secret") {
			t.Error("client_secret sent")
		}
		writeJSON(w, 200, `{"access_token":"12345678.access","token_type":"Bearer","expires_in":3600,"refresh_token":"12345678.refresh"}`)
	})
	tok, err := env.client.Exchange(context.Background(), "the-code", verifier)
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken != "12345678.access" || tok.RefreshToken != "12345678.refresh" || tok.UserID != 12345678 {
		t.Errorf("token %+v", tok)
	}
	if !tok.Expiry.Equal(env.clock.Now().Add(time.Hour)) {
		t.Errorf("expiry %v, want an hour after %v", tok.Expiry, env.clock.Now())
	}
}

func TestExchangeReusedCode(t *testing.T) {
	env := tokenServer(t, func(w http.ResponseWriter, form url.Values) {
		writeJSON(w, 400, `{"error":"invalid_grant","error_description":"code has been used previously"}`)
	})
	_, err := env.client.Exchange(context.Background(), "the-secret-code", GenerateVerifier())
	if !errors.Is(err, ErrRevoked) || !strings.Contains(err.Error(), "code has been used previously") {
		t.Fatalf("got %v", err)
	}
	if strings.Contains(err.Error(), "the-secret-code") {
		t.Errorf("error leaks the code: %v", err)
	}
}

func TestRefresh(t *testing.T) {
	env := tokenServer(t, func(w http.ResponseWriter, form url.Values) {
		if form.Get("grant_type") != "refresh_token" || form.Get("client_id") != "testkeystring" || form.Get("refresh_token") != "12345678.old-refresh" {
			t.Errorf("form %v", form)
		}
		writeJSON(w, 200, `{"access_token":"12345678.new-access","token_type":"Bearer","expires_in":3600,"refresh_token":"12345678.new-refresh"}`)
	})
	tok, err := env.client.Refresh(context.Background(), "12345678.old-refresh")
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken != "12345678.new-access" || tok.RefreshToken != "12345678.new-refresh" || tok.UserID != 12345678 {
		t.Errorf("token %+v", tok)
	}
}

func TestRefreshFailures(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		check  func(error) bool
	}{
		{"revoked", 400, `{"error":"invalid_grant","error_description":"refresh_token is revoked"}`, func(err error) bool {
			return errors.Is(err, ErrRevoked) && NeedsReauthorization(err) && strings.Contains(err.Error(), "refresh_token is revoked")
		}},
		{"server error is ambiguous", 500, `{"error":"Server Error"}`, func(err error) bool {
			return IsTransient(err) && !errors.Is(err, ErrRevoked)
		}},
		{"bad client", 401, `{"error":"invalid_client","error_description":"Unknown client"}`, func(err error) bool {
			var re *RejectedError
			return errors.As(err, &re) && re.Status == 401 && strings.Contains(re.Message, "invalid_client")
		}},
		{"malformed", 200, `{"access_token":`, func(err error) bool { return IsTransient(err) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := tokenServer(t, func(w http.ResponseWriter, form url.Values) { writeJSON(w, tt.status, tt.body) })
			_, err := env.client.Refresh(context.Background(), "12345678.secret-refresh")
			if err == nil || !tt.check(err) {
				t.Fatalf("got %v", err)
			}
			if strings.Contains(err.Error(), "secret-refresh") {
				t.Errorf("error leaks the refresh token: %v", err)
			}
		})
	}
	env := tokenServer(t, func(w http.ResponseWriter, form url.Values) {})
	env.server.Close()
	if _, err := env.client.Refresh(context.Background(), "12345678.r"); !IsTransient(err) {
		t.Errorf("connection refused: got %v", err)
	}
	if _, err := env.client.Refresh(context.Background(), ""); !errors.Is(err, ErrRevoked) {
		t.Errorf("empty refresh token: got %v", err)
	}
}

func TestUserIDOf(t *testing.T) {
	for token, want := range map[string]int64{"12345678.abc": 12345678, "abc": 0, "x.abc": 0, "-4.abc": 0, "": 0} {
		if got := userIDOf(token); got != want {
			t.Errorf("userIDOf(%q) = %d, want %d", token, got, want)
		}
	}
}
