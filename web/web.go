// Package web is Stockroom's HTTP listener: the health check, the pages of
// the shop connect flow, and the mount point of Etsy's webhook. Every page
// is plain HTML from html/template with no third-party resources, and every
// response carries strict security headers.
package web

import (
	"context"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/stockroom/stockroom/connect"
	"github.com/stockroom/stockroom/health"
)

// Pinger tells whether the database answers.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Config configures the handler. Store and Connect are required.
type Config struct {
	Store   Pinger
	Connect *connect.Flow
	// Health adds the process's other checks (disk, scheduler lease, job
	// queue) to /healthz and its readiness to /readyz; nil checks the
	// database only and is ready at once.
	Health *health.Checker
	// Webhook serves POST /etsy/webhook; nil answers 404.
	Webhook http.Handler
	Logger  *slog.Logger
	// InsecureCookies drops the Secure attribute from the confirmation
	// cookie, for tests and plain-HTTP development only.
	InsecureCookies bool
}

// New returns the handler of every route Stockroom serves over HTTP.
func New(cfg Config) http.Handler {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &server{cfg: cfg, log: cfg.Logger.With("component", "web")}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.HandleFunc("GET /c/{state}", s.shortLink)
	mux.HandleFunc("GET /oauth/callback", s.callback)
	mux.HandleFunc("GET /oauth/confirm", s.confirmPage)
	mux.HandleFunc("POST /oauth/confirm", s.confirm)
	mux.HandleFunc("GET /oauth/done", s.done)
	mux.HandleFunc("POST /etsy/webhook", func(w http.ResponseWriter, r *http.Request) {
		if cfg.Webhook == nil {
			s.notFound(w, r)
			return
		}
		cfg.Webhook.ServeHTTP(w, r)
	})
	mux.HandleFunc("/", s.notFound)
	return securityHeaders(mux)
}

const csp = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

type server struct {
	cfg Config
	log *slog.Logger

	// lastHealth is the last /healthz or /readyz verdict logged, so a load
	// balancer polling through an outage logs its start and end, not
	// every poll.
	healthMu   sync.Mutex
	lastHealth string
}

// healthz answers whether the process is well: 200 "ok", or 503 with one
// line per degraded dependency. Every check recovers by itself, so an
// orchestrator restarting on it is optional, not required.
func (s *server) healthz(w http.ResponseWriter, r *http.Request) {
	s.report(w, r, s.failures(r.Context()))
}

// readyz answers whether the process should be sent work: alive is not
// enough while it is still starting or already stopping.
func (s *server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Health != nil && !s.cfg.Health.Ready() {
		s.report(w, r, []health.Failure{{Name: "server", Reason: "not ready: starting or stopping"}})
		return
	}
	s.report(w, r, s.failures(r.Context()))
}

func (s *server) failures(ctx context.Context) []health.Failure {
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var out []health.Failure
	if err := s.cfg.Store.Ping(pctx); err != nil {
		out = append(out, health.Failure{Name: "database", Reason: "unavailable: " + err.Error()})
	}
	if s.cfg.Health != nil {
		out = append(out, s.cfg.Health.Run(ctx)...)
	}
	return out
}

func (s *server) report(w http.ResponseWriter, r *http.Request, failures []health.Failure) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	body := "ok\n"
	if len(failures) > 0 {
		var b strings.Builder
		b.WriteString("degraded\n")
		for _, f := range failures {
			b.WriteString(f.String() + "\n")
		}
		body = b.String()
	}
	s.logHealth(r.URL.Path, body)
	if len(failures) > 0 {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_, _ = w.Write([]byte(body))
}

func (s *server) logHealth(path, body string) {
	s.healthMu.Lock()
	changed := body != s.lastHealth && (s.lastHealth != "" || body != "ok\n")
	s.lastHealth = body
	s.healthMu.Unlock()
	switch {
	case !changed:
	case body == "ok\n":
		s.log.Info("health check: well again", "path", path)
	default:
		s.log.Warn("health check failed", "path", path, "failures", strings.TrimSpace(strings.TrimPrefix(body, "degraded\n")))
	}
}

func (s *server) notFound(w http.ResponseWriter, r *http.Request) {
	s.page(w, http.StatusNotFound, messagePage{Title: "Not found", Message: "There is nothing here."})
}

// cookieName is per attempt, so two connects in one browser do not clash.
func cookieName(state string) string {
	return "stockroom_connect_" + connect.FormToken(state)[:16]
}

