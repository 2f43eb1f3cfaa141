package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
	"golang.org/x/crypto/ssh"
	"golang.org/x/sync/errgroup"

	"github.com/stockroom/stockroom/config"
	"github.com/stockroom/stockroom/etsy"
	"github.com/stockroom/stockroom/etsy/sandbox"
	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/jobs"
	"github.com/stockroom/stockroom/jobs/jobstats"
	"github.com/stockroom/stockroom/seal"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/store/postgres"
	"github.com/stockroom/stockroom/store/sqlite"
)

// Demo-mode credentials: the in-process sandbox accepts exactly these.
const (
	demoKeystring = "stockroomdemo"
	demoSecret    = "stockroomdemosecret"
)

// database is the opened store with the handles River and the live-update
// bridge need.
type database struct {
	store.DB
	queue  *jobs.Queue
	bridge *hub.Bridge
	// queues reads River's table for /healthz and the metrics.
	queues *jobstats.Reader
}

func openDatabase(ctx context.Context, cfg *config.Config, h *hub.Hub, process string, log *slog.Logger) (*database, error) {
	jc := jobs.Config{Workers: cfg.Workers, Logger: log.With("component", "river"), ID: process}
	if cfg.DatabaseURL == "" {
		path := filepath.Join(cfg.DataDir, "stockroom.db")
		db, err := sqlite.Open(ctx, path)
		if err != nil {
			return nil, err
		}
		// River gets a one-connection handle of its own (see
		// jobs.NewSQLite), closed when the queue stops.
		raw, err := sqlite.OpenQueueHandle(path)
		if err != nil {
			db.Close()
			return nil, err
		}
		jc.Close = raw.Close
		q, err := jobs.NewSQLite(raw, jc)
		if err != nil {
			raw.Close()
			db.Close()
			return nil, err
		}
		log.Info("database", "driver", "sqlite", "path", path)
		return &database{DB: db, queue: q, queues: jobstats.NewSQLite(db.SQL())}, nil
	}
	db, err := postgres.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	q, err := jobs.NewPostgres(db.Pool(), jc)
	if err != nil {
		db.Close()
		return nil, err
	}
	bridge := hub.NewBridge(h, db.Pool(), processName(), log.With("component", "hub"))
	log.Info("database", "driver", "postgres", "url", config.Redacted(cfg.DatabaseURL))
	return &database{DB: db, queue: q, bridge: bridge, queues: jobstats.NewPostgres(stdlib.OpenDBFromPool(db.Pool()))}, nil
}

// keyring loads the encryption keys, or in development a generated key
// kept in the data dir. A container must be given its keys: a generated key
// inside a container dies with it, and the tokens with it.
func keyring(cfg *config.Config, log *slog.Logger) (*seal.Keyring, error) {
	spec := cfg.EncryptionKeys
	if spec == "" {
		if cfg.InContainer {
			return nil, &config.Error{Setting: "STOCKROOM_ENCRYPTION_KEYS", Reason: "required in a container (generate one with `stockroom keygen`)"}
		}
		var created bool
		var err error
		if spec, created, err = seal.LoadOrCreateDevKey(cfg.DataDir); err != nil {
			return nil, err
		}
		log.Warn("STOCKROOM_ENCRYPTION_KEYS is not set: Etsy tokens are encrypted with a development key kept beside the database. "+
			"Set STOCKROOM_ENCRYPTION_KEYS (stockroom keygen) before real shops connect.",
			"file", filepath.Join(cfg.DataDir, seal.DevKeyFile), "created", created)
	}
	k, err := seal.ParseKeyring(spec)
	if err != nil {
		return nil, &config.Error{Setting: "STOCKROOM_ENCRYPTION_KEYS", Reason: err.Error()}
	}
	return k, nil
}

// adminFingerprints reads STOCKROOM_ADMIN_KEYS: authorized_keys lines, or
// the path of a file holding them.
func adminFingerprints(spec string) (map[string]bool, error) {
	out := map[string]bool{}
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return out, nil
	}
	if !strings.Contains(spec, " ") {
		b, err := os.ReadFile(spec)
		if err != nil {
			return nil, &config.Error{Setting: "STOCKROOM_ADMIN_KEYS", Reason: "neither a public key nor a readable file: " + err.Error()}
		}
		spec = string(b)
	}
	for i, line := range strings.Split(spec, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		pk, _, _, _, err := ssh.ParseAuthorizedKey([]byte(line))
		if err != nil {
			return nil, &config.Error{Setting: "STOCKROOM_ADMIN_KEYS", Reason: fmt.Sprintf("line %d is not a public key", i+1)}
		}
		out[ssh.FingerprintSHA256(pk)] = true
	}
	return out, nil
}

