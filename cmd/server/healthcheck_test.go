package main

import (
	"bytes"
	"strings"
	"testing"
)

// A malformed STOCKROOM_HTTP_ADDR is reported as unhealthy, not a crash.
func TestHealthcheckWithAMalformedAddressSaysSo(t *testing.T) {
	var stderr bytes.Buffer
	env := map[string]string{"STOCKROOM_HTTP_ADDR": "bad host:8080"}
	if code := healthcheck(t.Context(), func(k string) string { return env[k] }, &stderr); code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if !strings.Contains(stderr.String(), "STOCKROOM_HTTP_ADDR") {
		t.Fatalf("stderr %q does not name the setting", stderr.String())
	}
}
