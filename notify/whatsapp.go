// WhatsApp through the WhatsApp Business Cloud API (Meta's Graph API).
package notify

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode"
)

// DefaultWhatsAppAPI is the Graph API's base URL, version included.
const DefaultWhatsAppAPI = "https://graph.facebook.com/v21.0"

// WhatsApp sends template messages from one business phone number. A
// business may write first to a person only with a template Meta has
// approved, so every alert is the template named Template with the alert's
// text as its one body parameter. The token is a header, never part of a
// URL, and no error quotes it.
type WhatsApp struct {
	base, phoneID, token string
	template, language   string
	api                  jsonAPI
}

// WhatsAppConfig configures a WhatsApp sender.
type WhatsAppConfig struct {
	// BaseURL is the Graph API (DefaultWhatsAppAPI; a fake in tests).
	BaseURL string
	// PhoneNumberID is the sending number's id in WhatsApp Manager (not
	// the phone number itself).
	PhoneNumberID string
	Token         string
	// Template and Language name the approved template (default
	// "stockroom_alert", "en") whose body has one parameter.
	Template, Language string
	Client             *http.Client
}

// NewWhatsApp checks cfg and makes a sender.
func NewWhatsApp(cfg WhatsAppConfig) (*WhatsApp, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultWhatsAppAPI
	}
	if err := checkAPIURL(cfg.BaseURL, "WhatsApp"); err != nil {
		return nil, err
	}
	if cfg.PhoneNumberID == "" || strings.Trim(cfg.PhoneNumberID, "0123456789") != "" {
		return nil, errors.New("notify: the WhatsApp phone number id must be the digits WhatsApp Manager shows")
	}
	if cfg.Token == "" || strings.ContainsAny(cfg.Token, " \r\n") {
		return nil, errors.New("notify: the WhatsApp token is missing or malformed")
	}
	if cfg.Template == "" {
		cfg.Template = "stockroom_alert"
	}
	if cfg.Language == "" {
		cfg.Language = "en"
	}
	return &WhatsApp{base: strings.TrimRight(cfg.BaseURL, "/"), phoneID: cfg.PhoneNumberID, token: cfg.Token,
		template: cfg.Template, language: cfg.Language,
		api: jsonAPI{name: "whatsapp", speaker: "the Graph API", secret: cfg.Token, maxReply: 1 << 20, client: apiClient(cfg.Client)}}, nil
}

type waMessage struct {
	MessagingProduct string     `json:"messaging_product"`
	To               string     `json:"to"`
	Type             string     `json:"type"`
	Template         waTemplate `json:"template"`
}

type waTemplate struct {
	Name       string        `json:"name"`
	Language   waLanguage    `json:"language"`
	Components []waComponent `json:"components"`
}

type waLanguage struct {
	Code string `json:"code"`
}

type waComponent struct {
	Type       string        `json:"type"`
	Parameters []waParameter `json:"parameters"`
}

type waParameter struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// waMaxParam is the longest template parameter the API takes.
const waMaxParam = 1024

// waParam fits text to a template parameter, which may hold no newline or
// tab and no more than four spaces in a row: lines are joined with " · ".
func waParam(text string) string {
	lines := strings.FieldsFunc(text, func(r rune) bool { return r == '\n' || r == '\r' })
	for i, l := range lines {
		lines[i] = strings.Join(strings.FieldsFunc(l, unicode.IsSpace), " ")
	}
	out := strings.Join(lines, " · ")
	if r := []rune(out); len(r) > waMaxParam {
		out = string(r[:waMaxParam-1]) + "…"
	}
	return out
}

// Send sends text to the WhatsApp number to (international format; a
// leading + and spaces are dropped). Meta's refusals of the message (an
// invalid number, a template it does not know) are *PermanentError; a
// rate limit, a server error or a rejected token are retried.
func (w *WhatsApp) Send(ctx context.Context, to, text string) error {
	to = strings.NewReplacer("+", "", " ", "", "-", "").Replace(to)
	if to == "" || strings.Trim(to, "0123456789") != "" {
		return &PermanentError{Err: errors.New("whatsapp: no valid number to write to")}
	}
	msg := waMessage{MessagingProduct: "whatsapp", To: to, Type: "template", Template: waTemplate{
		Name: w.template, Language: waLanguage{Code: w.language},
		Components: []waComponent{{Type: "body", Parameters: []waParameter{{Type: "text", Text: waParam(text)}}}},
	}}
	var reply struct {
		Messages []struct {
			ID string `json:"id"`
		} `json:"messages"`
		Error *struct {
			Message string `json:"message"`
			Code    int    `json:"code"`
		} `json:"error"`
	}
	status, err := w.api.post(ctx, w.base+"/"+w.phoneID+"/messages", http.Header{"Authorization": {"Bearer " + w.token}}, "messages", msg, &reply)
	if err != nil {
		return err
	}
	if status == http.StatusOK && len(reply.Messages) > 0 && reply.Error == nil {
		return nil
	}
	desc := http.StatusText(status)
	if reply.Error != nil && reply.Error.Message != "" {
		desc = fmt.Sprintf("%s (code %d)", reply.Error.Message, reply.Error.Code)
	}
	// A token that expired or lost its permission (401, 403) is the
	// server's configuration.
	return refusal(status, fmt.Errorf("whatsapp: %d %s", status, w.api.redact(desc)), http.StatusUnauthorized, http.StatusForbidden)
}
