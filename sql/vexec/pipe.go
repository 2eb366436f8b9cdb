package vexec

import (
	"context"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/omendb/omendb/internal/procs"
	"github.com/omendb/omendb/olap"
	"github.com/omendb/omendb/oltp/keycode"
	"github.com/omendb/omendb/sql/exec"
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

// pipe is a vectorized plan fragment: the batches of a driving column scan
// flow through steps (filters, projections, hash-join probes) into a sink.
// Workers (one per core) take the scan's segments in turn and run the
// whole chain on each (morsel-driven); the hash tables of the joins' build
// sides are built before, once, and only read while probing.
type pipe struct {
	s      *colScan
	preps  []*subInX // IN-subquery sets computed before the workers start
	preds  []pred
	steps  []step
	cols   []plan.Column
	builds []*hashBuild
	// skip, when set, is asked before a worker reads a segment whether
	// its sink can use none of the segment's rows (a top-N's zone-map
	// bound); skipped segments count as pruned.
	skip func(snk sink, t *olap.Table, seg *olap.Segment) bool

	// EXPLAIN ANALYZE: the scan's and each step's output (stepSt parallel
	// to steps), segments read and skipped, workers, and when run started.
	scanSt         opStats
	stepSt         []*opStats
	segs, pruned   int64
	workers, loops int
	t0             time.Time
}

type step interface {
	// apply transforms one batch; nil means no rows are left.
	apply(b *batch) (*batch, error)
}

// sink consumes a worker's batches.
type sink interface {
	consume(b *batch) error
	// retains reports whether the sink keeps a consumed batch's vecs
	// (else it copies what it keeps, and the worker recycles the
	// batch's buffers: scratch.go).
	retains() bool
}

type filterStep struct{ conds []vx }

func (f *filterStep) apply(b *batch) (*batch, error) {
	for _, c := range f.conds {
		v, err := c.eval(b)
		if err != nil {
			return nil, err
		}
		mask := b.w.bools(b.n())
		for j := range mask {
			mask[j] = v.isTrue(j)
		}
		b.keep(mask)
		if b.n() == 0 {
			return nil, nil
		}
	}
	return b, nil
}

type projectStep struct {
	exprs []vx // nil: not read above
	tys   []types.Type
}

func (p *projectStep) apply(in *batch) (*batch, error) {
	n := in.n()
	return derivedBatch(in.w, in.base, n, p.tys, func(c int) (*vec, error) {
		if p.exprs[c] == nil {
			return constVec(types.Null, p.tys[c], n), nil
		}
		return p.exprs[c].eval(in)
	}), nil
}

func colTypes(cols []plan.Column) []types.Type {
	out := make([]types.Type, len(cols))
	for i, c := range cols {
		out[i] = c.T
	}
	return out
}

func orNeed(need []bool, width int) []bool {
	if need == nil || len(need) != width {
		return all(width)
	}
	return append([]bool(nil), need...)
}

// planPipe builds a pipe computing n (a rewritten plan node), of whose
// output columns need are read (nil = all), or returns nil.
func (w *rewriter) planPipe(n plan.Node, need []bool) *pipe {
	cp := &compiler{c: w.c, rw: w}
	p := w.planPipeWith(cp, n, need)
	if p != nil {
		p.preps = append(p.preps, cp.preps...)
	}
	return p
}

func (w *rewriter) planPipeWith(cp *compiler, n plan.Node, need []bool) *pipe {
	compile := func(es ...plan.Expr) ([]vx, bool) {
		out := make([]vx, len(es))
		for i, e := range es {
			if e == nil {
				continue
			}
			if !parallelSafe(e) {
				return nil, false
			}
			x, err := cp.compile(e)
			if err != nil {
				return nil, false
			}
			out[i] = x
		}
		return out, true
	}
	switch x := n.(type) {
	case *plan.VirtualScan:
		if j := w.joins[x]; j != nil {
			return w.planPipe(j, need)
		}
		s := w.byNode[x]
		if s == nil || s.n.KeyEquality() {
			return nil
		}
		preds, residual, err := s.splitFilter(s.n.Filter)
		if err != nil {
			return nil
		}
		p := &pipe{s: s, preds: preds, cols: s.n.Cols}
		if residual != nil {
			conds, ok := compile(conjuncts(residual)...)
			if !ok {
				return nil
			}
			p.steps = append(p.steps, &filterStep{conds: conds})
		}
		return p
	case *plan.Filter:
		width := len(x.Input.Columns())
		in := orNeed(need, width)
		if !refs(in, x.Cond) {
			return nil
		}
		conds, ok := compile(conjuncts(x.Cond)...)
		if !ok {
			return nil
		}
		p := w.planPipe(x.Input, in)
		if p == nil {
			return nil
		}
		p.steps = append(p.steps, &filterStep{conds: conds})
		return p
	case *plan.Project:
		out := orNeed(need, len(x.Exprs))
		in := make([]bool, len(x.Input.Columns()))
		exprs := make([]plan.Expr, len(x.Exprs))
		for i, e := range x.Exprs {
			if out[i] {
				exprs[i] = e
				if !refs(in, e) {
					return nil
				}
			}
		}
		vs, ok := compile(exprs...)
		if !ok {
			return nil
		}
		p := w.planPipe(x.Input, in)
		if p == nil {
			return nil
		}
		p.steps = append(p.steps, &projectStep{exprs: vs, tys: colTypes(x.Cols)})
		p.cols = x.Cols
		return p
	case *plan.Join:
		return w.planJoin(x, need, compile)
	}
	return nil
}

func (w *rewriter) planJoin(x *plan.Join, need []bool, compile func(...plan.Expr) ([]vx, bool)) *pipe {
	switch x.Kind {
	case plan.InnerJoin, plan.LeftJoin, plan.RightJoin, plan.FullJoin, plan.SemiJoin, plan.AntiJoin:
	default:
		return nil
	}
	if len(x.LeftKeys) == 0 || len(x.LeftKeys) != len(x.RightKeys) {
		return nil
	}
	lw, rw := len(x.Left.Columns()), len(x.Right.Columns())
	keyTypes := make([]types.Type, len(x.LeftKeys))
	for i := range x.LeftKeys {
		lt, rt := x.LeftKeys[i].Type(), x.RightKeys[i].Type()
		if types.KindOfType(lt) != types.KindOfType(rt) {
			return nil // the row executor compares such keys as numerics
		}
		keyTypes[i] = lt
	}
	comb := make([]bool, lw+rw)
	if x.Kind == plan.SemiJoin || x.Kind == plan.AntiJoin {
		copy(comb, orNeed(need, lw))
	} else {
		copy(comb, orNeed(need, lw+rw))
	}
	if !refs(comb, x.Cond) {
		return nil
	}
	ln, rn := append([]bool(nil), comb[:lw]...), append([]bool(nil), comb[lw:]...)
	if !refs(ln, x.LeftKeys...) || !refs(rn, x.RightKeys...) {
		return nil
	}
	var cond vx
	if x.Cond != nil {
		c, ok := compile(x.Cond)
		if !ok {
			return nil
		}
		cond = c[0]
	}
	// The build side is the smaller one for inner and full joins; a right
	// join probes with its right (outer) side, so unmatched probe rows
	// are emitted as they come.
	probeLeft := true
	switch x.Kind {
	case plan.InnerJoin, plan.FullJoin:
		probeLeft = w.estimate(x.Right) <= w.estimate(x.Left)
	case plan.RightJoin:
		probeLeft = false
	case plan.LeftJoin:
		// A small preserved side against a large one (TPC-H Q13: 150K
		// customers, 1.5M orders): hash the preserved rows, let the large
		// side probe them on both cores and mark the ones matched; the
		// unmatched come out after the last probe batch.
		probeLeft = w.estimate(x.Left)*4 > w.estimate(x.Right)
	case plan.SemiJoin, plan.AntiJoin:
		// Few outer rows against a large subquery table (TPC-H Q21):
		// hash the outer rows, let the table's rows probe them and
		// mark the ones matched; the matched (semi) or unmatched
		// (anti) outer rows come out after the last probe batch.
		probeLeft = w.estimate(x.Left)*4 > w.estimate(x.Right)
	}
	probeNode, buildNode, probeNeed, buildNeed := x.Left, x.Right, ln, rn
	probeKeys, buildKeys := x.LeftKeys, x.RightKeys
	if !probeLeft {
		probeNode, buildNode, probeNeed, buildNeed = x.Right, x.Left, rn, ln
		probeKeys, buildKeys = x.RightKeys, x.LeftKeys
	}
	pk, ok := compile(probeKeys...)
	if !ok {
		return nil
	}
	bk, ok := compile(buildKeys...)
	if !ok {
		return nil
	}
	p := w.planPipe(probeNode, probeNeed)
	if p == nil {
		return nil
	}
	hb := &hashBuild{mem: w.mem, node: buildNode, need: buildNeed, keys: bk, keyTypes: keyTypes, tys: colTypes(buildNode.Columns())}
	hb.pipe = w.planPipe(buildNode, buildNeed)
	// One integer-like key, or two (packed into one int64 when every
	// build key fits in 31 bits), hash as int64s.
	hb.intKey = len(keyTypes) == 1 || len(keyTypes) == 2
	for _, kt := range keyTypes {
		switch types.KindOfType(kt) {
		case types.KindInt, types.KindDate, types.KindTimestamp, types.KindTimestampTZ:
		default:
			hb.intKey = false
		}
	}
	p.builds = append(p.builds, hb)
	p.steps = append(p.steps, &probeStep{hb: hb, keys: pk, kind: x.Kind, cond: cond, probeLeft: probeLeft,
		lw: lw, tys: colTypes(x.Cols), comb: colTypes(append(append([]plan.Column(nil), x.Left.Columns()...), x.Right.Columns()...))})
	p.cols = x.Cols
	return p
}

// estimate guesses a node's output rows to pick a join's build side
// (card.go).
func (w *rewriter) estimate(n plan.Node) float64 {
	return w.card(n)
}

// hashBuild is a join's build side: its needed columns, concatenated, and
// a hash table from key to the first row with that key (next chains the
// others in build order).
type hashBuild struct {
	mem      *stmtMem // where its arrays come from: they live as long as the statement
	node     plan.Node
	pipe     *pipe // nil: the row executor computes the build side
	need     []bool
	keys     []vx
	keyTypes []types.Type
	tys      []types.Type
	intKey   bool

	built    bool
	took     time.Duration // EXPLAIN ANALYZE: time to build
	n        int
	cols     []*vec
	first    map[string]int32
	firstInt intIndex
	next     []int32
	sorted   []int64 // one integer key, few rows: the distinct keys, sorted (keyPrune)
}

// sortedKeysMax bounds the build rows whose keys are kept sorted for
// pruning the probe side's segments.
const sortedKeysMax = 1 << 16

// intIndex maps an integer build key to its first build row (-1: none).
// Keys outside [lo, hi] miss without a lookup; when the keys are dense
// (their span at most a few times their count, as a dimension table's
// primary key) the rows sit in an array indexed by key-lo, otherwise a
// bitmap over the span (when it is small enough) answers most misses
// before the hash table is asked.
type intIndex struct {
	lo, hi int64
	empty  bool
	dense  []int32
	bits   []uint64
	// slots is an open-addressing table (linear probing, at most half
	// full, a power of two long) of key → first build row + 1 (0: empty
	// slot): one cache line per probe where a Go map took two, and no
	// pointers for the GC.
	slots []intSlot
	shift uint8 // 64 - log2(len(slots))
}

type intSlot struct {
	k   int64
	row int32 // first build row + 1; 0: empty
}

// slot returns k's home slot (Fibonacci hashing: the top bits of k times
// 2^64/φ spread clustered and strided keys alike).
func (ix *intIndex) slot(k int64) uint64 {
	return (uint64(k) * 0x9E3779B97F4A7C15) >> ix.shift
}

const (
	denseSpanMax  = 1 << 24 // array entries
	bitmapSpanMax = 1 << 27 // bits
)

// newIntIndex indexes keys[j] for the rows j with ok[j], the first row of
// each key being its smallest j, and sets next[j] to the next row with
// row j's key (-1: none), so chains come out in build order. Its arrays
// come from m (nil: allocated).
func newIntIndex(m *stmtMem, keys []int64, ok []bool, next []int32) intIndex {
	for j := range next {
		next[j] = -1
	}
	ix := intIndex{empty: true}
	for j, k := range keys {
		if !ok[j] {
			continue
		}
		if ix.empty || k < ix.lo {
			ix.lo = k
		}
		if ix.empty || k > ix.hi {
			ix.hi = k
		}
		ix.empty = false
	}
	if ix.empty {
		return ix
	}
	span := uint64(ix.hi) - uint64(ix.lo) + 1 // wraps to 0 for the full int64 range
	n := uint64(len(keys))
	switch {
	case span != 0 && span <= denseSpanMax && span <= 8*n+1<<16:
		ix.dense = m.int32s(int(span))
		for i := range ix.dense {
			ix.dense[i] = -1
		}
		for j := len(keys) - 1; j >= 0; j-- {
			if ok[j] {
				d := uint64(keys[j]) - uint64(ix.lo)
				next[j] = ix.dense[d]
				ix.dense[d] = int32(j)
			}
		}
		return ix
	case span != 0 && span <= bitmapSpanMax:
		ix.bits = m.uint64s(int((span + 63) / 64))
	}
	size, shift := 16, uint8(60)
	for size < 2*len(keys) {
		size, shift = size*2, shift-1
	}
	ix.slots, ix.shift = m.intSlots(size), shift
	mask := uint64(size - 1)
	for j := len(keys) - 1; j >= 0; j-- {
		if !ok[j] {
			continue
		}
		k := keys[j]
		i := ix.slot(k)
		for ix.slots[i].row != 0 && ix.slots[i].k != k {
			i = (i + 1) & mask
		}
		if f := ix.slots[i].row; f != 0 {
			next[j] = f - 1
		}
		ix.slots[i] = intSlot{k: k, row: int32(j) + 1}
		if ix.bits != nil {
			d := uint64(k) - uint64(ix.lo)
			ix.bits[d>>6] |= 1 << (d & 63)
		}
	}
	return ix
}

// get returns key k's first build row, or -1.
func (ix *intIndex) get(k int64) int32 {
	if ix.empty || k < ix.lo || k > ix.hi {
		return -1
	}
	d := uint64(k) - uint64(ix.lo)
	if ix.dense != nil {
		return ix.dense[d]
	}
	if ix.bits != nil && ix.bits[d>>6]&(1<<(d&63)) == 0 {
		return -1
	}
	mask := uint64(len(ix.slots) - 1)
	for i := ix.slot(k); ix.slots[i].row != 0; i = (i + 1) & mask {
		if ix.slots[i].k == k {
			return ix.slots[i].row - 1
		}
	}
	return -1
}

func (hb *hashBuild) build(c *exec.Ctx) error {
	if hb.built {
		return nil
	}
	hb.built = true
	start := time.Now()
	defer func() { hb.took = time.Since(start) }()
	hb.cols = make([]*vec, len(hb.tys))
	if hb.pipe != nil {
		parts, err := hb.pipe.collect(c, hb.need)
		if err != nil {
			return err
		}
		for ci := range hb.cols {
			if !hb.need[ci] {
				continue
			}
			vs := make([]*vec, len(parts))
			for i, p := range parts {
				vs[i] = p.cols[ci]
			}
			hb.cols[ci] = concat(hb.mem, vs, hb.tys[ci])
			hb.n = hb.cols[ci].n
		}
	} else {
		rows, err := exec.Collect(c, hb.node)
		if err != nil {
			return err
		}
		hb.n = len(rows)
		for ci := range hb.cols {
			if !hb.need[ci] {
				continue
			}
			v := &vec{t: hb.tys[ci], k: types.KindOfType(hb.tys[ci]), form: fVals, n: len(rows), vals: make([]types.Value, len(rows))}
			for i, r := range rows {
				v.vals[i] = r[ci]
			}
			hb.cols[ci] = v.tighten()
		}
	}
	w := &worker{c: c, dicts: map[*olap.Column][]string{}, mem: hb.mem}
	b := derivedBatch(w, 0, hb.n, hb.tys, func(ci int) (*vec, error) {
		if hb.cols[ci] == nil {
			return constVec(types.Null, hb.tys[ci], hb.n), nil
		}
		return hb.cols[ci], nil
	})
	keys := make([]*vec, len(hb.keys))
	for i, k := range hb.keys {
		v, err := k.eval(b)
		if err != nil {
			return err
		}
		keys[i] = v
	}
	hb.next = hb.mem.int32s(hb.n)
	if hb.intKey && len(keys) == 2 {
		for j := 0; j < hb.n; j++ {
			if _, st := packKey(keys, j); st == keyOut {
				hb.intKey = false // a key does not fit: encoded keys
				break
			}
		}
	}
	if hb.intKey {
		ks, ok := hb.mem.int64s(hb.n), hb.mem.bools(hb.n)
		for j := range ks {
			k, st := packKey(keys, j)
			ks[j], ok[j] = k, st == keyOK
		}
		hb.firstInt = newIntIndex(hb.mem, ks, ok, hb.next)
		if len(keys) == 1 && hb.n <= sortedKeysMax {
			for j, k := range ks {
				if ok[j] {
					hb.sorted = append(hb.sorted, k)
				}
			}
			slices.Sort(hb.sorted)
			hb.sorted = slices.Compact(hb.sorted)
		}
		return nil
	}
	hb.first = make(map[string]int32, hb.n)
	enc := newKeyEncoder(keys, hb.keyTypes)
	for j := hb.n - 1; j >= 0; j-- { // chains come out in build order
		hb.next[j] = -1
		k, ok := enc.at(j)
		if !ok {
			continue
		}
		if f, dup := hb.first[string(k)]; dup {
			hb.next[j] = f
		}
		hb.first[string(k)] = int32(j)
	}
	return nil
}

const (
	keyOK   = iota
	keyNull // a key column is NULL: matches nothing
	keyOut  // two keys, one outside [0, 2^31): cannot be packed
)

// packKey returns row j's integer key: the one key's value, or two keys
// packed as a<<31 | b.
func packKey(keys []*vec, j int) (int64, int) {
	a, ok := intKeyAt(keys[0], j)
	if !ok {
		return 0, keyNull
	}
	if len(keys) == 1 {
		return a, keyOK
	}
	b, ok := intKeyAt(keys[1], j)
	if !ok {
		return 0, keyNull
	}
	if a < 0 || a >= 1<<31 || b < 0 || b >= 1<<31 {
		return 0, keyOut
	}
	return a<<31 | b, keyOK
}

func intKeyAt(v *vec, j int) (int64, bool) {
	if v.null(j) {
		return 0, false
	}
	if v.form == fInt {
		return v.i[j], true
	}
	x := v.value(j)
	return x.I, true
}

// keyEncoder encodes rows of key vecs as the row executor's hash keys
// (keycode), dictionary words once each.
type keyEncoder struct {
	keys  []*vec
	types []types.Type
	dict  [][][]byte
	buf   []byte
}

func newKeyEncoder(keys []*vec, tys []types.Type) *keyEncoder {
	e := &keyEncoder{keys: keys, types: tys, dict: make([][][]byte, len(keys))}
	for i, k := range keys {
		if k.form == fDict {
			e.dict[i] = make([][]byte, len(k.dict))
		}
	}
	return e
}

// at returns row j's key; ok is false when a key column is NULL.
func (e *keyEncoder) at(j int) ([]byte, bool) {
	buf := e.buf[:0]
	for i, k := range e.keys {
		switch {
		case k.null(j):
			return nil, false
		case k.form == fDict:
			c := k.codes[j]
			if e.dict[i][c] == nil {
				e.dict[i][c] = keycode.Append(nil, k.value(j), e.types[i])
			}
			buf = append(buf, e.dict[i][c]...)
		case k.form == fInt && k.k != types.KindNumeric && k.k != types.KindBool:
			buf = keycode.AppendInt64(append(buf, keycode.TagValue), k.i[j])
		default:
			buf = keycode.Append(buf, k.value(j), e.types[i])
		}
	}
	e.buf = buf
	return buf, true
}

type probeStep struct {
	hb        *hashBuild
	matched   []uint32 // outer build side: build rows matched (set atomically)
	keys      []vx
	kind      plan.JoinKind
	cond      vx // over the left row followed by the right row
	probeLeft bool
	lw        int
	tys       []types.Type // output columns
	comb      []types.Type // left then right columns
}

// outerProbe says whether unmatched probe rows are emitted (with NULL
// build columns); outerBuild whether unmatched build rows are, after every
// probe batch has run (right join building the left side, left join
// building the right, full join).
func (ps *probeStep) outerProbe() bool {
	switch ps.kind {
	case plan.LeftJoin:
		return ps.probeLeft
	case plan.RightJoin:
		return !ps.probeLeft
	case plan.FullJoin:
		return true
	}
	return false
}

func (ps *probeStep) outerBuild() bool {
	switch ps.kind {
	case plan.LeftJoin, plan.SemiJoin, plan.AntiJoin:
		return !ps.probeLeft
	case plan.RightJoin:
		return ps.probeLeft
	case plan.FullJoin:
		return true
	}
	return false
}

// unmatched is the batch of build rows no probe row matched, with NULL
// probe columns (for a semi join building its left side: the rows some
// probe row matched).
func (ps *probeStep) unmatched(w *worker, base int64) *batch {
	hb := ps.hb
	var idx []int32
	want := uint32(0)
	if ps.kind == plan.SemiJoin {
		want = 1
	}
	for r := 0; r < hb.n; r++ {
		if atomic.LoadUint32(&ps.matched[r]) == want {
			idx = append(idx, int32(r))
		}
	}
	if len(idx) == 0 {
		return nil
	}
	n := len(idx)
	return derivedBatch(w, base, n, ps.tys, func(c int) (*vec, error) {
		buildSide := c < ps.lw != ps.probeLeft
		off := c
		if c >= ps.lw {
			off = c - ps.lw
		}
		if !buildSide || hb.cols[off] == nil {
			return constVec(types.Null, ps.tys[c], n), nil
		}
		return take(w, hb.cols[off], idx), nil
	})
}

func (ps *probeStep) apply(b *batch) (*batch, error) {
	hb := ps.hb
	n := b.n()
	keys := make([]*vec, len(ps.keys))
	for i, k := range ps.keys {
		v, err := k.eval(b)
		if err != nil {
			return nil, err
		}
		keys[i] = v
	}
	pi, bi := b.w.int32s(n)[:0], b.w.int32s(n)[:0] // most probe rows match once or not at all
	if k := keys[0]; hb.intKey && len(keys) == 1 && k.form == fInt && k.nulls == nil {
		// One integer key with no NULLs: straight over the values.
		for j, x := range k.i[:n] {
			for r := hb.firstInt.get(x); r >= 0; r = hb.next[r] {
				pi = append(pi, int32(j))
				bi = append(bi, r)
			}
		}
		return ps.finish(b, pi, bi)
	}
	enc := newKeyEncoder(keys, hb.keyTypes)
	for j := 0; j < n; j++ {
		f := int32(-1)
		if hb.intKey {
			k, st := packKey(keys, j)
			if st != keyOK {
				continue // NULL, or a value no build key has
			}
			f = hb.firstInt.get(k)
		} else {
			k, ok := enc.at(j)
			if !ok {
				continue
			}
			if x, hit := hb.first[string(k)]; hit {
				f = x
			}
		}
		for r := f; r >= 0; r = hb.next[r] {
			pi = append(pi, int32(j))
			bi = append(bi, r)
		}
	}
	return ps.finish(b, pi, bi)
}

// finish turns the probe batch b and its (probe row pi[j], build row
// bi[j]) key matches into the join's output.
func (ps *probeStep) finish(b *batch, pi, bi []int32) (*batch, error) {
	n := b.n()
	pairs := ps.pairs(b, pi, bi, ps.comb)
	var mask []bool
	if ps.cond != nil && len(pi) > 0 {
		v, err := ps.cond.eval(pairs)
		if err != nil {
			return nil, err
		}
		mask = b.w.bools(len(pi))
		for j := range mask {
			mask[j] = v.isTrue(j)
		}
	}
	if ps.matched != nil {
		for j, r := range bi {
			if mask == nil || mask[j] {
				atomic.StoreUint32(&ps.matched[r], 1)
			}
		}
	}
	if !ps.probeLeft && (ps.kind == plan.SemiJoin || ps.kind == plan.AntiJoin) {
		return nil, nil // the build (left) rows come out at the end (unmatched)
	}
	if !ps.outerProbe() && (ps.kind == plan.LeftJoin || ps.kind == plan.RightJoin) {
		// The outer side is the build side: matches only, as an inner join.
		ps = &probeStep{hb: ps.hb, kind: plan.InnerJoin, probeLeft: ps.probeLeft, lw: ps.lw, tys: ps.tys, comb: ps.comb}
	}
	switch ps.kind {
	case plan.InnerJoin:
		if mask != nil {
			pairs.keep(mask)
		}
		if pairs.n() == 0 {
			return nil, nil
		}
		return pairs, nil
	case plan.SemiJoin, plan.AntiJoin:
		hit := b.w.bools(n)
		for j, p := range pi {
			if mask == nil || mask[j] {
				hit[p] = true
			}
		}
		if ps.kind == plan.AntiJoin {
			for j := range hit {
				hit[j] = !hit[j]
			}
		}
		b.keep(hit)
		if b.n() == 0 {
			return nil, nil
		}
		return b, nil
	}
	// Outer probe side: each probe row's matches in build order, or one
	// row with NULL build columns.
	var pi2, bi2 []int32
	k := 0
	for j := 0; j < n; j++ {
		matched := false
		for k < len(pi) && pi[k] == int32(j) {
			if mask == nil || mask[k] {
				pi2 = append(pi2, int32(j))
				bi2 = append(bi2, bi[k])
				matched = true
			}
			k++
		}
		if !matched {
			pi2 = append(pi2, int32(j))
			bi2 = append(bi2, -1)
		}
	}
	return ps.pairs(b, pi2, bi2, ps.tys), nil
}

// pairs is the batch of (probe row pi[j], build row bi[j]) as left columns
// followed by right columns.
func (ps *probeStep) pairs(b *batch, pi, bi []int32, tys []types.Type) *batch {
	hb := ps.hb
	n := len(pi)
	return derivedBatch(b.w, b.base, n, tys, func(c int) (*vec, error) {
		probeSide := c < ps.lw == ps.probeLeft
		off := c
		if c >= ps.lw {
			off = c - ps.lw
		}
		if probeSide {
			v, err := b.colErr(off)
			if err != nil {
				return nil, err
			}
			return take(b.w, v, pi), nil
		}
		if hb.cols[off] == nil {
			return constVec(types.Null, tys[c], n), nil
		}
		return take(b.w, hb.cols[off], bi), nil
	})
}

// run builds the pipe's hash tables, then runs its chain on every segment
// of the driving scan in parallel; newSink gives each worker its sink.
func (p *pipe) run(c *exec.Ctx, newSink func(wi int) sink) (int64, int64, error) {
	p.t0 = time.Now()
	p.loops++
	if len(p.stepSt) != len(p.steps) {
		p.stepSt = make([]*opStats, len(p.steps))
		for i := range p.stepSt {
			p.stepSt[i] = &opStats{}
		}
	}
	for _, x := range p.preps {
		if err := x.prepare(c); err != nil {
			return 0, 0, err
		}
	}
	for _, hb := range p.builds {
		if err := hb.build(c); err != nil {
			return 0, 0, err
		}
	}
	for _, st := range p.steps {
		if ps, ok := st.(*probeStep); ok && ps.outerBuild() {
			ps.matched = make([]uint32, ps.hb.n)
		}
	}
	s := p.s
	t := s.r.Store.Table(s.n.Table.ID)
	if t == nil {
		return 0, 0, errFallback
	}
	s.counted(t)
	def := s.n.Table
	kps := p.keyPrunes(len(def.Columns))
	snap, ok := t.SegmentsAt(s.snap)
	if !ok {
		return 0, 0, errNotHeld(s.n.Table, s.snap)
	}
	workers := procs.Parallel(len(snap.Segs))
	p.workers = workers
	errs := make([]error, workers)
	next := make(chan int, len(snap.Segs))
	for i := range snap.Segs {
		next <- i
	}
	close(next)
	var pruned, batches, rowsOut int64
	var mu sync.Mutex
	ctx := c.Context
	if ctx == nil {
		ctx = context.Background()
	}
	var wg sync.WaitGroup
	sinks := make([]sink, workers)
	for wi := 0; wi < workers; wi++ {
		snk := newSink(wi)
		sinks[wi] = snk
		wg.Add(1)
		go func(wi int) {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					errs[wi] = errFallback
				}
			}()
			cc := *c
			wk := &worker{c: &cc, dicts: map[*olap.Column][]string{}, mem: s.mem}
			if !snk.retains() {
				wk.sc = getScratch()
				defer putScratch(wk.sc)
			}
			var sel []int32
			var myPruned, myBatches, myRows int64
			for i := range next {
				if errs[wi] != nil {
					continue
				}
				if err := ctx.Err(); err != nil {
					errs[wi] = err
					continue
				}
				seg := snap.Segs[i]
				if prune(t, seg, p.preds) || pruneKeys(t, seg, kps) || (p.skip != nil && p.skip(snk, t, seg)) {
					myPruned++
					continue
				}
				if n := seg.Len(); cap(sel) < n {
					sel = make([]int32, 0, n) // not grown by appends, segment after segment
				}
				sel, _ = t.Visible(seg, s.snap, sel[:0])
				if len(sel) == 0 {
					continue
				}
				src := &source{def: def, seg: seg}
				t.Read(func() {
					sel = filterVec(seg, def, p.preds, sel)
					if seg.Sealed() {
						src.cols = make([]*olap.Column, len(def.Columns))
						for c := range def.Columns {
							src.cols[c] = seg.Col(c)
						}
						return
					}
					// An open segment's rows, in an array the worker's
					// scratch keeps from segment to segment and query to
					// query (batches copy what they gather from it).
					src.rows = wk.openRows(seg.Len())
					for _, ri := range sel {
						row := seg.Shared(def, int(ri))
						if row == nil {
							row = seg.Row(def, int(ri))
						}
						src.rows[ri] = row
					}
				})
				const chunk = 16384
				for lo := 0; lo < len(sel) && errs[wi] == nil; lo += chunk {
					hi := min(lo+chunk, len(sel))
					if wk.sc != nil {
						wk.sc.reset() // the previous batch is consumed
					}
					bsel := wk.int32s(hi - lo)
					copy(bsel, sel[lo:hi])
					b := &batch{w: wk, src: src, base: int64(i) << 32, sel: bsel, cols: make([]*vec, len(def.Columns))}
					myBatches++
					p.scanSt.add(b.n(), p.t0)
					var err error
					for si, st := range p.steps {
						if b, err = st.apply(b); err != nil || b == nil {
							break
						}
						p.stepSt[si].add(b.n(), p.t0)
					}
					if err == nil && b != nil {
						myRows += int64(b.n())
						err = snk.consume(b)
					}
					if err != nil {
						errs[wi] = err
					}
				}
			}
			mu.Lock()
			pruned += myPruned
			batches += myBatches
			rowsOut += myRows
			mu.Unlock()
		}(wi)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return 0, 0, err
		}
	}
	// Outer build sides: the build rows no probe row matched, through the
	// steps above their join, after all probe batches (in step order, so a
	// later join sees an earlier one's extra rows before its own).
	for si, st := range p.steps {
		ps, ok := st.(*probeStep)
		if !ok || ps.matched == nil {
			continue
		}
		wk := &worker{c: c, dicts: map[*olap.Column][]string{}, mem: s.mem}
		b := ps.unmatched(wk, int64(len(snap.Segs)+si)<<32)
		if b == nil {
			continue
		}
		p.stepSt[si].add(b.n(), p.t0)
		var err error
		for sj := si + 1; sj < len(p.steps) && b != nil; sj++ {
			if b, err = p.steps[sj].apply(b); err != nil {
				return 0, 0, err
			}
			if b != nil {
				p.stepSt[sj].add(b.n(), p.t0)
			}
		}
		if b != nil {
			batches++
			rowsOut += int64(b.n())
			if err := sinks[0].consume(b); err != nil {
				return 0, 0, err
			}
		}
	}
	p.segs += int64(len(snap.Segs)) - pruned
	p.pruned += pruned
	s.r.SegmentsScanned.Add(int64(len(snap.Segs)) - pruned)
	s.r.SegmentsPruned.Add(pruned)
	return batches, rowsOut, nil
}

