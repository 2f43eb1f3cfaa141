package command

import (
	"strings"
	"testing"
)

// A list with nothing in it is a note on stderr for people and an empty
// JSON list for programs, never a table of headers alone or a null.
func TestEmptyListsNoteForPeopleAndEmptyJSONForPrograms(t *testing.T) {
	f := newFixture(t)
	zed := f.signUp(t, "Zed")
	for _, c := range []struct {
		args []string
		note string
	}{
		{[]string{"alerts"}, "no alerts"},
		{[]string{"sync", "log"}, "no syncs yet"},
		{[]string{"sales"}, "no sales since"},
		{[]string{"inventory", "--filter", "no such sku"}, "no rows match"},
		{[]string{"members", "invites"}, "no open invites"},
		{[]string{"keys", "links"}, "no open link codes"},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			r := f.run(t, f.owner, "", c.args...).want(t, ExitOK)
			if r.stdout != "" || !strings.Contains(r.stderr, c.note) {
				t.Errorf("table: stdout %q, stderr %q; want only the note %q", r.stdout, r.stderr, c.note)
			}
			r = f.run(t, f.owner, "", append(c.args, "--format", "json")...).want(t, ExitOK)
			if strings.TrimSpace(r.stdout) != "[]" || r.stderr != "" {
				t.Errorf("json: stdout %q, stderr %q; want []", r.stdout, r.stderr)
			}
		})
	}
	r := f.run(t, zed, "", "stores").want(t, ExitOK)
	if r.stdout != "" || !strings.Contains(r.stderr, "no stores yet") {
		t.Errorf("stores of an account with none: stdout %q, stderr %q", r.stdout, r.stderr)
	}
}
