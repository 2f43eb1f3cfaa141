package main

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/stockroom/stockroom/internal/testwait"
)

// A connection that never sends a request (a client transport's spare
// dial) must not fail the exit: Go's Shutdown waits on it for its first
// 5 seconds, longer than the grace, and the server then closes it and
// stops cleanly.
func TestHTTPShutdownCutsASilentConnection(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Addr: l.Addr().String(), Handler: http.NotFoundHandler(), ReadHeaderTimeout: time.Minute}
	l.Close() // serveHTTP listens itself, on the address just freed
	ctx, cancel := context.WithCancel(context.Background())
	g := &errgroup.Group{}
	serveHTTP(ctx, g, srv, "test", 200*time.Millisecond, slog.New(slog.DiscardHandler))
	var conn net.Conn
	testwait.Until(t, "the server to listen", func() bool {
		conn, err = net.Dial("tcp", srv.Addr)
		return err == nil
	})
	defer conn.Close()
	cancel()
	done := make(chan error, 1)
	go func() { done <- g.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the server stopped with %v; want a clean stop with the silent connection closed", err)
		}
	case <-time.After(4 * time.Second):
		t.Fatal("the server was still stopping 4 s after a 200 ms grace")
	}
	// The connection was cut, not left open.
	_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := conn.Read(make([]byte, 1)); err == nil {
		t.Fatal("the silent connection is still open after the stop")
	}
}
