// Teams over real SSH (issue 12): an owner invites a helper to one shop
// with a role, the role holds on every write, and a removal reaches the
// helper's open terminal within 2 s.
package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stockroom/stockroom/internal/sshtest"
)

func TestTeamInviteRolesAndRemoval(t *testing.T) {
	s := startServer(t)
	aKey, bKey := sshtest.NewKey(t), sshtest.NewKey(t)
	signUp(t, s, aKey, "Ada Owner", "")
	a := s.dial(t, aKey)
	rows := connectShop(t, s, a)
	target := pickRow(t, rows)

	// A invites B as a viewer; the code is printed once, on stdout.
	r := run(t, a, "members invite --role viewer", "")
	code := strings.TrimSpace(r.stdout)
	if r.code != 0 || !codePattern.MatchString(code) {
		t.Fatalf("members invite: %s", r)
	}

	// B, a new person, signs up with the code and lands in the shop.
	tm := openTerm(t, s.dial(t, bKey), "", 120, 40)
	tm.waitFor(t, "Welcome to Stockroom", 10*time.Second)
	tm.send(t, "Bo Helper", "\t", "\t", code, "\r")
	tm.waitFor(t, "DemoShop", 10*time.Second)
	tm.send(t, "q")
	b := s.dial(t, bKey)
	if got := inventory(t, b); len(got) != len(rows) {
		t.Fatalf("B sees %d rows, the shop has %d", len(got), len(rows))
	}
	r = run(t, a, "members list", "")
	if r.code != 0 || !strings.Contains(r.stdout, "Bo Helper") || !strings.Contains(r.stdout, "viewer") {
		t.Fatalf("members list: %s", r)
	}

	// A viewer's edit is refused, naming the role, and nothing moves.
	r = run(t, b, fmt.Sprintf("stock set %s %d", target.SKU, target.Quantity+1), "")
	if r.code != 1 || !strings.Contains(r.stderr, "you are a viewer") {
		t.Fatalf("viewer's stock set: %s", r)
	}
	if got := findRow(t, inventory(t, a), target.SKU); got.Pending || got.Quantity != target.Quantity {
		t.Fatalf("the viewer's refused edit changed the row: %+v", got)
	}

	// A makes B manager; B's edit reaches Etsy.
	if r := run(t, a, "members role 'Bo Helper' manager", ""); r.code != 0 {
		t.Fatalf("members role: %s", r)
	}
	want := target.Quantity + 3
	if r := run(t, b, fmt.Sprintf("stock set %s %d", target.SKU, want), ""); r.code != 0 {
		t.Fatalf("manager's stock set: %s", r)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		got := findRow(t, inventory(t, b), target.SKU)
		if got.PushStatus == "pushed" && !got.Pending && got.EtsyQuantity == want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the manager's edit never reached Etsy: %+v", got)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if etsy := etsyQuantities(t, s, sandboxToken(t, s), target.ListingID); etsy[target.SKU] != want {
		t.Fatalf("sandbox has %s = %d, want %d", target.SKU, etsy[target.SKU], want)
	}
	// A manager still cannot disconnect the shop or manage members.
	if r := run(t, b, "store disconnect", ""); r.code != 1 || !strings.Contains(r.stderr, "you are a manager") {
		t.Fatalf("manager's store disconnect: %s", r)
	}

	// B has the inventory open; A removes B; B's terminal loses the shop
	// within 2 s, and B's commands no longer list it.
	bt := openTerm(t, b, "inventory", 120, 40)
	bt.waitFor(t, target.SKU, 10*time.Second)
	if r := run(t, a, "members remove 'Bo Helper'", ""); r.code != 0 {
		t.Fatalf("members remove: %s", r)
	}
	removed := time.Now()
	bt.waitFor(t, "no longer a member of DemoShop", 2*time.Second)
	t.Logf("B's terminal lost the shop %s after the removal returned", time.Since(removed).Round(time.Millisecond))
	if sc := bt.Screen(); strings.Contains(sc, target.SKU) {
		t.Fatalf("B still sees the inventory:\n%s", sc)
	}
	r = run(t, b, "inventory --store DemoShop", "")
	if r.code == 0 || strings.Contains(r.stdout, target.SKU) {
		t.Fatalf("B's inventory after removal: %s", r)
	}
	if r := run(t, b, "stores", ""); strings.Contains(r.stdout, "DemoShop") {
		t.Fatalf("B's stores after removal: %s", r)
	}
	// The invite was single use.
	if r := run(t, s.dial(t, sshtest.NewKey(t)), "join "+code, ""); r.code != 1 {
		t.Fatalf("a used invite worked again: %s", r)
	}
}

// An owner disconnects the shop: its tokens go, syncs and edits stop, the
// history stays readable; the normal connect flow links it back.
func TestDisconnectAndReconnect(t *testing.T) {
	s := startServer(t)
	_, c, rows := s.seller(t, "Ada Owner", "")
	target := pickRow(t, rows)

	shop := func() (name, status string) {
		r := run(t, c, "stores --format json", "")
		got := decode[[]struct {
			Name   string `json:"name"`
			Status string `json:"status"`
		}](t, r)
		if len(got) != 1 {
			t.Fatalf("stores: %s", r)
		}
		return got[0].Name, got[0].Status
	}
	status := func() string { _, st := shop(); return st }
	name, _ := shop()
	if r := run(t, c, fmt.Sprintf("store disconnect --store %q", name), ""); r.code != 0 {
		t.Fatalf("store disconnect: %s", r)
	}
	if got := status(); got != "disconnected" {
		t.Fatalf("status after disconnect: %s", got)
	}
	var tokens int
	if err := openDB(t, s, true).QueryRow(`SELECT COUNT(*) FROM stores WHERE access_token IS NOT NULL OR refresh_token IS NOT NULL`).Scan(&tokens); err != nil || tokens != 0 {
		t.Fatalf("%d stores still hold tokens (%v)", tokens, err)
	}
	if got := inventory(t, c); len(got) != len(rows) {
		t.Fatalf("%d rows readable after disconnect, want %d", len(got), len(rows))
	}
	if r := run(t, c, fmt.Sprintf("stock set %s %d", target.SKU, target.Quantity+1), ""); r.code != 1 || !strings.Contains(r.stderr, "disconnected") {
		t.Fatalf("stock set on a disconnected shop: %s", r)
	}
	if r := run(t, c, "sync", ""); r.code != 1 {
		t.Fatalf("sync of a disconnected shop: %s", r)
	}

	// Connect again, as the first time: the same shop, connected.
	tm := openTerm(t, c, "stores", 200, 60)
	tm.waitFor(t, "disconnected", 10*time.Second)
	tm.send(t, "c")
	browserConnect(t, linkOnScreen(t, tm.waitFor(t, "Waiting for Etsy", 10*time.Second)))
	deadline := time.Now().Add(10 * time.Second)
	for status() != "connected" {
		if time.Now().After(deadline) {
			t.Fatalf("status 10 s after reconnecting: %s", status())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if r := run(t, c, fmt.Sprintf("stock set %s %d", target.SKU, target.Quantity+1), ""); r.code != 0 {
		t.Fatalf("stock set after reconnecting: %s", r)
	}
}
