package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/omendb/omendb/internal/procs"
	"github.com/omendb/omendb/internal/testpg"
	"github.com/omendb/omendb/oltp"
	"github.com/omendb/omendb/server"
)

func init() { benchCommands["commit"] = runBenchCommit }

// commitResult is one (system, connections) measurement.
type commitResult struct {
	System   string  `json:"system"`
	Conns    int     `json:"conns"`
	Commits  int64   `json:"commits"`
	Seconds  float64 `json:"seconds"`
	PerSec   float64 `json:"commits_per_sec"`
	P50Ms    float64 `json:"p50_ms"`
	P99Ms    float64 `json:"p99_ms"`
	Failures int64   `json:"failures"`
	// Round is the 1-based round (--rounds alternates the systems).
	Round int `json:"round"`
	// TxnsPerRecord is OmenDB's mean group-commit size (transactions per
	// log record, i.e. per fsync).
	TxnsPerRecord float64 `json:"txns_per_record,omitempty"`
	// StagesMs are the medians of the commit's stages inside the server
	// (oltp.StageNames, then the whole commit), OmenDB in-process only.
	StagesMs []float64 `json:"stages_p50_ms,omitempty"`
	// CPUPerCommitUs is the CPU time (user+system) of this process per
	// commit: client and in-process server together (OmenDB only).
	CPUPerCommitUs float64 `json:"cpu_per_commit_us,omitempty"`
	// TurnaroundMs is the median time from a record's acknowledgement to
	// the next record's send while transactions were waiting for it.
	TurnaroundMs float64 `json:"turnaround_p50_ms,omitempty"`
	// Procs is what the adaptive GOMAXPROCS controller did over the
	// level (OmenDB in-process only; "" with OMENDB_PROCS=fixed).
	Procs string `json:"procs,omitempty"`
}

