// Telegram through the Bot API's sendMessage.
package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Telegram sends messages as one bot. The token is part of every request's
// URL path, so no error or log line here ever includes a URL.
type Telegram struct {
	base  string
	token string
	api   jsonAPI
}

// NewTelegram makes a client for the Bot API at baseURL (normally
// https://api.telegram.org; a fake in tests). client nil: a client with a
// 30s timeout.
func NewTelegram(baseURL, token string, client *http.Client) (*Telegram, error) {
	if err := checkAPIURL(baseURL, "Telegram"); err != nil {
		return nil, err
	}
	if token == "" || strings.ContainsAny(token, "/?#% ") {
		return nil, errors.New("notify: the Telegram bot token is missing or malformed")
	}
	return &Telegram{base: strings.TrimRight(baseURL, "/"), token: token,
		api: jsonAPI{name: "telegram", speaker: "Telegram", secret: token, maxReply: 4 << 20, client: apiClient(client)}}, nil
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
	// A wrong token (401, 404) is the server's configuration.
	return refusal(status, err, http.StatusUnauthorized, http.StatusNotFound)
}

// call posts req as JSON to a Bot API method and decodes the reply's
// result into result (nil: ignored). It returns the HTTP status (0 when
// there was no answer) and an error that never quotes the token.
func (t *Telegram) call(ctx context.Context, method string, req, result any) (int, error) {
	var reply struct {
		apiReply
		Result json.RawMessage `json:"result"`
	}
	status, err := t.api.post(ctx, t.base+"/bot"+t.token+"/"+method, nil, method, req, &reply)
	if err != nil {
		return status, err
	}
	if status == http.StatusOK && reply.OK {
		if result != nil {
			if err := json.Unmarshal(reply.Result, result); err != nil {
				return status, fmt.Errorf("telegram: %s: unexpected reply: %s", method, t.api.redact(err.Error()))
			}
		}
		return status, nil
	}
	desc := reply.Description
	if desc == "" {
		desc = http.StatusText(status)
	}
	return status, fmt.Errorf("telegram: %d %s", status, t.api.redact(desc))
}

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
