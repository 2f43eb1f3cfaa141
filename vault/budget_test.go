package vault_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stockroom/stockroom/etsy"
	"github.com/stockroom/stockroom/store/sqlite"
	"github.com/stockroom/stockroom/store/storetest"
	"github.com/stockroom/stockroom/vault"
)

type staticToken string

func (s staticToken) AccessToken(context.Context) (string, error) { return string(s), nil }
func (s staticToken) Refresh(context.Context) (string, error)     { return string(s), nil }

// Two server processes on one database share a shop's day budget: with
// four workers each, Etsy never receives a call once the budget is spent,
// and both show the live figure, including the one that made no call.
func TestDailyBudgetNotOvershotByWorkersAndProcesses(t *testing.T) {
	const budget = 40
	var received atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(received.Add(1))
		if n%3 == 0 {
			// Hold some answers back so they arrive out of order.
			time.Sleep(time.Duration(n%5) * time.Millisecond)
		}
		w.Header().Set("x-limit-per-second", "1000")
		w.Header().Set("x-remaining-this-second", "999")
		w.Header().Set("x-limit-per-day", fmt.Sprint(budget))
		w.Header().Set("x-remaining-today", fmt.Sprint(max(budget-n, 0)))
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"user_id": 1, "shop_id": 2}`)
	}))
	t.Cleanup(srv.Close)

	path := filepath.Join(t.TempDir(), "stockroom.db")
	process := func() *etsy.Client {
		t.Helper()
		// Each process opens the database on its own.
		db, err := sqlite.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		c, err := etsy.New(etsy.Config{APIBaseURL: srv.URL + "/v3", Keystring: "k", SharedSecret: "s",
			Ledger: vault.NewBudgetLedger(db)})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	a, b := process(), process()
	key := etsy.StoreKey(1)
	if _, err := a.Shop(key, staticToken("t")).GetMe(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := b.Budget(key); !got.Known || got.RemainingToday != budget-1 {
		t.Fatalf("the process that made no call shows %+v, want %d left", got, budget-1)
	}
	var wg sync.WaitGroup
	for _, c := range []*etsy.Client{a, b} {
		for range 4 {
			wg.Go(func() {
				shop := c.Shop(key, staticToken("t"))
				for range 15 {
					_, _ = shop.GetMe(context.Background())
				}
			})
		}
	}
	wg.Wait()
	if got := received.Load(); got > budget {
		t.Fatalf("Etsy received %d calls on a day budget of %d: %d went out after it was spent", got, budget, got-budget)
	}
	for name, c := range map[string]*etsy.Client{"a": a, "b": b} {
		if got := c.Budget(key); got.RemainingToday != 0 {
			t.Errorf("process %s shows %d left when none is", name, got.RemainingToday)
		}
	}
}

// BenchmarkEtsyCallWithSharedBudget is one Etsy call whose day budget is
// reserved and recorded in SQLite, beside the same call with the budget
// kept in memory (the anchor): the difference is what sharing the budget
// between processes costs each call.
func BenchmarkEtsyCallWithSharedBudget(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("x-limit-per-second", "1000000")
		w.Header().Set("x-remaining-this-second", "999999")
		w.Header().Set("x-limit-per-day", "100000000")
		w.Header().Set("x-remaining-today", "99999999")
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"user_id": 1, "shop_id": 2}`)
	}))
	b.Cleanup(srv.Close)
	db := storetest.OpenSQLite(b)
	for _, bc := range []struct {
		name   string
		ledger etsy.Ledger
	}{{"in-memory (anchor)", nil}, {"sqlite ledger", vault.NewBudgetLedger(db)}} {
		b.Run(bc.name, func(b *testing.B) {
			c, err := etsy.New(etsy.Config{APIBaseURL: srv.URL + "/v3", Keystring: "k", SharedSecret: "s", Ledger: bc.ledger})
			if err != nil {
				b.Fatal(err)
			}
			shop := c.Shop(etsy.StoreKey(1), staticToken("t"))
			for b.Loop() {
				if _, err := shop.GetMe(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
