package e2e

import (
	"encoding/csv"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stockroom/stockroom/internal/sshtest"
)

// Issue 17: the README's round trip on the demo shop. inventory --format
// csv, change three numbers, stock import: it reported 137 invalid rows
// (empty SKUs, SKUs shared by several listings). The export must import
// back unchanged, and the three edits, whatever rows they are on, apply.
func TestDemoShopExportImportsBackUnchanged(t *testing.T) {
	s := startServer(t)
	seller := sshtest.NewKey(t)
	signUp(t, s, seller, "Rita", "")
	c := s.dial(t, seller)
	connectShop(t, s, c)

	// Issue 17: the first sync after connecting was labelled manual.
	runs := decode[[]struct {
		Kind    string `json:"kind"`
		Trigger string `json:"trigger"`
	}](t, run(t, c, "sync log --format json", ""))
	if len(runs) == 0 || runs[len(runs)-1].Trigger != "connect" || runs[len(runs)-1].Kind != "full" {
		t.Errorf("the first sync after connecting: %+v", runs)
	}

	export := run(t, c, "inventory --format csv", "")
	expect(t, export, 0)
	recs, err := csv.NewReader(strings.NewReader(export.stdout)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	skuCount := map[string]int{}
	for _, r := range recs[1:] {
		skuCount[r[col["sku"]]]++
	}
	// The demo shop has what broke the round trip: rows without a SKU and
	// SKUs shared by several rows. Edit one of each, and one plain row.
	pick := map[string]int{} // kind → record index
	for i, r := range recs[1:] {
		sku := r[col["sku"]]
		switch {
		case sku == "" && pick["empty"] == 0:
			pick["empty"] = i + 1
		case sku != "" && skuCount[sku] > 1 && pick["shared"] == 0:
			pick["shared"] = i + 1
		case sku != "" && skuCount[sku] == 1 && pick["own"] == 0:
			pick["own"] = i + 1
		}
	}
	if len(pick) != 3 {
		t.Fatalf("the demo shop lacks a row of each kind: %v", pick)
	}

	// Unchanged, it imports as a no-op.
	r := run(t, c, "stock import --dry-run", export.stdout)
	expect(t, r, 0)
	if !strings.Contains(r.stdout+r.stderr, "0 row(s) would change") {
		t.Fatalf("the unchanged export does not import as a no-op: %s", r)
	}

	type key struct{ listing, product string }
	want := map[key]int{}
	for _, i := range pick {
		q, _ := strconv.Atoi(recs[i][col["quantity"]])
		q = (q + 7) % 1000
		recs[i][col["quantity"]] = strconv.Itoa(q)
		want[key{recs[i][col["listing_id"]], recs[i][col["product_id"]]}] = q
	}
	var b strings.Builder
	w := csv.NewWriter(&b)
	_ = w.WriteAll(recs)
	r = run(t, c, "stock import", b.String())
	expect(t, r, 0)
	if !strings.Contains(r.stdout+r.stderr, "3 row(s) changed") {
		t.Fatalf("import: %s", r)
	}

	after, err := csv.NewReader(strings.NewReader(run(t, c, "inventory --format csv", "").stdout)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	before := map[key]string{}
	for _, r := range recs[1:] {
		before[key{r[col["listing_id"]], r[col["product_id"]]}] = r[col["quantity"]]
	}
	changed := 0
	for _, r := range after[1:] {
		k := key{r[col["listing_id"]], r[col["product_id"]]}
		if r[col["quantity"]] != before[k] {
			t.Errorf("row %v is %s after the import, want %s", k, r[col["quantity"]], before[k])
		}
		if q, ok := want[k]; ok && r[col["quantity"]] == fmt.Sprint(q) {
			changed++
		}
	}
	if changed != 3 || len(after) != len(recs) {
		t.Fatalf("%d of 3 edits applied; %d rows after, %d before", changed, len(after), len(recs))
	}
}

// Issue 17: the connect link came broken into hard lines (copied, a broken
// URL) and the QR code needed a tall terminal. On 80×24 over SSH the link
// is one line that opens the consent page, with the QR code beside it.
func TestConnectLinkWholeOn80x24(t *testing.T) {
	s := startServer(t)
	seller := sshtest.NewKey(t)
	signUp(t, s, seller, "Nia", "")
	c := s.dial(t, seller)
	tm := openTerm(t, c, "stores", 80, 24)
	tm.waitFor(t, tabBar, 10*time.Second)
	tm.send(t, "c")
	sc := tm.waitFor(t, "Waiting for Etsy", 10*time.Second)
	var link string
	for _, line := range strings.Split(sc, "\n") {
		if l := strings.TrimSpace(line); strings.HasPrefix(l, "http://") {
			link = l
		}
	}
	if !strings.HasPrefix(link, "http://"+s.httpAddr+"/c/") || !strings.Contains(sc, "█") {
		t.Fatalf("the 80×24 connect screen:\n%s", sc)
	}
	// The one line is the whole link: the browser leg works from it.
	browserConnect(t, link)
	// Connected, the session moves to the new shop's inventory.
	tm.waitFor(t, "rows · sorted by", 10*time.Second)
}

// Issue 11 item 5: with umask 022 the database, -wal and -shm were 0644.
// The server's whole data dir is private, whatever umask it started with.
func TestDataFilesPrivate(t *testing.T) {
	old := syscall.Umask(0o022) // the server inherits it
	s := startServer(t)
	syscall.Umask(old)
	err := filepath.WalkDir(s.dataDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		want := os.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
		}
		if info.Mode().Perm() != want {
			t.Errorf("%s is %04o, want %04o", path, info.Mode().Perm(), want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"stockroom.db", "stockroom.db-wal", "ssh_host_ed25519", "dev-encryption.key"} {
		if _, err := os.Stat(filepath.Join(s.dataDir, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}
