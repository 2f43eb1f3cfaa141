package command

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stockroom/stockroom/app"
)

// activity --format json shows each change with who, before/after, source
// and Etsy's outcome, in snake_case with RFC 3339 UTC times.
func TestActivityJSON(t *testing.T) {
	f := newFixture(t)
	f.run(t, f.owner, "", "stock", "set", "MUG-1", "4").want(t, ExitOK)
	r := f.run(t, f.owner, "", "activity", "--format", "json").want(t, ExitOK)
	wantKeys(t, r.stdout, "id", "created_at", "store_id", "who", "account_id", "key_fingerprint", "source", "kind", "subject", "title",
		"before", "after", "before_quantity", "after_quantity", "batch_id", "undo_of", "note", "etsy")
	var evs []activityJSON
	if err := json.Unmarshal([]byte(r.stdout), &evs); err != nil {
		t.Fatal(err)
	}
	var edit *activityJSON
	for i := range evs {
		if evs[i].Kind == "stock.set" {
			edit = &evs[i]
			break
		}
	}
	if edit == nil {
		t.Fatalf("no stock.set in %s", r.stdout)
	}
	if edit.Subject != "MUG-1" || edit.Before != "10" || edit.After != "4" || edit.Source != "command" || edit.Who != "Ada" ||
		edit.KeyFingerprint != f.owner.Fingerprint || edit.Etsy == nil || edit.Etsy.Outcome != "pending" {
		t.Fatalf("edit event %+v", edit)
	}
	if _, err := time.Parse(time.RFC3339, edit.CreatedAt); err != nil || !strings.HasSuffix(edit.CreatedAt, "Z") {
		t.Errorf("created_at %q is not RFC 3339 UTC", edit.CreatedAt)
	}
}

// Filters and CSV: --who, --kind, --filter, --since/--until; a header and
// one record per event.
func TestActivityFiltersAndCSV(t *testing.T) {
	f := newFixture(t)
	f.run(t, f.owner, "", "stock", "set", "MUG-1", "4").want(t, ExitOK)
	f.run(t, f.owner, "", "stock", "set", "MUG-2", "5").want(t, ExitOK)
	recs := readCSV(t, f.run(t, f.owner, "", "activity", "--format", "csv", "--kind", "stock", "--filter", "mug-2").want(t, ExitOK).stdout)
	if len(recs) != 2 || recs[0][0] != "id" || recs[1][8] != "MUG-2" || recs[1][10] != "11" || recs[1][11] != "5" {
		t.Fatalf("csv %q", recs)
	}
	if recs := readCSV(t, f.run(t, f.owner, "", "activity", "--format", "csv", "--who", "Vic").want(t, ExitOK).stdout); len(recs) != 1 {
		t.Errorf("--who Vic: %d records, want the header only", len(recs)-1)
	}
	if recs := readCSV(t, f.run(t, f.owner, "", "activity", "--format", "csv", "--kind", "stock.set", "--who", "ada", "--since", "1h").want(t, ExitOK).stdout); len(recs) != 3 {
		t.Errorf("--who ada --since 1h: %d records, want 2", len(recs)-1)
	}
	if recs := readCSV(t, f.run(t, f.owner, "", "activity", "--format", "csv", "--until", "2000-01-01").want(t, ExitOK).stdout); len(recs) != 1 {
		t.Errorf("--until 2000-01-01: %d records", len(recs)-1)
	}
	r := f.run(t, f.owner, "", "activity", "--since", "yesterday").want(t, ExitUsage)
	contains(t, "bad --since", r.stderr, "--since")
	r = f.run(t, f.owner, "", "activity").want(t, ExitOK)
	contains(t, "table", r.stdout, "ID", "WHO", "MUG-1", "10 → 4", "pending")
}

