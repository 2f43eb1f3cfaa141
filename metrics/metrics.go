// Package metrics is Stockroom's Prometheus instrumentation: one registry
// built by the server's wiring (never the global default), the series an
// operator watches, and small adapters that other packages' seams plug
// into: an HTTP transport for the Etsy client, a River event reader, a
// hub drop counter, counting wrappers for alert senders. Labels are
// bounded: never a shop, an account or a SKU.
package metrics

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/stockroom/stockroom/health"
)

// Config gives the metrics what they read at scrape time. Every field is
// optional.
type Config struct {
	Version string
	// Budgets returns the remaining daily Etsy budget of every shop whose
	// limits are known; the metrics publish their minimum and sum only.
	Budgets func(ctx context.Context) ([]int, error)
	// Queues returns the due jobs per queue (jobstats.Reader.Queues).
	Queues func(ctx context.Context) ([]health.Queue, error)
}

// Metrics holds every series. Its methods are safe for concurrent use.
type Metrics struct {
	reg *prometheus.Registry

	sshOpen        prometheus.Gauge
	sshStarted     *prometheus.CounterVec
	sshAuthFailed  *prometheus.CounterVec
	sshRefused     *prometheus.CounterVec
	etsyCalls      *prometheus.CounterVec
	etsyDuration   *prometheus.HistogramVec
	etsy429        prometheus.Counter
	etsyRetries    *prometheus.CounterVec
	jobRuns        *prometheus.CounterVec
	jobDuration    *prometheus.HistogramVec
	editToEtsy     *prometheus.HistogramVec
	syncRuns       *prometheus.CounterVec
	syncDuration   *prometheus.HistogramVec
	alerts         *prometheus.CounterVec
	hubDrops       *prometheus.CounterVec
	backups        *prometheus.CounterVec
	lastBackupTime prometheus.Gauge
}

// register registers c with reg and returns it.
func register[C prometheus.Collector](reg *prometheus.Registry, c C) C {
	reg.MustRegister(c)
	return c
}

