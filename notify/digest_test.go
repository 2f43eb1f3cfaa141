package notify_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/stockroom/stockroom/internal/testwait"
	"github.com/stockroom/stockroom/notify"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/store/storetest"
)

// to lists the messages the mailbox received for addr.
func (mb *mailbox) to(addr string) []received {
	var out []received
	for _, m := range mb.messages() {
		if len(m.To) == 1 && m.To[0] == addr {
			out = append(out, m)
		}
	}
	return out
}

// member adds an account to the flow's store with its notification
// settings.
func (f *flow) member(t *testing.T, name string, role store.Role, p store.AccountUpdateParams) store.Account {
	t.Helper()
	ctx := t.Context()
	a := storetest.Account(t, f.db, name)
	p.ID = a.ID
	a, err := f.db.AccountUpdate(ctx, &p)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.db.MembershipAdd(ctx, &store.MembershipAddParams{AccountID: a.ID, StoreID: f.shop.ID, Role: role}); err != nil {
		t.Fatal(err)
	}
	return a
}

// lf undoes the CRLF line ends of a mail body.
func lf(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }

func statusesOf(ds []store.Delivery) string {
	s := make([]string, len(ds))
	for i, d := range ds {
		s[i] = fmt.Sprintf("%s:%s", d.Channel, d.Status)
	}
	return strings.Join(s, " ")
}

