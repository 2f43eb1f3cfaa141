// The activity ledger and undo over real SSH (issue 13): an edit shows in
// activity with before/after and source, undo puts Etsy back, an import is
// undone as a batch, and a sale made between an edit and its undo is kept.
package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

type activityEvent struct {
	ID             int64  `json:"id"`
	Who            string `json:"who"`
	KeyFingerprint string `json:"key_fingerprint"`
	Source         string `json:"source"`
	Kind           string `json:"kind"`
	Subject        string `json:"subject"`
	Before         string `json:"before"`
	After          string `json:"after"`
	BatchID        string `json:"batch_id"`
	UndoOf         *int64 `json:"undo_of"`
	Etsy           *struct {
		Outcome  string `json:"outcome"`
		Quantity *int   `json:"quantity"`
	} `json:"etsy"`
}

// lastEdit is the newest stock edit of sku in activity.
func lastEdit(t *testing.T, c *gossh.Client, sku string) activityEvent {
	t.Helper()
	evs := decode[[]activityEvent](t, run(t, c, "activity --kind stock.set --format json --filter "+sku, ""))
	for _, e := range evs {
		if e.Subject == sku {
			return e
		}
	}
	t.Fatalf("no stock edit of %s in activity", sku)
	return activityEvent{}
}

// waitPushed waits until every sku shows want and is on Etsy.
func waitPushed(t *testing.T, c *gossh.Client, want map[string]int) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		rows := inventory(t, c)
		missing := ""
		for sku, q := range want {
			r := findRow(t, rows, sku)
			if r.Quantity != q || r.Pending || r.PushStatus != "pushed" || r.EtsyQuantity != q {
				missing = fmt.Sprintf("%s: %+v, want %d pushed", sku, r, q)
				break
			}
		}
		if missing == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not pushed after 60s: %s", missing)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// raise sets the stock of target 5 higher with stock set and waits until
// Etsy has it; it returns the quantity before, the one set and the
// ledger's event of the edit.
func raise(t *testing.T, c *gossh.Client, target row) (orig, want int, ev activityEvent) {
	t.Helper()
	orig, want = target.Quantity, target.Quantity+5
	expect(t, run(t, c, fmt.Sprintf("stock set %s %d", target.SKU, want), ""), 0)
	waitPushed(t, c, map[string]int{target.SKU: want})
	return orig, want, lastEdit(t, c, target.SKU)
}

