package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stockroom/stockroom/connect"
)

// Issue 11 item 8: a valid state with no code answered 500 "Something went
// wrong".
func TestCallbackValidStateWithoutCode(t *testing.T) {
	e := newEnv(t)
	_, state, err := e.flow.Start(context.Background(), e.ada.ID, "SHA256:ada")
	if err != nil {
		t.Fatal(err)
	}
	p := e.do(e.browser().Client, "GET", e.web.URL+"/oauth/callback?state="+url.QueryEscape(state), nil)
	if p.status != http.StatusBadRequest || strings.Contains(p.body, "Something went wrong") ||
		!strings.Contains(p.body, "no authorization") {
		t.Fatalf("no code: %d %s", p.status, p.body)
	}
	if len(e.stores()) != 0 {
		t.Fatal("a store was saved")
	}
}

// Issue 11 item 8: the error= parameter is attacker-controlled text on our
// domain. Only codes from RFC 6749's fixed list are named, with our own
// words; anything else reads as an unknown error.
func TestCallbackErrorTextNeverShown(t *testing.T) {
	e := newEnv(t)
	cases := []struct{ code, want string }{
		{"Call support at evil.example", "an error Stockroom does not know"},
		{"invalid_scope", "invalid_scope"},
		{"server_error", "server_error"},
		{"temporarily_unavailable", "temporarily_unavailable"},
	}
	for _, c := range cases {
		_, state, err := e.flow.Start(context.Background(), e.ada.ID, "SHA256:ada")
		if err != nil {
			t.Fatal(err)
		}
		q := url.Values{"state": {state}, "error": {c.code}, "error_description": {"Call +1 555 0100 now"}}
		p := e.do(e.browser().Client, "GET", e.web.URL+"/oauth/callback?"+q.Encode(), nil)
		if p.status != http.StatusBadRequest || !strings.Contains(p.body, c.want) ||
			strings.Contains(p.body, "evil.example") || strings.Contains(p.body, "555") {
			t.Errorf("error=%s: %d %s", c.code, p.status, p.body)
		}
		if o := e.state(state); strings.Contains(o.Error, "evil.example") {
			t.Errorf("free text stored as the connect error: %q", o.Error)
		}
	}
}

// Issue 17: Etsy's consent URL is too long to print on one line or to fit
// a QR code on an 80×24 terminal. The TUI shows a short link on our domain
// that redirects to it.
func TestShortConnectLinkRedirectsToEtsy(t *testing.T) {
	e := newEnv(t)
	cfg := e.flowCfg
	cfg.PublicURL = e.web.URL
	link, _, err := connect.New(cfg).Start(context.Background(), e.ada.ID, "SHA256:ada")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(link, e.web.URL+"/c/") || len(link) > len(e.web.URL)+60 {
		t.Fatalf("short link %q", link)
	}
	p := e.do(e.browser().Client, "GET", link, nil)
	if p.status != http.StatusOK || !strings.Contains(p.body, "Allow access") || !strings.HasPrefix(p.url.String(), e.sbURL) {
		t.Fatalf("the short link led to %s: %d %s", p.url, p.status, p.body)
	}
	p = e.do(e.browser().Client, "GET", e.web.URL+"/c/not-a-state", nil)
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, "not one Stockroom issued") {
		t.Fatalf("unknown short link: %d %s", p.status, p.body)
	}
	e.clock.Advance(11 * time.Minute)
	p = e.do(e.browser().Client, "GET", link, nil)
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, "expired") {
		t.Fatalf("expired short link: %d %s", p.status, p.body)
	}
}
