// What the Telegram and WhatsApp senders share: an HTTP API spoken in JSON
// behind a secret (the bot token, the access token) that no error may
// quote.
package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// jsonAPI posts JSON to one service and reads its JSON replies.
type jsonAPI struct {
	name     string // "telegram", "whatsapp": every error's prefix
	speaker  string // whose JSON a reply should be: "Telegram", "the Graph API"
	secret   string // replaced by <token> in every error
	maxReply int64  // the longest reply read, in bytes
	client   *http.Client
}

// checkAPIURL says whether base can be the service's API URL; title names
// the service in the error.
func checkAPIURL(base, title string) error {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("notify: the %s API URL must be an http(s) URL", title)
	}
	return nil
}

// apiClient is client, or one with a 30s timeout when it is nil.
func apiClient(client *http.Client) *http.Client {
	if client == nil {
		return &http.Client{Timeout: 30 * time.Second}
	}
	return client
}

// post sends req as JSON to u with the headers in header, then decodes the
// reply into reply whatever its status; what names the call in errors. It
// returns the HTTP status (0 when there was no answer). A reply that is not
// JSON (a proxy's error page, a cut-off answer) is not the service's word,
// so neither a success nor a refusal to give up on: an error with the
// status.
func (a *jsonAPI) post(ctx context.Context, u string, header http.Header, what string, req, reply any) (int, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return 0, err
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("%s: cannot build the request", a.name)
	}
	hreq.Header = header.Clone()
	if hreq.Header == nil {
		hreq.Header = http.Header{}
	}
	hreq.Header.Set("Content-Type", "application/json")
	resp, err := a.client.Do(hreq)
	if err != nil && ctx.Err() != nil {
		// The caller gave up (a shutdown, a job's deadline): kept as the
		// context's error, which callers test with errors.Is, rather than
		// flattened into text like a failure of the service. It holds no
		// secret.
		return 0, fmt.Errorf("%s: %w", a.name, ctx.Err())
	}
	if err != nil {
		// Do's errors are *url.Error, which quotes the URL, and the URL may
		// hold the secret: keep only the cause.
		if ue, ok := err.(*url.Error); ok {
			err = ue.Err
		}
		return 0, fmt.Errorf("%s: %s", a.name, a.redact(err.Error()))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, a.maxReply))
	if err != nil {
		return resp.StatusCode, fmt.Errorf("%s: %s: reading the reply: %s", a.name, what, a.redact(err.Error()))
	}
	if err := json.Unmarshal(raw, reply); err != nil {
		return resp.StatusCode, fmt.Errorf("%s: %s: %d %s, and the reply is not %s's JSON",
			a.name, what, resp.StatusCode, http.StatusText(resp.StatusCode), a.speaker)
	}
	return resp.StatusCode, nil
}

// refusal sorts a failed call by its HTTP status. Retrying may help with
// no answer, a 429 or a 5xx, and with the statuses in config, which reject
// the server's credentials: its configuration, which an operator can fix
// meanwhile; err is returned as it is. Any other 4xx is the service
// refusing this message: a *PermanentError.
func refusal(status int, err error, config ...int) error {
	if status >= 400 && status < 500 && status != http.StatusTooManyRequests && !slices.Contains(config, status) {
		return &PermanentError{Err: err}
	}
	return err
}

func (a *jsonAPI) redact(s string) string { return strings.ReplaceAll(s, a.secret, "<token>") }