// undo sets the value back, says what it did, and is refused to viewers;
// a row moved since is refused without --force and reversed with it.
func TestUndoCommand(t *testing.T) {
	f := newFixture(t)
	f.run(t, f.owner, "", "stock", "set", "MUG-1", "4").want(t, ExitOK)
	id := lastEdit(t, f)
	r := f.run(t, f.viewer, "", "undo", id).want(t, ExitFailure)
	contains(t, "viewer undo", r.stderr, "viewers")
	r = f.run(t, f.owner, "", "undo", id).want(t, ExitOK)
	contains(t, "undo", r.stdout, "MUG-1", "10 → 4", "10")
	if q := f.quantities(t, f.store.ID); q["MUG-1"] != 10 {
		t.Fatalf("after undo %v", q)
	}
	// The row moves (a new edit), then the first undo is taken back.
	undoID := lastEdit(t, f)
	f.run(t, f.owner, "", "stock", "set", "MUG-1", "8").want(t, ExitOK)
	r = f.run(t, f.owner, "", "undo", undoID).want(t, ExitFailure)
	contains(t, "moved", r.stderr, "changed since", "now 8", "--force")
	if q := f.quantities(t, f.store.ID); q["MUG-1"] != 8 {
		t.Fatalf("refused undo changed the row: %v", q)
	}
	f.run(t, f.owner, "", "undo", undoID, "--force").want(t, ExitOK)
	if q := f.quantities(t, f.store.ID); q["MUG-1"] != 2 {
		t.Fatalf("forced undo of 4 → 10 at 8: %v, want 2", q)
	}
	f.run(t, f.owner, "", "undo", "abc").want(t, ExitUsage)
	f.run(t, f.owner, "", "undo").want(t, ExitUsage)
	r = f.run(t, f.owner, "", "undo", "99999").want(t, ExitFailure)
	contains(t, "unknown event", r.stderr, "no activity event 99999")
}

// An import names its batch, and undo --batch takes it all back.
func TestUndoBatchCommand(t *testing.T) {
	f := newFixture(t)
	r := f.run(t, f.owner, "sku,quantity\nMUG-1,1\nMUG-2,2\nMUG-3,3\n", "stock", "import").want(t, ExitOK)
	_, after, ok := strings.Cut(r.stderr, "undo --batch ")
	if !ok {
		t.Fatalf("import does not name its batch: %s", r.stderr)
	}
	batch := strings.TrimSpace(after)
	f.run(t, f.owner, "", "undo", "--batch", batch).want(t, ExitOK)
	if q := f.quantities(t, f.store.ID); q["MUG-1"] != 10 || q["MUG-2"] != 11 || q["MUG-3"] != 12 {
		t.Fatalf("after batch undo %v", q)
	}
	f.run(t, f.owner, "", "undo", "--batch", batch, "7").want(t, ExitUsage)
}

func lastEdit(t *testing.T, f *fixture) string {
	t.Helper()
	var evs []activityJSON
	r := f.run(t, f.owner, "", "activity", "--kind", "stock.set", "--limit", "1", "--format", "json").want(t, ExitOK)
	if err := json.Unmarshal([]byte(r.stdout), &evs); err != nil || len(evs) != 1 {
		t.Fatalf("last edit: %v %s", err, r.stdout)
	}
	return strconv.FormatInt(evs[0].ID, 10)
}

// --admin is the admin ledger, for admins only; --account the account's own.
func TestActivityAdminAndAccountLedgers(t *testing.T) {
	f := newFixture(t)
	r := f.run(t, f.owner, "", "activity", "--admin").want(t, ExitFailure)
	contains(t, "non-admin", r.stderr, "only admins")
	// Admin rights come from the key of the session, named in the server's
	// configuration.
	f.app = app.New(app.Config{Store: f.db, Jobs: f.jobs, Hub: f.hub, SignupOpen: true,
		AdminFingerprints: map[string]bool{f.owner.Fingerprint: true}})
	if err := f.app.AdminSetDisabled(t.Context(), f.owner, f.viewer.Account.ID, true); err != nil {
		t.Fatal(err)
	}
	recs := readCSV(t, f.run(t, f.owner, "", "activity", "--admin", "--format", "csv").want(t, ExitOK).stdout)
	if len(recs) != 2 || recs[1][7] != "account.disable" || recs[1][6] != "admin" || recs[1][3] != "Ada" {
		t.Fatalf("admin ledger %q", recs)
	}
	recs = readCSV(t, f.run(t, f.owner, "", "activity", "--account", "--format", "csv").want(t, ExitOK).stdout)
	if len(recs) != 1 {
		t.Fatalf("owner's own ledger %q: nothing happened to the account", recs)
	}
}
