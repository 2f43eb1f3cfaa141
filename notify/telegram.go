// Telegram through the Bot API's sendMessage.
package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Telegram sends messages as one bot. The token is part of every request's
// URL path, so no error or log line here ever includes a URL.
type Telegram struct {
	base   string
	token  string
	client *http.Client
}

// NewTelegram makes a client for the Bot API at baseURL (normally
// https://api.telegram.org; a fake in tests). client nil: a client with a
// 30s timeout.
func NewTelegram(baseURL, token string, client *http.Client) (*Telegram, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, errors.New("notify: the Telegram API URL must be an http(s) URL")
	}
	if token == "" || strings.ContainsAny(token, "/?#% ") {
		return nil, errors.New("notify: the Telegram bot token is missing or malformed")
	}
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	return &Telegram{base: strings.TrimRight(baseURL, "/"), token: token, client: client}, nil
}

type sendMessage struct {
	ChatID                string `json:"chat_id"`
	Text                  string `json:"text"`
	DisableWebPagePreview bool   `json:"disable_web_page_preview"`
}

type apiReply struct {
	OK          bool   `json:"ok"`
	ErrorCode   int    `json:"error_code"`
	Description string `json:"description"`
	Parameters  struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters"`
}

// maxText is sendMessage's limit, in characters.
const maxText = 4096

// Send posts text, as plain text (no parse mode, so nothing in it is
// markup), to chatID. Telegram's 400 and 403 answers (unknown chat, bot
// blocked) are *PermanentError.
func (t *Telegram) Send(ctx context.Context, chatID, text string) error {
	if chatID == "" {
		return &PermanentError{Err: errors.New("telegram: no chat linked")}
	}
	if r := []rune(text); len(r) > maxText {
		text = string(r[:maxText-1]) + "…"
	}
	status, err := t.call(ctx, "sendMessage", sendMessage{ChatID: chatID, Text: text, DisableWebPagePreview: true}, nil)
	if err == nil {
		return nil
	}
	switch {
	case status == 0 || status == http.StatusTooManyRequests || status >= 500:
		return err
	case status == http.StatusUnauthorized || status == http.StatusNotFound:
		// A wrong token is the server's configuration, which an operator
		// can fix: keep retrying meanwhile.
		return err
	case status >= 400:
		return &PermanentError{Err: err}
	}
	return err
}

// call posts req as JSON to a Bot API method and decodes the reply's
// result into result (nil: ignored). It returns the HTTP status (0 when
// there was no answer) and an error that never quotes the token.
func (t *Telegram) call(ctx context.Context, method string, req, result any) (int, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return 0, err
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, t.base+"/bot"+t.token+"/"+method, bytes.NewReader(body))
	if err != nil {
		return 0, errors.New("telegram: cannot build the request")
	}
	hreq.Header.Set("Content-Type", "application/json")
	resp, err := t.client.Do(hreq)
	if err != nil {
		// *url.Error quotes the URL, token included: keep only its cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return 0, fmt.Errorf("telegram: %s", t.redact(err.Error()))
	}
	defer resp.Body.Close()
	var reply struct {
		apiReply
		Result json.RawMessage `json:"result"`
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return resp.StatusCode, fmt.Errorf("telegram: %s: reading the reply: %s", method, t.redact(err.Error()))
	}
	if err := json.Unmarshal(raw, &reply); err != nil {
		// A proxy's error page, or a cut-off answer: not Telegram's word,
		// so neither a success nor a refusal to give up on.
		return resp.StatusCode, fmt.Errorf("telegram: %s: %d %s, and the reply is not Telegram's JSON",
			method, resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	if resp.StatusCode == http.StatusOK && reply.OK {
		if result != nil {
			if err := json.Unmarshal(reply.Result, result); err != nil {
				return resp.StatusCode, fmt.Errorf("telegram: %s: unexpected reply: %s", method, t.redact(err.Error()))
			}
		}
		return resp.StatusCode, nil
	}
	desc := reply.Description
	if desc == "" {
		desc = http.StatusText(resp.StatusCode)
	}
	return resp.StatusCode, fmt.Errorf("telegram: %d %s", resp.StatusCode, t.redact(desc))
}

func (t *Telegram) redact(s string) string { return strings.ReplaceAll(s, t.token, "<token>") }

// Username asks Telegram for the bot's username (getMe), so sellers can be
// told which bot to write to.
func (t *Telegram) Username(ctx context.Context) (string, error) {
	var me struct {
		Username string `json:"username"`
	}
	if _, err := t.call(ctx, "getMe", struct{}{}, &me); err != nil {
		return "", err
	}
	return me.Username, nil
}
