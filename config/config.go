// Package config is Stockroom's one typed configuration, read from flags and
// STOCKROOM_* environment variables (a flag wins over its variable), with
// defaults that run out of the box.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Config holds every setting. Secret fields are never printed: String and
// LogValue leave them out.
type Config struct {
	DataDir     string
	DatabaseURL string // secret: may hold a password
	SSHAddr     string
	HTTPAddr    string
	PublicURL   string
	HostKeyPath string

	EncryptionKeys string // secret
	InContainer    bool

	Signup    string // open | closed
	AdminKeys string // authorized_keys lines, or a path to such a file

	EtsyKeystring     string
	EtsySharedSecret  string // secret
	EtsyAPIURL        string
	EtsyAuthURL       string
	EtsyTokenURL      string
	EtsyWebhookSecret string // secret, whsec_...
	EtsyAppMaxQPS     float64
	SandboxAddr       string

	SyncInterval      time.Duration
	ReconcileInterval time.Duration
	SyncJitter        float64
	Workers           int

	SMTPURL          string // secret: may hold a password
	SMTPFrom         string
	TelegramBotToken string // secret
	TelegramAPIURL   string
	// WhatsApp Business Cloud API: all of token and phone number id, or
	// neither.
	WhatsAppToken         string // secret
	WhatsAppPhoneNumberID string
	WhatsAppAPIURL        string
	WhatsAppTemplate      string

	IdleTimeout        time.Duration
	MaxSessionTime     time.Duration
	MaxConnsPerIP      int
	MaxSessionsPerUser int

	LogFormat string // auto | json | text
	LogLevel  string

	// Operations: metrics and SQLite backups.
	MetricsAddr    string // empty: no metrics listener
	BackupInterval time.Duration
	BackupKeep     int
	// ActivityRetention is how long the activity ledger keeps an event;
	// 0 keeps every event for ever.
	ActivityRetention time.Duration
}

// Demo tells whether no Etsy credentials are configured, in which case the
// server runs the Etsy sandbox in process.
func (c *Config) Demo() bool { return c.EtsyKeystring == "" }

// Error is a bad setting: the server prints it as one line and exits 2.
type Error struct {
	Setting string
	Reason  string
}

func (e *Error) Error() string { return fmt.Sprintf("config: %s: %s", e.Setting, e.Reason) }

type setting struct {
	name   string // flag name; the variable is STOCKROOM_ + upper snake
	usage  string
	secret bool
	def    string
	set    func(c *Config, v string) error
}

func env(name string) string {
	return "STOCKROOM_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

func str(p func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error { *p(c) = v; return nil }
}

func dur(p func(*Config) *time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return errors.New("want a duration such as 15m or 1h30m")
		}
		*p(c) = d
		return nil
	}
}

func integer(p func(*Config) *int, lo, hi int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return fmt.Errorf("want a whole number from %d to %d", lo, hi)
		}
		*p(c) = n
		return nil
	}
}

func boolean(p func(*Config) *bool) func(*Config, string) error {
	return func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return errors.New("want true or false")
		}
		*p(c) = b
		return nil
	}
}

func addr(p func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error {
		if _, _, err := net.SplitHostPort(v); err != nil {
			return errors.New("want host:port, such as :23234 or 127.0.0.1:8080")
		}
		*p(c) = v
		return nil
	}
}

func httpURL(p func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return errors.New("want an http or https URL")
		}
		*p(c) = strings.TrimRight(v, "/")
		return nil
	}
}

// number takes a number from lo to hi; want says what is wanted.
func number(p func(*Config) *float64, lo, hi float64, want string) func(*Config, string) error {
	return func(c *Config, v string) error {
		f, err := strconv.ParseFloat(v, 64)
		// !(in range) refuses NaN too, which every comparison answers
		// false; infinity is never a setting.
		if err != nil || !(f >= lo && f <= hi) || math.IsInf(f, 0) {
			return errors.New(want)
		}
		*p(c) = f
		return nil
	}
}

// oneOf takes one of the values.
func oneOf(p func(*Config) *string, values ...string) func(*Config, string) error {
	return func(c *Config, v string) error {
		if !slices.Contains(values, v) {
			return errors.New("want " + strings.Join(values[:len(values)-1], ", ") + " or " + values[len(values)-1])
		}
		*p(c) = v
		return nil
	}
}

// prefixed takes empty or a value with one of the prefixes; want says
// what is wanted.
func prefixed(p func(*Config) *string, want string, prefixes ...string) func(*Config, string) error {
	return func(c *Config, v string) error {
		if v != "" && !slices.ContainsFunc(prefixes, func(pre string) bool { return strings.HasPrefix(v, pre) }) {
			return errors.New(want)
		}
		*p(c) = v
		return nil
	}
}

