package metrics

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"
)

// EtsyTransport counts every Etsy call made through it: wrap the Etsy
// client's HTTP transport with it (etsy.Config.HTTPClient).
func (m *Metrics) EtsyTransport(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return &etsyTransport{m: m, next: next, failed: map[string]time.Time{}, now: time.Now}
}

type etsyTransport struct {
	m    *Metrics
	next http.RoundTripper
	now  func() time.Time

	mu     sync.Mutex
	failed map[string]time.Time // request line → when it last failed
}

// retryWindow: a call repeating one that failed this recently is a retry.
const retryWindow = 10 * time.Minute

// maxFailed bounds the memory of failed calls.
const maxFailed = 10000

func (t *etsyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	op := r.Method + " " + operation(r.URL.Path)
	line := r.Method + " " + r.URL.Path + "?" + r.URL.RawQuery
	start := t.now()
	t.mu.Lock()
	if at, ok := t.failed[line]; ok && start.Sub(at) < retryWindow {
		t.m.etsyRetries.WithLabelValues(op).Inc()
	}
	t.mu.Unlock()

	resp, err := t.next.RoundTrip(r)
	t.m.etsyDuration.WithLabelValues(op).Observe(t.now().Sub(start).Seconds())
	code := 0
	if err == nil {
		code = resp.StatusCode
	}
	t.m.etsyCalls.WithLabelValues(op, statusClass(code)).Inc()
	if code == http.StatusTooManyRequests {
		t.m.etsy429.Inc()
	}
	failed := err != nil || code == http.StatusUnauthorized || code == http.StatusTooManyRequests || code >= 500
	t.mu.Lock()
	if failed {
		if len(t.failed) >= maxFailed {
			clear(t.failed)
		}
		t.failed[line] = start
	} else {
		delete(t.failed, line)
	}
	t.mu.Unlock()
	return resp, err
}

// operation names an Etsy call's path without its ids, so the label stays
// bounded: /v3/application/shops/42/listings/7/inventory becomes
// shops/{id}/listings/{id}/inventory (the method goes before it).
func operation(path string) string {
	path = strings.TrimPrefix(path, "/v3")
	path = strings.TrimPrefix(path, "/application")
	segs := strings.Split(strings.Trim(path, "/"), "/")
	if len(segs) > 8 {
		return "other"
	}
	for i, s := range segs {
		if s != "" && strings.Trim(s, "0123456789") == "" {
			segs[i] = "{id}"
		} else if len(s) > 40 {
			return "other"
		}
	}
	return strings.Join(segs, "/")
}

// JobEventKinds are the River events ObserveJob reads.
var JobEventKinds = []river.EventKind{river.EventKindJobCompleted, river.EventKindJobFailed, river.EventKindJobCancelled, river.EventKindJobSnoozed}

// knownJobKinds bounds the kind label; anything else is "other".
var knownJobKinds = map[string]bool{"push": true, "sync": true, "notify_delivery": true, "notify_digest": true, "notify_revoked": true}

var syncKinds = map[string]bool{"full": true, "incremental": true, "reconcile": true}

// ObserveJob records one River job event: job runs by kind and result,
// their duration, sync runs, and for a finished push the time from the
// stock change (the job was inserted in the edit's transaction) to Etsy.
func (m *Metrics) ObserveJob(e *river.Event) {
	if e == nil || e.Job == nil {
		return
	}
	kind := e.Job.Kind
	if !knownJobKinds[kind] {
		kind = "other"
	}
	result := strings.TrimPrefix(string(e.Kind), "job_")
	m.jobRuns.WithLabelValues(kind, result).Inc()
	var run time.Duration
	if e.JobStats != nil {
		run = e.JobStats.RunDuration
		m.jobDuration.WithLabelValues(kind).Observe(run.Seconds())
	}
	switch kind {
	case "sync":
		var a struct {
			Kind string `json:"kind"`
		}
		// Arguments that do not decode leave Kind empty: counted as "other".
		_ = json.Unmarshal(e.Job.EncodedArgs, &a)
		if !syncKinds[a.Kind] {
			a.Kind = "other"
		}
		m.syncRuns.WithLabelValues(a.Kind, result).Inc()
		m.syncDuration.WithLabelValues(a.Kind).Observe(run.Seconds())
	case "push":
		if e.Kind != river.EventKindJobCompleted {
			return
		}
		var a struct {
			Bulk bool `json:"bulk"`
		}
		_ = json.Unmarshal(e.Job.EncodedArgs, &a) // undecodable: counted in the edit lane
		lane := "edit"
		if a.Bulk {
			lane = "bulk"
		}
		end := time.Now()
		if e.Job.FinalizedAt != nil {
			end = *e.Job.FinalizedAt
		}
		m.editToEtsy.WithLabelValues(lane).Observe(max(end.Sub(e.Job.CreatedAt), 0).Seconds())
	}
}

// WatchJobs reads events until ctx ends or the channel closes.
func (m *Metrics) WatchJobs(ctx context.Context, events <-chan *river.Event) {
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-events:
			if !ok {
				return
			}
			m.ObserveJob(e)
		}
	}
}
