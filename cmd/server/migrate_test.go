package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/stockroom/stockroom/migrations"
	"github.com/stockroom/stockroom/store/sqlite"
)

// envFor is the environment of a server or command on dataDir.
func envFor(dataDir string) func(string) string {
	env := map[string]string{"STOCKROOM_DATA_DIR": dataDir, "STOCKROOM_HTTP_ADDR": "127.0.0.1:0", "STOCKROOM_SSH_ADDR": "127.0.0.1:0",
		"STOCKROOM_SANDBOX_ADDR": "127.0.0.1:0", "STOCKROOM_LOG_FORMAT": "json"}
	return func(k string) string { return env[k] }
}

// newDataDir makes a data dir with a migrated SQLite database.
func newDataDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	db, err := sqlite.Open(t.Context(), sqlitePath(dir))
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	return dir
}

// execSQLite runs statement on the SQLite file at path, as another program
// would, behind the server's back.
func execSQLite(t *testing.T, path, statement string) {
	t.Helper()
	raw, err := sqlite.OpenRaw(path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(statement); err != nil {
		t.Fatal(err)
	}
}

func knownSchema(t *testing.T) int64 {
	t.Helper()
	s, err := migrations.Open(nil, migrations.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	k, err := s.Known()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func runCmd(t *testing.T, dir string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, envFor(dir), &out, &errOut)
	return code, out.String(), errOut.String()
}

// A binary rolled back after an upgrade finds a schema it does not know:
// it must not start on it, and must say what to do.
func TestSchemaNewerThanTheBinaryRefusesToStart(t *testing.T) {
	dir := newDataDir(t)
	execSQLite(t, sqlitePath(dir), "INSERT INTO goose_db_version (version_id, is_applied) VALUES (999, 1)")
	code, _, stderr := runCmd(t, dir)
	known := knownSchema(t)
	if code != 2 || !strings.Contains(stderr, "version 999") || !strings.Contains(stderr, fmt.Sprintf("up to %d", known)) ||
		!strings.Contains(stderr, fmt.Sprintf("stockroom migrate down --to %d", known)) {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

func TestMigrateStatusDownAndUp(t *testing.T) {
	dir := newDataDir(t)
	known := knownSchema(t)
	code, out, stderr := runCmd(t, dir, "migrate", "status")
	if code != 0 || !strings.Contains(out, fmt.Sprintf("schema version %d;", known)) || !strings.Contains(out, "00001_init.sql") || strings.Contains(out, "pending") {
		t.Fatalf("status: exit %d\n%s%s", code, out, stderr)
	}
	if code, out, stderr = runCmd(t, dir, "migrate", "down", "--to", "1"); code != 0 || !strings.Contains(out, "schema version 1;") {
		t.Fatalf("down: exit %d\n%s%s", code, out, stderr)
	}
	if code, out, _ = runCmd(t, dir, "migrate", "status"); code != 0 || !strings.Contains(out, "pending") {
		t.Fatalf("status after down: exit %d\n%s", code, out)
	}
	if code, out, stderr = runCmd(t, dir, "migrate", "up"); code != 0 || !strings.Contains(out, fmt.Sprintf("schema version %d;", known)) {
		t.Fatalf("up: exit %d\n%s%s", code, out, stderr)
	}
	if code, _, stderr = runCmd(t, dir, "migrate", "down"); code != 2 || !strings.Contains(stderr, "--to N") {
		t.Fatalf("down without --to: exit %d %q", code, stderr)
	}
}

func TestMigrateRefusedWhileAServerHoldsTheDataDir(t *testing.T) {
	dir := newDataDir(t)
	release, err := lockDataDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	code, _, stderr := runCmd(t, dir, "migrate", "down", "--to", "1")
	if code != 1 || !strings.Contains(stderr, "another stockroom process is using this data directory") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	// A second server on the same SQLite file is refused the same way.
	if code, _, stderr = runCmd(t, dir); code != 2 || !strings.Contains(stderr, "stop the server first") {
		t.Fatalf("second server: exit %d, stderr %q", code, stderr)
	}
}

func TestVersionIsPrinted(t *testing.T) {
	old := version
	version = "v9.9.9-test"
	defer func() { version = old }()
	for _, arg := range []string{"--version", "version"} {
		code, out, _ := runCmd(t, t.TempDir(), arg)
		if code != 0 || out != "stockroom v9.9.9-test\n" {
			t.Fatalf("%s: exit %d %q", arg, code, out)
		}
	}
}
