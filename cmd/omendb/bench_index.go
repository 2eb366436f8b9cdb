package main

// omendb bench index: the learned index side by side with the B-trees people
// would pick instead and a sorted slice, on the same keys in one process.

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	gbtree "github.com/google/btree"
	tbtree "github.com/tidwall/btree"

	"github.com/omendb/omendb/oltp/index"
)

func init() { benchCommands["index"] = runBenchIndex }

// benchKeyLen is the length of a benchmark key: the keycode encoding of a
// bigint (tag byte + 8 bytes), exactly what the row store keys an int8
// primary key with.
const benchKeyLen = 9

func benchKey(buf []byte, v uint64) []byte {
	buf = append(buf[:0], 0x10)
	return binary.BigEndian.AppendUint64(buf, v)
}

// benchIndex is what the benchmark drives; every peer gets the same calls.
type benchIndex interface {
	load(keys []uint64) // sorted, unique
	get(k []byte) bool
	put(k []byte, h uint64)
	del(k []byte) bool
	scan(from []byte, n int) int // ascending scan of n keys
	settle(afterInsert bool)     // finish deferred work the ops caused
	extra() string               // shape notes for the text report
}

// preparer is implemented by indexes that need the row payload (handle →
// key) before they are built; benchOne calls prepare before it measures the
// heap, so the payload is not counted in bytes_per_key.
type preparer interface {
	prepare(keys, ins []uint64)
}

// --- learned ---

// benchLearned is the learned index. "learned" runs it as the row store runs
// every primary key, in key-source mode: handle h's key is read from table,
// the benchmark's stand-in for the row versions (which keep their keys), and
// the index stores no keys. "learned-keys" runs the key-storing mode the
// row store uses for secondary indexes.
type benchLearned struct {
	l     *index.Learned
	keyed bool
	table []byte // keyed: the key of handle h at table[h*benchKeyLen:]
}

func (b *benchLearned) prepare(keys, ins []uint64) {
	if !b.keyed {
		return
	}
	// Handles: i for keys[i], len(keys)+i for ins[i] (as benchOne puts them).
	b.table = make([]byte, (len(keys)+len(ins))*benchKeyLen)
	for i, v := range append(keys[:len(keys):len(keys)], ins...) {
		benchKey(b.table[i*benchKeyLen:i*benchKeyLen:(i+1)*benchKeyLen], v)
	}
	table := b.table
	b.l = index.NewLearnedOptions(index.LearnedOptions{KeySource: func(h uint64) []byte {
		o := h * benchKeyLen
		return table[o : o+benchKeyLen : o+benchKeyLen]
	}})
}

func (b *benchLearned) load(keys []uint64) {
	ks := make([][]byte, len(keys))
	hs := make([]uint64, len(keys))
	arena := b.table
	if !b.keyed {
		arena = make([]byte, len(keys)*benchKeyLen)
	}
	for i, v := range keys {
		k := arena[i*benchKeyLen : (i+1)*benchKeyLen : (i+1)*benchKeyLen]
		if !b.keyed {
			benchKey(k[:0], v)
		}
		ks[i], hs[i] = k, uint64(i)
	}
	b.l.Load(ks, hs)
}
func (b *benchLearned) get(k []byte) bool      { _, ok := b.l.Get(k); return ok }
func (b *benchLearned) put(k []byte, h uint64) { b.l.Put(k, h) }
func (b *benchLearned) del(k []byte) bool      { return b.l.Delete(k) }
func (b *benchLearned) scan(from []byte, n int) int {
	c := 0
	b.l.Scan(from, false, func([]byte, uint64) bool { c++; return c < n })
	return c
}
func (b *benchLearned) settle(afterInsert bool) {
	if afterInsert {
		b.l.Flush() // pay for merging every buffered insert
	} else {
		b.l.WaitMerges()
	}
}
func (b *benchLearned) extra() string {
	s := b.l.Stats()
	return fmt.Sprintf("segments=%d mean_err=%.1f max_err=%d hit=%.2f merges=%d", s.Segments, s.MeanError, s.MaxError, s.WindowHitRate, s.Merges)
}