// runBenchCommit measures durable single-row INSERT commits/s and latency
// against OmenDB and PostgreSQL 15 side by side.
func runBenchCommit(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench commit", flag.ContinueOnError)
	dur := fs.Duration("duration", 10*time.Second, "measurement time per level")
	levels := fs.String("conns", "1,8,64", "connection counts")
	jsonOut := fs.Bool("json", false, "print one JSON object per result")
	noPG := fs.Bool("no-postgres", false, "skip the PostgreSQL peer")
	omendbURL := fs.String("url", "", "benchmark a running OmenDB at this URL instead of starting one")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
	unsafe := fs.Bool("unsafe-no-fsync", false, "diagnostic: run OmenDB without fsync (not a fair comparison)")
	traceOut := fs.String("trace", "", "diagnostic: write a Go execution trace of OmenDB's first measured level to this file (go tool trace)")
	rounds := fs.Int("rounds", 1, "alternate the systems this many times at each level and report each round's ratios and their median: this machine's speed drifts by minutes")
	transport := fs.String("transport", "tcp", "how the clients connect to both systems: tcp (127.0.0.1) or unix (each one's Unix-domain socket, as local clients such as psql and pgbench do)")
	inFlight := fs.String("in-flight", "", "OmenDB's log appends in flight, e.g. 1,2: each value runs as its own system (omendb/if=N) side by side; default: the committer's default")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *transport != "unix" && *transport != "tcp" {
		return fmt.Errorf("bench commit: --transport must be tcp or unix, not %q", *transport)
	}
	stopProfile, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	var conns []int
	for _, s := range strings.Split(*levels, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return fmt.Errorf("bad --conns %q", *levels)
		}
		conns = append(conns, n)
	}
	type system struct {
		name     string
		url      string
		inFlight int // OmenDB's appends in flight (0: leave the committer's setting)
	}
	var systems []system
	var srv *server.Server
	if *omendbURL != "" {
		systems = append(systems, system{name: "omendb", url: *omendbURL})
	} else {
		var url string
		var stop func()
		var err error
		srv, url, stop, err = startThrowawayServer(ctx, "commit", server.Config{Unsafe: *unsafe})
		if err != nil {
			return err
		}
		defer stop()
		if *transport == "unix" {
			url = unixURL("omendb", "omendb", filepath.Dir(srv.SocketPath()), srv.Addr())
		}
		if *inFlight == "" {
			systems = append(systems, system{name: "omendb", url: url})
		}
		for _, s := range strings.Split(*inFlight, ",") {
			if s = strings.TrimSpace(s); s == "" {
				continue
			}
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 {
				return fmt.Errorf("bad --in-flight %q", *inFlight)
			}
			systems = append(systems, system{name: fmt.Sprintf("omendb/if=%d", n), url: url, inFlight: n})
		}
	}
	pgURL := "" // the peer's, for settleSystems
	if !*noPG {
		fmt.Fprintln(os.Stderr, "bench commit: starting PostgreSQL 15 (fsync on, synchronous_commit on)")
		pg, err := testpg.StartServer(ctx, testpg.Options{Database: "bench", Config: []string{"max_connections = 200", "shared_buffers = 256MB"}})
		if err != nil {
			return fmt.Errorf("starting PostgreSQL: %w", err)
		}
		defer pg.Close()
		pgConn := pg.ConnString()
		if *transport == "unix" {
			pgConn = unixURL("postgres", "bench", pg.SocketDir(), net.JoinHostPort(pg.Host(), strconv.Itoa(pg.Port())))
		}
		systems = append(systems, system{name: "postgres", url: pgConn})
		pgURL = pg.ConnString()
	}
	disk, err := probeDisk(os.TempDir())
	if err != nil {
		return err
	}
	if *jsonOut {
		b, _ := json.Marshal(disk)
		fmt.Println(string(b))
	}
	if *rounds < 1 {
		return fmt.Errorf("bad --rounds %d", *rounds)
	}
	// runLevel measures one system at n connections and adds what the
	// in-process server shows (commit stages, CPU, group size).
	runLevel := func(round, n int, sys system) (commitResult, error) {
		if *rounds > 1 {
			fmt.Fprintf(os.Stderr, "bench commit: round %d of %d: %s, %d connections, %s ...\n", round, *rounds, sys.name, n, *dur)
		} else {
			fmt.Fprintf(os.Stderr, "bench commit: %s, %d connections, %s ...\n", sys.name, n, *dur)
		}
		// Both systems at rest first: neither's checkpoint or vacuum lands
		// in the run.
		restBeforeRun(ctx, "commit", srv, pgURL)
		var recs0, txns0 int64
		isOmen := strings.HasPrefix(sys.name, "omendb")
		if isOmen && srv != nil {
			if sys.inFlight > 0 {
				srv.Committer.SetMaxInFlight(sys.inFlight)
			}
			recs0, txns0 = srv.Committer.Stats().Records.Load(), srv.Committer.Stats().Txns.Load()
		}
		var trace *oltp.CommitTrace
		var cpu0 time.Duration
		var procs0 procs.Stats
		var stopTrace func()
		r, err := commitLevel(ctx, sys.url, sys.name, n, *dur, func() {
			if isOmen && srv != nil {
				trace = &oltp.CommitTrace{}
				srv.Committer.SetTrace(trace)
				cpu0 = processCPU()
				procs0, _ = procs.Snapshot()
			}
			if isOmen && *traceOut != "" {
				var err error
				if stopTrace, err = startExecTrace(*traceOut); err != nil {
					fmt.Fprintf(os.Stderr, "bench commit: %v\n", err) // diagnostic only
				}
				*traceOut = ""
			}
		})
		if stopTrace != nil {
			stopTrace()
		}
		if trace != nil {
			if r.Commits > 0 {
				r.CPUPerCommitUs = float64((processCPU() - cpu0).Microseconds()) / float64(r.Commits)
			}
			r.Procs = procsSince(procs0)
			srv.Committer.SetTrace(nil)
			for i := range oltp.NumStages + 1 {
				r.StagesMs = append(r.StagesMs, float64(trace.Percentile(i, 0.5).Microseconds())/1000)
			}
			r.TurnaroundMs = float64(trace.Gap(0.5).Microseconds()) / 1000
		}
		if err != nil {
			return commitResult{}, fmt.Errorf("%s at %d connections: %w", sys.name, n, err)
		}
		if isOmen && srv != nil {
			if recs := srv.Committer.Stats().Records.Load() - recs0; recs > 0 {
				r.TxnsPerRecord = float64(srv.Committer.Stats().Txns.Load()-txns0) / float64(recs)
			}
		}
		r.Round = round
		return r, nil
	}
	var results []commitResult
	for _, n := range conns {
		for round := 1; round <= *rounds; round++ {
			for _, sys := range systems {
				r, err := runLevel(round, n, sys)
				if err != nil {
					return err
				}
				results = append(results, r)
				if *jsonOut {
					b, _ := json.Marshal(r)
					fmt.Println(string(b))
				}
			}
		}
	}
	if !*jsonOut {
		printCommitTable(results, disk)
	}
	return nil
}

// diskProbe is the speed of the disk under os.TempDir() (where the
// throwaway server's data directory is), measured in the same run: what one
// log append's fsync costs at best.
type diskProbe struct {
	// AppendFsync: append 300 bytes to a file and fsync it (what
	// JetStream's file store does per message with SyncAlways).
	AppendFsyncP50Ms float64 `json:"append_fsync_p50_ms"`
	AppendFsyncP99Ms float64 `json:"append_fsync_p99_ms"`
	// OverwriteFdatasync: overwrite 300 bytes in a preallocated file and
	// fdatasync it (what PostgreSQL's WAL does).
	OverwriteFdatasyncP50Ms float64 `json:"overwrite_fdatasync_p50_ms"`
}