func TestActivityAndUndo(t *testing.T) {
	s := startServer(t)
	key, c, rows := s.seller(t, "Noor", "noor@example.com")
	token := sandboxToken(t, s)
	sh := func(cmd string, stdin ...string) result { return run(t, c, cmd, strings.Join(stdin, "")) }

	// Usable rows: a unique SKU, an active listing, room to move.
	var usable []row
	seen := map[string]int{}
	for _, r := range rows {
		seen[r.SKU]++
	}
	for _, r := range rows {
		if r.SKU != "" && seen[r.SKU] == 1 && r.State == "active" && !r.Pending && r.Quantity >= 2 && r.Quantity < 900 {
			usable = append(usable, r)
		}
	}
	if len(usable) < 52 {
		t.Fatalf("the demo shop has %d usable rows, the test needs 52", len(usable))
	}

	t.Run("edit shows in activity and undo restores Etsy", func(t *testing.T) {
		target := usable[0]
		orig, want, ev := raise(t, c, target)
		if ev.Before != fmt.Sprint(orig) || ev.After != fmt.Sprint(want) || ev.Source != "command" || ev.Who != "Noor" ||
			ev.KeyFingerprint != gossh.FingerprintSHA256(key.PublicKey()) || ev.Etsy == nil || ev.Etsy.Outcome != "pushed" {
			t.Fatalf("activity event %+v", ev)
		}
		expect(t, sh(fmt.Sprintf("undo %d", ev.ID)), 0, "undone")
		waitPushed(t, c, map[string]int{target.SKU: orig})
		if got := etsyQuantities(t, s, token, target.ListingID)[target.SKU]; got != orig {
			t.Fatalf("Etsy has %s = %d after the undo, want %d", target.SKU, got, orig)
		}
		undo := lastEdit(t, c, target.SKU)
		if undo.UndoOf == nil || *undo.UndoOf != ev.ID || undo.After != fmt.Sprint(orig) {
			t.Fatalf("undo event %+v", undo)
		}
		// The server log carries the same events for operators.
		found := s.logged(func(l string) bool {
			return strings.Contains(l, `"msg":"activity"`) &&
				strings.Contains(l, fmt.Sprintf(`"id":%d,"kind":"stock.set","source":"command"`, undo.ID)) &&
				strings.Contains(l, fmt.Sprintf(`"undo_of":%d`, ev.ID)) && strings.Contains(l, `"subject":"`+target.SKU+`"`)
		})
		if !found {
			t.Errorf("no activity log line for event %d:\n%s", undo.ID, s.logs)
		}
	})

	t.Run("undo from the Activity screen", func(t *testing.T) {
		target := usable[0]
		orig := findRow(t, inventory(t, c), target.SKU).Quantity
		expect(t, sh(fmt.Sprintf("stock set %s %d", target.SKU, orig+3)), 0)
		waitPushed(t, c, map[string]int{target.SKU: orig + 3})
		tm := openTerm(t, c, "activity", 160, 40)
		tm.waitFor(t, "changes", 10*time.Second)
		tm.send(t, "/")
		tm.waitFor(t, "enter apply", 5*time.Second)
		tm.send(t, "kind:stock.set "+target.SKU, "\r")
		tm.waitFor(t, "filter: kind:stock.set", 5*time.Second)
		tm.send(t, "u")
		tm.waitFor(t, fmt.Sprintf("set %s back from %d to %d?", target.SKU, orig+3, orig), 5*time.Second)
		tm.send(t, "\r")
		tm.waitFor(t, "Undid #", 5*time.Second)
		waitPushed(t, c, map[string]int{target.SKU: orig})
		if got := etsyQuantities(t, s, token, target.ListingID)[target.SKU]; got != orig {
			t.Fatalf("Etsy has %s = %d after the undo from the screen, want %d", target.SKU, got, orig)
		}
		if ev := lastEdit(t, c, target.SKU); ev.Source != "tui" || ev.UndoOf == nil {
			t.Fatalf("the screen's undo in activity: %+v", ev)
		}
		tm.send(t, "q")
	})

	t.Run("a sale between the edit and the undo is kept", func(t *testing.T) {
		target := usable[1]
		orig, want, ev := raise(t, c, target)
		sellOnEtsy(t, s, etsyShopID(t, c), target.ListingID, target.SKU, 1)
		expect(t, sh("sync --wait"), 0)
		if got := findRow(t, inventory(t, c), target.SKU).Quantity; got != want-1 {
			t.Fatalf("after the sale %s is %d, want %d", target.SKU, got, want-1)
		}
		sale := s.logged(func(l string) bool {
			return strings.Contains(l, `"msg":"activity"`) && strings.Contains(l, `"kind":"stock.sync"`) &&
				strings.Contains(l, fmt.Sprintf(`"before":%d,"after":%d`, want, want-1))
		})
		if !sale {
			t.Errorf("no activity log line for the sale (%d → %d):\n%s", want, want-1, s.logs)
		}
		expect(t, sh(fmt.Sprintf("undo %d", ev.ID)), 1, "changed since", fmt.Sprintf("now %d", want-1), "--force")
		expect(t, sh(fmt.Sprintf("undo %d --force", ev.ID)), 0)
		waitPushed(t, c, map[string]int{target.SKU: orig - 1})
		if got := etsyQuantities(t, s, token, target.ListingID)[target.SKU]; got != orig-1 {
			t.Fatalf("Etsy has %s = %d, want %d: the edit taken back, the sale kept", target.SKU, got, orig-1)
		}
	})

	t.Run("an import of 50 rows is undone as a batch", func(t *testing.T) {
		batchRows := usable[2:52]
		var csv strings.Builder
		csv.WriteString("sku,quantity\n")
		imported, orig := map[string]int{}, map[string]int{}
		for _, r := range batchRows {
			fmt.Fprintf(&csv, "%s,%d\n", r.SKU, r.Quantity+1)
			imported[r.SKU], orig[r.SKU] = r.Quantity+1, r.Quantity
		}
		r := sh("stock import", csv.String())
		expect(t, r, 0, "undo --batch ")
		_, after, _ := strings.Cut(r.stderr, "undo --batch ")
		batch := strings.TrimSpace(after)
		waitPushed(t, c, imported)
		evs := decode[[]activityEvent](t, sh("activity --format json --batch "+batch))
		if len(evs) != 50 {
			t.Fatalf("batch %s has %d events, want 50", batch, len(evs))
		}
		for _, e := range evs {
			if e.Source != "import" || e.BatchID != batch {
				t.Fatalf("batch event %+v", e)
			}
		}
		expect(t, sh("undo --batch "+batch), 0, "undone: 50 row(s)")
		waitPushed(t, c, orig)
		for _, r := range batchRows[:5] {
			if got := etsyQuantities(t, s, token, r.ListingID)[r.SKU]; got != r.Quantity {
				t.Fatalf("Etsy has %s = %d after the batch undo, want %d", r.SKU, got, r.Quantity)
			}
		}
	})
}
