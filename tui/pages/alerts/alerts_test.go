package alerts

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/riverqueue/river"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/internal/apptest"
	"github.com/stockroom/stockroom/notify"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/tui/common"
	"github.com/stockroom/stockroom/tui/internal/tuitest"
)

// jobs records the delivery jobs the evaluator queues.
type jobs struct {
	mu   sync.Mutex
	args []river.JobArgs
}

func (j *jobs) InsertTx(_ context.Context, _ store.Tx, args river.JobArgs, _ *river.InsertOpts) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.args = append(j.args, args)
	return nil
}

// fixture is a shop whose stock changes fire real alerts: the application
// layer evaluates them through the notifier's evaluator, as the server does.
type fixture struct {
	env   *tuitest.Env
	svc   *app.Service
	owner app.Actor
	// now moves the clock of the evaluations; the screen's clock stays at
	// tuitest.Epoch.
	now time.Time
}

func newFixture(t *testing.T, listings ...store.ListingSnapshot) *fixture {
	t.Helper()
	e := tuitest.New(t, listings, tuitest.Options{})
	f := &fixture{env: e, owner: e.Owner, now: tuitest.Epoch.Add(-3 * time.Hour)}
	ev := notify.NewEvaluator(notify.EvaluatorConfig{Store: e.DB, Jobs: &jobs{}, Hub: e.Hub,
		Channels: []store.Channel{store.ChannelEmail, store.ChannelTelegram}, Now: func() time.Time { return f.now }})
	f.svc = app.New(app.Config{Store: e.DB, Jobs: e.Jobs, Hub: e.Hub, Alerts: ev, Now: func() time.Time { return tuitest.Epoch }})
	// The owner is told by email and on Telegram.
	email, chat, yes := "olive@example.com", "777", true
	acct, err := e.DB.AccountUpdate(t.Context(), &store.AccountUpdateParams{ID: e.Owner.Account.ID, Email: &email,
		TelegramChatID: &chat, NotifyEmail: &yes, NotifyTelegram: &yes, Now: tuitest.Epoch})
	if err != nil {
		t.Fatal(err)
	}
	f.owner.Account = acct
	return f
}

// setStock sets the stock of sku at the given time, evaluating alerts.
func (f *fixture) setStock(t *testing.T, sku string, qty int, at time.Time) {
	t.Helper()
	f.now = at
	r := apptest.Row(t, f.svc, f.owner, f.env.StoreID, sku)
	if _, err := f.svc.SetStock(t.Context(), f.owner, app.StockParams{StoreID: f.env.StoreID, Source: store.SourceTUI,
		Edits: []store.StockEditItem{{OfferingID: r.OfferingID, Version: r.Version, Quantity: qty}}}); err != nil {
		t.Fatal(err)
	}
}

