package vexec

import (
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/omendb/omendb/types"
)

// scratch recycles a pipe worker's per-batch buffers. Most of a batch's
// vecs (gathered columns, arithmetic results, comparison masks, join
// match lists) die with the batch, and allocating them afresh for every
// 16K-row batch made TPC-H queries allocate hundreds of MB each, a GC
// cycle over the whole column store every few queries. A worker whose
// sink copies what it keeps (aggregation, sort, collect: sink.retains
// false) hands its buffers out of a scratch and takes them all back after
// the sink has consumed the batch (reset); a worker whose sink kept the
// batch's vecs would have no scratch and allocate. Scratches themselves
// are reused from one pipe run to the next (scratches).
//
// Ownership: a buffer from a scratch is valid until the next reset, i.e.
// for the batch being processed only; nothing that outlives the batch (a
// constant's cached vec, a hash build, a sink's state) may hold one. Only
// the worker's goroutine uses its scratch.
type scratch struct {
	i64  pool[int64]
	i32  pool[int32]
	f64  pool[float64]
	bits pool[bool]
	strs pool[string]
	vals pool[types.Value]
	// rows holds an open segment's rows for the segment being read
	// (worker.openRows); it is not reset per batch.
	rows [][]types.Value
}

// pool hands out zeroed slices from buffers kept across resets.
type pool[T any] struct {
	bufs [][]T
	used int
}

// scratchMin is the smallest buffer a pool allocates: a segment batch.
const scratchMin = 1 << 14

func (p *pool[T]) get(n int) []T {
	if p.used == len(p.bufs) {
		p.bufs = append(p.bufs, nil)
	}
	b := p.bufs[p.used]
	if cap(b) < n {
		b = make([]T, max(n, scratchMin))
		p.bufs[p.used] = b
	}
	p.used++
	b = b[:n:n]
	clear(b)
	return b
}

func (p *pool[T]) reset() { p.used = 0 }

// owns reports whether s lies in one of the buffers handed out since the
// last reset.
func (p *pool[T]) owns(s []T) bool {
	if cap(s) == 0 {
		return false
	}
	at := uintptr(unsafe.Pointer(unsafe.SliceData(s)))
	var z T
	for _, b := range p.bufs[:p.used] {
		lo := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
		if at >= lo && at < lo+uintptr(cap(b))*unsafe.Sizeof(z) {
			return true
		}
	}
	return false
}

// scratches recycles scratches from one pipe run to the next: a worker
// takes its scratch from it and gives it back when its run ends, so that
// the queries of a session (and of all sessions) reuse the same buffers
// instead of allocating them again for every query — a TPC-H pass
// allocated 180 MB of scratch buffers before — which would bring the GC,
// and its walk over the whole store, round sooner. sync.Pool drops idle
// scratches at GC, so memory is not held for a workload that stopped.
var scratches = sync.Pool{New: func() any { return &scratch{} }}

// getScratch returns a scratch with no buffers handed out.
func getScratch() *scratch { return scratches.Get().(*scratch) }

// putScratch gives a worker's scratch back once its run is over: nothing
// may use a buffer handed out from it any more. The string and value
// buffers are not cleared here (get clears what it hands out; clearing
// every buffer on each return cost more than a tenth of a second per
// TPC-H pass), so a pooled scratch may keep a finished query's strings
// alive until it is reused or the pool drops it at the second GC.
func putScratch(s *scratch) {
	if s == nil {
		return
	}
	s.reset()
	scratches.Put(s)
}

func (s *scratch) reset() {
	s.i64.reset()
	s.i32.reset()
	s.f64.reset()
	s.bits.reset()
	s.strs.reset()
	s.vals.reset()
}

// The worker's allocators: from its scratch when it has one, else from
// its statement's memory (a hash build's worker), else new. A nil worker
// allocates.

func (w *worker) int64s(n int) []int64 {
	switch {
	case w == nil:
		return make([]int64, n)
	case w.sc != nil:
		return w.sc.i64.get(n)
	}
	return w.mem.int64s(n)
}

func (w *worker) int32s(n int) []int32 {
	switch {
	case w == nil:
		return make([]int32, n)
	case w.sc != nil:
		return w.sc.i32.get(n)
	}
	return w.mem.int32s(n)
}

func (w *worker) float64s(n int) []float64 {
	switch {
	case w == nil:
		return make([]float64, n)
	case w.sc != nil:
		return w.sc.f64.get(n)
	}
	return w.mem.float64s(n)
}

func (w *worker) bools(n int) []bool {
	switch {
	case w == nil:
		return make([]bool, n)
	case w.sc != nil:
		return w.sc.bits.get(n)
	}
	return w.mem.bools(n)
}

func (w *worker) strings(n int) []string {
	switch {
	case w == nil:
		return make([]string, n)
	case w.sc != nil:
		return w.sc.strs.get(n)
	}
	return w.mem.strings(n)
}

func (w *worker) values(n int) []types.Value {
	switch {
	case w == nil:
		return make([]types.Value, n)
	case w.sc != nil:
		return w.sc.vals.get(n)
	}
	return w.mem.values(n)
}

