package vexec

import (
	"cmp"
	"errors"
	"slices"
	"sort"
	"time"

	"github.com/cockroachdb/apd/v3"

	"github.com/omendb/omendb/internal/procs"
	"github.com/omendb/omendb/olap"
	"github.com/omendb/omendb/oltp/keycode"
	"github.com/omendb/omendb/sql/exec"
	"github.com/omendb/omendb/sql/funcs"
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

// vecAgg is a hash aggregation over a pipe (a column scan under filters,
// projections and hash joins): each worker folds the batches it runs into
// its own hash table (group keys encoded as the row executor encodes them,
// keycode); the partial tables are merged at the end and finished with the
// aggregates' own finalisers (funcs.NewPartial, AggState.Result), so
// results are the row executor's. Groups come out in the order of their
// first row in segment order.
type vecAgg struct {
	rw       *rewriter
	s        *colScan
	p        *pipe
	agg      *plan.Aggregate
	fallback plan.Node // the same aggregate run by the row executor
	keys     []vx      // the keys hashed: GROUP BY keys not in deps
	keyTypes []types.Type
	// deps are the GROUP BY keys that are functions of keys (fd.go): they
	// are not hashed, each group keeps their values from the row that
	// made it. keyAt maps GROUP BY key i to keys (>= 0) or to deps
	// (-1-d); nil when deps is empty (keys are the GROUP BY keys).
	deps  []vx
	keyAt []int
	args  []vx // per aggregate; nil for count(*)
	kinds []aggKind
	// having is a HAVING condition over the output columns (keys, then
	// aggregates), evaluated on the merged groups' states before they are
	// finished, so only the groups it keeps become rows (setHaving).
	having       vx
	groups, kept int // EXPLAIN ANALYZE: groups before and after having
	sizeHint     int // expected groups per worker (0: unknown)
	// dlo, dspan: the one integer key's values lie (at planning) in
	// [dlo, dlo+dspan), few enough for an array from key to group
	// (dspan 0: no array).
	dlo   int64
	dspan int

	done     bool
	fellBack bool
	took     time.Duration // EXPLAIN ANALYZE
	cache    [][]types.Value
	err      error
}

type aggKind uint8

const (
	akCount    aggKind = iota // count(*) and count(x)
	akSum                     // sum and avg over integers and numeric
	akMinMax                  // min and max
	akDistinct                // count(DISTINCT x)
)

// planVecAgg builds a vecAgg for a (rewritten) aggregate whose input is a
// pipe (a column scan under filters, projections and hash joins), or
// returns nil.
func (w *rewriter) planVecAgg(a *plan.Aggregate) *vecAgg {
	need := make([]bool, len(a.Input.Columns()))
	ok := refs(need, a.GroupBy...)
	for _, call := range a.Aggs {
		ok = ok && refs(need, call.Args...)
	}
	if !ok {
		return nil
	}
	p := w.planPipe(a.Input, need)
	if p == nil {
		return nil
	}
	va := &vecAgg{rw: w, s: p.s, p: p, agg: a, fallback: a}
	cp := &compiler{c: w.c, rw: w}
	compile := func(e plan.Expr) (vx, bool) {
		if !parallelSafe(e) {
			return nil, false
		}
		x, err := cp.compile(e)
		return x, err == nil
	}
	dep := w.dependentKeys(a)
	var hashed []plan.Expr
	for i, g := range a.GroupBy {
		x, ok := compile(g)
		if !ok {
			return nil
		}
		if dep != nil && dep[i] {
			va.keyAt = append(va.keyAt, -1-len(va.deps))
			va.deps = append(va.deps, x)
			continue
		}
		if dep != nil {
			va.keyAt = append(va.keyAt, len(va.keys))
		}
		va.keys = append(va.keys, x)
		va.keyTypes = append(va.keyTypes, g.Type())
		hashed = append(hashed, g)
	}
	for _, call := range a.Aggs {
		if call.Filter != nil || len(call.Args) > 1 {
			return nil
		}
		var kind aggKind
		switch call.Agg.Name {
		case "count":
			kind = akCount
		case "sum", "avg":
			if len(call.Args) != 1 || call.Distinct {
				return nil
			}
			switch call.Args[0].Type().OID {
			case types.OIDInt2, types.OIDInt4, types.OIDInt8, types.OIDNumeric:
			default:
				return nil
			}
			kind = akSum
		case "min", "max":
			if !funcs.IsMinMax(call.Agg) {
				return nil
			}
			kind = akMinMax
		default:
			return nil
		}
		if call.Distinct {
			if kind != akCount {
				return nil
			}
			kind = akDistinct
		}
		var x vx
		if !call.Star && len(call.Args) == 1 {
			var ok bool
			if x, ok = compile(call.Args[0]); !ok {
				return nil
			}
		}
		va.args = append(va.args, x)
		va.kinds = append(va.kinds, kind)
	}
	p.preps = append(p.preps, cp.preps...)
	if len(a.GroupBy) > 0 {
		est := w.card(a) / float64(procs.Max())
		va.sizeHint = int(min(est*1.1, 1<<20))
		if r, ok := hashed[0].(*plan.ColRef); ok && len(hashed) == 1 {
			if s, c := w.origin(a.Input, r.Idx); s != nil {
				if lo, hi, ok := w.colRange(s, c); ok && uint64(hi)-uint64(lo) < denseAggMax && float64(hi-lo) < 8*w.card(a)+1<<16 {
					va.dlo, va.dspan = lo, int(hi-lo+1)
				}
			}
		}
	}
	return va
}

// rows computes the aggregate once per statement (the node may be opened
// several times, e.g. as a join's inner side).
func (va *vecAgg) rows(plan.VirtualEnv) ([][]types.Value, error) {
	if va.done {
		return va.cache, va.err
	}
	va.done = true
	start := time.Now()
	rows, err := va.run()
	if errors.Is(err, errFallback) || (err != nil && !isCancel(va.s.c, err)) {
		va.s.r.VecFallbacks.Add(1)
		va.fellBack = true
		rows, err = exec.Collect(va.s.c, va.fallback)
	} else if err == nil {
		va.s.r.VecAggs.Add(1)
	}
	va.took = time.Since(start)
	va.s.r.VecNanos.Add(int64(va.took))
	va.cache, va.err = rows, err
	return rows, err
}

func isCancel(c *exec.Ctx, err error) bool {
	return c.Context != nil && c.Context.Err() != nil && errors.Is(err, c.Context.Err())
}

// group accumulators of one worker (or the merged result).
type aggTable struct {
	va       *vecAgg
	index    map[string]int32 // encoded key → group; empty while intOnly
	ints     *intHash         // one or two integer-like keys → group
	lut      dictLUT          // dictionary keys: group by code tuple
	sizeHint int              // expected groups (the planner's estimate per worker)
	ikinds   []types.Kind     // the kinds of the integer keys (newIntGroup)
	// intOnly: every group so far was made from integer keys (ints); their
	// encoded keys are built (backfill) only if another path needs them.
	intOnly bool
	slab    []types.Value   // group key values are cut from it
	keys    []string        // encoded group keys ("" while intOnly)
	vals    [][]types.Value // group key values (from the group's first row)
	first   []int64         // position of the group's first row
	states  [][]accum       // per aggregate, per group
	// dvals are the values of the keys in va.deps per group (from the
	// row that made it; nil without deps). While a batch is consumed,
	// dbatch is it, dcur its deps (evaluated when a group is first made
	// from it) and derr their evaluation's error.
	dvals  [][]types.Value
	dbatch *batch
	dcur   []*vec
	derr   error
}

// accum is one aggregate's accumulator for one group: counts and sums
// inline (a table holds one per group and aggregate, so it is kept small),
// the rest behind x.
type accum struct {
	n      int64
	sum    int64 // at exponent exp
	exp    int32
	minExp int32 // smallest exponent seen (0 when none): the sum's scale
	x      *accumX
}

// accumX holds what few accumulators need: a sum's overflow, min/max,
// count(DISTINCT)'s values.
type accumX struct {
	over   *apd.Decimal
	best   types.Value // min/max
	bestAt int64
	seen   map[string]types.Value // count(DISTINCT)
}

func (a *accum) ext() *accumX {
	if a.x == nil {
		a.x = &accumX{}
	}
	return a.x
}

func (a *accum) over() *apd.Decimal {
	if a.x == nil {
		return nil
	}
	return a.x.over
}

var exactCtx = apd.Context{Precision: 0, MaxExponent: apd.MaxExponent, MinExponent: apd.MinExponent, Traps: apd.DefaultTraps}

// aggBufs are a finished aggregation table's per-group slices, emptied,
// kept for the next table (aggRecycler): a query grouping by a million keys
// (TPC-H Q18's l_orderkey) filled 100 MB and more of them per worker, and
// memory written for the first time costs a page fault and a zeroed page
// (on this project's benchmark VM, seconds per GiB), so the next such
// query writes into the same, already mapped memory instead. The
// recycler hands a table the buffers that fit its expected groups, and
// drops what is not reused by the second GC.
type aggBufs struct {
	keys   []string
	vals   [][]types.Value
	first  []int64
	states [][]accum
}

var aggRecycler recycler[*aggBufs]

// recycle gives t's per-group slices to aggRecycler; t is not used after.
func (t *aggTable) recycle() {
	clear(t.keys)
	clear(t.vals)
	b := &aggBufs{keys: t.keys[:0], vals: t.vals[:0], first: t.first[:0], states: t.states}
	for i, st := range t.states {
		clear(st)
		b.states[i] = st[:0]
	}
	if t.ints != nil {
		t.ints.recycle()
	}
	*t = aggTable{}
	aggRecycler.put(b, max(cap(b.keys), cap(b.vals), cap(b.first)))
}

func newTable(va *vecAgg) *aggTable {
	t := &aggTable{va: va, index: map[string]int32{}, intOnly: true, states: make([][]accum, len(va.args))}
	if b, ok := aggRecycler.get(va.sizeHint); ok {
		t.keys, t.vals, t.first = b.keys, b.vals, b.first
		copy(t.states, b.states)
	}
	// Tables sized for the estimated groups grow less (growing a table of
	// a million groups copies it again and again); as the estimate may be
	// far too high, a table starts at most hintStart groups large and
	// grows to the estimate when it fills (room).
	if h := va.sizeHint; h > 1024 {
		t.sizeHint = h
		t.reserve(min(h, hintStart))
	}
	return t
}

const hintStart = 1 << 14

// reserve makes room for n groups in all.
func (t *aggTable) reserve(n int) {
	if n -= len(t.keys); n <= 0 {
		return
	}
	t.keys = slices.Grow(t.keys, n)
	t.vals = slices.Grow(t.vals, n)
	t.first = slices.Grow(t.first, n)
	if len(t.va.deps) > 0 {
		t.dvals = slices.Grow(t.dvals, n)
	}
	for i := range t.states {
		t.states[i] = slices.Grow(t.states[i], n)
	}
}

// addDeps records the values of the dependent keys (va.deps) at row j of
// the batch being consumed for the group just made.
func (t *aggTable) addDeps(j int) {
	if len(t.va.deps) == 0 {
		return
	}
	if t.dcur == nil && t.derr == nil {
		t.dcur = make([]*vec, len(t.va.deps))
		for i, d := range t.va.deps {
			if t.dcur[i], t.derr = d.eval(t.dbatch); t.derr != nil {
				break
			}
		}
	}
	if t.derr != nil {
		t.dvals = append(t.dvals, nil)
		return
	}
	vals := t.cut(len(t.dcur))
	for i, v := range t.dcur {
		vals[i] = cloneValue(v.value(j))
	}
	t.dvals = append(t.dvals, vals)
}

// room grows a full table to its estimated size before a new group.
func (t *aggTable) room() {
	if c := cap(t.keys); len(t.keys) == c && t.sizeHint > c {
		t.reserve(t.sizeHint)
	}
}

// intHash maps one or two integer-like group keys to a group: open
// addressing over a power-of-two array of entry numbers, the entries'
// keys and groups in flat slices (no pointers for the GC to scan, and
// iterated in insertion order when tables are merged). While the keys
// arrive in strictly increasing order (a table stored in key order, as
// lineitem by l_orderkey) no slots are kept: a key after the last one is
// new without a lookup, and the slots are built the first time a key
// does not sort after the last.
type intHash struct {
	// dense, for one key: group+1 of key dlo+i at i (0: none yet); keys
	// outside it use the slots (sorted mode is off).
	dlo    int64
	dense  []int32
	hint   int     // expected keys: a full table grows to it at once
	slots  []int32 // entry + 1; 0 = empty (nil: not built yet)
	mask   uint64
	keys   [][2]int64
	gids   []int32
	sorted bool    // keys strictly increasing (while slots is nil)
	spare  []int32 // a recycled table's slots, for the first resize
}

func newIntHash(hint int) *intHash {
	n := min(hint, hintStart)
	h := &intHash{hint: hint, sorted: true}
	if b, ok := intRecycler.get(hint); ok {
		h.keys, h.gids, h.spare = b.keys, b.gids, b.slots
	}
	h.keys, h.gids = slices.Grow(h.keys, n), slices.Grow(h.gids, n)
	return h
}

// intBufs are a finished intHash's slices, emptied, kept for the next one
// (intRecycler; see aggBufs).
type intBufs struct {
	keys  [][2]int64
	gids  []int32
	slots []int32
}

var intRecycler recycler[*intBufs]

// recycle gives h's slices to intRecycler; h is not used after.
func (h *intHash) recycle() {
	slots := h.slots
	if cap(h.spare) > cap(slots) {
		slots = h.spare
	}
	intRecycler.put(&intBufs{keys: h.keys[:0], gids: h.gids[:0], slots: slots[:0]}, cap(h.keys))
	*h = intHash{}
}

func keyLess(a, b [2]int64) bool {
	return a[0] < b[0] || (a[0] == b[0] && a[1] < b[1])
}

// after reports whether x sorts after every key of a sorted table.
func (h *intHash) after(x [2]int64) bool {
	n := len(h.keys)
	return n == 0 || keyLess(h.keys[n-1], x)
}

// build indexes the keys in slots (leaving sorted mode).
func (h *intHash) build() {
	h.sorted = false
	h.resize(max(1024, 2*cap(h.keys)))
}

// reserve makes room for n more keys.
func (h *intHash) reserve(n int) {
	h.keys = slices.Grow(h.keys, n)
	h.gids = slices.Grow(h.gids, n)
	if h.slots != nil && 2*(len(h.keys)+n) > len(h.slots) {
		h.resize(2 * (len(h.keys) + n))
	}
}

func (h *intHash) resize(n int) {
	size := 1
	for size < n {
		size <<= 1
	}
	if cap(h.spare) >= size { // a recycled table's slots
		h.slots, h.spare = h.spare[:size], nil
		clear(h.slots)
	} else {
		h.slots = make([]int32, size)
	}
	h.mask = uint64(size - 1)
	for e, x := range h.keys {
		i := hashInts(x) & h.mask
		for h.slots[i] != 0 {
			i = (i + 1) & h.mask
		}
		h.slots[i] = int32(e + 1)
	}
}

func hashInts(x [2]int64) uint64 {
	v := uint64(x[0])*0x9E3779B97F4A7C15 ^ uint64(x[1])*0xC2B2AE3D27D4EB4F
	return v ^ v>>31
}

// denseAggMax bounds the span of a one-key aggregate's array.
const denseAggMax = 1 << 22

// newDenseIntHash is newIntHash for one key whose values mostly lie in
// [lo, lo+span).
func newDenseIntHash(hint int, lo int64, span int) *intHash {
	h := newIntHash(hint)
	h.dlo, h.dense, h.sorted = lo, make([]int32, span), false
	return h
}

// denseAt returns x's index in dense, or -1.
func (h *intHash) denseAt(x [2]int64) int {
	if h.dense == nil || x[0] != x[1] || x[0] < h.dlo || x[0]-h.dlo >= int64(len(h.dense)) {
		return -1
	}
	return int(x[0] - h.dlo)
}

func (h *intHash) get(x [2]int64) (int32, bool) {
	if d := h.denseAt(x); d >= 0 {
		g := h.dense[d]
		return g - 1, g > 0
	}
	if h.slots == nil {
		if h.sorted {
			if h.after(x) {
				return -1, false
			}
			if n := len(h.keys); h.keys[n-1] == x { // a run across batches
				return h.gids[n-1], true
			}
		}
		h.build()
	}
	i := hashInts(x) & h.mask
	for {
		e := h.slots[i]
		if e == 0 {
			return -1, false
		}
		if h.keys[e-1] == x {
			return h.gids[e-1], true
		}
		i = (i + 1) & h.mask
	}
}

// put adds key x (not present) for group g.
func (h *intHash) put(x [2]int64, g int32) {
	if c := cap(h.keys); len(h.keys) == c && h.hint > c {
		h.keys = slices.Grow(h.keys, h.hint-c)
		h.gids = slices.Grow(h.gids, h.hint-c)
	}
	if d := h.denseAt(x); d >= 0 {
		h.dense[d] = g + 1
		h.keys = append(h.keys, x)
		h.gids = append(h.gids, g) // not in the slots: get reads dense
		return
	}
	if h.slots == nil {
		if h.sorted && h.after(x) {
			h.keys = append(h.keys, x)
			h.gids = append(h.gids, g)
			return
		}
		h.build()
	}
	if 2*(len(h.keys)+1) > len(h.slots) {
		h.resize(4 * (len(h.keys) + 1))
	}
	h.keys = append(h.keys, x)
	h.gids = append(h.gids, g)
	h.index(len(h.keys) - 1)
}

// index puts entry e in the slots.
func (h *intHash) index(e int) {
	i := hashInts(h.keys[e]) & h.mask
	for h.slots[i] != 0 {
		i = (i + 1) & h.mask
	}
	h.slots[i] = int32(e + 1)
}

// group returns the group of encoded key key (row j of keys), creating it.
func (t *aggTable) group(key []byte, b *batch, keys []*vec, j int, pos int64) int32 {
	if t.intOnly {
		t.backfill()
	}
	if g, ok := t.index[string(key)]; ok {
		return g
	}
	k := string(key)
	g := t.newGroup(k, keys, j, pos)
	t.index[k] = g
	return g
}

// intGroup returns the group of row j, whose keys are the non-NULL
// integer-like values x.
// The caller has looked x up in t.ints and not found it.
func (t *aggTable) intGroup(x [2]int64, b *batch, keys []*vec, j int, pos int64) int32 {
	var g int32
	if t.intOnly {
		g = t.newIntGroup(keys, j, pos)
	} else {
		g = t.group(t.encode(nil, keys, j), b, keys, j, pos)
	}
	t.ints.put(x, g)
	return g
}

// backfill builds the encoded keys of the groups made by intGroup and
// indexes them (keys as encode writes them for non-NULL integers).
func (t *aggTable) backfill() {
	t.intOnly = false
	t.intVals()
	for g, vals := range t.vals {
		var buf []byte
		for _, v := range vals {
			buf = keycode.AppendInt64(append(buf, keycode.TagValue), v.I)
		}
		t.keys[g] = string(buf)
		t.index[t.keys[g]] = int32(g)
	}
}

// newIntGroup adds a group made from integer keys (while intOnly): its
// key values are not stored per group but rebuilt from the intHash
// entries when needed (intVals), which saves a million small writes on
// tables of a million groups.
func (t *aggTable) newIntGroup(keys []*vec, j int, pos int64) int32 {
	if t.ikinds == nil {
		for _, k := range keys {
			t.ikinds = append(t.ikinds, k.k)
		}
	}
	t.room()
	g := int32(len(t.keys))
	t.keys = append(t.keys, "")
	t.vals = append(t.vals, nil)
	t.first = append(t.first, pos)
	t.addDeps(j)
	for i := range t.states {
		t.states[i] = append(t.states[i], accum{})
	}
	return g
}

// intVals sets the key values of the groups newIntGroup made.
func (t *aggTable) intVals() {
	if t.ints == nil {
		return
	}
	for e, x := range t.ints.keys {
		if g := t.ints.gids[e]; t.vals[g] == nil {
			t.setIntVals(g, x)
		}
	}
}

// intValsOf is intVals for the groups of order only (those a HAVING kept).
func (t *aggTable) intValsOf(order []int32) {
	if t.ints == nil {
		return
	}
	for _, g := range order {
		if t.vals[g] != nil {
			continue
		}
		if int(g) >= len(t.ints.gids) || t.ints.gids[g] != g {
			t.intVals() // groups are not their entries: set them all
			return
		}
		t.setIntVals(g, t.ints.keys[g])
	}
}

// cut returns w values cut from the table's slab (allocated 1024 groups'
// worth at a time).
func (t *aggTable) cut(w int) []types.Value {
	if len(t.slab) < w {
		t.slab = make([]types.Value, w*1024)
	}
	vals := t.slab[:w:w]
	t.slab = t.slab[w:]
	return vals
}

func (t *aggTable) setIntVals(g int32, x [2]int64) {
	vals := t.cut(len(t.ikinds))
	for i, k := range t.ikinds {
		vals[i] = types.Value{K: k, I: x[i]}
	}
	t.vals[g] = vals
}

func (t *aggTable) newGroup(k string, keys []*vec, j int, pos int64) int32 {
	t.room()
	g := int32(len(t.keys))
	t.keys = append(t.keys, k)
	vals := t.cut(len(keys))
	for i, kv := range keys {
		vals[i] = cloneValue(kv.value(j))
	}
	t.vals = append(t.vals, vals)
	t.first = append(t.first, pos)
	t.addDeps(j)
	for i := range t.states {
		t.states[i] = append(t.states[i], accum{})
	}
	return g
}

// keyValue returns GROUP BY key i's value in group g (after intVals).
func (t *aggTable) keyValue(g int32, i int) types.Value {
	if t.va.keyAt == nil {
		return t.vals[g][i]
	}
	if k := t.va.keyAt[i]; k >= 0 {
		return t.vals[g][k]
	} else {
		return t.dvals[g][-1-k]
	}
}

func cloneValue(v types.Value) types.Value {
	if v.S != "" {
		v.S = string(append([]byte(nil), v.S...))
	}
	return v
}

// addNum adds coefficient c at exponent e to a sum accumulator.
func (a *accum) addNum(c int64, e int32) error {
	a.n++
	if e < a.minExp {
		a.minExp = e
	}
	if a.n == 1 || (a.sum == 0 && a.over() == nil) {
		a.sum, a.exp = c, e
		return nil
	}
	if e != a.exp {
		if e < a.exp {
			s, ok := rescale(a.sum, a.exp-e)
			if !ok {
				a.spill()
				s = 0
			}
			a.sum, a.exp = s, e
		} else {
			up, ok := rescale(c, e-a.exp)
			if !ok {
				return a.addBig(apd.New(c, e))
			}
			c = up
		}
	}
	s := a.sum + c
	if (c > 0 && s < a.sum) || (c < 0 && s > a.sum) {
		a.spill()
		s = c
	}
	a.sum = s
	return nil
}

func (a *accum) spill() {
	x := a.ext()
	if x.over == nil {
		x.over = new(apd.Decimal)
	}
	_, _ = exactCtx.Add(x.over, x.over, apd.New(a.sum, a.exp))
	a.sum = 0
}

func (a *accum) addBig(d *apd.Decimal) error {
	x := a.ext()
	if x.over == nil {
		x.over = new(apd.Decimal)
	}
	if _, err := exactCtx.Add(x.over, x.over, d); err != nil {
		return errFallback
	}
	return nil
}

// total returns the exact sum at the accumulator's display scale.
func (a *accum) total() (*apd.Decimal, error) {
	d := apd.New(a.sum, a.exp)
	if over := a.over(); over != nil {
		if _, err := exactCtx.Add(d, d, over); err != nil {
			return nil, errFallback
		}
	}
	if d.Exponent != a.minExp {
		r := new(apd.Decimal)
		if _, err := exactCtx.Quantize(r, d, a.minExp); err != nil {
			return nil, errFallback
		}
		d = r
	}
	return d, nil
}

func (a *accum) merge(o *accum, kind aggKind, sign int) error {
	switch kind {
	case akCount:
		a.n += o.n
	case akSum:
		if o.n == 0 {
			return nil
		}
		if o.over() == nil {
			// Inline, as addNum adds one value: the merged sum stays an
			// int64 coefficient (stateVec reads those) unless it overflows.
			n := a.n
			if err := a.addNum(o.sum, o.exp); err != nil {
				return err
			}
			a.n = n + o.n
			a.minExp = min(a.minExp, o.minExp)
			return nil
		}
		d, err := o.total()
		if err != nil {
			return err
		}
		n := a.n
		if err := a.addBig(d); err != nil {
			return err
		}
		a.n = n + o.n
		a.minExp = min(a.minExp, o.minExp)
	case akMinMax:
		if o.x == nil || o.x.best.IsNull() {
			return nil
		}
		a.ext().stepBest(o.x.best, o.x.bestAt, sign)
	case akDistinct:
		if o.x == nil {
			return nil
		}
		x := a.ext()
		if x.seen == nil {
			x.seen = map[string]types.Value{}
		}
		for k, v := range o.x.seen {
			x.seen[k] = v
		}
	}
	return nil
}

// stepBest merges a partial min (sign -1) or max (sign 1): of two equal
// values the later one in segment order is kept, as minMaxState keeps it.
func (a *accumX) stepBest(v types.Value, at int64, sign int) {
	if a.best.IsNull() {
		a.best, a.bestAt = v, at
		return
	}
	c := types.Compare(v, a.best)
	if c*sign > 0 || (c == 0 && at > a.bestAt) {
		a.best, a.bestAt = v, at
	}
}

func minMaxSign(call plan.AggCall) int {
	if call.Agg.Name == "min" {
		return -1
	}
	return 1
}

func (va *vecAgg) run() ([][]types.Value, error) {
	var tables []*aggTable
	batches, rows, err := va.p.run(va.s.c, func(int) sink {
		t := newTable(va)
		tables = append(tables, t)
		return t
	})
	if err != nil {
		return nil, err
	}
	va.s.r.VecBatches.Add(batches)
	va.s.r.VecRows.Add(rows)
	// Merge the partial tables: by integer keys when every group of every
	// table was made from them, else by encoded keys.
	out := tables[0]
	byInt := true
	for _, tab := range tables {
		byInt = byInt && tab.intOnly && (tab.ints != nil || len(tab.keys) == 0)
	}
	if !byInt {
		for _, tab := range tables {
			if tab.intOnly {
				tab.backfill()
			}
		}
	} else if out.ints == nil {
		out.ints = newIntHash(0)
	}
	extra := 0
	for _, tab := range tables[1:] {
		extra += len(tab.keys)
	}
	if byInt {
		out.ints.reserve(extra) // once, not doubling per put
	}
	out.keys = slices.Grow(out.keys, extra)
	out.vals = slices.Grow(out.vals, extra)
	out.first = slices.Grow(out.first, extra)
	if len(va.deps) > 0 {
		out.dvals = slices.Grow(out.dvals, extra)
	}
	for i := range out.states {
		out.states[i] = slices.Grow(out.states[i], extra)
	}
	// merge folds group g of tab into out's group dst (new: append it).
	merge := func(tab *aggTable, g, dst int32, k string, found bool) error {
		if !found {
			out.keys = append(out.keys, k)
			out.vals = append(out.vals, tab.vals[g])
			out.first = append(out.first, tab.first[g])
			if len(va.deps) > 0 {
				out.dvals = append(out.dvals, tab.dvals[g])
			}
			for i := range out.states {
				out.states[i] = append(out.states[i], tab.states[i][g])
			}
			return nil
		}
		if tab.first[g] < out.first[dst] {
			out.first[dst], out.vals[dst] = tab.first[g], tab.vals[g]
		}
		for i, kind := range va.kinds {
			if err := out.states[i][dst].merge(&tab.states[i][g], kind, minMaxSign(va.agg.Aggs[i])); err != nil {
				return err
			}
		}
		return nil
	}
	for _, tab := range tables[1:] {
		if byInt {
			if tab.ints == nil {
				continue // no groups
			}
			if out.ikinds == nil {
				out.ikinds = tab.ikinds // out had no groups
			}
			if out.ints.slots == nil && out.ints.sorted && tab.ints.slots == nil && tab.ints.sorted {
				if err := mergeSorted(out, tab, merge); err != nil {
					return nil, err
				}
				continue
			}
			for e, x := range tab.ints.keys {
				g := tab.ints.gids[e]
				dst, ok := out.ints.get(x)
				if !ok {
					dst = int32(len(out.keys))
					out.ints.put(x, dst)
				}
				if err := merge(tab, g, dst, "", ok); err != nil {
					return nil, err
				}
			}
			continue
		}
		for g, k := range tab.keys {
			dst, ok := out.index[k]
			if !ok {
				dst = int32(len(out.keys))
				out.index[k] = dst
			}
			if err := merge(tab, int32(g), dst, k, ok); err != nil {
				return nil, err
			}
		}
	}
	if len(va.keys) == 0 && len(out.keys) == 0 {
		out.keys = append(out.keys, "")
		out.vals = append(out.vals, nil)
		out.first = append(out.first, 0)
		for i := range out.states {
			out.states[i] = append(out.states[i], accum{})
		}
	}
	// Groups in the order of their first row: each worker's groups are
	// already in that order, so this mostly merges sorted runs.
	order := make([]int32, len(out.keys))
	for i := range order {
		order[i] = int32(i)
	}
	if !sort.SliceIsSorted(out.first, func(a, b int) bool { return out.first[a] < out.first[b] }) {
		slices.SortFunc(order, func(a, b int32) int { return cmp.Compare(out.first[a], out.first[b]) })
	}
	va.groups = len(order)
	if va.having != nil {
		var err error
		if order, err = va.filterHaving(out, order); err != nil {
			return nil, err
		}
	}
	out.intValsOf(order)
	va.kept = len(order)
	res := make([][]types.Value, 0, len(order))
	width := len(va.agg.GroupBy) + len(va.args)
	var slab []types.Value // the rows' values, allocated in blocks
	for _, g := range order {
		if len(slab) < width {
			slab = make([]types.Value, width*min(len(order), 4096))
		}
		row := slab[:0:width]
		slab = slab[width:]
		if va.keyAt == nil {
			row = append(row, out.vals[g]...)
		} else {
			for i := range va.keyAt {
				row = append(row, out.keyValue(g, i))
			}
		}
		for i, call := range va.agg.Aggs {
			v, err := finish(call, va.kinds[i], &out.states[i][g])
			if err != nil {
				return nil, err
			}
			row = append(row, v)
		}
		res = append(res, row)
	}
	for _, tab := range tables {
		tab.recycle() // res holds copies of what it needs
	}
	return res, nil
}

// mergeSorted merges tab's groups into out when both tables' integer keys
// are in increasing order (workers that scanned key-ordered segments):
// one walk over both key lists finds the groups they share, with no hash
// lookups. Groups new to out are appended (their keys after out's, so out
// is no longer sorted, and its slots are built if a later lookup needs
// them).
func mergeSorted(out, tab *aggTable, merge func(tab *aggTable, g, dst int32, k string, found bool) error) error {
	h := out.ints
	old := h.keys[:len(h.keys):len(h.keys)]
	i := 0
	for e, x := range tab.ints.keys {
		g := tab.ints.gids[e]
		for i < len(old) && keyLess(old[i], x) {
			i++
		}
		if i < len(old) && old[i] == x {
			if err := merge(tab, g, h.gids[i], "", true); err != nil {
				return err
			}
			continue
		}
		dst := int32(len(out.keys))
		if !h.after(x) {
			h.sorted = false
		}
		h.keys = append(h.keys, x)
		h.gids = append(h.gids, dst)
		if err := merge(tab, g, dst, "", false); err != nil {
			return err
		}
	}
	return nil
}

func finish(call plan.AggCall, kind aggKind, a *accum) (types.Value, error) {
	var st funcs.AggState
	switch kind {
	case akCount, akSum:
		sum := new(apd.Decimal)
		if kind == akSum && a.n > 0 {
			var err error
			if sum, err = a.total(); err != nil {
				return types.Null, err
			}
		}
		var ok bool
		if st, ok = funcs.NewPartial(call.Agg, a.n, sum); !ok {
			return types.Null, errFallback
		}
	case akMinMax:
		st = call.Agg.New()
		if a.x != nil && !a.x.best.IsNull() {
			if err := st.Step([]types.Value{a.x.best}); err != nil {
				return types.Null, err
			}
		}
	case akDistinct:
		st = call.Agg.New()
		if a.x == nil {
			break
		}
		for _, v := range a.x.seen {
			if err := st.Step([]types.Value{v}); err != nil {
				return types.Null, err
			}
		}
	}
	return st.Result()
}

// dictLUT maps a tuple of dictionary codes (and NULL) of the group keys to
// a group id, for batches whose keys are all dictionary-encoded: a batch
// of one segment finds its groups by array index instead of hashing an
// encoded key per row. It is reused while the dictionaries stay the same
// (the batches of one segment).
type dictLUT struct {
	dicts  [][]string // the key vecs' dictionaries the table was built for
	stride []int32
	gids   []int32 // per code tuple: group id + 1 (0 = not looked up yet)
}

// maxLUT bounds a dictLUT's size (code tuples).
const maxLUT = 1 << 16

// prepare readies the table for keys (all of form fDict) and reports
// whether it can be used.
func (l *dictLUT) prepare(keys []*vec) bool {
	if len(l.dicts) == len(keys) {
		same := true
		for i, k := range keys {
			if len(k.dict) != len(l.dicts[i]) || (len(k.dict) > 0 && &k.dict[0] != &l.dicts[i][0]) {
				same = false
				break
			}
		}
		if same {
			return l.gids != nil
		}
	}
	l.dicts = l.dicts[:0]
	l.stride = l.stride[:0]
	size := 1
	for _, k := range keys {
		l.dicts = append(l.dicts, k.dict)
		l.stride = append(l.stride, int32(size))
		size *= len(k.dict) + 1 // + NULL
		if size > maxLUT {
			l.gids = nil
			return false
		}
	}
	if cap(l.gids) >= size {
		l.gids = l.gids[:size]
		clear(l.gids)
	} else {
		l.gids = make([]int32, size)
	}
	return true
}

// code returns row j's code tuple.
func (l *dictLUT) code(keys []*vec, j int) int32 {
	var c int32
	for i, k := range keys {
		x := int32(len(k.dict)) // NULL
		if k.nulls == nil || !k.nulls[j] {
			x = k.codes[j]
		}
		c += x * l.stride[i]
	}
	return c
}

// retains is false: groups keep copies of their key values.
func (tab *aggTable) retains() bool { return false }

// consume folds one batch into the worker's table.
func (tab *aggTable) consume(b *batch) error {
	va := tab.va
	n := b.n()
	tab.dbatch, tab.dcur = b, nil
	defer func() { tab.dbatch, tab.dcur = nil, nil }()
	// Group ids.
	gid := b.w.int32s(n)
	if len(va.keys) > 0 || len(tab.keys) == 0 {
		keys := make([]*vec, len(va.keys))
		allDict := true
		for i, k := range va.keys {
			v, err := k.eval(b)
			if err != nil {
				return err
			}
			keys[i] = v
			allDict = allDict && v.form == fDict
		}
		intKeys := len(keys) <= 2
		for i, k := range keys {
			intKeys = intKeys && k.form == fInt && k.k != types.KindNumeric && k.k != types.KindBool &&
				(tab.ikinds == nil || tab.ikinds[i] == k.k)
		}
		switch {
		case len(keys) == 0:
			tab.group(nil, b, nil, 0, b.base|int64(b.sel[0]))
		case allDict && tab.lut.prepare(keys):
			var buf []byte
			for j := 0; j < n; j++ {
				c := tab.lut.code(keys, j)
				g := tab.lut.gids[c] - 1
				if g < 0 {
					buf = tab.encode(buf[:0], keys, j)
					g = tab.group(buf, b, keys, j, b.base|int64(b.sel[j]))
					tab.lut.gids[c] = g + 1
				}
				gid[j] = g
			}
		case intKeys:
			if tab.ints == nil {
				if va.dspan > 0 && len(keys) == 1 {
					tab.ints = newDenseIntHash(tab.sizeHint, va.dlo, va.dspan)
				} else {
					tab.ints = newIntHash(tab.sizeHint)
				}
			}
			k0, k1 := keys[0], keys[len(keys)-1]
			nulls := k0.nulls != nil || k1.nulls != nil
			var buf []byte
			// Rows of one key often come together (lineitem by
			// l_orderkey): the previous row's group is tried first.
			var prev [2]int64
			prevG := int32(-1)
			for j := 0; j < n; j++ {
				if nulls && (k0.null(j) || k1.null(j)) {
					buf = tab.encode(buf[:0], keys, j)
					gid[j] = tab.group(buf, b, keys, j, b.base|int64(b.sel[j]))
					prevG = -1
					continue
				}
				x := [2]int64{k0.i[j], k1.i[j]}
				if prevG >= 0 && x == prev {
					gid[j] = prevG
					continue
				}
				g, ok := tab.ints.get(x)
				if !ok {
					g = tab.intGroup(x, b, keys, j, b.base|int64(b.sel[j]))
				}
				gid[j] = g
				prev, prevG = x, g
			}
		default:
			enc := make([][][]byte, len(keys)) // per dictionary word, encoded once
			for i, k := range keys {
				if k.form == fDict {
					enc[i] = make([][]byte, len(k.dict))
				}
			}
			var buf []byte
			for j := 0; j < n; j++ {
				buf = buf[:0]
				for i, k := range keys {
					switch {
					case k.null(j):
						buf = append(buf, keycode.TagNull)
					case k.form == fDict:
						c := k.codes[j]
						if enc[i][c] == nil {
							enc[i][c] = keycode.Append(nil, k.value(j), va.keyTypes[i])
						}
						buf = append(buf, enc[i][c]...)
					case k.form == fInt && k.k != types.KindNumeric && k.k != types.KindBool:
						buf = keycode.AppendInt64(append(buf, keycode.TagValue), k.i[j])
					default:
						buf = keycode.Append(buf, k.value(j), va.keyTypes[i])
					}
				}
				gid[j] = tab.group(buf, b, keys, j, b.base|int64(b.sel[j]))
			}
		}
	}
	if tab.derr != nil {
		return tab.derr
	}
	return tab.fold(b, gid)
}

// encode appends row j's encoded group key (keycode, as the row executor
// encodes it) to buf.
func (tab *aggTable) encode(buf []byte, keys []*vec, j int) []byte {
	for i, k := range keys {
		switch {
		case k.null(j):
			buf = append(buf, keycode.TagNull)
		case k.form == fInt && k.k != types.KindNumeric && k.k != types.KindBool:
			buf = keycode.AppendInt64(append(buf, keycode.TagValue), k.i[j])
		default:
			buf = keycode.Append(buf, k.value(j), tab.va.keyTypes[i])
		}
	}
	return buf
}

// fold adds the batch's rows to the accumulators of their groups gid.
func (tab *aggTable) fold(b *batch, gid []int32) error {
	va := tab.va
	for i, kind := range va.kinds {
		st := tab.states[i]
		if va.args[i] == nil { // count(*)
			for _, g := range gid {
				st[g].n++
			}
			continue
		}
		v, err := va.args[i].eval(b)
		if err != nil {
			return err
		}
		switch kind {
		case akCount:
			for j, g := range gid {
				if !v.null(j) {
					st[g].n++
				}
			}
		case akDistinct:
			var buf []byte
			for j, g := range gid {
				if v.null(j) {
					continue
				}
				x := v.value(j)
				buf = keycode.Append(buf[:0], x, v.t)
				ax := st[g].ext()
				if ax.seen == nil {
					ax.seen = map[string]types.Value{}
				}
				if _, dup := ax.seen[string(buf)]; !dup {
					ax.seen[string(buf)] = cloneValue(x)
				}
			}
		case akSum:
			if v.form == fInt && (v.k == types.KindInt || v.k == types.KindNumeric) {
				e := v.exp
				if v.k == types.KindInt {
					e = 0
				}
				for j, g := range gid {
					if v.nulls != nil && v.nulls[j] {
						continue
					}
					a, c := &st[g], v.i[j]
					if a.n > 0 && a.exp == e {
						// The common case inline: same exponent (so e's
						// scale is already in minExp), no overflow.
						if s := a.sum + c; !((c > 0 && s < a.sum) || (c < 0 && s > a.sum)) {
							a.sum = s
							a.n++
							continue
						}
					}
					if err := a.addNum(c, e); err != nil {
						return err
					}
				}
				continue
			}
			for j, g := range gid {
				x := v.value(j)
				switch {
				case x.IsNull():
				case x.K == types.KindInt:
					if err := st[g].addNum(x.I, 0); err != nil {
						return err
					}
				case x.K == types.KindNumeric && x.N.Form == apd.Finite:
					if x.N.Coeff.IsInt64() {
						c := x.N.Coeff.Int64()
						if x.N.Negative {
							c = -c
						}
						if err := st[g].addNum(c, x.N.Exponent); err != nil {
							return err
						}
						continue
					}
					a := &st[g]
					a.n++
					a.minExp = min(a.minExp, x.N.Exponent)
					if err := a.addBig(x.N); err != nil {
						return err
					}
				default:
					return errFallback
				}
			}
		case akMinMax:
			sign := minMaxSign(va.agg.Aggs[i])
			for j, g := range gid {
				if v.null(j) {
					continue
				}
				a := st[g].ext()
				at := b.base | int64(b.sel[j])
				if v.form == fInt && v.k != types.KindNumeric && !a.best.IsNull() && a.best.K == v.k {
					x := v.i[j]
					if (sign < 0 && x <= a.best.I) || (sign > 0 && x >= a.best.I) {
						a.best, a.bestAt = types.Value{K: v.k, I: x}, at
					}
					continue
				}
				x := v.value(j)
				if x.K == types.KindText {
					if !a.best.IsNull() {
						c := types.Compare(x, a.best)
						if c*sign < 0 {
							continue
						}
					}
					x = cloneValue(x)
				}
				if a.best.IsNull() || types.Compare(x, a.best)*sign >= 0 {
					a.best, a.bestAt = x, at
				}
			}
		}
	}
	return nil
}

// setHaving attaches cond, a HAVING condition over the aggregate's output
// columns, when it only compares, combines and adds, subtracts or
// multiplies columns and constants (operations whose results do not
// depend on a numeric's display scale, so evaluating them on sums at
// their accumulated scale is the row executor's answer). The row plan
// for the pair becomes the fallback.
func (va *vecAgg) setHaving(w *rewriter, cond plan.Expr) bool {
	ok := true
	plan.Walk(cond, func(x plan.Expr) bool {
		switch e := x.(type) {
		case *plan.ColRef, *plan.Const, *plan.Logic, *plan.IsNull:
		case *plan.Cmp:
			ok = ok && !e.Distinct
		case *plan.BinOp:
			ok = ok && (e.Op == "+" || e.Op == "-" || e.Op == "*")
		default:
			ok = false
		}
		return ok
	})
	if !ok {
		return false
	}
	cp := &compiler{c: w.c, rw: w}
	x, err := cp.compile(cond)
	if err != nil || len(cp.preps) > 0 {
		return false
	}
	va.having = x
	va.fallback = &plan.Filter{Input: va.agg, Cond: cond}
	return true
}

// filterHaving returns the groups of order (merged table out) that the
// HAVING condition keeps. The columns it reads are built from the
// accumulators (stateVec) where they can be, else from the finished
// aggregates.
func (va *vecAgg) filterHaving(out *aggTable, order []int32) ([]int32, error) {
	n := len(order)
	if n == 0 {
		return order, nil
	}
	nk := len(va.agg.GroupBy)
	tys := colTypes(va.agg.Cols)
	// The columns HAVING reads and its result live until the groups are
	// picked: a scratch's (a million groups made tens of MB of them,
	// fresh memory on every run).
	w := &worker{c: va.s.c, dicts: map[*olap.Column][]string{}, sc: getScratch()}
	defer putScratch(w.sc)
	b := derivedBatch(w, 0, n, tys, func(c int) (*vec, error) {
		v := &vec{t: tys[c], k: types.KindOfType(tys[c]), form: fVals, n: n}
		if c < nk {
			out.intVals()
		}
		if c >= nk {
			if sv := va.stateVec(w, out, order, c-nk, tys[c]); sv != nil {
				return sv, nil
			}
		}
		v.vals = w.values(n)
		for j, g := range order {
			if c < nk {
				v.vals[j] = out.keyValue(g, c)
				continue
			}
			x, err := finish(va.agg.Aggs[c-nk], va.kinds[c-nk], &out.states[c-nk][g])
			if err != nil {
				return nil, err
			}
			v.vals[j] = x
		}
		return v.tighten(), nil
	})
	m, err := va.having.eval(b)
	if err != nil {
		return nil, err
	}
	kept := order[:0]
	for j, g := range order {
		if m.isTrue(j) {
			kept = append(kept, g)
		}
	}
	return kept, nil
}

// stateVec returns aggregate i's values for the groups of order straight
// from their accumulators: counts, and sums that never overflowed int64
// and share one scale (as fInt coefficients); nil when it cannot.
func (va *vecAgg) stateVec(w *worker, out *aggTable, order []int32, i int, t types.Type) *vec {
	call := va.agg.Aggs[i]
	n := len(order)
	st := out.states[i]
	v := &vec{t: t, k: types.KindOfType(t), form: fInt, n: n, i: w.int64s(n)}
	switch {
	case va.kinds[i] == akCount && t.OID == types.OIDInt8:
		for j, g := range order {
			v.i[j] = st[g].n
		}
		return v
	case va.kinds[i] == akSum && call.Agg.Name == "sum" && len(call.Args) == 1:
		argOID := call.Args[0].Type().OID
		switch {
		case t.OID == types.OIDInt8 && (argOID == types.OIDInt2 || argOID == types.OIDInt4):
		case t.OID == types.OIDNumeric && (argOID == types.OIDNumeric || argOID == types.OIDInt8):
		default:
			return nil
		}
		first := true
		for j, g := range order {
			a := &st[g]
			if a.n == 0 {
				if v.nulls == nil {
					v.nulls = w.bools(n)
				}
				v.nulls[j] = true
				continue
			}
			if a.over() != nil || a.exp != a.minExp || (t.OID == types.OIDInt8 && a.exp != 0) {
				return nil
			}
			if first {
				v.exp, first = a.exp, false
			} else if a.exp != v.exp {
				return nil
			}
			v.i[j] = a.sum
		}
		return v
	}
	return nil
}