// deliveries are the owner's deliveries of the active alert of sku.
func (f *fixture) deliveries(t *testing.T, sku string) map[store.Channel]int64 {
	t.Helper()
	as, err := f.svc.Alerts(t.Context(), f.owner, f.env.StoreID, app.AlertListParams{ActiveOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range as {
		if a.SKU == sku {
			out := map[store.Channel]int64{}
			for _, d := range a.Deliveries {
				out[d.Channel] = d.ID
			}
			return out
		}
	}
	t.Fatalf("no active alert for %s", sku)
	return nil
}

func (f *fixture) screen(t *testing.T, a app.Actor, width, height int) *Model {
	t.Helper()
	m := New(tuitest.Session(f.svc, a, tuitest.Epoch, width, height))
	tuitest.Settle(t, m, m.SetStore(f.env.StoreID))
	return m
}

func skus(as []store.AlertView) []string {
	return tuitest.Map(as, func(a store.AlertView) string { return a.SKU })
}

func shop() []store.ListingSnapshot {
	return []store.ListingSnapshot{
		tuitest.Listing(1, "Teapot", tuitest.Variation{SKU: "POT", Quantity: 10}),
		tuitest.Listing(2, "Mug\x1b]52;c;Zm9v\x07 blue", tuitest.Variation{Name: "Colour: \x1b[31mRed", SKU: "MUG", Quantity: 10}),
		tuitest.Listing(3, "Cup", tuitest.Variation{SKU: "CUP", Quantity: 10}),
		tuitest.Listing(4, "Vase", tuitest.Variation{SKU: "VASE", Quantity: 50}),
	}
}

func TestActiveOutOfStockFirstWithDeliveryStatus(t *testing.T) {
	f := newFixture(t, shop()...)
	// Oldest first: the out-of-stock alert is the oldest, so newest-first
	// alone would list it last.
	f.setStock(t, "POT", 0, tuitest.Epoch.Add(-3*time.Hour))
	f.setStock(t, "MUG", 2, tuitest.Epoch.Add(-2*time.Hour))
	f.setStock(t, "CUP", 1, tuitest.Epoch.Add(-30*time.Minute))

	ctx, db := t.Context(), f.env.DB
	pot, mug, cup := f.deliveries(t, "POT"), f.deliveries(t, "MUG"), f.deliveries(t, "CUP")
	if len(pot) != 2 || len(mug) != 2 || len(cup) != 2 {
		t.Fatalf("deliveries: %v %v %v", pot, mug, cup)
	}
	if _, err := db.DeliveryMarkSent(ctx, &store.DeliveryMarkSentParams{IDs: []int64{pot[store.ChannelEmail]}, Now: tuitest.Epoch}); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := db.DeliveryMarkFailed(ctx, &store.DeliveryMarkFailedParams{IDs: []int64{pot[store.ChannelTelegram]},
			Error: "429 Too Many Requests\x1b[2J retry after 30s", Now: tuitest.Epoch}); err != nil {
			t.Fatal(err)
		}
	}
	hostile := "550 mailbox unavailable \x1b]8;;https://evil.example\x07click here\x1b]8;;\x07 " +
		strings.Repeat("the receiving server refused the message ", 4)
	if err := db.DeliveryMarkFailed(ctx, &store.DeliveryMarkFailedParams{IDs: []int64{mug[store.ChannelEmail]},
		Error: hostile, Final: true, Now: tuitest.Epoch}); err != nil {
		t.Fatal(err)
	}

	m := f.screen(t, f.owner, 200, 30)
	if got := skus(m.Alerts()); strings.Join(got, ",") != "POT,CUP,MUG" {
		t.Fatalf("active order %v, want POT (out of stock), then CUP and MUG (low, newest first)", got)
	}
	raw := m.View()
	for _, bad := range []string{"\x1b]", "\x1b[2J", "\x1b[31m", "evil.example"} {
		if strings.Contains(raw, bad) {
			t.Fatalf("view carries %q:\n%q", bad, raw)
		}
	}
	v := tuitest.Plain(m)
	for _, want := range []string{
		"Low stock at ≤ 3 by default (t to change) · Runs out within 7 days (d to change); override thresholds per row with t on the Inventory screen",
		"3 active alerts · 1 out of stock",
		"Out of stock", "0 ≤ 3", "3h ago", "Teapot",
		"email sent · telegram retrying (3): 429 Too Many Requests retry after 30s",
		"Mug blue — Colour: Red", "2 ≤ 3", "2h ago",
		"email failed: 550 mailbox unavailable click here",
		"telegram queued", "30m ago",
	} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, v)
		}
	}

	// Enter opens the failed message: the whole reason, cleaned and
	// wrapped to the screen.
	m.SetSize(80, 30)
	tuitest.Press(t, m, "down", "down", "enter")
	v = tuitest.Plain(m)
	if !strings.Contains(v, "email · failed for good after 1 attempt") || !strings.Contains(v, "telegram · queued 3h ago") &&
		!strings.Contains(v, "telegram · queued 2h ago") {
		t.Fatalf("opened alert:\n%s", v)
	}
	var reason []string
	for _, l := range strings.Split(v, "\n") {
		if strings.HasPrefix(l, subIndent) && !strings.HasPrefix(l, subIndent+" ") {
			if ansi.StringWidth(l) > 80 {
				t.Errorf("reason line wider than the screen: %q", l)
			}
			reason = append(reason, strings.TrimSpace(l))
		}
	}
	if len(reason) < 2 || !strings.HasPrefix(reason[0], "550 mailbox unavailable click here") ||
		!strings.Contains(strings.Join(reason, " "), "refused the message") {
		t.Fatalf("wrapped reason %q in:\n%s", reason, v)
	}
	if strings.Contains(m.View(), "\x1b]") {
		t.Fatal("opened alert carries an OSC sequence")
	}
	tuitest.Press(t, m, "enter")
	if strings.Contains(tuitest.Plain(m), "failed for good") {
		t.Fatal("enter does not close the alert")
	}

	// Another member sees the alerts, but only their own messages: none.
	viewer := f.env.Member(t, "Vic Viewer", store.RoleViewer)
	vm := f.screen(t, viewer, 200, 30)
	if v := tuitest.Plain(vm); len(vm.Alerts()) != 3 || strings.Contains(v, "email sent") || !strings.Contains(v, "none") {
		t.Fatalf("viewer's view:\n%s", v)
	}
}

