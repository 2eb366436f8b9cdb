package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"sort"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/omendb/omendb/ingest/pgcdc"
	"github.com/omendb/omendb/internal/testpg"
	"github.com/omendb/omendb/server"
)

func init() { benchCommands["cdc"] = runBenchCDC }

// benchStart is when the process started (near enough): lag outliers are
// reported against it, as GODEBUG=gctrace=1 reports collections.
var benchStart = time.Now()

// cdcResult is one system's CDC figures.
type cdcResult struct {
	System        string  `json:"system"`
	SnapshotRows  int64   `json:"snapshot_rows"`
	SnapshotSecs  float64 `json:"snapshot_seconds"`
	SnapshotRate  float64 `json:"snapshot_rows_per_sec"`
	StreamRows    int64   `json:"stream_rows"`
	StreamRate    float64 `json:"stream_rows_per_sec"`
	LagTargetRate int     `json:"lag_target_rows_per_sec"`
	LagAchieved   float64 `json:"lag_achieved_rows_per_sec"`
	LagP50Ms      float64 `json:"lag_p50_ms"`
	LagP99Ms      float64 `json:"lag_p99_ms"`
	LagMaxMs      float64 `json:"lag_max_ms"`
	LagSamples    int     `json:"lag_samples"`
}

// runBenchCDC measures PostgreSQL CDC into OmenDB — snapshot rows/s,
// streaming rows/s, end-to-end lag (source commit → visible to a query) at
// a steady rate — and the same for PostgreSQL's own logical replication
// into a second PostgreSQL (the peer), one after the other on this machine.
func runBenchCDC(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench cdc", flag.ContinueOnError)
	rows := fs.Int64("rows", 10_000_000, "rows in the snapshot table")
	streamRows := fs.Int64("stream-rows", 1_000_000, "rows in the streaming burst")
	rate := fs.Int("rate", 10_000, "rows/s for the lag measurement")
	lagDur := fs.Duration("lag-duration", 20*time.Second, "duration of the lag measurement")
	noPeer := fs.Bool("no-postgres", false, "skip the PostgreSQL logical replication peer")
	jsonOut := fs.Bool("json", false, "print one JSON object per result")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
	phase := fs.String("profile-phase", "all", "what --cpuprofile covers: all (the whole run), or only OmenDB's snapshot, stream (the burst) or lag phase")
	if err := fs.Parse(args); err != nil {
		return err
	}
	prof := &phaseProfile{path: *cpuProfile, phase: *phase}
	switch *phase {
	case "all":
		stopProfile, err := startCPUProfile(*cpuProfile)
		if err != nil {
			return err
		}
		defer stopProfile()
		prof.path = ""
	case "snapshot", "stream", "lag":
	default:
		return fmt.Errorf("--profile-phase: want all, snapshot, stream or lag, not %q", *phase)
	}
	defer prof.stop()
	logf := func(f string, a ...any) { fmt.Fprintf(os.Stderr, "bench cdc: "+f+"\n", a...) }
	logf("starting the source PostgreSQL 15 (wal_level=logical)")
	srcPG, err := testpg.StartServer(ctx, testpg.Options{Database: "bench", NoFsync: true,
		Config: []string{"shared_buffers = 512MB", "max_wal_size = 4GB", "checkpoint_timeout = 30min",
			// fsync is off for a fast load, but commits must flush WAL at once:
			// the walsender only sends flushed WAL (else ~wal_writer_delay of lag).
			"synchronous_commit = on"}})
	if err != nil {
		return fmt.Errorf("starting PostgreSQL: %w", err)
	}
	defer srcPG.Close()
	src, err := pgx.Connect(ctx, srcPG.ConnString())
	if err != nil {
		return err
	}
	defer src.Close(context.Background())
	logf("loading %d rows", *rows)
	t0 := time.Now()
	for _, q := range []string{
		`CREATE TABLE snap (id bigint PRIMARY KEY, n int, amount numeric(12,2), label text, at timestamptz)`,
		fmt.Sprintf(`INSERT INTO snap SELECT g, g %% 1000, (g %% 100000) / 100.0, md5(g::text), '2026-01-01'::timestamptz + g * interval '1 second' FROM generate_series(1, %d) g`, *rows),
		`VACUUM ANALYZE snap`,
		`CREATE TABLE burst (id bigint PRIMARY KEY, n int, label text)`,
		`CREATE TABLE lagrows (id bigint PRIMARY KEY, seq bigint, label text)`,
		`CREATE TABLE tick (id int PRIMARY KEY, seq bigint)`,
		`INSERT INTO tick VALUES (1, 0)`,
		`CREATE PUBLICATION pub FOR TABLE snap, burst, lagrows, tick`,
	} {
		if _, err := src.Exec(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	logf("loaded in %v", time.Since(t0).Round(time.Millisecond))
	hw := fmt.Sprintf("%s/%s, %d CPUs, %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())

	var results []cdcResult
	// OmenDB.
	dir, err := os.MkdirTemp("", "omendb-bench-cdc")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("OMENDB_BENCH_LOG") != "" {
		// OMENDB_BENCH_LOG=debug also shows slow source transactions.
		lvl := slog.LevelWarn
		_ = lvl.UnmarshalText([]byte(os.Getenv("OMENDB_BENCH_LOG")))
		quiet = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))
	}
	srv, err := server.Start(ctx, server.Config{Data: dir, Listen: "127.0.0.1:0", Logger: quiet, Unsafe: os.Getenv("OMENDB_BENCH_UNSAFE") != ""})
	if err != nil {
		return err
	}
	if err := srv.WaitReady(ctx); err != nil {
		srv.Close()
		return err
	}
	dst, err := pgx.Connect(ctx, fmt.Sprintf("postgres://omendb@%s/omendb?sslmode=disable", srv.Addr()))
	if err != nil {
		srv.Close()
		return err
	}
	r := cdcResult{System: "omendb", LagTargetRate: *rate}
	logf("omendb: CREATE SOURCE (snapshot of %d rows)", *rows)
	if err := prof.begin("snapshot"); err != nil {
		srv.Close()
		return err
	}
	start := time.Now()
	if _, err := dst.Exec(ctx, fmt.Sprintf(`CREATE SOURCE bench FROM POSTGRES CONNECTION '%s' PUBLICATION 'pub'`, srcPG.ConnString())); err != nil {
		srv.Close()
		return err
	}
	stages := func(from time.Time) []pgcdc.TxnTiming { return srv.Sources.Timings("bench", from) }
	err = cdcMeasure(ctx, src, dst, &r, start, *rows, *streamRows, *rate, *lagDur, logf, prof, stages)
	prof.stop()
	dst.Close(context.Background())
	srv.Close()
	if err != nil {
		return err
	}
	results = append(results, r)
	if _, err := src.Exec(ctx, `SELECT pg_drop_replication_slot('omendb_bench')`); err != nil {
		logf("dropping the OmenDB slot: %v", err)
	}

	if !*noPeer {
		logf("peer: starting a subscriber PostgreSQL 15 (fsync on, synchronous_commit on)")
		subPG, err := testpg.StartServer(ctx, testpg.Options{Database: "bench", Config: []string{"shared_buffers = 512MB", "max_wal_size = 4GB"}})
		if err != nil {
			return err
		}
		defer subPG.Close()
		sub, err := pgx.Connect(ctx, subPG.ConnString())
		if err != nil {
			return err
		}
		defer sub.Close(context.Background())
		for _, q := range []string{
			`TRUNCATE burst, lagrows`, `UPDATE tick SET seq = 0`,
			`CREATE TABLE snap (id bigint PRIMARY KEY, n int, amount numeric(12,2), label text, at timestamptz)`,
			`CREATE TABLE burst (id bigint PRIMARY KEY, n int, label text)`,
			`CREATE TABLE lagrows (id bigint PRIMARY KEY, seq bigint, label text)`,
			`CREATE TABLE tick (id int PRIMARY KEY, seq bigint)`,
		} {
			c := sub
			if q == `TRUNCATE burst, lagrows` || q == `UPDATE tick SET seq = 0` {
				c = src
			}
			if _, err := c.Exec(ctx, q); err != nil {
				return fmt.Errorf("%s: %w", q, err)
			}
		}
		p := cdcResult{System: "postgres-logical", LagTargetRate: *rate}
		logf("peer: CREATE SUBSCRIPTION (initial copy of %d rows)", *rows)
		start := time.Now()
		if _, err := sub.Exec(ctx, fmt.Sprintf(`CREATE SUBSCRIPTION s CONNECTION '%s' PUBLICATION pub`, srcPG.ConnString())); err != nil {
			return err
		}
		if err := cdcMeasure(ctx, src, sub, &p, start, *rows, *streamRows, *rate, *lagDur, logf, nil, nil); err != nil {
			return err
		}
		_, _ = sub.Exec(ctx, `DROP SUBSCRIPTION s`)
		results = append(results, p)
	}
	if *jsonOut {
		for _, r := range results {
			b, _ := json.Marshal(r)
			fmt.Println(string(b))
		}
		return nil
	}
	fmt.Printf("bench cdc on %s; snapshot %d rows, burst %d rows, lag at %d rows/s for %s\n", hw, *rows, *streamRows, *rate, *lagDur)
	fmt.Printf("%-18s %14s %14s %12s %10s %10s %10s\n", "system", "snapshot r/s", "stream r/s", "lag r/s", "p50 ms", "p99 ms", "max ms")
	for _, r := range results {
		fmt.Printf("%-18s %14.0f %14.0f %12.0f %10.1f %10.1f %10.1f\n", r.System, r.SnapshotRate, r.StreamRate, r.LagAchieved, r.LagP50Ms, r.LagP99Ms, r.LagMaxMs)
	}
	return nil
}

func countRows(ctx context.Context, c *pgx.Conn, table string) (int64, error) {
	var n int64
	err := c.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n)
	return n, err
}

