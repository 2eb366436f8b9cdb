package vexec

import (
	"runtime"
	"slices"
	"testing"
	"time"
)

// TestScratchPool checks the per-batch buffers: within a batch every get
// is a distinct, zeroed slice of the asked length; after reset the same
// buffers come back zeroed (whatever the last batch wrote), a longer
// request gets a buffer of its own, and a worker without a scratch
// allocates.
func TestScratchPool(t *testing.T) {
	w := &worker{sc: &scratch{}}
	a, b := w.int64s(100), w.int64s(100)
	if len(a) != 100 || len(b) != 100 || &a[0] == &b[0] {
		t.Fatalf("two gets in one batch share a buffer or have the wrong length: %d %d", len(a), len(b))
	}
	for j := range a {
		a[j], b[j] = int64(j)+1, -1
	}
	w.sc.reset()
	c, d := w.int64s(50), w.int64s(scratchMin*2)
	if &c[0] != &a[0] {
		t.Errorf("after reset the first buffer is not reused")
	}
	for j, x := range c {
		if x != 0 {
			t.Fatalf("reused buffer not zeroed at %d: %d", j, x)
		}
	}
	if len(d) != scratchMin*2 || &d[0] == &b[0] {
		t.Errorf("a longer request must get a buffer of its own")
	}
	for _, x := range d {
		if x != 0 {
			t.Fatalf("new buffer not zeroed")
		}
	}
	var none *worker
	if e := none.bools(3); len(e) != 3 {
		t.Errorf("nil worker: got %d bools", len(e))
	}
	x := (&worker{}).strings(4)
	y := (&worker{}).strings(4)
	if &x[0] == &y[0] {
		t.Errorf("a worker without a scratch must allocate")
	}
}

// TestStmtMem checks a statement's memory: every get of one statement is
// a distinct zeroed array of the asked length; after release a request is
// served from the smallest free array that holds it (never one more than
// fitWaste times too large), cleared whatever the last statement wrote;
// small requests and a nil stmtMem allocate; the free arrays kept are the
// fitKeep largest, and those no statement took again are dropped by the
// second GC after they were given back.
func TestStmtMem(t *testing.T) {
	m := &stmtMem{src: &arraySet{}}
	big, small := m.int64s(5*fitMin), m.int64s(fitMin)
	if len(big) != 5*fitMin || len(small) != fitMin || &big[0] == &small[0] {
		t.Fatalf("two gets of one statement share an array or have the wrong length")
	}
	for j := range big {
		big[j] = -1
	}
	for j := range small {
		small[j] = -2
	}
	m.release()
	other := &stmtMem{src: m.src} // the next statement
	a := other.int64s(2 * fitMin) // small is too short, big fits
	b := other.int64s(fitMin)     // only small is left
	if &a[0] != &big[0] || &b[0] != &small[0] {
		t.Fatalf("freed arrays not reused by size: %p %p, want %p %p", &a[0], &b[0], &big[0], &small[0])
	}
	for j, x := range a {
		if x != 0 {
			t.Fatalf("reused array not cleared at %d: %d", j, x)
		}
	}
	for j, x := range b {
		if x != 0 {
			t.Fatalf("reused array not cleared at %d: %d", j, x)
		}
	}
	other.release()
	c := m.int64s(fitMin) // small fits best
	d := m.int64s(fitMin) // big is more than fitWaste times too large
	if &c[0] != &small[0] || &d[0] == &big[0] {
		t.Fatalf("best fit: got %p %p (small %p, big %p)", &c[0], &d[0], &small[0], &big[0])
	}
	if e, f := m.int32s(8), m.int32s(8); &e[0] == &f[0] {
		t.Fatalf("small requests must be allocated")
	}
	var none *stmtMem
	if g := none.values(fitMin); len(g) != fitMin {
		t.Fatalf("nil stmtMem: got %d values", len(g))
	}
	for i := 0; i < 2*fitKeep; i++ {
		m.bools(fitMin + i)
	}
	m.release()
	free := m.src.bits.r.items
	if len(free) != fitKeep || slices.MinFunc(free, func(a, b recycled[[]bool]) int { return a.size - b.size }).size != fitMin+fitKeep {
		t.Fatalf("kept %d free arrays, want the %d largest", len(free), fitKeep)
	}
	// The epochs the arrays were put at (a GC may run at any time, under
	// -race often: not gcEpoch now).
	lo, hi := ^uint64(0), uint64(0)
	for _, it := range m.src.bits.r.items {
		lo, hi = min(lo, it.epoch), max(hi, it.epoch)
	}
	for _, it := range m.src.i64.r.items {
		lo, hi = min(lo, it.epoch), max(hi, it.epoch)
	}
	m.src.prune(lo + 1)
	if len(m.src.bits.r.items) != fitKeep {
		t.Fatalf("one GC dropped free arrays")
	}
	m.src.prune(hi + 2)
	if len(m.src.bits.r.items) != 0 || len(m.src.i64.r.items) != 0 {
		t.Fatalf("free arrays survived two GCs")
	}
}

// TestRecycler checks that a recycler hands back the smallest item that
// holds the request (else the largest), keeps at most recyclerKeep items
// (the largest), and drops an item no one took by the second GC after it
// was put.
func TestRecycler(t *testing.T) {
	var r recycler[string]
	if _, ok := r.get(1); ok {
		t.Fatal("an empty recycler returned an item")
	}
	r.put("small", 10)
	r.put("big", 1000)
	r.put("mid", 100)
	for _, c := range []struct {
		want int
		got  string
	}{{50, "mid"}, {5000, "big"}, {0, "small"}} {
		if v, ok := r.get(c.want); !ok || v != c.got {
			t.Fatalf("get(%d) = %q, want %q", c.want, v, c.got)
		}
	}
	for i := 1; i <= 2*recyclerKeep; i++ {
		r.put("x", i)
	}
	if len(r.items) != recyclerKeep || r.items[len(r.items)-1].size != recyclerKeep+1 {
		t.Fatalf("kept %d items, smallest %d; want the %d largest", len(r.items), r.items[len(r.items)-1].size, recyclerKeep)
	}
	e := gcEpoch.Load()
	r.prune(e + 1)
	if len(r.items) != recyclerKeep {
		t.Fatalf("one GC dropped items")
	}
	r.prune(e + 2)
	if len(r.items) != 0 {
		t.Fatalf("%d items survived two GCs", len(r.items))
	}
	// The runtime's GCs advance the epoch.
	before := gcEpoch.Load()
	for i := 0; i < 20 && gcEpoch.Load() < before+2; i++ {
		runtime.GC()
		time.Sleep(5 * time.Millisecond)
	}
	if gcEpoch.Load() < before+2 {
		t.Fatalf("two GCs advanced gcEpoch from %d to %d", before, gcEpoch.Load())
	}
}
