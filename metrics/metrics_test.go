package metrics_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/stockroom/stockroom/health"
	"github.com/stockroom/stockroom/metrics"
)

func TestEtsyCallsByOperationStatus429sAndRetries(t *testing.T) {
	m := metrics.New(metrics.Config{})
	answers := []int{429, 200, 500, 200}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(answers[0])
		answers = answers[1:]
	}))
	defer srv.Close()
	c := &http.Client{Transport: m.EtsyTransport(nil)}
	for _, path := range []string{"/v3/application/listings/123/inventory", "/v3/application/listings/123/inventory",
		"/v3/application/shops/9/receipts", "/v3/application/shops/10/receipts"} {
		resp, err := c.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	want := `
# HELP stockroom_etsy_calls_total Etsy API calls, by operation (path with ids as {id}) and status class (2xx, 4xx, 5xx, error).
# TYPE stockroom_etsy_calls_total counter
stockroom_etsy_calls_total{operation="GET listings/{id}/inventory",status="2xx"} 1
stockroom_etsy_calls_total{operation="GET listings/{id}/inventory",status="4xx"} 1
stockroom_etsy_calls_total{operation="GET shops/{id}/receipts",status="2xx"} 1
stockroom_etsy_calls_total{operation="GET shops/{id}/receipts",status="5xx"} 1
# HELP stockroom_etsy_rate_limited_total Etsy answers of 429 Too Many Requests.
# TYPE stockroom_etsy_rate_limited_total counter
stockroom_etsy_rate_limited_total 1
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), "stockroom_etsy_calls_total", "stockroom_etsy_rate_limited_total"); err != nil {
		t.Fatal(err)
	}
	// The repeated inventory read after its 429 is a retry; the receipts
	// read of another shop after a 500 is not the same call.
	retries := `
# HELP stockroom_etsy_retries_total Etsy calls repeating one that failed (401, 429, 5xx, network) in the last 10 minutes, by operation.
# TYPE stockroom_etsy_retries_total counter
stockroom_etsy_retries_total{operation="GET listings/{id}/inventory"} 1
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(retries), "stockroom_etsy_retries_total"); err != nil {
		t.Fatal(err)
	}
}

func TestBudgetIsFleetWideMinAndSum(t *testing.T) {
	m := metrics.New(metrics.Config{Budgets: func(context.Context) ([]int, error) { return []int{900, 40, 5000}, nil }})
	want := `
# HELP stockroom_etsy_budget_remaining_min The smallest remaining daily Etsy budget among shops with known limits.
# TYPE stockroom_etsy_budget_remaining_min gauge
stockroom_etsy_budget_remaining_min 40
# HELP stockroom_etsy_budget_remaining_sum Remaining daily Etsy budget summed over shops with known limits.
# TYPE stockroom_etsy_budget_remaining_sum gauge
stockroom_etsy_budget_remaining_sum 5940
# HELP stockroom_etsy_budget_shops Shops whose Etsy limits are known (the population of min and sum).
# TYPE stockroom_etsy_budget_shops gauge
stockroom_etsy_budget_shops 3
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), "stockroom_etsy_budget_remaining_min",
		"stockroom_etsy_budget_remaining_sum", "stockroom_etsy_budget_shops"); err != nil {
		t.Fatal(err)
	}
	failing := metrics.New(metrics.Config{Budgets: func(context.Context) ([]int, error) { return nil, errors.New("db down") }})
	if n, err := testutil.GatherAndCount(failing.Registry(), "stockroom_etsy_budget_read_failed"); err != nil || n != 1 {
		t.Fatalf("a failed read: %d series, %v", n, err)
	}
}

func TestQueueDepthAndAgeByQueue(t *testing.T) {
	m := metrics.New(metrics.Config{Queues: func(context.Context) ([]health.Queue, error) {
		return []health.Queue{{Name: "push", Available: 4, OldestAge: 90 * time.Second}}, nil
	}})
	want := `
# HELP stockroom_job_queue_depth Jobs due and waiting for a worker, by queue.
# TYPE stockroom_job_queue_depth gauge
stockroom_job_queue_depth{queue="notify"} 0
stockroom_job_queue_depth{queue="push"} 4
stockroom_job_queue_depth{queue="sync"} 0
# HELP stockroom_job_queue_oldest_age_seconds How long the oldest due job has waited, by queue.
# TYPE stockroom_job_queue_oldest_age_seconds gauge
stockroom_job_queue_oldest_age_seconds{queue="notify"} 0
stockroom_job_queue_oldest_age_seconds{queue="push"} 90
stockroom_job_queue_oldest_age_seconds{queue="sync"} 0
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), "stockroom_job_queue_depth", "stockroom_job_queue_oldest_age_seconds"); err != nil {
		t.Fatal(err)
	}
}