var settings = []setting{
	{name: "data-dir", def: "./data", usage: "directory for the SQLite database, the SSH host key and generated development secrets",
		set: str(func(c *Config) *string { return &c.DataDir })},
	{name: "database-url", secret: true, usage: "empty for SQLite in the data dir; postgres://... for PostgreSQL",
		set: prefixed(func(c *Config) *string { return &c.DatabaseURL }, "want empty (SQLite) or a postgres:// URL", "postgres://", "postgresql://")},
	{name: "ssh-addr", def: ":23234", usage: "SSH listen address", set: addr(func(c *Config) *string { return &c.SSHAddr })},
	{name: "http-addr", def: ":8080", usage: "HTTP listen address (OAuth callback, webhooks, /healthz)",
		set: addr(func(c *Config) *string { return &c.HTTPAddr })},
	{name: "public-url", def: "http://localhost:8080", usage: "public base URL of the HTTP listener; the OAuth redirect URI is <public-url>/oauth/callback",
		set: httpURL(func(c *Config) *string { return &c.PublicURL })},
	{name: "host-key", usage: "SSH host key file (default <data-dir>/ssh_host_ed25519)",
		set: str(func(c *Config) *string { return &c.HostKeyPath })},
	{name: "encryption-keys", secret: true, usage: "key ring for secrets at rest: id:base64key entries, comma separated, the first encrypts",
		set: str(func(c *Config) *string { return &c.EncryptionKeys })},
	{name: "in-container", usage: "set by the container image: a missing encryption key is then an error",
		set: boolean(func(c *Config) *bool { return &c.InContainer })},
	{name: "signup", def: "open", usage: "open: unknown SSH keys may create an account; closed: they are refused",
		set: oneOf(func(c *Config) *string { return &c.Signup }, "open", "closed")},
	{name: "admin-keys", usage: "admin public keys, authorized_keys lines separated by newlines, or a path to such a file",
		set: str(func(c *Config) *string { return &c.AdminKeys })},
	{name: "etsy-keystring", usage: "Etsy app keystring; empty runs the built-in Etsy sandbox (demo mode)",
		set: str(func(c *Config) *string { return &c.EtsyKeystring })},
	{name: "etsy-shared-secret", secret: true, usage: "Etsy app shared secret",
		set: str(func(c *Config) *string { return &c.EtsySharedSecret })},
	{name: "etsy-api-url", def: "https://api.etsy.com/v3", usage: "Etsy API base URL",
		set: httpURL(func(c *Config) *string { return &c.EtsyAPIURL })},
	{name: "etsy-auth-url", def: "https://www.etsy.com/oauth/connect", usage: "Etsy OAuth authorize page",
		set: httpURL(func(c *Config) *string { return &c.EtsyAuthURL })},
	{name: "etsy-token-url", def: "https://api.etsy.com/v3/public/oauth/token", usage: "Etsy OAuth token endpoint",
		set: httpURL(func(c *Config) *string { return &c.EtsyTokenURL })},
	{name: "etsy-webhook-secret", secret: true, usage: "Etsy webhook signing secret (whsec_...); empty disables /etsy/webhook",
		set: prefixed(func(c *Config) *string { return &c.EtsyWebhookSecret }, "want a whsec_ secret", "whsec_")},
	{name: "etsy-app-max-qps", def: "0", usage: "app-wide ceiling on Etsy calls per second across all shops (0: none)",
		set: number(func(c *Config) *float64 { return &c.EtsyAppMaxQPS }, 0, math.Inf(1), "want a number of calls per second, 0 for none")},
	{name: "sandbox-addr", def: "127.0.0.1:8090", usage: "demo mode only: where the built-in Etsy sandbox listens (its consent page opens in your browser)",
		set: addr(func(c *Config) *string { return &c.SandboxAddr })},
	{name: "sync-interval", def: "15m", usage: "how often each shop syncs", set: dur(func(c *Config) *time.Duration { return &c.SyncInterval })},
	{name: "reconcile-interval", def: "6h", usage: "how often a full reconcile catches edits made on Etsy.com",
		set: dur(func(c *Config) *time.Duration { return &c.ReconcileInterval })},
	{name: "sync-jitter", def: "0.2", usage: "spread of sync times as a fraction of the interval (0..1)",
		set: number(func(c *Config) *float64 { return &c.SyncJitter }, 0, 1, "want a fraction from 0 to 1")},
	{name: "workers", def: "10", usage: "background jobs worked at once by this process",
		set: integer(func(c *Config) *int { return &c.Workers }, 1, 1000)},
	{name: "smtp-url", secret: true, usage: "SMTP server for alert email: smtps://user:pass@host:465 or smtp://user:pass@host:587 (STARTTLS)",
		set: func(c *Config, v string) error {
			if v == "" {
				c.SMTPURL = ""
				return nil
			}
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
				return errors.New("want smtp://host:port or smtps://host:port")
			}
			c.SMTPURL = v
			return nil
		}},
	{name: "smtp-from", def: "Stockroom <stockroom@localhost>", usage: "From address of alert email",
		set: str(func(c *Config) *string { return &c.SMTPFrom })},
	{name: "telegram-bot-token", secret: true, usage: "Telegram bot token for alerts",
		set: str(func(c *Config) *string { return &c.TelegramBotToken })},
	{name: "telegram-api-url", def: "https://api.telegram.org", usage: "Telegram Bot API base URL",
		set: httpURL(func(c *Config) *string { return &c.TelegramAPIURL })},
	{name: "whatsapp-token", secret: true, usage: "WhatsApp Business Cloud API access token for alerts",
		set: str(func(c *Config) *string { return &c.WhatsAppToken })},
	{name: "whatsapp-phone-number-id", usage: "WhatsApp Business sending phone number id (WhatsApp Manager)",
		set: str(func(c *Config) *string { return &c.WhatsAppPhoneNumberID })},
	{name: "whatsapp-api-url", def: "https://graph.facebook.com/v21.0", usage: "WhatsApp Business Cloud API (Graph API) base URL",
		set: httpURL(func(c *Config) *string { return &c.WhatsAppAPIURL })},
	{name: "whatsapp-template", def: "stockroom_alert", usage: "approved WhatsApp template whose body has one parameter, the alert",
		set: str(func(c *Config) *string { return &c.WhatsAppTemplate })},
	{name: "idle-timeout", def: "30m", usage: "close an SSH session after this long without a keypress",
		set: dur(func(c *Config) *time.Duration { return &c.IdleTimeout })},
	{name: "max-session", def: "12h", usage: "longest an SSH session may last",
		set: dur(func(c *Config) *time.Duration { return &c.MaxSessionTime })},
	{name: "activity-retention", usage: "delete activity older than this (90d, 2160h); unset keeps it for ever",
		set: func(c *Config, v string) error {
			if v == "" {
				c.ActivityRetention = 0
				return nil
			}
			d, err := time.ParseDuration(v)
			if n, ok := strings.CutSuffix(v, "d"); ok {
				var days int
				days, err = strconv.Atoi(n)
				d = time.Duration(days) * 24 * time.Hour
			}
			if err != nil || d <= 0 {
				return errors.New("want a number of days (90d) or a duration (2160h)")
			}
			c.ActivityRetention = d
			return nil
		}},
	{name: "max-conns-per-ip", def: "10", usage: "SSH connections at once from one IP address, checked before authentication",
		set: integer(func(c *Config) *int { return &c.MaxConnsPerIP }, 1, 10000)},
	{name: "max-sessions-per-account", def: "8", usage: "SSH sessions at once per account",
		set: integer(func(c *Config) *int { return &c.MaxSessionsPerUser }, 1, 1000)},
	{name: "log-format", def: "auto", usage: "auto (text on a terminal, JSON otherwise), json or text",
		set: oneOf(func(c *Config) *string { return &c.LogFormat }, "auto", "json", "text")},
	{name: "log-level", def: "info", usage: "debug, info, warn or error",
		set: oneOf(func(c *Config) *string { return &c.LogLevel }, "debug", "info", "warn", "error")},
	{name: "metrics-addr", usage: "listen address of Prometheus /metrics, such as 127.0.0.1:9090 (empty: no metrics)",
		set: addr(func(c *Config) *string { return &c.MetricsAddr })},
	{name: "backup-interval", def: "6h", usage: "SQLite only: how often an online backup is written to <data-dir>/backups (0: never)",
		set: func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 || (d > 0 && d < time.Minute) {
				return errors.New("want 0 (no scheduled backups) or a duration of at least 1m, such as 6h")
			}
			c.BackupInterval = d
			return nil
		}},
	{name: "backup-keep", def: "28", usage: "SQLite only: how many scheduled backups to keep; older ones are deleted",
		set: integer(func(c *Config) *int { return &c.BackupKeep }, 1, 100000)},
}

