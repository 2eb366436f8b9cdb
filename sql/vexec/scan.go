package vexec

import (
	"bytes"
	"sort"
	"sync"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/internal/procs"
	"github.com/omendb/omendb/olap"
	"github.com/omendb/omendb/oltp"
	"github.com/omendb/omendb/oltp/keycode"
	"github.com/omendb/omendb/sql/exec"
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

// colScan reads one table of the column store at a snapshot: zone-map
// pruning, visibility, vectorized column-vs-constant comparisons on the
// Arrow columns, then the rest of the pushed-down filter row by row.
type colScan struct {
	r       *Runner
	c       *exec.Ctx
	mem     *stmtMem // the statement's memory: what its pipes keep
	n       *plan.Scan
	snap    uint64
	ordered bool   // output in primary-key order (a LIMIT above without a sort)
	need    []bool // columns read above the scan (nil = all)

	done  bool
	cache [][]types.Value
	err   error

	// Stats for tests and EXPLAIN.
	SegsTotal, SegsPruned int
}

// pred is one vectorizable conjunct: column Col compared with constant V.
type pred struct {
	Col int
	Op  string
	V   types.Value
}

func (s *colScan) rows(plan.VirtualEnv) ([][]types.Value, error) {
	if !s.done {
		s.done = true
		s.cache, s.err = s.scan()
	}
	return s.cache, s.err
}

// counted records a scan of t for the statistics views: a whole-table
// scan reading its live rows.
func (s *colScan) counted(t *olap.Table) {
	exec.CountSeqScan(s.c, s.n.Table, int(t.Live()))
}

func (s *colScan) scan() ([][]types.Value, error) {
	t := s.r.Store.Table(s.n.Table.ID)
	if t == nil {
		return nil, nil
	}
	s.counted(t)
	def := s.n.Table
	preds, residual, err := s.splitFilter(s.n.Filter)
	if err != nil {
		return nil, err
	}
	prefix, keyCols, none, err := s.keyPrefix()
	if err != nil || none {
		return nil, err
	}
	// The residual filter runs on the sealed segments' columns, batch at
	// a time (vexpr.go), when it compiles; then only the rows it keeps are
	// materialized, without the columns only it reads (TPC-H Q20's
	// p_name LIKE 'forest%' over 200K parts). Open segments, and a
	// segment whose vectorized filter fails, are filtered row by row below.
	var conds []vx
	if residual != nil {
		conds = s.compileResidual(residual)
	}
	// Columns to produce: those needed above, the residual filter's and
	// the key prefix's (nil = all); needOut leaves out the columns only the
	// residual reads, for the rows a vectorized residual kept.
	var need, needOut []bool
	if s.need != nil && len(s.need) == len(def.Columns) {
		need = append([]bool(nil), s.need...)
		if !refs(need, residual) {
			need = nil
		}
		for _, c := range keyCols {
			if need != nil {
				need[c] = true
			}
		}
		if need != nil && s.ordered && def.PK() != nil {
			for _, c := range def.PK().Columns {
				need[c] = true
			}
		}
		if need != nil {
			needOut = append([]bool(nil), s.need...)
			for _, c := range keyCols {
				needOut[c] = true
			}
			if s.ordered && def.PK() != nil {
				for _, c := range def.PK().Columns {
					needOut[c] = true
				}
			}
		}
	}
	snap, ok := t.SegmentsAt(s.snap)
	if !ok {
		return nil, errNotHeld(s.n.Table, s.snap)
	}
	s.SegsTotal = len(snap.Segs)
	out := make([][][]types.Value, len(snap.Segs))
	pruned := make([]bool, len(snap.Segs))
	filtered := make([]bool, len(snap.Segs)) // the residual kept out[i]
	workers := procs.Parallel(len(snap.Segs))
	var wg sync.WaitGroup
	next := make(chan int, len(snap.Segs))
	for i := range snap.Segs {
		next <- i
	}
	close(next)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var sel []int32
			var wk *worker
			if conds != nil {
				cc := *s.c
				wk = &worker{c: &cc, dicts: map[*olap.Column][]string{}, sc: getScratch()}
				defer putScratch(wk.sc)
			}
			for i := range next {
				seg := snap.Segs[i]
				if prune(t, seg, preds) {
					pruned[i] = true
					continue
				}
				sel, _ = t.Visible(seg, s.snap, sel[:0])
				if len(sel) == 0 {
					continue
				}
				var rows [][]types.Value
				t.Read(func() {
					sel = filterVec(seg, def, preds, sel)
					rowNeed := need
					if conds != nil && seg.Sealed() {
						if kept, ok := filterResidual(wk, seg, def, conds, sel); ok {
							sel, rowNeed, filtered[i] = kept, needOut, true
						}
					}
					rows = make([][]types.Value, 0, len(sel))
					for _, ri := range sel {
						row := seg.Shared(def, int(ri))
						if row == nil {
							row = make([]types.Value, len(def.Columns))
							seg.RowInto(def, int(ri), row, rowNeed)
						}
						if prefix != nil && !bytes.HasPrefix(rowKey(def, keyCols, row), prefix) {
							continue
						}
						rows = append(rows, row)
					}
				})
				out[i] = rows
			}
		}()
	}
	wg.Wait()
	var res [][]types.Value
	for i, rows := range out {
		if pruned[i] {
			s.SegsPruned++
		}
		if i == len(out)-1 {
			s.r.SegmentsScanned.Add(int64(len(out) - s.SegsPruned))
			s.r.SegmentsPruned.Add(int64(s.SegsPruned))
		}
		if residual == nil || filtered[i] {
			res = append(res, rows...)
			continue
		}
		for _, row := range rows {
			v, err := exec.Eval(s.c, residual, row)
			if err != nil {
				return nil, err
			}
			if v.K == types.KindBool && v.I != 0 {
				res = append(res, row)
			}
		}
	}
	if s.ordered {
		if pk := def.PK(); pk != nil {
			keys := make([][]byte, len(res))
			for i, row := range res {
				keys[i] = oltp.EncodeKey(def, pk, row)
			}
			idx := make([]int, len(res))
			for i := range idx {
				idx[i] = i
			}
			sort.Slice(idx, func(a, b int) bool { return bytes.Compare(keys[idx[a]], keys[idx[b]]) < 0 })
			sorted := make([][]types.Value, len(res))
			for i, j := range idx {
				sorted[i] = res[j]
			}
			res = sorted
		}
	}
	return res, nil
}

