// The scriptable commands over real SSH (issue 7): each one's happy path,
// and what bad input, a viewer and a large import get back.
package e2e

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/stockroom/stockroom/internal/sshtest"
)

// expect checks a command's exit code and that its stderr holds every
// fragment.
func expect(t *testing.T, r result, code int, stderr ...string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit %d, want %d: %s", r.code, code, r)
	}
	for _, s := range stderr {
		if !strings.Contains(r.stderr, s) {
			t.Fatalf("stderr lacks %q: %s", s, r)
		}
	}
}

// decode reads the JSON a successful command printed.
func decode[T any](t testing.TB, r result) T {
	t.Helper()
	var v T
	if r.code != 0 {
		t.Fatalf("command failed: %s", r)
	}
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		t.Fatalf("JSON: %v in %q", err, r.stdout)
	}
	return v
}

// csvQuantities reads sku → quantity from an inventory CSV export.
func csvQuantities(t *testing.T, data string) map[string]int {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(data)).ReadAll()
	if err != nil || len(recs) < 2 {
		t.Fatalf("CSV: %v, %d records", err, len(recs))
	}
	if recs[0][0] != "sku" || recs[0][1] != "quantity" {
		t.Fatalf("CSV header %v", recs[0])
	}
	out := map[string]int{}
	for _, r := range recs[1:] {
		if r[0] == "" {
			continue
		}
		q, err := strconv.Atoi(r[1])
		if err != nil {
			t.Fatalf("CSV quantity %q", r[1])
		}
		out[r[0]] = q
	}
	return out
}