func TestHistoryAfterRecoveryAndLiveReload(t *testing.T) {
	f := newFixture(t, shop()...)
	f.setStock(t, "MUG", 2, tuitest.Epoch.Add(-5*time.Hour))
	f.setStock(t, "CUP", 1, tuitest.Epoch.Add(-4*time.Hour))
	m := f.screen(t, f.owner, 200, 30)
	if got := skus(m.Alerts()); strings.Join(got, ",") != "CUP,MUG" {
		t.Fatalf("active %v", got)
	}

	// MUG recovers; CUP runs out, which replaces its low-stock alert.
	f.setStock(t, "MUG", 40, tuitest.Epoch.Add(-2*time.Hour))
	f.setStock(t, "CUP", 0, tuitest.Epoch.Add(-1*time.Hour))
	if cmd := tuitest.Live(m, hub.Event{Kind: hub.AlertsChanged, StoreID: f.env.StoreID + 1}); cmd != nil {
		t.Fatal("another store's alerts reloaded the screen")
	}
	cmd := tuitest.Live(m, hub.Event{Kind: hub.AlertsChanged, StoreID: f.env.StoreID})
	tuitest.Settle(t, m, cmd)
	if as := m.Alerts(); len(as) != 1 || as[0].SKU != "CUP" || as[0].Kind != store.AlertOutOfStock {
		t.Fatalf("active after the changes: %+v", as)
	}

	tuitest.Press(t, m, "right")
	if m.Showing() != History {
		t.Fatal("→ does not show the history")
	}
	as := m.Alerts()
	if strings.Join(skus(as), ",") != "CUP,MUG" || as[0].Kind != store.AlertLowStock || as[0].Active || as[1].Active {
		t.Fatalf("history %+v, want CUP's low-stock alert (resolved 1h ago) then MUG's (2h ago)", as)
	}
	v := tuitest.Plain(m)
	if !strings.Contains(v, "2 resolved alerts") || !strings.Contains(v, "ran out") || !strings.Contains(v, "Resolved") {
		t.Fatalf("history view:\n%s", v)
	}
	lines := strings.Split(v, "\n")
	var mugLine string
	for _, l := range lines {
		if strings.Contains(l, "MUG") {
			mugLine = l
		}
	}
	if !strings.Contains(mugLine, "5h ago") || !strings.Contains(mugLine, "2h ago") {
		t.Fatalf("MUG's history line lacks its fired and resolved ages: %q", mugLine)
	}

	tuitest.Press(t, m, "left")
	if m.Showing() != Active || len(m.Alerts()) != 1 {
		t.Fatalf("← shows %v with %d alerts", m.Showing(), len(m.Alerts()))
	}
	// A stock change reloads the list too.
	f.setStock(t, "CUP", 20, tuitest.Epoch)
	cmd = tuitest.Live(m, hub.Event{Kind: hub.StockChanged, StoreID: f.env.StoreID})
	tuitest.Settle(t, m, cmd)
	if len(m.Alerts()) != 0 || !strings.Contains(tuitest.Plain(m), "No active alerts") {
		t.Fatalf("after restocking:\n%s", tuitest.Plain(m))
	}
}

