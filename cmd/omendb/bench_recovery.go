package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/omendb/omendb/internal/testpg"
	"github.com/omendb/omendb/server"
)

func init() { benchCommands["recovery"] = runBenchRecovery }

// recoveryResult is one row count's measurements.
type recoveryResult struct {
	Rows            int     `json:"rows"`
	LoadSeconds     float64 `json:"load_seconds"`
	CheckpointSec   float64 `json:"checkpoint_seconds"`
	CheckpointBytes int64   `json:"checkpoint_bytes"`
	ReadyNoCkptSec  float64 `json:"ready_without_checkpoint_seconds"`
	ReadyCkptSec    float64 `json:"ready_with_checkpoint_seconds"`
	OLAPCkptSec     float64 `json:"olap_checkpoint_seconds"`
	OLAPCkptBytes   int64   `json:"olap_checkpoint_bytes"`
	OLAPReadyNoCkpt float64 `json:"olap_ready_without_checkpoint_seconds"`
	OLAPReadyCkpt   float64 `json:"olap_ready_with_checkpoint_seconds"`
	P99IdleMs       float64 `json:"commit_p99_ms_idle"`
	P99CkptMs       float64 `json:"commit_p99_ms_during_checkpoint"`
	PGLoadSeconds   float64 `json:"pg_load_seconds,omitempty"`
	PGRecoverySec   float64 `json:"pg_crash_recovery_seconds,omitempty"`
}