// New builds the registry with the Go runtime and process collectors and
// every Stockroom series.
func New(cfg Config) *Metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := &Metrics{reg: reg}

	info := register(reg, prometheus.NewGauge(prometheus.GaugeOpts{Name: "stockroom_build_info", Help: "Always 1; the version this binary was built as.",
		ConstLabels: prometheus.Labels{"version": cfg.Version}}))
	info.Set(1)

	m.sshOpen = register(reg, prometheus.NewGauge(prometheus.GaugeOpts{Name: "stockroom_ssh_sessions_open", Help: "SSH sessions open now."}))
	m.sshStarted = register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{Name: "stockroom_ssh_sessions_started_total",
		Help: "SSH sessions started, by type (tui, command)."}, []string{"type"}))
	m.sshAuthFailed = register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{Name: "stockroom_ssh_auth_failures_total",
		Help: "SSH sessions refused after the handshake, by reason (unknown_key, disabled, error)."}, []string{"reason"}))
	m.sshRefused = register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{Name: "stockroom_ssh_refused_total",
		Help: "SSH connections and sessions the server turned away, by reason (sshserver.Refusal)."}, []string{"reason"}))

	m.etsyCalls = register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{Name: "stockroom_etsy_calls_total",
		Help: "Etsy API calls, by operation (path with ids as {id}) and status class (2xx, 4xx, 5xx, error)."}, []string{"operation", "status"}))
	m.etsyDuration = register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "stockroom_etsy_call_duration_seconds",
		Help: "Etsy API call duration, by operation.", Buckets: []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30}}, []string{"operation"}))
	m.etsy429 = register(reg, prometheus.NewCounter(prometheus.CounterOpts{Name: "stockroom_etsy_rate_limited_total",
		Help: "Etsy answers of 429 Too Many Requests."}))
	m.etsyRetries = register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{Name: "stockroom_etsy_retries_total",
		Help: "Etsy calls repeating one that failed (401, 429, 5xx, network) in the last 10 minutes, by operation."}, []string{"operation"}))

	m.jobRuns = register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{Name: "stockroom_job_runs_total",
		Help: "Job runs ended, by kind and result (completed, failed, cancelled, snoozed)."}, []string{"kind", "result"}))
	m.jobDuration = register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "stockroom_job_run_duration_seconds",
		Help: "Job run duration, by kind.", Buckets: prometheus.ExponentialBuckets(0.01, 4, 9)}, []string{"kind"}))
	m.editToEtsy = register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "stockroom_edit_to_etsy_seconds",
		Help:    "From a stock change being saved to its push finishing on Etsy, by lane (edit, bulk).",
		Buckets: []float64{.025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300}}, []string{"lane"}))
	m.syncRuns = register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{Name: "stockroom_sync_runs_total",
		Help: "Sync runs ended, by kind (full, incremental, reconcile) and result."}, []string{"kind", "result"}))
	m.syncDuration = register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "stockroom_sync_duration_seconds",
		Help: "Sync run duration, by kind.", Buckets: prometheus.ExponentialBuckets(0.1, 3, 9)}, []string{"kind"}))

	m.alerts = register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{Name: "stockroom_alert_messages_total",
		Help: "Alert messages sent, by channel (email, telegram) and result (delivered, failed)."}, []string{"channel", "result"}))
	m.hubDrops = register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{Name: "stockroom_live_update_drops_total",
		Help: "Live updates not delivered, by where (subscriber: a slow session reloads instead; relay: not sent to other processes)."}, []string{"where"}))
	m.backups = register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{Name: "stockroom_backups_total",
		Help: "Scheduled SQLite backups, by result (ok, error)."}, []string{"result"}))
	m.lastBackupTime = register(reg, prometheus.NewGauge(prometheus.GaugeOpts{Name: "stockroom_backup_last_success_timestamp_seconds",
		Help: "When the last scheduled backup succeeded (Unix time)."}))

	if cfg.Budgets != nil {
		reg.MustRegister(budgetCollector(cfg.Budgets))
	}
	if cfg.Queues != nil {
		reg.MustRegister(queueCollector(cfg.Queues))
	}
	return m
}

// Handler serves the registry in Prometheus's text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Registry is the registry, for tests and extra collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// SessionStarted counts an SSH session of typ (tui, command) and returns
// the function that counts its end.
func (m *Metrics) SessionStarted(typ string) (ended func()) {
	m.sshStarted.WithLabelValues(typ).Inc()
	m.sshOpen.Inc()
	return func() { m.sshOpen.Dec() }
}

// AuthFailed counts a refused SSH session.
func (m *Metrics) AuthFailed(reason string) { m.sshAuthFailed.WithLabelValues(reason).Inc() }

// SSHRefused counts a connection or session the SSH server turned away.
func (m *Metrics) SSHRefused(reason string) { m.sshRefused.WithLabelValues(reason).Inc() }

// SSHRefusalReasons starts the refusal counter of each reason at 0, so a
// rate over it exists before the first refusal.
func (m *Metrics) SSHRefusalReasons(reasons ...string) {
	for _, r := range reasons {
		m.sshRefused.WithLabelValues(r)
	}
}

// HubDropped counts a live update not delivered (hub.WithDropObserver).
func (m *Metrics) HubDropped(where string) { m.hubDrops.WithLabelValues(where).Inc() }

// AlertSent counts one alert message on channel.
func (m *Metrics) AlertSent(channel string, err error) {
	result := "delivered"
	if err != nil {
		result = "failed"
	}
	m.alerts.WithLabelValues(channel, result).Inc()
}

// BackupDone counts a scheduled backup.
func (m *Metrics) BackupDone(at time.Time, err error) {
	if err != nil {
		m.backups.WithLabelValues("error").Inc()
		return
	}
	m.backups.WithLabelValues("ok").Inc()
	m.lastBackupTime.Set(float64(at.Unix()))
}

// statusClass buckets an HTTP status for the calls counter.
func statusClass(code int) string {
	if code < 100 || code > 599 {
		return "error"
	}
	return strconv.Itoa(code/100) + "xx"
}