// keyPrune is a built inner or semi join whose probe key is column col
// of the driving scan: a segment whose zone map on col holds none of the
// build keys has no row that reaches past the join.
type keyPrune struct {
	col  int
	kind types.Kind
	hb   *hashBuild
}

// keyPrunes lists the pipe's joins that can prune segments: those probed
// by one integer column of the scan, through steps that keep the scan's
// columns in place (filters, and joins probing with their left side).
func (p *pipe) keyPrunes(width int) []keyPrune {
	var out []keyPrune
	for _, st := range p.steps {
		switch x := st.(type) {
		case *filterStep:
			continue
		case *probeStep:
			if !x.probeLeft {
				return out
			}
			c, ok := x.keys[0].(colX)
			k := types.KindOfType(x.hb.keyTypes[0])
			if len(x.keys) == 1 && ok && int(c) < width && x.hb.intKey && (x.kind == plan.InnerJoin || x.kind == plan.SemiJoin) &&
				(k == types.KindInt || k == types.KindDate || k == types.KindTimestamp || k == types.KindTimestampTZ) {
				out = append(out, keyPrune{col: int(c), kind: k, hb: x.hb})
			}
			continue
		}
		return out
	}
	return out
}

// pruneKeys reports whether a sealed segment has no row whose key is a
// build key of one of kps (by the key column's zone map).
func pruneKeys(t *olap.Table, seg *olap.Segment, kps []keyPrune) bool {
	if len(kps) == 0 {
		return false
	}
	out := false
	t.Read(func() {
		if !seg.Sealed() {
			return
		}
		for _, kp := range kps {
			ix := &kp.hb.firstInt
			if ix.empty {
				out = true
				return
			}
			col := seg.Col(kp.col)
			if col == nil {
				continue
			}
			z := col.Zone
			if !z.Ordered || z.Min.K != kp.kind || z.Max.K != kp.kind {
				continue
			}
			lo, hi := z.Min.I, z.Max.I
			if hi < ix.lo || lo > ix.hi {
				out = true
				return
			}
			if ks := kp.hb.sorted; ks != nil {
				i, _ := slices.BinarySearch(ks, lo)
				if i == len(ks) || ks[i] > hi {
					out = true
					return
				}
			}
		}
	})
	return out
}

