package command

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/internal/apptest"
	"github.com/stockroom/stockroom/internal/logtest"
	"github.com/stockroom/stockroom/internal/testwait"
	"github.com/stockroom/stockroom/notify"
	"github.com/stockroom/stockroom/store"
)

// fireAlert sets sku to 0 and evaluates alerts the way the notifier does
// after an edit, announcing the change on the hub.
func (f *fixture) fireAlert(t *testing.T, sku string) {
	t.Helper()
	r := apptest.Row(t, f.app, f.owner, f.store.ID, sku)
	if _, err := f.app.SetStock(t.Context(), f.owner, app.StockParams{StoreID: f.store.ID, Source: store.SourceTUI,
		Edits: []store.StockEditItem{{OfferingID: r.OfferingID, Quantity: 0}}}); err != nil {
		t.Fatal(err)
	}
	res, err := f.db.AlertEvaluate(t.Context(), &store.AlertEvaluateParams{StoreID: f.store.ID,
		OfferingIDs: []int64{r.OfferingID}, Channels: []store.Channel{store.ChannelEmail}, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Fired) != 1 {
		t.Fatalf("%d alerts fired, want 1", len(res.Fired))
	}
	f.hub.Publish(hub.Event{Kind: hub.AlertsChanged, StoreID: f.store.ID})
}

func TestAlerts(t *testing.T) {
	f := newFixture(t)
	f.run(t, f.owner, "", "alerts").want(t, ExitOK)
	f.fireAlert(t, "MUG-2")

	r := f.run(t, f.viewer, "", "alerts").want(t, ExitOK)
	contains(t, "table", r.stdout, "MUG-2", "out_of_stock", "active", "Hand-thrown mug 900")
	r = f.run(t, f.owner, "", "alerts", "--format", "json").want(t, ExitOK)
	wantKeys(t, r.stdout, "id", "store_id", "store", "kind", "active", "quantity", "threshold", "cover_days", "fired_at", "resolved_at",
		"listing_id", "sku", "title", "variation", "url", "acked_at", "snoozed_until", "snoozed_until_restocked", "deliveries")
	var out []alertJSON
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || len(out) != 1 || out[0].SKU != "MUG-2" ||
		out[0].Quantity != 0 || out[0].Store != "Ada's Pottery" || !out[0].Active {
		t.Errorf("json %v %s", err, r.stdout)
	}
	f.run(t, f.owner, "", "alerts", "--format", "csv").want(t, ExitUsage)
}

// followMUG3 runs alerts --follow in format for the viewer, fires an alert
// on MUG-3 once it follows, and closes the connection when shown(stdout)
// says the alert is out; it returns what the follow printed.
func (f *fixture) followMUG3(t *testing.T, format string, shown func(stdout string) bool) string {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var stdout, stderr logtest.Buffer
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, Env{App: f.app, Actor: f.viewer, Stdout: &stdout, Stderr: &stderr}, []string{"alerts", "--follow", "--format", format})
	}()
	testwait.Until(t, "the follow to start", func() bool { return strings.Contains(stderr.String(), "following") })
	f.fireAlert(t, "MUG-3")
	testwait.Until(t, "the alert", func() bool { return shown(stdout.String()) })
	cancel() // the connection closes
	if code := <-done; code != ExitOK {
		t.Errorf("exit %d after the connection closed; stderr %s", code, stderr.String())
	}
	return stdout.String()
}

func TestAlertsFollow(t *testing.T) {
	f := newFixture(t)
	f.fireAlert(t, "MUG-1") // before following: not printed
	out := f.followMUG3(t, "json", func(s string) bool { return strings.Contains(s, "\n") })
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 1 {
		t.Fatalf("want one JSON line, got:\n%s", out)
	}
	var a alertJSON
	if err := json.Unmarshal([]byte(lines[0]), &a); err != nil || a.SKU != "MUG-3" || a.Kind != string(store.AlertOutOfStock) {
		t.Errorf("line %q: %v", lines[0], err)
	}
}

// Issue 17: alerts --follow --format table printed JSON.
func TestAlertsFollowTable(t *testing.T) {
	f := newFixture(t)
	out := f.followMUG3(t, "table", func(s string) bool { return strings.Count(s, "\n") >= 2 })
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "ID") || !strings.Contains(lines[1], "MUG-3") || strings.Contains(out, "{") {
		t.Fatalf("want a header and a row, got:\n%s", out)
	}
	if strings.Index(lines[0], "SKU") != strings.Index(lines[1], "MUG-3") {
		t.Errorf("columns do not line up:\n%s", out)
	}
}

