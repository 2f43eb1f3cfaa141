package metrics_test

import (
	"context"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/stockroom/stockroom/health"
	"github.com/stockroom/stockroom/metrics"
)

// The dashboard and the alert rules under deploy/ use only series this
// package serves: a renamed metric must not leave a panel or an alert
// silently empty.
func TestDeployFilesNameOnlyServedSeries(t *testing.T) {
	m := metrics.New(metrics.Config{Version: "test",
		Budgets: func(context.Context) ([]int, error) { return []int{1}, nil },
		Queues:  func(context.Context) ([]health.Queue, error) { return nil, nil }})
	// Touch every vector so it is gathered.
	m.SessionStarted("tui")
	m.AuthFailed("disabled")
	m.AlertSent("email", nil)
	m.HubDropped("relay")
	m.BackupDone(time.Now(), nil)
	t0 := time.Now()
	m.ObserveJob(jobEvent(river.EventKindJobCompleted, "sync", map[string]any{"kind": "full"}, t0, time.Second))
	m.ObserveJob(jobEvent(river.EventKindJobCompleted, "push", map[string]any{}, t0, time.Second))
	m.EtsyTransportObserveForTest()
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	served := map[string]bool{}
	for _, mf := range mfs {
		served[mf.GetName()] = true
	}
	name := regexp.MustCompile(`\b(stockroom_[a-z_]+|go_[a-z_]+|process_[a-z_]+)`)
	dash, err := os.ReadFile("../deploy/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(dash) {
		t.Fatal("deploy/grafana-dashboard.json is not JSON")
	}
	rules, err := os.ReadFile("../deploy/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	for file, text := range map[string]string{"grafana-dashboard.json": string(dash), "alerts.yml": string(rules)} {
		found := 0
		for _, n := range name.FindAllString(text, -1) {
			base := n
			for _, suf := range []string{"_bucket", "_count", "_sum"} {
				if strings.HasSuffix(n, suf) && !served[n] {
					base = strings.TrimSuffix(n, suf)
				}
			}
			if !served[base] {
				t.Errorf("%s uses %s, which is not served", file, n)
			}
			found++
		}
		if found < 5 {
			t.Errorf("%s names only %d series", file, found)
		}
	}
}