// part is one output batch of a collected pipe: its needed columns and
// where it came from (for a deterministic order).
type part struct {
	at   int64
	cols []*vec
	n    int
}

type collectSink struct {
	need  []bool
	parts []part
}

// retains is false: the collected columns are copies (only they outlive
// the batch, not the filters' and joins' intermediates).
func (cs *collectSink) retains() bool { return false }

func (cs *collectSink) consume(b *batch) error {
	pt := part{at: b.base, cols: make([]*vec, len(b.cols)), n: b.n()}
	for c := range b.cols {
		if cs.need == nil || cs.need[c] {
			v, err := b.colErr(c)
			if err != nil {
				return err
			}
			pt.cols[c] = v.kept(b.w)
		}
	}
	cs.parts = append(cs.parts, pt)
	return nil
}

// collect runs the pipe and returns its output batches in scan order.
func (p *pipe) collect(c *exec.Ctx, need []bool) ([]part, error) {
	var sinks []*collectSink
	_, _, err := p.run(c, func(int) sink {
		s := &collectSink{need: need}
		sinks = append(sinks, s)
		return s
	})
	if err != nil {
		return nil, err
	}
	var parts []part
	for _, s := range sinks {
		parts = append(parts, s.parts...)
	}
	sort.SliceStable(parts, func(i, j int) bool { return parts[i].at < parts[j].at })
	return parts, nil
}