func TestDailyDigestSendsOneSummaryPerAccountAndChannel(t *testing.T) {
	mb := newMailbox(t)
	mb.start(t)
	bot := newFakeBot(t)
	f := newFlowWith(t, mb, flowConfig{telegram: bot.client(t), channels: []store.Channel{store.ChannelEmail, store.ChannelTelegram}})
	yes, chat := true, "777"
	// ada (the owner) is told at once by email; bob wants a summary by
	// email and Telegram, cy a summary by email.
	bob := f.member(t, "bob", store.RoleManager, store.AccountUpdateParams{NotifyDigest: &yes, NotifyTelegram: &yes, TelegramChatID: &chat})
	cy := f.member(t, "cy", store.RoleViewer, store.AccountUpdateParams{NotifyDigest: &yes})

	f.syncPage(t, listing(555, "Speckled mug", 10))
	f.syncPage(t, listing(556, "Glazed bowl", 10))
	f.syncPage(t, listing(555, "Speckled mug", 3)) // low
	f.syncPage(t, listing(556, "Glazed bowl", 0))  // out
	f.syncPage(t, listing(555, "Speckled mug", 0)) // low becomes out
	testwait.Until(t, "ada's three emails", func() bool { return len(mb.to("ada@example.com")) == 3 })
	for _, a := range []store.Account{bob, cy} {
		ds := f.deliveries(t, a.ID)
		for _, d := range ds {
			if !d.Digest || d.Status != store.DeliveryQueued {
				t.Fatalf("%s: %s, want every delivery queued for the digest", a.Name, statusesOf(ds))
			}
		}
	}
	if got := f.deliveries(t, bob.ID); len(got) != 6 {
		t.Fatalf("bob has %d deliveries, want 3 alerts × 2 channels", len(got))
	}
	f.settled(t)
	if len(mb.messages()) != 3 || len(bot.messages()) != 0 {
		t.Fatalf("%d emails and %d Telegram messages before the digest, want ada's 3 only", len(mb.messages()), len(bot.messages()))
	}

	// The accounts keep the default digest hour, 8 UTC: the scheduler
	// runs at 9, two days on, after the alerts fired.
	at := time.Now().UTC().AddDate(0, 0, 2)
	day := time.Date(at.Year(), at.Month(), at.Day(), 9, 0, 0, 0, time.UTC)
	d1, d2 := day.Format(time.DateOnly), day.AddDate(0, 0, 1).Format(time.DateOnly)
	n, err := notify.EnqueueDigests(t.Context(), f.db, f.queue, day)
	if err != nil || n != 3 {
		t.Fatalf("queued %d digests (%v), want bob's two and cy's one", n, err)
	}
	// The scheduler firing again the same day changes nothing.
	if _, err := notify.EnqueueDigests(t.Context(), f.db, f.queue, day.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, "the summaries", func() bool {
		return len(mb.to("bob@example.com")) >= 1 && len(mb.to("cy@example.com")) >= 1 && len(bot.messages()) >= 1
	})
	testwait.Until(t, "every digest delivery sent", func() bool {
		for _, a := range []store.Account{bob, cy} {
			for _, d := range f.deliveries(t, a.ID) {
				if d.Status != store.DeliverySent {
					return false
				}
			}
		}
		return true
	})
	f.settled(t)
	if a, b, c, tg := len(mb.to("ada@example.com")), len(mb.to("bob@example.com")), len(mb.to("cy@example.com")), len(bot.messages()); a != 3 || b != 1 || c != 1 || tg != 1 {
		t.Fatalf("ada %d, bob %d, cy %d emails and %d Telegram messages; want 3, 1, 1 and 1", a, b, c, tg)
	}

	// Bob's summary holds the three alerts, oldest first.
	order := []string{"Low stock: 3 left\nSpeckled mug (Colour: blue)", "Out of stock\nGlazed bowl (Colour: blue)", "Out of stock\nSpeckled mug (Colour: blue)"}
	inOrder := func(text string) bool {
		text = lf(text)
		at := 0
		for _, o := range order {
			i := strings.Index(text[at:], o)
			if i < 0 {
				return false
			}
			at += i + len(o)
		}
		return true
	}
	p := parse(t, mb.to("bob@example.com")[0].Data)
	if s := p.subject(t); s != "Stockroom daily summary for "+d1+": 3 alert(s)" {
		t.Fatalf("subject %q", s)
	}
	if id := p.Header.Get("Message-Id"); id != fmt.Sprintf("<digest-%s.account-%d.email@stockroom.test>", d1, bob.ID) {
		t.Fatalf("Message-ID %q", id)
	}
	if !strings.Contains(p.Text, "3 stock alert(s) since the last summary, 2 out of stock.") || !inOrder(p.Text) {
		t.Fatalf("bob's summary:\n%s", p.Text)
	}
	if !strings.Contains(p.HTML, "Glazed bowl") || !strings.Contains(p.HTML, `href="https://www.etsy.com/listing/556"`) {
		t.Fatalf("bob's HTML summary:\n%s", p.HTML)
	}
	if c := parse(t, mb.to("cy@example.com")[0].Data); !inOrder(c.Text) {
		t.Fatalf("cy's summary:\n%s", c.Text)
	}
	m := bot.messages()[0]
	if m.ChatID != "777" || !strings.HasPrefix(m.Text, "Stockroom daily summary for "+d1+": 3 alert(s)\n\n") || !inOrder(m.Text) {
		t.Fatalf("Telegram summary to %q:\n%s", m.ChatID, m.Text)
	}

	// An alert after today's summary waits for tomorrow's, even if the
	// scheduler runs again today.
	f.syncPage(t, listing(556, "Glazed bowl", 10)) // resolved
	f.syncPage(t, listing(556, "Glazed bowl", 2))  // low again
	testwait.Until(t, "ada's fourth email", func() bool { return len(mb.to("ada@example.com")) == 4 })
	if _, err := notify.EnqueueDigests(t.Context(), f.db, f.queue, day.Add(10*time.Hour)); err != nil {
		t.Fatal(err)
	}
	f.settled(t)
	if b, c, tg := len(mb.to("bob@example.com")), len(mb.to("cy@example.com")), len(bot.messages()); b != 1 || c != 1 || tg != 1 {
		t.Fatalf("a second summary the same day: bob %d, cy %d emails, %d Telegram messages", b, c, tg)
	}
	if ds := f.deliveries(t, cy.ID); ds[len(ds)-1].Status != store.DeliveryQueued {
		t.Fatalf("cy: %s, want the new alert still queued", statusesOf(ds))
	}

	n, err = notify.EnqueueDigests(t.Context(), f.db, f.queue, day.Add(24*time.Hour))
	if err != nil || n != 3 {
		t.Fatalf("next day: queued %d digests (%v), want 3", n, err)
	}
	testwait.Until(t, "the next day's summaries", func() bool {
		return len(mb.to("bob@example.com")) == 2 && len(mb.to("cy@example.com")) == 2 && len(bot.messages()) == 2
	})
	p = parse(t, mb.to("cy@example.com")[1].Data)
	if s := p.subject(t); s != "Stockroom daily summary for "+d2+": 1 alert(s)" ||
		!strings.Contains(lf(p.Text), "Low stock: 2 left\nGlazed bowl") || strings.Contains(p.Text, "Speckled mug") {
		t.Fatalf("the next day's summary holds more than the new alert: %q\n%s", s, p.Text)
	}
	testwait.Until(t, "all sent", func() bool {
		ds := f.deliveries(t, cy.ID)
		return ds[len(ds)-1].Status == store.DeliverySent
	})
	f.settled(t)
	if n := len(mb.messages()); n != 4+2+2 {
		t.Fatalf("%d emails in all, want ada's 4 and two summaries each for bob and cy", n)
	}
}

