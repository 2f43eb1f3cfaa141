package notify_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stockroom/stockroom/internal/testwait"
	"github.com/stockroom/stockroom/notify"
	"github.com/stockroom/stockroom/store"
)

const waToken = "EAAG-SECRET-token"

// fakeGraph is a WhatsApp Business Cloud API that records what it is sent
// and answers with status, or the error body when status is not 200.
type fakeGraph struct {
	mu      sync.Mutex
	path    string
	auth    string
	body    map[string]any
	status  int
	errBody string
}

func (f *fakeGraph) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.path, f.auth = r.Method+" "+r.URL.Path, r.Header.Get("Authorization")
	f.body = nil
	_ = json.NewDecoder(r.Body).Decode(&f.body)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(f.status)
	if f.status == http.StatusOK {
		_, _ = io.WriteString(w, `{"messaging_product":"whatsapp","contacts":[{"input":"4915112345678","wa_id":"4915112345678"}],"messages":[{"id":"wamid.HBgL"}]}`)
		return
	}
	_, _ = io.WriteString(w, f.errBody)
}

func TestWhatsAppSendsATemplateMessage(t *testing.T) {
	fake := &fakeGraph{status: http.StatusOK}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	wa, err := notify.NewWhatsApp(notify.WhatsAppConfig{BaseURL: srv.URL + "/v21.0", PhoneNumberID: "106540352242922", Token: waToken,
		Client: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	if err := wa.Send(t.Context(), "+49 151 12345678", "Low stock: Mug\n3 left\tof\t10"); err != nil {
		t.Fatal(err)
	}
	if fake.path != "POST /v21.0/106540352242922/messages" || fake.auth != "Bearer "+waToken {
		t.Fatalf("request %q with %q", fake.path, fake.auth)
	}
	b, _ := json.Marshal(fake.body)
	want := `{"messaging_product":"whatsapp","template":{"components":[{"parameters":[{"text":"Low stock: Mug · 3 left of 10","type":"text"}],"type":"body"}],` +
		`"language":{"code":"en"},"name":"stockroom_alert"},"to":"4915112345678","type":"template"}`
	if string(b) != want {
		t.Fatalf("body\n%s\nwant\n%s", b, want)
	}

	var perm *notify.PermanentError
	fake.status = http.StatusBadRequest
	fake.errBody = `{"error":{"message":"(#131030) Recipient phone number not in allowed list","type":"OAuthException","code":131030}}`
	if err := wa.Send(t.Context(), "4915112345678", "x"); !errors.As(err, &perm) || !strings.Contains(err.Error(), "not in allowed list") {
		t.Fatalf("refused number: %v, want a permanent error with Meta's reason", err)
	}
	fake.status = http.StatusTooManyRequests
	fake.errBody = `{"error":{"message":"(#130429) Rate limit hit","code":130429}}`
	if err := wa.Send(t.Context(), "4915112345678", "x"); err == nil || errors.As(err, &perm) {
		t.Fatalf("a rate limit is worth retrying: %v", err)
	}
	fake.status = http.StatusUnauthorized
	fake.errBody = `{"error":{"message":"Error validating access token: ` + waToken + ` expired","code":190}}`
	if err := wa.Send(t.Context(), "4915112345678", "x"); err == nil || errors.As(err, &perm) || strings.Contains(err.Error(), "SECRET") {
		t.Fatalf("expired token: %v (retried, never quoting the token)", err)
	}
	fake.status = http.StatusForbidden
	fake.errBody = `{"error":{"message":"(#200) Permissions error","code":200}}`
	if err := wa.Send(t.Context(), "4915112345678", "x"); err == nil || errors.As(err, &perm) {
		t.Fatalf("a token without the permission: %v (retried once the operator mends it)", err)
	}
	fake.status = http.StatusBadGateway
	fake.errBody = `<html>bad gateway</html>`
	if err := wa.Send(t.Context(), "4915112345678", "x"); err == nil || errors.As(err, &perm) || !strings.Contains(err.Error(), "not the Graph API's JSON") {
		t.Fatalf("a proxy's page: %v", err)
	}
	if err := wa.Send(t.Context(), "", "x"); !errors.As(err, &perm) {
		t.Fatalf("no number: %v, want a permanent error", err)
	}
	srv.Close()
	if err := wa.Send(t.Context(), "4915112345678", "x"); err == nil || strings.Contains(err.Error(), "SECRET") {
		t.Fatalf("server down: %v (the token must never appear)", err)
	}
}

func TestWhatsAppTemplateParameterLimits(t *testing.T) {
	fake := &fakeGraph{status: http.StatusOK}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	wa, err := notify.NewWhatsApp(notify.WhatsAppConfig{BaseURL: srv.URL, PhoneNumberID: "1", Token: waToken, Template: "restock", Language: "de"})
	if err != nil {
		t.Fatal(err)
	}
	if err := wa.Send(t.Context(), "1", strings.Repeat("ab      ", 400)); err != nil {
		t.Fatal(err)
	}
	tpl := fake.body["template"].(map[string]any)
	param := tpl["components"].([]any)[0].(map[string]any)["parameters"].([]any)[0].(map[string]any)["text"].(string)
	if n := len([]rune(param)); n != 1024 || strings.Contains(param, "  ") || tpl["name"] != "restock" {
		t.Fatalf("parameter of %d runes (%q…), template %v", n, param[:20], tpl["name"])
	}

	for _, bad := range []notify.WhatsAppConfig{
		{PhoneNumberID: "1", Token: ""},
		{PhoneNumberID: "+49151", Token: waToken},
		{BaseURL: "ftp://graph", PhoneNumberID: "1", Token: waToken},
	} {
		if _, err := notify.NewWhatsApp(bad); err == nil {
			t.Errorf("accepted %+v", bad)
		}
	}
}

// An alert reaches a member's WhatsApp through the delivery queue, as the
// third channel beside email and Telegram.
func TestAlertGoesToWhatsApp(t *testing.T) {
	mb := newMailbox(t)
	mb.start(t)
	fake := &fakeGraph{status: http.StatusOK}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	wa, err := notify.NewWhatsApp(notify.WhatsAppConfig{BaseURL: srv.URL, PhoneNumberID: "1065", Token: waToken, Client: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	number, yes, no := "4915112345678", true, false
	f := newFlowWith(t, mb, flowConfig{whatsapp: wa, channels: []store.Channel{store.ChannelEmail, store.ChannelWhatsApp},
		owner: &store.AccountUpdateParams{WhatsAppNumber: &number, NotifyWhatsApp: &yes, NotifyEmail: &no}})
	f.syncPage(t, snapshot("Speckled mug", 10))
	f.syncPage(t, snapshot("Speckled mug", 2))
	testwait.Until(t, "the WhatsApp message", func() bool {
		fake.mu.Lock()
		defer fake.mu.Unlock()
		return fake.body != nil
	})
	testwait.Until(t, "the delivery marked sent", func() bool {
		s := f.statuses(t)
		return len(s) == 1 && s[0] == "low_stock:sent"
	})
	fake.mu.Lock()
	defer fake.mu.Unlock()
	b, _ := json.Marshal(fake.body)
	if fake.body["to"] != number || !strings.Contains(string(b), "Low stock: 2 left: Speckled mug") || len(mb.messages()) != 0 {
		t.Fatalf("sent %s, and %d emails (email is off)", b, len(mb.messages()))
	}
}

func TestTelegramUsernameNamesTheBot(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/bot"+botToken+"/getMe" {
			http.NotFound(w, r)
			return
		}
		_, _ = io.WriteString(w, `{"ok":true,"result":{"id":42,"is_bot":true,"first_name":"Stockroom","username":"stockroom_alerts_bot"}}`)
	}))
	defer srv.Close()
	tg, err := notify.NewTelegram(srv.URL, botToken, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	if name, err := tg.Username(t.Context()); err != nil || name != "stockroom_alerts_bot" {
		t.Fatalf("username %q, %v", name, err)
	}
}
