package synclog

import (
	"strings"
	"testing"
	"time"

	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/tui/internal/tuitest"
)

var now = tuitest.Noon

// run records a sync run of Ada's shop f that started at started and, unless
// it is still running, took took.
func run(t *testing.T, f *tuitest.Shop, kind store.SyncKind, trigger store.SyncTrigger, started time.Time, took time.Duration, result store.SyncResult, listings, calls int, errText string) {
	t.Helper()
	r, err := f.DB.SyncRunStart(t.Context(), &store.SyncRunStartParams{StoreID: f.Store.ID, Kind: kind, Trigger: trigger, Now: started})
	if err != nil {
		t.Fatal(err)
	}
	if result == store.ResultRunning {
		return
	}
	if _, err := f.DB.SyncRunFinish(t.Context(), &store.SyncRunFinishParams{ID: r.ID, Result: result, ListingsChanged: listings,
		ReceiptsChanged: 1, APICalls: calls, Error: errText, Now: started.Add(took)}); err != nil {
		t.Fatal(err)
	}
}

func TestRunsNewestFirstWithTheirNumbers(t *testing.T) {
	f := tuitest.NewShop(t, now)
	run(t, f, store.SyncFull, store.TriggerSchedule, now.Add(-3*time.Hour), 95*time.Second, store.ResultOK, 42, 17, "")
	run(t, f, store.SyncIncremental, store.TriggerWebhook, now.Add(-2*time.Hour), 3*time.Second, store.ResultFailed, 0, 3,
		"Etsy said: \x1b]8;;https://evil.example\x07click\x1b]8;;\x07 token revoked\x1b[6n")
	run(t, f, store.SyncIncremental, store.TriggerManual, now.Add(-10*time.Minute), 0, store.ResultRunning, 0, 0, "")
	m := tuitest.OpenShop(t, f, New)
	runs := m.Runs()
	if len(runs) != 3 || runs[0].Result != store.ResultRunning || runs[2].Kind != store.SyncFull {
		t.Fatalf("runs not newest first: %+v", runs)
	}
	plain := tuitest.Plain(m)
	for _, want := range []string{"full", "schedule", "1m35s", "42", "17", "webhook", "failed", "manual", "running", "10m00s…"} {
		if !strings.Contains(plain, want) {
			t.Errorf("view lacks %q:\n%s", want, plain)
		}
	}
	tuitest.Press(t, m, "j")
	plain = tuitest.Plain(m)
	if !strings.Contains(plain, "Error: Etsy said: click token revoked") {
		t.Errorf("selected run's error not shown:\n%s", plain)
	}
	if v := m.View(); strings.Contains(v, "\x1b]8") || strings.Contains(v, "\x1b[6n") || strings.Contains(v, "evil.example") {
		t.Errorf("Etsy's error reached the terminal unsanitised: %q", v)
	}
}

func TestSyncNowEnqueuesAndReportsErrors(t *testing.T) {
	f := tuitest.NewShop(t, now)
	m := tuitest.OpenShop(t, f, New)
	tuitest.Press(t, m, "y")
	if len(f.Jobs.SyncCalls()) != 1 || f.Jobs.SyncCalls()[0] != f.Store.ID {
		t.Fatalf("sync now enqueued %v, want [%d]", f.Jobs.SyncCalls(), f.Store.ID)
	}
	if !strings.Contains(m.Status(), "Sync queued") {
		t.Fatalf("status after sync now: %q", m.Status())
	}
	if err := f.DB.StoreSetStatus(t.Context(), &store.StoreSetStatusParams{StoreID: f.Store.ID, Status: store.StatusNeedsReauth, Now: now}); err != nil {
		t.Fatal(err)
	}
	tuitest.Press(t, m, "y")
	if len(f.Jobs.SyncCalls()) != 1 {
		t.Fatal("a store that needs reconnecting was synced")
	}
	if !strings.Contains(tuitest.Plain(m), "Sync not started: the store needs to be connected to Etsy again") {
		t.Fatalf("refusal not shown:\n%s", tuitest.Plain(m))
	}
}

func TestRefreshesOnSyncEvents(t *testing.T) {
	f := tuitest.NewShop(t, now)
	m := tuitest.OpenShop(t, f, New)
	run(t, f, store.SyncIncremental, store.TriggerManual, now.Add(-time.Minute), 0, store.ResultRunning, 0, 0, "")
	if cmd := tuitest.Live(m, hub.Event{Kind: hub.SyncStarted, StoreID: f.Store.ID + 1}); cmd != nil {
		t.Fatal("another store's event reloaded the log")
	}
	cmd := tuitest.Live(m, hub.Event{Kind: hub.SyncStarted, StoreID: f.Store.ID})
	tuitest.Settle(t, m, cmd)
	if len(m.Runs()) != 1 || !strings.Contains(m.Status(), "Syncing") {
		t.Fatalf("after SyncStarted: %d runs, status %q", len(m.Runs()), m.Status())
	}
	cmd = tuitest.Live(m, hub.Event{Kind: hub.SyncFinished, StoreID: f.Store.ID, Error: "rate limited"})
	tuitest.Settle(t, m, cmd)
	if m.Status() != "Sync failed: Etsy asked Stockroom to slow down: it retries by itself" {
		t.Fatalf("after a failed SyncFinished: %q", m.Status())
	}
}

func TestScrollsLongLogs(t *testing.T) {
	f := tuitest.NewShop(t, now)
	for i := range 150 {
		run(t, f, store.SyncIncremental, store.TriggerSchedule, now.Add(-time.Duration(i+1)*time.Hour), time.Second, store.ResultOK, i, 1, "")
	}
	m := tuitest.OpenShop(t, f, New)
	m.SetSize(120, 10)
	if n := strings.Count(m.View(), "\n") + 1; n > 10 {
		t.Fatalf("view is %d lines for a height of 10", n)
	}
	tuitest.Press(t, m, "G")
	if !strings.Contains(tuitest.Plain(m), "     149") {
		t.Fatalf("bottom does not show the oldest run:\n%s", tuitest.Plain(m))
	}
}

// TestEmptyLogWhileLoading: a store without runs, drawn while a load is
// under way (the first one, or r), has no selected run to show.
func TestEmptyLogWhileLoading(t *testing.T) {
	f := tuitest.NewShop(t, now)
	c := f.Session(120, 30)
	m := New(c)
	m.SetSize(120, 30)
	cmd := m.SetStore(f.Store.ID)
	if v := tuitest.Plain(m); !strings.Contains(v, "loading…") {
		t.Fatalf("first load:\n%s", v)
	}
	tuitest.Settle(t, m, cmd)
	if v := tuitest.Plain(m); !strings.Contains(v, "No sync has run yet") {
		t.Fatalf("empty log:\n%s", v)
	}
	m.Update(tuitest.Key("r"))
	if v := tuitest.Plain(m); strings.Contains(v, "No sync has run yet") || !strings.Contains(v, "loading…") {
		t.Fatalf("reloading:\n%s", v)
	}
}