// A summary whose channel is down is retried as a whole and sent once.
func TestDigestRetriedAfterAnOutageIsSentOnce(t *testing.T) {
	mb := newMailbox(t) // not listening yet
	yes, no := true, false
	f := newFlowWith(t, mb, flowConfig{owner: &store.AccountUpdateParams{NotifyDigest: &yes, NotifyTelegram: &no}})
	f.syncPage(t, listing(555, "Speckled mug", 10))
	f.syncPage(t, listing(556, "Glazed bowl", 10))
	f.syncPage(t, listing(555, "Speckled mug", 1))
	f.syncPage(t, listing(556, "Glazed bowl", 0))
	if n, err := notify.EnqueueDigests(t.Context(), f.db, f.queue, time.Now().Add(24*time.Hour)); err != nil || n != 1 {
		t.Fatalf("queued %d digests (%v), want 1", n, err)
	}
	testwait.Until(t, "both deliveries retrying", func() bool {
		return statusesOf(f.deliveries(t, f.owner.ID)) == "email:retrying email:retrying"
	})
	mb.start(t)
	testwait.Until(t, "both sent", func() bool { return statusesOf(f.deliveries(t, f.owner.ID)) == "email:sent email:sent" })
	f.settled(t)
	got := mb.messages()
	if len(got) != 1 {
		t.Fatalf("%d summaries after the outage, want exactly 1", len(got))
	}
	if s := parse(t, got[0].Data).subject(t); !strings.HasSuffix(s, ": 2 alert(s)") {
		t.Fatalf("subject %q", s)
	}
}

// The digest goes at the account's hour on its own clock; the first alert
// of a day no longer goes alone: an alert after the hour waits for the
// next day's slot.
func TestDigestSlotFollowsTheAccountsHourAndZone(t *testing.T) {
	berlin := store.Account{DigestHour: 18, TimeZone: "Europe/Berlin"}
	cases := []struct {
		acct store.Account
		now  time.Time
		want string
	}{
		// 16:30 UTC is 17:30 in Berlin (winter): yesterday's 18:00.
		{berlin, time.Date(2026, 1, 10, 16, 30, 0, 0, time.UTC), "2026-01-09T18:00:00+01:00"},
		{berlin, time.Date(2026, 1, 10, 17, 0, 0, 0, time.UTC), "2026-01-10T18:00:00+01:00"},
		// Summer time: 18:00 in Berlin is 16:00 UTC.
		{berlin, time.Date(2026, 7, 10, 16, 0, 0, 0, time.UTC), "2026-07-10T18:00:00+02:00"},
		{store.Account{DigestHour: 8, TimeZone: "UTC"}, time.Date(2026, 3, 14, 7, 59, 0, 0, time.UTC), "2026-03-13T08:00:00Z"},
		// An unknown zone counts as UTC.
		{store.Account{DigestHour: 0, TimeZone: "Mars/Olympus"}, time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC), "2026-03-14T00:00:00Z"},
	}
	for _, c := range cases {
		if got := notify.DigestSlot(c.acct, c.now).Format(time.RFC3339); got != c.want {
			t.Errorf("%+v at %s: slot %s, want %s", c.acct, c.now, got, c.want)
		}
	}
}