var (
	budgetMin   = prometheus.NewDesc("stockroom_etsy_budget_remaining_min", "The smallest remaining daily Etsy budget among shops with known limits.", nil, nil)
	budgetSum   = prometheus.NewDesc("stockroom_etsy_budget_remaining_sum", "Remaining daily Etsy budget summed over shops with known limits.", nil, nil)
	budgetShops = prometheus.NewDesc("stockroom_etsy_budget_shops", "Shops whose Etsy limits are known (the population of min and sum).", nil, nil)
	queueDepth  = prometheus.NewDesc("stockroom_job_queue_depth", "Jobs due and waiting for a worker, by queue.", []string{"queue"}, nil)
	queueAge    = prometheus.NewDesc("stockroom_job_queue_oldest_age_seconds", "How long the oldest due job has waited, by queue.", []string{"queue"}, nil)
	budgetError = prometheus.NewDesc("stockroom_etsy_budget_read_failed", "1 when this scrape could not read the budgets.", nil, nil)
	queueError  = prometheus.NewDesc("stockroom_job_queue_read_failed", "1 when this scrape could not read the job queue.", nil, nil)
)

// scrapeCollector reads what it reports at scrape time, within a scrape's
// time, and reports it with emit; a read that fails is reported as
// errDesc = 1 and nothing else.
type scrapeCollector[T any] struct {
	descs   []*prometheus.Desc // what emit reports, besides errDesc
	errDesc *prometheus.Desc
	read    func(context.Context) (T, error)
	emit    func(ch chan<- prometheus.Metric, v T)
}

func (c *scrapeCollector[T]) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
	ch <- c.errDesc
}

func (c *scrapeCollector[T]) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	v, err := c.read(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(c.errDesc, prometheus.GaugeValue, 1)
		return
	}
	c.emit(ch, v)
}

// budgetCollector reads budgets at scrape time, fleet-wide.
func budgetCollector(read func(context.Context) ([]int, error)) prometheus.Collector {
	return &scrapeCollector[[]int]{descs: []*prometheus.Desc{budgetMin, budgetSum, budgetShops}, errDesc: budgetError, read: read,
		emit: func(ch chan<- prometheus.Metric, rem []int) {
			ch <- prometheus.MustNewConstMetric(budgetShops, prometheus.GaugeValue, float64(len(rem)))
			if len(rem) == 0 {
				return
			}
			lo, sum := rem[0], 0
			for _, r := range rem {
				lo = min(lo, r)
				sum += r
			}
			ch <- prometheus.MustNewConstMetric(budgetMin, prometheus.GaugeValue, float64(lo))
			ch <- prometheus.MustNewConstMetric(budgetSum, prometheus.GaugeValue, float64(sum))
		}}
}

// knownQueues always appear, so a dashboard shows 0 instead of no data.
var knownQueues = []string{"push", "sync", "notify"}

// queueCollector reads River's table at scrape time; queues without due
// jobs report 0.
func queueCollector(read func(context.Context) ([]health.Queue, error)) prometheus.Collector {
	return &scrapeCollector[[]health.Queue]{descs: []*prometheus.Desc{queueDepth, queueAge}, errDesc: queueError, read: read,
		emit: func(ch chan<- prometheus.Metric, qs []health.Queue) {
			seen := map[string]bool{}
			for _, q := range qs {
				seen[q.Name] = true
				ch <- prometheus.MustNewConstMetric(queueDepth, prometheus.GaugeValue, float64(q.Available), q.Name)
				ch <- prometheus.MustNewConstMetric(queueAge, prometheus.GaugeValue, q.OldestAge.Seconds(), q.Name)
			}
			for _, n := range knownQueues {
				if !seen[n] {
					ch <- prometheus.MustNewConstMetric(queueDepth, prometheus.GaugeValue, 0, n)
					ch <- prometheus.MustNewConstMetric(queueAge, prometheus.GaugeValue, 0, n)
				}
			}
		}}
}
