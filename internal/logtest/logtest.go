// Package logtest captures slog output in tests, for asserting which events
// were logged and that secrets were not.
package logtest

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
)

// Buffer collects output written from several goroutines: logs, and any
// other output a test reads while it is written (a process's, a session's).
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *Buffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *Buffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// New returns a JSON logger writing to a fresh Buffer.
func New() (*slog.Logger, *Buffer) {
	b := &Buffer{}
	return slog.New(slog.NewJSONHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})), b
}

// Records decodes the JSON lines logged so far.
func (l *Buffer) Records() []map[string]any {
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.String()), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil {
			out = append(out, m)
		}
	}
	return out
}

// Find returns the records whose attribute key equals value.
func (l *Buffer) Find(key, value string) []map[string]any {
	var out []map[string]any
	for _, r := range l.Records() {
		if v, ok := r[key].(string); ok && v == value {
			out = append(out, r)
		}
	}
	return out
}