// runBenchRecovery measures, per row count: time from start to ready with
// and without a checkpoint, and until the column store has caught up too
// (it recovers after the row store; /readyz does not wait for it);
// checkpoint durations (row and column store), single-row commit p99 with
// and without checkpoints running, and PostgreSQL 15's crash recovery of
// the same data (SIGQUIT = immediate shutdown, then start).
func runBenchRecovery(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench recovery", flag.ContinueOnError)
	rowsFlag := fs.String("rows", "1000000", "comma-separated row counts (e.g. 1000000,10000000)")
	dirFlag := fs.String("dir", "", "work directory (default: a temporary one, removed afterwards)")
	noPG := fs.Bool("no-postgres", false, "skip the PostgreSQL peer")
	commits := fs.Int("commits", 2000, "idle single-row commits per latency measurement (rounds during checkpoints last one "+
		"checkpoint of each store, and at least as many commits)")
	jsonOut := fs.Bool("json", false, "print one JSON object per result")
	restarts := fs.Int("restarts", 3, "restarts with a checkpoint (the median is reported; one without)")
	reuse := fs.Bool("reuse", false, "with --dir: restart on the data a previous run left there (checkpoint restarts, then the "+
		"commit p99 idle and during checkpoints; for comparing builds on identical data)")
	var lo latencyOpts
	fs.StringVar(&lo.during, "during", "both", "checkpoints run during the latency rounds: row, olap or both")
	fs.StringVar(&lo.cpuProfile, "cpuprofile", "", "write a CPU profile of the commit latency measurement to this file")
	fs.StringVar(&lo.trace, "trace", "", "write a runtime/trace of the first latency round (idle, then during checkpoints) to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	lo.commits = *commits
	if lo.during != "row" && lo.during != "olap" && lo.during != "both" {
		return fmt.Errorf("--during: %q is not row, olap or both", lo.during)
	}
	var counts []int
	for _, f := range strings.Split(*rowsFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return fmt.Errorf("--rows: bad count %q", f)
		}
		counts = append(counts, n)
	}
	root := *dirFlag
	if root == "" {
		d, err := os.MkdirTemp("", "omendb-bench-recovery-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		root = d
	}
	fmt.Fprintf(os.Stderr, "bench recovery: %s/%s, %d CPUs, go %s\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())
	var results []recoveryResult
	for _, n := range counts {
		data := filepath.Join(root, fmt.Sprintf("rows-%d", n))
		if *reuse {
			if *dirFlag == "" {
				return fmt.Errorf("--reuse needs --dir")
			}
			r := recoveryResult{Rows: n}
			var ds []float64
			for i := 0; i < max(*restarts, 1); i++ {
				d, od, err := restartTimes(ctx, data)
				if err != nil {
					return err
				}
				ds = append(ds, d.Seconds())
				r.OLAPReadyCkpt = od.Seconds()
			}
			sort.Float64s(ds)
			r.ReadyCkptSec = ds[len(ds)/2]
			fmt.Fprintf(os.Stderr, "omendb: %d rows, ready with a checkpoint in %.2f s (sorted)\n", n, ds)
			if err := reuseCommitP99(ctx, data, &r, lo); err != nil {
				return err
			}
			if !*noPG {
				if err := benchRecoveryPG(ctx, n, &r); err != nil {
					return fmt.Errorf("postgres, %d rows: %w", n, err)
				}
			}
			results = append(results, r)
			continue
		}
		r, err := benchRecoveryOne(ctx, data, n, max(*restarts, 1), lo)
		if err != nil {
			return fmt.Errorf("omendb, %d rows: %w", n, err)
		}
		if !*noPG {
			if err := benchRecoveryPG(ctx, n, &r); err != nil {
				return fmt.Errorf("postgres, %d rows: %w", n, err)
			}
		}
		results = append(results, r)
		if *jsonOut {
			b, _ := json.Marshal(r)
			fmt.Println(string(b))
		}
	}
	if !*jsonOut {
		fmt.Printf("%-10s %8s %8s %8s %8s %8s %12s %10s %12s %12s %9s %9s %9s %10s\n", "rows", "load_s", "ckpt_s", "ckpt_MB",
			"olap_s", "olap_MB", "ready_nockpt", "ready_ckpt", "olap_nockpt", "olap_ckpt", "p99_idle", "p99_ckpt", "pg_load_s", "pg_recov_s")
		for _, r := range results {
			fmt.Printf("%-10d %8.1f %8.2f %8.1f %8.2f %8.1f %12.2f %10.2f %12.2f %12.2f %9.2f %9.2f %9.1f %10.2f\n", r.Rows, r.LoadSeconds,
				r.CheckpointSec, float64(r.CheckpointBytes)/(1<<20), r.OLAPCkptSec, float64(r.OLAPCkptBytes)/(1<<20),
				r.ReadyNoCkptSec, r.ReadyCkptSec, r.OLAPReadyNoCkpt, r.OLAPReadyCkpt, r.P99IdleMs, r.P99CkptMs, r.PGLoadSeconds, r.PGRecoverySec)
		}
		fmt.Println("ready_*: start to /readyz (row store); olap_*: start until the column store has caught up as well")
		fmt.Println("goals: ready_ckpt <= 5 s at 10M rows; p99_ckpt <= 2 x p99_idle")
	}
	return nil
}

func startBenchServer(ctx context.Context, data string, ckpt time.Duration) (*server.Server, time.Duration, error) {
	return startBenchServerLog(ctx, data, ckpt, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

func startBenchServerLog(ctx context.Context, data string, ckpt time.Duration, logger *slog.Logger) (*server.Server, time.Duration, error) {
	start := time.Now()
	s, err := server.Start(ctx, server.Config{Data: data, Listen: "127.0.0.1:0", CheckpointInterval: ckpt,
		Logger: logger})
	if err != nil {
		return nil, 0, err
	}
	if err := s.WaitReady(ctx); err != nil {
		s.Close()
		return nil, 0, err
	}
	return s, time.Since(start), nil
}

// restartTimes starts a server on data and returns the time to ready (row
// store) and until the column store has caught up with it as well.
func restartTimes(ctx context.Context, data string) (ready, olapReady time.Duration, err error) {
	// The previous server of this process left its heap behind: collect it
	// and return it to the OS, so that the restart starts like a fresh
	// process (the server turns the collector off while it loads a
	// checkpoint, and would otherwise grow on top of that garbage).
	runtime.GC()
	debug.FreeOSMemory()
	var ru0 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	start := time.Now()
	tl := &timeline{start: start}
	s, ready, err := startBenchServerLog(ctx, data, -1, slog.New(tl))
	if err != nil {
		return 0, 0, err
	}
	defer s.Close()
	var ru1 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	if err := s.OLAP.Store.WaitApplied(ctx, s.Store.Applied()); err != nil {
		return 0, 0, err
	}
	olapReady = time.Since(start)
	tl.print(ready, olapReady, ru1.Minflt-ru0.Minflt, ru1.Majflt-ru0.Majflt)
	return ready, olapReady, nil
}

// timeline is a slog handler that keeps the server's info messages during
// a restart with their time since start: the ready-time breakdown (log
// open and NATS start, checkpoint load, replay) is read off it.
type timeline struct {
	start time.Time
	mu    sync.Mutex
	lines []string
}

func (t *timeline) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo }
func (t *timeline) WithAttrs([]slog.Attr) slog.Handler           { return t }
func (t *timeline) WithGroup(string) slog.Handler                { return t }
func (t *timeline) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%7.3fs %s", r.Time.Sub(t.start).Seconds(), r.Message)
	r.Attrs(func(a slog.Attr) bool { fmt.Fprintf(&b, " %s=%v", a.Key, a.Value); return true })
	t.mu.Lock()
	t.lines = append(t.lines, b.String())
	t.mu.Unlock()
	return nil
}

func (t *timeline) print(ready, olapReady time.Duration, minflt, majflt int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Fprintf(os.Stderr, "omendb restart: ready %.3fs, column store %.3fs, page faults until ready: %d minor, %d major\n",
		ready.Seconds(), olapReady.Seconds(), minflt, majflt)
	for _, l := range t.lines {
		fmt.Fprintf(os.Stderr, "  %s\n", l)
	}
}

func benchRecoveryOne(ctx context.Context, data string, n, restarts int, lo latencyOpts) (recoveryResult, error) {
	r := recoveryResult{Rows: n}
	os.Setenv("OMENDB_CHECKPOINT_INTERVAL", "") // the flag below decides
	s, _, err := startBenchServer(ctx, data, -1)
	if err != nil {
		return r, err
	}
	url := fmt.Sprintf("postgres://omendb@%s/omendb?sslmode=disable", s.Addr())
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		s.Close()
		return r, err
	}
	defer c.Close(context.Background())
	t0 := time.Now()
	if err := loadRows(ctx, c, n); err != nil {
		s.Close()
		return r, err
	}
	r.LoadSeconds = time.Since(t0).Seconds()
	fmt.Fprintf(os.Stderr, "omendb: loaded %d rows in %.1fs\n", n, r.LoadSeconds)
	if err := s.OLAP.Store.WaitApplied(ctx, s.Store.Applied()); err != nil {
		s.Close()
		return r, err
	}
	if err := measureCommitP99(ctx, s, c, n, lo, &r); err != nil {
		s.Close()
		return r, err
	}
	if _, err := s.Checkpoint(); err != nil { // one at the very end
		s.Close()
		return r, err
	}
	if err := s.OLAP.Store.WaitApplied(ctx, s.Store.Applied()); err != nil {
		s.Close()
		return r, err
	}
	if _, err := s.CheckpointOLAP(); err != nil {
		s.Close()
		return r, err
	}
	c.Close(ctx)
	s.Close() // CheckpointInterval -1: no final checkpoint; the one above is current
	fmt.Fprintf(os.Stderr, "omendb: checkpoint %.2fs (column store %.2fs), p99 idle %.2fms, during checkpoints %.2fms\n",
		r.CheckpointSec, r.OLAPCkptSec, r.P99IdleMs, r.P99CkptMs)

	var ds, ods []float64
	for i := 0; i < restarts; i++ {
		d, od, err := restartTimes(ctx, data)
		if err != nil {
			return r, err
		}
		ds, ods = append(ds, d.Seconds()), append(ods, od.Seconds())
	}
	fmt.Fprintf(os.Stderr, "omendb: ready with checkpoints in %.2f s (column store %.2f s)\n", ds, ods)
	sort.Float64s(ds)
	sort.Float64s(ods)
	r.ReadyCkptSec, r.OLAPReadyCkpt = ds[len(ds)/2], ods[len(ods)/2]
	ck := server.CheckpointDir(data)
	if err := os.Rename(ck, ck+".aside"); err != nil {
		return r, err
	}
	d, od, err := restartTimes(ctx, data)
	if err != nil {
		return r, err
	}
	r.ReadyNoCkptSec, r.OLAPReadyNoCkpt = d.Seconds(), od.Seconds()
	fmt.Fprintf(os.Stderr, "omendb: ready in %.2fs with checkpoints (median; column store %.2fs), %.2fs replaying the whole log (column store %.2fs)\n",
		r.ReadyCkptSec, r.OLAPReadyCkpt, r.ReadyNoCkptSec, r.OLAPReadyNoCkpt)
	if err := os.RemoveAll(ck); err != nil { // the replay wrote none (interval -1), but be sure
		return r, err
	}
	return r, os.Rename(ck+".aside", ck)
}

// loadRows creates bench_rec and fills it with n rows in batches.
func loadRows(ctx context.Context, c *pgx.Conn, n int) error {
	if _, err := c.Exec(ctx, `CREATE TABLE bench_rec (id bigint PRIMARY KEY, a int, b text)`); err != nil {
		return err
	}
	const batch = 50000
	start, shown := time.Now(), time.Now()
	for lo := 1; lo <= n; lo += batch {
		hi := min(lo+batch-1, n)
		q := `INSERT INTO bench_rec SELECT g, g % 1000, 'row ' || g::text FROM generate_series($1::bigint, $2::bigint) g`
		for try := 1; ; try++ {
			_, err := c.Exec(ctx, q, lo, hi)
			var pe *pgconn.PgError
			if err == nil || try == 3 || !errors.As(err, &pe) || pe.Code != "57014" {
				if err != nil {
					return fmt.Errorf("rows %d-%d: %w", lo, hi, err)
				}
				break
			}
			// On a loaded machine a batch's log append can time out (57014)
			// after it was durable: retried, it skips the rows it wrote.
			fmt.Fprintf(os.Stderr, "bench recovery: rows %d-%d: %v; retrying\n", lo, hi, err)
			q = `INSERT INTO bench_rec SELECT g, g % 1000, 'row ' || g::text FROM generate_series($1::bigint, $2::bigint) g ON CONFLICT (id) DO NOTHING`
		}
		if time.Since(shown) > 10*time.Second {
			shown = time.Now()
			fmt.Fprintf(os.Stderr, "bench recovery: loaded %d of %d rows (%.0f s)\n", hi, n, time.Since(start).Seconds())
		}
	}
	return nil
}

func benchRecoveryPG(ctx context.Context, n int, r *recoveryResult) error {
	pg, err := testpg.StartServer(ctx, testpg.Options{Database: "bench", Config: []string{"shared_buffers = 256MB", "max_wal_size = 4GB"}})
	if err != nil {
		return err
	}
	defer pg.Close()
	c, err := pgx.Connect(ctx, pg.ConnString())
	if err != nil {
		return err
	}
	t0 := time.Now()
	if err := loadRows(ctx, c, n); err != nil {
		c.Close(ctx)
		return err
	}
	r.PGLoadSeconds = time.Since(t0).Seconds()
	c.Close(ctx)
	// Crash: SIGQUIT to the postmaster (immediate shutdown, no checkpoint),
	// then time a start, which runs crash recovery.
	b, err := os.ReadFile(filepath.Join(pg.DataDir(), "postmaster.pid"))
	if err != nil {
		return err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	if err != nil {
		return fmt.Errorf("postmaster.pid: %w", err)
	}
	if err := syscall.Kill(pid, syscall.SIGQUIT); err != nil {
		return err
	}
	for i := 0; i < 600 && syscall.Kill(pid, 0) == nil; i++ {
		time.Sleep(50 * time.Millisecond)
	}
	t1 := time.Now()
	if err := pg.Restart(); err != nil {
		return err
	}
	r.PGRecoverySec = time.Since(t1).Seconds()
	fmt.Fprintf(os.Stderr, "postgres: loaded %d rows in %.1fs; crash recovery to ready in %.2fs\n", n, r.PGLoadSeconds, r.PGRecoverySec)
	return nil
}
