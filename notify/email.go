// Email over SMTP (go-mail): implicit TLS for smtps://, mandatory STARTTLS
// for smtp://.
package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	mail "github.com/wneessen/go-mail"
)

// Email is one message to one recipient.
type Email struct {
	To        string
	Subject   string // already safe for a header
	Text      string
	HTML      string
	MessageID string // without angle brackets; the same on every retry
}

// MailerConfig configures a Mailer.
type MailerConfig struct {
	// URL is smtps://user:pass@host:465 (implicit TLS) or
	// smtp://user:pass@host:587 (STARTTLS, required).
	URL  string
	From string
	// TLS overrides the TLS settings (a private CA); nil: system roots.
	TLS *tls.Config
	// Timeout bounds a whole send. Default 30s.
	Timeout time.Duration
}

// Mailer sends email through one SMTP server. It is safe for concurrent use:
// each send has its own connection.
type Mailer struct {
	host string
	from string
	opts []mail.Option
}

// NewMailer checks the configuration; it does not connect.
func NewMailer(cfg MailerConfig) (*Mailer, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || u.Hostname() == "" {
		return nil, errors.New("notify: the SMTP URL must look like smtps://host:465 or smtp://host:587")
	}
	if err := mail.NewMsg().From(cfg.From); err != nil {
		return nil, fmt.Errorf("notify: From address %q: %w", cfg.From, err)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	opts := []mail.Option{mail.WithTimeout(cfg.Timeout)}
	port := 0
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil || port < 1 || port > 65535 {
			return nil, fmt.Errorf("notify: SMTP port %q is not a port number", p)
		}
	}
	switch u.Scheme {
	case "smtps":
		if port == 0 {
			port = 465
		}
		opts = append(opts, mail.WithSSL())
	case "smtp":
		if port == 0 {
			port = 587
		}
		opts = append(opts, mail.WithTLSPortPolicy(mail.TLSMandatory))
	default:
		return nil, fmt.Errorf("notify: SMTP URL scheme %q: want smtp or smtps", u.Scheme)
	}
	opts = append(opts, mail.WithPort(port))
	tc := cfg.TLS
	if tc == nil {
		tc = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	tc = tc.Clone()
	tc.ServerName = u.Hostname()
	opts = append(opts, mail.WithTLSConfig(tc))
	if u.User != nil {
		pass, _ := u.User.Password()
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover),
			mail.WithUsername(u.User.Username()), mail.WithPassword(pass))
	}
	return &Mailer{host: u.Hostname(), from: cfg.From, opts: opts}, nil
}

// Send delivers e. A refusal the server calls permanent (a 5xx reply, such
// as an unknown mailbox) is a *PermanentError; anything else may succeed on
// a retry.
func (m *Mailer) Send(ctx context.Context, e Email) error {
	msg := mail.NewMsg(mail.WithNoDefaultUserAgent())
	if err := msg.From(m.from); err != nil {
		return &PermanentError{Err: fmt.Errorf("from address: %w", err)}
	}
	if err := msg.To(e.To); err != nil {
		return &PermanentError{Err: fmt.Errorf("recipient address: %w", err)}
	}
	msg.Subject(e.Subject)
	msg.SetMessageIDWithValue(e.MessageID)
	msg.SetDate()
	msg.SetBodyString(mail.TypeTextPlain, e.Text)
	if e.HTML != "" {
		msg.AddAlternativeString(mail.TypeTextHTML, e.HTML)
	}
	c, err := mail.NewClient(m.host, m.opts...)
	if err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		var se *mail.SendError
		if errors.As(err, &se) && !se.IsTemp() && se.ErrorCode() >= 500 {
			return &PermanentError{Err: fmt.Errorf("smtp: %w", err)}
		}
		return fmt.Errorf("smtp: %w", err)
	}
	return nil
}

// PermanentError is a refusal that retrying will not change.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }
