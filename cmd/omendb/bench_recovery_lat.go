package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"runtime/metrics"
	"runtime/trace"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/omendb/omendb/server"
)

// latencyOpts configures the commit latency measurement of bench recovery.
type latencyOpts struct {
	commits    int    // idle commits in all; the during rounds last a whole checkpoint each
	during     string // row, olap or both: the checkpoints run during the latency rounds
	cpuProfile string
	trace      string
}

// Phases a commit can start in.
const (
	phaseIdle = iota
	phaseRow  // a row store checkpoint is being written
	phaseOLAP // a column store checkpoint is being written
	phaseGap  // between checkpoints (manifests, pruning, the next one's start)
	phases
)

var phaseNames = [phases]string{"idle", "row ckpt", "olap ckpt", "between"}

// latSample is one commit: its latency, the phase it started in and
// whether a GC cycle ended while it ran.
type latSample struct {
	d     time.Duration
	phase int
	gc    bool
}

// runtimeWindow is a few runtime metrics, read at the start and end of a
// measurement window: GC cycles and CPU, mutex waits, and the scheduling
// latency histogram (how long runnable goroutines waited for a P: CPU
// contention).
type runtimeWindow struct {
	s []metrics.Sample
}

var windowMetrics = []string{
	"/gc/cycles/total:gc-cycles",
	"/cpu/classes/gc/total:cpu-seconds",
	"/cpu/classes/total:cpu-seconds",
	"/sync/mutex/wait/total:seconds",
	"/sched/latencies:seconds",
	"/gc/heap/allocs:bytes",
}

func readWindow() runtimeWindow {
	w := runtimeWindow{s: make([]metrics.Sample, len(windowMetrics))}
	for i, n := range windowMetrics {
		w.s[i].Name = n
	}
	metrics.Read(w.s)
	return w
}

// windowDelta accumulates the difference of runtime metrics over windows.
type windowDelta struct {
	wall                  time.Duration
	gcs                   uint64
	gcCPU, cpu, mutexWait float64
	allocs                uint64
	sched                 []uint64 // bucket counts
	buckets               []float64
}

func (d *windowDelta) add(a, b runtimeWindow, wall time.Duration) {
	d.wall += wall
	d.gcs += b.s[0].Value.Uint64() - a.s[0].Value.Uint64()
	d.gcCPU += b.s[1].Value.Float64() - a.s[1].Value.Float64()
	d.cpu += b.s[2].Value.Float64() - a.s[2].Value.Float64()
	d.mutexWait += b.s[3].Value.Float64() - a.s[3].Value.Float64()
	ha, hb := a.s[4].Value.Float64Histogram(), b.s[4].Value.Float64Histogram()
	if d.sched == nil {
		d.sched = make([]uint64, len(hb.Counts))
		d.buckets = hb.Buckets
	}
	for i := range hb.Counts {
		d.sched[i] += hb.Counts[i] - ha.Counts[i]
	}
	d.allocs += b.s[5].Value.Uint64() - a.s[5].Value.Uint64()
}

// schedQuantile returns the upper bound of the bucket holding quantile q of
// the scheduling latencies.
func (d *windowDelta) schedQuantile(q float64) time.Duration {
	var total uint64
	for _, c := range d.sched {
		total += c
	}
	if total == 0 {
		return 0
	}
	want := uint64(math.Ceil(q * float64(total)))
	var n uint64
	for i, c := range d.sched {
		n += c
		if n >= want {
			b := d.buckets[i+1]
			if math.IsInf(b, 1) {
				b = d.buckets[i]
			}
			return time.Duration(b * float64(time.Second))
		}
	}
	return 0
}

func (d *windowDelta) String() string {
	sec := d.wall.Seconds()
	return fmt.Sprintf("%5.1fs wall, %d GCs (%.2f/s), GC CPU %.2fs of %.2fs (%.0f%%), alloc %.0f MB/s, mutex wait %.3fs, sched latency p99 %v p99.9 %v",
		sec, d.gcs, float64(d.gcs)/sec, d.gcCPU, d.cpu, 100*d.gcCPU/max(d.cpu, 1e-9), float64(d.allocs)/sec/1e6, d.mutexWait,
		d.schedQuantile(0.99), d.schedQuantile(0.999))
}