func TestCommands(t *testing.T) {
	s := startServer(t)
	ownerKey, owner, rows := s.seller(t, "Olu", "olu@example.com")
	target := pickRow(t, rows)
	sh := func(cmd, stdin string) result { return run(t, owner, cmd, stdin) }

	t.Run("help", func(t *testing.T) {
		r := sh("help", "")
		expect(t, r, 0)
		for _, c := range []string{"whoami", "stores", "inventory", "stock set", "stock import", "sales", "sync", "alerts", "keys"} {
			if !strings.Contains(r.stdout, c) {
				t.Errorf("help does not list %q:\n%s", c, r.stdout)
			}
		}
		expect(t, sh("help stock set", ""), 0)
		expect(t, sh("help nosuch", ""), 2, "nosuch")
	})
	t.Run("whoami", func(t *testing.T) {
		who := decode[struct {
			Name, Email string
		}](t, sh("whoami --format json", ""))
		if who.Name != "Olu" || who.Email != "olu@example.com" {
			t.Fatalf("whoami %+v", who)
		}
		if r := sh("whoami", ""); r.code != 0 || !strings.Contains(r.stdout, "Olu") {
			t.Fatalf("whoami table: %s", r)
		}
	})
	var storeID int64
	t.Run("stores", func(t *testing.T) {
		st := decode[[]struct {
			ID      int64  `json:"id"`
			Name    string `json:"name"`
			Role    string `json:"role"`
			Sandbox bool   `json:"sandbox"`
		}](t, sh("stores --format json", ""))
		if len(st) != 1 || st[0].Role != "owner" || !st[0].Sandbox || !strings.HasPrefix(st[0].Name, "DemoShop") {
			t.Fatalf("stores %+v", st)
		}
		storeID = st[0].ID
		if r := sh("stores --format csv", ""); r.code != 0 || !strings.HasPrefix(r.stdout, "id,etsy_shop_id,name,role") {
			t.Fatalf("stores csv: %s", r)
		}
	})
	t.Run("inventory", func(t *testing.T) {
		if r := sh("inventory", ""); r.code != 0 || !strings.Contains(r.stdout, target.SKU) {
			t.Fatalf("inventory table lacks %s: exit %d", target.SKU, r.code)
		}
		filtered := decode[[]row](t, sh("inventory --format json --filter "+target.SKU, ""))
		if len(filtered) != 1 || filtered[0].SKU != target.SKU {
			t.Fatalf("--filter %s gave %d rows", target.SKU, len(filtered))
		}
		low := decode[[]row](t, sh("inventory --format json --low", ""))
		if len(low) == 0 || len(low) >= len(rows) {
			t.Fatalf("--low gave %d of %d rows", len(low), len(rows))
		}
		expect(t, sh("inventory --store nosuchshop", ""), 2, "--store")
	})
	t.Run("stock set and add", func(t *testing.T) {
		expect(t, sh(fmt.Sprintf("stock set %s %d", target.SKU, 40), ""), 0)
		expect(t, sh(fmt.Sprintf("stock add %s -3", target.SKU), ""), 0)
		if got := findRow(t, inventory(t, owner), target.SKU).Quantity; got != 37 {
			t.Fatalf("after set 40, add -3: %d", got)
		}
		expect(t, sh(fmt.Sprintf("stock set %d:%s 41", target.ListingID, target.SKU), ""), 0)
		if got := findRow(t, inventory(t, owner), target.SKU).Quantity; got != 41 {
			t.Fatalf("after set by listing:sku: %d", got)
		}
	})
	t.Run("bad input", func(t *testing.T) {
		before := inventory(t, owner)
		expect(t, sh("stock set SKU-NOPE-404 5", ""), 1, "SKU-NOPE-404")
		expect(t, sh(fmt.Sprintf("stock set %s 1000", target.SKU), ""), 1, "999")
		expect(t, sh(fmt.Sprintf("stock add %s 5000", target.SKU), ""), 1)
		expect(t, sh(fmt.Sprintf("stock set %s -1", target.SKU), ""), 1)
		expect(t, sh(fmt.Sprintf("stock set %s lots", target.SKU), ""), 2)
		expect(t, sh("inventory --colour red", ""), 2, "colour")
		expect(t, sh("stock set --quietly x 1", ""), 2)
		expect(t, sh("inventory --format xml", ""), 2, "xml")
		expect(t, sh("nosuchcommand", ""), 2, "nosuchcommand")
		expect(t, sh("stock set", ""), 2)
		if after := inventory(t, owner); !sameQuantities(before, after) {
			t.Fatal("a refused command changed the inventory")
		}
	})
	t.Run("sales", func(t *testing.T) {
		sales := decode[[]struct {
			ReceiptID int64 `json:"receipt_id"`
		}](t, sh("sales --since 2000-01-01 --format json", ""))
		if len(sales) == 0 {
			t.Fatal("no sales synced from the demo shop")
		}
		expect(t, sh("sales --since yesterday-ish", ""), 2)
	})
	t.Run("sync", func(t *testing.T) {
		r := sh("sync --wait", "")
		expect(t, r, 0, "waiting")
		log := decode[[]struct {
			Result string `json:"result"`
		}](t, sh("sync log --format json", ""))
		if len(log) < 2 {
			t.Fatalf("sync log has %d runs", len(log))
		}
	})
	t.Run("alerts", func(t *testing.T) {
		expect(t, sh("alerts --all --format json", ""), 0)
	})
	t.Run("keys", func(t *testing.T) {
		second := sshtest.NewKey(t)
		expect(t, sh("keys add", string(gossh.MarshalAuthorizedKey(second.PublicKey()))), 2, "keys link")
		code := strings.TrimSpace(sh("keys link", "").stdout)
		expect(t, run(t, s.dial(t, second), "keys claim "+code, ""), 0)
		if r := run(t, s.dial(t, second), "whoami --format json", ""); r.code != 0 || !strings.Contains(r.stdout, `"Olu"`) {
			t.Fatalf("the added key is not Olu's: %s", r)
		}
		keys := decode[[]struct {
			ID          int64  `json:"id"`
			Fingerprint string `json:"fingerprint"`
		}](t, sh("keys list --format json", ""))
		if len(keys) != 2 {
			t.Fatalf("keys %+v", keys)
		}
		expect(t, sh("keys remove "+gossh.FingerprintSHA256(second.PublicKey()), ""), 0)
		if r := run(t, s.dial(t, second), "whoami", ""); r.code != 1 {
			t.Fatalf("a removed key still works: %s", r)
		}
		expect(t, sh("keys remove "+gossh.FingerprintSHA256(ownerKey.PublicKey()), ""), 1)
	})
	t.Run("viewer", func(t *testing.T) {
		viewerKey := sshtest.NewKey(t)
		signUp(t, s, viewerKey, "Vera", "")
		viewer := s.dial(t, viewerKey)
		who := decode[struct {
			ID int64 `json:"account_id"`
		}](t, run(t, viewer, "whoami --format json", ""))
		// No screen adds members yet: the row goes into the database.
		db := openDB(t, s, false)
		if _, err := db.Exec(`INSERT INTO memberships (account_id, store_id, role, created_at) VALUES (?, ?, 'viewer', ?)`,
			who.ID, storeID, time.Now().Unix()); err != nil {
			t.Fatal(err)
		}
		if got := inventory(t, viewer); len(got) != len(inventory(t, owner)) {
			t.Fatalf("the viewer sees %d rows", len(got))
		}
		before := findRow(t, inventory(t, owner), target.SKU).Quantity
		expect(t, run(t, viewer, fmt.Sprintf("stock set %s 3", target.SKU), ""), 1, "viewer")
		expect(t, run(t, viewer, fmt.Sprintf("stock add %s 1", target.SKU), ""), 1, "viewer")
		expect(t, run(t, viewer, "stock import", "sku,quantity\n"+target.SKU+",2\n"), 1, "viewer")
		if after := findRow(t, inventory(t, owner), target.SKU).Quantity; after != before {
			t.Fatalf("a viewer changed %s: %d → %d", target.SKU, before, after)
		}
	})
	t.Run("import with a bad row 7 applies nothing", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("sku,quantity\n")
		count := map[string]int{}
		for _, r := range rows {
			count[r.SKU]++
		}
		n := 0
		for _, r := range rows {
			if n == 6 {
				break
			}
			if r.SKU != "" && count[r.SKU] == 1 {
				fmt.Fprintf(&b, "%s,%d\n", r.SKU, (r.Quantity+5)%999)
				n++
			}
		}
		// Line 1 is the header, lines 2..6 good rows; line 7 is broken.
		csvIn := b.String()
		lines := strings.Split(strings.TrimSuffix(csvIn, "\n"), "\n")
		lines[6] = strings.Split(lines[6], ",")[0] + ",seven"
		csvIn = strings.Join(lines, "\n") + "\n"
		before := inventory(t, owner)
		expect(t, sh("stock import", csvIn), 1, "line 7")
		if r := sh("stock import", csvIn); strings.Contains(r.stderr, "line 2") || strings.Contains(r.stderr, "line 6") {
			t.Fatalf("good lines reported: %s", r)
		}
		if after := inventory(t, owner); !sameQuantities(before, after) {
			t.Fatal("a refused import changed the inventory")
		}
	})
	t.Run("import every SKU and round-trip the export", func(t *testing.T) {
		want := map[string]int{}
		var b strings.Builder
		b.WriteString("sku,quantity\n")
		count := map[string]int{}
		for _, r := range rows {
			count[r.SKU]++
		}
		for i, r := range rows {
			if r.SKU == "" || count[r.SKU] > 1 || len(want) == 1000 {
				continue
			}
			q := (i*37 + 11) % 1000
			want[r.SKU] = q
			fmt.Fprintf(&b, "%s,%d\n", r.SKU, q)
		}
		if len(want) < 100 {
			t.Fatalf("only %d SKUs to import", len(want))
		}
		dry := sh("stock import --dry-run", b.String())
		expect(t, dry, 0)
		if got := csvQuantities(t, sh("inventory --format csv", "").stdout); got[target.SKU] == want[target.SKU] && want[target.SKU] != 41 {
			t.Fatal("--dry-run applied the import")
		}
		start := time.Now()
		expect(t, sh("stock import", b.String()), 0)
		t.Logf("imported %d rows in %s", len(want), time.Since(start).Round(time.Millisecond))
		export := sh("inventory --format csv", "")
		got := csvQuantities(t, export.stdout)
		for sku, q := range want {
			if got[sku] != q {
				t.Fatalf("after import %s = %d, want %d", sku, got[sku], q)
			}
		}
		// The export imports back, as it is, and changes nothing.
		expect(t, sh("stock import", export.stdout), 0, "0 row(s) changed")
		if again := csvQuantities(t, sh("inventory --format csv", "").stdout); fmt.Sprint(again) != fmt.Sprint(got) {
			t.Fatal("re-importing the export changed quantities")
		}
	})
}

// sameQuantities compares the quantities of two inventory reads; pushes
// finishing meanwhile may change the rest.
func sameQuantities(a, b []row) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].ListingID != b[i].ListingID || a[i].ProductID != b[i].ProductID || a[i].Quantity != b[i].Quantity {
			return false
		}
	}
	return true
}
