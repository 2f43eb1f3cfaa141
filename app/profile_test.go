package app_test

import (
	"strings"
	"testing"

	"github.com/stockroom/stockroom/app"
)

// A profile change stores each text field in its clean form, and of
// several bad fields reports the first in the form's order (name, Telegram,
// email, WhatsApp) and changes nothing.
func TestUpdateProfileCleansFieldsAndReportsTheFirstRefusal(t *testing.T) {
	e, ada := newAdaEnv(t)
	str := func(s string) *string { return &s }
	acct, err := e.svc.UpdateProfile(t.Context(), ada, app.ProfileParams{Name: str("  Ada L  "), TelegramChatID: str(" 123456789 "),
		Email: str(" ada@example.com "), WhatsAppNumber: str("+49 151 2345678")})
	if err != nil {
		t.Fatal(err)
	}
	if acct.Name != "Ada L" || acct.TelegramChatID != "123456789" || acct.Email != "ada@example.com" || acct.WhatsAppNumber != "491512345678" {
		t.Fatalf("stored %q %q %q %q", acct.Name, acct.TelegramChatID, acct.Email, acct.WhatsAppNumber)
	}
	for _, c := range []struct {
		p    app.ProfileParams
		says string
	}{
		{app.ProfileParams{Name: str(""), TelegramChatID: str("chat"), Email: str("no"), WhatsAppNumber: str("1")}, "name is required"},
		{app.ProfileParams{TelegramChatID: str("chat"), Email: str("no"), WhatsAppNumber: str("1")}, "not a Telegram chat id"},
		{app.ProfileParams{Email: str("no"), WhatsAppNumber: str("1")}, "not an email address"},
		{app.ProfileParams{WhatsAppNumber: str("1")}, "not a WhatsApp number"},
	} {
		if _, err := e.svc.UpdateProfile(t.Context(), ada, c.p); err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%v, want %q", err, c.says)
		}
	}
	if got, err := e.svc.Profile(t.Context(), ada); err != nil || got.Name != "Ada L" || got.Email != "ada@example.com" {
		t.Fatalf("after the refusals: %+v %v", got, err)
	}
}
