// Linking a Telegram chat with a one-time code: the Linker long-polls the
// Bot API's getUpdates and, when a chat sends "/start CODE" or the code on
// its own, makes that chat the account's Telegram chat.
package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/sethvargo/go-retry"

	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/store"
)

// Update is the part of a Bot API update the Linker reads.
type Update struct {
	UpdateID int64       `json:"update_id"`
	Message  *BotMessage `json:"message"`
}

// BotMessage is a message a chat sent to the bot.
type BotMessage struct {
	Chat struct {
		ID int64 `json:"id"`
	} `json:"chat"`
	Text string `json:"text"`
}

type getUpdates struct {
	Offset         int64    `json:"offset,omitempty"`
	Timeout        int      `json:"timeout"`
	AllowedUpdates []string `json:"allowed_updates"`
}

// Updates long-polls getUpdates: it returns the updates from offset on,
// waiting up to wait (whole seconds; 0 answers at once) for one to come.
// Passing the last update's id + 1 as the next offset confirms the ones
// before, which Telegram then forgets.
func (t *Telegram) Updates(ctx context.Context, offset int64, wait time.Duration) ([]Update, error) {
	var out []Update
	_, err := t.call(ctx, "getUpdates", getUpdates{Offset: offset, Timeout: int(wait / time.Second),
		AllowedUpdates: []string{"message"}}, &out)
	return out, err
}

// LinkerConfig holds a Linker's dependencies.
type LinkerConfig struct {
	Telegram *Telegram
	Store    store.TelegramLinks
	// Hub, when set, hears hub.AccountChanged for a linked account.
	Hub *hub.Hub
	// Wait is how long one getUpdates may wait for a message; the
	// Telegram client's HTTP timeout must be longer. Default 25s.
	Wait time.Duration
	// MaxBackoff caps the pause after a failed poll. Default 1 minute.
	MaxBackoff time.Duration
	Logger     *slog.Logger
	Now        func() time.Time
}

// Linker answers link codes sent to the bot. Only one process may poll a
// bot: Telegram refuses a second getUpdates (409) while one is running.
type Linker struct {
	tg      *Telegram
	db      store.TelegramLinks
	hub     *hub.Hub
	wait    time.Duration
	backoff time.Duration
	log     *slog.Logger
	now     func() time.Time
	offset  int64
}

func NewLinker(cfg LinkerConfig) *Linker {
	if cfg.Wait <= 0 {
		cfg.Wait = 25 * time.Second
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Linker{tg: cfg.Telegram, db: cfg.Store, hub: cfg.Hub, wait: cfg.Wait, backoff: cfg.MaxBackoff,
		log: cfg.Logger, now: cfg.Now}
}

// Run polls until ctx ends, pausing longer after each failure in a row.
// It returns ctx's error.
func (l *Linker) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		// A fresh backoff per success: the pause grows only over failures
		// in a row. Do ends only when a poll succeeds or ctx ends, and the
		// loop's condition sees the latter.
		_ = retry.Do(ctx, retry.WithCappedDuration(l.backoff, retry.NewExponential(time.Second)), func(ctx context.Context) error {
			if err := l.Poll(ctx); err != nil && ctx.Err() == nil {
				l.log.Warn("notify: Telegram link poll failed", "err", err)
				return retry.RetryableError(err)
			}
			return nil
		})
	}
	return ctx.Err()
}

// Poll reads one batch of updates and answers each. An update whose code
// could not be checked (the database failed) stays unconfirmed, so the next
// Poll reads it again. Poll is not safe for concurrent use.
func (l *Linker) Poll(ctx context.Context) error {
	ups, err := l.tg.Updates(ctx, l.offset, l.wait)
	if err != nil {
		return err
	}
	for _, u := range ups {
		if err := l.handle(ctx, u); err != nil {
			return err
		}
		l.offset = u.UpdateID + 1
	}
	return nil
}

// linkHelp answers anything that is not a code.
const linkHelp = "Send the link code from your Stockroom profile to get stock alerts in this chat."

func (l *Linker) handle(ctx context.Context, u Update) error {
	if u.Message == nil || u.Message.Chat.ID == 0 {
		return nil
	}
	chatID := strconv.FormatInt(u.Message.Chat.ID, 10)
	code, ok := linkCode(u.Message.Text)
	if !ok {
		l.reply(ctx, chatID, linkHelp)
		return nil
	}
	acct, err := l.db.TelegramLinkCodeUse(ctx, &store.TelegramLinkCodeUseParams{Code: code, ChatID: chatID, Now: l.now()})
	switch {
	case err == nil:
		l.log.Info("notify: Telegram chat linked", "account", acct.ID)
		if l.hub != nil {
			l.hub.Publish(hub.Event{Kind: hub.AccountChanged, AccountID: acct.ID})
		}
		msg := fmt.Sprintf("Linked to Stockroom account %s.", acct.Name)
		if !acct.NotifyTelegram {
			msg += " Turn on Telegram alerts in your Stockroom profile to get them here."
		}
		l.reply(ctx, chatID, msg)
	case errors.Is(err, store.ErrExpired):
		l.reply(ctx, chatID, "That code has expired. Ask Stockroom for a new one.")
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrForbidden):
		l.reply(ctx, chatID, "That code is not valid, or was used already. Ask Stockroom for a new one.")
	default:
		return err
	}
	return nil
}

// reply answers a chat; a reply that does not arrive changes nothing that
// was linked, so it is only logged.
func (l *Linker) reply(ctx context.Context, chatID, text string) {
	if err := l.tg.Send(ctx, chatID, text); err != nil {
		l.log.Warn("notify: Telegram reply failed", "err", err)
	}
}

// linkCode finds the code in "/start CODE", "/start@bot CODE" or "CODE".
func linkCode(text string) (string, bool) {
	f := strings.Fields(text)
	if len(f) > 0 && (f[0] == "/start" || strings.HasPrefix(f[0], "/start@")) {
		f = f[1:]
	}
	code := strings.Join(f, "")
	if len(code) < 6 || len(code) > 64 {
		return "", false
	}
	for _, r := range code {
		if !(r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return "", false
		}
	}
	return code, true
}
