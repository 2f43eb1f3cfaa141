package app_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/store"
)

// activityLines are the `activity` lines of a JSON log of kind.
func activityLines(t *testing.T, logs *bytes.Buffer, kind store.ActivityKind) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var m map[string]any
		if l == "" || json.Unmarshal([]byte(l), &m) != nil {
			continue
		}
		if m["msg"] == "activity" && m["kind"] == string(kind) {
			out = append(out, m)
		}
	}
	return out
}

// A push Etsy took and one it refused are `activity` lines in the server
// log, with the ledger entry's before and after; a retried push that was
// recorded already adds no line.
func TestPushOutcomesAreActivityLogLines(t *testing.T) {
	s := newLedgerShop(t, 2)
	var logs bytes.Buffer
	db := app.LogPushes(s.db, slog.New(slog.NewJSONHandler(&logs, nil)))
	ctx := t.Context()

	s.set(t, "MUG-0", 7)
	r := s.row(t, "MUG-0")
	done := &store.PushDoneParams{OfferingID: r.OfferingID, DesiredVersion: r.DesiredVersion, Pushed: 7, Etsy: 7}
	if _, err := db.PushDone(ctx, done); err != nil {
		t.Fatal(err)
	}
	if _, err := db.PushDone(ctx, done); err != nil { // a retried job
		t.Fatal(err)
	}
	pushed := activityLines(t, &logs, store.KindStockPushed)
	if len(pushed) != 1 || pushed[0]["subject"] != "MUG-0" || pushed[0]["before"] != 10.0 || pushed[0]["after"] != 7.0 ||
		pushed[0]["source"] != "push" || pushed[0]["store"] != float64(s.shop.ID) {
		t.Fatalf("stock.pushed lines: %v\n%s", pushed, logs.String())
	}

	s.set(t, "MUG-1", 3)
	r = s.row(t, "MUG-1")
	failed := &store.PushFailedParams{OfferingID: r.OfferingID, DesiredVersion: r.DesiredVersion, Message: "listing is inactive"}
	for range 2 {
		if err := db.PushFailed(ctx, failed); err != nil {
			t.Fatal(err)
		}
	}
	refused := activityLines(t, &logs, store.KindStockPushFailed)
	if len(refused) != 1 || refused[0]["subject"] != "MUG-1" || refused[0]["note"] != "listing is inactive" {
		t.Fatalf("stock.push_failed lines: %v\n%s", refused, logs.String())
	}
}