// Load reads the settings from args and the environment. A bad value is an
// *Error naming the setting; -h prints the help to out and returns
// flag.ErrHelp.
func Load(args []string, getenv func(string) string, out io.Writer) (*Config, error) {
	fs := flag.NewFlagSet("stockroom", flag.ContinueOnError)
	fs.SetOutput(out)
	vals := make(map[string]*string, len(settings))
	for _, s := range settings {
		v := new(string)
		vals[s.name] = v
		fs.StringVar(v, s.name, "", "")
	}
	fs.Usage = func() { Usage(out) }
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, &Error{Setting: "arguments", Reason: fmt.Sprintf("unexpected %q", fs.Arg(0))}
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })

	c := &Config{}
	for _, s := range settings {
		v, from := s.def, ""
		if e := getenv(env(s.name)); e != "" {
			v, from = e, env(s.name)
		}
		if given[s.name] {
			v, from = *vals[s.name], "--"+s.name
		}
		if v == "" && s.def == "" {
			continue
		}
		if err := s.set(c, v); err != nil {
			if from == "" {
				from = "--" + s.name
			}
			return nil, &Error{Setting: from, Reason: err.Error()}
		}
	}
	if c.HostKeyPath == "" {
		c.HostKeyPath = c.DataDir + "/ssh_host_ed25519"
	}
	if c.EtsyKeystring != "" && c.EtsySharedSecret == "" {
		return nil, &Error{Setting: env("etsy-shared-secret"), Reason: "required with STOCKROOM_ETSY_KEYSTRING (Etsy refuses a bare keystring)"}
	}
	if c.SyncInterval < time.Minute {
		return nil, &Error{Setting: env("sync-interval"), Reason: "must be at least 1m"}
	}
	return c, nil
}