func TestDigestWaitsForTheAccountsHour(t *testing.T) {
	mb := newMailbox(t)
	mb.start(t)
	yes, no, hour, zone := true, false, 18, "Europe/Berlin"
	f := newFlowWith(t, mb, flowConfig{owner: &store.AccountUpdateParams{NotifyDigest: &yes, NotifyTelegram: &no,
		DigestHour: &hour, TimeZone: &zone}})
	f.syncPage(t, listing(555, "Speckled mug", 10))
	f.syncPage(t, listing(555, "Speckled mug", 1))
	created := time.Now()
	slot := notify.DigestSlot(f.owner, created)
	// Before the account's next 18:00 in Berlin: the alert waits, however
	// often the scheduler runs.
	for _, at := range []time.Time{created, created.Add(time.Minute), slot.AddDate(0, 0, 1).Add(-time.Minute)} {
		if n, err := notify.EnqueueDigests(t.Context(), f.db, f.queue, at); err != nil || n != 0 {
			t.Fatalf("at %s: queued %d digests (%v), want none before 18:00 Berlin", at, n, err)
		}
	}
	next := slot.AddDate(0, 0, 1)
	if n, err := notify.EnqueueDigests(t.Context(), f.db, f.queue, next.Add(time.Minute)); err != nil || n != 1 {
		t.Fatalf("at 18:01 Berlin: queued %d digests (%v), want 1", n, err)
	}
	testwait.Until(t, "the summary", func() bool { return len(mb.messages()) == 1 })
	if s := parse(t, mb.messages()[0].Data).subject(t); s != "Stockroom daily summary for "+next.Format(time.DateOnly)+": 1 alert(s)" {
		t.Fatalf("subject %q", s)
	}
}

// Raising the threshold makes 8 rows low at once: the owner gets one
// summary, not 8 messages; a later crossing is a message of its own.
func TestRaisedThresholdSendsOneSummary(t *testing.T) {
	mb := newMailbox(t)
	mb.start(t)
	f := newFlow(t, mb)
	for i := range 8 {
		f.syncPage(t, listing(555+int64(i), fmt.Sprintf("Mug %d", i), 10))
	}
	twenty := 20
	if _, err := f.db.StoreUpdateSettings(t.Context(), &store.StoreUpdateSettingsParams{AccountID: f.owner.ID, StoreID: f.shop.ID,
		LowStockDefault: &twenty}); err != nil {
		t.Fatal(err)
	}
	res, err := f.ev.Evaluate(t.Context(), f.shop.ID, nil)
	if err != nil || len(res.Fired) != 8 || !res.Summarized {
		t.Fatalf("fired %d, summarized %v (%v)", len(res.Fired), res.Summarized, err)
	}
	testwait.Until(t, "the summary", func() bool { return len(mb.messages()) == 1 })
	testwait.Until(t, "all 8 sent", func() bool { return strings.Count(statusesOf(f.deliveries(t, f.owner.ID)), ":sent") == 8 })
	if p := parse(t, mb.messages()[0].Data); !strings.Contains(p.subject(t), ": 8 alert(s)") {
		t.Fatalf("summary subject %q", p.subject(t))
	}
	f.syncPage(t, listing(555, "Mug 0", 0)) // a new crossing: out of stock
	f.settledWith(t, mb, 2, "the summary and one for the new crossing")
}

// A shop's first sync after it is connected finds rows already low on
// several pages: they are told once, in one summary per connect, when the
// sync is over; not a summary per page, nor a message per row of a page
// with only a few. A crossing after that sync is told on its own, as any
// later crossing.
func TestRowsLowAtConnectAreToldInOneSummary(t *testing.T) {
	mb := newMailbox(t)
	mb.start(t)
	f := newFlowWith(t, mb, flowConfig{connectPoll: 20 * time.Millisecond})
	ctx := t.Context()
	run, err := f.db.SyncRunStart(ctx, &store.SyncRunStartParams{StoreID: f.shop.ID, Kind: store.SyncFull, Trigger: store.TriggerConnect})
	if err != nil {
		t.Fatal(err)
	}
	id := int64(555)
	page := func(low, fine int) {
		var ls []store.ListingSnapshot
		for i := range low + fine {
			qty := 1
			if i >= low {
				qty = 50
			}
			ls = append(ls, listing(id, fmt.Sprintf("Mug %d", id), qty))
			id++
		}
		f.syncPage(t, ls...)
	}
	page(7, 1) // more than SummarizeOver
	page(2, 3) // fewer: alone, each would be a message
	page(4, 0)
	testwait.Until(t, "the summary to have looked at the sync", func() bool {
		res, err := f.client.JobList(ctx, river.NewJobListParams().Kinds("notify_digest"))
		if err != nil {
			t.Fatal(err)
		}
		return len(res.Jobs) == 1 && res.Jobs[0].AttemptedAt != nil
	})
	if n := len(mb.messages()); n != 0 {
		t.Fatalf("%d messages while the first sync runs, want none", n)
	}
	if _, err := f.db.SyncRunFinish(ctx, &store.SyncRunFinishParams{ID: run.ID, Result: store.ResultOK}); err != nil {
		t.Fatal(err)
	}
	f.settledWith(t, mb, 1, "one summary for the rows low at connect")
	if p := parse(t, mb.messages()[0].Data); !strings.Contains(p.subject(t), ": 13 alert(s)") {
		t.Fatalf("summary subject %q, want the 13 rows", p.subject(t))
	}
	if got := strings.Count(statusesOf(f.deliveries(t, f.owner.ID)), ":sent"); got != 13 {
		t.Fatalf("%d deliveries sent, want 13", got)
	}

	f.syncPage(t, listing(562, "Mug 562", 0)) // fine at connect, now out of stock
	f.settledWith(t, mb, 2, "the summary and one for the new crossing")
}

