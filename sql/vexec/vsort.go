package vexec

import (
	"container/heap"
	"errors"
	"sort"
	"time"

	"github.com/omendb/omendb/olap"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql/exec"
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

// sortOp is ORDER BY [LIMIT n] [OFFSET m] over a pipe. Each worker
// evaluates the sort keys a batch at a time and keeps its rows — with a
// limit only the best n+m, in a bounded heap (top-N) — then the workers'
// rows are merged. Ties keep the pipe's scan order (segment, then row), as
// the row executor's stable sort of the collected input does, and keys
// compare as the row executor's do (types.Compare, bpchar ignoring
// trailing spaces; NULLS FIRST/LAST as PostgreSQL's defaults and clauses),
// so the rows are the row path's.
type sortOp struct {
	rw            *rewriter
	p             *pipe
	keys          []vx
	sk            []plan.SortKey
	count, offset plan.Expr // nil: none (LIMIT only with a Limit node)
	limited       bool
	fallback      plan.Node // the same Sort/Limit run by the row executor
	width         int
	// zoned: the first key is column zoneCol of the scan, ascending, and
	// workers skip segments by its zone maps (planKeyLimit).
	zoned   bool
	zoneCol int

	done     bool
	fellBack bool
	took     time.Duration
	cache    [][]types.Value
	err      error
}

// planSort builds a sortOp for a (rewritten) Sort, under an optional Limit
// lim, whose input is a pipe; nil when it is not.
func (w *rewriter) planSort(s *plan.Sort, lim *plan.Limit) *sortOp {
	for _, k := range s.Keys {
		if !parallelSafe(k.E) {
			return nil
		}
	}
	p := w.planPipe(s.Input, nil)
	if p == nil {
		return nil
	}
	cp := &compiler{c: w.c, rw: w}
	op := &sortOp{rw: w, p: p, sk: s.Keys, fallback: s, width: len(s.Input.Columns())}
	for _, k := range s.Keys {
		x, err := cp.compile(k.E)
		if err != nil {
			return nil
		}
		op.keys = append(op.keys, x)
	}
	if lim != nil {
		op.count, op.offset, op.limited, op.fallback = lim.Count, lim.Offset, true, lim
	}
	p.preps = append(p.preps, cp.preps...)
	return op
}

// limits evaluates LIMIT and OFFSET as the row executor does; count < 0
// means none.
func (op *sortOp) limits(c *exec.Ctx) (count, offset int64, err error) {
	count = -1
	if op.count != nil {
		v, err := exec.Eval(c, op.count, nil)
		if err != nil {
			return 0, 0, err
		}
		if !v.IsNull() {
			if v.I < 0 {
				return 0, 0, pgerr.New("2201W", "LIMIT must not be negative")
			}
			count = v.I
		}
	}
	if op.offset != nil {
		v, err := exec.Eval(c, op.offset, nil)
		if err != nil {
			return 0, 0, err
		}
		if !v.IsNull() {
			if v.I < 0 {
				return 0, 0, pgerr.New("2201X", "OFFSET must not be negative")
			}
			offset = v.I
		}
	}
	return count, offset, nil
}

func (op *sortOp) rows(plan.VirtualEnv) ([][]types.Value, error) {
	if op.done {
		return op.cache, op.err
	}
	op.done = true
	start := time.Now()
	c := op.p.s.c
	rows, err := op.run(c)
	if errors.Is(err, errFallback) || (err != nil && !isCancel(c, err) && !isLimitErr(err)) {
		op.p.s.r.VecFallbacks.Add(1)
		op.fellBack = true
		rows, err = exec.Collect(c, op.fallback)
	} else if err == nil {
		op.p.s.r.VecSorts.Add(1)
		for _, st := range op.p.steps {
			if _, ok := st.(*probeStep); ok {
				op.p.s.r.VecJoins.Add(1) // its rows go to the row executor, sorted
				break
			}
		}
	}
	op.took = time.Since(start)
	op.cache, op.err = rows, err
	return rows, err
}

func isLimitErr(err error) bool {
	var pe *pgerr.Error
	return errors.As(err, &pe) && (pe.Code == "2201W" || pe.Code == "2201X")
}

// sortRow is one kept row: its sort keys, its values and its position in
// scan order (segment base, then the worker's arrival sequence).
type sortRow struct {
	keys []types.Value
	row  []types.Value
	at   int64
	seq  int64
}

// sortSink is one worker's rows: all of them, or with keep >= 0 the best
// keep in a max-heap (the worst kept row on top).
type sortSink struct {
	op   *sortOp
	keep int64
	rows []sortRow
	seq  int64
}

func (op *sortOp) less(a, b *sortRow) bool {
	for i, sk := range op.sk {
		if c := exec.CompareSortKey(a.keys[i], b.keys[i], sk); c != 0 {
			return c < 0
		}
	}
	if a.at != b.at {
		return a.at < b.at
	}
	return a.seq < b.seq
}

// heap.Interface: a max-heap by op.less.
func (s *sortSink) Len() int           { return len(s.rows) }
func (s *sortSink) Less(i, j int) bool { return s.op.less(&s.rows[j], &s.rows[i]) }
func (s *sortSink) Swap(i, j int)      { s.rows[i], s.rows[j] = s.rows[j], s.rows[i] }
func (s *sortSink) Push(x any)         { s.rows = append(s.rows, x.(sortRow)) }
func (s *sortSink) Pop() any {
	x := s.rows[len(s.rows)-1]
	s.rows = s.rows[:len(s.rows)-1]
	return x
}

// retains is false: kept rows are copies.
func (s *sortSink) retains() bool { return false }

func (s *sortSink) consume(b *batch) error {
	op := s.op
	n := b.n()
	if s.keep == 0 || n == 0 {
		return nil
	}
	keys := make([]*vec, len(op.keys))
	for i, k := range op.keys {
		v, err := k.eval(b)
		if err != nil {
			return err
		}
		keys[i] = v
	}
	cols := make([]*vec, op.width)
	for j := 0; j < n; j++ {
		s.seq++
		cand := sortRow{keys: make([]types.Value, len(keys)), at: b.base, seq: s.seq}
		for i, k := range keys {
			cand.keys[i] = k.value(j)
		}
		if s.keep > 0 && int64(len(s.rows)) >= s.keep && !op.less(&cand, &s.rows[0]) {
			continue // not better than the worst kept row
		}
		for i := range cand.keys {
			cand.keys[i] = cloneValue(cand.keys[i])
		}
		cand.row = make([]types.Value, op.width)
		for c := range cand.row {
			if cols[c] == nil {
				v, err := b.colErr(c)
				if err != nil {
					return err
				}
				cols[c] = v
			}
			cand.row[c] = cloneValue(cols[c].value(j))
		}
		switch {
		case s.keep < 0:
			s.rows = append(s.rows, cand)
		case int64(len(s.rows)) < s.keep:
			heap.Push(s, cand)
		default:
			s.rows[0] = cand
			heap.Fix(s, 0)
		}
	}
	return nil
}

func (op *sortOp) run(c *exec.Ctx) ([][]types.Value, error) {
	count, offset := int64(-1), int64(0)
	if op.limited {
		var err error
		if count, offset, err = op.limits(c); err != nil {
			return nil, err
		}
	}
	keep := int64(-1)
	if count >= 0 {
		keep = count + offset
	}
	var sinks []*sortSink
	if op.zoned {
		op.p.skip = func(snk sink, t *olap.Table, seg *olap.Segment) bool {
			return op.skipSegment(snk.(*sortSink), t, seg)
		}
	}
	if _, _, err := op.p.run(c, func(int) sink {
		s := &sortSink{op: op, keep: keep}
		sinks = append(sinks, s)
		return s
	}); err != nil {
		return nil, err
	}
	var all []sortRow
	for _, s := range sinks {
		all = append(all, s.rows...)
	}
	sort.Slice(all, func(i, j int) bool { return op.less(&all[i], &all[j]) })
	if offset >= int64(len(all)) {
		return nil, nil
	}
	all = all[offset:]
	if count >= 0 && count < int64(len(all)) {
		all = all[:count]
	}
	out := make([][]types.Value, len(all))
	for i := range all {
		out[i] = all[i].row
	}
	return out, nil
}
