package metrics_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stockroom/stockroom/metrics"
)

// BenchmarkEtsyTransport is the cost metrics add to one Etsy call, beside
// the same call without them (the anchor), both over loopback HTTP.
func BenchmarkEtsyTransport(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("{}")) }))
	defer srv.Close()
	url := srv.URL + "/v3/application/shops/42/listings/7/inventory"
	for _, c := range []struct {
		name string
		rt   http.RoundTripper
	}{{"plain", http.DefaultTransport}, {"metrics", metrics.New(metrics.Config{}).EtsyTransport(http.DefaultTransport)}} {
		b.Run(c.name, func(b *testing.B) {
			client := &http.Client{Transport: c.rt}
			for b.Loop() {
				resp, err := client.Get(url)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
}

// BenchmarkObserveJob is the cost of one River event (one per job run).
func BenchmarkObserveJob(b *testing.B) {
	m := metrics.New(metrics.Config{})
	e := jobEvent("job_completed", "push", map[string]any{"store_id": 1, "offering_id": 5}, timeZero, 0)
	for b.Loop() {
		m.ObserveJob(e)
	}
}

// canned answers without a network, so BenchmarkEtsyTransportOverhead
// measures what the metrics add and nothing else.
type canned struct{}

func (canned) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Body: http.NoBody, Request: r}, nil
}

// BenchmarkEtsyTransportOverhead: the metrics' own cost per Etsy call
// (labels, counters, histogram, retry memory), beside the bare transport.
func BenchmarkEtsyTransportOverhead(b *testing.B) {
	req, _ := http.NewRequest("PUT", "http://etsy.test/v3/application/listings/7/inventory", nil)
	for _, c := range []struct {
		name string
		rt   http.RoundTripper
	}{{"bare", canned{}}, {"metrics", metrics.New(metrics.Config{}).EtsyTransport(canned{})}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := c.rt.RoundTrip(req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
