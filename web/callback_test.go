package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
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
