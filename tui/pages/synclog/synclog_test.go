package synclog

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/store/sqlite"
	"github.com/stockroom/stockroom/tui/common"
)

var now = time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)

type jobs struct{ syncs []int64 }

func (j *jobs) EnqueuePushTx(context.Context, store.Tx, int64, int64, bool) error { return nil }
func (j *jobs) EnqueueSync(_ context.Context, storeID int64, _ store.SyncKind, _ store.SyncTrigger) error {
	j.syncs = append(j.syncs, storeID)
	return nil
}

type fixture struct {
	db    store.DB
	svc   *app.Service
	actor app.Actor
	store store.Store
	jobs  *jobs
}

func setup(t *testing.T) *fixture {
	t.Helper()
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "stockroom.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	acct, err := db.AccountCreate(t.Context(), &store.AccountCreateParams{Name: "Ada", Fingerprint: "SHA256:ada",
		PublicKey: "ssh-ed25519 AAAAada", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	st, err := db.StoreConnect(t.Context(), &store.StoreConnectParams{AccountID: acct.ID, EtsyShopID: 77, Name: "Mugs",
		Currency: "EUR", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	j := &jobs{}
	svc := app.New(app.Config{Store: db, Jobs: j, Now: func() time.Time { return now }})
	return &fixture{db: db, svc: svc, jobs: j, actor: app.Actor{Account: acct, Fingerprint: "SHA256:ada"}, store: st}
}

func (f *fixture) page(t *testing.T) *Model {
	t.Helper()
	c := &common.Common{Ctx: t.Context(), App: f.svc, Actor: f.actor, Styles: common.NewStyles(true),
		Keys: common.DefaultKeyMap(), Now: func() time.Time { return now }, Width: 120, Height: 30}
	m := New(c)
	m.SetSize(120, 30)
	run(t, m, m.SetStore(f.store.ID))
	return m
}

// run executes cmd and feeds its messages back, as the program would.
func run(t *testing.T, m *Model, cmd tea.Cmd) {
	t.Helper()
	if cmd == nil {
		return
	}
	msg := cmd()
	if b, ok := msg.(tea.BatchMsg); ok {
		for _, c := range b {
			run(t, m, c)
		}
		return
	}
	_, next := m.Update(msg)
	run(t, m, next)
}

func press(t *testing.T, m *Model, keys ...string) {
	t.Helper()
	for _, k := range keys {
		var msg tea.KeyPressMsg
		switch k {
		case "enter":
			msg = tea.KeyPressMsg{Code: tea.KeyEnter}
		case "left":
			msg = tea.KeyPressMsg{Code: tea.KeyLeft}
		case "right":
			msg = tea.KeyPressMsg{Code: tea.KeyRight}
		default:
			r := []rune(k)[0]
			msg = tea.KeyPressMsg{Code: r, Text: k}
		}
		_, cmd := m.Update(msg)
		run(t, m, cmd)
	}
}

func (f *fixture) run(t *testing.T, kind store.SyncKind, trigger store.SyncTrigger, started time.Time, took time.Duration, result store.SyncResult, listings, calls int, errText string) {
	t.Helper()
	r, err := f.db.SyncRunStart(t.Context(), &store.SyncRunStartParams{StoreID: f.store.ID, Kind: kind, Trigger: trigger, Now: started})
	if err != nil {
		t.Fatal(err)
	}
	if result == store.ResultRunning {
		return
	}
	if _, err := f.db.SyncRunFinish(t.Context(), &store.SyncRunFinishParams{ID: r.ID, Result: result, ListingsChanged: listings,
		ReceiptsChanged: 1, APICalls: calls, Error: errText, Now: started.Add(took)}); err != nil {
		t.Fatal(err)
	}
}

func TestRunsNewestFirstWithTheirNumbers(t *testing.T) {
	f := setup(t)
	f.run(t, store.SyncFull, store.TriggerSchedule, now.Add(-3*time.Hour), 95*time.Second, store.ResultOK, 42, 17, "")
	f.run(t, store.SyncIncremental, store.TriggerWebhook, now.Add(-2*time.Hour), 3*time.Second, store.ResultFailed, 0, 3,
		"Etsy said: \x1b]8;;https://evil.example\x07click\x1b]8;;\x07 token revoked\x1b[6n")
	f.run(t, store.SyncIncremental, store.TriggerManual, now.Add(-10*time.Minute), 0, store.ResultRunning, 0, 0, "")
	m := f.page(t)
	runs := m.Runs()
	if len(runs) != 3 || runs[0].Result != store.ResultRunning || runs[2].Kind != store.SyncFull {
		t.Fatalf("runs not newest first: %+v", runs)
	}
	view := m.View()
	plain := ansi.Strip(view)
	for _, want := range []string{"full", "schedule", "1m35s", "42", "17", "webhook", "failed", "manual", "running", "10m00s…"} {
		if !strings.Contains(plain, want) {
			t.Errorf("view lacks %q:\n%s", want, plain)
		}
	}
	press(t, m, "j")
	plain = ansi.Strip(m.View())
	if !strings.Contains(plain, "Error: Etsy said: click token revoked") {
		t.Errorf("selected run's error not shown:\n%s", plain)
	}
	if v := m.View(); strings.Contains(v, "\x1b]8") || strings.Contains(v, "\x1b[6n") || strings.Contains(v, "evil.example") {
		t.Errorf("Etsy's error reached the terminal unsanitised: %q", v)
	}
}

func TestSyncNowEnqueuesAndReportsErrors(t *testing.T) {
	f := setup(t)
	m := f.page(t)
	press(t, m, "y")
	if len(f.jobs.syncs) != 1 || f.jobs.syncs[0] != f.store.ID {
		t.Fatalf("sync now enqueued %v, want [%d]", f.jobs.syncs, f.store.ID)
	}
	if !strings.Contains(m.Status(), "Sync queued") {
		t.Fatalf("status after sync now: %q", m.Status())
	}
	if err := f.db.StoreSetStatus(t.Context(), &store.StoreSetStatusParams{StoreID: f.store.ID, Status: store.StatusNeedsReauth, Now: now}); err != nil {
		t.Fatal(err)
	}
	press(t, m, "y")
	if len(f.jobs.syncs) != 1 {
		t.Fatal("a store that needs reconnecting was synced")
	}
	if !strings.Contains(ansi.Strip(m.View()), "Sync not started: the store needs to be connected to Etsy again") {
		t.Fatalf("refusal not shown:\n%s", ansi.Strip(m.View()))
	}
}

func TestRefreshesOnSyncEvents(t *testing.T) {
	f := setup(t)
	m := f.page(t)
	f.run(t, store.SyncIncremental, store.TriggerManual, now.Add(-time.Minute), 0, store.ResultRunning, 0, 0, "")
	if _, cmd := m.Update(common.LiveMsg{Event: hub.Event{Kind: hub.SyncStarted, StoreID: f.store.ID + 1}}); cmd != nil {
		t.Fatal("another store's event reloaded the log")
	}
	_, cmd := m.Update(common.LiveMsg{Event: hub.Event{Kind: hub.SyncStarted, StoreID: f.store.ID}})
	run(t, m, cmd)
	if len(m.Runs()) != 1 || !strings.Contains(m.Status(), "Syncing") {
		t.Fatalf("after SyncStarted: %d runs, status %q", len(m.Runs()), m.Status())
	}
	_, cmd = m.Update(common.LiveMsg{Event: hub.Event{Kind: hub.SyncFinished, StoreID: f.store.ID, Error: "rate limited"}})
	run(t, m, cmd)
	if m.Status() != "Sync failed: rate limited" {
		t.Fatalf("after a failed SyncFinished: %q", m.Status())
	}
}

func TestScrollsLongLogs(t *testing.T) {
	f := setup(t)
	for i := range 150 {
		f.run(t, store.SyncIncremental, store.TriggerSchedule, now.Add(-time.Duration(i+1)*time.Hour), time.Second, store.ResultOK, i, 1, "")
	}
	m := f.page(t)
	m.SetSize(120, 10)
	if n := strings.Count(m.View(), "\n") + 1; n > 10 {
		t.Fatalf("view is %d lines for a height of 10", n)
	}
	press(t, m, "G")
	if !strings.Contains(ansi.Strip(m.View()), "     149") {
		t.Fatalf("bottom does not show the oldest run:\n%s", ansi.Strip(m.View()))
	}
}