// --- tidwall/btree, as people use it: BTreeG with its default internal
// RWMutex (so, like the learned index, safe for concurrent readers) ---

type benchItem struct {
	key []byte
	h   uint64
}

func benchItemLess(a, b benchItem) bool { return bytes.Compare(a.key, b.key) < 0 }

type benchTidwall struct{ t *tbtree.BTreeG[benchItem] }

func (b *benchTidwall) load(keys []uint64) {
	for i, v := range keys {
		b.t.Load(benchItem{benchKey(make([]byte, 0, benchKeyLen), v), uint64(i)})
	}
}
func (b *benchTidwall) get(k []byte) bool { _, ok := b.t.Get(benchItem{key: k}); return ok }
func (b *benchTidwall) put(k []byte, h uint64) {
	b.t.Set(benchItem{append([]byte(nil), k...), h})
}
func (b *benchTidwall) del(k []byte) bool { _, ok := b.t.Delete(benchItem{key: k}); return ok }
func (b *benchTidwall) scan(from []byte, n int) int {
	c := 0
	b.t.Ascend(benchItem{key: from}, func(benchItem) bool { c++; return c < n })
	return c
}
func (b *benchTidwall) settle(bool)   {}
func (b *benchTidwall) extra() string { return fmt.Sprintf("height=%d", b.t.Height()) }

// --- google/btree, generic, degree 32, no locking of its own ---

type benchGoogle struct{ t *gbtree.BTreeG[benchItem] }

func (b *benchGoogle) load(keys []uint64) {
	for i, v := range keys {
		b.t.ReplaceOrInsert(benchItem{benchKey(make([]byte, 0, benchKeyLen), v), uint64(i)})
	}
}
func (b *benchGoogle) get(k []byte) bool { _, ok := b.t.Get(benchItem{key: k}); return ok }
func (b *benchGoogle) put(k []byte, h uint64) {
	b.t.ReplaceOrInsert(benchItem{append([]byte(nil), k...), h})
}
func (b *benchGoogle) del(k []byte) bool { _, ok := b.t.Delete(benchItem{key: k}); return ok }
func (b *benchGoogle) scan(from []byte, n int) int {
	c := 0
	b.t.AscendGreaterOrEqual(benchItem{key: from}, func(benchItem) bool { c++; return c < n })
	return c
}
func (b *benchGoogle) settle(bool)   {}
func (b *benchGoogle) extra() string { return "degree=32" }

// --- sorted slice with binary search ---

type benchSlice struct{ s []benchItem }

func (b *benchSlice) load(keys []uint64) {
	b.s = make([]benchItem, len(keys))
	for i, v := range keys {
		b.s[i] = benchItem{benchKey(make([]byte, 0, benchKeyLen), v), uint64(i)}
	}
}
func (b *benchSlice) find(k []byte) (int, bool) {
	i := sort.Search(len(b.s), func(i int) bool { return bytes.Compare(b.s[i].key, k) >= 0 })
	return i, i < len(b.s) && bytes.Equal(b.s[i].key, k)
}
func (b *benchSlice) get(k []byte) bool { _, ok := b.find(k); return ok }
func (b *benchSlice) put(k []byte, h uint64) {
	i, ok := b.find(k)
	if ok {
		b.s[i].h = h
		return
	}
	b.s = slices.Insert(b.s, i, benchItem{append([]byte(nil), k...), h})
}
func (b *benchSlice) del(k []byte) bool {
	i, ok := b.find(k)
	if ok {
		b.s = slices.Delete(b.s, i, i+1)
	}
	return ok
}
func (b *benchSlice) scan(from []byte, n int) int {
	i, _ := b.find(from)
	c := 0
	for ; i < len(b.s) && c < n; i++ {
		c++
	}
	return c
}
func (b *benchSlice) settle(bool)   {}
func (b *benchSlice) extra() string { return "" }

// --- tidwall/btree specialised to integer keys: uint64 items compared
// natively, no key allocations. Not a drop-in peer (the row store's keys are
// byte strings, composite keys do not fit), but it shows what a B-tree gains
// from inline fixed-width keys. Only run when asked for with --index. ---

