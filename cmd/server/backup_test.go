package main

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stockroom/stockroom/seal"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/store/sqlite"
	"github.com/stockroom/stockroom/store/storetest"
	"github.com/stockroom/stockroom/vault"
)

// shopDataDir is a data dir with a development key and a database holding
// an account and a shop whose tokens are sealed with that key.
func shopDataDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	spec, _, err := seal.LoadOrCreateDevKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	ring, err := seal.ParseKeyring(spec)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(t.Context(), sqlitePath(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Unix(1_790_000_000, 0)
	acct, err := db.AccountCreate(t.Context(), &store.AccountCreateParams{Name: "Ada", Email: "ada@example.com",
		Fingerprint: "SHA256:ada", PublicKey: "ssh-ed25519 AAAA ada", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	for shop := int64(501); shop <= 502; shop++ {
		access, _ := ring.Seal([]byte(fmt.Sprintf("access-%d", shop)), vault.AccessTokenAD(shop))
		refresh, _ := ring.Seal([]byte(fmt.Sprintf("refresh-%d", shop)), vault.RefreshTokenAD(shop))
		if _, err := db.StoreConnect(t.Context(), &store.StoreConnectParams{AccountID: acct.ID, EtsyShopID: shop, EtsyUserID: 9,
			Name: fmt.Sprintf("Shop %d", shop), Currency: "EUR", AccessToken: access, RefreshToken: refresh, TokenExpiresAt: now.Add(time.Hour), Now: now}); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// dumpRows reads every row of every table, in a stable order.
func dumpRows(t *testing.T, path string) map[string][][]any {
	t.Helper()
	db, err := sqlite.OpenRaw(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tables, err := storetest.QueryStrings(t.Context(), db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][][]any{}
	for _, tbl := range tables {
		out[tbl] = readAll(t, db, "SELECT * FROM "+tbl+" ORDER BY 1")
	}
	return out
}

func readAll(t *testing.T, db *sql.DB, q string) [][]any {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		out = append(out, vals)
	}
	return out
}

// Backup, change the database, restore: every row is back as it was, the
// replaced database is kept aside, and the backup is readable by its owner
// only.
func TestBackupRestoreRoundTripYieldsIdenticalRows(t *testing.T) {
	dir := shopDataDir(t)
	want := dumpRows(t, sqlitePath(dir))
	if len(want["stores"]) != 2 || len(want["accounts"]) != 1 {
		t.Fatalf("seed: %d stores, %d accounts", len(want["stores"]), len(want["accounts"]))
	}
	file := filepath.Join(t.TempDir(), "b.db")
	code, out, stderr := runCmd(t, dir, "backup", "--to", file)
	if code != 0 || !strings.Contains(out, file) {
		t.Fatalf("backup: exit %d %q %q", code, out, stderr)
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v %v", fi.Mode(), err)
	}
	if b, _ := os.ReadFile(file); strings.Contains(string(b), "access-501") || strings.Contains(string(b), "refresh-502") {
		t.Fatal("the backup holds a token in the clear")
	}
	if code, _, stderr := runCmd(t, dir, "backup", "--to", file); code != 1 || !strings.Contains(stderr, "exists") {
		t.Fatalf("backup over an existing file: exit %d %q", code, stderr)
	}

	// Change the live database after the backup.
	execSQLite(t, sqlitePath(dir), "DELETE FROM stores WHERE etsy_shop_id = 502")

	code, out, stderr = runCmd(t, dir, "restore", file)
	if code != 0 || !strings.Contains(out, "schema version") || !strings.Contains(out, "2 stores") || !strings.Contains(out, "key dev") {
		t.Fatalf("restore: exit %d %q %q", code, out, stderr)
	}
	if got := dumpRows(t, sqlitePath(dir)); !reflect.DeepEqual(got, want) {
		t.Fatalf("restored rows differ:\n got %v\nwant %v", got["stores"], want["stores"])
	}
	aside, _ := filepath.Glob(sqlitePath(dir) + ".replaced-*")
	if len(aside) == 0 {
		t.Fatal("the replaced database was not kept")
	}
	if kept := dumpRows(t, aside[0]); len(kept["stores"]) != 1 {
		t.Fatalf("the database kept aside has %d stores, want the 1 it had", len(kept["stores"]))
	}
}

func TestRestoreRefusedWhileAServerRuns(t *testing.T) {
	dir := shopDataDir(t)
	file := filepath.Join(t.TempDir(), "b.db")
	if code, _, stderr := runCmd(t, dir, "backup", "--to", file); code != 0 {
		t.Fatal(stderr)
	}
	release, err := lockDataDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	if code, _, stderr := runCmd(t, dir, "restore", file); code != 1 || !strings.Contains(stderr, "stop the server first") {
		t.Fatalf("exit %d %q", code, stderr)
	}
}

// A backup restored where the key that sealed its tokens is not in the
// key ring is refused, naming the key id to add.
func TestRestoreWithoutTheKeyNamesTheMissingKeyID(t *testing.T) {
	dir := shopDataDir(t)
	file := filepath.Join(t.TempDir(), "b.db")
	if code, _, stderr := runCmd(t, dir, "backup", "--to", file); code != 0 {
		t.Fatal(stderr)
	}
	other, err := seal.GenerateKeySpec("k2026")
	if err != nil {
		t.Fatal(err)
	}
	target := t.TempDir()
	var stdout, stderr strings.Builder
	env := map[string]string{"STOCKROOM_DATA_DIR": target, "STOCKROOM_ENCRYPTION_KEYS": other}
	code := run([]string{"restore", file}, func(k string) string { return env[k] }, &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "sealed with key id dev") || !strings.Contains(stderr.String(), "STOCKROOM_ENCRYPTION_KEYS") {
		t.Fatalf("exit %d %q", code, stderr.String())
	}
	if _, err := os.Stat(sqlitePath(target)); err == nil {
		t.Fatal("a refused restore wrote a database")
	}
	// A key with the right id but other material is named too.
	wrongDev, _ := seal.GenerateKeySpec("dev")
	env["STOCKROOM_ENCRYPTION_KEYS"] = wrongDev
	stderr.Reset()
	if code := run([]string{"restore", file}, func(k string) string { return env[k] }, &stdout, &stderr); code != 1 ||
		!strings.Contains(stderr.String(), "key id dev in this server's key ring is not the key that sealed") {
		t.Fatalf("wrong key material: exit %d %q", code, stderr.String())
	}
}

func TestRestoreRefusesACorruptOrForeignFile(t *testing.T) {
	dir := shopDataDir(t)
	before := dumpRows(t, sqlitePath(dir))
	junk := filepath.Join(t.TempDir(), "junk.db")
	if err := os.WriteFile(junk, []byte("this is not a database, just some bytes long enough to look like one............"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCmd(t, dir, "restore", junk); code != 1 || !strings.Contains(stderr, "refused") {
		t.Fatalf("junk: exit %d %q", code, stderr)
	}
	foreign := filepath.Join(t.TempDir(), "foreign.db")
	execSQLite(t, foreign, "CREATE TABLE x (a INTEGER)")
	if code, _, stderr := runCmd(t, dir, "restore", foreign); code != 1 || !strings.Contains(stderr, "not a Stockroom database") {
		t.Fatalf("foreign: exit %d %q", code, stderr)
	}
	if after := dumpRows(t, sqlitePath(dir)); !reflect.DeepEqual(before, after) {
		t.Fatal("a refused restore changed the database")
	}
}
