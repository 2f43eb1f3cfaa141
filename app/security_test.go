package app_test

import (
	"strings"
	"testing"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/internal/seclog"
	"github.com/stockroom/stockroom/store"
)

// Security events are structured lines with who (account, key), what and
// from where; codes never reach the log.
func TestSecurityEventsLogged(t *testing.T) {
	adminKey := edKey(t)
	e := newIdentityEnv(t, true, adminKey)
	ctx := t.Context()
	admin := e.signUp(t, "Root", adminKey)
	admin.RemoteAddr = "192.0.2.1:5000"
	ada := e.signUp(t, "Ada", edKey(t))
	ada.RemoteAddr = "192.0.2.2:5000"

	link := e.linkCode(t, ada)
	laptop, err := e.svc.ClaimKey(ctx, edKey(t), "198.51.100.3:4000", link)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.ClaimKey(ctx, edKey(t), "203.0.113.66:4000", link); err == nil {
		t.Fatal("a spent code worked")
	}
	e.removeKey(t, ada, 1)
	invite, err := e.svc.AdminInvite(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.AdminSetDisabled(ctx, admin, ada.Account.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.AdminSetDisabled(ctx, admin, ada.Account.ID, false); err != nil {
		t.Fatal(err)
	}

	want := []struct {
		event   string
		account int64
		key     string
		remote  string
	}{
		{"account created", ada.Account.ID, ada.Fingerprint, "192.0.2.1:5000"},
		{"code issued", ada.Account.ID, ada.Fingerprint, ada.RemoteAddr},
		{"key linked", ada.Account.ID, laptop.Fingerprint, "198.51.100.3:4000"},
		{"code redemption failed", 0, "*", "203.0.113.66:4000"},
		{"key removed", ada.Account.ID, ada.Fingerprint, ada.RemoteAddr},
		{"account disabled", admin.Account.ID, admin.Fingerprint, admin.RemoteAddr},
		{"account enabled", admin.Account.ID, admin.Fingerprint, admin.RemoteAddr},
	}
	for _, w := range want {
		recs := e.log.Find("security", w.event)
		found := false
		for _, r := range recs {
			acct, _ := r["account"].(float64)
			if int64(acct) == w.account && (r["key"] == w.key || w.key == "*" && r["key"] != "") && r["remote"] == w.remote {
				found = true
			}
		}
		if !found {
			t.Errorf("no %q event by account %d key %q from %q; got %v", w.event, w.account, w.key, w.remote, recs)
		}
	}
	if recs := e.log.Find("security", "key removed"); len(recs) == 0 || recs[0]["removed_key"] != laptop.Fingerprint {
		t.Errorf("key removed does not name the key: %v", recs)
	}
	if recs := e.log.Find("security", "account disabled"); len(recs) == 0 || recs[0]["target"] != float64(ada.Account.ID) {
		t.Errorf("account disabled does not name the account: %v", recs)
	}
	logged := strings.ToUpper(e.log.String())
	for _, code := range []string{link, invite.Plain} {
		norm, _ := store.NormalizeCode(code)
		if strings.Contains(logged, code) || strings.Contains(logged, norm) {
			t.Errorf("code %s reached the log", code)
		}
	}
}

// An attacker guessing codes from one address cannot flood the log: past
// seclog.Burst lines of an event a minute, one line says the rest are
// suppressed.
func TestSecurityLogRateLimited(t *testing.T) {
	e := newIdentityEnv(t, true)
	ctx := t.Context()
	for range 200 {
		_, _, _ = e.svc.RedeemCode(ctx, app.RedeemParams{Code: "AAAA-BBBB-CCCC-DDDD", Key: edKey(t), RemoteAddr: "203.0.113.9:1"})
	}
	failed := len(e.log.Find("security", "code redemption failed"))
	limited := len(e.log.Find("security", "code redemption refused: rate limit"))
	suppressed := len(e.log.Find("security", "suppressed"))
	if failed > seclog.Burst || limited > seclog.Burst || suppressed != 2 {
		t.Fatalf("200 attempts logged %d failures, %d refusals, %d suppression notices; want at most %d, %d and 2",
			failed, limited, suppressed, seclog.Burst, seclog.Burst)
	}
}
