package notify_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	smtp "github.com/emersion/go-smtp"

	"github.com/stockroom/stockroom/internal/testwait"
	"github.com/stockroom/stockroom/notify"
)

// mailbox is an in-process SMTP server with STARTTLS that keeps what it
// receives.
type mailbox struct {
	mu   sync.Mutex
	got  []received
	addr string
	srv  *smtp.Server
	tls  *tls.Config // for the client: trusts the server's certificate
}

type received struct {
	From string
	To   []string
	Data []byte
}

type session struct {
	mb  *mailbox
	cur received
}

func (s *session) Reset()        { s.cur = received{} }
func (s *session) Logout() error { return nil }
func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.cur.From = from
	return nil
}
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.To = append(s.cur.To, to)
	return nil
}
func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.Data = b
	s.mb.mu.Lock()
	s.mb.got = append(s.mb.got, s.cur)
	s.mb.mu.Unlock()
	return nil
}

func (mb *mailbox) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{mb: mb}, nil }

func (mb *mailbox) messages() []received {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return append([]received(nil), mb.got...)
}

// selfSigned makes a certificate for 127.0.0.1 and a client config that
// trusts it.
func selfSigned(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}},
		&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
}

// newMailbox prepares a server on a free port; start begins listening
// (tests of an SMTP outage start it late).
func newMailbox(t *testing.T) *mailbox {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	serverTLS, clientTLS := selfSigned(t)
	mb := &mailbox{addr: addr, tls: clientTLS}
	mb.srv = smtp.NewServer(mb)
	mb.srv.Domain = "127.0.0.1"
	mb.srv.TLSConfig = serverTLS
	mb.srv.ReadTimeout, mb.srv.WriteTimeout = 5*time.Second, 5*time.Second
	return mb
}

func (mb *mailbox) start(t *testing.T) {
	t.Helper()
	l, err := net.Listen("tcp", mb.addr)
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = mb.srv.Serve(l) }()
	t.Cleanup(func() { _ = mb.srv.Close() })
}

