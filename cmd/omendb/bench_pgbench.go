package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/omendb/omendb/internal/procs"
	"github.com/omendb/omendb/internal/testpg"
	"github.com/omendb/omendb/oltp"
	"github.com/omendb/omendb/server"
)

func init() { benchCommands["pgbench"] = runBenchPgbench }

// pgbenchResult is one (system, script, protocol) pgbench run.
type pgbenchResult struct {
	System, Script, Mode string
	Round                int // 1-based; --rounds alternates the systems
	TPS, LatencyMs       float64
	Processed, Failed    int64
	// StmtMs and EndMs split the latency (pgbench -r): the transaction's
	// statements (BEGIN included) and its END, i.e. the commit.
	StmtMs, EndMs float64
}

var (
	pgbTPS       = regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)
	pgbLatency   = regexp.MustCompile(`latency average = ([0-9.]+) ms`)
	pgbProcessed = regexp.MustCompile(`number of transactions actually processed: (\d+)`)
	pgbFailed    = regexp.MustCompile(`number of failed transactions: (\d+)`)
	// A pgbench -r line: average latency, failures, command.
	pgbCommand = regexp.MustCompile(`(?m)^\s+([0-9.]+)\s+\d+\s+(\S.*)$`)
)

// runBenchPgbench runs the real pgbench against OmenDB and a throwaway
// PostgreSQL 15 in the same run, same scale and clients, durable commits on
// both (OmenDB fsyncs each group commit; PostgreSQL runs with fsync and
// synchronous_commit on): TPC-B-like and select-only, per protocol.
func runBenchPgbench(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench pgbench", flag.ContinueOnError)
	scale := fs.Int("scale", 10, "pgbench -s")
	clients := fs.Int("clients", 8, "pgbench -c")
	jobs := fs.Int("jobs", 2, "pgbench -j")
	dur := fs.Duration("duration", 30*time.Second, "pgbench -T per run")
	modes := fs.String("modes", "prepared,simple", "query protocols (-M)")
	noPG := fs.Bool("no-postgres", false, "skip the PostgreSQL peer")
	scripts := fs.String("scripts", "tpcb-like,select-only", "pgbench built-in scripts to run")
	noELR := fs.Bool("compare-no-elr", false, "also run OmenDB with early lock release off (same server and data, after the default run)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run (the OmenDB server is in this process) to this file")
	inFlight := fs.Int("in-flight", 0, "OmenDB's log appends in flight (Committer.SetMaxInFlight); 0: the committer's default")
	perCommand := fs.Bool("per-command", false, "print pgbench -r's latency of each command")
	tracePath := fs.String("trace", "", "write a Go execution trace (runtime/trace) of the first OmenDB run's first --trace-for to this file (go tool trace)")
	traceFor := fs.Duration("trace-for", 2*time.Second, "length of the --trace window")
	foreignKeys := fs.Bool("foreign-keys", false, "pgbench -i --foreign-keys: both systems enforce the schema's foreign keys during the runs")
	rounds := fs.Int("rounds", 1, "alternate the systems this many times (after one load each) and report each round's ratio and their median: this machine's speed drifts by minutes")
	unsafe := fs.Bool("unsafe-no-fsync", false, "diagnostic: run OmenDB without fsync, to see the ceiling the log's sync leaves (not a fair comparison; PostgreSQL keeps fsync on)")
	transport := fs.String("transport", "unix", "how pgbench connects to both systems: unix (each one's Unix-domain socket, as local clients do) or tcp (127.0.0.1)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	// The profile covers the runs, not pgbench -i's load.
	var stopProfile func()
	var stopTrace func()
	startProfile := func() (err error) {
		if stopProfile == nil {
			stopProfile, err = startCPUProfile(*cpuProfile)
		}
		if err == nil && *tracePath != "" && stopTrace == nil {
			stopTrace, err = startTrace(*tracePath, *traceFor)
		}
		return err
	}
	defer func() {
		if stopTrace != nil {
			stopTrace()
		}
	}()
	endProfile := func() {
		if stopProfile != nil {
			stopProfile()
			stopProfile = nil
		}
	}
	defer endProfile()
	if *transport != "unix" && *transport != "tcp" {
		return fmt.Errorf("bench pgbench: --transport must be unix or tcp, not %q", *transport)
	}
	pgbench, err := exec.LookPath("pgbench")
	if err != nil {
		return fmt.Errorf("pgbench not installed (scripts/client-deps.sh): %w", err)
	}
	type system struct{ name, host, port, user, db string }
	var systems []system

	srv, _, stopServer, err := startThrowawayServer(ctx, "pgbench", server.Config{Unsafe: *unsafe})
	if err != nil {
		return err
	}
	defer stopServer()
	if *inFlight > 0 {
		srv.Committer.SetMaxInFlight(*inFlight)
	}
	h, p, _ := strings.Cut(srv.Addr(), ":")
	if *transport == "unix" {
		h = filepath.Dir(srv.SocketPath())
	}
	name := "omendb"
	if *unsafe {
		name = "omendb-nofsync" // never to be mistaken for the durable figure
	}
	systems = append(systems, system{name, h, p, "omendb", "omendb"})
	if *noELR {
		systems = append(systems, system{"omendb-no-elr", h, p, "omendb", "omendb"})
	}
	pgURL := "" // the peer's, for settleSystems
	if !*noPG {
		fmt.Fprintln(os.Stderr, "bench pgbench: starting PostgreSQL 15 (fsync on, synchronous_commit on)")
		pg, err := testpg.StartServer(ctx, testpg.Options{Database: "bench", Config: []string{"max_connections = 200", "shared_buffers = 256MB"}})
		if err != nil {
			return fmt.Errorf("starting PostgreSQL: %w", err)
		}
		defer pg.Close()
		host := pg.Host()
		if *transport == "unix" {
			host = pg.SocketDir()
		}
		systems = append(systems, system{"postgres", host, strconv.Itoa(pg.Port()), "postgres", "bench"})
		pgURL = pg.ConnString()
	}
	pgb := func(s system, a ...string) (string, error) {
		cmd := exec.CommandContext(ctx, pgbench, append([]string{"-h", s.host, "-p", s.port, "-U", s.user}, append(a, s.db)...)...)
		cmd.Env = append(os.Environ(), "PGPASSWORD=bench")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := procs.StartProcess(cmd) // without this process's timer slack
		if err == nil {
			err = cmd.Wait()
		}
		if err != nil {
			return out.String(), fmt.Errorf("pgbench %v on %s: %w\n%s", a, s.name, err, out.String())
		}
		return out.String(), nil
	}
	if *rounds < 1 {
		return fmt.Errorf("bench pgbench: --rounds must be at least 1")
	}
	for _, s := range systems {
		if s.name == "omendb-no-elr" { // same server as "omendb": loaded already
			continue
		}
		fmt.Fprintf(os.Stderr, "bench pgbench: %s: pgbench -i -s %d\n", s.name, *scale)
		initArgs := []string{"-i", "-q", "-s", strconv.Itoa(*scale)}
		if *foreignKeys {
			initArgs = append(initArgs, "--foreign-keys")
		}
		if _, err := pgb(s, initArgs...); err != nil {
			return err
		}
	}
	// runOne runs one script in one protocol against s and prints what the
	// run shows about OmenDB's server.
	runOne := func(round int, s system, script, mode string) (pgbenchResult, error) {
		a := []string{"--failures-detailed", "--verbose-errors", "-r", "-M", mode, "-c", strconv.Itoa(*clients), "-j", strconv.Itoa(*jobs), "-T", strconv.Itoa(int(dur.Seconds()))}
		if script == "select-only" {
			a = append(a, "-S")
		}
		if *rounds > 1 {
			fmt.Fprintf(os.Stderr, "bench pgbench: round %d of %d: %s: %s -M %s ...\n", round, *rounds, s.name, script, mode)
		} else {
			fmt.Fprintf(os.Stderr, "bench pgbench: %s: %s -M %s ...\n", s.name, script, mode)
		}
		// Both systems at rest first: neither's checkpoint or vacuum lands
		// in the run.
		restBeforeRun(ctx, "pgbench", srv, pgURL)
		ls := srv.Engine.Locks.Stats()
		cs := srv.Engine.Committer.Stats()
		locks0 := [...]int64{ls.Locks.Load(), ls.Waits.Load(), ls.WaitNs.Load(), ls.PendingReads.Load(), ls.BatchWaits.Load(), ls.BatchWaitNs.Load(), cs.Records.Load(), cs.Txns.Load()}
		runStart := time.Now()
		cpu0 := sampleCPU()
		procs0, _ := procs.Snapshot()
		var trace *oltp.CommitTrace
		if strings.HasPrefix(s.name, "omendb") {
			trace = &oltp.CommitTrace{}
			srv.Committer.SetTrace(trace)
		}
		out, err := pgb(s, a...)
		srv.Committer.SetTrace(nil)
		if err != nil {
			return pgbenchResult{}, err
		}
		if n := matchFloat(pgbProcessed, out); n > 0 {
			// Is the run CPU-bound? The machine's busy share over the
			// run, and CPU per transaction of this process (the OmenDB
			// server; for PostgreSQL only our idle share) and pgbench.
			fmt.Fprintf(os.Stderr, "bench pgbench: %s: %s\n", s.name, sampleCPU().since(cpu0, n))
			if p := procsSince(procs0); p != "" && strings.HasPrefix(s.name, "omendb") {
				fmt.Fprintf(os.Stderr, "bench pgbench: %s: %s\n", s.name, p)
			}
		}
		if n := matchFloat(pgbProcessed, out); n > 0 && strings.HasPrefix(s.name, "omendb") {
			// Where the statements' time goes: row lock waits and
			// waits for a pending version's batch (early lock release).
			fmt.Fprintf(os.Stderr, "bench pgbench: %s: per transaction: %.2f locks, %.2f lock waits %.3f ms, %.2f pending reads, %.2f batch waits %.3f ms\n",
				s.name, float64(ls.Locks.Load()-locks0[0])/n, float64(ls.Waits.Load()-locks0[1])/n, float64(ls.WaitNs.Load()-locks0[2])/n/1e6,
				float64(ls.PendingReads.Load()-locks0[3])/n, float64(ls.BatchWaits.Load()-locks0[4])/n, float64(ls.BatchWaitNs.Load()-locks0[5])/n/1e6)
			if recs := cs.Records.Load() - locks0[6]; recs > 0 {
				fmt.Fprintf(os.Stderr, "bench pgbench: %s: %d log records, %.1f transactions each, one per %.3f ms\n",
					s.name, recs, float64(cs.Txns.Load()-locks0[7])/float64(recs), float64(time.Since(runStart).Milliseconds())/float64(recs))
			}
			if trace != nil {
				// Where a commit's time goes (the committer's stages).
				fmt.Fprintf(os.Stderr, "bench pgbench: %s: commit stage p50 ms:", s.name)
				for i, name := range oltp.StageNames {
					fmt.Fprintf(os.Stderr, " %s %.3f,", name, float64(trace.Percentile(i, 0.5).Microseconds())/1000)
				}
				fmt.Fprintf(os.Stderr, " commit %.3f; ack to next send %.3f\n",
					float64(trace.Percentile(oltp.NumStages, 0.5).Microseconds())/1000, float64(trace.Gap(0.5).Microseconds())/1000)
			}
		}
		r := pgbenchResult{System: s.name, Script: script, Mode: mode, Round: round}
		r.TPS = matchFloat(pgbTPS, out)
		r.LatencyMs = matchFloat(pgbLatency, out)
		r.Processed = int64(matchFloat(pgbProcessed, out))
		r.Failed = int64(matchFloat(pgbFailed, out))
		r.StmtMs, r.EndMs = commandLatencies(out)
		if *perCommand {
			for _, m := range pgbCommand.FindAllStringSubmatch(out, -1) {
				if !strings.HasPrefix(m[2], "\\") {
					fmt.Fprintf(os.Stderr, "bench pgbench: %s: %8s ms  %s\n", s.name, m[1], m[2])
				}
			}
		}
		if r.Failed > 0 {
			for _, l := range strings.Split(out, "\n") {
				if strings.Contains(l, "fail") || strings.Contains(l, "error") || strings.Contains(l, "ERROR") {
					fmt.Fprintf(os.Stderr, "bench pgbench: %s: %s\n", s.name, l)
				}
			}
		}
		return r, nil
	}
	var results []pgbenchResult
	for round := 1; round <= *rounds; round++ {
		for _, s := range systems {
			if !strings.HasPrefix(s.name, "omendb") || round > 1 {
				endProfile() // the profile covers OmenDB's first round only
			}
			srv.Engine.EarlyLockRelease = s.name != "omendb-no-elr"
			if strings.HasPrefix(s.name, "omendb") && round == 1 {
				if err := startProfile(); err != nil {
					return err
				}
			}
			for _, script := range strings.Split(*scripts, ",") {
				for _, mode := range strings.Split(*modes, ",") {
					r, err := runOne(round, s, script, mode)
					if err != nil {
						return err
					}
					results = append(results, r)
				}
			}
		}
	}
	endProfile() // before the server's final checkpoint (srv.Close)
	fmt.Printf("pgbench scale %d, %d clients, %d threads, %s per run, over %s sockets; %d CPUs (%s/%s)\n",
		*scale, *clients, *jobs, *dur, *transport, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH)
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "round\tscript\tmode\tsystem\tTPS\tlatency ms\tstatements ms\tcommit ms\tprocessed\tfailed\tvs postgres\t")
	for _, r := range results {
		ratio := ""
		if q, ok := pgbenchPeer(results, r); ok {
			ratio = fmt.Sprintf("%.2fx", r.TPS/q.TPS)
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%.0f\t%.3f\t%.3f\t%.3f\t%d\t%d\t%s\t\n", r.Round, r.Script, r.Mode, r.System, r.TPS, r.LatencyMs, r.StmtMs, r.EndMs, r.Processed, r.Failed, ratio)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if *rounds > 1 {
		for _, line := range pgbenchRoundSummary(results) {
			fmt.Println(line)
		}
	}
	return nil
}

// pgbenchPeer returns PostgreSQL's result for r's round, script and mode
// (ok false for PostgreSQL's own rows, or without a peer).
func pgbenchPeer(results []pgbenchResult, r pgbenchResult) (pgbenchResult, bool) {
	if r.System == "postgres" {
		return pgbenchResult{}, false
	}
	for _, q := range results {
		if q.System == "postgres" && q.Round == r.Round && q.Script == r.Script && q.Mode == r.Mode && q.TPS > 0 {
			return q, true
		}
	}
	return pgbenchResult{}, false
}

// pgbenchRoundSummary gives, per system, script and mode, the TPS ratio to
// PostgreSQL of every round and their median.
func pgbenchRoundSummary(results []pgbenchResult) []string {
	type key struct{ system, script, mode string }
	var order []key
	ratios := map[key][]float64{}
	for _, r := range results {
		q, ok := pgbenchPeer(results, r)
		if !ok {
			continue
		}
		k := key{r.System, r.Script, r.Mode}
		if _, seen := ratios[k]; !seen {
			order = append(order, k)
		}
		ratios[k] = append(ratios[k], r.TPS/q.TPS)
	}
	var lines []string
	for _, k := range order {
		lines = append(lines, fmt.Sprintf("%s -M %s, %s / postgres by round: %s; median %.2fx",
			k.script, k.mode, k.system, formatRatios(ratios[k]), median(slices.Clone(ratios[k]))))
	}
	return lines
}

// formatRatios prints ratios as "1.71x, 2.03x, …" in their order.
func formatRatios(rs []float64) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = fmt.Sprintf("%.2fx", r)
	}
	return strings.Join(parts, ", ")
}

