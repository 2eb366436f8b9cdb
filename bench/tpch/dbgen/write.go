package dbgen

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Options configures WriteFiles.
type Options struct {
	SF       float64 // scale factor, 0.01 … MaxSF
	Dir      string  // output directory (created if missing)
	Tables   []Table // tables to write; nil or empty means all eight
	Parallel int     // worker goroutines; 0 means GOMAXPROCS
	// Progress, if set, receives a status line about twice a second and a
	// final summary.
	Progress io.Writer
}

// TableStats reports what WriteFiles wrote for one table.
type TableStats struct {
	Table Table
	Path  string
	Rows  int64
	Bytes int64
}

// Stats reports a WriteFiles run.
type Stats struct {
	Tables  []TableStats
	Elapsed time.Duration
}

// chunkUnits is how many units one job generates: about 2–4 MB of text.
func chunkUnits(t Table) int64 {
	switch t {
	case LineItem:
		return 4000
	case PartSupp:
		return 5000
	case Orders:
		return 20000
	default:
		return 20000
	}
}

// job generates one unit range of table t (or, if pair, of t and its child
// table: part+partsupp or orders+lineitem) into one chunk per table.
type job struct {
	t       Table
	pair    bool
	lo, hi  int64
	out     [2]chan chunkOut // out[0] for t, out[1] for the child (buffered 1)
	pending atomic.Int32     // chunks not yet written; the window slot is freed at 0
}

// tableChunk is one chunk of one table's file: which job makes it, on which
// channel it arrives.
type tableChunk struct {
	j   *job
	out chan chunkOut
}

// chunkOut is a generated chunk; fix lists comments still to copy in if the
// text pool was not ready when the chunk was generated.
type chunkOut struct {
	buf *[]byte
	fix []fixup
}

// WriteFiles writes the selected tables as DIR/<table>.tbl, byte-identical
// to dbgen 2.14 at the same scale factor. Each table is cut into chunks of
// units; Parallel workers generate chunks in any order and one writer per
// table writes them in order, so the files are the chunks concatenated. At
// most max(32, 4×Parallel) chunks (about 3 MB each) are in memory at once;
// their buffers are reused. The 300 MiB text pool is built concurrently with
// the first chunks, whose comments are filled in once it exists. On error or
// cancellation the files written so far are left in place, incomplete.
func WriteFiles(ctx context.Context, o Options) (Stats, error) {
	start := time.Now()
	s, err := newScaling(o.SF)
	if err != nil {
		return Stats{}, err
	}
	tables := o.Tables
	if len(tables) == 0 {
		tables = AllTables
	}
	workers := o.Parallel
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return Stats{}, err
	}
	StartTextPool()

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	// Jobs in the order they are handed out: the big tables first, so the
	// small ones fill in at the end.
	order := []Table{LineItem, PartSupp, Orders, Part, Customer, Supplier, Nation, Region}
	var jobs []*job
	perTable := map[Table][]tableChunk{}
	stats := make([]TableStats, 0, len(tables))
	seen := map[Table]bool{}
	for _, t := range tables {
		if t > Region {
			return Stats{}, fmt.Errorf("tpch: unknown table %d", t)
		}
		if seen[t] {
			continue
		}
		seen[t] = true
		stats = append(stats, TableStats{Table: t, Path: filepath.Join(o.Dir, t.String()+".tbl")})
	}
	for _, t := range order {
		if !seen[t] {
			continue
		}
		// lineitem and partsupp come from the same pass as orders and part
		// when both are wanted.
		pair := (t == LineItem && seen[Orders]) || (t == PartSupp && seen[Part])
		if (t == Orders && seen[LineItem]) || (t == Part && seen[PartSupp]) {
			continue
		}
		parent, child := t, t
		if pair {
			parent = map[Table]Table{LineItem: Orders, PartSupp: Part}[t]
		}
		n, step := s.units(t), chunkUnits(t)
		for lo := int64(0); lo < n; lo += step {
			j := &job{t: parent, pair: pair, lo: lo, hi: min(lo+step, n)}
			j.out[0] = make(chan chunkOut, 1)
			perTable[parent] = append(perTable[parent], tableChunk{j, j.out[0]})
			j.pending.Store(1)
			if pair {
				j.out[1] = make(chan chunkOut, 1)
				perTable[child] = append(perTable[child], tableChunk{j, j.out[1]})
				j.pending.Store(2)
			}
			jobs = append(jobs, j)
		}
	}

	var (
		nextJob  atomic.Int64
		written  atomic.Int64 // bytes
		jobsDone atomic.Int64
		// Up to 32 chunks (about 100 MB) in memory: enough for the workers
		// to keep going while the text pool is being built.
		window = make(chan struct{}, max(32, 4*workers))
		bufs   = newBufferList(2*max(32, 4*workers) + 2*workers)
		wg     sync.WaitGroup
	)

	// Workers: take jobs in order, generate, hand the chunk to its writer.
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case window <- struct{}{}:
				case <-ctx.Done():
					return
				}
				i := int(nextJob.Add(1) - 1)
				if i >= len(jobs) {
					<-window
					return
				}
				j := jobs[i]
				c := newCursor(j.t, s, j.lo, j.hi)
				c.w.pool = poolIfReady()
				bp := bufs.get()
				if !j.pair {
					*bp = c.appendText((*bp)[:0], int(^uint(0)>>1))
					j.out[0] <- chunkOut{buf: bp, fix: c.w.fix}
					continue
				}
				// Two tables from one pass.
				bp2 := bufs.get()
				c.setPair()
				*bp, *bp2 = c.appendPair((*bp)[:0], (*bp2)[:0], int(^uint(0)>>1))
				j.out[0] <- chunkOut{buf: bp, fix: c.w.fix}
				j.out[1] <- chunkOut{buf: bp2, fix: c.w2.fix}
			}
		}()
	}

	// Writers: one per table, chunks in order.
	errs := make(chan error, len(stats))
	var ww sync.WaitGroup
	for si := range stats {
		st := &stats[si]
		ww.Add(1)
		go func() {
			defer ww.Done()
			errs <- writeTable(ctx, st, perTable[st.Table], window, bufs, &written, &jobsDone)
		}()
	}

	// Progress.
	done := make(chan struct{})
	var pw sync.WaitGroup
	if o.Progress != nil {
		pw.Add(1)
		go func() {
			defer pw.Done()
			tick := time.NewTicker(500 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-done:
					return
				case <-tick.C:
					pool := "building text pool"
					if poolIfReady() != nil {
						pool = "text pool ready"
					}
					fmt.Fprintf(o.Progress, "\rtpch gen sf=%g: %3.0f%% of %d chunks, %s written, %.1fs, %s   ",
						o.SF, 100*float64(jobsDone.Load())/float64(max(len(jobs), 1)), len(jobs),
						humanBytes(written.Load()), time.Since(start).Seconds(), pool)
				}
			}
		}()
	}

	ww.Wait()
	close(errs)
	var firstErr error
	for e := range errs {
		if e != nil && firstErr == nil {
			firstErr = e
			cancel(e)
		}
	}
	cancel(nil)
	wg.Wait()
	close(done)
	pw.Wait()
	res := Stats{Tables: stats, Elapsed: time.Since(start)}
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, "\rtpch gen sf=%g: %d tables, %s in %.2fs%30s\n", o.SF, len(stats), humanBytes(written.Load()), res.Elapsed.Seconds(), "")
	}
	return res, firstErr
}