func (mb *mailbox) mailer(t *testing.T) *notify.Mailer {
	t.Helper()
	m, err := notify.NewMailer(notify.MailerConfig{URL: "smtp://" + mb.addr, From: "Stockroom <alerts@stockroom.test>", TLS: mb.tls, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// parsed is a received message split into headers and its two bodies.
type parsed struct {
	Header mail.Header
	Text   string
	HTML   string
}

// onlyToAda waits for the one email, checks it went to Ada alone with no
// header injected by what it quotes, and parses it.
func (m *mailbox) onlyToAda(t *testing.T) parsed {
	t.Helper()
	testwait.Until(t, "the email", func() bool { return len(m.messages()) == 1 })
	raw := m.messages()[0]
	if len(raw.To) != 1 || raw.To[0] != "ada@example.com" {
		t.Fatalf("recipients %v", raw.To)
	}
	p := parse(t, raw.Data)
	if p.Header.Get("Bcc") != "" {
		t.Fatal("a Bcc header was injected")
	}
	return p
}

func parse(t *testing.T, raw []byte) parsed {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("read message: %v\n%s", err, raw)
	}
	p := parsed{Header: m.Header}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("content type %q (%v), want multipart/alternative", m.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(part) // NextPart decodes quoted-printable
		switch ct, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type")); ct {
		case "text/plain":
			p.Text = string(b)
		case "text/html":
			p.HTML = string(b)
		}
	}
	return p
}

func (p parsed) subject(t *testing.T) string {
	t.Helper()
	s, err := new(mime.WordDecoder).DecodeHeader(p.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestMailerSendsOverSTARTTLS(t *testing.T) {
	mb := newMailbox(t)
	mb.start(t)
	err := mb.mailer(t).Send(t.Context(), notify.Email{To: "ada@example.com", Subject: "Low stock: Mug", Text: "3 left\n",
		HTML: "<p>3 left</p>", MessageID: "alert-1.delivery-2@stockroom.test"})
	if err != nil {
		t.Fatal(err)
	}
	got := mb.messages()
	if len(got) != 1 {
		t.Fatalf("%d messages", len(got))
	}
	if got[0].From != "alerts@stockroom.test" || len(got[0].To) != 1 || got[0].To[0] != "ada@example.com" {
		t.Fatalf("envelope from %q to %v", got[0].From, got[0].To)
	}
	p := parse(t, got[0].Data)
	if s := p.subject(t); s != "Low stock: Mug" {
		t.Fatalf("subject %q", s)
	}
	if id := p.Header.Get("Message-Id"); id != "<alert-1.delivery-2@stockroom.test>" {
		t.Fatalf("Message-ID %q", id)
	}
	if p.Header.Get("To") != "<ada@example.com>" || !strings.Contains(p.Header.Get("From"), "alerts@stockroom.test") {
		t.Fatalf("To %q From %q", p.Header.Get("To"), p.Header.Get("From"))
	}
	if strings.TrimSpace(p.Text) != "3 left" || strings.TrimSpace(p.HTML) != "<p>3 left</p>" {
		t.Fatalf("bodies %q / %q", p.Text, p.HTML)
	}
}

func TestMailerRefusesBadConfig(t *testing.T) {
	for _, u := range []string{"http://mail.example.com", "smtp://", "smtp://mail.example.com:99999", "::"} {
		if _, err := notify.NewMailer(notify.MailerConfig{URL: u, From: "a@example.com"}); err == nil {
			t.Errorf("%q accepted", u)
		}
	}
	if _, err := notify.NewMailer(notify.MailerConfig{URL: "smtps://mail.example.com", From: "not an address"}); err == nil {
		t.Error("a bad From accepted")
	}
}

const botToken = "123456:SECRET-token"

func TestTelegramSendMessage(t *testing.T) {
	var gotPath string
	var got map[string]any
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotPath = r.URL.Path
		if err := json.NewDecoder(r.Body).Decode(&got); err != nil {
			t.Error(err)
		}
		if status == -1 {
			_, _ = io.WriteString(w, "<html>upstream busy</html>")
			return
		}
		w.WriteHeader(status)
		if status == http.StatusOK {
			_, _ = io.WriteString(w, `{"ok":true,"result":{"message_id":7}}`)
			return
		}
		_, _ = io.WriteString(w, `{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}`)
	}))
	defer srv.Close()
	tg, err := notify.NewTelegram(srv.URL, botToken, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	if err := tg.Send(t.Context(), "-100123", "Low stock: Mug\n<b>3</b> left"); err != nil {
		t.Fatal(err)
	}
	if gotPath != "/bot"+botToken+"/sendMessage" {
		t.Fatalf("path %q", gotPath)
	}
	if got["chat_id"] != "-100123" || got["text"] != "Low stock: Mug\n<b>3</b> left" {
		t.Fatalf("body %v", got)
	}
	if _, ok := got["parse_mode"]; ok {
		t.Fatal("a parse mode would read Etsy text as markup")
	}

	status = http.StatusBadRequest
	err = tg.Send(t.Context(), "-1", "x")
	var perm *notify.PermanentError
	if !errors.As(err, &perm) || !strings.Contains(err.Error(), "chat not found") {
		t.Fatalf("unknown chat: %v, want a permanent error with Telegram's reason", err)
	}
	status = http.StatusBadGateway
	if err := tg.Send(t.Context(), "-1", "x"); err == nil || errors.As(err, &perm) {
		t.Fatalf("a 502 is worth retrying: %v", err)
	}
	// A wrong bot token is the server's configuration, not the chat's:
	// Telegram answers 401, or 404 for a token it does not know. The
	// alert waits for the operator to mend it.
	for _, st := range []int{http.StatusUnauthorized, http.StatusNotFound} {
		status = st
		if err := tg.Send(t.Context(), "-1", "x"); err == nil || errors.As(err, &perm) {
			t.Fatalf("a %d (the bot token) is worth retrying: %v", st, err)
		}
	}
	// A 200 that is not Telegram's JSON (a proxy's page) is no success, and
	// the error says what came back.
	status = -1
	if err := tg.Send(t.Context(), "-1", "x"); err == nil || errors.As(err, &perm) || !strings.Contains(err.Error(), "not Telegram's JSON") {
		t.Fatalf("an HTML page for a reply: %v", err)
	}
	// A send the caller gave up on says so, for the worker to tell a
	// shutdown from the service failing.
	status = http.StatusOK
	gone, cancel := context.WithCancel(t.Context())
	cancel()
	if err := tg.Send(gone, "-1", "x"); !errors.Is(err, context.Canceled) || strings.Contains(err.Error(), "SECRET") {
		t.Fatalf("a cancelled send: %v, want context.Canceled without the token", err)
	}
	srv.Close()
	err = tg.Send(t.Context(), "-1", "x")
	if err == nil || strings.Contains(err.Error(), "SECRET") {
		t.Fatalf("server down: %v (the token must never appear)", err)
	}
}