// joinRows runs a join's pipe for the row executor above it.
type joinRows struct {
	rw       *rewriter
	p        *pipe
	fallback plan.Node
	done     bool
	fellBack bool
	cache    [][]types.Value
	err      error
}

func (jr *joinRows) rows(plan.VirtualEnv) ([][]types.Value, error) {
	if jr.done {
		return jr.cache, jr.err
	}
	jr.done = true
	c := jr.p.s.c
	rows, err := jr.collect()
	if err != nil && !isCancel(c, err) {
		jr.p.s.r.VecFallbacks.Add(1)
		jr.fellBack = true
		rows, err = exec.Collect(c, jr.fallback)
	} else if err == nil {
		jr.p.s.r.VecJoins.Add(1)
	}
	jr.cache, jr.err = rows, err
	return rows, err
}

func (jr *joinRows) collect() ([][]types.Value, error) {
	parts, err := jr.p.collect(jr.p.s.c, nil)
	if err != nil {
		return nil, err
	}
	var rows [][]types.Value
	width := len(jr.p.cols)
	for _, pt := range parts {
		for j := 0; j < pt.n; j++ {
			row := make([]types.Value, width)
			for c := 0; c < width && c < len(pt.cols); c++ {
				row[c] = cloneValue(pt.cols[c].value(j))
			}
			rows = append(rows, row)
		}
	}
	return rows, nil
}