// shortLink sends the browser on to Etsy's consent page: the TUI prints
// this short link because Etsy's URL is too long to copy off a terminal
// or to fit a QR code.
func (s *server) shortLink(w http.ResponseWriter, r *http.Request) {
	u, err := s.cfg.Connect.AuthURL(r.Context(), r.PathValue("state"))
	if err != nil {
		s.failure(w, err)
		return
	}
	http.Redirect(w, r, u, http.StatusSeeOther)
}

func (s *server) callback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	state := q.Get("state")
	token, err := s.cfg.Connect.Callback(r.Context(), connect.CallbackParams{
		State: state, Code: q.Get("code"), Error: q.Get("error"),
	})
	if err != nil {
		s.failure(w, err)
		return
	}
	// Only the browser that brought the callback gets the confirmation
	// token; the redirect drops the code from its history. Lax, not Strict:
	// this redirect chain began on etsy.com, and browsers withhold Strict
	// cookies from a GET reached through a cross-site chain. Lax still keeps
	// the cookie off cross-site POSTs, which is what protects the confirm.
	http.SetCookie(w, &http.Cookie{
		Name: cookieName(state), Value: token, Path: "/oauth/confirm", MaxAge: 15 * 60,
		HttpOnly: true, Secure: !s.cfg.InsecureCookies, SameSite: http.SameSiteLaxMode,
	})
	http.Redirect(w, r, "/oauth/confirm?state="+template.URLQueryEscaper(state), http.StatusSeeOther)
}

func (s *server) cookie(r *http.Request, state string) string {
	c, err := r.Cookie(cookieName(state))
	if err != nil {
		return ""
	}
	return c.Value
}

func (s *server) confirmPage(w http.ResponseWriter, r *http.Request) {
	state := r.URL.Query().Get("state")
	p, err := s.cfg.Connect.Pending(r.Context(), state, s.cookie(r, state))
	if err != nil {
		s.failure(w, err)
		return
	}
	s.render(w, http.StatusOK, confirmTmpl, p)
}

func (s *server) confirm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	if err := r.ParseForm(); err != nil {
		s.page(w, http.StatusBadRequest, messagePage{Title: "Bad request", Message: "The form could not be read."})
		return
	}
	state := r.PostForm.Get("state")
	cookie, form := s.cookie(r, state), r.PostForm.Get("csrf_token")
	clear := &http.Cookie{Name: cookieName(state), Value: "", Path: "/oauth/confirm", MaxAge: -1,
		HttpOnly: true, Secure: !s.cfg.InsecureCookies, SameSite: http.SameSiteLaxMode}
	if r.PostForm.Get("action") == "cancel" {
		if err := s.cfg.Connect.Cancel(r.Context(), state, cookie, form); err != nil {
			s.failure(w, err)
			return
		}
		http.SetCookie(w, clear)
		http.Redirect(w, r, "/oauth/done?result=cancelled", http.StatusSeeOther)
		return
	}
	if _, err := s.cfg.Connect.Confirm(r.Context(), state, cookie, form); err != nil {
		s.failure(w, err)
		return
	}
	http.SetCookie(w, clear)
	http.Redirect(w, r, "/oauth/done?result=connected", http.StatusSeeOther)
}

func (s *server) done(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("result") == "cancelled" {
		s.page(w, http.StatusOK, messagePage{Title: "Cancelled",
			Message: "Nothing was connected. You can close this tab and go back to your terminal."})
		return
	}
	s.page(w, http.StatusOK, messagePage{Title: "Connected",
		Message: "Your shop is connected. Go back to your terminal; you can close this tab."})
}

// failure shows the page for a connect error. Messages are ours, never
// Etsy's text or the error's, which may carry details not meant for the
// page.
func (s *server) failure(w http.ResponseWriter, err error) {
	var denied *connect.DeniedError
	switch {
	case errors.As(err, &denied) && denied.Code == "access_denied":
		s.page(w, http.StatusOK, messagePage{Title: "Not connected",
			Message: "You did not allow Stockroom to access your Etsy shop, so nothing was connected." + startAgain})
		return
	case errors.As(err, &denied):
		s.page(w, http.StatusBadRequest, messagePage{Title: "Etsy refused the request",
			Message: deniedMessage(denied.Code) + " Nothing was connected." + startAgain})
		return
	}
	for _, f := range failurePages {
		if errors.Is(err, f.err) {
			s.page(w, f.status, f.page)
			return
		}
	}
	s.log.Error("connect page failed", "err", err)
	s.page(w, http.StatusInternalServerError, messagePage{Title: "Something went wrong",
		Message: "Stockroom could not finish connecting your shop. Nothing was connected." + startAgain})
}

// startAgain ends the message of a failure the person can retry.
const startAgain = " Start again with the connect command in your Stockroom terminal."

