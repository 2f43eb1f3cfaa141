// A seller's first session (issue 4): sign up, connect the shop, edit a
// quantity in the TUI, and find it in the data, the audit trail and on Etsy.
package e2e

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stockroom/stockroom/internal/sshtest"
)

// pickRow is a row with a SKU no other row's SKU contains (so filtering
// by it shows that row alone) and room to change its quantity.
func pickRow(t testing.TB, rows []row, skip ...string) row {
	t.Helper()
next:
	for _, r := range rows {
		if r.SKU == "" || r.Pending || r.Quantity >= 900 || slices.Contains(skip, r.SKU) {
			continue
		}
		for _, o := range rows {
			if o != r && strings.Contains(o.SKU, r.SKU) {
				continue next
			}
		}
		return r
	}
	t.Fatal("no row with a unique SKU in the demo shop")
	return row{}
}

func findRow(t testing.TB, rows []row, sku string) row {
	t.Helper()
	for _, r := range rows {
		if r.SKU == sku {
			return r
		}
	}
	t.Fatalf("no row with SKU %q", sku)
	return row{}
}

// editInTUI filters the inventory to sku, opens the editor and saves qty.
// Each step waits for the screen to show the previous one took, since a
// digit typed outside the editor switches tabs.
func editInTUI(t testing.TB, tm *term, sku string, qty int) {
	t.Helper()
	tm.send(t, "/")
	tm.waitFor(t, "enter apply", 5*time.Second)
	tm.send(t, sku, "\r")
	tm.waitUntil(t, "the row of "+sku+" selected", 5*time.Second, func(sc string) bool {
		return selectedLine(sc, sku) && strings.Contains(sc, "e edit stock")
	})
	tm.send(t, "e")
	tm.waitFor(t, "enter save", 5*time.Second)
	tm.send(t, fmt.Sprint(qty), "\r")
	tm.waitFor(t, "e edit stock", 5*time.Second)
}

// selectedLine tells whether the screen's selected row (›) shows text.
func selectedLine(screen, text string) bool {
	for _, l := range strings.Split(screen, "\n") {
		if strings.Contains(l, "› ") && strings.Contains(l, text+" ") {
			return true
		}
	}
	return false
}

func TestSellerSignsUpEditsAndEtsyFollows(t *testing.T) {
	s := startServer(t)
	key := sshtest.NewKey(t)
	first := signUp(t, s, key, "Maya Quilts", "maya@example.com")
	c := s.dial(t, key)
	if r := run(t, c, "whoami --format json", ""); r.code != 0 || !strings.Contains(r.stdout, `"name": "Maya Quilts"`) ||
		!strings.Contains(r.stdout, "maya@example.com") {
		t.Fatalf("whoami after sign-up: %s", r)
	}
	first.send(t, "q")
	if code := first.exitCode(t, 5*time.Second); code != 0 {
		t.Fatalf("q left the TUI with exit %d", code)
	}

	rows := connectShop(t, s, c)
	target := pickRow(t, rows)
	want := target.Quantity + 7

	tm := openTerm(t, c, "inventory", 160, 40)
	// The rows, not just the tab: keys sent while the list loads are lost.
	tm.waitFor(t, "rows · sorted by", 10*time.Second)
	editInTUI(t, tm, target.SKU, want)

	// The database, through the command that reads it.
	deadline := time.Now().Add(15 * time.Second)
	var got row
	for {
		got = findRow(t, inventory(t, c), target.SKU)
		if got.Quantity == want && got.PushStatus == "pushed" && !got.Pending {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("row after the edit: %+v; want quantity %d pushed; screen:\n%s", got, want, tm.Screen())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got.EtsyQuantity != want {
		t.Errorf("etsy_quantity = %d after the push, want %d", got.EtsyQuantity, want)
	}
	tm.waitFor(t, fmt.Sprint(want), 5*time.Second)

	// The audit trail: one event from the TUI, by this account, old → new.
	db := openDB(t, s, true)
	var source string
	var before, after int
	var account string
	err := db.QueryRow(`SELECT e.source, e.before_qty, e.after_qty, a.name
		FROM stock_events e JOIN offerings o ON o.id = e.offering_id JOIN products p ON p.id = o.product_id
		JOIN accounts a ON a.id = e.account_id
		WHERE p.sku = ? AND e.source = 'tui'`, target.SKU).Scan(&source, &before, &after, &account)
	if err != nil {
		t.Fatalf("audit trail: %v", err)
	}
	if before != target.Quantity || after != want || account != "Maya Quilts" {
		t.Fatalf("audit event %s %d→%d by %q; want %d→%d by Maya Quilts", source, before, after, account, target.Quantity, want)
	}
	// And the History screen shows it.
	tm.send(t, "H")
	sc := tm.waitFor(t, "History: "+target.Title, 5*time.Second)
	for _, source := range []string{"your edit", "sent to Etsy"} {
		if !regexp.MustCompile(regexp.QuoteMeta(source) + ` +` + fmt.Sprintf("%d → %d", target.Quantity, want)).MatchString(sc) {
			t.Errorf("History has no %q event %d → %d:\n%s", source, target.Quantity, want, sc)
		}
	}

	// Etsy's side, read with a token of the shop's seller.
	etsy := etsyQuantities(t, s, sandboxToken(t, s), target.ListingID)
	if etsy[target.SKU] != want {
		t.Fatalf("sandbox has %s = %d, want %d", target.SKU, etsy[target.SKU], want)
	}
}