// probeDisk times 200 appends+fsync of 300 bytes to one scratch file under
// dir and 200 overwrites+fdatasync of 300 bytes in another, preallocated
// one, interleaved one by one so that the disk's drift during the probe
// hits both patterns alike.
func probeDisk(dir string) (diskProbe, error) {
	const n, size = 200, 300
	grow, err := os.CreateTemp(dir, "omendb-disk-probe")
	if err != nil {
		return diskProbe{}, fmt.Errorf("disk probe: %w", err)
	}
	defer os.Remove(grow.Name())
	defer grow.Close()
	over, err := os.CreateTemp(dir, "omendb-disk-probe")
	if err != nil {
		return diskProbe{}, fmt.Errorf("disk probe: %w", err)
	}
	defer os.Remove(over.Name())
	defer over.Close()
	if _, err := over.Write(make([]byte, n*size)); err != nil {
		return diskProbe{}, fmt.Errorf("disk probe: %w", err)
	}
	if err := over.Sync(); err != nil {
		return diskProbe{}, fmt.Errorf("disk probe: %w", err)
	}
	buf := make([]byte, size)
	var app, ovr []time.Duration
	for i := range n {
		t0 := time.Now()
		if _, err := grow.Write(buf); err != nil {
			return diskProbe{}, fmt.Errorf("disk probe: %w", err)
		}
		if err := grow.Sync(); err != nil {
			return diskProbe{}, fmt.Errorf("disk probe: %w", err)
		}
		t1 := time.Now()
		if _, err := over.WriteAt(buf, int64(i*size)); err != nil {
			return diskProbe{}, fmt.Errorf("disk probe: %w", err)
		}
		if err := fdatasync(over); err != nil {
			return diskProbe{}, fmt.Errorf("disk probe: %w", err)
		}
		app, ovr = append(app, t1.Sub(t0)), append(ovr, time.Since(t1))
	}
	pct := func(d []time.Duration, p float64) float64 {
		slices.Sort(d)
		return float64(d[int(p*float64(len(d)-1))].Microseconds()) / 1000
	}
	return diskProbe{AppendFsyncP50Ms: pct(app, 0.5), AppendFsyncP99Ms: pct(app, 0.99), OverwriteFdatasyncP50Ms: pct(ovr, 0.5)}, nil
}

// processCPU returns the CPU time this process used so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func fdatasync(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = syscall.Fdatasync(int(fd)) }); err != nil {
		return err
	}
	return serr
}

// commitLevel runs n connections inserting for dur; started is called once
// they are connected, just before the measurement starts.
func commitLevel(ctx context.Context, url, name string, n int, dur time.Duration, started func()) (commitResult, error) {
	setup, err := pgx.Connect(ctx, url)
	if err != nil {
		return commitResult{}, err
	}
	table := fmt.Sprintf("bench_commit_%d", n)
	if i := strings.IndexByte(name, '='); i >= 0 { // omendb/if=N: a table per system
		table += "_if" + name[i+1:]
	}
	if _, err := setup.Exec(ctx, "DROP TABLE IF EXISTS "+table); err != nil {
		return commitResult{}, err
	}
	if _, err := setup.Exec(ctx, "CREATE TABLE "+table+" (id bigint PRIMARY KEY, conn int NOT NULL, payload text)"); err != nil {
		return commitResult{}, err
	}
	setup.Close(ctx)
	conns := make([]*pgx.Conn, n)
	for i := range conns {
		if conns[i], err = pgx.Connect(ctx, url); err != nil {
			return commitResult{}, err
		}
		defer conns[i].Close(ctx)
	}
	var commits, failures atomic.Int64
	lat := make([][]time.Duration, n)
	started()
	start := time.Now()
	deadline := start.Add(dur)
	var wg sync.WaitGroup
	insert := "INSERT INTO " + table + " VALUES ($1, $2, $3)"
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c := conns[i]
			payload := strings.Repeat("p", 100)
			for seq := int64(0); time.Now().Before(deadline); seq++ {
				t0 := time.Now()
				_, err := c.Exec(ctx, insert, int64(i)<<40|seq, i, payload)
				if err != nil {
					failures.Add(1)
					continue
				}
				lat[i] = append(lat[i], time.Since(t0))
				commits.Add(1)
			}
		}(i)
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	sort.Slice(all, func(a, b int) bool { return all[a] < all[b] })
	pct := func(p float64) float64 {
		if len(all) == 0 {
			return 0
		}
		return float64(all[int(p*float64(len(all)-1))].Microseconds()) / 1000
	}
	return commitResult{System: name, Conns: n, Commits: commits.Load(), Seconds: elapsed,
		PerSec: float64(commits.Load()) / elapsed, P50Ms: pct(0.50), P99Ms: pct(0.99), Failures: failures.Load()}, nil
}

