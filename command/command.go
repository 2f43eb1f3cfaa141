// Package command runs Stockroom's non-interactive SSH commands
// (`ssh host inventory --format csv`): the scriptable face of the same
// application layer the TUI uses, with the same identity, permissions and
// audit trail. The SSH server calls Run for a session without a terminal.
//
// Conventions every command follows: results on stdout, messages and errors
// on stderr; exit 0 on success, 1 on failure, 2 on a usage error; CSV per
// RFC 4180 with a header row; JSON with snake_case field names and RFC 3339
// UTC timestamps; tables sanitised like the TUI.
package command

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/charmbracelet/x/ansi"
	gossh "golang.org/x/crypto/ssh"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/safetext"
)

// Exit codes.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
)

// Env is what one command invocation runs with: the application layer, the
// account behind the SSH key that authenticated, and the session's streams.
type Env struct {
	App *app.Service
	// Actor is the zero Actor for a key without an account, which may run
	// only the commands that redeem a code (keys claim, join) and help.
	Actor  app.Actor
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// PublicKey is the key that authenticated, RemoteAddr where the
	// session comes from: a code redeemed here is for that key.
	PublicKey  gossh.PublicKey
	RemoteAddr string
}

// ForUnknownKey lists the commands a key without an account may run.
var ForUnknownKey = [][]string{{"keys", "claim"}, {"join"}, {"help"}}

// AllowedForUnknownKey tells whether args start with such a command.
func AllowedForUnknownKey(args []string) bool {
	for _, p := range ForUnknownKey {
		if len(args) >= len(p) && slices.Equal(args[:len(p)], p) {
			return true
		}
	}
	return false
}

// Run runs the command named by args (as the SSH client sent it, already
// split into words) and returns the process exit code.
func Run(ctx context.Context, env Env, args []string) int {
	if env.Stdin == nil {
		env.Stdin = strings.NewReader("")
	}
	if env.Stdout == nil {
		env.Stdout = io.Discard
	}
	if env.Stderr == nil {
		env.Stderr = io.Discard
	}
	r := &runner{ctx: ctx, env: env, app: env.App, actor: env.Actor}
	if env.Actor.Account.ID == 0 && !AllowedForUnknownKey(args) {
		r.errorf("this key has no account here: redeem a code with keys claim CODE or join CODE, or connect interactively to sign up")
		return ExitFailure
	}
	err := r.dispatch(root(), nil, args)
	return r.exit(err)
}

// command is one node of the command tree: a leaf runs, a group has subs.
type command struct {
	name    string
	args    string // synopsis after the name, e.g. "<sku> <quantity> [--store S]"
	summary string
	help    string // longer explanation shown by --help
	run     func(r *runner, c *invocation) error
	subs    []*command
}

func (c *command) sub(name string) *command {
	for _, s := range c.subs {
		if s.name == name {
			return s
		}
	}
	return nil
}

// invocation is one command being run: its path for messages and its
// arguments, parsed by flags.
type invocation struct {
	cmd  *command
	path string // "stock set"
	args []string
	out  *output // --format, when the command declared it
}

type runner struct {
	ctx   context.Context
	env   Env
	app   *app.Service
	actor app.Actor
}

// errHelpShown ends a command whose help was asked for: exit 0.
var errHelpShown = errors.New("help shown")

// usageError is a mistake in how a command was called: exit 2, with the
// command's synopsis.
type usageError struct {
	path string
	msg  string
}

func (e *usageError) Error() string { return e.msg }

func usagef(c *invocation, format string, a ...any) error {
	return &usageError{path: c.path, msg: fmt.Sprintf(format, a...)}
}

func (r *runner) dispatch(cmd *command, path []string, args []string) error {
	if len(cmd.subs) > 0 && cmd.run == nil {
		if len(args) == 0 {
			if len(path) == 0 {
				r.printHelp(r.env.Stderr, cmd, path)
				return &usageError{msg: "name a command"}
			}
			return &usageError{path: strings.Join(path, " "), msg: "name a subcommand: " + subNames(cmd)}
		}
		next := cmd.sub(args[0])
		if next == nil && isHelpFlag(args[0]) {
			r.printHelp(r.env.Stdout, cmd, path)
			return errHelpShown
		}
		if next == nil {
			if len(path) == 0 {
				return &usageError{msg: fmt.Sprintf("unknown command %q: run help to list them", safetext.Clean(args[0]))}
			}
			return &usageError{path: strings.Join(path, " "),
				msg: fmt.Sprintf("unknown subcommand %q: choose %s", safetext.Clean(args[0]), subNames(cmd))}
		}
		return r.dispatch(next, append(path, next.name), args[1:])
	}
	// A group with a default action (sync, stock): a known subcommand wins.
	if len(args) > 0 {
		if next := cmd.sub(args[0]); next != nil {
			return r.dispatch(next, append(path, next.name), args[1:])
		}
	}
	return cmd.run(r, &invocation{cmd: cmd, path: strings.Join(path, " "), args: args})
}