type benchU64Item struct{ k, h uint64 }

type benchTidwallU64 struct {
	t *tbtree.BTreeG[benchU64Item]
}

func u64Of(k []byte) uint64 { return binary.BigEndian.Uint64(k[1:]) }

func (b *benchTidwallU64) load(keys []uint64) {
	for i, v := range keys {
		b.t.Load(benchU64Item{v, uint64(i)})
	}
}
func (b *benchTidwallU64) get(k []byte) bool {
	_, ok := b.t.Get(benchU64Item{k: u64Of(k)})
	return ok
}
func (b *benchTidwallU64) put(k []byte, h uint64) { b.t.Set(benchU64Item{u64Of(k), h}) }
func (b *benchTidwallU64) del(k []byte) bool {
	_, ok := b.t.Delete(benchU64Item{k: u64Of(k)})
	return ok
}
func (b *benchTidwallU64) scan(from []byte, n int) int {
	c := 0
	b.t.Ascend(benchU64Item{k: u64Of(from)}, func(benchU64Item) bool { c++; return c < n })
	return c
}
func (b *benchTidwallU64) settle(bool)   {}
func (b *benchTidwallU64) extra() string { return "uint64 keys" }

var benchPeers = []struct {
	name string
	new  func() benchIndex
}{
	{"learned", func() benchIndex { return &benchLearned{keyed: true} }},
	{"learned-keys", func() benchIndex { return &benchLearned{l: index.NewLearned()} }},
	{"tidwall/btree", func() benchIndex { return &benchTidwall{tbtree.NewBTreeG(benchItemLess)} }},
	{"google/btree", func() benchIndex { return &benchGoogle{gbtree.NewG(32, benchItemLess)} }},
	{"sorted-slice", func() benchIndex { return &benchSlice{} }},
	{"tidwall/btree-u64", func() benchIndex {
		return &benchTidwallU64{tbtree.NewBTreeG(func(a, b benchU64Item) bool { return a.k < b.k })}
	}},
}

// benchDefaultPeers run when --index is not given.
var benchDefaultPeers = "learned,learned-keys,tidwall/btree,google/btree,sorted-slice"

// --- key distributions ---

// benchDists generate n+extra unique keys; the benchmark keeps n and holds
// the rest back for inserts. appendOnly distributions insert beyond the
// current maximum (time series); the others insert anywhere.
var benchDists = []struct {
	name       string
	appendOnly bool
	gen        func(r *rand.Rand, n int) []uint64
}{
	{"uniform", false, func(r *rand.Rand, n int) []uint64 {
		return uniqueKeys(n, func() uint64 { return r.Uint64() })
	}},
	{"sequential", true, func(r *rand.Rand, n int) []uint64 {
		ks := make([]uint64, n)
		for i := range ks {
			ks[i] = uint64(i) + 1
		}
		return ks
	}},
	{"lognormal", false, func(r *rand.Rand, n int) []uint64 {
		// SOSD-style: exp(N(0, 2)) scaled to integers.
		return uniqueKeys(n, func() uint64 { return uint64(math.Exp(r.NormFloat64()*2) * 1e9) })
	}},
	{"bursty", true, func(r *rand.Rand, n int) []uint64 {
		// Microsecond timestamps: bursts of 100–10,000 events a few µs
		// apart, separated by idle gaps of ~10 s (exponential).
		ks := make([]uint64, n)
		t := uint64(1_700_000_000_000_000)
		left := 0
		for i := range ks {
			if left == 0 {
				left = 100 + r.IntN(9900)
				t += uint64(r.ExpFloat64() * 1e7)
			}
			left--
			t += 1 + uint64(r.IntN(5))
			ks[i] = t
		}
		return ks
	}},
	{"adversarial", false, func(r *rand.Rand, n int) []uint64 {
		// A devil's staircase: the bits of a random 32-bit number spread
		// over the even bit positions. The CDF has steps at every scale,
		// so no linear model is good over any range.
		return uniqueKeys(n, func() uint64 {
			x := r.Uint32()
			var v uint64
			for i := 0; i < 32; i++ {
				v |= uint64(x>>i&1) << (2 * i)
			}
			return v
		})
	}},
}

