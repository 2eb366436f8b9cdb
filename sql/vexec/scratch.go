package vexec

import (
	"sync"
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

// keep returns s itself when it is not from the scratch (a sealed
// column's values, another allocation: they outlive the batch), else a
// copy of its first n values.
func keep[T any](p *pool[T], s []T, n int) []T {
	if s == nil || !p.owns(s) {
		return s
	}
	return append(make([]T, 0, n), s[:n]...)
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

// The worker's allocators: from its scratch when it has one, else new.
// A nil worker allocates.

func (w *worker) int64s(n int) []int64 {
	if w == nil || w.sc == nil {
		return make([]int64, n)
	}
	return w.sc.i64.get(n)
}

func (w *worker) int32s(n int) []int32 {
	if w == nil || w.sc == nil {
		return make([]int32, n)
	}
	return w.sc.i32.get(n)
}

func (w *worker) float64s(n int) []float64 {
	if w == nil || w.sc == nil {
		return make([]float64, n)
	}
	return w.sc.f64.get(n)
}

func (w *worker) bools(n int) []bool {
	if w == nil || w.sc == nil {
		return make([]bool, n)
	}
	return w.sc.bits.get(n)
}

func (w *worker) strings(n int) []string {
	if w == nil || w.sc == nil {
		return make([]string, n)
	}
	return w.sc.strs.get(n)
}

func (w *worker) values(n int) []types.Value {
	if w == nil || w.sc == nil {
		return make([]types.Value, n)
	}
	return w.sc.vals.get(n)
}

// boolVec returns an all-false boolean vec of n rows.
func (w *worker) boolVec(n int) *vec {
	return &vec{t: types.Bool, k: types.KindBool, form: fInt, n: n, i: w.int64s(n)}
}
