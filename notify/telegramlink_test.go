package notify_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/internal/logtest"
	"github.com/stockroom/stockroom/internal/testwait"
	"github.com/stockroom/stockroom/notify"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/store/storetest"
)

// flakyLinks fails the next use of a code, as a database that went away
// would.
type flakyLinks struct {
	store.TelegramLinks
	mu   sync.Mutex
	fail bool
}

func (f *flakyLinks) TelegramLinkCodeUse(ctx context.Context, p *store.TelegramLinkCodeUseParams) (store.Account, error) {
	f.mu.Lock()
	fail := f.fail
	f.fail = false
	f.mu.Unlock()
	if fail {
		return store.Account{}, errors.New("database is down")
	}
	return f.TelegramLinks.TelegramLinkCodeUse(ctx, p)
}

func TestTelegramLinkCodeSQLite(t *testing.T) { testTelegramLinkCode(t, openSQLite(t)) }

func TestTelegramLinkCodePostgres(t *testing.T) {
	storetest.PostgresURL(t)
	testTelegramLinkCode(t, storetest.OpenPostgres(t))
}

func testTelegramLinkCode(t *testing.T, db store.DB) {
	ctx := t.Context()
	clock := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	h := hub.New()
	svc := app.New(app.Config{Store: db, Hub: h, Now: now})
	acct, err := db.AccountCreate(ctx, &store.AccountCreateParams{Name: "ada", Email: "ada@example.com", Fingerprint: "SHA256:ada", PublicKey: "ssh-ed25519 AAAAada"})
	if err != nil {
		t.Fatal(err)
	}
	ada := app.Actor{Account: acct}
	bob, err := db.AccountCreate(ctx, &store.AccountCreateParams{Name: "bob", Email: "bob@example.com", Fingerprint: "SHA256:bob", PublicKey: "ssh-ed25519 AAAAbob"})
	if err != nil {
		t.Fatal(err)
	}

	bot := newFakeBot(t)
	links := &flakyLinks{TelegramLinks: db}
	l := notify.NewLinker(notify.LinkerConfig{Telegram: bot.client(t), Store: links, Hub: h, Wait: time.Second, Now: now})
	sub := h.Subscribe(func(e hub.Event) bool { return e.Kind == hub.AccountChanged })
	defer sub.Close()
	poll := func() {
		t.Helper()
		if err := l.Poll(ctx); err != nil {
			t.Fatal(err)
		}
	}
	chatOf := func(id int64) string {
		t.Helper()
		a, err := db.AccountGetByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return a.TelegramChatID
	}
	expectReply := func(chat, prefix string) {
		t.Helper()
		got := bot.replies()
		if len(got) != 1 || got[0].ChatID != chat || !strings.HasPrefix(got[0].Text, prefix) {
			t.Fatalf("replies %+v, want one to chat %s starting %q", got, chat, prefix)
		}
	}

	first, err := svc.TelegramLinkCode(ctx, ada)
	if err != nil {
		t.Fatal(err)
	}
	code, err := svc.TelegramLinkCode(ctx, ada) // replaces the first
	if err != nil || len(code) != 11 || code[5] != '-' || code == first {
		t.Fatalf("code %q (%v), want a new XXXXX-XXXXX", code, err)
	}
	bobCode, err := svc.TelegramLinkCode(ctx, app.Actor{Account: bob})
	if err != nil {
		t.Fatal(err)
	}

	bot.say(4242, "hello")
	poll()
	expectReply("4242", "Send the link code from your Stockroom profile")

	bot.say(4242, "/start "+first)
	poll()
	expectReply("4242", "That code is not valid")
	if c := chatOf(acct.ID); c != "" {
		t.Fatalf("a replaced code linked chat %q", c)
	}

	// The database fails on the first try: the update is read again.
	links.fail = true
	bot.say(4242, "/start "+code)
	if err := l.Poll(ctx); err == nil || !strings.Contains(err.Error(), "database is down") {
		t.Fatalf("poll with the database down: %v", err)
	}
	if len(bot.replies()) != 0 || chatOf(acct.ID) != "" {
		t.Fatal("an update whose code could not be checked was answered")
	}
	poll()
	expectReply("4242", "Linked to Stockroom account ada. Turn on Telegram alerts")
	if c := chatOf(acct.ID); c != "4242" {
		t.Fatalf("ada's chat is %q, want 4242", c)
	}
	select {
	case e := <-sub.C:
		if e.AccountID != acct.ID {
			t.Fatalf("event %+v", e)
		}
	default:
		t.Fatal("no AccountChanged event for the linked account")
	}

	// A code works once.
	bot.say(-100999, "/start@StockroomBot "+code)
	poll()
	expectReply("-100999", "That code is not valid")
	if c := chatOf(acct.ID); c != "4242" {
		t.Fatalf("a spent code moved ada's chat to %q", c)
	}

	// Typed by hand: any case, without the dash; a group chat may link.
	clock = clock.Add(app.TelegramLinkTTL - time.Minute)
	bot.say(-100555, strings.ToLower(strings.ReplaceAll(bobCode, "-", "")))
	poll()
	expectReply("-100555", "Linked to Stockroom account bob.")
	if c := chatOf(bob.ID); c != "-100555" {
		t.Fatalf("bob's chat is %q", c)
	}

	// Too late.
	late, err := svc.TelegramLinkCode(ctx, ada)
	if err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(app.TelegramLinkTTL + time.Second)
	bot.say(7, late)
	poll()
	expectReply("7", "That code has expired")
	if c := chatOf(acct.ID); c != "4242" {
		t.Fatalf("an expired code moved ada's chat to %q", c)
	}

	// Every poll after the first confirmed what the one before read, and
	// the failed poll confirmed nothing.
	bot.mu.Lock()
	offsets := append([]int64(nil), bot.offsets...)
	bot.mu.Unlock()
	want := []int64{0, 101, 102, 102, 103, 104, 105}
	if fmt.Sprint(offsets) != fmt.Sprint(want) {
		t.Fatalf("getUpdates offsets %v, want %v", offsets, want)
	}

	if _, err := svc.TelegramLinkCode(ctx, app.Actor{Account: store.Account{ID: acct.ID, Disabled: true}}); !errors.Is(err, app.ErrDisabled) {
		t.Fatalf("a disabled account got a code: %v", err)
	}
}