// openRows returns n nil row slots for an open segment's rows: the
// scratch's, valid until the next call, or new without a scratch.
func (w *worker) openRows(n int) [][]types.Value {
	if w.sc == nil {
		return make([][]types.Value, n)
	}
	if cap(w.sc.rows) < n {
		w.sc.rows = make([][]types.Value, n)
	} else {
		w.sc.rows = w.sc.rows[:n]
		clear(w.sc.rows)
	}
	return w.sc.rows
}

// boolVec returns an all-false boolean vec of n rows.
func (w *worker) boolVec(n int) *vec {
	return &vec{t: types.Bool, k: types.KindBool, form: fInt, n: n, i: w.int64s(n)}
}

// stmtMem hands out the arrays that live as long as a statement rather
// than a batch: a hash join's build side (the batches its collect keeps,
// their concatenation, the keys, the chains and the index over them). A
// TPC-H pass allocated about 300 MB of these, and on a machine where
// memory first touched is slow (docs/benchmarks.md, "Fresh memory"),
// every pass that ran without a GC in between grew the heap into fresh
// pages by as much. A statement gets a stmtMem when it starts
// (Runner.Run); its arrays come from the process's free arrays
// (sharedArrays) and go back to them when the statement's iterator is
// closed, so the next statement reuses the same, already mapped memory.
//
// Ownership: an array from a stmtMem is valid until release; nothing that
// outlives the statement (rows handed to the client are values copied out
// of the vecs, so they do not) may hold one. The statement's workers
// share it, under mu.
type stmtMem struct {
	src  *arraySet // where arrays come from and go back to
	mu   sync.Mutex
	back []func() // each gives one handed-out array back to src
}

// arraySet holds free arrays of each element type statements use.
type arraySet struct {
	i64   arrayPool[int64]
	i32   arrayPool[int32]
	f64   arrayPool[float64]
	bits  arrayPool[bool]
	strs  arrayPool[string]
	vals  arrayPool[types.Value]
	slots arrayPool[intSlot]
	words arrayPool[uint64]
}

// sharedArrays are the process's free statement arrays: one set for all
// statements, so that concurrent and nested statements (a subquery's own
// run) draw from the same arrays rather than from a pool each.
var sharedArrays arraySet

func (a *arraySet) prune(epoch uint64) {
	a.i64.prune(epoch)
	a.i32.prune(epoch)
	a.f64.prune(epoch)
	a.bits.prune(epoch)
	a.strs.prune(epoch)
	a.vals.prune(epoch)
	a.slots.prune(epoch)
	a.words.prune(epoch)
}

// arrayPool keeps free arrays of one element type: a recycler of them by
// capacity, which serves a request from the smallest array that holds it
// (sizes differ from statement to statement, so arrays are matched by
// size) but never one more than fitWaste times too large, keeps the
// fitKeep largest, and drops those not taken again by the second GC after
// they were given back.
type arrayPool[T any] struct {
	r recycler[[]T]
}

const (
	// fitMin is the smallest request served from the free arrays; smaller
	// ones are cheap to allocate.
	fitMin = 1 << 12
	// fitWaste bounds how much larger than the request a reused array
	// may be.
	fitWaste = 4
	// fitKeep bounds the free arrays kept per element type (the largest).
	fitKeep = 64
)

// take returns an array whose first n elements are zeroed: the
// best-fitting free array, whole (it goes back whole), else a new one.
func (p *arrayPool[T]) take(n int) []T {
	b, ok := p.r.getIn(n, fitWaste*n)
	if !ok {
		return make([]T, n)
	}
	clear(b[:n])
	return b[:cap(b)]
}

// give makes b free again.
func (p *arrayPool[T]) give(b []T) { p.r.putKeep(b, cap(b), fitKeep) }

func (p *arrayPool[T]) prune(epoch uint64) { p.r.prune(epoch) }

func getStmtMem() *stmtMem { return &stmtMem{src: &sharedArrays} }

// release gives every array handed out from m back to its set: nothing may
// use one any more. m may hand out arrays again after. A nil m is ignored.
func (m *stmtMem) release() {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, give := range m.back {
		give()
	}
	clear(m.back)
	m.back = m.back[:0]
}

// stmtGet hands out n zeroed elements from m's pool p, to go back to it
// at release; with a nil m (a statement run without one) or a small n it
// allocates.
func stmtGet[T any](m *stmtMem, p func(*arraySet) *arrayPool[T], n int) []T {
	if m == nil || n < fitMin {
		return make([]T, n)
	}
	pool := p(m.src)
	b := pool.take(n)
	m.mu.Lock()
	m.back = append(m.back, func() { pool.give(b) })
	m.mu.Unlock()
	return b[:n:n]
}

func (m *stmtMem) int64s(n int) []int64 {
	return stmtGet(m, func(a *arraySet) *arrayPool[int64] { return &a.i64 }, n)
}

