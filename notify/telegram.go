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
	body, err := json.Marshal(sendMessage{ChatID: chatID, Text: text, DisableWebPagePreview: true})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.base+"/bot"+t.token+"/sendMessage", bytes.NewReader(body))
	if err != nil {
		return errors.New("telegram: cannot build the request")
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := t.client.Do(req)
	if err != nil {
		// *url.Error quotes the URL, token included: keep only its cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("telegram: %s", strings.ReplaceAll(err.Error(), t.token, "<token>"))
	}
	defer resp.Body.Close()
	var reply apiReply
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	_ = json.Unmarshal(raw, &reply)
	if resp.StatusCode == http.StatusOK && reply.OK {
		return nil
	}
	desc := reply.Description
	if desc == "" {
		desc = http.StatusText(resp.StatusCode)
	}
	err = fmt.Errorf("telegram: %d %s", resp.StatusCode, strings.ReplaceAll(desc, t.token, "<token>"))
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return err
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusNotFound:
		// A wrong token is the server's configuration, which an operator
		// can fix: keep retrying meanwhile.
		return err
	case resp.StatusCode >= 400:
		return &PermanentError{Err: err}
	}
	return err
}
