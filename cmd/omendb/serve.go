package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/omendb/omendb/server"
)

// envDefault returns the environment variable's value, or def.
func envDefault(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

// envDuration returns the environment variable's value as a duration, or
// def when it is unset or not a duration.
func envDuration(name string, def time.Duration) time.Duration {
	if v, ok := os.LookupEnv(name); ok {
		if d, err := time.ParseDuration(v); err == nil {
			return d
		}
	}
	return def
}

// defaultProcsMode is --procs's default: OMENDB_PROCS, else auto unless
// the user fixed GOMAXPROCS.
func defaultProcsMode() string {
	if m := os.Getenv("OMENDB_PROCS"); m != "" {
		return m
	}
	if os.Getenv("GOMAXPROCS") != "" {
		return "fixed"
	}
	return "auto"
}

func runServe(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	data := fs.String("data", envDefault("OMENDB_DATA", "./data"), "data directory (env OMENDB_DATA)")
	listen := fs.String("listen", envDefault("OMENDB_LISTEN", "127.0.0.1:5433"), "pgwire address (env OMENDB_LISTEN)")
	socketDir := fs.String("socket-dir", envDefault("OMENDB_SOCKET_DIR", "/tmp"), "directory for the pgwire Unix-domain socket .s.PGSQL.PORT, as PostgreSQL's (psql -h DIR); empty to disable (env OMENDB_SOCKET_DIR)")
	httpAddr := fs.String("http", envDefault("OMENDB_HTTP", "127.0.0.1:9090"), "health endpoints address, empty to disable (env OMENDB_HTTP)")
	natsURL := fs.String("nats-url", envDefault("OMENDB_NATS_URL", ""), "external NATS JetStream URL instead of the embedded server (env OMENDB_NATS_URL)")
	unsafe := fs.Bool("unsafe-no-fsync", envDefault("OMENDB_UNSAFE_NO_FSYNC", "") == "1", "UNSAFE: acknowledge commits before they are fsynced; a power loss can lose them (env OMENDB_UNSAFE_NO_FSYNC=1)")
	indexMethod := fs.String("index", envDefault("OMENDB_INDEX", "learned"), "default index structure: learned or btree (env OMENDB_INDEX)")
	logLevel := fs.String("log-level", envDefault("OMENDB_LOG_LEVEL", "info"), "log level: debug, info, warn, error (env OMENDB_LOG_LEVEL)")
	logJSON := fs.Bool("log-json", envDefault("OMENDB_LOG_JSON", "") == "1", "log as JSON (env OMENDB_LOG_JSON=1)")
	ttWindow := fs.Duration("time-travel-window", envDuration("OMENDB_TIME_TRAVEL_WINDOW", server.DefaultTimeTravelWindow),
		"how far back SET omendb.as_of can read: row versions are kept in memory this long; 0 keeps none (env OMENDB_TIME_TRAVEL_WINDOW)")
	pitrWindow := fs.Duration("pitr-window", envDuration("OMENDB_PITR_WINDOW", server.DefaultPITRWindow),
		"how long the log keeps records for point-in-time recovery; 0 keeps only what checkpoints and backups need (env OMENDB_PITR_WINDOW)")
	procsMode := fs.String("procs", defaultProcsMode(), "auto: run with as many cores as the load needs, one while it fits on one (lower latency on VMs); fixed: leave GOMAXPROCS as it is (env OMENDB_PROCS; default fixed when GOMAXPROCS is set)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *procsMode != "auto" && *procsMode != "fixed" {
		return fmt.Errorf("--procs must be auto or fixed, not %q", *procsMode)
	}
	if *pitrWindow < 0 {
		return fmt.Errorf("--pitr-window must not be negative")
	}
	if *pitrWindow == 0 {
		*pitrWindow = -1 // server.Config: 0 means the default, <0 none
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("bad --log-level %q", *logLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	var logger *slog.Logger
	if *logJSON {
		logger = slog.New(slog.NewJSONHandler(os.Stderr, opts))
	} else {
		logger = slog.New(slog.NewTextHandler(os.Stderr, opts))
	}
	slog.SetDefault(logger)
	if *indexMethod != "learned" && *indexMethod != "btree" {
		return fmt.Errorf("--index must be learned or btree, not %q", *indexMethod)
	}
	ttw := *ttWindow
	if ttw < 0 {
		return fmt.Errorf("--time-travel-window must not be negative")
	}
	if ttw == 0 {
		ttw = -1 // server.Config: 0 means the default, <0 none
	}
	if *unsafe {
		logger.Warn("UNSAFE: commits are acknowledged before fsync; a power loss can lose acknowledged commits")
	}
	if err := os.MkdirAll(*data, 0o755); err != nil {
		return fmt.Errorf("creating data directory: %w", err)
	}
	srv, err := server.Start(ctx, server.Config{
		Data: *data, Listen: *listen, SocketDir: *socketDir, HTTP: *httpAddr, NATSURL: strings.TrimSpace(*natsURL),
		Unsafe: *unsafe, IndexMethod: *indexMethod, Logger: logger, TimeTravelWindow: ttw,
		PITRWindow: *pitrWindow, AdaptiveProcs: *procsMode == "auto",
	})
	if err != nil {
		return err
	}
	// A materializer that stops (a corrupt or unreadable record) leaves the
	// server up but not ready: /readyz reports the error with its offset
	// and sessions are refused with 57P03, until an operator intervenes.
	go func() {
		<-srv.Mat.Done()
		if merr := srv.Mat.Err(); merr != nil {
			logger.Error("materializer stopped: not serving queries", "err", merr)
		}
	}()
	<-ctx.Done()
	logger.Info("shutting down")
	return srv.Close()
}
