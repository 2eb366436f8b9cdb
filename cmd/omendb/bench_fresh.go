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
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/omendb/omendb/log"
	"github.com/omendb/omendb/server"
)

func init() { benchCommands["freshness"] = runBenchFreshness }

// freshResult is one engine's freshness figures.
type freshResult struct {
	Engine     string  `json:"engine"`
	Rows       int64   `json:"rows"`
	Commits    int64   `json:"commits"`
	RowsPerSec float64 `json:"rows_per_sec"`
	Samples    int     `json:"samples"`
	P50Ms      float64 `json:"p50_ms"`
	P99Ms      float64 `json:"p99_ms"`
	MaxMs      float64 `json:"max_ms"`
	PollP50Ms  float64 `json:"poll_p50_ms"`
	PollP99Ms  float64 `json:"poll_p99_ms"`
	Polls      int     `json:"polls"`
	// In-process server only: from a commit's acknowledgement until the
	// column store has applied the row store's offset read right after it
	// (no query involved).
	StoreP50Ms float64 `json:"column_store_p50_ms,omitempty"`
	StoreP99Ms float64 `json:"column_store_p99_ms,omitempty"`
	StoreMaxMs float64 `json:"column_store_max_ms,omitempty"`
}

// runBenchFreshness is `omendb bench freshness`: writers commit about
// --rate rows/s through pgwire (--writers connections, --batch rows per
// commit), and a reader polls a column-store scan (SET omendb.engine =
// 'column') of the newest committed sequence per writer. For every commit
// it records the time from its acknowledgement (the writer's Exec
// returning) to the end of the first poll whose result includes it. A
// column statement waits until the column store has applied the row
// store's offset at its start, so the figure is the commit-to-column-store
// delay plus the poll itself; the poll's own duration is reported too.
// The peer in the same run is the same measurement with the row engine
// (SET omendb.engine = 'row'), where an acknowledged commit is visible at
// once: the difference is the column store's cost.
func runBenchFreshness(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench freshness", flag.ContinueOnError)
	rate := fs.Int("rate", 10_000, "rows/s committed by all writers together")
	writers := fs.Int("writers", 8, "writer connections")
	batch := fs.Int("batch", 10, "rows per commit")
	dur := fs.Duration("duration", 20*time.Second, "measurement time per engine")
	engines := fs.String("engines", "row,column", "engines to measure, in order (row, column)")
	url := fs.String("url", "", "an OmenDB server to measure (default: a fresh in-process one, durable)")
	jsonOut := fs.Bool("json", false, "print one JSON object per result")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *rate < 1 || *writers < 1 || *batch < 1 {
		return fmt.Errorf("bench freshness: --rate, --writers and --batch must be positive")
	}
	stopProfile, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	logf := func(f string, a ...any) { fmt.Fprintf(os.Stderr, "bench freshness: "+f+"\n", a...) }
	connURL := *url
	var srv *server.Server
	if connURL == "" {
		dir, err := os.MkdirTemp("", "omendb-bench-fresh")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
		srv, err = server.Start(ctx, server.Config{Data: dir, Listen: "127.0.0.1:0", Logger: quiet})
		if err != nil {
			return err
		}
		defer srv.Close()
		if err := srv.WaitReady(ctx); err != nil {
			return err
		}
		connURL = fmt.Sprintf("postgres://omendb@%s/omendb?sslmode=disable", srv.Addr())
	}
	var results []freshResult
	for _, eng := range strings.Split(*engines, ",") {
		eng = strings.TrimSpace(eng)
		if eng != "row" && eng != "column" {
			return fmt.Errorf("bench freshness: unknown engine %q (row or column)", eng)
		}
		logf("%s engine: %d writers, %d rows per commit, %d rows/s for %s", eng, *writers, *batch, *rate, *dur)
		r, err := freshRun(ctx, connURL, srv, eng, *rate, *writers, *batch, *dur, logf)
		if err != nil {
			return fmt.Errorf("%s engine: %w", eng, err)
		}
		results = append(results, r)
	}
	if *jsonOut {
		for _, r := range results {
			b, _ := json.Marshal(r)
			fmt.Println(string(b))
		}
		return nil
	}
	fmt.Printf("bench freshness on %s/%s, %d CPUs, %s: %d writers × %d rows per commit, target %d rows/s, %s per engine\n",
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), *writers, *batch, *rate, *dur)
	fmt.Printf("%-8s %10s %10s %9s %9s %9s %11s %11s %20s\n", "engine", "rows/s", "samples", "p50 ms", "p99 ms", "max ms", "poll p50", "poll p99", "store p50/p99/max")
	for _, r := range results {
		store := "-"
		if r.Engine == "column" && srv != nil {
			store = fmt.Sprintf("%.2f/%.2f/%.2f", r.StoreP50Ms, r.StoreP99Ms, r.StoreMaxMs)
		}
		fmt.Printf("%-8s %10.0f %10d %9.2f %9.2f %9.2f %11.2f %11.2f %20s\n", r.Engine, r.RowsPerSec, r.Samples, r.P50Ms, r.P99Ms, r.MaxMs, r.PollP50Ms, r.PollP99Ms, store)
	}
	fmt.Println("ack→visible: from a commit's acknowledgement to the end of the first poll that returned it (includes the poll);")
	fmt.Println("store: from the acknowledgement until the column store applied the row store's offset read right after it (in-process only)")
	return nil
}

