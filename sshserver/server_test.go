// Tests over real SSH connections on the loopback interface, with a fake TUI
// and a fake command runner standing in for the real faces.
package sshserver

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	gossh "golang.org/x/crypto/ssh"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/internal/logtest"
	"github.com/stockroom/stockroom/internal/seclog"
	"github.com/stockroom/stockroom/internal/sshtest"
	"github.com/stockroom/stockroom/internal/testwait"
	"github.com/stockroom/stockroom/store"
)

// fakeAccounts maps key fingerprints to accounts.
type fakeAccounts struct {
	mu       sync.Mutex
	byKey    map[string]store.Account
	signup   bool
	watchers map[string][]chan error
}

func (f *fakeAccounts) Identify(_ context.Context, fp string) (app.Actor, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	acct, ok := f.byKey[fp]
	if !ok {
		return app.Actor{}, app.ErrUnknownKey
	}
	if acct.Disabled {
		return app.Actor{}, app.ErrDisabled
	}
	return app.Actor{Account: acct, Fingerprint: fp}, nil
}

func (f *fakeAccounts) SignupOpen() bool { return f.signup }

// WatchAccess ends sessions of a key when the test withdraws it.
func (f *fakeAccounts) WatchAccess(ctx context.Context, fp string, _ int64) <-chan error {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch := make(chan error, 1)
	if f.watchers == nil {
		f.watchers = map[string][]chan error{}
	}
	f.watchers[fp] = append(f.watchers[fp], ch)
	go func() {
		// Closed with the session, as the real watch is.
		<-ctx.Done()
		f.mu.Lock()
		defer f.mu.Unlock()
		for i, c := range f.watchers[fp] {
			if c == ch {
				f.watchers[fp] = append(f.watchers[fp][:i], f.watchers[fp][i+1:]...)
				close(ch)
				return
			}
		}
	}()
	return ch
}

// withdraw tells every session of key that err ended its access.
func (f *fakeAccounts) withdraw(k gossh.Signer, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fp := gossh.FingerprintSHA256(k.PublicKey())
	for _, ch := range f.watchers[fp] {
		ch <- err
		close(ch)
	}
	delete(f.watchers, fp)
}

func (f *fakeAccounts) add(k gossh.Signer, acct store.Account) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.byKey[gossh.FingerprintSHA256(k.PublicKey())] = acct
}

// fakeTUI shows who it serves and redraws on a ticker, so the idle timeout
// is tested against a screen that keeps changing. "p" panics, "q" quits.
type fakeTUI struct {
	p     TUIParams
	ticks atomic.Int32
	keys  atomic.Int32 // keypresses reported to OnActivity
}

type tickMsg struct{}

func tick() tea.Cmd {
	return tea.Tick(50*time.Millisecond, func(time.Time) tea.Msg { return tickMsg{} })
}

func (m *fakeTUI) Init() tea.Cmd { return tick() }

func (m *fakeTUI) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tickMsg:
		m.ticks.Add(1)
		return m, tick()
	case tea.KeyPressMsg:
		m.p.OnActivity()
		m.keys.Add(1)
		switch msg.String() {
		case "p":
			panic("fake TUI panic")
		case "q":
			return m, tea.Quit
		}
	}
	return m, nil
}

func (m *fakeTUI) View() tea.View {
	who := "who=signup"
	if m.p.Actor != nil {
		who = "who=" + m.p.Actor.Account.Name
	}
	return tea.NewView(fmt.Sprintf("%s\nscreen=%s\nticks=%d", who, m.p.Screen, m.ticks.Load()))
}

// fakeCommand: whoami prints the account id; wait says ready and returns on
// stdin EOF or the end of ctx; panic panics.
func fakeCommand(ctx context.Context, c Command) int {
	if len(c.Args) == 0 {
		fmt.Fprintln(c.Stderr, "usage")
		return 2
	}
	switch c.Args[0] {
	case "whoami":
		fmt.Fprintln(c.Stdout, c.Actor.Account.ID)
		return 0
	case "wait":
		fmt.Fprintln(c.Stdout, "ready")
		eof := make(chan struct{})
		go func() { _, _ = io.Copy(io.Discard, c.Stdin); close(eof) }()
		select {
		case <-eof:
			return 0
		case <-ctx.Done():
			return 1
		}
	case "panic":
		panic("fake command panic")
	}
	fmt.Fprintln(c.Stderr, "unknown command")
	return 2
}

