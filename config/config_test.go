package config

import (
	"bytes"
	"errors"
	"flag"
	"strings"
	"testing"
	"time"
)

func fakeEnv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestDefaultsRunOutOfTheBox(t *testing.T) {
	c, err := Load(nil, fakeEnv(nil), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if c.DataDir != "./data" || c.DatabaseURL != "" || c.SSHAddr != ":23234" || c.HTTPAddr != ":8080" ||
		c.PublicURL != "http://localhost:8080" || c.SyncInterval != 15*time.Minute || c.Signup != "open" {
		t.Errorf("defaults: %+v", c)
	}
	if !c.Demo() {
		t.Error("no Etsy keystring should mean demo mode")
	}
	if c.HostKeyPath != "./data/ssh_host_ed25519" {
		t.Errorf("host key path %q", c.HostKeyPath)
	}
}

func TestFlagWinsOverEnvironment(t *testing.T) {
	c, err := Load([]string{"--ssh-addr", ":2222"}, fakeEnv(map[string]string{
		"STOCKROOM_SSH_ADDR": ":3333", "STOCKROOM_SYNC_INTERVAL": "5m",
	}), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if c.SSHAddr != ":2222" || c.SyncInterval != 5*time.Minute {
		t.Errorf("ssh %q interval %v", c.SSHAddr, c.SyncInterval)
	}
}

// A bad setting is one error naming where it came from and why.
func TestBadSettingsNameTheSetting(t *testing.T) {
	cases := []struct {
		args    []string
		env     map[string]string
		setting string
	}{
		{env: map[string]string{"STOCKROOM_SYNC_INTERVAL": "soon"}, setting: "STOCKROOM_SYNC_INTERVAL"},
		{args: []string{"--sync-interval", "10s"}, setting: "STOCKROOM_SYNC_INTERVAL"},
		{env: map[string]string{"STOCKROOM_DATABASE_URL": "mysql://x"}, setting: "STOCKROOM_DATABASE_URL"},
		{args: []string{"--http-addr", "8080"}, setting: "--http-addr"},
		{env: map[string]string{"STOCKROOM_SIGNUP": "maybe"}, setting: "STOCKROOM_SIGNUP"},
		{env: map[string]string{"STOCKROOM_ETSY_KEYSTRING": "abc"}, setting: "STOCKROOM_ETSY_SHARED_SECRET"},
		{env: map[string]string{"STOCKROOM_ETSY_WEBHOOK_SECRET": "nope"}, setting: "STOCKROOM_ETSY_WEBHOOK_SECRET"},
		{env: map[string]string{"STOCKROOM_SMTP_URL": "http://mail"}, setting: "STOCKROOM_SMTP_URL"},
		{env: map[string]string{"STOCKROOM_WORKERS": "0"}, setting: "STOCKROOM_WORKERS"},
		{env: map[string]string{"STOCKROOM_SYNC_JITTER": "NaN"}, setting: "STOCKROOM_SYNC_JITTER"},
		{env: map[string]string{"STOCKROOM_ETSY_APP_MAX_QPS": "NaN"}, setting: "STOCKROOM_ETSY_APP_MAX_QPS"},
		{env: map[string]string{"STOCKROOM_ETSY_APP_MAX_QPS": "+Inf"}, setting: "STOCKROOM_ETSY_APP_MAX_QPS"},
		{args: []string{"extra"}, setting: "arguments"},
	}
	for _, c := range cases {
		_, err := Load(c.args, fakeEnv(c.env), &bytes.Buffer{})
		var ce *Error
		if !errors.As(err, &ce) || ce.Setting != c.setting || ce.Reason == "" {
			t.Errorf("args %v env %v: got %v, want an error naming %s", c.args, c.env, err, c.setting)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("error is not one line: %q", err)
		}
	}
}

// Secrets never appear in --help, whatever the environment holds.
func TestHelpShowsNoSecrets(t *testing.T) {
	var out bytes.Buffer
	secrets := map[string]string{
		"STOCKROOM_ETSY_SHARED_SECRET": "s3cret-shared", "STOCKROOM_ENCRYPTION_KEYS": "k1:c2VjcmV0",
		"STOCKROOM_DATABASE_URL": "postgres://u:pgpass@db/x", "STOCKROOM_TELEGRAM_BOT_TOKEN": "123:bottoken",
	}
	_, err := Load([]string{"--help"}, fakeEnv(secrets), &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("--help: %v", err)
	}
	for _, v := range []string{"s3cret-shared", "c2VjcmV0", "pgpass", "bottoken"} {
		if strings.Contains(out.String(), v) {
			t.Errorf("--help shows %q", v)
		}
	}
	if !strings.Contains(out.String(), "STOCKROOM_ENCRYPTION_KEYS") {
		t.Error("--help does not document STOCKROOM_ENCRYPTION_KEYS")
	}
}

func TestSecretsListsPasswordsInURLs(t *testing.T) {
	c, err := Load(nil, fakeEnv(map[string]string{
		"STOCKROOM_DATABASE_URL": "postgres://u:pgpass@db/x", "STOCKROOM_SMTP_URL": "smtps://me:mailpass@mail:465",
		"STOCKROOM_ETSY_KEYSTRING": "ks", "STOCKROOM_ETSY_SHARED_SECRET": "shh",
	}), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(c.Secrets(), ",")
	for _, want := range []string{"pgpass", "mailpass", "shh"} {
		if !strings.Contains(got, want) {
			t.Errorf("Secrets() = %q, missing %q", got, want)
		}
	}
	if r := Redacted(c.DatabaseURL); strings.Contains(r, "pgpass") {
		t.Errorf("Redacted = %q", r)
	}
}

// Issue 17: --help did not list the keygen and healthcheck commands.
func TestHelpListsEveryCommand(t *testing.T) {
	var out bytes.Buffer
	if _, err := Load([]string{"--help"}, fakeEnv(nil), &out); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("err %v", err)
	}
	for _, want := range []string{"stockroom sandbox", "stockroom keygen", "stockroom healthcheck"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("--help lacks %q:\n%s", want, out.String())
		}
	}
}

// Issue 17: a public URL whose port is not the HTTP listener's means Etsy's
// OAuth callback never arrives, unless a proxy forwards it; say so.
func TestPublicURLPortMismatchWarns(t *testing.T) {
	cases := []struct {
		public, addr string
		warn         bool
	}{
		{"http://localhost:8080", ":8080", false},
		{"http://localhost:9090", ":8080", true},
		{"http://127.0.0.1", "127.0.0.1:8080", true},
		{"https://stockroom.example.com", ":8080", false}, // behind a proxy on 443
		{"https://stockroom.example.com:8443", ":8080", true},
		{"https://stockroom.example.com:8080", "0.0.0.0:8080", false},
	}
	for _, c := range cases {
		cfg, err := Load(nil, fakeEnv(map[string]string{"STOCKROOM_PUBLIC_URL": c.public, "STOCKROOM_HTTP_ADDR": c.addr}), &bytes.Buffer{})
		if err != nil {
			t.Fatal(err)
		}
		w := cfg.Warnings()
		if got := len(w) > 0; got != c.warn {
			t.Errorf("%s with %s: warnings %q", c.public, c.addr, w)
		}
		if c.warn && (!strings.Contains(w[0], "STOCKROOM_PUBLIC_URL") || !strings.Contains(w[0], "STOCKROOM_HTTP_ADDR")) {
			t.Errorf("warning %q does not name both settings", w[0])
		}
	}
}

// The activity ledger is kept for ever unless the operator sets a
// retention, in days or as a duration.
func TestActivityRetention(t *testing.T) {
	cases := map[string]time.Duration{"": 0, "90d": 90 * 24 * time.Hour, "2160h": 2160 * time.Hour}
	for v, want := range cases {
		c, err := Load(nil, fakeEnv(map[string]string{"STOCKROOM_ACTIVITY_RETENTION": v}), &bytes.Buffer{})
		if err != nil || c.ActivityRetention != want {
			t.Errorf("%q: %v, %v; want %v", v, c.ActivityRetention, err, want)
		}
	}
	for _, v := range []string{"0d", "-1h", "forever", "d"} {
		_, err := Load(nil, fakeEnv(map[string]string{"STOCKROOM_ACTIVITY_RETENTION": v}), &bytes.Buffer{})
		var ce *Error
		if !errors.As(err, &ce) || ce.Setting != "STOCKROOM_ACTIVITY_RETENTION" {
			t.Errorf("%q accepted or unnamed: %v", v, err)
		}
	}
}
