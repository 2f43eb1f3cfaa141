package account

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"golang.org/x/crypto/ssh"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/store/storetest"
	"github.com/stockroom/stockroom/tui/internal/tuitest"
)

var now = tuitest.Noon

type fixture struct {
	db    store.DB
	svc   *app.Service
	actor app.Actor
}

// codeIn finds a one-time code in a status line.
var codeIn = regexp.MustCompile(`[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}`)

func newKey(t *testing.T, comment string) (authorized, fingerprint string) {
	t.Helper()
	pk := tuitest.NewKey(t)
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pk))) + " " + comment
	return line, ssh.FingerprintSHA256(pk)
}

func setup(t *testing.T) *fixture {
	t.Helper()
	db := storetest.OpenSQLite(t)
	line, fp := newKey(t, "ada@laptop")
	acct, err := db.AccountCreate(t.Context(), &store.AccountCreateParams{Name: "Ada", Email: "ada@example.com", Fingerprint: fp,
		PublicKey: line, Comment: "ada@laptop", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	svc := app.New(app.Config{Store: db, Channels: []store.Channel{store.ChannelEmail, store.ChannelTelegram},
		TelegramBot: "stockroom_alerts_bot", Now: func() time.Time { return now }})
	return &fixture{db: db, svc: svc, actor: app.Actor{Account: acct, Fingerprint: fp}}
}

func (f *fixture) page(t *testing.T) *Model {
	t.Helper()
	return tuitest.Open(t, New(tuitest.Session(f.svc, f.actor, now, 140, 30)), 140, 30, (*Model).Init)
}

func typeText(t *testing.T, m *Model, s string) {
	t.Helper()
	for _, r := range s {
		tuitest.Press(t, m, string(r))
	}
}

func paste(t *testing.T, m *Model, s string) {
	t.Helper()
	_, cmd := m.Update(tea.PasteMsg{Content: s})
	tuitest.Settle(t, m, cmd)
}

func TestProfileShowsAndTogglesPreferences(t *testing.T) {
	f := setup(t)
	m := f.page(t)
	plain := tuitest.Plain(m)
	for _, want := range []string{"Ada", "ada@example.com", "Email alerts", "Daily digest", "ada@laptop", "this session"} {
		if !strings.Contains(plain, want) {
			t.Errorf("view lacks %q:\n%s", want, plain)
		}
	}
	// Down to "Daily digest" and toggle it on, then "Email alerts" off.
	tuitest.Press(t, m, "j", "j", "j", "j", "j", "space")
	if !m.Account().NotifyDigest {
		t.Fatal("space did not turn the daily digest on")
	}
	stored, err := f.db.AccountGetByID(t.Context(), f.actor.Account.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !stored.NotifyDigest {
		t.Fatal("the digest preference was not saved")
	}
	before := m.Account().NotifyEmail
	tuitest.Press(t, m, "k", "k", "enter")
	if m.Account().NotifyEmail == before {
		t.Fatal("enter did not toggle email alerts")
	}
}

func TestEditNameEmailAndTelegram(t *testing.T) {
	f := setup(t)
	m := f.page(t)
	tuitest.Press(t, m, "enter")
	if !m.Editing() {
		t.Fatal("enter on the name did not open the editor")
	}
	for range 3 {
		tuitest.Press(t, m, "backspace")
	}
	typeText(t, m, "Ada Lovelace")
	tuitest.Press(t, m, "enter")
	if m.Editing() || m.Account().Name != "Ada Lovelace" {
		t.Fatalf("name after save: %q (editing %v, status %q)", m.Account().Name, m.Editing(), m.Status())
	}
	// A bad email is refused with app's message and the editor stays open.
	tuitest.Press(t, m, "j", "enter")
	for range len("ada@example.com") {
		tuitest.Press(t, m, "backspace")
	}
	typeText(t, m, "not an email")
	tuitest.Press(t, m, "enter")
	if !m.Editing() || !strings.Contains(m.Status(), "is not an email address") {
		t.Fatalf("bad email: editing %v, status %q", m.Editing(), m.Status())
	}
	tuitest.Press(t, m, "esc")
	if m.Editing() || m.Account().Email != "ada@example.com" {
		t.Fatalf("esc did not cancel: %q", m.Account().Email)
	}
	// Telegram chat ids are numbers.
	tuitest.Press(t, m, "j", "enter")
	typeText(t, m, "@ada")
	tuitest.Press(t, m, "enter")
	if !strings.Contains(m.Status(), "is not a Telegram chat id") {
		t.Fatalf("bad chat id accepted: %q", m.Status())
	}
	for range 4 {
		tuitest.Press(t, m, "backspace")
	}
	typeText(t, m, "-100123")
	tuitest.Press(t, m, "enter")
	if m.Account().TelegramChatID != "-100123" {
		t.Fatalf("chat id %q", m.Account().TelegramChatID)
	}
}

func TestAddAndRemoveKeysButNotTheLast(t *testing.T) {
	f := setup(t)
	m := f.page(t)
	// The only key cannot go: app's error is shown.
	tuitest.Press(t, m, "G", "x")
	if !strings.Contains(tuitest.Plain(m), "Remove key "+f.actor.Fingerprint) {
		t.Fatalf("no confirmation:\n%s", tuitest.Plain(m))
	}
	tuitest.Press(t, m, "enter")
	if len(m.Keys()) != 1 || !strings.Contains(m.Status(), "this is your only key") {
		t.Fatalf("last key: %d keys, status %q", len(m.Keys()), m.Status())
	}
	// A key joins with a link code, redeemed by that key: nothing pasted.
	tuitest.Press(t, m, "a")
	code := codeIn.FindString(m.Status())
	if code == "" || m.Editing() {
		t.Fatalf("a gave no link code: %q", m.Status())
	}
	pk := tuitest.NewKey(t)
	fp := ssh.FingerprintSHA256(pk)
	if _, err := f.svc.ClaimKey(t.Context(), pk, "192.0.2.9:22", code); err != nil {
		t.Fatal(err)
	}
	tuitest.Press(t, m, "r")
	if len(m.Keys()) != 2 {
		t.Fatalf("after linking: %d keys, status %q", len(m.Keys()), m.Status())
	}
	// Esc keeps a key; enter removes it.
	var idx int
	for i, k := range m.Keys() {
		if k.Fingerprint == fp {
			idx = i
		}
	}
	tuitest.Press(t, m, "g")
	for range int(fieldCount) + idx {
		tuitest.Press(t, m, "j")
	}
	tuitest.Press(t, m, "x", "esc")
	if len(m.Keys()) != 2 {
		t.Fatal("esc removed the key")
	}
	tuitest.Press(t, m, "x", "enter")
	if len(m.Keys()) != 1 || m.Keys()[0].Fingerprint != f.actor.Fingerprint {
		t.Fatalf("after removing: %+v (status %q)", m.Keys(), m.Status())
	}
}

func TestReloadsOnAccountChangedAndSanitisesComments(t *testing.T) {
	f := setup(t)
	m := f.page(t)
	line, _ := newKey(t, "x")
	line = strings.TrimSuffix(line, " x")
	if _, err := f.db.KeyAdd(t.Context(), &store.KeyAddParams{AccountID: f.actor.Account.ID, Fingerprint: "SHA256:other",
		PublicKey: line, Comment: "evil\x1b]52;c;Zm9v\x07mark", Now: now}); err != nil {
		t.Fatal(err)
	}
	if cmd := tuitest.Live(m, hub.Event{Kind: hub.AccountChanged, AccountID: f.actor.Account.ID + 1}); cmd != nil {
		t.Fatal("another account's change reloaded the screen")
	}
	cmd := tuitest.Live(m, hub.Event{Kind: hub.AccountChanged, AccountID: f.actor.Account.ID})
	tuitest.Settle(t, m, cmd)
	if len(m.Keys()) != 2 {
		t.Fatalf("%d keys after AccountChanged", len(m.Keys()))
	}
	v := m.View()
	if strings.Contains(v, "\x1b]52") || !strings.Contains(tuitest.Plain(m), "evilmark") {
		t.Fatalf("comment not sanitised: %q", v)
	}
}

func TestDisabledAccountIsRefused(t *testing.T) {
	f := setup(t)
	if err := f.db.AccountSetDisabled(context.Background(), f.actor.Account.ID, true); err != nil {
		t.Fatal(err)
	}
	m := f.page(t)
	if !strings.Contains(tuitest.Plain(m), app.ErrDisabled.Error()) {
		t.Fatalf("disabled account not refused:\n%s", tuitest.Plain(m))
	}
	tuitest.Press(t, m, "a")
	if m.Editing() {
		t.Fatal("a disabled account can add keys from the screen")
	}
}

// T shows a one-time code; sending it to the bot links the chat (the
// store's side of the link is tested in notify).
func TestLinkTelegramShowsAOneTimeCode(t *testing.T) {
	f := setup(t)
	m := f.page(t)
	tuitest.Press(t, m, "T")
	plain := tuitest.Plain(m)
	if !strings.Contains(plain, "to @stockroom_alerts_bot (https://t.me/stockroom_alerts_bot)") {
		t.Fatalf("no link code naming the bot shown:\n%s", plain)
	}
	code := strings.Fields(plain[strings.Index(plain, "Send ")+len("Send "):])[0]
	acct, err := f.db.TelegramLinkCodeUse(t.Context(), &store.TelegramLinkCodeUseParams{Code: code, ChatID: "4242", Now: now})
	if err != nil {
		t.Fatalf("the code %q shown does not link: %v", code, err)
	}
	if acct.ID != f.actor.Account.ID {
		t.Fatalf("linked account %d, want %d", acct.ID, f.actor.Account.ID)
	}
}

// Only the channels the server has are offered: this one has email and
// Telegram, not WhatsApp.
func TestOnlyTheServersChannelsAreOffered(t *testing.T) {
	f := setup(t)
	m := f.page(t)
	plain := tuitest.Plain(m)
	if !strings.Contains(plain, "WhatsApp alerts   not sent by this server") || strings.Contains(plain, "Email alerts      not sent") {
		t.Fatalf("channels offered:\n%s", plain)
	}
}