// compileResidual compiles the conjuncts of a scan's residual filter for
// filterResidual, or returns nil when one cannot run there (subqueries,
// volatile functions …).
func (s *colScan) compileResidual(residual plan.Expr) []vx {
	cp := &compiler{c: s.c}
	var conds []vx
	for _, e := range conjuncts(residual) {
		if !parallelSafe(e) || hasSubquery(e) {
			return nil
		}
		x, err := cp.compile(e)
		if err != nil || len(cp.preps) > 0 {
			return nil
		}
		conds = append(conds, x)
	}
	return conds
}

// filterResidual keeps the rows of sel (of a sealed segment) that pass
// conds, a batch at a time, in place; ok is false when an evaluation
// fails (the row executor then filters the segment and reports the
// error, if any, as it does).
func filterResidual(wk *worker, seg *olap.Segment, def *catalog.Table, conds []vx, sel []int32) (kept []int32, ok bool) {
	defer func() {
		if recover() != nil {
			kept, ok = nil, false
		}
	}()
	src := &source{def: def, seg: seg, cols: make([]*olap.Column, len(def.Columns))}
	for c := range def.Columns {
		src.cols[c] = seg.Col(c)
	}
	f := &filterStep{conds: conds}
	const chunk = 16384
	n := 0
	for lo := 0; lo < len(sel); lo += chunk {
		hi := min(lo+chunk, len(sel))
		wk.sc.reset()
		bsel := wk.int32s(hi - lo)
		copy(bsel, sel[lo:hi])
		b, err := f.apply(&batch{w: wk, src: src, sel: bsel, cols: make([]*vec, len(def.Columns))})
		if err != nil {
			return nil, false
		}
		if b != nil {
			n += copy(sel[n:], b.sel) // b.sel[k] >= sel[n+k]: nothing unread is overwritten
		}
	}
	return sel[:n], true
}