func TestDefaultThresholdEdit(t *testing.T) {
	f := newFixture(t, tuitest.Listing(1, "Bowl", tuitest.Variation{SKU: "BOWL", Quantity: 8}),
		tuitest.Listing(2, "Plate", tuitest.Variation{SKU: "PLATE", Quantity: 50}))
	m := f.screen(t, f.owner, 160, 24)
	if m.DefaultThreshold() != 3 || len(m.Alerts()) != 0 {
		t.Fatalf("default %d, alerts %d", m.DefaultThreshold(), len(m.Alerts()))
	}

	tuitest.Press(t, m, "t")
	if !m.Editing() {
		t.Fatal("t does not open the editor")
	}
	// 1000 is refused as it is typed: the editor keeps 100.
	tuitest.Press(t, m, "1", "0", "0", "0")
	if st := m.Status(); !st.Err || !strings.Contains(st.Text, "1000 is out of range") || m.edit != "100" {
		t.Fatalf("after typing 1000: %+v, editor %q", st, m.edit)
	}
	tuitest.Press(t, m, "esc")
	if m.Editing() || m.DefaultThreshold() != 3 {
		t.Fatal("esc does not cancel")
	}
	st, err := f.svc.Store(t.Context(), f.owner, f.env.StoreID)
	if err != nil || st.LowStockDefault != 3 {
		t.Fatalf("cancelled edit saved: %d %v", st.LowStockDefault, err)
	}

	// Digits replace the old value; backspace takes one back.
	tuitest.Press(t, m, "t", "1", "2", "backspace", "0", "enter")
	if m.Editing() {
		t.Fatal("enter does not close the editor")
	}
	st, err = f.svc.Store(t.Context(), f.owner, f.env.StoreID)
	if err != nil || st.LowStockDefault != 10 {
		t.Fatalf("saved default %d %v, want 10", st.LowStockDefault, err)
	}
	if m.DefaultThreshold() != 10 || m.Status().Err || !strings.Contains(m.Status().Text, "low at 10 or fewer") {
		t.Fatalf("after saving: default %d, status %+v", m.DefaultThreshold(), m.Status())
	}
	// The new default fired an alert for the bowl, and the screen shows it.
	if got := skus(m.Alerts()); len(got) != 1 || got[0] != "BOWL" {
		t.Fatalf("alerts after raising the default: %v", got)
	}
	if v := tuitest.Plain(m); !strings.Contains(v, "Low stock at ≤ 10 by default") || !strings.Contains(v, "8 ≤ 10") {
		t.Fatalf("view after saving:\n%s", v)
	}

	// An empty editor saves nothing.
	tuitest.Press(t, m, "t", "backspace", "backspace", "enter")
	if !m.Editing() || !m.Status().Err {
		t.Fatalf("empty value: editing %v, status %+v", m.Editing(), m.Status())
	}
	tuitest.Press(t, m, "esc")
}

