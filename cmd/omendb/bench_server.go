package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/omendb/omendb/internal/procs"
	"github.com/omendb/omendb/server"
)

// procsSince describes what the GOMAXPROCS controller (internal/procs) did
// since s0 (a procs.Snapshot); "" when it is not running.
func procsSince(s0 procs.Stats) string {
	s, ok := procs.Snapshot()
	if !ok {
		return ""
	}
	total := s.Total - s0.Total
	if total <= 0 {
		return ""
	}
	sysmon := fmt.Sprintf("sysmon's slack coarse %.0f%% of the time", 100*float64(s.SysmonCoarse-s0.SysmonCoarse)/float64(total))
	if s.SysmonErr != "" {
		sysmon = "sysmon's slack left alone (" + s.SysmonErr + ")"
	}
	return fmt.Sprintf("adaptive GOMAXPROCS: one P %.0f%% of the time, %d probes (%d undone), %d boosts; %s",
		100*float64(s.AtOne-s0.AtOne)/float64(total), s.Probes-s0.Probes, s.FailedProbes-s0.FailedProbes, s.Boosts-s0.Boosts, sysmon)
}

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
	// As serve runs it (OMENDB_PROCS=fixed measures without the controller).
	cfg.AdaptiveProcs = defaultProcsMode() == "auto"
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