// commandLatencies sums pgbench -r's per-command average latencies: the
// SQL statements but END, and END (the commit; 0 for select-only, which has
// none). \set lines (client-side) are left out.
func commandLatencies(out string) (stmtMs, endMs float64) {
	for _, m := range pgbCommand.FindAllStringSubmatch(out, -1) {
		ms, err := strconv.ParseFloat(m[1], 64)
		if err != nil || strings.HasPrefix(m[2], "\\") {
			continue
		}
		if strings.HasPrefix(strings.ToUpper(m[2]), "END") {
			endMs += ms
		} else {
			stmtMs += ms
		}
	}
	return stmtMs, endMs
}

// cpuSample is the CPU time of this process, of its waited-for children
// (pgbench) and of the machine (/proc/stat), at one moment.
type cpuSample struct {
	self, children time.Duration
	busy, total    int64 // machine jiffies: non-idle, all
	// reads and writes: this process's read- and write-like system calls
	// (/proc/self/io syscr, syscw: sockets, files, the log's fsyncs not).
	reads, writes int64
	// gcs and gcCPU: the collector's cycles and CPU time so far (the
	// latter as the runtime last accounted it, at a cycle's end).
	gcs   uint64
	gcCPU float64
}

func sampleCPU() cpuSample {
	var c cpuSample
	ms := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}, {Name: "/cpu/classes/gc/total:cpu-seconds"}}
	metrics.Read(ms)
	if ms[0].Value.Kind() == metrics.KindUint64 {
		c.gcs = ms[0].Value.Uint64()
	}
	if ms[1].Value.Kind() == metrics.KindFloat64 {
		c.gcCPU = ms[1].Value.Float64()
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		c.self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	if syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru) == nil {
		c.children = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	if b, err := os.ReadFile("/proc/self/io"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			k, v, _ := strings.Cut(l, ": ")
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			switch k {
			case "syscr":
				c.reads = n
			case "syscw":
				c.writes = n
			}
		}
	}
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		line, _, _ := strings.Cut(string(b), "\n")
		for i, f := range strings.Fields(line)[1:] {
			v, _ := strconv.ParseInt(f, 10, 64)
			c.total += v
			if i != 3 && i != 4 { // idle, iowait
				c.busy += v
			}
		}
	}
	return c
}

