package e2e

import (
	"fmt"
	"strings"
	"testing"
)

// A push Etsy took is an `activity` line in the server log, like every
// other ledger event.
func TestPushOutcomeIsActivityLogLine(t *testing.T) {
	s := startServer(t)
	_, c, shopRows := s.seller(t, "Ada", "")
	target := pickRow(t, shopRows)
	want := target.Quantity + 2
	if r := run(t, c, fmt.Sprintf("stock set %s %d", target.SKU, want), ""); r.code != 0 {
		t.Fatalf("stock set: %s", r)
	}
	waitPushed(t, c, map[string]int{target.SKU: want})
	if s.logged(func(l string) bool {
		return strings.Contains(l, `"msg":"activity"`) && strings.Contains(l, `"kind":"stock.pushed"`) &&
			strings.Contains(l, `"subject":"`+target.SKU+`"`) && strings.Contains(l, fmt.Sprintf(`"after":%d`, want))
	}) {
		return
	}
	t.Fatalf("no stock.pushed activity line for %s → %d in the log:\n%s", target.SKU, want, s.logs)
}