func TestViewerCannotEditThreshold(t *testing.T) {
	f := newFixture(t, tuitest.Listing(1, "Bowl", tuitest.Variation{SKU: "BOWL", Quantity: 8}))
	viewer := f.env.Member(t, "Vic Viewer", store.RoleViewer)
	m := f.screen(t, viewer, 160, 24)
	if v := tuitest.Plain(m); !strings.Contains(v, "Low stock at ≤ 3 by default · Runs out within 7 days; override thresholds per row") || strings.Contains(v, "to change") {
		t.Fatalf("viewer's header:\n%s", v)
	}
	tuitest.Press(t, m, "t", "9", "enter")
	if m.Editing() {
		t.Fatal("a viewer opened the editor")
	}
	if st := m.Status(); !st.Err || !strings.Contains(st.Text, "Viewers cannot change the low-stock threshold") {
		t.Fatalf("viewer's status %+v", st)
	}
	if st, err := f.svc.Store(t.Context(), viewer, f.env.StoreID); err != nil || st.LowStockDefault != 3 {
		t.Fatalf("default %d %v", st.LowStockDefault, err)
	}

	// A role taken away while the editor is open: the application layer
	// refuses, and the screen says why.
	manager := f.env.Member(t, "Mo Manager", store.RoleManager)
	mm := f.screen(t, manager, 160, 24)
	tuitest.Press(t, mm, "t", "5")
	if err := f.env.DB.MembershipAdd(t.Context(), &store.MembershipAddParams{AccountID: manager.Account.ID,
		StoreID: f.env.StoreID, Role: store.RoleViewer, Now: tuitest.Epoch}); err != nil {
		t.Fatal(err)
	}
	tuitest.Press(t, mm, "enter")
	if st := mm.Status(); !st.Err || !strings.Contains(st.Text, "Viewers cannot change") {
		t.Fatalf("refused save: %+v", st)
	}
}

// A server without email or Telegram says so, rather than sending the
// seller to preferences that cannot help.
func TestNoChannelsOnTheServerIsSaid(t *testing.T) {
	e := tuitest.New(t, shop(), tuitest.Options{})
	now := tuitest.Epoch.Add(-time.Hour)
	ev := notify.NewEvaluator(notify.EvaluatorConfig{Store: e.DB, Jobs: &jobs{}, Hub: e.Hub, Now: func() time.Time { return now }})
	for _, chans := range [][]store.Channel{nil, {store.ChannelEmail}} {
		svc := app.New(app.Config{Store: e.DB, Jobs: e.Jobs, Hub: e.Hub, Alerts: ev, Channels: chans, Now: func() time.Time { return tuitest.Epoch }})
		f := &fixture{env: e, svc: svc, owner: e.Owner, now: now}
		if chans == nil {
			f.setStock(t, "POT", 1, now)
		}
		m := f.screen(t, e.Owner, 120, 30)
		tuitest.Press(t, m, "enter")
		frame := tuitest.Plain(m)
		want := "choose email or Telegram on the Account screen"
		if chans == nil {
			want = "this server sends no email or Telegram"
		}
		if !strings.Contains(frame, want) {
			t.Errorf("channels %v: the open alert does not say %q:\n%s", chans, want, frame)
		}
	}
}

func TestAcknowledgeAndSnoozeFromTheScreen(t *testing.T) {
	f := newFixture(t, shop()...)
	f.setStock(t, "POT", 1, f.now)
	m := f.screen(t, f.owner, 160, 20)
	tuitest.Press(t, m, "A")
	if got := tuitest.Plain(m); !strings.Contains(got, "Acknowledged.") || !strings.Contains(got, "acknowledged ·") {
		t.Fatalf("after A:\n%s", got)
	}
	tuitest.Press(t, m, "Z")
	if got := tuitest.Plain(m); !strings.Contains(got, "snoozed until Mar 21 09:30") {
		t.Fatalf("after Z (a week from the fixed clock):\n%s", got)
	}
	tuitest.Press(t, m, "R")
	if got := tuitest.Plain(m); !strings.Contains(got, "snoozed until restocked") {
		t.Fatalf("after R:\n%s", got)
	}

	viewer := f.env.Member(t, "Vic", store.RoleViewer)
	v := f.screen(t, viewer, 160, 20)
	tuitest.Press(t, v, "z")
	if got := tuitest.Plain(v); !strings.Contains(got, "Viewers cannot acknowledge or snooze") {
		t.Fatalf("viewer's z:\n%s", got)
	}
}

