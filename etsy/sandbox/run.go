// This file runs the sandbox as its own process (stockroom sandbox).

package sandbox

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"
)

// Run serves a sandbox on addr until ctx ends. The data comes from seedFile
// (a Seed JSON document) or, when seedFile is empty, from Generate with one
// shop of 200 listings. cfg.BaseURL defaults to http://<addr>.
func Run(ctx context.Context, addr, seedFile string, cfg Config) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("sandbox: listen: %w", err)
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = "http://" + ln.Addr().String()
	}
	sb := New(cfg)
	if seedFile != "" {
		f, err := os.Open(seedFile)
		if err != nil {
			_ = ln.Close()
			return fmt.Errorf("sandbox: open seed: %w", err)
		}
		err = sb.LoadSeed(f)
		_ = f.Close()
		if err != nil {
			_ = ln.Close()
			return err
		}
	} else if err := sb.Load(Generate(GenOptions{Listings: 200, Now: sb.now()})); err != nil {
		_ = ln.Close()
		return err
	}
	srv := &http.Server{Handler: sb.Handler(), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	sb.logger.Info("sandbox listening", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