type fixture struct {
	mu       sync.Mutex
	tuis     []*fakeTUI
	srv      *Server
	addr     string
	accounts *fakeAccounts
	alice    gossh.Signer // account 1
	bob      gossh.Signer // account 2
	stranger gossh.Signer // no account
	refusals []Refusal    // what Config.Refused was told, in order
}

// refused checks that the server has counted exactly these refusals so far.
// Refused runs before the client is told, so a refusal a test has seen is
// already recorded.
func (f *fixture) refused(t *testing.T, want ...Refusal) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if !slices.Equal(f.refusals, want) {
		t.Fatalf("refusals counted: %v, want %v", f.refusals, want)
	}
}

func start(t *testing.T, edit func(*Config)) *fixture {
	t.Helper()
	f := &fixture{accounts: &fakeAccounts{byKey: map[string]store.Account{}}, alice: sshtest.NewKey(t), bob: sshtest.NewKey(t), stranger: sshtest.NewKey(t)}
	f.accounts.add(f.alice, store.Account{ID: 1, Name: "alice"})
	f.accounts.add(f.bob, store.Account{ID: 2, Name: "bob"})
	cfg := Config{
		HostKeyPath: filepath.Join(t.TempDir(), "host_key"),
		Accounts:    f.accounts,
		NewTUI: func(p TUIParams) tea.Model {
			m := &fakeTUI{p: p}
			f.mu.Lock()
			defer f.mu.Unlock()
			f.tuis = append(f.tuis, m)
			return m
		},
		RunCommand: fakeCommand,
		Refused: func(why Refusal) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.refusals = append(f.refusals, why)
		},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if testing.Verbose() {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if edit != nil {
		edit(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	f.srv, f.addr = srv, ln.Addr().String()
	return f
}

// tui is the n-th model the server built.
func (f *fixture) tui(n int) *fakeTUI {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tuis[n]
}

// waitForConnSlot waits until alice can connect again once a connection
// holding a slot has gone.
func (f *fixture) waitForConnSlot(t *testing.T) {
	t.Helper()
	testwait.Within(t, 5*time.Second, "a connection slot to be freed", func() bool {
		c, err := f.dialAuth(t, gossh.PublicKeys(f.alice))
		if err == nil {
			c.Close()
		}
		return err == nil
	})
}

func (f *fixture) dialAuth(t *testing.T, auth ...gossh.AuthMethod) (*gossh.Client, error) {
	t.Helper()
	return gossh.Dial("tcp", f.addr, sshtest.ClientConfig("whoever", f.srv.HostKey(), 5*time.Second, auth...))
}

func (f *fixture) dial(t *testing.T, key gossh.Signer) *gossh.Client {
	t.Helper()
	c, err := f.dialAuth(t, gossh.PublicKeys(key))
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// run runs a command without a terminal.
func run(t *testing.T, c *gossh.Client, cmd string) (stdout, stderr string, code int) {
	t.Helper()
	return runStdin(t, c, cmd, nil)
}

// runStdin runs a command with stdin; nil sends EOF at once.
func runStdin(t *testing.T, c *gossh.Client, cmd string, stdin io.Reader) (stdout, stderr string, code int) {
	t.Helper()
	r := sshtest.Run(t, c, cmd, stdin)
	return r.Stdout, r.Stderr, r.Code
}

// screen is everything a terminal session has printed so far.
type screen struct {
	logtest.Buffer // what the terminal received
	*sshtest.PTY
}

func (s *screen) waitFor(t *testing.T, want string) {
	t.Helper()
	testwait.Within(t, 5*time.Second, fmt.Sprintf("the screen to show %q", want), func() bool {
		return strings.Contains(s.String(), want)
	})
}

func (s *screen) closed() bool {
	select {
	case <-s.Done:
		return true
	default:
		return false
	}
}

func (s *screen) waitClosed(t *testing.T, within time.Duration) {
	t.Helper()
	s.WaitClosed(t, within, s.String)
}

// terminal opens a session with a PTY, like a plain `ssh host` (or `ssh -t
// host cmd` when cmd is given).
func terminal(t *testing.T, c *gossh.Client, cmd string) *screen {
	t.Helper()
	sc := &screen{}
	sc.PTY = sshtest.StartPTY(t, c, cmd, 24, 80, &sc.Buffer)
	return sc
}

func (s *screen) exitCode(t *testing.T) int {
	t.Helper()
	s.waitClosed(t, 5*time.Second)
	return sshtest.ExitStatus(t, s.Err)
}

func TestPasswordAndKeyboardInteractiveRefused(t *testing.T) {
	f := start(t, nil)
	for name, auth := range map[string]gossh.AuthMethod{
		"password": gossh.Password("hunter2"),
		"keyboard-interactive": gossh.KeyboardInteractive(func(string, string, []string, []bool) ([]string, error) {
			return nil, nil
		}),
	} {
		c, err := f.dialAuth(t, auth)
		if err == nil {
			c.Close()
			t.Errorf("%s: logged in", name)
			continue
		}
		if !strings.Contains(err.Error(), "unable to authenticate") {
			t.Errorf("%s: %v", name, err)
		}
	}
	if c, err := f.dialAuth(t); err == nil {
		c.Close()
		t.Error("no authentication at all: logged in")
	}
}

func TestCommandRunsAsTheKeysAccount(t *testing.T) {
	f := start(t, nil)
	out, errOut, code := run(t, f.dial(t, f.bob), "whoami")
	if out != "2\n" || errOut != "" || code != 0 {
		t.Fatalf("whoami = %q, %q, %d; want 2", out, errOut, code)
	}
	if _, _, code := run(t, f.dial(t, f.alice), "nonsense"); code != 2 {
		t.Fatalf("exit status not passed on: %d", code)
	}
}

// A client that first offers someone else's public key, which the server
// accepts as worth trying, but cannot sign with it, then signs with its own
// key, must land in its own account. Servers that remembered the key from
// the auth callback got this wrong (CVE-2024-45337 class).
func TestAccountFromKeyThatSignedNotKeyOffered(t *testing.T) {
	f := start(t, nil)
	impostor := &sshtest.UnsignableKey{Public: f.alice.PublicKey()}
	attempts := 0
	c, err := gossh.Dial("tcp", f.addr, &gossh.ClientConfig{
		User: "alice", // the user name names nobody
		// Offer alice's key first; the server says it may try, then the
		// client cannot sign and falls back to bob's key, which signs.
		AuthCallback: func(*gossh.ClientAuthContext) (gossh.AuthMethod, error) {
			attempts++
			switch attempts {
			case 1:
				return gossh.PublicKeys(impostor), nil
			case 2:
				return gossh.PublicKeys(f.bob), nil
			}
			return nil, errors.New("no more keys")
		},
		HostKeyCallback: gossh.FixedHostKey(f.srv.HostKey()),
		Timeout:         5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if impostor.Signs.Load() == 0 {
		t.Fatal("the server never let alice's key try: the test proves nothing")
	}
	out, _, code := run(t, c, "whoami")
	if out != "2\n" || code != 0 {
		t.Fatalf("whoami = %q (exit %d); want bob's account 2", out, code)
	}
	sc := terminal(t, c, "")
	sc.waitFor(t, "who=bob")
}

// refusedCommand runs cmd with key and checks the server refused it: exit
// 1, with msg on stderr.
func (f *fixture) refusedCommand(t *testing.T, key gossh.Signer, cmd, msg string) {
	t.Helper()
	_, errOut, code := run(t, f.dial(t, key), cmd)
	if code != 1 || !strings.Contains(errOut, msg) {
		t.Fatalf("%s: %q, exit %d", cmd, errOut, code)
	}
}

func TestUnknownKeys(t *testing.T) {
	t.Run("signup closed, command", func(t *testing.T) {
		f := start(t, nil)
		f.refusedCommand(t, f.stranger, "whoami", msgSignupClosed)
		f.refused(t, RefusedSignupClosed)
	})
	// Closed, a terminal still gets sign-up, which then takes only an
	// invite or link code.
	t.Run("signup closed, terminal", func(t *testing.T) {
		f := start(t, nil)
		sc := terminal(t, f.dial(t, f.stranger), "")
		sc.waitFor(t, "who=signup")
		f.refused(t)
	})
	t.Run("signup closed, command redeeming a code", func(t *testing.T) {
		f := start(t, func(c *Config) { c.ForUnknownKey = func(args []string) bool { return args[0] == "join" } })
		out, _, code := run(t, f.dial(t, f.stranger), "join")
		// The fake runner has no join: it got as far as the runner.
		if code != 2 || out != "" {
			t.Fatalf("join: exit %d", code)
		}
		f.refusedCommand(t, f.stranger, "whoami", msgSignupClosed)
		f.refused(t, RefusedSignupClosed)
	})
	t.Run("signup open, command", func(t *testing.T) {
		f := start(t, nil)
		f.accounts.signup = true
		f.refusedCommand(t, f.stranger, "whoami", msgUnknownKey)
		f.refused(t, RefusedUnknownKey)
	})
	t.Run("signup open, terminal", func(t *testing.T) {
		f := start(t, nil)
		f.accounts.signup = true
		// A screen name does not skip sign-up.
		sc := terminal(t, f.dial(t, f.stranger), "inventory")
		sc.waitFor(t, "who=signup")
		if m := f.tui(0); m.p.Actor != nil || m.p.Screen != "" || m.p.PublicKey == nil ||
			!bytes.Equal(m.p.PublicKey.Marshal(), f.stranger.PublicKey().Marshal()) {
			t.Fatalf("sign-up TUI got %+v", m.p)
		}
	})
}

// Issue 17: an unknown key's message lacked the "stockroom:" prefix every
// other command message has.
func TestUnknownKeyMessageHasThePrefix(t *testing.T) {
	f := start(t, nil)
	f.accounts.signup = true
	_, errOut, code := run(t, f.dial(t, f.stranger), "whoami")
	if code != 1 || errOut != "stockroom: "+msgUnknownKey+"\n" {
		t.Fatalf("got %q, exit %d", errOut, code)
	}
}

func TestDisabledAccountRefused(t *testing.T) {
	f := start(t, nil)
	f.accounts.add(f.alice, store.Account{ID: 1, Name: "alice", Disabled: true})
	f.refusedCommand(t, f.alice, "whoami", msgDisabled)
	sc := terminal(t, f.dial(t, f.alice), "")
	if code := sc.exitCode(t); code != 1 || !strings.Contains(sc.String(), msgDisabled) {
		t.Fatalf("terminal: exit %d, %q", code, sc.String())
	}
	f.refused(t, RefusedDisabled, RefusedDisabled)
}

func TestTerminalWithScreen(t *testing.T) {
	f := start(t, nil)
	c := f.dial(t, f.alice)
	sc := terminal(t, c, "inventory")
	sc.waitFor(t, "who=alice")
	sc.waitFor(t, "screen=inventory")
	fmt.Fprint(sc.In, "q")
	if code := sc.exitCode(t); code != 0 {
		t.Fatalf("exit %d", code)
	}

	f.refused(t)
	sc = terminal(t, c, "inventory set 3")
	if code := sc.exitCode(t); code != 2 || !strings.Contains(sc.String(), "without -t") {
		t.Fatalf("exit %d, %q", code, sc.String())
	}
	f.refused(t, RefusedTerminalArgs)
}

func TestConnectionsPerIPLimitedBeforeAuth(t *testing.T) {
	f := start(t, func(c *Config) { c.MaxConnsPerIP = 2 })
	// Two connections that never authenticate hold both slots. Reading the
	// server's version line proves each was counted.
	var raws []net.Conn
	for range 2 {
		raw, err := net.Dial("tcp", f.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		line, err := bufio.NewReader(raw).ReadString('\n')
		if err != nil || !strings.HasPrefix(line, "SSH-2.0-") {
			t.Fatalf("version line %q, %v", line, err)
		}
		raws = append(raws, raw)
	}

	third, err := net.Dial("tcp", f.addr)
	if err != nil {
		t.Fatal(err)
	}
	all, _ := io.ReadAll(third)
	third.Close()
	if bytes.Contains(all, []byte("SSH-2.0")) || !bytes.Contains(all, []byte("Too many connections")) {
		t.Fatalf("third connection got %q", all)
	}
	if c, err := f.dialAuth(t, gossh.PublicKeys(f.alice)); err == nil {
		c.Close()
		t.Fatal("an SSH client got past the limit")
	}
	f.refused(t, RefusedConnLimit, RefusedConnLimit)

	raws[0].Close()
	f.waitForConnSlot(t)
}

func TestSessionsPerAccountCapped(t *testing.T) {
	f := start(t, func(c *Config) { c.MaxSessionsPerAccount = 2 })
	var ins []io.WriteCloser
	for range 2 {
		ins = append(ins, startWait(t, f.dial(t, f.alice)).in)
	}

	_, errOut, code := run(t, f.dial(t, f.alice), "whoami")
	if code != 1 || !strings.Contains(errOut, "2 open sessions") {
		t.Fatalf("third session: %q, exit %d", errOut, code)
	}
	f.refused(t, RefusedSessionCap)
	if out, _, _ := run(t, f.dial(t, f.bob), "whoami"); out != "2\n" {
		t.Fatalf("another account is capped too: %q", out)
	}

	ins[0].Close() // the first "wait" ends
	testwait.Within(t, 5*time.Second, "the session slot to be freed", func() bool {
		out, _, _ := run(t, f.dial(t, f.alice), "whoami")
		return out == "1\n"
	})
}

// press types a key into the n-th TUI's terminal and waits until the TUI has
// reported it, so a limit's clock can be moved on knowing the key counted.
func (f *fixture) press(t *testing.T, n int, sc *screen, key string) {
	t.Helper()
	want := f.tui(n).keys.Load() + 1
	fmt.Fprint(sc.In, key)
	testwait.Until(t, "the keypress to reach the TUI", func() bool { return f.tui(n).keys.Load() >= want })
}

func TestIdleTimeoutCountsKeypressesNotRedraws(t *testing.T) {
	const idle = 10 * time.Minute
	clk := newFakeClock()
	f := start(t, func(c *Config) { c.IdleTimeout, c.clock = idle, clk })
	c := f.dial(t, f.alice)

	typing := terminal(t, c, "")
	typing.waitFor(t, "who=alice")
	quiet := terminal(t, c, "")
	quiet.waitFor(t, "who=alice")
	typer, idler := f.tui(0), f.tui(1)
	// The quiet screen redraws (on the wall clock) before any time passes
	// on the limits' clock: redraws must not count as activity.
	testwait.Until(t, "the quiet screen to redraw", func() bool { return idler.ticks.Load() >= 5 })

	// Type for three times the timeout while the quiet one times out.
	for range 12 {
		f.press(t, 0, typing, "x")
		clk.Advance(idle / 4)
	}
	// Advance ran every limit that fell due before returning.
	if err := typer.p.Ctx.Err(); err != nil {
		t.Fatalf("the typing session ended (%v): %q", context.Cause(typer.p.Ctx), typing.String())
	}
	if endedBy(idler.p.Ctx) != endIdle {
		t.Fatalf("the quiet session ended by %v, want the idle timeout", context.Cause(idler.p.Ctx))
	}
	quiet.waitClosed(t, 5*time.Second)
	if !strings.Contains(quiet.String(), "Closed after 10m without a keypress") {
		t.Fatalf("no idle message: %q", quiet.String())
	}

	// The last key was pressed idle/4 ago.
	clk.Advance(idle*3/4 - 1)
	if typer.p.Ctx.Err() != nil {
		t.Fatal("the typing session ended before a full idle spell")
	}
	clk.Advance(1)
	if endedBy(typer.p.Ctx) != endIdle {
		t.Fatalf("the typing session ended by %v after a full idle spell", context.Cause(typer.p.Ctx))
	}
	typing.waitClosed(t, 5*time.Second)
}

func TestMaxSessionTime(t *testing.T) {
	clk := newFakeClock()
	f := start(t, func(c *Config) {
		c.MaxSessionTime = 5 * time.Hour
		c.CommandTimeout = 150 * time.Millisecond
		c.clock = clk
	})
	c := f.dial(t, f.alice)
	sc := terminal(t, c, "")
	sc.waitFor(t, "who=alice")
	tui := f.tui(0)
	for range 4 { // typing does not extend it
		f.press(t, 0, sc, "x")
		clk.Advance(time.Hour)
	}
	f.press(t, 0, sc, "x")
	clk.Advance(time.Hour - 1)
	if tui.p.Ctx.Err() != nil {
		t.Fatalf("ended (%v) before its maximum length", context.Cause(tui.p.Ctx))
	}
	clk.Advance(1)
	if endedBy(tui.p.Ctx) != endMaxTime {
		t.Fatalf("ended by %v, want the maximum session time", context.Cause(tui.p.Ctx))
	}
	sc.waitClosed(t, 5*time.Second)
	if !strings.Contains(sc.String(), "maximum length of 5h") {
		t.Fatalf("screen: %q", sc.String())
	}

	// Commands stop at their own limit, with a message and a failing status.
	never, _ := io.Pipe()
	_, errOut, code := runStdin(t, c, "wait", never)
	if code != 1 || !strings.Contains(errOut, "longer than 150ms") {
		t.Fatalf("command: %q, exit %d", errOut, code)
	}
}

func TestPanicEndsOnlyThatSession(t *testing.T) {
	f := start(t, nil)
	c := f.dial(t, f.alice)
	_, errOut, code := run(t, c, "panic")
	if code != 1 || !strings.Contains(errOut, "internal error") {
		t.Fatalf("command panic: %q, exit %d", errOut, code)
	}

	sc := terminal(t, c, "")
	sc.waitFor(t, "who=alice")
	fmt.Fprint(sc.In, "p")
	if code := sc.exitCode(t); code != 1 || !strings.Contains(sc.String(), "internal error") {
		t.Fatalf("TUI panic: exit %d, %q", code, sc.String())
	}

	// Same connection and a new one still work.
	if out, _, _ := run(t, c, "whoami"); out != "1\n" {
		t.Fatalf("after panics: %q", out)
	}
	if out, _, _ := run(t, f.dial(t, f.bob), "whoami"); out != "2\n" {
		t.Fatalf("after panics, new connection: %q", out)
	}
}

// waitSession is the fake runner's "wait" command, which runs until its
// stdin closes.
type waitSession struct {
	*gossh.Session
	in     io.WriteCloser
	stderr logtest.Buffer // what the server tells the command
}

// startWait starts "wait" on c and returns once the command has said it
// is running.
func startWait(t *testing.T, c *gossh.Client) *waitSession {
	t.Helper()
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	w := &waitSession{Session: s}
	s.Stderr = &w.stderr
	out, _ := s.StdoutPipe()
	w.in, _ = s.StdinPipe()
	if err := s.Start("wait"); err != nil {
		t.Fatal(err)
	}
	if line, err := bufio.NewReader(out).ReadString('\n'); line != "ready\n" {
		t.Fatalf("wait: %q, %v", line, err)
	}
	return w
}

func TestShutdownTellsOpenSessions(t *testing.T) {
	f := start(t, nil)
	c := f.dial(t, f.alice)
	sc := terminal(t, c, "")
	sc.waitFor(t, "who=alice")

	cmd := startWait(t, c) // its stdin held open: only shutdown ends it

	began := time.Now()
	if err := f.srv.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(began); d > 3*time.Second {
		t.Fatalf("shutdown took %s", d)
	}
	sc.waitClosed(t, time.Second)
	if !strings.Contains(sc.String(), "Stockroom is restarting; reconnect in a moment") {
		t.Fatalf("terminal: %q", sc.String())
	}
	_ = cmd.Wait()
	if !strings.Contains(cmd.stderr.String(), "Stockroom is restarting") {
		t.Fatalf("command stderr: %q", cmd.stderr.String())
	}
	if c, err := f.dialAuth(t, gossh.PublicKeys(f.alice)); err == nil {
		c.Close()
		t.Fatal("dialled a server that shut down")
	}
}

func TestNewNeedsItsFaces(t *testing.T) {
	full := Config{HostKeyPath: filepath.Join(t.TempDir(), "k"), Accounts: &fakeAccounts{},
		RunCommand: fakeCommand, NewTUI: func(p TUIParams) tea.Model { return &fakeTUI{p: p} }}
	for name, edit := range map[string]func(*Config){
		"accounts": func(c *Config) { c.Accounts = nil },
		"tui":      func(c *Config) { c.NewTUI = nil },
		"commands": func(c *Config) { c.RunCommand = nil },
		"host key": func(c *Config) { c.HostKeyPath = "" },
	} {
		cfg := full
		edit(&cfg)
		if _, err := New(cfg); err == nil {
			t.Errorf("without %s: no error", name)
		}
	}
}

func TestAcceptKey(t *testing.T) {
	var refused []Refusal
	s := &Server{sec: seclog.New(slog.New(slog.DiscardHandler), nil), cfg: Config{Refused: func(why Refusal) { refused = append(refused, why) }}}
	if !s.acceptKey(nil, sshtest.NewKey(t).PublicKey()) {
		t.Fatal("ed25519 refused")
	}
	cert := &gossh.Certificate{Key: sshtest.NewKey(t).PublicKey(), CertType: gossh.UserCert}
	if s.acceptKey(nil, cert) {
		t.Fatal("certificate accepted")
	}
	if !slices.Equal(refused, []Refusal{RefusedKey}) {
		t.Fatalf("refusals counted: %v", refused)
	}
}

// Refused logins are security events, rate-limited per address: a client
// hammering the server with an unknown key leaves a bounded trail.
func TestRefusedLoginsLoggedRateLimited(t *testing.T) {
	logger, buf := logtest.New()
	f := start(t, func(c *Config) { c.Logger = logger })
	for range 3 * seclog.Burst {
		_, _, code := run(t, f.dial(t, f.stranger), "whoami")
		if code != 1 {
			t.Fatalf("unknown key: exit %d", code)
		}
	}
	refused := buf.Find("security", "login refused")
	if len(refused) != seclog.Burst || len(buf.Find("security", "suppressed")) != 1 {
		t.Fatalf("%d refused logins logged %d lines and %d suppression notices; want %d and 1",
			3*seclog.Burst, len(refused), len(buf.Find("security", "suppressed")), seclog.Burst)
	}
	r := refused[0]
	if r["key"] != gossh.FingerprintSHA256(f.stranger.PublicKey()) || !strings.HasPrefix(r["remote"].(string), "127.0.0.1:") ||
		!strings.Contains(r["reason"].(string), "unknown key") {
		t.Fatalf("refused login line: %v", r)
	}
}

func TestHuman(t *testing.T) {
	for d, want := range map[time.Duration]string{
		30 * time.Minute: "30m", 12 * time.Hour: "12h", 90 * time.Minute: "1h30m",
		90 * time.Second: "1m30s", 300 * time.Millisecond: "300ms", 10 * time.Second: "10s",
	} {
		if got := human(d); got != want {
			t.Errorf("human(%s) = %q, want %q", d, got, want)
		}
	}
}

func TestHandshakeTimeoutFreesTheSlot(t *testing.T) {
	f := start(t, func(c *Config) {
		c.HandshakeTimeout = 200 * time.Millisecond
		c.MaxConnsPerIP = 1
	})
	raw, err := net.Dial("tcp", f.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	// A client that never speaks is dropped...
	began := time.Now()
	_ = raw.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _ = io.ReadAll(raw)
	if d := time.Since(began); d > 2*time.Second {
		t.Fatalf("silent connection kept for %s", d)
	}
	// ...and its slot goes to the next one.
	f.waitForConnSlot(t)
}

// A key removed or an account disabled while sessions are open: every
// session of it, terminal or command, is told why and closed.
func TestAccessWithdrawnEndsSessions(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{app.ErrKeyRemoved, "This key was removed from its Stockroom account"},
		{app.ErrDisabled, "This Stockroom account was disabled"},
	} {
		t.Run(c.want, func(t *testing.T) {
			f := start(t, nil)
			conn := f.dial(t, f.alice)
			sc := terminal(t, conn, "")
			sc.waitFor(t, "who=alice")
			cmd := startWait(t, conn) // its stdin held open: only the server ends it
			bob := terminal(t, f.dial(t, f.bob), "")
			bob.waitFor(t, "who=bob")

			f.accounts.withdraw(f.alice, c.err)
			sc.waitClosed(t, 2*time.Second)
			if !strings.Contains(sc.String(), c.want) {
				t.Fatalf("terminal: %q", sc.String())
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case <-done:
			case <-time.After(2 * time.Second):
				t.Fatal("the command session is still open")
			}
			if !strings.Contains(cmd.stderr.String(), c.want) {
				t.Fatalf("command stderr: %q", cmd.stderr.String())
			}
			if bob.closed() {
				t.Fatal("another account's session ended too")
			}
		})
	}
}