func rowKey(def *catalog.Table, cols []int, row []types.Value) []byte {
	var k []byte
	for _, c := range cols {
		k = keycode.Append(k, row[c], def.KeyType(c))
	}
	return k
}

// keyPrefix evaluates an index access path (KeyEq/IndexEq) as a key prefix
// filter; none means a NULL key value, which matches nothing.
func (s *colScan) keyPrefix() (prefix []byte, cols []int, none bool, err error) {
	var exprs []plan.Expr
	switch {
	case len(s.n.KeyEq) > 0:
		cols, exprs = s.n.Table.PK().Columns, s.n.KeyEq
	case s.n.Index != nil && !s.n.Index.HasExprs():
		cols, exprs = s.n.Index.Columns, s.n.IndexEq
	case s.n.Index != nil:
		// Key elements that are expressions: the filter, which holds the
		// equalities the path was chosen for, selects the rows.
		return nil, nil, false, nil
	default:
		return nil, nil, false, nil
	}
	prefix = []byte{}
	for i, e := range exprs {
		v, err := exec.Eval(s.c, e, nil)
		if err != nil {
			return nil, nil, false, err
		}
		if v.IsNull() {
			return nil, nil, true, nil
		}
		prefix = keycode.Append(prefix, v, s.n.Table.KeyType(cols[i]))
	}
	return prefix, cols[:len(exprs)], false, nil
}

// splitFilter separates column-vs-constant comparisons (vectorized and used
// for pruning) from the rest. The vectorized conjuncts are also kept in the
// residual unless the vectorized test is exact for them.
func (s *colScan) splitFilter(f plan.Expr) ([]pred, plan.Expr, error) {
	if f == nil {
		return nil, nil, nil
	}
	var conj []plan.Expr
	var flatten func(e plan.Expr)
	flatten = func(e plan.Expr) {
		if l, ok := e.(*plan.Logic); ok && l.Op == "and" {
			for _, a := range l.Args {
				flatten(a)
			}
			return
		}
		conj = append(conj, e)
	}
	flatten(f)
	var preds []pred
	var rest []plan.Expr
	for _, e := range conj {
		p, ok, err := s.asPred(e)
		if err != nil {
			return nil, nil, err
		}
		if ok {
			preds = append(preds, p)
			if exactVec(s.n.Table, p) {
				continue
			}
		}
		rest = append(rest, e)
	}
	switch len(rest) {
	case 0:
		return preds, nil, nil
	case 1:
		return preds, rest[0], nil
	}
	return preds, &plan.Logic{Op: "and", Args: rest}, nil
}

var flipOp = map[string]string{"=": "=", "<>": "<>", "<": ">", "<=": ">=", ">": "<", ">=": "<="}

func (s *colScan) asPred(e plan.Expr) (pred, bool, error) {
	c, ok := e.(*plan.Cmp)
	if !ok || c.Distinct {
		return pred{}, false, nil
	}
	col, k, op := c.L, c.R, c.Op
	if _, ok := col.(*plan.ColRef); !ok {
		col, k, op = c.R, c.L, flipOp[c.Op]
	}
	ref, ok := col.(*plan.ColRef)
	if !ok || op == "" || ref.Idx >= len(s.n.Table.Columns) {
		return pred{}, false, nil
	}
	switch k.(type) {
	case *plan.Const, *plan.Param:
	default:
		return pred{}, false, nil
	}
	if ref.T.OID != s.n.Table.Columns[ref.Idx].Type.OID {
		return pred{}, false, nil
	}
	v, err := exec.Eval(s.c, k, nil)
	if err != nil {
		return pred{}, false, err
	}
	if !v.IsNull() && v.K != types.KindOfType(ref.T) {
		return pred{}, false, nil
	}
	return pred{Col: ref.Idx, Op: op, V: v}, true, nil
}

