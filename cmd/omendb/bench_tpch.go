package main

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/omendb/omendb/bench/tpch/dbgen"
	"github.com/omendb/omendb/internal/procs"
)

// tpchCommands maps `omendb bench tpch NAME` to its implementation. gen is
// registered here; other files (load, run) add theirs from their own init.
var tpchCommands = map[string]func(ctx context.Context, args []string) error{
	"gen": runTPCHGen,
}

func init() { benchCommands["tpch"] = runBenchTPCH }

// runBenchTPCH dispatches `omendb bench tpch <gen|…> [flags]`.
func runBenchTPCH(ctx context.Context, args []string) error {
	names := make([]string, 0, len(tpchCommands))
	for n := range tpchCommands {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(args) == 0 {
		return fmt.Errorf("bench tpch: which command? one of %v", names)
	}
	f, ok := tpchCommands[args[0]]
	if !ok {
		return fmt.Errorf("bench tpch: unknown command %q; one of %v", args[0], names)
	}
	return f(ctx, args[1:])
}

// runTPCHGen is `omendb bench tpch gen --sf SF --out DIR [--tables LIST]
// [--parallel N]`: write the TPC-H tables as dbgen 2.14 .tbl files.
//
// --verify FILE checks the written files against a dbgen md5 file (the
// ../shared/tpch/dbgen-2.14-sf*.md5 format: "md5  name.tbl" lines, then
// "count name.tbl" lines) and fails on any difference. --dbgen PATH also
// runs the TPC's dbgen binary (single process, same SF, into a temporary
// directory next to --out; dists.dss is taken from the binary's directory
// unless DSS_CONFIG is set) and prints both wall times, the ratio and the
// machine.
func runTPCHGen(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench tpch gen", flag.ContinueOnError)
	sf := fs.Float64("sf", 1, "scale factor (0.01, 0.1, 1, 10, 100 …)")
	out := fs.String("out", ".", "output directory")
	tables := fs.String("tables", "", "comma-separated tables (default all): part,partsupp,supplier,customer,orders,lineitem,nation,region")
	parallel := fs.Int("parallel", runtime.GOMAXPROCS(0), "worker goroutines")
	quiet := fs.Bool("quiet", false, "no progress output")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile to this file")
	verify := fs.String("verify", "", "dbgen md5 file to check the output against")
	peer := fs.String("dbgen", "", "path of the TPC's dbgen binary to time side by side")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("bench tpch gen: unexpected arguments %v", fs.Args())
	}
	opts := dbgen.Options{SF: *sf, Dir: *out, Parallel: *parallel, Progress: os.Stderr}
	if *quiet {
		opts.Progress = nil
	}
	if *tables != "" {
		for _, name := range strings.Split(*tables, ",") {
			t, err := dbgen.ParseTable(strings.TrimSpace(name))
			if err != nil {
				return err
			}
			opts.Tables = append(opts.Tables, t)
		}
	}
	stopProfile, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	st, err := dbgen.WriteFiles(ctx, opts)
	if err != nil {
		return err
	}
	if !*quiet {
		for _, t := range st.Tables {
			fmt.Fprintf(os.Stderr, "  %-9s %10d rows %14d bytes  %s\n", t.Table, t.Rows, t.Bytes, t.Path)
		}
	}
	if *verify != "" {
		if err := verifyTPCH(*verify, st); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "verified %d tables against %s\n", len(st.Tables), *verify)
	}
	if *peer != "" {
		peerTime, err := runDbgen(ctx, *peer, *sf, *out)
		if err != nil {
			return err
		}
		fmt.Printf("tpch gen sf=%g: omendb %.2fs (parallel %d), dbgen %.2fs (single process), dbgen/omendb %.2fx; %d CPUs, %s\n",
			*sf, st.Elapsed.Seconds(), *parallel, peerTime.Seconds(), peerTime.Seconds()/st.Elapsed.Seconds(),
			runtime.NumCPU(), cpuModel())
	} else {
		fmt.Printf("tpch gen sf=%g: omendb %.2fs (parallel %d); %d CPUs, %s\n",
			*sf, st.Elapsed.Seconds(), *parallel, runtime.NumCPU(), cpuModel())
	}
	return nil
}

// verifyTPCH compares the written files' md5 and line counts with a dbgen
// md5 file.
func verifyTPCH(path string, st dbgen.Stats) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	wantSum, wantLines := map[string]string{}, map[string]int64{}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) != 2 || !strings.HasSuffix(f[1], ".tbl") {
			continue
		}
		if len(f[0]) == 32 {
			wantSum[f[1]] = f[0]
		} else if n, err := strconv.ParseInt(f[0], 10, 64); err == nil {
			wantLines[f[1]] = n
		}
	}
	var bad []string
	for _, t := range st.Tables {
		name := t.Table.String() + ".tbl"
		want, ok := wantSum[name]
		if !ok {
			return fmt.Errorf("verify: %s has no md5 for %s", path, name)
		}
		f, err := os.Open(t.Path)
		if err != nil {
			return err
		}
		h := md5.New()
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return err
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != want || t.Rows != wantLines[name] {
			bad = append(bad, fmt.Sprintf("%s: md5 %s, %d lines; want %s, %d lines", name, got, t.Rows, want, wantLines[name]))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("verify against %s failed:\n  %s", path, strings.Join(bad, "\n  "))
	}
	return nil
}

// runDbgen times the TPC's dbgen writing all tables at sf into a fresh
// directory beside out (removed afterwards).
func runDbgen(ctx context.Context, bin string, sf float64, out string) (time.Duration, error) {
	bin, err := filepath.Abs(bin)
	if err != nil {
		return 0, err
	}
	dir, err := os.MkdirTemp(filepath.Dir(filepath.Clean(out)), "dbgen-peer-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	cmd := exec.CommandContext(ctx, bin, "-s", strconv.FormatFloat(sf, 'f', -1, 64), "-f", "-q")
	cmd.Dir = dir
	cmd.Env = os.Environ()
	if os.Getenv("DSS_CONFIG") == "" {
		cmd.Env = append(cmd.Env, "DSS_CONFIG="+filepath.Dir(bin))
	}
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	start := time.Now()
	err = procs.StartProcess(cmd) // without this process's timer slack
	if err == nil {
		err = cmd.Wait()
	}
	if err != nil {
		return 0, fmt.Errorf("dbgen: %w", err)
	}
	return time.Since(start), nil
}

// cpuModel returns the first "model name" of /proc/cpuinfo, or GOARCH.
func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				return strings.TrimSpace(v)
			}
		}
	}
	return runtime.GOARCH
}
