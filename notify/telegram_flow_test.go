package notify_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stockroom/stockroom/internal/logtest"
	"github.com/stockroom/stockroom/internal/testwait"
	"github.com/stockroom/stockroom/notify"
	"github.com/stockroom/stockroom/store"
)

// fakeBot is a Bot API: it records sendMessage calls, serves a queue of
// incoming messages to getUpdates, and while down fails every call with a
// 500 whose description quotes the request path (and so the token).
type fakeBot struct {
	srv      *httptest.Server
	mu       sync.Mutex
	down     bool
	attempts int
	sent     []botMessage
	next     int64
	updates  []notify.Update
	offsets  []int64
}

type botMessage struct {
	Path   string
	ChatID string `json:"chat_id"`
	Text   string `json:"text"`
}

func newFakeBot(t *testing.T) *fakeBot {
	t.Helper()
	b := &fakeBot{next: 100}
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.attempts++
		w.Header().Set("Content-Type", "application/json")
		if b.down {
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprintf(w, `{"ok":false,"error_code":500,"description":"Internal Server Error at %s"}`, r.URL.Path)
			return
		}
		switch r.URL.Path {
		case "/bot" + botToken + "/getUpdates":
			var req struct {
				Offset  int64 `json:"offset"`
				Timeout int   `json:"timeout"`
			}
			if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
				t.Error(err)
			}
			b.offsets = append(b.offsets, req.Offset)
			// As Telegram does: an offset confirms, and forgets, the
			// updates before it.
			var out []notify.Update
			for _, u := range b.updates {
				if u.UpdateID >= req.Offset {
					out = append(out, u)
				}
			}
			b.updates = out
			_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "result": out})
		case "/bot" + botToken + "/sendMessage":
			var m botMessage
			if err := json.NewDecoder(r.Body).Decode(&m); err != nil || r.Method != http.MethodPost {
				http.Error(w, `{"ok":false,"error_code":400,"description":"Bad Request"}`, http.StatusBadRequest)
				return
			}
			m.Path = r.URL.Path
			b.sent = append(b.sent, m)
			_, _ = io.WriteString(w, `{"ok":true,"result":{"message_id":1}}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(b.srv.Close)
	return b
}

func (b *fakeBot) client(t *testing.T) *notify.Telegram {
	t.Helper()
	tg, err := notify.NewTelegram(b.srv.URL, botToken, b.srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

func (b *fakeBot) setDown(down bool) {
	b.mu.Lock()
	b.down = down
	b.mu.Unlock()
}

// say queues a message from chat.
func (b *fakeBot) say(chat int64, text string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	u := notify.Update{UpdateID: b.next, Message: &notify.BotMessage{Text: text}}
	u.Message.Chat.ID = chat
	b.next++
	b.updates = append(b.updates, u)
}

// replies returns, and forgets, what the bot sent.
func (b *fakeBot) replies() []botMessage {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := b.sent
	b.sent = nil
	return out
}

func (b *fakeBot) messages() []botMessage {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]botMessage(nil), b.sent...)
}

func (b *fakeBot) tries() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.attempts
}

// deliveries lists the deliveries of accountID in the flow's store, oldest
// alert first.
func (f *flow) deliveries(t *testing.T, accountID int64) []store.Delivery {
	t.Helper()
	views, err := f.db.AlertList(t.Context(), &store.AlertListParams{AccountID: accountID, StoreID: f.shop.ID, OldestFirst: true})
	if err != nil {
		t.Fatal(err)
	}
	var out []store.Delivery
	for _, v := range views {
		out = append(out, v.Deliveries...)
	}
	return out
}

func TestTelegramDownThenUpSendsExactlyOnceWithoutLeakingTheToken(t *testing.T) {
	bot := newFakeBot(t)
	bot.setDown(true)
	logs := &logtest.Buffer{}
	no, yes, chat := false, true, "4242"
	f := newFlowWith(t, newMailbox(t), flowConfig{
		telegram: bot.client(t),
		channels: []store.Channel{store.ChannelEmail, store.ChannelTelegram},
		logger:   slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		owner:    &store.AccountUpdateParams{NotifyEmail: &no, NotifyTelegram: &yes, TelegramChatID: &chat},
	})
	f.syncPage(t, snapshot("Speckled mug", 10))
	f.syncPage(t, snapshot("Speckled mug", 3))

	testwait.Until(t, "two refused attempts", func() bool { return bot.tries() >= 2 })
	testwait.Until(t, "the retry recorded", func() bool {
		d := f.deliveries(t, f.owner.ID)
		return len(d) == 1 && d[0].Status == store.DeliveryRetrying && d[0].LastError != ""
	})
	d := f.deliveries(t, f.owner.ID)[0]
	if d.Channel != store.ChannelTelegram || !strings.Contains(d.LastError, "500") {
		t.Fatalf("delivery %+v, want a Telegram delivery retrying after a 500", d)
	}
	if strings.Contains(d.LastError, "SECRET") || !strings.Contains(d.LastError, "<token>") {
		t.Fatalf("the recorded reason %q must name the token only as <token>", d.LastError)
	}

	bot.setDown(false)
	testwait.Until(t, "the message", func() bool { return len(bot.messages()) >= 1 })
	testwait.Until(t, "sent", func() bool {
		d := f.deliveries(t, f.owner.ID)
		return len(d) == 1 && d[0].Status == store.DeliverySent
	})
	f.settled(t)
	got := bot.messages()
	if len(got) != 1 {
		t.Fatalf("%d messages after the outage, want exactly 1", len(got))
	}
	m := got[0]
	if m.Path != "/bot"+botToken+"/sendMessage" || m.ChatID != "4242" {
		t.Fatalf("sent to %s chat %q", m.Path, m.ChatID)
	}
	for _, want := range []string{"Low stock: 3 left: Speckled mug (Colour: blue) [Clay & Co]\n\n", "SKU: MUG-1",
		"Available: 3 (alert at 3 or fewer)", "https://www.etsy.com/listing/555"} {
		if !strings.Contains(m.Text, want) {
			t.Fatalf("message text lacks %q:\n%s", want, m.Text)
		}
	}
	if len(f.mb.messages()) != 0 {
		t.Fatal("an email went out to an account that chose Telegram only")
	}
	out := logs.String()
	if !strings.Contains(out, "delivery failed") || !strings.Contains(out, "<token>") {
		t.Fatalf("the failed attempts were not logged:\n%s", out)
	}
	if strings.Contains(out, "SECRET") {
		t.Fatalf("the bot token appears in the logs:\n%s", out)
	}
}

func TestTelegramErrorsNeverQuoteTheToken(t *testing.T) {
	// A transport failure: *url.Error would quote the whole URL.
	tg, err := notify.NewTelegram("http://127.0.0.1:1", botToken, &http.Client{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = tg.Send(t.Context(), "4242", "x")
	var perm *notify.PermanentError
	if err == nil || errors.As(err, &perm) || strings.Contains(err.Error(), "SECRET") {
		t.Fatalf("unreachable API: %v, want a retryable error without the token", err)
	}
	if _, err := notify.NewTelegram("https://api.telegram.org", "12/../x", nil); err == nil {
		t.Fatal("a token with a path in it was accepted")
	}
}

func slogTo(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
