package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/omendb/omendb/server"
)

// restBeforeRun is settleSystems for a bench's run loop: a failure to
// settle is reported under the bench's name and the run goes on; a rest
// longer than a second is reported too.
func restBeforeRun(ctx context.Context, bench string, srv *server.Server, pgURL string) {
	if d, err := settleSystems(ctx, srv, pgURL); err != nil {
		fmt.Fprintf(os.Stderr, "bench %s: %v\n", bench, err)
	} else if d > time.Second {
		fmt.Fprintf(os.Stderr, "bench %s: both systems at rest after %.1f s (checkpoints, autovacuum)\n", bench, d.Seconds())
	}
}

// settleTimeout bounds the wait for PostgreSQL's autovacuum workers.
const settleTimeout = 60 * time.Second

// settleSystems brings every system of a side-by-side benchmark to rest
// before a measured run, so that one system's background work does not land
// in the other's run (both share the disk and the two CPUs): OmenDB (srv,
// in this process; nil for none) writes its row-store checkpoint now rather
// than when its timer fires, and PostgreSQL (pgURL; "" for none) runs
// VACUUM ANALYZE and CHECKPOINT (pgbench -v's vacuum, database-wide) and
// waits until no autovacuum worker is busy. Every run, of either system,
// starts after it. It returns the time it took.
func settleSystems(ctx context.Context, srv *server.Server, pgURL string) (time.Duration, error) {
	start := time.Now()
	if srv != nil {
		if _, err := srv.Checkpoint(); err != nil {
			return 0, fmt.Errorf("settle: OmenDB checkpoint: %w", err)
		}
	}
	if pgURL == "" {
		return time.Since(start), nil
	}
	c, err := pgx.Connect(ctx, pgURL)
	if err != nil {
		return 0, fmt.Errorf("settle: connect to PostgreSQL: %w", err)
	}
	defer c.Close(context.Background())
	// VACUUM ANALYZE first: the dead rows of PostgreSQL's last run
	// (pgbench_accounts' updated rows, say) would otherwise start an
	// autovacuum worker in the middle of the next run, OmenDB's included
	// (measured: OmenDB's TPC-B-like TPS a quarter lower beside it). Then
	// CHECKPOINT writes what the vacuum and the run dirtied.
	for _, stmt := range []string{"VACUUM ANALYZE", "CHECKPOINT"} {
		if _, err := c.Exec(ctx, stmt); err != nil {
			return 0, fmt.Errorf("settle: PostgreSQL %s: %w", stmt, err)
		}
	}
	deadline := time.Now().Add(settleTimeout)
	for {
		var n int
		if err := c.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'").Scan(&n); err != nil {
			return 0, fmt.Errorf("settle: PostgreSQL autovacuum workers: %w", err)
		}
		if n == 0 {
			return time.Since(start), nil
		}
		if time.Now().After(deadline) {
			// A run beside a vacuum is still a run: go on, and say so.
			return time.Since(start), fmt.Errorf("settle: %d autovacuum workers still busy after %s", n, settleTimeout)
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