func subNames(cmd *command) string {
	names := make([]string, len(cmd.subs))
	for i, s := range cmd.subs {
		names[i] = s.name
	}
	return strings.Join(names, ", ")
}

func isHelpFlag(s string) bool {
	return s == "-h" || s == "-help" || s == "--help" || s == "help"
}

// exit reports err and picks the exit code.
func (r *runner) exit(err error) int {
	if err == nil {
		return ExitOK
	}
	if errors.Is(err, errHelpShown) {
		return ExitOK
	}
	var ue *usageError
	if errors.As(err, &ue) {
		r.errorf("%s", ue.msg)
		if ue.path != "" {
			if c := findPath(root(), ue.path); c != nil {
				fmt.Fprintf(r.env.Stderr, "usage: %s\n", synopsis(c, ue.path))
			}
			fmt.Fprintf(r.env.Stderr, "run %q for more\n", ue.path+" --help")
		}
		return ExitUsage
	}
	var amb *app.AmbiguousStoreError
	if errors.As(err, &amb) {
		if amb.Ref != "" {
			r.errorf("no store %q; choose one with --store (its id or name):", amb.Ref)
		} else {
			r.errorf("choose a store with --store (its id or name):")
		}
		for _, c := range amb.Choices {
			fmt.Fprintf(r.env.Stderr, "  %d\t%s\t%s\n", c.ID, safetext.Line(c.Name, 60), c.Role)
		}
		return ExitUsage
	}
	r.errorf("%s", describe(err))
	return ExitFailure
}

// errorf writes one message to stderr, every line cleaned: errors can carry
// text from Etsy or from the input.
func (r *runner) errorf(format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	for i, line := range strings.Split(msg, "\n") {
		if i == 0 {
			fmt.Fprintf(r.env.Stderr, "stockroom: %s\n", safetext.Clean(line))
			continue
		}
		// Keep the indentation of list items such as an import's lines.
		indent := line[:len(line)-len(strings.TrimLeft(line, " "))]
		fmt.Fprintf(r.env.Stderr, "%s%s\n", indent, safetext.Clean(line))
	}
}

// notef writes a progress or status message to stderr.
func (r *runner) notef(format string, a ...any) {
	fmt.Fprintln(r.env.Stderr, safetext.Clean(fmt.Sprintf(format, a...)))
}

func findPath(c *command, path string) *command {
	for _, name := range strings.Fields(path) {
		if c = c.sub(name); c == nil {
			return nil
		}
	}
	return c
}

func synopsis(c *command, path string) string {
	s := path
	if c.args != "" {
		s += " " + c.args
	}
	return s
}

// flags returns a flag set for the command whose errors go to stderr and
// whose help is printed by parse.
func (c *invocation) flags(r *runner) *flag.FlagSet {
	fs := flag.NewFlagSet(c.path, flag.ContinueOnError)
	fs.SetOutput(r.env.Stderr)
	fs.Usage = func() {}
	return fs
}