// vecKind reports whether comparisons on a column of this kind are done
// exactly on Int64 Arrow values.
func vecKind(k types.Kind) bool {
	switch k {
	case types.KindInt, types.KindDate, types.KindTimestamp, types.KindTimestampTZ:
		return true
	}
	return false
}

// exactVec reports whether the vectorized test of p decides the conjunct
// exactly in every segment (open segments are tested row by row with
// types.Compare, which agrees with integer comparison for these kinds).
func exactVec(def *catalog.Table, p pred) bool {
	return vecKind(types.KindOfType(def.Columns[p.Col].Type))
}

// prune reports whether a sealed segment's zone maps prove that no row
// passes preds.
func prune(t *olap.Table, seg *olap.Segment, preds []pred) bool {
	if len(preds) == 0 {
		return false
	}
	out := false
	t.Read(func() {
		if !seg.Sealed() {
			return
		}
		for _, p := range preds {
			col := seg.Col(p.Col)
			if col == nil {
				continue
			}
			if p.V.IsNull() || col.Zone.Nulls == seg.Len() {
				out = true // comparisons with NULL are never true
				return
			}
			z := col.Zone
			if !z.Ordered || z.Min.IsNull() || z.Min.K != p.V.K {
				continue
			}
			lo, hi := types.Compare(p.V, z.Min), types.Compare(p.V, z.Max)
			switch p.Op {
			case "=":
				out = lo < 0 || hi > 0
			case "<":
				out = lo <= 0
			case "<=":
				out = lo < 0
			case ">":
				out = hi >= 0
			case ">=":
				out = hi > 0
			}
			if out {
				return
			}
		}
	})
	return out
}

// filterVec keeps the selected rows that pass the vectorizable predicates
// (sel holds published rows of seg: read without a lock, see package olap).
func filterVec(seg *olap.Segment, def *catalog.Table, preds []pred, sel []int32) []int32 {
	for _, p := range preds {
		if !vecKind(p.V.K) && !p.V.IsNull() {
			continue
		}
		col := seg.Col(p.Col)
		if p.V.IsNull() {
			return sel[:0]
		}
		var a *array.Int64
		if col != nil && col.Boxed == nil {
			a, _ = col.Arr.(*array.Int64)
		}
		if a == nil || col.Kind != p.V.K {
			sel = filterValues(seg, def, p, sel)
			continue
		}
		vals := a.Int64Values()
		k := p.V.I
		n := 0
		for _, i := range sel {
			if a.IsNull(int(i)) {
				continue
			}
			x := vals[i]
			var pass bool
			switch p.Op {
			case "=":
				pass = x == k
			case "<>":
				pass = x != k
			case "<":
				pass = x < k
			case "<=":
				pass = x <= k
			case ">":
				pass = x > k
			case ">=":
				pass = x >= k
			}
			if pass {
				sel[n] = i
				n++
			}
		}
		sel = sel[:n]
	}
	return sel
}

// filterValues applies p value by value (open segments, boxed columns,
// columns a segment predates).
func filterValues(seg *olap.Segment, def *catalog.Table, p pred, sel []int32) []int32 {
	n := 0
	for _, i := range sel {
		v := seg.Value(def, int(i), p.Col)
		if v.IsNull() {
			continue
		}
		c := types.Compare(v, p.V)
		var pass bool
		switch p.Op {
		case "=":
			pass = c == 0
		case "<>":
			pass = c != 0
		case "<":
			pass = c < 0
		case "<=":
			pass = c <= 0
		case ">":
			pass = c > 0
		case ">=":
			pass = c >= 0
		}
		if pass {
			sel[n] = i
			n++
		}
	}
	return sel[:n]
}
