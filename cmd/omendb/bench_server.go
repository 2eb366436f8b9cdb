package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/omendb/omendb/server"
)

// startThrowawayServer starts the in-process OmenDB a benchmark
// measures: a fresh temporary data directory (named after the bench), a
// free local port, logs discarded unless cfg.Logger is set; it returns once
// the server is ready. stop closes the server and removes the directory.
func startThrowawayServer(ctx context.Context, bench string, cfg server.Config) (srv *server.Server, url string, stop func(), err error) {
	dir, err := os.MkdirTemp("", "omendb-bench-"+bench)
	if err != nil {
		return nil, "", nil, err
	}
	// A Unix-domain socket in the data directory as well (clients that
	// connect as local ones do: pgbench -h DIR).
	cfg.Data, cfg.Listen, cfg.SocketDir = dir, "127.0.0.1:0", dir
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	srv, err = server.Start(ctx, cfg)
	if err != nil {
		os.RemoveAll(dir)
		return nil, "", nil, err
	}
	stop = func() {
		srv.Close()
		os.RemoveAll(dir)
	}
	if err := srv.WaitReady(ctx); err != nil {
		stop()
		return nil, "", nil, err
	}
	return srv, fmt.Sprintf("postgres://omendb@%s/omendb?sslmode=disable", srv.Addr()), stop, nil
}