// parse parses c's arguments against fs. Flags are written --name or
// --name=value and may come before, between or after the positional
// arguments (`stock set MUG-1 4 --store 2`); a negative number is a
// positional argument (`stock add MUG-1 -3`), not a flag. A mistake gets
// one line naming it and where help is. It checks the count of positional
// arguments.
func (r *runner) parse(c *invocation, fs *flag.FlagSet, minPos, maxPos int) ([]string, error) {
	var flagArgs, pos []string
	args := c.args
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			pos = append(pos, args[i+1:]...)
			i = len(args)
		case a == "-h" || a == "--help" || a == "-help":
			r.printCommandHelp(c, fs)
			return nil, errHelpShown
		case len(a) > 1 && a[0] == '-' && !isNumber(a):
			name, value, hasValue := strings.Cut(strings.TrimPrefix(a, "--"), "=")
			f := fs.Lookup(name)
			switch {
			case !strings.HasPrefix(a, "--"):
				single := strings.TrimPrefix(name, "-")
				if fs.Lookup(single) != nil {
					return nil, c.flagError("unknown flag %s (flags take two dashes: --%s)", a, single)
				}
				return nil, c.flagError("unknown flag %s", a)
			case f == nil:
				return nil, c.flagError("unknown flag --%s", name)
			case isBoolFlag(f):
				flagArgs = append(flagArgs, a)
			case hasValue:
				flagArgs = append(flagArgs, "--"+name, value)
			case i+1 < len(args):
				i++
				flagArgs = append(flagArgs, "--"+name, args[i])
			default:
				return nil, c.flagError("--%s needs a value", name)
			}
		default:
			pos = append(pos, a)
		}
	}
	fs.SetOutput(io.Discard)
	if err := fs.Parse(flagArgs); err != nil {
		// Only a value the flag cannot read is left: say which, in one line.
		name, value := "", ""
		for i := 0; i+1 < len(flagArgs); i += 2 {
			f := fs.Lookup(strings.TrimPrefix(flagArgs[i], "--"))
			if f != nil && !isBoolFlag(f) && f.Value.Set(flagArgs[i+1]) != nil {
				name, value = f.Name, flagArgs[i+1]
				break
			}
		}
		if name == "" {
			return nil, c.flagError("%s", strings.ReplaceAll(err.Error(), " -", " --"))
		}
		return nil, c.flagError("--%s %q is not a number", name, value)
	}
	if c.out != nil {
		if err := c.out.check(c); err != nil {
			return nil, err
		}
	}
	if len(pos) < minPos {
		return nil, usagef(c, "missing arguments")
	}
	if maxPos >= 0 && len(pos) > maxPos {
		return nil, usagef(c, "unexpected argument %q", safetext.Clean(pos[maxPos]))
	}
	return pos, nil
}

// flagError is a mistake in a flag: one line that names it and where help
// is, not the flag package's list of every flag.
func (c *invocation) flagError(format string, a ...any) error {
	return &usageError{msg: fmt.Sprintf(format, a...) + fmt.Sprintf("; see 'help %s'", c.path)}
}

func isNumber(s string) bool {
	if s == "" {
		return false
	}
	if s[0] == '-' || s[0] == '+' {
		s = s[1:]
	}
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

func (r *runner) printCommandHelp(c *invocation, fs *flag.FlagSet) {
	w := r.env.Stdout
	fmt.Fprintf(w, "usage: %s\n\n%s\n", synopsis(c.cmd, c.path), c.cmd.summary)
	if c.cmd.help != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(c.cmd.help))
	}
	if len(c.cmd.subs) > 0 {
		fmt.Fprintln(w, "\nsubcommands:")
		var rows [][2]string
		for _, s := range c.cmd.subs {
			rows = append(rows, [2]string{synopsis(s, c.path+" "+s.name), s.summary})
		}
		writeColumns(w, rows)
	}
	printFlags(w, fs)
}

// printFlags lists fs's flags as they are typed, --name VALUE, with their
// descriptions in one column.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	var rows [][2]string
	fs.VisitAll(func(f *flag.Flag) {
		name, usage := flag.UnquoteUsage(f)
		left := "--" + f.Name
		if !isBoolFlag(f) {
			if name == "" || name == "string" || name == "int" || name == "value" {
				name = "VALUE"
			}
			left += " " + name
			if f.DefValue != "" && f.DefValue != "0" {
				usage += " (default " + f.DefValue + ")"
			}
		}
		rows = append(rows, [2]string{left, usage})
	})
	if len(rows) == 0 {
		return
	}
	fmt.Fprintln(w, "\nflags:")
	writeColumns(w, rows)
}

// writeColumns writes two-column help lines, the second column starting at
// one place however long the first gets.
func writeColumns(w io.Writer, rows [][2]string) {
	width := 0
	for _, rw := range rows {
		width = max(width, ansi.StringWidth(rw[0]))
	}
	for _, rw := range rows {
		fmt.Fprintf(w, "  %s%s   %s\n", rw[0], strings.Repeat(" ", width-ansi.StringWidth(rw[0])), rw[1])
	}
}

// printHelp lists the commands below cmd.
func (r *runner) printHelp(w io.Writer, cmd *command, path []string) {
	if len(path) == 0 {
		fmt.Fprintln(w, "Stockroom commands. Run `ssh <host> <command>` without a terminal; add --help to any command for its flags.")
	} else {
		fmt.Fprintf(w, "usage: %s <subcommand>\n\n%s\n", strings.Join(path, " "), cmd.summary)
	}
	fmt.Fprintln(w)
	var rows [][2]string
	var walk func(c *command, prefix string)
	walk = func(c *command, prefix string) {
		for _, s := range c.subs {
			p := strings.TrimSpace(prefix + " " + s.name)
			if s.run != nil {
				rows = append(rows, [2]string{synopsis(s, p), s.summary})
			}
			walk(s, p)
		}
	}
	walk(cmd, strings.Join(path, " "))
	writeColumns(w, rows)
}