// since describes the CPU used from c0 to c over n transactions.
func (c cpuSample) since(c0 cpuSample, n float64) string {
	busy := 0.0
	if d := c.total - c0.total; d > 0 {
		busy = 100 * float64(c.busy-c0.busy) / float64(d)
	}
	return fmt.Sprintf("CPU: machine %.0f%% busy (%d CPUs); per transaction: this process (OmenDB server) %.3f ms, pgbench %.3f ms; its system calls: %.1f reads, %.1f writes; its collector %d cycles, %.2f s of CPU",
		busy, runtime.NumCPU(), float64(c.self-c0.self)/n/1e6, float64(c.children-c0.children)/n/1e6,
		float64(c.reads-c0.reads)/n, float64(c.writes-c0.writes)/n, c.gcs-c0.gcs, c.gcCPU-c0.gcCPU)
}

func matchFloat(re *regexp.Regexp, s string) float64 {
	m := re.FindStringSubmatch(s)
	if m == nil {
		return 0
	}
	f, _ := strconv.ParseFloat(m[1], 64)
	return f
}

// startTrace writes a Go execution trace of the next d to path (stop ends
// it sooner).
func startTrace(path string, d time.Duration) (stop func(), err error) {
	if stop, err = startExecTrace(path); err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "bench pgbench: tracing %s to %s\n", d, path)
	time.AfterFunc(d, stop)
	return stop, nil
}