// Another account joining the store changes nothing the screen shows: no
// read for it, one for this account's own role or alert choice.
func TestAnotherMembersJoinReadsNothing(t *testing.T) {
	f := newFixture(t)
	m := f.screen(t, f.env.Owner, 120, 30)
	join := func(accountID int64) common.LiveMsg {
		return common.LiveMsg{Event: hub.Event{Kind: hub.MembersChanged, StoreID: f.env.StoreID, AccountID: accountID}}
	}
	if _, cmd := m.Update(join(f.env.Owner.Account.ID + 1)); cmd != nil {
		t.Error("another account's join made the alerts read again")
	}
	if _, cmd := m.Update(join(f.env.Owner.Account.ID)); cmd == nil {
		t.Error("this account's own membership change did not read the alerts again")
	}
}

func TestRunsOutSettingAndLabel(t *testing.T) {
	f := newFixture(t, tuitest.Listing(1, "Bowl", tuitest.Variation{SKU: "BOWL", Quantity: 8}),
		tuitest.Listing(2, "Plate", tuitest.Variation{SKU: "PLATE", Quantity: 50}))
	at := f.now.Add(-24 * time.Hour)
	// The bowl sells 1 a day: 8 days of cover, not under the default of 7.
	if _, err := f.env.DB.SyncReceiptsWrite(t.Context(), &store.SyncReceiptsWriteParams{StoreID: f.env.StoreID, Now: f.now,
		Receipts: []store.Receipt{{EtsyReceiptID: 1, Status: "paid", IsPaid: true, CreatedAt: at, UpdatedAt: at,
			Items: []store.ReceiptItem{{EtsyTransactionID: 10, EtsyListingID: 1, EtsyProductID: 10, SKU: "BOWL", Quantity: 30,
				Price: store.Money{Amount: 2500, Divisor: 100, Currency: "USD"}}}}}}); err != nil {
		t.Fatal(err)
	}
	m := f.screen(t, f.owner, 160, 24)
	if m.RunsOutDays() != 7 || len(m.Alerts()) != 0 || !strings.Contains(tuitest.Plain(m), "Runs out within 7 days (d to change)") {
		t.Fatalf("runs out %d, alerts %d:\n%s", m.RunsOutDays(), len(m.Alerts()), tuitest.Plain(m))
	}
	// An 80-column screen still shows both rules.
	if v := tuitest.Plain(f.screen(t, f.owner, 80, 24)); !strings.Contains(v, "Runs out within 7 days") {
		t.Fatalf("80 columns:\n%s", v)
	}
	tuitest.Press(t, m, "d", "3", "6", "6")
	if st := m.Status(); !st.Err || !strings.Contains(st.Text, "366 is out of range: the runs-out days is 0 to 365") {
		t.Fatalf("after typing 366: %+v", st)
	}
	tuitest.Press(t, m, "esc", "d", "1", "0", "enter")
	if m.RunsOutDays() != 10 || !strings.Contains(m.Status().Text, "fewer than 10 days") {
		t.Fatalf("after saving: %d, %+v", m.RunsOutDays(), m.Status())
	}
	if got := m.Alerts(); len(got) != 1 || got[0].SKU != "BOWL" || got[0].Kind != store.AlertRunsOut {
		t.Fatalf("alerts after raising N: %+v", got)
	}
	if v := tuitest.Plain(m); !strings.Contains(v, "▸ Runs out") || !strings.Contains(v, "8.0<10d") || !strings.Contains(v, "Runs out within 10 days") {
		t.Fatalf("view:\n%s", v)
	}
	tuitest.Press(t, m, "d", "0", "enter")
	if len(m.Alerts()) != 0 || !strings.Contains(tuitest.Plain(m), "Runs-out alerts off") || m.Status().Text != "Saved: runs-out alerts are off." {
		t.Fatalf("turned off: %d alerts, %+v\n%s", len(m.Alerts()), m.Status(), tuitest.Plain(m))
	}
}