// writeTable receives table st's chunks in order, fills in their comments
// if they were generated before the text pool existed, writes them, and
// releases one window slot and the buffer per chunk.
func writeTable(ctx context.Context, st *TableStats, jobs []tableChunk, window chan struct{}, bufs bufferList, written, jobsDone *atomic.Int64) error {
	f, err := os.Create(st.Path)
	if err != nil {
		return err
	}
	for _, j := range jobs {
		var c chunkOut
		select {
		case c = <-j.out:
		case <-ctx.Done():
			f.Close()
			return context.Cause(ctx)
		}
		buf := *c.buf
		if len(c.fix) > 0 {
			w := textWriter{fix: c.fix}
			w.fill(buf)
		}
		st.Rows += int64(bytes.Count(buf, []byte{'\n'}))
		if _, err := f.Write(buf); err != nil {
			f.Close()
			return fmt.Errorf("tpch: writing %s: %w", st.Path, err)
		}
		st.Bytes += int64(len(buf))
		bufs.put(c.buf)
		written.Add(int64(len(buf)))
		if j.j.pending.Add(-1) == 0 {
			jobsDone.Add(1)
			<-window
		}
	}
	return f.Close()
}

// bufferList recycles chunk buffers (unlike sync.Pool it keeps them across
// garbage collections: fresh memory costs page faults).
type bufferList chan *[]byte

func newBufferList(n int) bufferList { return make(bufferList, n) }

func (l bufferList) get() *[]byte {
	select {
	case b := <-l:
		return b
	default:
		b := make([]byte, 0, 4<<20)
		return &b
	}
}

func (l bufferList) put(b *[]byte) {
	select {
	case l <- b:
	default:
	}
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	default:
		return fmt.Sprintf("%d KiB", n>>10)
	}
}
