package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// scrape reads /metrics into series → value (the series as printed,
// labels included).
func scrape(t testing.TB, addr string) map[string]float64 {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("/metrics: %d %s", resp.StatusCode, b)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

// scrapeUntil scrapes until series exceeds floor (20s at most).
func scrapeUntil(t testing.TB, s *server, addr, series string, floor float64) map[string]float64 {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := scrape(t, addr)
		if got[series] > floor {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still %v after 20s; log:\n%s", series, got[series], s.logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// An operator scraping /metrics sees a sync and an edit move the counters:
// sync runs, Etsy calls by operation, job runs, the edit-to-Etsy latency,
// SSH sessions, with the Go runtime and process series beside them, and
// no shop, account or SKU in any label.
func TestMetricsMoveAfterASyncAndAnEdit(t *testing.T) {
	metricsAddr := freePort(t)
	s := startServer(t, "--metrics-addr", metricsAddr)
	_, c, rows := s.seller(t, "Mo", "mo@example.com")
	target := pickRow(t, rows)

	// The sync log shows the run finished a moment before River reports
	// its job: wait for the job's event to be counted.
	before := scrapeUntil(t, s, metricsAddr, `stockroom_sync_runs_total{kind="full",result="completed"}`, 0)
	for _, series := range []string{
		`stockroom_sync_runs_total{kind="full",result="completed"}`,
		`stockroom_job_runs_total{kind="sync",result="completed"}`,
		`stockroom_etsy_calls_total{operation="GET shops/{id}/listings",status="2xx"}`,
		`stockroom_ssh_sessions_started_total{type="tui"}`,
		`stockroom_ssh_sessions_started_total{type="command"}`,
		`stockroom_etsy_budget_shops`,
	} {
		if before[series] < 1 {
			t.Errorf("after the first sync, %s = %v", series, before[series])
		}
	}
	for _, series := range []string{`go_goroutines`, `process_resident_memory_bytes`, `stockroom_job_queue_depth{queue="push"}`,
		`stockroom_etsy_budget_remaining_min`, `stockroom_etsy_budget_remaining_sum`, `stockroom_build_info{version="dev"}`} {
		if _, ok := before[series]; !ok {
			t.Errorf("no %s", series)
		}
	}

	if r := run(t, c, fmt.Sprintf("stock set %s %d", target.SKU, target.Quantity+3), ""); r.code != 0 {
		t.Fatalf("stock set: %s", r)
	}
	const pushed = `stockroom_edit_to_etsy_seconds_count{lane="edit"}`
	after := scrapeUntil(t, s, metricsAddr, pushed, before[pushed])
	for _, series := range []string{
		`stockroom_job_runs_total{kind="push",result="completed"}`,
		`stockroom_etsy_calls_total{operation="PUT listings/{id}/inventory",status="2xx"}`,
		`stockroom_ssh_sessions_started_total{type="command"}`,
	} {
		if after[series] <= before[series] {
			t.Errorf("%s did not move with the edit: %v then %v", series, before[series], after[series])
		}
	}
	for series := range after {
		if strings.Contains(series, target.SKU) || strings.Contains(series, "shop_id") || strings.Contains(series, "store=") || strings.Contains(series, "account") {
			t.Errorf("unbounded label in %s", series)
		}
	}
}