// freshRun measures one engine on a table of its own.
func freshRun(ctx context.Context, url string, srv *server.Server, engine string, rate, writers, batch int, dur time.Duration, logf func(string, ...any)) (freshResult, error) {
	r := freshResult{Engine: engine}
	table := "fresh_" + engine
	setup, err := pgx.Connect(ctx, url)
	if err != nil {
		return r, err
	}
	defer setup.Close(context.Background())
	for _, q := range []string{"DROP TABLE IF EXISTS " + table,
		"CREATE TABLE " + table + " (id bigint PRIMARY KEY, w int NOT NULL, seq bigint NOT NULL, pad text)"} {
		if _, err := setup.Exec(ctx, q); err != nil {
			return r, fmt.Errorf("%s: %w", q, err)
		}
	}
	reader, err := pgx.Connect(ctx, url)
	if err != nil {
		return r, err
	}
	defer reader.Close(context.Background())
	if _, err := reader.Exec(ctx, "SET omendb.engine = '"+engine+"'"); err != nil {
		return r, err
	}
	conns := make([]*pgx.Conn, writers)
	for i := range conns {
		if conns[i], err = pgx.Connect(ctx, url); err != nil {
			return r, err
		}
		defer conns[i].Close(context.Background())
	}
	// acks[w][seq-1] is when writer w's commit seq was acknowledged (unix
	// ns; 0 until then). Sized for twice the planned commits.
	perWriter := int(float64(rate)/float64(writers*batch)*dur.Seconds())*2 + 16
	acks := make([][]atomic.Int64, writers)
	for i := range acks {
		acks[i] = make([]atomic.Int64, perWriter)
	}
	var vals []string
	for i := 0; i < batch; i++ {
		vals = append(vals, fmt.Sprintf("($%d, $%d, $%d, 'freshness')", 3*i+1, 3*i+2, 3*i+3))
	}
	insert := "INSERT INTO " + table + " VALUES " + strings.Join(vals, ", ")
	interval := time.Duration(float64(time.Second) * float64(writers*batch) / float64(rate))
	// With an in-process server, a waiter measures the column store's own
	// delay: after each acknowledgement the writer reads the row store's
	// applied offset R (at or past its commit) and the waiter records when
	// the column store has applied R.
	type ackAt struct {
		off uint64
		at  time.Time
	}
	var storeLats []float64
	var acked chan ackAt
	waiterDone := make(chan struct{})
	if srv != nil && engine == "column" {
		acked = make(chan ackAt, 1<<16)
		go func() {
			defer close(waiterDone)
			for a := range acked {
				if err := srv.OLAP.Store.WaitApplied(ctx, log.Offset(a.off)); err != nil {
					continue // keep draining: writers must not block
				}
				storeLats = append(storeLats, float64(time.Since(a.at).Microseconds())/1000)
			}
		}()
	} else {
		close(waiterDone)
	}
	var rows, commits atomic.Int64
	wctx, stopWriters := context.WithCancel(ctx)
	defer stopWriters()
	var wg sync.WaitGroup
	errc := make(chan error, writers+1)
	start := time.Now()
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := conns[w]
			args := make([]any, 3*batch)
			// Writers start spread over one interval so that commits arrive
			// evenly, not in bursts of `writers`.
			next := start.Add(interval * time.Duration(w) / time.Duration(writers))
			for seq := int64(1); seq <= int64(perWriter); seq++ {
				if d := time.Until(next); d > 0 {
					select {
					case <-time.After(d):
					case <-wctx.Done():
						return
					}
				} else if wctx.Err() != nil {
					return
				}
				next = next.Add(interval)
				for i := 0; i < batch; i++ {
					args[3*i] = int64(w)<<40 | seq*int64(batch) + int64(i)
					args[3*i+1] = w
					args[3*i+2] = seq
				}
				if _, err := c.Exec(wctx, insert, args...); err != nil {
					if wctx.Err() == nil {
						errc <- fmt.Errorf("writer %d: %w", w, err)
					}
					return
				}
				now := time.Now()
				acks[w][seq-1].Store(now.UnixNano())
				if acked != nil {
					acked <- ackAt{off: uint64(srv.Store.Applied()), at: now}
				}
				rows.Add(int64(batch))
				commits.Add(1)
			}
		}()
	}
	// The reader polls until the writers stop and it has seen every commit.
	var lats, polls []float64
	seen := make([]int64, writers)
	var mu sync.Mutex // guards lats for the progress line
	readerDone := make(chan struct{})
	stopReading := make(chan struct{})
	go func() {
		defer close(readerDone)
		minSeen := int64(0)
		for {
			select {
			case <-stopReading:
				return
			default:
			}
			q := fmt.Sprintf("SELECT w, max(seq) FROM %s WHERE seq > %d GROUP BY w", table, minSeen)
			t0 := time.Now()
			rs, err := reader.Query(ctx, q)
			if err != nil {
				errc <- fmt.Errorf("reader: %w", err)
				return
			}
			type wm struct{ w, seq int64 }
			var got []wm
			for rs.Next() {
				var x wm
				if err := rs.Scan(&x.w, &x.seq); err != nil {
					rs.Close()
					errc <- fmt.Errorf("reader: %w", err)
					return
				}
				got = append(got, x)
			}
			rs.Close()
			if err := rs.Err(); err != nil {
				errc <- fmt.Errorf("reader: %w", err)
				return
			}
			t1 := time.Now()
			mu.Lock()
			polls = append(polls, float64(t1.Sub(t0).Microseconds())/1000)
			for _, x := range got {
				if x.w < 0 || x.w >= int64(writers) || x.seq > int64(perWriter) {
					continue
				}
				for s := seen[x.w] + 1; s <= x.seq; s++ {
					// A commit can be visible before its writer has recorded
					// its acknowledgement (the row store applies it first):
					// that is a latency of at most 0.
					lat := 0.0
					if a := acks[x.w][s-1].Load(); a != 0 {
						lat = max(0, float64(t1.UnixNano()-a)/1e6)
					}
					lats = append(lats, lat)
				}
				seen[x.w] = max(seen[x.w], x.seq)
			}
			m := seen[0]
			for _, s := range seen {
				m = min(m, s)
			}
			minSeen = m
			mu.Unlock()
		}
	}()
	// Progress every 2 s until the duration is over.
	tick := time.NewTicker(2 * time.Second)
	deadline := time.After(dur)
	var runErr error
