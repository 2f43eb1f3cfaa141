package command

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// Issue 17: an unknown flag printed Go's flag dump; help showed -flag while
// the README uses --flag.
func TestUnknownFlagIsOneLine(t *testing.T) {
	f := newFixture(t)
	r := f.run(t, f.owner, "", "stock", "set", "--bogus", "MUG-1", "4").want(t, ExitUsage)
	if r.stderr != "stockroom: unknown flag --bogus; see 'help stock set'\n" {
		t.Errorf("stderr %q", r.stderr)
	}
	r = f.run(t, f.owner, "", "inventory", "-store", "1").want(t, ExitUsage)
	if r.stderr != "stockroom: unknown flag -store (flags take two dashes: --store); see 'help inventory'\n" {
		t.Errorf("stderr %q", r.stderr)
	}
	r = f.run(t, f.owner, "", "sync", "log", "--limit", "many").want(t, ExitUsage)
	if r.stderr != "stockroom: --limit \"many\" is not a number; see 'help sync log'\n" {
		t.Errorf("stderr %q", r.stderr)
	}
	r = f.run(t, f.owner, "", "inventory", "--store").want(t, ExitUsage)
	if r.stderr != "stockroom: --store needs a value; see 'help inventory'\n" {
		t.Errorf("stderr %q", r.stderr)
	}
	// --flag=value and flags anywhere still work.
	f.run(t, f.owner, "", "inventory", "--format=json", "--store=5001").want(t, ExitOK)
}

func TestHelpUsesOneFlagStyleAligned(t *testing.T) {
	f := newFixture(t)
	r := f.run(t, f.owner, "", "inventory", "--help").want(t, ExitOK)
	for _, want := range []string{"  --store S", "  --format F", "  --low ", "  --filter TEXT", "  --raw "} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("help lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "\n  -store") || strings.Contains(r.stdout, "\n  -format") {
		t.Errorf("help shows single-dash flags:\n%s", r.stdout)
	}
	// The descriptions start in one column.
	col := -1
	for _, line := range strings.Split(r.stdout, "\n") {
		if !strings.HasPrefix(line, "  --") {
			continue
		}
		i := strings.Index(line[4:], "  ")
		rest := strings.TrimLeft(line[4+i:], " ")
		at := len(line) - len(rest)
		if col >= 0 && at != col {
			t.Errorf("flag help not aligned:\n%s", r.stdout)
			break
		}
		col = at
	}
	// And the command list.
	r = f.run(t, f.owner, "", "help").want(t, ExitOK)
	col = -1
	for _, line := range strings.Split(r.stdout, "\n") {
		if !strings.HasPrefix(line, "  ") || strings.TrimSpace(line) == "" {
			continue
		}
		i := strings.Index(line, "   ")
		if i < 0 {
			t.Errorf("help line without a gap: %q", line)
			continue
		}
		at := i + len(line[i:]) - len(strings.TrimLeft(line[i:], " "))
		if col >= 0 && at != col {
			t.Errorf("help columns not aligned at %q:\n%s", line, r.stdout)
			break
		}
		col = at
	}
}

// Issue 17: table columns did not line up after CJK text (two cells a
// character); the TUI already counts cells.
func TestTablesAlignWithCJK(t *testing.T) {
	f := newFixture(t)
	f.writeTitled(t, "手作りの茶碗", "茶碗-1")
	r := f.run(t, f.owner, "", "inventory").want(t, ExitOK)
	lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
	col := func(line string) int {
		i := strings.Index(line, "Hand-thrown")
		if i < 0 {
			i = strings.Index(line, "手作り")
		}
		if i < 0 {
			i = strings.Index(line, "TITLE")
		}
		return ansi.StringWidth(line[:i])
	}
	want := col(lines[0])
	for _, line := range lines[1:] {
		if got := col(line); got != want {
			t.Errorf("TITLE column at %d, want %d:\n%s", got, want, r.stdout)
		}
	}
}

// Issue 17: summaries go to stderr, results to stdout.
func TestSyncSummaryOnStderr(t *testing.T) {
	f := newFixture(t)
	r := f.run(t, f.owner, "", "sync").want(t, ExitOK)
	if r.stdout != "" || !strings.Contains(r.stderr, "queued") {
		t.Errorf("stdout %q, stderr %q", r.stdout, r.stderr)
	}
}