// measureCommitP99 measures single-row commit latency on c, idle and while
// checkpoints run, in alternating rounds so that a change in the machine's
// load during the run affects both sides alike. An idle round is
// lo.commits/4 commits; a round during checkpoints commits for as long as
// one checkpoint of each store (lo.during) takes, and at least as many
// times. Rows are inserted from id upwards. It sets r's p99 figures (and
// the first checkpoint's duration and size when r has none) and prints the
// latency split by the phase each commit started in, and the runtime's
// view of each side (GC, CPU, scheduling latency).
func measureCommitP99(ctx context.Context, s *server.Server, c *pgx.Conn, id int, lo latencyOpts, r *recoveryResult) error {
	stopProfile, err := startCPUProfile(lo.cpuProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	const rounds = 4
	var phase atomic.Int32
	gcs := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
	measure := func(lat []latSample, k int, until func() bool) ([]latSample, error) {
		for i := 0; i < k || (until != nil && !until()); i++ {
			id++
			metrics.Read(gcs)
			g0 := gcs[0].Value.Uint64()
			ph := int(phase.Load())
			st := time.Now()
			reg := trace.StartRegion(ctx, "commit") // for --trace: a commit's goroutine hops and syscalls
			_, err := c.Exec(ctx, `INSERT INTO bench_rec VALUES ($1, $2, 'latency')`, id, id%1000)
			reg.End()
			if err != nil {
				return lat, err
			}
			d := time.Since(st)
			metrics.Read(gcs)
			lat = append(lat, latSample{d: d, phase: ph, gc: gcs[0].Value.Uint64() != g0})
		}
		return lat, nil
	}
	var idle, during []latSample
	var idleRT, duringRT windowDelta
	var ckRow, ckOLAP []time.Duration
	for round := 0; round < rounds; round++ {
		if round == 0 && lo.trace != "" {
			f, err := os.Create(lo.trace)
			if err != nil {
				return err
			}
			if err := trace.Start(f); err != nil {
				f.Close()
				return err
			}
			defer func() { trace.Stop(); f.Close() }()
		}
		phase.Store(phaseIdle)
		w0, t0 := readWindow(), time.Now()
		if idle, err = measure(idle, lo.commits/rounds, nil); err != nil {
			return err
		}
		w1, t1 := readWindow(), time.Now()
		idleRT.add(w0, w1, t1.Sub(t0))
		var done atomic.Bool
		var ckErr error
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { // one checkpoint of each store, as the periodic loop writes them
			defer wg.Done()
			defer done.Store(true)
			if lo.during != "olap" {
				phase.Store(phaseRow)
				st := time.Now()
				m, err := s.Checkpoint()
				if err != nil {
					ckErr = err
					return
				}
				ckRow = append(ckRow, time.Since(st))
				if r.CheckpointSec == 0 && m != nil {
					r.CheckpointSec = time.Since(st).Seconds()
					r.CheckpointBytes = m.Bytes
				}
				phase.Store(phaseGap)
			}
			if lo.during != "row" {
				phase.Store(phaseOLAP)
				st := time.Now()
				om, err := s.CheckpointOLAP()
				if err != nil {
					ckErr = err
					return
				}
				ckOLAP = append(ckOLAP, time.Since(st))
				if r.OLAPCkptSec == 0 && om != nil {
					r.OLAPCkptSec = time.Since(st).Seconds()
					for _, f := range om.Files {
						r.OLAPCkptBytes += f.Bytes
					}
				}
			}
			phase.Store(phaseGap)
		}()
		during, err = measure(during, lo.commits/rounds, done.Load)
		wg.Wait()
		w2, t2 := readWindow(), time.Now()
		duringRT.add(w1, w2, t2.Sub(t1))
		if round == 0 && lo.trace != "" {
			trace.Stop()
		}
		if err == nil {
			err = ckErr
		}
		if err != nil {
			return err
		}
		// The column store must have applied the latency rows before the
		// next round's checkpoint (it writes nothing otherwise).
		if err := s.OLAP.Store.WaitApplied(ctx, s.Store.Applied()); err != nil {
			return err
		}
	}
	r.P99IdleMs, r.P99CkptMs = p99ms(idle), p99ms(during)
	fmt.Fprintf(os.Stderr, "commit latency (%d idle, %d during checkpoints; %s):\n", len(idle), len(during), lo.during)
	printSplit := func(name string, lat []latSample) {
		fmt.Fprintf(os.Stderr, "  %-22s %s\n", name, latLine(lat))
	}
	printSplit("idle", idle)
	printSplit("during", during)
	for ph := phaseRow; ph < phases; ph++ {
		printSplit("  started in "+phaseNames[ph], filterLat(during, func(l latSample) bool { return l.phase == ph }))
	}
	printSplit("  a GC cycle ended", filterLat(during, func(l latSample) bool { return l.gc }))
	printSplit("  no GC cycle ended", filterLat(during, func(l latSample) bool { return !l.gc }))
	printSplit("idle, a GC cycle ended", filterLat(idle, func(l latSample) bool { return l.gc }))
	fmt.Fprintf(os.Stderr, "  runtime idle:   %v\n  runtime during: %v\n", &idleRT, &duringRT)
	fmt.Fprintf(os.Stderr, "  checkpoints: row %v, column %v\n", ckRow, ckOLAP)
	return nil
}

func filterLat(lat []latSample, keep func(latSample) bool) []latSample {
	var out []latSample
	for _, l := range lat {
		if keep(l) {
			out = append(out, l)
		}
	}
	return out
}

func p99ms(lat []latSample) float64 {
	if len(lat) == 0 {
		return 0
	}
	ds := make([]time.Duration, len(lat))
	for i, l := range lat {
		ds[i] = l.d
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return float64(ds[len(ds)*99/100].Microseconds()) / 1000
}

// latLine renders count, p50, p90, p99 and max of lat in milliseconds.
func latLine(lat []latSample) string {
	if len(lat) == 0 {
		return "n=0"
	}
	ds := make([]time.Duration, len(lat))
	for i, l := range lat {
		ds[i] = l.d
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	return fmt.Sprintf("n=%-6d p50 %6.2f  p90 %6.2f  p99 %6.2f  max %7.2f ms", len(ds), ms(ds[len(ds)/2]), ms(ds[len(ds)*9/10]),
		ms(ds[len(ds)*99/100]), ms(ds[len(ds)-1]))
}

// reuseCommitP99 starts a server on data a previous run left behind and
// measures the commit latency on it (the rows go after the table's
// largest id).
func reuseCommitP99(ctx context.Context, data string, r *recoveryResult, lo latencyOpts) error {
	s, _, err := startBenchServer(ctx, data, -1)
	if err != nil {
		return err
	}
	defer s.Close()
	c, err := pgx.Connect(ctx, fmt.Sprintf("postgres://omendb@%s/omendb?sslmode=disable", s.Addr()))
	if err != nil {
		return err
	}
	defer c.Close(context.Background())
	var top int
	if err := c.QueryRow(ctx, `SELECT max(id) FROM bench_rec`).Scan(&top); err != nil {
		return err
	}
	if err := s.OLAP.Store.WaitApplied(ctx, s.Store.Applied()); err != nil {
		return err
	}
	if err := measureCommitP99(ctx, s, c, top, lo, r); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "omendb: checkpoint %.2fs (column store %.2fs), p99 idle %.2fms, during checkpoints %.2fms\n",
		r.CheckpointSec, r.OLAPCkptSec, r.P99IdleMs, r.P99CkptMs)
	return nil
}