loop:
	for {
		select {
		case <-tick.C:
			mu.Lock()
			n := len(lats)
			p99 := pctl(append([]float64(nil), lats...), 0.99)
			mu.Unlock()
			logf("%s: %.1fs, %d rows committed (%.0f rows/s), %d commits seen, p99 so far %.2f ms",
				engine, time.Since(start).Seconds(), rows.Load(), float64(rows.Load())/time.Since(start).Seconds(), n, p99)
		case <-deadline:
			break loop
		case runErr = <-errc:
			break loop
		}
	}
	tick.Stop()
	stopWriters()
	wg.Wait()
	elapsed := time.Since(start)
	if acked != nil {
		close(acked)
	}
	<-waiterDone
	// Let the reader catch up with the last commits (bounded).
	for wait := time.Now().Add(10 * time.Second); runErr == nil && time.Now().Before(wait); {
		mu.Lock()
		n := int64(len(lats))
		mu.Unlock()
		if n >= commits.Load() {
			break
		}
		select {
		case runErr = <-errc:
		case <-time.After(5 * time.Millisecond):
		}
	}
	close(stopReading)
	<-readerDone
	if runErr != nil {
		return r, runErr
	}
	mu.Lock()
	defer mu.Unlock()
	r.Rows, r.Commits = rows.Load(), commits.Load()
	r.RowsPerSec = float64(r.Rows) / elapsed.Seconds()
	if int64(len(lats)) < r.Commits {
		return r, fmt.Errorf("the reader saw %d of %d commits", len(lats), r.Commits)
	}
	r.Samples, r.Polls = len(lats), len(polls)
	sort.Float64s(lats)
	sort.Float64s(polls)
	r.P50Ms, r.P99Ms, r.MaxMs = pctl(lats, 0.5), pctl(lats, 0.99), pctl(lats, 1)
	r.PollP50Ms, r.PollP99Ms = pctl(polls, 0.5), pctl(polls, 0.99)
	r.StoreP50Ms, r.StoreP99Ms, r.StoreMaxMs = pctl(storeLats, 0.5), pctl(storeLats, 0.99), pctl(storeLats, 1)
	if len(storeLats) > 0 {
		logf("%s: column store applied p50 %.2f ms, p99 %.2f ms, max %.2f ms after the acknowledgement (%d commits)",
			engine, r.StoreP50Ms, r.StoreP99Ms, r.StoreMaxMs, len(storeLats))
	}
	logf("%s: %d commits (%.0f rows/s): ack→visible p50 %.2f ms, p99 %.2f ms, max %.2f ms; %d polls, p50 %.2f ms, p99 %.2f ms",
		engine, r.Commits, r.RowsPerSec, r.P50Ms, r.P99Ms, r.MaxMs, r.Polls, r.PollP50Ms, r.PollP99Ms)
	return r, nil
}

// pctl returns the p-quantile of xs (sorted in place), 0 when empty.
func pctl(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	sort.Float64s(xs)
	return xs[min(len(xs)-1, int(p*float64(len(xs)-1)+0.5))]
}
