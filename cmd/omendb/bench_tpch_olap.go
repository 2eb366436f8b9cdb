package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/omendb/omendb/bench/tpch/answers"
	"github.com/omendb/omendb/bench/tpch/dbgen"
	"github.com/omendb/omendb/bench/tpch/queries"
	"github.com/omendb/omendb/internal/testpg"
	"github.com/omendb/omendb/server"
)

func init() {
	tpchCommands["load"] = runTPCHLoad
	tpchCommands["run"] = runTPCHRun
}

// tpchLoad creates the TPC-H tables on c and COPYs dbgen's rows at sf into
// them (COPY … WITH (DELIMITER '|'), each .tbl line's trailing '|' cut). A
// table's text is generated before its COPY starts; the returned duration
// is the time spent in the COPYs (and CREATE TABLEs) only. With cpu set
// (the server runs in this process) each table's line also shows the
// process's CPU time during its COPY — on a shared machine a steadier
// measure of the work than the wall time.
func tpchLoad(ctx context.Context, c *pgx.Conn, sf float64, logf func(string, ...any), cpu ...bool) (time.Duration, error) {
	var spent, cpuSpent time.Duration
	showCPU := len(cpu) > 0 && cpu[0]
	for _, tbl := range dbgen.AllTables {
		text, err := dbgen.AppendText(nil, tbl, sf, 0, 1)
		if err != nil {
			return 0, err
		}
		text = cutTrailingBars(text)
		t0, c0 := time.Now(), cpuTime()
		if _, err := c.Exec(ctx, dbgen.DDL(tbl)); err != nil {
			return 0, fmt.Errorf("%s: %w", dbgen.DDL(tbl), err)
		}
		tag, err := c.PgConn().CopyFrom(ctx, bytes.NewReader(text), "COPY "+tbl.String()+" FROM STDIN WITH (DELIMITER '|')")
		if err != nil {
			return 0, fmt.Errorf("COPY %s: %w", tbl, err)
		}
		d := time.Since(t0)
		spent += d
		if showCPU {
			dc := cpuTime() - c0
			cpuSpent += dc
			logf("%s: %d rows in %v (%.0f rows/s, CPU %.2f s)", tbl, tag.RowsAffected(), d.Round(time.Millisecond), float64(tag.RowsAffected())/d.Seconds(), dc.Seconds())
			continue
		}
		logf("%s: %d rows in %v (%.0f rows/s)", tbl, tag.RowsAffected(), d.Round(time.Millisecond), float64(tag.RowsAffected())/d.Seconds())
	}
	if showCPU {
		logf("CPU during the COPYs: %.2f s", cpuSpent.Seconds())
	}
	return spent, nil
}