var timeZero = time.Unix(1_800_000_000, 0)

func jobEvent(kind river.EventKind, jobKind string, args any, created time.Time, run time.Duration) *river.Event {
	b, _ := json.Marshal(args)
	fin := created.Add(run + time.Second)
	return &river.Event{Kind: kind, Job: &rivertype.JobRow{Kind: jobKind, EncodedArgs: b, CreatedAt: created, FinalizedAt: &fin},
		JobStats: &river.JobStatistics{RunDuration: run}}
}

func TestJobEventsCountRunsSyncsAndEditLatency(t *testing.T) {
	m := metrics.New(metrics.Config{})
	t0 := time.Unix(1_800_000_000, 0)
	ch := make(chan *river.Event, 8)
	ch <- jobEvent(river.EventKindJobCompleted, "sync", map[string]any{"store_id": 1, "kind": "full"}, t0, 3*time.Second)
	ch <- jobEvent(river.EventKindJobFailed, "sync", map[string]any{"store_id": 2, "kind": "incremental"}, t0, time.Second)
	ch <- jobEvent(river.EventKindJobCompleted, "push", map[string]any{"store_id": 1, "offering_id": 5}, t0, 100*time.Millisecond)
	ch <- jobEvent(river.EventKindJobCompleted, "push", map[string]any{"store_id": 1, "offering_id": 6, "bulk": true}, t0, time.Second)
	ch <- jobEvent(river.EventKindJobFailed, "push", map[string]any{"store_id": 1, "offering_id": 7}, t0, time.Second)
	ch <- jobEvent(river.EventKindJobCompleted, "some_new_kind", map[string]any{}, t0, time.Second)
	close(ch)
	m.WatchJobs(t.Context(), ch)
	want := `
# HELP stockroom_job_runs_total Job runs ended, by kind and result (completed, failed, cancelled, snoozed).
# TYPE stockroom_job_runs_total counter
stockroom_job_runs_total{kind="other",result="completed"} 1
stockroom_job_runs_total{kind="push",result="completed"} 2
stockroom_job_runs_total{kind="push",result="failed"} 1
stockroom_job_runs_total{kind="sync",result="completed"} 1
stockroom_job_runs_total{kind="sync",result="failed"} 1
# HELP stockroom_sync_runs_total Sync runs ended, by kind (full, incremental, reconcile) and result.
# TYPE stockroom_sync_runs_total counter
stockroom_sync_runs_total{kind="full",result="completed"} 1
stockroom_sync_runs_total{kind="incremental",result="failed"} 1
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), "stockroom_job_runs_total", "stockroom_sync_runs_total"); err != nil {
		t.Fatal(err)
	}
	// Only finished pushes count towards edit-to-Etsy, one series per lane.
	if n, err := testutil.GatherAndCount(m.Registry(), "stockroom_edit_to_etsy_seconds"); err != nil || n != 2 {
		t.Fatalf("edit-to-Etsy series: %d, %v", n, err)
	}
}

func TestHandlerServesTheRegistryWithRuntimeCollectors(t *testing.T) {
	m := metrics.New(metrics.Config{Version: "v1.2.3"})
	ended := m.SessionStarted("tui")
	m.AuthFailed("disabled")
	m.SSHRefusalReasons("session_cap", "conn_limit")
	m.SSHRefused("session_cap")
	m.AlertSent("email", errors.New("smtp down"))
	m.HubDropped("subscriber")
	get := func() string {
		rec := httptest.NewRecorder()
		m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		return rec.Body.String()
	}
	body := get()
	for _, s := range []string{`stockroom_build_info{version="v1.2.3"} 1`, "stockroom_ssh_sessions_open 1", `stockroom_ssh_sessions_started_total{type="tui"} 1`,
		`stockroom_ssh_auth_failures_total{reason="disabled"} 1`,
		`stockroom_ssh_refused_total{reason="session_cap"} 1`, `stockroom_ssh_refused_total{reason="conn_limit"} 0`,
		`stockroom_alert_messages_total{channel="email",result="failed"} 1`,
		`stockroom_live_update_drops_total{where="subscriber"} 1`, "go_goroutines", "process_cpu_seconds_total"} {
		if !strings.Contains(body, s) {
			t.Errorf("no %s", s)
		}
	}
	ended()
	if !strings.Contains(get(), "stockroom_ssh_sessions_open 0") {
		t.Fatal("the session's end was not counted")
	}
}