func waitCount(ctx context.Context, c *pgx.Conn, table string, want int64, timeout time.Duration, every time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		n, err := countRows(ctx, c, table)
		if err == nil && n >= want {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: %d of %d rows after %v (last error %v)", table, n, want, timeout, err)
		}
		time.Sleep(every)
	}
}

// phaseProfile profiles one phase of OmenDB's measurement (--profile-phase):
// begin(name) starts the CPU profile when name is the chosen phase and
// stops it when another phase begins. A nil *phaseProfile does nothing.
type phaseProfile struct {
	path, phase string
	stopFn      func()
}

func (p *phaseProfile) begin(name string) error {
	if p == nil || p.path == "" {
		return nil
	}
	p.stop()
	if name != p.phase {
		return nil
	}
	stop, err := startCPUProfile(p.path)
	if err != nil {
		return err
	}
	p.stopFn = stop
	return nil
}

func (p *phaseProfile) stop() {
	if p != nil && p.stopFn != nil {
		p.stopFn()
		p.stopFn = nil
	}
}

func cdcMeasure(ctx context.Context, src, dst *pgx.Conn, r *cdcResult, start time.Time, rows, streamRows int64, rate int, lagDur time.Duration, logf func(string, ...any), prof *phaseProfile, stages func(time.Time) []pgcdc.TxnTiming) error {
	// Wait on the replication status rather than count(*), which would
	// compete with the copy for the CPU.
	doneQ := `SELECT count(*) = 0 FROM omendb_source_tables WHERE chunks_done < chunks_total`
	if r.System != "omendb" {
		doneQ = `SELECT count(*) = 0 FROM pg_subscription_rel WHERE srsubstate NOT IN ('r', 's')`
	}
	for deadline := time.Now().Add(2 * time.Hour); ; {
		var done bool
		if err := dst.QueryRow(ctx, doneQ).Scan(&done); err == nil && done {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: snapshot not done after 2h", r.System)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n, err := countRows(ctx, dst, "snap"); err != nil || n != rows {
		return fmt.Errorf("%s: snapshot has %d rows, want %d (%v)", r.System, n, rows, err)
	}
	r.SnapshotRows, r.SnapshotSecs = rows, time.Since(start).Seconds()
	r.SnapshotRate = float64(rows) / r.SnapshotSecs
	logf("%s: snapshot %d rows in %.1fs = %.0f rows/s", r.System, rows, r.SnapshotSecs, r.SnapshotRate)
	if err := prof.begin("stream"); err != nil {
		return err
	}

	// Streaming burst: 1000-row transactions from two connections.
	const perTxn = 1000
	start = time.Now()
	var wg sync.WaitGroup
	errc := make(chan error, 2)
	conn2, err := pgx.Connect(ctx, src.Config().ConnString())
	if err != nil {
		return err
	}
	defer conn2.Close(context.Background())
	for w, c := range []*pgx.Conn{src, conn2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for lo := int64(w) * perTxn; lo < streamRows; lo += 2 * perTxn {
				hi := min(lo+perTxn, streamRows)
				if _, err := c.Exec(ctx, `INSERT INTO burst SELECT g, g % 1000, md5(g::text) FROM generate_series($1::bigint, $2::bigint) g`, lo+1, hi); err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errc:
		return err
	default:
	}
	if err := waitCount(ctx, dst, "burst", streamRows, time.Hour, 20*time.Millisecond); err != nil {
		return err
	}
	r.StreamRows = streamRows
	r.StreamRate = float64(streamRows) / time.Since(start).Seconds()
	logf("%s: streamed %d rows at %.0f rows/s", r.System, streamRows, r.StreamRate)

	// The disk at rest first: the source's bulk load and the burst leave
	// hundreds of MB dirty in the page cache (PostgreSQL writes its data
	// files without fsync until a checkpoint), which the kernel writes back
	// 30 s later (vm.dirty_expire_centisecs) — in the middle of this phase,
	// where it stalled every fsync of the system measured for 150–250 ms.
	settled := time.Now()
	if _, err := src.Exec(ctx, "CHECKPOINT"); err != nil {
		return fmt.Errorf("source CHECKPOINT: %w", err)
	}
	syscall.Sync()
	logf("%s: disk at rest in %.1f s (source CHECKPOINT, sync)", r.System, time.Since(settled).Seconds())

	// Lag at a steady rate: every 10 ms one transaction of rate/100 rows
	// that also bumps tick.seq; a poller reads tick.seq and records, per
	// newly visible seq, now − the time the source COMMIT returned.
	if err := prof.begin("lag"); err != nil {
		return err
	}
	perTick := max(1, rate/100)
	var mu sync.Mutex
	committed := map[int64]time.Time{}
	var lags []float64
	// outliers: per sample, when the source committed it (since the run
	// began) and how long the poll that saw it took, to tell a stall in
	// OmenDB from one in the measurement.
	type lagSample struct{ lag, at, poll float64 }
	var samples []lagSample
	stop := make(chan struct{})
	pollDone := make(chan struct{})
	go func() {
		defer close(pollDone)
		var seen int64
		for {
			select {
			case <-stop:
				return
			default:
			}
			var seq int64
			q0 := time.Now()
			if err := dst.QueryRow(ctx, "SELECT seq FROM tick WHERE id = 1").Scan(&seq); err == nil && seq > seen {
				now := time.Now()
				mu.Lock()
				for s := seen + 1; s <= seq; s++ {
					if at, ok := committed[s]; ok {
						lags = append(lags, float64(now.Sub(at).Microseconds())/1000)
						samples = append(samples, lagSample{lag: lags[len(lags)-1], at: at.Sub(benchStart).Seconds(), poll: float64(now.Sub(q0).Microseconds()) / 1000})
						delete(committed, s)
					}
				}
				mu.Unlock()
				seen = seq
			}
			time.Sleep(time.Millisecond)
		}
	}()
	tick := time.NewTicker(10 * time.Millisecond)
	var gcBefore runtime.MemStats
	runtime.ReadMemStats(&gcBefore)
	begin := time.Now()
	var seq, sent int64
	for time.Since(begin) < lagDur {
		<-tick.C
		seq++
		lo := seq * int64(perTick)
		tx, err := src.Begin(ctx)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO lagrows SELECT g, $3, 'x' FROM generate_series($1::bigint, $2::bigint) g`, lo, lo+int64(perTick)-2, seq); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE tick SET seq = $1 WHERE id = 1`, seq); err != nil {
			return err
		}
		if err := tx.Commit(ctx); err != nil {
			return err
		}
		mu.Lock()
		committed[seq] = time.Now()
		mu.Unlock()
		sent += int64(perTick)
	}
	tick.Stop()
	r.LagAchieved = float64(sent) / time.Since(begin).Seconds()
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		left := len(committed)
		mu.Unlock()
		if left == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	close(stop)
	<-pollDone
	sort.Float64s(lags)
	r.LagSamples = len(lags)
	if n := len(lags); n > 0 {
		r.LagP50Ms, r.LagP99Ms, r.LagMaxMs = lags[n/2], lags[min(n-1, n*99/100)], lags[n-1]
	}
	sort.Slice(samples, func(i, j int) bool { return samples[i].lag > samples[j].lag })
	for i := 0; i < len(samples) && i < 5; i++ {
		logf("%s: lag outlier %.1f ms, committed at %.3fs of the run, its poll took %.1f ms", r.System, samples[i].lag, samples[i].at, samples[i].poll)
	}
	logf("%s: lag at %.0f rows/s: p50 %.1f ms, p99 %.1f ms, max %.1f ms (%d samples)", r.System, r.LagAchieved, r.LagP50Ms, r.LagP99Ms, r.LagMaxMs, r.LagSamples)
	if stages != nil {
		lagStages(stages(begin), begin, &gcBefore, logf)
	}
	return nil
}

// lagStages prints where OmenDB's streamed transactions of the lag phase
// spent their time (pgcdc.TxnTiming, per stage p50/p99/max), the five
// slowest with their stages, and the garbage collections of the phase
// (the end of each, since the run began), to tell the cause of the p99.
func lagStages(ts []pgcdc.TxnTiming, begin time.Time, before *runtime.MemStats, logf func(string, ...any)) {
	if len(ts) == 0 {
		return
	}
	stage := []struct {
		name string
		get  func(t *pgcdc.TxnTiming) time.Duration
	}{
		{"source→first msg", func(t *pgcdc.TxnTiming) time.Duration { return t.SourceToFirst }},
		{" of it: walsender", func(t *pgcdc.TxnTiming) time.Duration { return t.Sent }},
		{" of it: socket+recv", func(t *pgcdc.TxnTiming) time.Duration { return t.SourceToFirst - t.Sent }},
		{"receive", func(t *pgcdc.TxnTiming) time.Duration { return t.Receive }},
		{"queued", func(t *pgcdc.TxnTiming) time.Duration { return t.Queued }},
		{"build", func(t *pgcdc.TxnTiming) time.Duration { return t.Build }},
		{"validate", func(t *pgcdc.TxnTiming) time.Duration { return t.Validate }},
		{"append+apply", func(t *pgcdc.TxnTiming) time.Duration { return t.Append }},
		{"total", func(t *pgcdc.TxnTiming) time.Duration { return t.Total }},
	}
	msf := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	logf("omendb: lag stages of %d source transactions (ms):", len(ts))
	for _, st := range stage {
		v := make([]time.Duration, len(ts))
		for i := range ts {
			v[i] = st.get(&ts[i])
		}
		sort.Slice(v, func(i, j int) bool { return v[i] < v[j] })
		n := len(v)
		logf("  %-19s p50 %7.2f  p99 %7.2f  max %7.2f", st.name, msf(v[n/2]), msf(v[min(n-1, n*99/100)]), msf(v[n-1]))
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].Total > ts[j].Total })
	for i := 0; i < len(ts) && i < 5; i++ {
		t := &ts[i]
		logf("  slowest: total %.1f at %.3fs of the run = source→first %.1f (walsender %.1f) + receive %.1f + queued %.1f + build %.1f + validate %.1f + append+apply %.1f (committed with %d source txns; %d rows)",
			msf(t.Total), t.Committed.Sub(benchStart).Seconds(), msf(t.SourceToFirst), msf(t.Sent), msf(t.Receive), msf(t.Queued), msf(t.Build), msf(t.Validate), msf(t.Append), t.Batch, t.Rows)
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	n := after.NumGC - before.NumGC
	var ends []string
	for k := uint32(0); k < n && k < 256; k++ {
		end := time.Unix(0, int64(after.PauseEnd[(after.NumGC-1-k+256)%256]))
		ends = append(ends, fmt.Sprintf("%.3fs", end.Sub(benchStart).Seconds()))
	}
	logf("omendb: %d garbage collections during the lag phase (heap %d MiB; ended at %v), stop-the-world total %.1f ms, GC CPU fraction %.3f",
		n, after.HeapAlloc>>20, ends, float64(after.PauseTotalNs-before.PauseTotalNs)/1e6, after.GCCPUFraction)
}