func printCommitTable(rs []commitResult, disk diskProbe) {
	fmt.Printf("durable single-row INSERT commits (%d cores, %s)\n", runtime.NumCPU(), time.Now().Format("2006-01-02"))
	fmt.Printf("disk (same run): append 300 B + fsync p50 %.2f ms, p99 %.2f ms; overwrite + fdatasync p50 %.2f ms\n",
		disk.AppendFsyncP50Ms, disk.AppendFsyncP99Ms, disk.OverwriteFdatasyncP50Ms)
	rounds := 1
	for _, r := range rs {
		rounds = max(rounds, r.Round)
	}
	fmt.Printf("%-6s %5s %-12s %12s %9s %9s %9s %12s\n", "conns", "round", "system", "commits/s", "p50 ms", "p99 ms", "failures", "txns/fsync")
	for _, r := range rs {
		group := ""
		if r.TxnsPerRecord > 0 {
			group = fmt.Sprintf("%.1f", r.TxnsPerRecord)
		}
		fmt.Printf("%-6d %5d %-12s %12.0f %9.2f %9.2f %9d %12s\n", r.Conns, r.Round, r.System, r.PerSec, r.P50Ms, r.P99Ms, r.Failures, group)
	}
	for _, r := range rs {
		if len(r.StagesMs) == 0 {
			continue
		}
		fmt.Printf("%s at %d conns", r.System, r.Conns)
		if rounds > 1 {
			fmt.Printf(" (round %d)", r.Round)
		}
		fmt.Printf(", stage p50 ms:")
		for i, name := range oltp.StageNames {
			fmt.Printf(" %s %.3f,", name, r.StagesMs[i])
		}
		fmt.Printf(" commit %.3f (client %.3f); ack to next send %.3f; process CPU %.0f µs/commit\n", r.StagesMs[oltp.NumStages], r.P50Ms, r.TurnaroundMs, r.CPUPerCommitUs)
		if r.Procs != "" {
			fmt.Printf("  %s\n", r.Procs)
		}
	}
	fmt.Println("ratios (omendb / postgres):")
	for _, line := range commitRatios(rs, rounds) {
		fmt.Println("  " + line)
	}
}

// commitRatios compares every OmenDB result with PostgreSQL's at the same
// level and round; with more than one round, each level and system ends
// with the median of its rounds' ratios.
func commitRatios(rs []commitResult, rounds int) []string {
	type key struct {
		conns  int
		system string
	}
	peer := map[[2]int]commitResult{} // conns, round
	for _, r := range rs {
		if r.System == "postgres" {
			peer[[2]int{r.Conns, r.Round}] = r
		}
	}
	var lines []string
	var order []key
	tput, p50 := map[key][]float64{}, map[key][]float64{}
	for _, o := range rs {
		p, ok := peer[[2]int{o.Conns, o.Round}]
		if !strings.HasPrefix(o.System, "omendb") || !ok || p.PerSec <= 0 {
			continue
		}
		round := ""
		if rounds > 1 {
			round = fmt.Sprintf(" (round %d)", o.Round)
		}
		lines = append(lines, fmt.Sprintf("%d conns, %s%s: throughput %.2fx, p50 latency %.2fx", o.Conns, o.System, round, o.PerSec/p.PerSec, o.P50Ms/p.P50Ms))
		k := key{o.Conns, o.System}
		if _, seen := tput[k]; !seen {
			order = append(order, k)
		}
		tput[k] = append(tput[k], o.PerSec/p.PerSec)
		p50[k] = append(p50[k], o.P50Ms/p.P50Ms)
	}
	if rounds > 1 {
		for _, k := range order {
			lines = append(lines, fmt.Sprintf("%d conns, %s, median of %d rounds: throughput %.2fx, p50 latency %.2fx",
				k.conns, k.system, len(tput[k]), median(slices.Clone(tput[k])), median(slices.Clone(p50[k]))))
		}
	}
	return lines
}

// unixURL is a pgx connection URL for the Unix-domain socket in dir of the
// server listening on addr (the socket's name carries the TCP port).
func unixURL(user, db, dir, addr string) string {
	_, port, _ := net.SplitHostPort(addr)
	q := url.Values{"host": {dir}, "port": {port}, "sslmode": {"disable"}}
	return (&url.URL{Scheme: "postgres", User: url.User(user), Path: "/" + db, RawQuery: q.Encode()}).String()
}