// etsyClient builds the Etsy client; in demo mode it starts the sandbox
// with a generated shop and points the client at it. ledger keeps each
// shop's day budget in the database, shared with other processes on it.
func etsyClient(ctx context.Context, cfg *config.Config, g *errgroup.Group, transport http.RoundTripper, log *slog.Logger, ledger etsy.Ledger) (*etsy.Client, error) {
	redirect := cfg.PublicURL + "/oauth/callback"
	ec := etsy.Config{
		APIBaseURL: cfg.EtsyAPIURL, AuthURL: cfg.EtsyAuthURL, TokenURL: cfg.EtsyTokenURL,
		Keystring: cfg.EtsyKeystring, SharedSecret: cfg.EtsySharedSecret, RedirectURL: redirect,
		AppMaxPerSecond: cfg.EtsyAppMaxQPS, Logger: log.With("component", "etsy"), Ledger: ledger,
	}
	if transport != nil {
		ec.HTTPClient = &http.Client{Transport: transport}
	}
	if cfg.Demo() {
		l, err := net.Listen("tcp", cfg.SandboxAddr)
		if err != nil {
			return nil, &config.Error{Setting: "STOCKROOM_SANDBOX_ADDR", Reason: err.Error()}
		}
		base := "http://" + browserAddr(l.Addr().String())
		sb := sandbox.New(sandbox.Config{
			Keystring: demoKeystring, SharedSecret: demoSecret, RedirectURIs: []string{redirect},
			PerSecond: 10, PerDay: 10000, BaseURL: base, Logger: log.With("component", "sandbox"),
		})
		if err := sb.Load(sandbox.Generate(sandbox.GenOptions{Seed: 1, Shops: 1, Listings: 300, Receipts: 300})); err != nil {
			return nil, err
		}
		// The sandbox announces its sales like Etsy does, signed, so a sale
		// made through its /_sandbox/sale hook shows in seconds.
		if cfg.EtsyWebhookSecret == "" {
			key := make([]byte, 32)
			if _, err := rand.Read(key); err != nil {
				return nil, err
			}
			cfg.EtsyWebhookSecret = "whsec_" + base64.StdEncoding.EncodeToString(key)
		}
		if err := sb.SetWebhook("http://"+browserAddr(cfg.HTTPAddr)+"/etsy/webhook", cfg.EtsyWebhookSecret); err != nil {
			return nil, err
		}
		srv := &http.Server{Handler: sb.Handler(), ReadHeaderTimeout: 10 * time.Second}
		g.Go(func() error {
			if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		})
		stopOnDone(ctx, g, 5*time.Second, shutdownHTTP(srv, "sandbox", log))
		ec.APIBaseURL, ec.AuthURL, ec.TokenURL = base+"/v3", base+"/oauth/connect", base+"/v3/public/oauth/token"
		ec.Keystring, ec.SharedSecret = demoKeystring, demoSecret
		log.Warn("demo mode: no Etsy credentials configured, so Stockroom talks to its built-in Etsy sandbox with a generated shop",
			"sandbox", base)
	}
	return etsy.New(ec)
}

// browserAddr turns a listen address into one a browser on this machine can
// open.
func browserAddr(a string) string {
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		return a
	}
	if host == "" || host == "0.0.0.0" || host == "::" || host == "127.0.0.1" {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// ensureDataDir creates the data dir private, or makes it and everything in
// it private again, logging each change: the operator should know that
// files were readable by others, and for how long they may have been.
func ensureDataDir(dir string, log *slog.Logger) error {
	fixed, err := config.PrepareDataDir(dir)
	if len(fixed) > 0 {
		list := make([]string, len(fixed))
		for i, c := range fixed {
			list[i] = c.String()
		}
		log.Warn("data dir files were readable by other users: permissions corrected", "dir", dir, "corrected", list)
	}
	return err
}

// processName names this process among several sharing one database, in
// leases and live-update relays.
func processName() string {
	host, _ := os.Hostname() // without one the name is "-pid": still a name, and processID adds a random part
	return fmt.Sprintf("%s-%d", host, os.Getpid())
}

// processID names this run of the process in its liveness record, its
// River jobs and its sync runs: unique per start, because a restarted
// container has the same host name and pid as the one that died, and the
// dead one's work must not look alive.
func processID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b) // crypto/rand never fails on supported systems
	return processName() + "-" + hex.EncodeToString(b)
}
