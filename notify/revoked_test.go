package notify_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/stockroom/stockroom/internal/testwait"
	"github.com/stockroom/stockroom/notify"
	"github.com/stockroom/stockroom/store"
)

// revoke marks the store as the vault does and queues the notice as the
// server's OnRevoked does; it returns the job's id.
func (f *flow) revoke(t *testing.T, at time.Time) int64 {
	t.Helper()
	ctx := t.Context()
	if err := f.db.StoreSetStatus(ctx, &store.StoreSetStatusParams{StoreID: f.shop.ID, Status: store.StatusNeedsReauth,
		LastError: "revoked", Now: at}); err != nil {
		t.Fatal(err)
	}
	res, err := f.client.Insert(ctx, notify.RevokedArgs{StoreID: f.shop.ID, At: at.Unix()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return res.Job.ID
}

// completed waits until job id is completed and returns it.
func (f *flow) completed(t *testing.T, id int64) *rivertype.JobRow {
	t.Helper()
	var row *rivertype.JobRow
	testwait.Until(t, "the notice job to complete", func() bool {
		var err error
		row, err = f.client.JobGet(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		return row.State == rivertype.JobStateCompleted
	})
	return row
}

func TestReconnectNoticeReachesEachOwnerOnceOnEachChosenChannel(t *testing.T) {
	mb := newMailbox(t)
	mb.start(t)
	bot := newFakeBot(t)
	yes, no, chat := true, false, "4242"
	f := newFlowWith(t, mb, flowConfig{telegram: bot.client(t), recordEagerly: true,
		owner: &store.AccountUpdateParams{NotifyTelegram: &yes, TelegramChatID: &chat}})
	f.member(t, "bob", store.RoleManager, store.AccountUpdateParams{}) // email alerts on
	f.member(t, "cleo", store.RoleViewer, store.AccountUpdateParams{}) // email alerts on
	// A second owner who turned email alerts off and linked no chat.
	f.member(t, "dan", store.RoleOwner, store.AccountUpdateParams{NotifyEmail: &no})
	// An owner who linked a chat but keeps Telegram alerts off.
	eveChat := "777"
	eve := f.member(t, "eve", store.RoleOwner, store.AccountUpdateParams{TelegramChatID: &eveChat})

	at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	id := f.revoke(t, at)
	// The same revocation queued again (a retried insert) is the same job.
	dup, err := f.client.Insert(t.Context(), notify.RevokedArgs{StoreID: f.shop.ID, At: at.Unix()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !dup.UniqueSkippedAsDuplicate || dup.Job.ID != id {
		t.Fatalf("a repeated insert made job %d (skipped %v), want job %d", dup.Job.ID, dup.UniqueSkippedAsDuplicate, id)
	}
	f.completed(t, id)
	f.settled(t)

	mails := mb.messages()
	if len(mails) != 2 || len(mb.to("ada@example.com")) != 1 || len(mb.to(eve.Email)) != 1 {
		var to []string
		for _, m := range mails {
			to = append(to, m.To...)
		}
		t.Fatalf("emails to %v, want one each to the owners ada and eve", to)
	}
	p := parse(t, mb.to("ada@example.com")[0].Data)
	if s := p.subject(t); s != "Reconnect Clay & Co to Stockroom" {
		t.Fatalf("subject %q", s)
	}
	if mid := p.Header.Get("Message-Id"); mid != "<revoked-"+itoa(at.Unix())+".store-"+itoa(f.shop.ID)+".account-"+itoa(f.owner.ID)+"@stockroom.test>" {
		t.Fatalf("Message-ID %q", mid)
	}
	text := lf(p.Text)
	for _, want := range []string{"Etsy no longer accepts Stockroom's access to Clay & Co.", "changed their Etsy password or removed the Stockroom app",
		"Stock edits made in Stockroom are kept, and will be pushed to Etsy once the shop is connected again.",
		"ssh to Stockroom, open the Stores screen, select Clay & Co and press c."} {
		if !strings.Contains(text, want) {
			t.Fatalf("email text lacks %q:\n%s", want, text)
		}
	}
	if !strings.Contains(p.HTML, "Clay &amp; Co") {
		t.Fatalf("HTML body:\n%s", p.HTML)
	}
	msgs := bot.messages()
	if len(msgs) != 1 || msgs[0].ChatID != "4242" {
		t.Fatalf("Telegram messages %+v, want one to ada's chat 4242", msgs)
	}
	if !strings.HasPrefix(msgs[0].Text, "Reconnect Clay & Co to Stockroom\n\n") || !strings.Contains(msgs[0].Text, "press c") {
		t.Fatalf("Telegram text:\n%s", msgs[0].Text)
	}

	// A later revocation, after the shop was reconnected, is a notice of
	// its own.
	if err := f.db.StoreSetStatus(t.Context(), &store.StoreSetStatusParams{StoreID: f.shop.ID, Status: store.StatusConnected, Now: at.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	f.completed(t, f.revoke(t, at.Add(2*time.Hour)))
	testwait.Until(t, "the second notice", func() bool { return len(mb.to("ada@example.com")) == 2 && len(bot.messages()) == 2 })
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestReconnectNoticeAfterAnSMTPOutageIsSentOnce(t *testing.T) {
	for _, eager := range []bool{true, false} {
		name := "recorded at once"
		if !eager {
			name = "recorded as each attempt ends"
		}
		t.Run(name, func(t *testing.T) {
			mb := newMailbox(t) // not listening yet
			bot := newFakeBot(t)
			yes, chat := true, "4242"
			f := newFlowWith(t, mb, flowConfig{telegram: bot.client(t), recordEagerly: eager,
				owner: &store.AccountUpdateParams{NotifyTelegram: &yes, TelegramChatID: &chat}})
			id := f.revoke(t, time.Now())
			testwait.Until(t, "attempts after the mail server refused", func() bool {
				row, err := f.client.JobGet(t.Context(), id)
				if err != nil {
					t.Fatal(err)
				}
				return row.Attempt >= 3
			})
			if n := len(bot.messages()); n != 1 {
				t.Fatalf("%d Telegram messages while email was failing, want 1", n)
			}
			mb.start(t)
			f.completed(t, id)
			f.settled(t)
			if n := len(mb.messages()); n != 1 {
				t.Fatalf("%d emails after the outage, want exactly 1", n)
			}
			if n := len(bot.messages()); n != 1 {
				t.Fatalf("%d Telegram messages after the outage, want exactly 1", n)
			}
		})
	}
}

// heldTelegram holds every message until released, like a Bot API that
// hangs.
type heldTelegram struct {
	reached, release chan struct{}
}

func (h *heldTelegram) Send(ctx context.Context, _, _ string) error {
	select {
	case h.reached <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-h.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// A process that dies while a notice is half sent leaves behind what it
// sent: the job's output names the email before the attempt ends.
func TestReconnectNoticeRecordsEachMessageAsItGoes(t *testing.T) {
	mb := newMailbox(t)
	mb.start(t)
	tg := &heldTelegram{reached: make(chan struct{}), release: make(chan struct{})}
	yes, chat := true, "4242"
	f := newFlowWith(t, mb, flowConfig{telegram: tg, recordEagerly: true,
		owner: &store.AccountUpdateParams{NotifyTelegram: &yes, TelegramChatID: &chat}})
	id := f.revoke(t, time.Now())
	testwait.Receive(t, tg.reached, "the Telegram message to be tried")
	row, err := f.client.JobGet(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"done":[{"account_id":` + itoa(f.owner.ID) + `,"channel":"email"}]}`
	if row.State != rivertype.JobStateRunning || string(row.Output()) != want {
		t.Fatalf("job %s with output %s while Telegram hangs, want running with %s", row.State, row.Output(), want)
	}
	close(tg.release)
	f.completed(t, id)
	if n := len(mb.messages()); n != 1 {
		t.Fatalf("%d emails, want 1", n)
	}
}

func TestReconnectNoticeAfterATelegramOutageIsSentOnce(t *testing.T) {
	mb := newMailbox(t)
	mb.start(t)
	bot := newFakeBot(t)
	bot.setDown(true)
	yes, chat := true, "4242"
	f := newFlowWith(t, mb, flowConfig{telegram: bot.client(t), recordEagerly: true,
		owner: &store.AccountUpdateParams{NotifyTelegram: &yes, TelegramChatID: &chat}})
	id := f.revoke(t, time.Now())
	testwait.Until(t, "refused Telegram attempts", func() bool { return bot.tries() >= 2 })
	bot.setDown(false)
	f.completed(t, id)
	f.settled(t)
	if n, m := len(mb.messages()), len(bot.messages()); n != 1 || m != 1 {
		t.Fatalf("%d emails and %d Telegram messages, want one of each", n, m)
	}
}

func TestReconnectNoticeIsDroppedOnceTheShopIsReconnected(t *testing.T) {
	mb := newMailbox(t)
	mb.start(t)
	f := newFlowWith(t, mb, flowConfig{telegram: newFakeBot(t).client(t), recordEagerly: true})
	if err := f.db.StoreSetStatus(t.Context(), &store.StoreSetStatusParams{StoreID: f.shop.ID, Status: store.StatusNeedsReauth, Now: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := f.db.StoreSetStatus(t.Context(), &store.StoreSetStatusParams{StoreID: f.shop.ID, Status: store.StatusConnected, Now: time.Now()}); err != nil {
		t.Fatal(err)
	}
	res, err := f.client.Insert(t.Context(), notify.RevokedArgs{StoreID: f.shop.ID, At: time.Now().Unix()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.completed(t, res.Job.ID)
	if n := len(mb.messages()); n != 0 {
		t.Fatalf("%d emails for a shop that is connected again", n)
	}
}

func TestShopNameIsSafeInTheReconnectNotice(t *testing.T) {
	mb := newMailbox(t)
	mb.start(t)
	evil := "Clay\r\nBcc: victim@example.com\r\n<script>alert(1)</script> & <b>bold</b>"
	f := newFlowWith(t, mb, flowConfig{telegram: newFakeBot(t).client(t), recordEagerly: true, shopName: evil})
	f.completed(t, f.revoke(t, time.Now()))
	p := mb.onlyToAda(t)
	if s := p.subject(t); s != "Reconnect Clay Bcc: victim@example.com <script>alert(1)</script> & <b>bold</b> to Stockroom" {
		t.Fatalf("subject %q", s)
	}
	if strings.Contains(p.HTML, "<script>") || strings.Contains(p.HTML, "<b>bold") ||
		!strings.Contains(p.HTML, "Clay Bcc: victim@example.com &lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;") {
		t.Fatalf("HTML body not escaped:\n%s", p.HTML)
	}
	if strings.Contains(p.Text, "\r\nBcc") || strings.Contains(lf(p.Text), "\nBcc") {
		t.Fatalf("text body keeps the line break:\n%q", p.Text)
	}
}
