package metrics

import (
	"net/http"
	"net/http/httptest"
)

// EtsyTransportObserveForTest makes one call through the Etsy transport, so
// its series exist.
func (m *Metrics) EtsyTransportObserveForTest() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(429) }))
	defer srv.Close()
	c := &http.Client{Transport: m.EtsyTransport(nil)}
	for range 2 {
		if resp, err := c.Get(srv.URL + "/v3/application/shops/1"); err == nil {
			resp.Body.Close()
		}
	}
}