// liveHeap is the live heap the last GC found (runtime/metrics).
func liveHeap() uint64 {
	m := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(m)
	if m[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return m[0].Value.Uint64()
}

// cutTrailingBars cuts each .tbl line's trailing '|' in place (no second
// copy of a table's text next to the server when it runs in this process).
func cutTrailingBars(text []byte) []byte {
	out := text[:0]
	for len(text) > 0 {
		i := bytes.Index(text, []byte("|\n"))
		if i < 0 {
			out = append(out, text...)
			break
		}
		out = append(out, text[:i]...) // copy within text: out never passes text
		out = append(out, '\n')
		text = text[i+2:]
	}
	return out
}

// runTPCHLoad is `omendb bench tpch load --sf SF [--url URL] [--pg]
// [--cpuprofile F] [--memprofile F] [--json]`: COPY the generated tables
// into a fresh in-process OmenDB (durable: fsync per log message), or into
// the server at URL, and with --pg into a throwaway PostgreSQL 15 (fsync
// on) in the same run. Only the COPYs are timed, not the generation of the
// text. In process it also reports the peak live heap during the COPYs and
// the live heap once they are done (column store caught up, forced GC).
func runTPCHLoad(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench tpch load", flag.ContinueOnError)
	sf := fs.Float64("sf", 1, "scale factor")
	url := fs.String("url", "", "server to load (default: a fresh in-process OmenDB)")
	withPG := fs.Bool("pg", false, "also load a throwaway PostgreSQL 15 (the peer) in the same run")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the OmenDB load to this file")
	memProfile := fs.String("memprofile", "", "in process: write a heap profile to this file after the COPYs, the column store's catch-up and a GC")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	logf := func(f string, a ...any) { fmt.Fprintf(os.Stderr, "bench tpch load: "+f+"\n", a...) }
	type loadResult struct {
		System  string  `json:"system"`
		SF      float64 `json:"sf"`
		Seconds float64 `json:"copy_seconds"`
		// In process only: the largest live heap a GC found during the
		// COPYs, and the live heap after them (column store caught up,
		// forced GC), in MB.
		PeakLiveMB  float64 `json:"peak_live_heap_mb,omitempty"`
		AfterLiveMB float64 `json:"live_heap_after_mb,omitempty"`
	}
	var results []loadResult
	connURL := *url
	var srv *server.Server
	var peakLive atomic.Uint64
	if connURL == "" {
		s, u, stop, err := startThrowawayServer(ctx, "tpch-load", server.Config{})
		if err != nil {
			return err
		}
		defer stop()
		srv, connURL = s, u
		done := make(chan struct{})
		defer close(done)
		go func() { // the live heap is measured by each GC: sample it
			t := time.NewTicker(20 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-done:
					return
				case <-t.C:
					if v := liveHeap(); v > peakLive.Load() {
						peakLive.Store(v)
					}
				}
			}
		}()
	}
	c, err := pgx.Connect(ctx, connURL)
	if err != nil {
		return err
	}
	stopProfile, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	logf("omendb: loading SF %g", *sf)
	d, err := tpchLoad(ctx, c, *sf, func(f string, a ...any) { logf("omendb: "+f, a...) }, *url == "")
	stopProfile()
	c.Close(context.Background())
	if err != nil {
		return err
	}
	res := loadResult{System: "omendb", SF: *sf, Seconds: d.Seconds()}
	if srv != nil {
		res.PeakLiveMB = float64(peakLive.Load()) / 1e6
		t0 := time.Now()
		if err := srv.OLAP.Store.WaitApplied(ctx, srv.Store.Applied()); err != nil {
			return fmt.Errorf("waiting for the column store: %w", err)
		}
		runtime.GC()
		res.AfterLiveMB = float64(liveHeap()) / 1e6
		logf("omendb: live heap peak %.0f MB during the COPYs; %.0f MB after them (column store caught up %.2fs later, forced GC)",
			res.PeakLiveMB, res.AfterLiveMB, time.Since(t0).Seconds())
		if err := writeHeapProfile(*memProfile); err != nil {
			return err
		}
	}
	results = append(results, res)
	if *withPG {
		pg, err := testpg.StartServer(ctx, testpg.Options{Database: "tpch",
			Config: []string{"shared_buffers = 512MB", "max_wal_size = 4GB"}})
		if err != nil {
			return fmt.Errorf("starting PostgreSQL: %w", err)
		}
		defer pg.Close()
		pc, err := pgx.Connect(ctx, pg.ConnString())
		if err != nil {
			return err
		}
		logf("postgres: loading SF %g", *sf)
		d, err := tpchLoad(ctx, pc, *sf, func(f string, a ...any) { logf("postgres: "+f, a...) })
		pc.Close(context.Background())
		if err != nil {
			return err
		}
		results = append(results, loadResult{System: "postgresql-15", SF: *sf, Seconds: d.Seconds()})
	}
	machine := fmt.Sprintf("%s/%s, %d CPUs, %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"machine": machine, "results": results})
	}
	fmt.Printf("TPC-H SF %g load (COPY … DELIMITER '|'), %s\n", *sf, machine)
	for _, r := range results {
		fmt.Printf("%-14s %9.2f s\n", r.System, r.Seconds)
	}
	if len(results) == 2 {
		fmt.Printf("ratio omendb/postgres: %.2f\n", results[0].Seconds/results[1].Seconds)
	}
	return nil
}

type tpchTiming struct {
	System  string             `json:"system"`
	SF      float64            `json:"sf"`
	Load    float64            `json:"load_s"`
	Queries map[string]float64 `json:"queries_s"`
	Errors  map[string]string  `json:"errors,omitempty"`
	Total   float64            `json:"total_s"`
	// RunTotals are the totals of each pass over the queries (--runs);
	// Queries and Total are then the medians.
	RunTotals []float64 `json:"run_totals_s,omitempty"`
	// AllocMB is each query's heap allocation in the server (--allocs),
	// in MB (the median over passes), and AllocTotal their sum.
	AllocMB    map[string]float64 `json:"alloc_mb,omitempty"`
	AllocTotal float64            `json:"alloc_total_mb,omitempty"`
}