// failurePages is the page for each connect error, first match first.
var failurePages = []struct {
	err    error
	status int
	page   messagePage
}{
	{connect.ErrMissingCode, http.StatusBadRequest, messagePage{Title: "Incomplete answer from Etsy",
		Message: "Etsy sent you back with no authorization code, so there is nothing to connect. " +
			"This happens when the link was changed or opened twice." + startAgain}},
	{connect.ErrMissingState, http.StatusBadRequest, messagePage{Title: "Incomplete link",
		Message: "This link is missing its connect code. Open the link your terminal showed, as it is." + startAgain}},
	{connect.ErrUnknownState, http.StatusBadRequest, messagePage{Title: "Unknown link",
		Message: "This connect link is not one Stockroom issued, or it was cleaned up." + startAgain}},
	{connect.ErrExpired, http.StatusBadRequest, messagePage{Title: "Link expired",
		Message: "This connect link has expired: links are valid for 10 minutes." + startAgain}},
	{connect.ErrUsed, http.StatusConflict, messagePage{Title: "Link already used",
		Message: "This connect link has already been used. Check your terminal: the shop may already be connected."}},
	{connect.ErrCodeRejected, http.StatusBadRequest, messagePage{Title: "Authorization refused",
		Message: "Etsy refused the authorization (it was already used or has expired). Nothing was connected." + startAgain}},
	{connect.ErrShopLinked, http.StatusConflict, messagePage{Title: "Shop already linked",
		Message: "This Etsy shop is already connected to another Stockroom account, and a shop has one owner. Nothing was changed."}},
	{connect.ErrNoShop, http.StatusBadRequest, messagePage{Title: "No shop",
		Message: "The Etsy account you signed in with has no shop. Nothing was connected." + startAgain}},
	{connect.ErrBadToken, http.StatusForbidden, messagePage{Title: "Confirmation not accepted",
		Message: "This confirmation did not come from the browser that signed in to Etsy. Finish connecting in that browser." + startAgain}},
	{connect.ErrEtsyTransient, http.StatusBadGateway, messagePage{Title: "Etsy did not answer",
		Message: "Etsy did not answer in time. Nothing was connected." + startAgain}},
}

// deniedMessage explains an RFC 6749 error code in our words. The code is
// one connect.OAuthErrorCode allows, so the page never shows text from the
// query, which anyone can write.
func deniedMessage(code string) string {
	why := map[string]string{
		"invalid_request":           "the request was malformed",
		"unauthorized_client":       "this Stockroom server's Etsy app may not ask for access this way",
		"unsupported_response_type": "the request asked for an answer Etsy does not give",
		"invalid_scope":             "the request asked for permissions Etsy does not grant this app",
		"server_error":              "Etsy had an internal error",
		"temporarily_unavailable":   "Etsy is busy or down for maintenance; try again in a few minutes",
	}[code]
	if why == "" {
		return "Etsy answered with an error Stockroom does not know."
	}
	return "Etsy answered “" + code + "”: " + why + "."
}

type messagePage struct {
	Title   string
	Message string
}

func (s *server) page(w http.ResponseWriter, status int, p messagePage) {
	s.render(w, status, messageTmpl, p)
}

func (s *server) render(w http.ResponseWriter, status int, t *template.Template, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := t.Execute(w, data); err != nil {
		s.log.Warn("page not written", "err", err)
	}
}

const layout = `{{define "head"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>{{.}} · Stockroom</title>
<style>body{font-family:system-ui,sans-serif;max-width:36em;margin:3em auto;padding:0 1em;line-height:1.5;color:#222}
h1{font-size:1.4em}code{font-size:.9em;word-break:break-all}button{font-size:1em;padding:.5em 1.3em;margin-right:1em}</style>
</head><body>{{end}}`

var messageTmpl = template.Must(template.Must(template.New("message").Parse(layout)).Parse(
	`{{template "head" .Title}}<h1>{{.Title}}</h1><p>{{.Message}}</p></body></html>
`))

var confirmTmpl = template.Must(template.Must(template.New("confirm").Parse(layout)).Parse(
	`{{template "head" "Connect your shop"}}<h1>Connect your shop?</h1>
<p>Connect <strong>{{.ShopName}}</strong> to the Stockroom account <strong>{{.AccountName}}</strong>
(key <code>{{.KeyFingerprint}}</code>)?</p>
<p>Only confirm if you started this from your own terminal.</p>
<form method="post" action="/oauth/confirm">
<input type="hidden" name="state" value="{{.State}}">
<input type="hidden" name="csrf_token" value="{{.FormToken}}">
<button type="submit" name="action" value="confirm">Connect</button>
<button type="submit" name="action" value="cancel">Cancel</button>
</form></body></html>
`))
