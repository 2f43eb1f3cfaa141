package postgres

import "testing"

// A URL that names no pool size gets Stockroom's, not pgxpool's CPU-sized
// default; one that names a size keeps it.
func TestPoolSizeDefaultsUnlessTheURLSetsIt(t *testing.T) {
	for _, c := range []struct {
		url  string
		want int32
	}{
		{"postgres://u@127.0.0.1:5432/db?sslmode=disable", defaultMaxConns},
		{"postgres://u@127.0.0.1:5432/db?sslmode=disable&pool_max_conns=3", 3},
		{"host=127.0.0.1 user=u dbname=db pool_max_conns=5", 5},
	} {
		cfg, err := poolConfig(c.url)
		if err != nil {
			t.Fatalf("%s: %v", c.url, err)
		}
		if cfg.MaxConns != c.want {
			t.Errorf("%s: MaxConns %d, want %d", c.url, cfg.MaxConns, c.want)
		}
	}
	if _, err := poolConfig("postgres://u@[::1"); err == nil {
		t.Error("a malformed URL was accepted")
	}
}