func TestAlertsAckAndSnooze(t *testing.T) {
	f := newFixture(t)
	f.fireAlert(t, "MUG-2")
	var list []alertJSON
	if err := json.Unmarshal([]byte(f.run(t, f.owner, "", "alerts", "--format", "json").want(t, ExitOK).stdout), &list); err != nil || len(list) != 1 {
		t.Fatalf("alerts: %v %+v", err, list)
	}
	id := strconv.FormatInt(list[0].ID, 10)

	f.run(t, f.viewer, "", "alerts", "ack", id).want(t, ExitFailure)
	contains(t, "ack", f.run(t, f.owner, "", "alerts", "ack", id).want(t, ExitOK).stdout, "acknowledged")
	contains(t, "table after ack", f.run(t, f.viewer, "", "alerts").want(t, ExitOK).stdout, "acknowledged")

	contains(t, "snooze", f.run(t, f.owner, "", "alerts", "snooze", id, "1w").want(t, ExitOK).stdout, "snoozed until")
	contains(t, "table after snooze", f.run(t, f.viewer, "", "alerts").want(t, ExitOK).stdout, "snoozed until")
	contains(t, "snooze restock", f.run(t, f.owner, "", "alerts", "snooze", id, "restock").want(t, ExitOK).stdout, "restocked")
	if err := json.Unmarshal([]byte(f.run(t, f.owner, "", "alerts", "--format", "json").want(t, ExitOK).stdout), &list); err != nil {
		t.Fatal(err)
	}
	if !list[0].SnoozedUntilRestocked || list[0].AckedAt == nil || list[0].SnoozedUntil != nil {
		t.Fatalf("json after snooze restock: %+v", list[0])
	}

	f.run(t, f.owner, "", "alerts", "snooze", id, "forever").want(t, ExitUsage)
	f.run(t, f.owner, "", "alerts", "snooze", id).want(t, ExitUsage)
	f.run(t, f.owner, "", "alerts", "ack", "nope").want(t, ExitUsage)
	f.run(t, f.owner, "", "alerts", "ack", "999999").want(t, ExitFailure)
}

// store runs-out sets N; the alerts it fires are listed with the kind
// runs_out and their days of cover.
func TestStoreRunsOutAndItsAlerts(t *testing.T) {
	f := newFixture(t)
	f.app = app.New(app.Config{Store: f.db, Jobs: f.jobs, Hub: f.hub, SignupOpen: true,
		Alerts: notify.NewEvaluator(notify.EvaluatorConfig{Store: f.db, Hub: f.hub})})
	at := time.Now().Add(-time.Hour)
	// MUG-1 (10 in stock) sells 1 a day: 10 days of cover.
	if _, err := f.db.SyncReceiptsWrite(t.Context(), &store.SyncReceiptsWriteParams{StoreID: f.store.ID, Receipts: []store.Receipt{
		{EtsyReceiptID: 1, Status: "paid", CreatedAt: at, UpdatedAt: at, Items: []store.ReceiptItem{{EtsyTransactionID: 1,
			EtsyListingID: 900, EtsyProductID: 9000, SKU: "MUG-1", Quantity: 30, Price: store.Money{Amount: 2450, Divisor: 100, Currency: "EUR"}}}},
	}}); err != nil {
		t.Fatal(err)
	}
	r := f.run(t, f.owner, "", "store", "runs-out", "14").want(t, ExitOK)
	contains(t, "store runs-out", r.stdout, "fewer than 14 days")
	var got []alertJSON
	if err := json.Unmarshal([]byte(f.run(t, f.owner, "", "alerts", "--format", "json").want(t, ExitOK).stdout), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Kind != "runs_out" || got[0].SKU != "MUG-1" || got[0].Threshold != 14 ||
		got[0].CoverDays == nil || *got[0].CoverDays != 10 {
		t.Fatalf("alerts %+v", got)
	}
	r = f.run(t, f.owner, "", "alerts").want(t, ExitOK)
	contains(t, "alerts table", r.stdout, "runs_out", "10 (10.0d<14d)")

	f.run(t, f.viewer, "", "store", "runs-out", "3").want(t, ExitFailure)
	f.run(t, f.owner, "", "store", "runs-out", "-1").want(t, ExitUsage)
	f.run(t, f.owner, "", "store", "runs-out", "366").want(t, ExitUsage)
	r = f.run(t, f.owner, "", "store", "runs-out", "0").want(t, ExitOK)
	contains(t, "store runs-out 0", r.stdout, "off")
	if out := f.run(t, f.owner, "", "alerts", "--format", "json").want(t, ExitOK).stdout; strings.TrimSpace(out) != "[]" {
		t.Fatalf("alerts after turning it off: %s", out)
	}
}