// runTPCHRun is `omendb bench tpch run --sf SF [--url URL] [--engine E]
// [--pg] [--json] [--queries LIST] [--timeout D] [--runs N]`: run the 22
// queries with the validation parameters and print per-query times and the
// total. --runs N makes N passes over the queries on OmenDB and reports each
// query's median and the median of the pass totals (DuckDB's reference
// figure is a median of 3); PostgreSQL, with its minutes-long queries, runs
// one pass.
// Without --url it starts an in-process OmenDB in a temporary directory and
// loads SF first. --pg also times a throwaway PostgreSQL 15 on the same
// data in the same run. --check DIR (SF 1) compares OmenDB's results with
// the TPC's answer set (package answers) and fails on a difference.
func runTPCHRun(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench tpch run", flag.ContinueOnError)
	sf := fs.Float64("sf", 1, "scale factor")
	url := fs.String("url", "", "an OmenDB already loaded with SF (default: start one and load)")
	engine := fs.String("engine", "column", "omendb.engine: column, row or auto")
	withPG := fs.Bool("pg", false, "also time PostgreSQL 15 on the same data")
	asJSON := fs.Bool("json", false, "print JSON")
	list := fs.String("queries", "", "comma-separated query numbers (default all 22)")
	timeout := fs.Duration("timeout", 120*time.Second, "per-query timeout")
	check := fs.String("check", "", "TPC-H answer-set directory (q1.out …, SF 1 only): compare OmenDB's results with it and fail on a difference")
	runs := fs.Int("runs", 1, "passes over the queries on OmenDB; per-query medians and the median total are reported")
	allocs := fs.Bool("allocs", false, "also report the bytes each query allocates in the server (in process, or with --url through --pprof)")
	pprofURL := fs.String("pprof", "", "with --url and --allocs: the server's HTTP address (its /debug/pprof/heap is read around each query)")
	memProfile := fs.String("memprofile", "", "in process: write a heap profile to this file after the load (or start) and a GC, before the queries")
	dataDir := fs.String("data", "", "instead of loading: serve this existing data directory (loaded with SF, e.g. by omendb serve) in process")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of this process over OmenDB's query passes to this file (in process: the server's work included)")
	memAfter := fs.String("memprofile-after", "", "in process: write a heap profile to this file after OmenDB's passes and two GCs (its allocation counts include the passes; compare runs with different --runs to see what a warm pass allocates)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *runs < 1 {
		return fmt.Errorf("bench tpch run: --runs must be at least 1")
	}
	if *check != "" && *sf != 1 {
		return fmt.Errorf("bench tpch run: --check needs --sf 1 (the answer set is SF 1's)")
	}
	var qs []int
	if *list == "" {
		for n := 1; n <= queries.NumQueries; n++ {
			qs = append(qs, n)
		}
	} else {
		for _, s := range strings.Split(*list, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil || n < 1 || n > queries.NumQueries {
				return fmt.Errorf("bench tpch run: bad query number %q", s)
			}
			qs = append(qs, n)
		}
	}
	logf := func(f string, a ...any) { fmt.Fprintf(os.Stderr, "bench tpch run: "+f+"\n", a...) }
	var results []tpchTiming
	// OmenDB.
	connURL := *url
	res := tpchTiming{System: "omendb/" + *engine, SF: *sf}
	var allocated func() (uint64, error)
	if *allocs {
		allocated = inProcessAllocated
		if connURL != "" {
			if *pprofURL == "" {
				return fmt.Errorf("bench tpch run: --allocs with --url needs --pprof (the server's --http address)")
			}
			allocated = func() (uint64, error) { return servedAllocated(ctx, *pprofURL) }
		}
	}
	if connURL == "" && *dataDir != "" {
		srv, err := server.Start(ctx, server.Config{Data: *dataDir, Listen: "127.0.0.1:0", Unsafe: true,
			CheckpointInterval: -1, RetentionInterval: -1,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			return err
		}
		defer srv.Close()
		if err := srv.WaitReady(ctx); err != nil {
			return err
		}
		t0 := time.Now()
		if err := srv.OLAP.Store.WaitApplied(ctx, srv.Store.Applied()); err != nil {
			return fmt.Errorf("waiting for the column store: %w", err)
		}
		logf("omendb: serving %s in process; column store ready %.2fs after the row store", *dataDir, time.Since(t0).Seconds())
		runtime.GC()
		if err := writeHeapProfile(*memProfile); err != nil {
			return err
		}
		connURL = fmt.Sprintf("postgres://omendb@%s/omendb?sslmode=disable", srv.Addr())
	} else if connURL == "" {
		srv, u, stop, err := startThrowawayServer(ctx, "tpch", server.Config{Unsafe: true})
		if err != nil {
			return err
		}
		defer stop()
		connURL = u
		c, err := pgx.Connect(ctx, connURL)
		if err != nil {
			return err
		}
		d, err := tpchLoad(ctx, c, *sf, logf)
		if err != nil {
			c.Close(context.Background())
			return err
		}
		res.Load = d.Seconds()
		c.Close(context.Background())
		logf("omendb: loaded SF %g in %.2fs", *sf, res.Load)
		// Queries read at the row store's offset; under engine=column they
		// wait (bounded) for the column store to reach it. Let it catch up
		// first so the timings measure queries, not the load's tail.
		t0 := time.Now()
		if err := srv.OLAP.Store.WaitApplied(ctx, srv.Store.Applied()); err != nil {
			return fmt.Errorf("waiting for the column store: %w", err)
		}
		logf("omendb: column store caught up %.2fs after the load", time.Since(t0).Seconds())
		// The load's garbage (the generated text, COPY buffers) is the
		// load's tail too: collect it now, or the first query (Q1) pays
		// for a GC cycle over the whole heap. A served OmenDB (--url) has
		// no such debt.
		t0 = time.Now()
		runtime.GC()
		logf("omendb: collected the load's garbage in %.2fs", time.Since(t0).Seconds())
		if err := writeHeapProfile(*memProfile); err != nil {
			return err
		}
	}
	stopProfile, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	err = tpchTimeRuns(ctx, connURL, "SET omendb.engine = '"+*engine+"'", *sf, qs, *timeout, *check, *runs, allocated, &res, logf)
	stopProfile()
	if err != nil {
		return err
	}
	if *memAfter != "" {
		// A heap profile's allocation counts are published by the GC
		// cycles after the allocations.
		runtime.GC()
		runtime.GC()
		if err := writeHeapProfile(*memAfter); err != nil {
			return err
		}
	}
	results = append(results, res)
	wrong := 0
	for _, e := range res.Errors {
		if strings.HasPrefix(e, "wrong answer") {
			wrong++
		}
	}
	if *withPG {
		pg, err := testpg.StartServer(ctx, testpg.Options{Database: "tpch", NoFsync: true,
			Config: []string{"shared_buffers = 512MB", "max_wal_size = 4GB"}})
		if err != nil {
			return fmt.Errorf("starting PostgreSQL: %w", err)
		}
		defer pg.Close()
		pres := tpchTiming{System: "postgresql-15", SF: *sf}
		c, err := pgx.Connect(ctx, pg.ConnString())
		if err != nil {
			return err
		}
		d, err := tpchLoad(ctx, c, *sf, logf)
		if err != nil {
			return err
		}
		t0 := time.Now()
		if _, err := c.Exec(ctx, "ANALYZE"); err != nil {
			return err
		}
		pres.Load = (d + time.Since(t0)).Seconds()
		c.Close(context.Background())
		if err := tpchTime(ctx, pg.ConnString(), "", *sf, qs, *timeout, "", nil, &pres, logf); err != nil {
			return err
		}
		results = append(results, pres)
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(map[string]any{"machine": fmt.Sprintf("%s/%s, %d CPUs, %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version()), "results": results}); err != nil {
			return err
		}
		if wrong > 0 {
			return fmt.Errorf("bench tpch run: %d wrong answers", wrong)
		}
		return nil
	}
	fmt.Printf("TPC-H SF %g, validation parameters (%s/%s, %d CPUs)\n", *sf, runtime.GOOS, runtime.GOARCH, runtime.NumCPU())
	fmt.Printf("%-6s", "query")
	for _, r := range results {
		fmt.Printf(" %16s", r.System)
	}
	if res.AllocMB != nil {
		fmt.Printf(" %16s", "omendb alloc")
	}
	fmt.Println()
	for _, n := range qs {
		k := "Q" + strconv.Itoa(n)
		fmt.Printf("%-6s", k)
		for _, r := range results {
			if e, ok := r.Errors[k]; ok {
				fmt.Printf(" %16s", "ERR:"+trunc(e, 12))
			} else {
				fmt.Printf(" %15.3fs", r.Queries[k])
			}
		}
		if res.AllocMB != nil {
			fmt.Printf(" %13.1f MB", res.AllocMB[k])
		}
		fmt.Println()
	}
	fmt.Printf("%-6s", "total")
	for _, r := range results {
		fmt.Printf(" %15.3fs", r.Total)
	}
	if res.AllocMB != nil {
		fmt.Printf(" %13.1f MB", res.AllocTotal)
	}
	fmt.Println()
	if len(res.RunTotals) > 1 {
		fmt.Printf("omendb: medians of %d passes; pass totals", len(res.RunTotals))
		for _, t := range res.RunTotals {
			fmt.Printf(" %.3fs", t)
		}
		fmt.Println()
	}
	fmt.Printf("%-6s", "load")
	for _, r := range results {
		fmt.Printf(" %15.3fs", r.Load)
	}
	fmt.Println()
	if *check != "" {
		if wrong > 0 {
			return fmt.Errorf("bench tpch run: %d of %d answers differ from %s", wrong, len(qs), *check)
		}
		fmt.Printf("answers: %d of %d equal to %s\n", len(qs)-len(res.Errors), len(qs), *check)
	}
	return nil
}

func trunc(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// tpchTimeRuns makes runs passes of tpchTime over qs and records, in res,
// each query's median time, the median of the pass totals and the totals
// themselves. An error (or wrong answer) in any pass is kept.
func tpchTimeRuns(ctx context.Context, url, setup string, sf float64, qs []int, timeout time.Duration, checkDir string, runs int, allocated func() (uint64, error), res *tpchTiming, logf func(string, ...any)) error {
	if runs == 1 {
		return tpchTime(ctx, url, setup, sf, qs, timeout, checkDir, allocated, res, logf)
	}
	per, perAlloc := map[string][]float64{}, map[string][]float64{}
	errs := map[string]string{}
	var totals []float64
	for i := 0; i < runs; i++ {
		logf("%s: pass %d of %d", res.System, i+1, runs)
		pass := tpchTiming{System: res.System, SF: res.SF}
		before := processCounters()
		if err := tpchTime(ctx, url, setup, sf, qs, timeout, checkDir, allocated, &pass, logf); err != nil {
			return err
		}
		after := processCounters()
		for k, v := range pass.Queries {
			per[k] = append(per[k], v)
		}
		for k, v := range pass.AllocMB {
			perAlloc[k] = append(perAlloc[k], v)
		}
		for k, e := range pass.Errors {
			errs[k] = e
		}
		totals = append(totals, pass.Total)
		// The process's own counters: the server's too when it runs in
		// process (fresh memory costs page faults, seconds per GiB on some
		// VMs; a GC cycle marks the whole store).
		logf("%s: pass %d total %.3fs (this process: CPU %.2fs, %d page faults, %d GC cycles; heap %s)", res.System, i+1, pass.Total,
			(after.cpu - before.cpu).Seconds(), after.faults-before.faults, after.gcs-before.gcs, after.heap)
	}
	res.Queries = map[string]float64{}
	for k, v := range per {
		res.Queries[k] = median(v)
	}
	if len(perAlloc) > 0 {
		res.AllocMB = map[string]float64{}
		for k, v := range perAlloc {
			res.AllocMB[k] = median(v)
			res.AllocTotal += res.AllocMB[k]
		}
	}
	res.Errors = errs
	res.RunTotals = totals
	res.Total = median(totals)
	return nil
}

type counters struct {
	cpu         time.Duration
	faults, gcs int64
	heap        string // heapClasses after
}

// processCounters reads this process's CPU time, minor page faults,
// completed GC cycles and heap classes.
func processCounters() counters {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	var gc debug.GCStats
	debug.ReadGCStats(&gc)
	return counters{cpu: time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), faults: ru.Minflt, gcs: gc.NumGC, heap: heapClasses()}
}

// heapClasses describes the Go heap's memory: in objects, free but kept,
// given back to the OS (touching it again faults), the next GC's goal, and
// the process's resident memory.
func heapClasses() string {
	s := []metrics.Sample{
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/heap/free:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
		{Name: "/gc/heap/goal:bytes"},
	}
	metrics.Read(s)
	gib := func(i int) float64 { return float64(s[i].Value.Uint64()) / (1 << 30) }
	// The resident set shows how much of the heap's objects and free
	// memory is backed by pages: free memory the process never wrote is
	// not, and the next allocation there faults.
	rss := 0.0
	if b, err := os.ReadFile("/proc/self/statm"); err == nil {
		var size, res int64
		if _, err := fmt.Sscan(string(b), &size, &res); err == nil {
			rss = float64(res*int64(os.Getpagesize())) / (1 << 30)
		}
	}
	return fmt.Sprintf("objects %.2f GiB, free %.2f, released %.2f, goal %.2f; resident %.2f GiB", gib(0), gib(1), gib(2), gib(3), rss)
}

// median returns the median of v (the mean of the middle two for an even
// count); v is sorted in place.
func median(v []float64) float64 {
	sort.Float64s(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// tpchTime runs each query once on a fresh connection and records its time.
// With checkDir, each result (as text) is compared with the answer set's
// qN.out (answers.CheckQuery) after it is timed; a difference is recorded as an
// error starting "wrong answer". With allocated, the server's allocation
// counter is read before and after each query and the difference recorded
// in res.AllocMB.
func tpchTime(ctx context.Context, url, setup string, sf float64, qs []int, timeout time.Duration, checkDir string, allocated func() (uint64, error), res *tpchTiming, logf func(string, ...any)) error {
	res.Queries = map[string]float64{}
	if allocated != nil {
		res.AllocMB = map[string]float64{}
	}
	res.Errors = map[string]string{}
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer c.Close(context.Background())
	if setup != "" {
		if _, err := c.Exec(ctx, setup); err != nil {
			return err
		}
	}
	for _, n := range qs {
		k := "Q" + strconv.Itoa(n)
		q := queries.Validation(n).SQL(sf)
		var a0 uint64
		if allocated != nil {
			if a0, err = allocated(); err != nil {
				return err
			}
		}
		qctx, cancel := context.WithTimeout(ctx, timeout)
		t0 := time.Now()
		rows, err := c.Query(qctx, q, pgx.QueryExecModeSimpleProtocol)
		count := 0
		var got [][]string
		if err == nil {
			for rows.Next() {
				count++
				if checkDir != "" {
					raw := rows.RawValues()
					row := make([]string, len(raw))
					for i, b := range raw {
						row[i] = string(b) // text format (simple protocol); NULL as ""
					}
					got = append(got, row)
				}
			}
			rows.Close()
			err = rows.Err()
		}
		d := time.Since(t0)
		cancel()
		if allocated != nil {
			a1, aerr := allocated()
			if aerr != nil {
				return aerr
			}
			res.AllocMB[k] = float64(a1-a0) / 1e6
			res.AllocTotal += res.AllocMB[k]
		}
		if err != nil {
			res.Errors[k] = err.Error()
			logf("%s %s: %v", res.System, k, err)
			if c.IsClosed() || qctx.Err() != nil {
				c.Close(context.Background())
				if c, err = pgx.Connect(ctx, url); err != nil {
					return err
				}
				if setup != "" {
					if _, err := c.Exec(ctx, setup); err != nil {
						return err
					}
				}
			}
		} else {
			logf("%s %s: %d rows, %.3fs", res.System, k, count, d.Seconds())
			if checkDir != "" {
				want, err := answers.Read(answers.File(checkDir, n))
				if err == nil {
					err = answers.CheckQuery(n, want, got)
				}
				if err != nil {
					res.Errors[k] = "wrong answer: " + err.Error()
					logf("%s %s: wrong answer: %v", res.System, k, err)
				}
			}
		}
		res.Queries[k] = d.Seconds()
		res.Total += d.Seconds()
	}
	return nil
}

// inProcessAllocated returns the bytes allocated on the heap so far by this
// process (runtime/metrics: no stop of the world).
func inProcessAllocated() (uint64, error) {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0, fmt.Errorf("runtime/metrics: no /gc/heap/allocs:bytes")
	}
	return s[0].Value.Uint64(), nil
}

// servedAllocated returns the TotalAlloc a server reports on its
// /debug/pprof/heap?debug=1 page (addr is its --http address).
func servedAllocated(ctx context.Context, addr string) (uint64, error) {
	if !strings.Contains(addr, "://") {
		addr = "http://" + addr
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, addr+"/debug/pprof/heap?debug=1", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("reading the server's allocations: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, fmt.Errorf("reading the server's allocations: %w", err)
	}
	const key = "\n# TotalAlloc = "
	i := bytes.Index(body, []byte(key))
	if i < 0 {
		return 0, fmt.Errorf("%s/debug/pprof/heap?debug=1 has no TotalAlloc", addr)
	}
	rest := body[i+len(key):]
	if j := bytes.IndexByte(rest, '\n'); j >= 0 {
		rest = rest[:j]
	}
	return strconv.ParseUint(string(rest), 10, 64)
}

// writeHeapProfile writes the heap profile to path ("" writes nothing).
func writeHeapProfile(path string) error {
	if path == "" {
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return fmt.Errorf("writing the heap profile: %w", err)
	}
	return f.Close()
}
