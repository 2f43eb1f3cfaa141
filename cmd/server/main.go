// Command server is Stockroom: the SSH server sellers connect to, the HTTP
// listener for Etsy's OAuth callback, the sync scheduler and the job
// workers, in one process. This package only wires the others together.
//
//	stockroom              run the server (see --help for settings)
//	stockroom sandbox      run the Etsy sandbox on its own
//	stockroom keygen       print a new STOCKROOM_ENCRYPTION_KEYS entry
//	stockroom healthcheck  exit 0 when the local server answers /healthz
//	stockroom migrate      status|up|down --to N: the database schema
//	stockroom backup       [--to FILE]: an online copy of the SQLite database
//	stockroom restore      FILE: put a backup in place (server stopped)
//	stockroom --version    print the version this binary was built as
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/stockroom/stockroom/config"
	"github.com/stockroom/stockroom/etsy/sandbox"
	"github.com/stockroom/stockroom/migrations"
	"github.com/stockroom/stockroom/seal"
)

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	// Before any subcommand writes a file (the server's database, a
	// backup): whatever it creates is private to this user.
	privateFiles()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if len(args) > 0 {
		switch args[0] {
		case "sandbox":
			return runSandbox(ctx, args[1:], stderr)
		case "keygen":
			spec, err := seal.GenerateKeySpec(fmt.Sprintf("k%s", time.Now().UTC().Format("20060102")))
			if err != nil {
				fmt.Fprintln(stderr, "keygen:", err)
				return 1
			}
			fmt.Fprintln(stdout, spec)
			return 0
		case "healthcheck":
			return healthcheck(ctx, getenv, stderr)
		case "backup":
			return runBackup(ctx, args[1:], getenv, stdout, stderr)
		case "restore":
			return runRestore(ctx, args[1:], getenv, stdout, stderr)
		case "migrate":
			return runMigrate(ctx, args[1:], getenv, stdout, stderr)
		case "version", "--version", "-version":
			fmt.Fprintln(stdout, "stockroom", version)
			return 0
		}
	}

	cfg, err := config.Load(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		// One clear line naming the setting and the reason.
		fmt.Fprintln(stderr, err)
		return 2
	}
	if err := serve(ctx, cfg, stderr); err != nil {
		var ce *config.Error
		if errors.As(err, &ce) {
			fmt.Fprintln(stderr, ce)
			return 2
		}
		// A schema this binary does not know, or a data dir another
		// process holds: starting would do harm, and retrying will not help.
		if errors.Is(err, migrations.ErrSchemaTooNew) || errors.Is(err, errDataDirBusy) {
			fmt.Fprintln(stderr, "stockroom:", err)
			return 2
		}
		fmt.Fprintln(stderr, "stockroom:", err)
		return 1
	}
	return 0
}

func runSandbox(ctx context.Context, args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8090", "listen address")
	seed := fs.String("seed", "", "JSON seed file (default: a generated demo shop)")
	keystring := fs.String("keystring", "sandboxkeystring", "the app keystring the sandbox accepts")
	secret := fs.String("shared-secret", "sandboxsecret", "the app shared secret the sandbox accepts")
	perSecond := fs.Int("per-second", 10, "calls per second per token (0: unlimited)")
	perDay := fs.Int("per-day", 10000, "calls per day per token (0: unlimited)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	err := sandbox.Run(ctx, *addr, *seed, sandbox.Config{
		Keystring: *keystring, SharedSecret: *secret, PerSecond: *perSecond, PerDay: *perDay,
		BaseURL: "http://" + *addr, Logger: slog.New(slog.NewTextHandler(stderr, nil)),
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(stderr, "sandbox:", err)
		return 1
	}
	return 0
}

// healthcheck serves the container's HEALTHCHECK, which has no shell or curl.
func healthcheck(ctx context.Context, getenv func(string) string, stderr io.Writer) int {
	addr := getenv("STOCKROOM_HTTP_ADDR")
	if addr == "" {
		addr = ":8080"
	}
	if strings.HasPrefix(addr, ":") {
		addr = "127.0.0.1" + addr
	}
	ctx, cancel := context.WithTimeout(ctx, 4*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/healthz", nil)
	if err != nil {
		fmt.Fprintf(stderr, "unhealthy: STOCKROOM_HTTP_ADDR %q: %v\n", addr, err)
		return 1
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintln(stderr, "unhealthy:", err)
		return 1
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintln(stderr, "unhealthy: /healthz answered", resp.Status)
		return 1
	}
	return 0
}