// Usage prints every setting with its variable and default; secrets show no
// value.
func Usage(w io.Writer) {
	fmt.Fprintf(w, "Usage:\n")
	for _, c := range [][2]string{
		{"stockroom [flags]", "run the server (settings below)"},
		{"stockroom sandbox [--addr :8090] [--seed file.json]", "run the Etsy sandbox on its own"},
		{"stockroom keygen", "print a new STOCKROOM_ENCRYPTION_KEYS entry"},
		{"stockroom healthcheck", "exit 0 when the local server answers /healthz (for a container)"},
	} {
		fmt.Fprintf(w, "  %-52s %s\n", c[0], c[1])
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Every flag can also be set by its environment variable; a flag wins.\n\n")
	for _, s := range settings {
		def := s.def
		if def != "" {
			def = " (default " + def + ")"
		}
		fmt.Fprintf(w, "  --%s, %s%s\n      %s\n", s.name, env(s.name), def, s.usage)
	}
}

// Warnings lists settings that are valid but probably wrong, for the log
// at start.
func (c *Config) Warnings() []string {
	var out []string
	if w := c.publicPortWarning(); w != "" {
		out = append(out, w)
	}
	return out
}

// publicPortWarning: Etsy sends the seller's browser to PublicURL's
// /oauth/callback, which only arrives if something listens on that port.
// A URL with an explicit port, or one on this machine, should name the
// HTTP listener's port; a public URL on the scheme's default port is
// taken to be behind a proxy.
func (c *Config) publicPortWarning() string {
	u, err := url.Parse(c.PublicURL)
	if err != nil {
		return ""
	}
	_, listen, err := net.SplitHostPort(c.HTTPAddr)
	if err != nil {
		return ""
	}
	port := u.Port()
	if port == "" {
		host := u.Hostname()
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return ""
		}
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	if port == listen {
		return ""
	}
	return fmt.Sprintf("STOCKROOM_PUBLIC_URL %s is on port %s but STOCKROOM_HTTP_ADDR listens on %s: "+
		"Etsy's OAuth callback will not arrive unless a proxy forwards port %s to %s",
		c.PublicURL, port, listen, port, listen)
}

// Secrets returns the values that must never reach a log line, so a log
// handler can redact them.
func (c *Config) Secrets() []string {
	var out []string
	for _, v := range []string{c.EncryptionKeys, c.EtsySharedSecret, c.EtsyWebhookSecret, c.TelegramBotToken, c.WhatsAppToken} {
		if v != "" {
			out = append(out, v)
		}
	}
	for _, raw := range []string{c.DatabaseURL, c.SMTPURL} {
		if u, err := url.Parse(raw); err == nil && u.User != nil {
			if p, ok := u.User.Password(); ok && p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// Redacted returns a URL with its password replaced, for logs.
func Redacted(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