// sold is a receipt a day old selling qty of listing id's only product.
func sold(receiptID, listingID int64, qty int) store.Receipt {
	at := time.Now().Add(-24 * time.Hour)
	return store.Receipt{EtsyReceiptID: receiptID, Status: "paid", IsPaid: true, CreatedAt: at, UpdatedAt: at,
		Total: store.Money{Amount: 2400, Divisor: 100, Currency: "EUR"},
		Items: []store.ReceiptItem{{EtsyTransactionID: receiptID * 10, EtsyListingID: listingID, EtsyProductID: listingID*10 + 1,
			Quantity: qty, Price: store.Money{Amount: 2400, Divisor: 100, Currency: "EUR"}}}}
}

// Raising "runs out within N days" from 7 to 20 puts 8 rows of 15 days of
// cover under it: one summary, not 8 messages; a later crossing (a new
// listing that sells as fast) is told on its own.
func TestRaisedRunsOutSendsOneSummary(t *testing.T) {
	mb := newMailbox(t)
	mb.start(t)
	f := newFlow(t, mb)
	var receipts []store.Receipt
	for i := range 9 {
		receipts = append(receipts, sold(int64(i+1), 555+int64(i), 20))
	}
	if _, err := f.db.SyncReceiptsWrite(t.Context(), &store.SyncReceiptsWriteParams{StoreID: f.shop.ID, Receipts: receipts}); err != nil {
		t.Fatal(err)
	}
	for i := range 8 {
		f.syncPage(t, listing(555+int64(i), fmt.Sprintf("Mug %d", i), 10))
	}
	f.settled(t)
	if n := len(mb.messages()); n != 0 {
		t.Fatalf("%d emails at 15 days of cover under the default of 7", n)
	}
	twenty := 20
	if _, err := f.db.StoreUpdateSettings(t.Context(), &store.StoreUpdateSettingsParams{AccountID: f.owner.ID, StoreID: f.shop.ID,
		RunsOutDays: &twenty}); err != nil {
		t.Fatal(err)
	}
	res, err := f.ev.Evaluate(t.Context(), f.shop.ID, nil)
	if err != nil || len(res.Fired) != 8 || !res.Summarized || res.Fired[0].Kind != store.AlertRunsOut {
		t.Fatalf("fired %+v, summarized %v (%v)", res.Fired, res.Summarized, err)
	}
	testwait.Until(t, "the summary", func() bool { return len(mb.messages()) == 1 })
	p := parse(t, mb.messages()[0].Data)
	if !strings.Contains(p.subject(t), ": 8 alert(s)") || !strings.Contains(p.Text, "Runs out within 20 days: 10 left") {
		t.Fatalf("summary %q\n%s", p.subject(t), p.Text)
	}
	f.syncPage(t, listing(563, "Mug 8", 10)) // a new crossing
	f.settledWith(t, mb, 2, "the summary and one for the new crossing")
	if s := parse(t, mb.messages()[1].Data).subject(t); !strings.HasPrefix(s, "Runs out within 20 days: 10 left: Mug 8") {
		t.Fatalf("crossing subject %q", s)
	}
}