func (m *stmtMem) int32s(n int) []int32 {
	return stmtGet(m, func(a *arraySet) *arrayPool[int32] { return &a.i32 }, n)
}

func (m *stmtMem) float64s(n int) []float64 {
	return stmtGet(m, func(a *arraySet) *arrayPool[float64] { return &a.f64 }, n)
}

func (m *stmtMem) bools(n int) []bool {
	return stmtGet(m, func(a *arraySet) *arrayPool[bool] { return &a.bits }, n)
}

func (m *stmtMem) strings(n int) []string {
	return stmtGet(m, func(a *arraySet) *arrayPool[string] { return &a.strs }, n)
}

func (m *stmtMem) values(n int) []types.Value {
	return stmtGet(m, func(a *arraySet) *arrayPool[types.Value] { return &a.vals }, n)
}

func (m *stmtMem) intSlots(n int) []intSlot {
	return stmtGet(m, func(a *arraySet) *arrayPool[intSlot] { return &a.slots }, n)
}

func (m *stmtMem) uint64s(n int) []uint64 {
	return stmtGet(m, func(a *arraySet) *arrayPool[uint64] { return &a.words }, n)
}

// keep returns s itself when it is not from the scratch p (a sealed
// column's values, another allocation: they outlive the batch), else a
// copy of its first n values in an array from alloc.
func keep[T any](p *pool[T], alloc func(int) []T, s []T, n int) []T {
	if s == nil || !p.owns(s) {
		return s
	}
	out := alloc(n)
	copy(out, s[:n])
	return out
}

// recycler keeps the buffers of finished operators of one kind
// (aggregation tables, integer hash tables) for the next ones, each
// matched to the size the next one expects: a sync.Pool hands back any
// of its items, so a query grouping a million keys could get a small
// table's buffers and grow them into fresh memory while its own large
// ones went to a query that needed none of it. Items not reused by the
// second GC after they were put are dropped, as a sync.Pool's are, so
// memory is not held for a workload that stopped.
type recycler[T any] struct {
	mu    sync.Mutex
	items []recycled[T]
}

type recycled[T any] struct {
	v     T
	size  int    // elements it holds without growing
	epoch uint64 // gcEpoch when it was put
}

// recyclerKeep bounds the items a recycler keeps (the smallest go first).
const recyclerKeep = 8

// getIn returns the smallest item whose size is within [lo, hi]; ok is
// false when there is none.
func (r *recycler[T]) getIn(lo, hi int) (v T, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	best := -1
	for i, it := range r.items {
		if it.size >= lo && it.size <= hi && (best < 0 || it.size < r.items[best].size) {
			best = i
		}
	}
	if best < 0 {
		return v, false
	}
	return r.take(best), true
}

// take removes item i and returns it; r.mu is held.
func (r *recycler[T]) take(i int) T {
	v := r.items[i].v
	last := len(r.items) - 1
	r.items[i] = r.items[last]
	r.items[last] = recycled[T]{}
	r.items = r.items[:last]
	return v
}

// get returns the smallest item that holds want elements, else the
// largest; ok is false when there is none.
func (r *recycler[T]) get(want int) (v T, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	best := -1
	for i, it := range r.items {
		switch {
		case best < 0:
			best = i
		case it.size >= want && (r.items[best].size < want || it.size < r.items[best].size):
			best = i
		case r.items[best].size < want && it.size > r.items[best].size:
			best = i
		}
	}
	if best < 0 {
		return v, false
	}
	return r.take(best), true
}

// put keeps v, which holds size elements.
func (r *recycler[T]) put(v T, size int) { r.putKeep(v, size, recyclerKeep) }

// putKeep keeps v, which holds size elements, and at most keep items (the
// largest).
func (r *recycler[T]) putKeep(v T, size, keep int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.items = append(r.items, recycled[T]{v: v, size: size, epoch: gcEpoch.Load()})
	if len(r.items) > keep {
		slices.SortFunc(r.items, func(a, b recycled[T]) int { return b.size - a.size })
		clear(r.items[keep:])
		r.items = r.items[:keep]
	}
}

// prune drops the items put before the GC before last.
func (r *recycler[T]) prune(epoch uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.items = slices.DeleteFunc(r.items, func(it recycled[T]) bool { return it.epoch+2 <= epoch })
}

// gcEpoch counts garbage collections (gcTick); recyclers registered in
// pruned are pruned after each.
var (
	gcEpoch atomic.Uint64
	pruned  []interface{ prune(uint64) }
)

// gcTick is a sentinel that the runtime cleans up at every GC: its cleanup
// advances gcEpoch, prunes the recyclers and makes the next sentinel.
type gcTick struct{ _ [32]byte }

func armGCTick() {
	runtime.AddCleanup(&gcTick{}, func(struct{}) {
		e := gcEpoch.Add(1)
		for _, r := range pruned {
			r.prune(e)
		}
		armGCTick()
	}, struct{}{})
}

func init() {
	pruned = []interface{ prune(uint64) }{&aggRecycler, &intRecycler, &sharedArrays}
	armGCTick()
}