func TestLinkerRunSurvivesAnOutageAndStopsWithItsContext(t *testing.T) {
	db := openSQLite(t)
	ctx := t.Context()
	acct, err := db.AccountCreate(ctx, &store.AccountCreateParams{Name: "ada", Email: "ada@example.com", Fingerprint: "SHA256:ada", PublicKey: "ssh-ed25519 AAAAada"})
	if err != nil {
		t.Fatal(err)
	}
	code, err := app.New(app.Config{Store: db}).TelegramLinkCode(ctx, app.Actor{Account: acct})
	if err != nil {
		t.Fatal(err)
	}
	bot := newFakeBot(t)
	bot.setDown(true)
	logs := &logtest.Buffer{}
	l := notify.NewLinker(notify.LinkerConfig{Telegram: bot.client(t), Store: db, Wait: time.Second,
		MaxBackoff: 50 * time.Millisecond, Logger: slogTo(logs)})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- l.Run(runCtx) }()
	testwait.Until(t, "a failed poll logged", func() bool { return strings.Contains(logs.String(), "poll failed") })
	bot.say(4242, "/start "+code)
	bot.setDown(false)
	testwait.Until(t, "the link", func() bool {
		a, err := db.AccountGetByID(ctx, acct.ID)
		return err == nil && a.TelegramChatID == "4242"
	})
	cancel()
	if err := testwait.Receive(t, done, "Run to stop with its context"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run ended with %v", err)
	}
	if out := logs.String(); strings.Contains(out, "SECRET") || !strings.Contains(out, "<token>") {
		t.Fatalf("logs must name the token only as <token>:\n%s", out)
	}
}
