package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/omendb/omendb/server"
)

// envDefault returns the environment variable's value, or def.
func envDefault(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

func runServe(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	data := fs.String("data", envDefault("OMENDB_DATA", "./data"), "data directory (env OMENDB_DATA)")
	listen := fs.String("listen", envDefault("OMENDB_LISTEN", "127.0.0.1:5433"), "pgwire address (env OMENDB_LISTEN)")
	httpAddr := fs.String("http", envDefault("OMENDB_HTTP", "127.0.0.1:9090"), "health endpoints address, empty to disable (env OMENDB_HTTP)")
	natsURL := fs.String("nats-url", envDefault("OMENDB_NATS_URL", ""), "external NATS JetStream URL instead of the embedded server (env OMENDB_NATS_URL)")
	unsafe := fs.Bool("unsafe-no-fsync", envDefault("OMENDB_UNSAFE_NO_FSYNC", "") == "1", "UNSAFE: acknowledge commits before they are fsynced; a power loss can lose them (env OMENDB_UNSAFE_NO_FSYNC=1)")
	indexMethod := fs.String("index", envDefault("OMENDB_INDEX", "learned"), "default index structure: learned or btree (env OMENDB_INDEX)")
	logLevel := fs.String("log-level", envDefault("OMENDB_LOG_LEVEL", "info"), "log level: debug, info, warn, error (env OMENDB_LOG_LEVEL)")
	logJSON := fs.Bool("log-json", envDefault("OMENDB_LOG_JSON", "") == "1", "log as JSON (env OMENDB_LOG_JSON=1)")
	if err := fs.Parse(args); err != nil {
		return err
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
	if *unsafe {
		logger.Warn("UNSAFE: commits are acknowledged before fsync; a power loss can lose acknowledged commits")
	}
	if err := os.MkdirAll(*data, 0o755); err != nil {
		return fmt.Errorf("creating data directory: %w", err)
	}
	srv, err := server.Start(ctx, server.Config{
		Data: *data, Listen: *listen, HTTP: *httpAddr, NATSURL: strings.TrimSpace(*natsURL),
		Unsafe: *unsafe, IndexMethod: *indexMethod, Logger: logger,
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
