// This file wraps the validator around both ends of the wire: a RoundTripper
// for the client's tests and an http.Handler middleware for the sandbox.

package etsyspec

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
)

// NewValidatingTransport returns a RoundTripper that checks every request it
// sends and every response it receives against the description and hands each
// mismatch to report (a test passes func(err error) { t.Error(err) }). The
// traffic itself is passed through unchanged. next defaults to
// http.DefaultTransport.
func NewValidatingTransport(report func(error), next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return &validatingTransport{spec: MustLoad(), report: report, next: next}
}

type validatingTransport struct {
	spec   *Spec
	report func(error)
	next   http.RoundTripper
}

func (t *validatingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !Covers(req.URL.Path) {
		return t.next.RoundTrip(req)
	}
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		var err error
		body, err = io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("etsyspec: read request body: %w", err)
		}
		// RoundTrip must not modify the caller's request, so send a copy.
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	if err := t.spec.ValidateRequest(req, body); err != nil {
		t.report(err)
	}
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	respBody, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("etsyspec: read response body: %w", err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(respBody))
	if err := t.spec.ValidateResponse(req, resp.StatusCode, resp.Header, respBody); err != nil {
		t.report(err)
	}
	return resp, nil
}

// ValidatingHandler checks every request next receives and every response it
// writes, reporting mismatches to report. Requests with an invalid shape are
// still served: the server's own answer to them is part of what is checked.
func ValidatingHandler(next http.Handler, report func(error)) http.Handler {
	spec := MustLoad()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !Covers(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(r.Body)
		_ = r.Body.Close()
		if err != nil {
			report(fmt.Errorf("etsyspec: read request body: %w", err))
			http.Error(w, `{"error":"could not read request"}`, http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if err := spec.ValidateRequest(r, body); err != nil {
			report(err)
		}
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		r2 := r.Clone(r.Context())
		r2.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(rec, r2)
		if err := spec.ValidateResponse(r, rec.status, w.Header(), rec.body.Bytes()); err != nil {
			report(err)
		}
	})
}

// recorder passes the response through while keeping a copy to validate.
type recorder struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
	body        bytes.Buffer
}

func (r *recorder) WriteHeader(status int) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = status, true
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(p []byte) (int, error) {
	r.wroteHeader = true
	r.body.Write(p)
	return r.ResponseWriter.Write(p)
}

// Flush lets streaming and timeout-simulating handlers flush through the
// middleware.
func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
