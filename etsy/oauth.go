// Connecting a shop: Etsy's OAuth 2.0 authorization code flow with PKCE
// (S256), the code exchange and the refresh. Etsy rotates the refresh token
// on every refresh, so the caller must store Token.RefreshToken each time.
package etsy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// Token is a shop's OAuth grant.
type Token struct {
	AccessToken  string
	RefreshToken string
	Expiry       time.Time
	// UserID is the Etsy user the tokens belong to, read from the
	// "<user_id>." prefix Etsy puts on them; 0 if neither token has one.
	UserID int64
}

// GenerateVerifier returns a new PKCE code verifier; keep it with the state
// until the callback arrives.
func GenerateVerifier() string { return oauth2.GenerateVerifier() }

// AuthCodeURL returns the consent page URL for state, with the S256 PKCE
// challenge of verifier.
func (c *Client) AuthCodeURL(state, verifier string) string {
	return c.oauth.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier))
}

// Exchange trades the callback's code for tokens. A code that is reused or
// expired gives ErrRevoked: the seller must start connecting again.
func (c *Client) Exchange(ctx context.Context, code, verifier string) (*Token, error) {
	if code == "" || verifier == "" {
		return nil, errors.New("etsy: exchange needs the code and the PKCE verifier")
	}
	if c.oauth.RedirectURL == "" {
		return nil, errors.New("etsy: exchange needs a configured redirect URL")
	}
	ctx, cancel := c.tokenContext(ctx)
	defer cancel()
	tok, err := c.oauth.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, c.tokenError(ctx, "exchange code", err)
	}
	return c.token(tok)
}

// Refresh trades a refresh token for a new access token and a NEW refresh
// token; the old one must be considered spent. ErrRevoked means the seller
// must connect again. A TransientError is ambiguous: Etsy sometimes fails a
// refresh with a 500 and has still consumed the token, so the caller should
// retry with the same refresh token but not assume it is dead or alive.
func (c *Client) Refresh(ctx context.Context, refreshToken string) (*Token, error) {
	if refreshToken == "" {
		return nil, fmt.Errorf("%w: no refresh token stored", ErrRevoked)
	}
	ctx, cancel := c.tokenContext(ctx)
	defer cancel()
	// An expired token makes the oauth2 source go straight to the refresh.
	src := c.oauth.TokenSource(ctx, &oauth2.Token{RefreshToken: refreshToken, Expiry: time.Unix(1, 0)})
	tok, err := src.Token()
	if err != nil {
		return nil, c.tokenError(ctx, "refresh token", err)
	}
	return c.token(tok)
}

func (c *Client) tokenContext(ctx context.Context) (context.Context, context.CancelFunc) {
	hc := *c.http
	// The oauth2 package reads responses itself; cap them like every call.
	hc.Transport = cappedTransport{next: transportOf(c.http), limit: c.cfg.MaxResponseBytes}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, &hc)
	return context.WithTimeout(ctx, c.cfg.Timeout)
}

func (c *Client) token(tok *oauth2.Token) (*Token, error) {
	if tok.AccessToken == "" {
		return nil, &TransientError{Err: errors.New("token response without access token")}
	}
	t := &Token{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expiry: tok.Expiry}
	if tok.ExpiresIn > 0 {
		t.Expiry = c.now().Add(time.Duration(tok.ExpiresIn) * time.Second)
	}
	t.UserID = userIDOf(tok.AccessToken)
	if t.UserID == 0 {
		t.UserID = userIDOf(tok.RefreshToken)
	}
	return t, nil
}

func userIDOf(token string) int64 {
	prefix, _, ok := strings.Cut(token, ".")
	if !ok {
		return 0
	}
	id, err := strconv.ParseInt(prefix, 10, 64)
	if err != nil || id <= 0 {
		return 0
	}
	return id
}

// tokenError maps the oauth2 package's errors to the client's error types.
// Etsy's error_description is kept; the code and tokens never appear.
func (c *Client) tokenError(ctx context.Context, op string, err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		msg := joinMessage(re.ErrorCode, re.ErrorDescription)
		switch {
		case re.ErrorCode == "invalid_grant":
			return fmt.Errorf("etsy: %s: %w (%s)", op, ErrRevoked, msg)
		case status >= 500 || status == 0:
			return &TransientError{Status: status, Err: fmt.Errorf("%s: %s", op, messageOr(msg, status))}
		case status == http.StatusTooManyRequests:
			retryAfter, ok := parseRetryAfter(re.Response.Header.Get("Retry-After"), c.now())
			if !ok {
				retryAfter = perSecondHold
			}
			return &RateLimitError{RetryAfter: retryAfter, Message: msg}
		default:
			return &RejectedError{Status: status, Message: messageOr(msg, status)}
		}
	}
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return fmt.Errorf("etsy: %s: %w", op, err)
	}
	// Connection failures, timeouts, oversized or malformed bodies.
	return &TransientError{Err: fmt.Errorf("%s: %w", op, err)}
}

func transportOf(hc *http.Client) http.RoundTripper {
	if hc.Transport != nil {
		return hc.Transport
	}
	return http.DefaultTransport
}

// cappedTransport fails a response body that exceeds limit while it is read.
type cappedTransport struct {
	next  http.RoundTripper
	limit int64
}

func (t cappedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resp.Body = &cappedBody{rc: resp.Body, left: t.limit}
	return resp, nil
}

type cappedBody struct {
	rc   io.ReadCloser
	left int64
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One byte more than allowed tells an exact fit from an overflow.
		var one [1]byte
		if n, _ := b.rc.Read(one[:]); n > 0 {
			return 0, errors.New("response too large")
		}
		return b.rc.Read(p)
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *cappedBody) Close() error { return b.rc.Close() }