// uniqueKeys draws until it has n distinct keys and returns them sorted.
func uniqueKeys(n int, draw func() uint64) []uint64 {
	ks := make([]uint64, 0, n)
	for len(ks) < n {
		for len(ks) < n {
			ks = append(ks, draw())
		}
		slices.Sort(ks)
		ks = slices.Compact(ks)
	}
	return ks
}

type benchResult struct {
	Index       string  `json:"index"`
	Dist        string  `json:"dist"`
	Keys        int     `json:"keys"`
	Op          string  `json:"op"`
	NsPerOp     float64 `json:"ns_per_op"`
	BytesPerKey float64 `json:"bytes_per_key"`
	Ops         int     `json:"ops"`
	WallNsPerOp float64 `json:"wall_ns_per_op"`
}

// stopwatch measures both wall time and the process's CPU time (user+sys,
// all threads: the benchmark loop, GC, and the learned index's background
// merges). ns_per_op reports CPU time: the machine this runs on is shared,
// and CPU time does not count the time the process waited for a core.
type stopwatch struct {
	wall time.Time
	cpu  time.Duration
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startWatch() stopwatch { return stopwatch{time.Now(), cpuTime()} }

// lap returns the wall and CPU time since the watch started.
func (w stopwatch) lap() (wall, cpu time.Duration) {
	return time.Since(w.wall), cpuTime() - w.cpu
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func runBenchIndex(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench index", flag.ContinueOnError)
	keysFlag := fs.Int("keys", 0, "number of keys (default: run 1000000 and 10000000)")
	jsonOut := fs.Bool("json", false, "print one JSON object per result line")
	distFlag := fs.String("dist", "", "comma-separated distributions (default all)")
	indexFlag := fs.String("index", "", "comma-separated indexes (default "+benchDefaultPeers+"; also tidwall/btree-u64)")
	opsFlag := fs.Int("ops", 1_000_000, "timed operations per case (at most; lookups, inserts, deletes)")
	budget := fs.Duration("budget", 2*time.Second, "time budget per case for slow peers (the sorted slice's inserts)")
	seed := fs.Uint64("seed", 1, "random seed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	sizes := []int{1_000_000, 10_000_000}
	if *keysFlag > 0 {
		sizes = []int{*keysFlag}
	}
	want := func(list, name string) bool {
		if list == "" {
			return true
		}
		for _, s := range strings.Split(list, ",") {
			if strings.TrimSpace(s) == name {
				return true
			}
		}
		return false
	}
	fmt.Fprintf(os.Stderr, "bench index: GOMAXPROCS=%d %s seed=%d\n", runtime.GOMAXPROCS(0), runtime.Version(), *seed)
	var results []benchResult
	emit := func(res benchResult) {
		results = append(results, res)
		if *jsonOut {
			b, _ := json.Marshal(res)
			fmt.Println(string(b))
		}
	}
	for _, n := range sizes {
		for _, dist := range benchDists {
			if !want(*distFlag, dist.name) {
				continue
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			r := rand.New(rand.NewPCG(*seed, uint64(n)))
			nOps := min(*opsFlag, n)
			nIns := min(nOps, n/10)
			all := dist.gen(r, n+nIns)
			var keys, ins []uint64
			if dist.appendOnly {
				keys, ins = all[:n], all[n:]
			} else {
				// Hold back a random nIns keys for inserts.
				r.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
				keys, ins = all[:n], all[n:]
				slices.Sort(keys)
			}
			lookups := make([]uint64, nOps)
			for i := range lookups {
				lookups[i] = keys[r.IntN(n)]
			}
			dels := make([]uint64, nIns)
			for i := range dels {
				dels[i] = keys[r.IntN(n)]
			}
			for _, peer := range benchPeers {
				if !want(cmp.Or(*indexFlag, benchDefaultPeers), peer.name) {
					continue
				}
				if err := ctx.Err(); err != nil {
					return err
				}
				res, note := benchOne(peer.new, peer.name, dist.name, keys, lookups, ins, dels, *budget)
				for _, x := range res {
					emit(x)
				}
				fmt.Fprintf(os.Stderr, "  %-13s %-11s keys=%-8d lookup=%.0fns insert=%.0fns delete=%.0fns scan100=%.0fns bytes/key=%.1f %s\n",
					peer.name, dist.name, n, res[0].NsPerOp, res[1].NsPerOp, res[2].NsPerOp, res[3].NsPerOp, res[0].BytesPerKey, note)
			}
			runtime.GC()
		}
	}
	if !*jsonOut {
		printBenchTable(results)
	}
	return nil
}

// benchOne builds one index and times lookup, scan100, insert and delete on it
// in that order (results in the order lookup, insert, delete, scan100).
func benchOne(mk func() benchIndex, name, dist string, keys, lookups, ins, dels []uint64, budget time.Duration) ([]benchResult, string) {
	n := len(keys)
	ix := mk()
	if p, ok := ix.(preparer); ok {
		p.prepare(keys, ins) // the row payload: not the index's memory
	}
	before := heapInUse()
	ix.load(keys)
	ix.settle(true)
	bpk := float64(int64(heapInUse())-int64(before)) / float64(n)
	res := func(op string, ops int, w stopwatch) benchResult {
		wall, cpu := w.lap()
		ops = max(ops, 1)
		return benchResult{Index: name, Dist: dist, Keys: n, Op: op, NsPerOp: float64(cpu.Nanoseconds()) / float64(ops),
			BytesPerKey: bpk, Ops: ops, WallNsPerOp: float64(wall.Nanoseconds()) / float64(ops)}
	}
	var kb [benchKeyLen]byte

	w := startWatch()
	for _, v := range lookups {
		if !ix.get(benchKey(kb[:0], v)) {
			panic(fmt.Sprintf("bench index: %s lost key %d", name, v))
		}
	}
	lookup := res("lookup", len(lookups), w)

	nScan := max(len(lookups)/10, 1)
	w = startWatch()
	got := 0
	for _, v := range lookups[:nScan] {
		got += ix.scan(benchKey(kb[:0], v), 100)
	}
	scan := res("scan100", nScan, w)
	if got < nScan { // keep the loop's result alive and sane
		panic("bench index: scans returned too few keys")
	}

	timed := func(vals []uint64, f func(k []byte, i int)) int {
		t0 := time.Now()
		for i, v := range vals {
			f(benchKey(kb[:0], v), i)
			if i&255 == 255 && time.Since(t0) > budget {
				return i + 1
			}
		}
		return len(vals)
	}
	w = startWatch()
	nI := timed(ins, func(k []byte, i int) { ix.put(k, uint64(n+i)) })
	ix.settle(true)
	insert := res("insert", nI, w)

	w = startWatch()
	nD := timed(dels, func(k []byte, _ int) { ix.del(k) })
	ix.settle(false)
	del := res("delete", nD, w)
	note := ix.extra()
	runtime.KeepAlive(ix)
	return []benchResult{lookup, insert, del, scan}, note
}

func printBenchTable(results []benchResult) {
	type key struct {
		dist, op string
		keys     int
	}
	peer := map[key]benchResult{}
	for _, r := range results {
		if r.Index == "tidwall/btree" {
			peer[key{r.Dist, r.Op, r.Keys}] = r
		}
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "keys\tdist\top\tindex\tns/op\tvs tidwall\tbytes/key\tvs tidwall\t")
	for _, r := range results {
		p, ok := peer[key{r.Dist, r.Op, r.Keys}]
		ratio, mratio := "", ""
		if ok && r.NsPerOp > 0 {
			ratio = fmt.Sprintf("%.2fx", p.NsPerOp/r.NsPerOp)
			mratio = fmt.Sprintf("%.3f", r.BytesPerKey/p.BytesPerKey)
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%.0f\t%s\t%.1f\t%s\t\n", r.Keys, r.Dist, r.Op, r.Index, r.NsPerOp, ratio, r.BytesPerKey, mratio)
	}
	w.Flush()
	fmt.Println("(ns/op ratio = tidwall ns / this ns: >1 is faster; bytes ratio = this / tidwall: <1 is smaller)")
}
