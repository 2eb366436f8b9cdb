package vexec

import (
	"math"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/olap"

	"github.com/omendb/omendb/sql/exec"
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

// Cardinality estimates for join ordering (joinorder.go) and for choosing
// hash-join build sides (planJoin). They come from the column store itself:
// a table's live row count; per column a distinct-count guess (the row
// count for a one-column primary key or unique index, the zone maps'
// value range for integers and dates, the largest segment dictionary for
// dictionary-encoded text); and a scan's filter selectivity measured on a
// sample of up to sampleRows rows spread over its segments, evaluated
// with the row executor's exec.Eval. Everything is computed on the
// session goroutine, at most once per table or scan per statement.

const sampleRows = 512

// tableStats are one table's row count and per-column distinct counts
// (computed on first use; 0 = not yet).
type tableStats struct {
	rows float64
	ndv  []float64
}

func (w *rewriter) tableStats(s *plan.Scan) *tableStats {
	if st := w.stats[s.Table.ID]; st != nil {
		return st
	}
	st := &tableStats{rows: 1000, ndv: make([]float64, len(s.Table.Columns))}
	if t := w.r.Store.Table(s.Table.ID); t != nil {
		st.rows = max(float64(t.Live()), 1)
	}
	if w.stats == nil {
		w.stats = map[uint32]*tableStats{}
	}
	w.stats[s.Table.ID] = st
	return st
}

// colNDV guesses the number of distinct values of column c of s's table.
func (w *rewriter) colNDV(s *plan.Scan, c int) float64 {
	st := w.tableStats(s)
	if c < 0 || c >= len(st.ndv) {
		return st.rows
	}
	if st.ndv[c] > 0 {
		return st.ndv[c]
	}
	ndv := st.rows
	unique := false
	for i, ix := range s.Table.Indexes {
		if len(ix.Columns) == 1 && ix.Columns[0] == c && ix.Plain() && (ix.Unique || i == s.Table.PrimaryKey) {
			unique = true
		}
	}
	if t := w.r.Store.Table(s.Table.ID); t != nil && !unique {
		snap := t.Segments()
		kind := types.KindOfType(s.Table.Columns[c].Type)
		t.Read(func() {
			var sp span
			dict := 0
			ranged := kind == types.KindInt || kind == types.KindDate
			for _, seg := range snap.Segs {
				col := seg.Col(c)
				if !seg.Sealed() {
					// The open segment (at most one segment's rows):
					// its distinct values, counted once per length.
					o := w.r.openNDV(seg, snap.Def, c, ranged)
					if o.seen {
						sp.add(o.lo, o.hi)
					}
					dict = max(dict, o.distinct)
					continue
				}
				if col == nil {
					continue
				}
				if d, ok := col.Arr.(*array.Dictionary); ok {
					dict = max(dict, d.Dictionary().Len())
				}
				z := col.Zone
				if ranged && z.Ordered && !z.Min.IsNull() && !z.Max.IsNull() {
					sp.add(z.Min.I, z.Max.I)
				}
			}
			if sp.seen && sp.hi >= sp.lo {
				ndv = min(ndv, float64(sp.hi-sp.lo)+1)
			}
			if dict > 0 && (!ranged || len(snap.Segs) == 1) {
				ndv = min(ndv, float64(dict))
			}
		})
	}
	st.ndv[c] = max(ndv, 1)
	return st.ndv[c]
}

// openStats is what colNDV reads of an open segment's column: its
// distinct values and (integers and dates) their range.
type openStats struct {
	distinct int
	seen     bool
	lo, hi   int64
}

type openKey struct {
	seg  *olap.Segment
	col  int
	rows int
}

// openNDV returns column c's openStats for the open segment's first rows
// rows; they are counted once and kept on the Runner until the segment
// grows (rows are immutable once appended), so that every statement does
// not box and hash a segment's worth of values again.
func (r *Runner) openNDV(seg *olap.Segment, def *catalog.Table, c int, ranged bool) openStats {
	key := openKey{seg: seg, col: c, rows: seg.Len()}
	r.openMu.Lock()
	o, ok := r.open[key]
	r.openMu.Unlock()
	if ok {
		return o
	}
	ints, strs := map[int64]bool{}, map[string]bool{}
	for i := 0; i < key.rows; i++ {
		v := seg.Value(def, i, c)
		switch {
		case v.IsNull():
		case ranged:
			ints[v.I] = true
			if !o.seen || v.I < o.lo {
				o.lo = v.I
			}
			if !o.seen || v.I > o.hi {
				o.hi = v.I
			}
			o.seen = true
		case v.K == types.KindText:
			strs[v.S] = true
		}
	}
	o.distinct = max(len(ints), len(strs))
	r.openMu.Lock()
	if r.open == nil || len(r.open) >= 1024 {
		r.open = map[openKey]openStats{} // stale keys (segments grown or sealed) go
	}
	r.open[key] = o
	r.openMu.Unlock()
	return o
}

// origin follows output column idx of n down to the table column it
// copies, through filters, projections of column references and joins.
func (w *rewriter) origin(n plan.Node, idx int) (*plan.Scan, int) {
	for {
		switch x := n.(type) {
		case *plan.Scan:
			return x, idx
		case *plan.VirtualScan:
			if j := w.joins[x]; j != nil {
				n = j
				continue
			}
			if s := w.byNode[x]; s != nil {
				return s.n, idx
			}
			return nil, 0
		case *plan.Filter:
			n = x.Input
		case *plan.Project:
			if idx >= len(x.Exprs) {
				return nil, 0
			}
			r, ok := x.Exprs[idx].(*plan.ColRef)
			if !ok {
				return nil, 0
			}
			n, idx = x.Input, r.Idx
		case *plan.Join:
			lw := len(x.Left.Columns())
			if idx < lw {
				n = x.Left
			} else if x.Kind != plan.SemiJoin && x.Kind != plan.AntiJoin {
				n, idx = x.Right, idx-lw
			} else {
				return nil, 0
			}
		default:
			return nil, 0
		}
	}
}

// resolver maps a column of some row to the table column it copies.
type resolver func(int) (*plan.Scan, int)

func (w *rewriter) nodeOrigin(n plan.Node) resolver {
	return func(c int) (*plan.Scan, int) { return w.origin(n, c) }
}

// ndvOf guesses the distinct values of e over rows whose columns res
// resolves (at most rows).
func (w *rewriter) ndvOf(res resolver, e plan.Expr, rows float64) float64 {
	if r, ok := e.(*plan.ColRef); ok {
		if s, c := res(r.Idx); s != nil {
			return max(1, min(rows, w.colNDV(s, c)))
		}
	}
	return max(1, rows)
}

// uniqueKeys reports whether keys include every column of a primary key
// or unique index of one table they come from, and that table's row
// count.
func (w *rewriter) uniqueKeys(res resolver, keys []plan.Expr) (float64, bool) {
	cols := map[*plan.Scan]map[int]bool{}
	for _, k := range keys {
		r, ok := k.(*plan.ColRef)
		if !ok {
			continue
		}
		if s, c := res(r.Idx); s != nil {
			if cols[s] == nil {
				cols[s] = map[int]bool{}
			}
			cols[s][c] = true
		}
	}
	for s, have := range cols {
		for i, ix := range s.Table.Indexes {
			if !ix.Unique && i != s.Table.PrimaryKey || !ix.Plain() {
				continue
			}
			all := len(ix.Columns) > 0
			for _, c := range ix.Columns {
				all = all && have[c]
			}
			if all {
				return w.tableStats(s).rows, true
			}
		}
	}
	return 0, false
}

// joinSel is the selectivity of joining nodes l and r (estimated at lr and
// rr rows) on lk = rk.
func (w *rewriter) joinSel(l, r plan.Node, lk, rk []plan.Expr, lr, rr float64) float64 {
	return w.keySel(w.nodeOrigin(l), w.nodeOrigin(r), lk, rk, lr, rr)
}

// keySel is the selectivity of an equi-join on key pairs lk = rk of two
// inputs estimated at lr and rr rows: 1/max(ndv(lk), ndv(rk)), distinct
// counts capped by the rows. When one side's keys cover a primary key or
// unique index of a table (a foreign-key join), that side's keys have at
// most the table's rows distinct values and so do the other side's (a
// foreign key's values are among the key's); otherwise each pair counts,
// with exponential back-off (pairs are rarely independent).
func (w *rewriter) keySel(lres, rres resolver, lk, rk []plan.Expr, lr, rr float64) float64 {
	if len(lk) == 0 {
		return 1
	}
	composite := func(res resolver, keys []plan.Expr, rows float64) float64 {
		p := 1.0
		for _, k := range keys {
			p *= w.ndvOf(res, k, rows)
		}
		return min(p, max(rows, 1))
	}
	if u, ok := w.uniqueKeys(rres, rk); ok {
		return 1 / max(min(u, rr), min(composite(lres, lk, lr), u), 1)
	}
	if u, ok := w.uniqueKeys(lres, lk); ok {
		return 1 / max(min(u, lr), min(composite(rres, rk, rr), u), 1)
	}
	var sels []float64
	for i := range lk {
		sels = append(sels, 1/max(w.ndvOf(lres, lk[i], lr), w.ndvOf(rres, rk[i], rr)))
	}
	return backoff(sels)
}

// backoff combines selectivities s1 ≤ s2 ≤ … as s1 · s2^½ · s3^¼ ….
func backoff(sels []float64) float64 {
	for i := 1; i < len(sels); i++ {
		for j := i; j > 0 && sels[j] < sels[j-1]; j-- {
			sels[j], sels[j-1] = sels[j-1], sels[j]
		}
	}
	out, e := 1.0, 1.0
	for _, s := range sels {
		out *= math.Pow(s, e)
		e /= 2
	}
	return out
}

// scanRows estimates the rows of scan s that pass its filter and extra
// (conjuncts over its row), sampling the column store.
func (w *rewriter) scanRows(s *plan.Scan, extra []plan.Expr) float64 {
	st := w.tableStats(s)
	conds := append(conjuncts(s.Filter), extra...)
	eq := func(col int, e plan.Expr) plan.Expr {
		return &plan.Cmp{Op: "=", L: &plan.ColRef{Idx: col, T: s.Table.Columns[col].Type}, R: e}
	}
	if pk := s.Table.PK(); pk != nil {
		for i, e := range s.KeyEq {
			if i < len(pk.Columns) {
				conds = append(conds, eq(pk.Columns[i], e))
			}
		}
	}
	if s.Index != nil {
		for i, e := range s.IndexEq {
			if i < len(s.Index.Columns) {
				conds = append(conds, &plan.Cmp{Op: "=", L: s.IndexElem(i), R: e})
			}
		}
	}
	if len(conds) == 0 {
		return st.rows
	}
	key := s
	if len(extra) > 0 {
		key = nil
	} else if v, ok := w.scanEst[key]; ok {
		return v
	}
	var sample, other []plan.Expr
	for _, c := range conds {
		if hasSubquery(c) || hasOuter(c) || !parallelSafe(c) {
			other = append(other, c)
		} else {
			sample = append(sample, c)
		}
	}
	sel := 1.0
	if len(sample) > 0 {
		sel = w.sampleSel(s, sample)
	}
	for range other {
		sel *= 0.5
	}
	rows := max(1, st.rows*sel)
	if key != nil {
		if w.scanEst == nil {
			w.scanEst = map[*plan.Scan]float64{}
		}
		w.scanEst[key] = rows
	}
	return rows
}

// sampleSel evaluates conds on up to sampleRows rows of s's table spread
// evenly over its segments and returns the fraction that pass (half a row
// when none does).
func (w *rewriter) sampleSel(s *plan.Scan, conds []plan.Expr) (sel float64) {
	t := w.r.Store.Table(s.Table.ID)
	if t == nil {
		return math.Pow(1.0/3, float64(len(conds)))
	}
	defer func() {
		if recover() != nil {
			sel = math.Pow(1.0/3, float64(len(conds)))
		}
	}()
	snap := t.Segments()
	total := 0
	t.Read(func() {
		for _, seg := range snap.Segs {
			total += seg.Len()
		}
	})
	if total == 0 {
		return 1
	}
	step := max(1, total/sampleRows)
	need := make([]bool, len(snap.Def.Columns))
	for _, e := range conds {
		plan.Walk(e, func(x plan.Expr) bool {
			if r, ok := x.(*plan.ColRef); ok && r.Idx < len(need) {
				need[r.Idx] = true
			}
			return true
		})
	}
	var rows [][]types.Value
	width := len(snap.Def.Columns)
	slab := make([]types.Value, 0, width*(total/step+len(snap.Segs)))
	t.Read(func() {
		at := 0
		for _, seg := range snap.Segs {
			n := seg.Len()
			for i := (step - at%step) % step; i < n; i += step {
				if len(slab)+width > cap(slab) {
					slab = make([]types.Value, 0, width*sampleRows)
				}
				row := slab[len(slab) : len(slab)+width : len(slab)+width]
				slab = slab[:len(slab)+width]
				seg.RowInto(snap.Def, i, row, need)
				rows = append(rows, row)
			}
			at += n
		}
	})
	if len(rows) == 0 {
		return 1
	}
	c := *w.c
	pass := 0.0
	for _, row := range rows {
		ok := true
		for _, e := range conds {
			v, err := exec.Eval(&c, e, row)
			if err != nil || v.IsNull() || !v.Bool() {
				ok = false
				break
			}
		}
		if ok {
			pass++
		}
	}
	return max(pass, 0.5) / float64(len(rows))
}

// card estimates a node's output rows.
func (w *rewriter) card(n plan.Node) float64 {
	switch x := n.(type) {
	case *plan.Scan:
		return w.scanRows(x, nil)
	case *plan.VirtualScan:
		if j := w.joins[x]; j != nil {
			return w.card(j)
		}
		if s := w.byNode[x]; s != nil {
			return w.card(s.n)
		}
		if va := w.aggs[x]; va != nil {
			return w.card(va.fallback) // the aggregate, under its HAVING filter if any
		}
		return 1000
	case *plan.Filter:
		if s, ok := x.Input.(*plan.Scan); ok {
			return w.scanRows(s, conjuncts(x.Cond))
		}
		sels := make([]float64, len(conjuncts(x.Cond)))
		for i := range sels {
			sels[i] = 1.0 / 3
		}
		return max(1, w.card(x.Input)*backoff(sels))
	case *plan.Project:
		return w.card(x.Input)
	case *plan.Join:
		l, r := w.card(x.Left), w.card(x.Right)
		inner := l * r * w.joinSel(x.Left, x.Right, x.LeftKeys, x.RightKeys, l, r)
		if x.Cond != nil {
			inner /= 3
		}
		inner = max(inner, 1)
		switch x.Kind {
		case plan.LeftJoin:
			return max(inner, l)
		case plan.RightJoin:
			return max(inner, r)
		case plan.FullJoin:
			return max(inner, l, r)
		case plan.SemiJoin:
			return max(1, min(l, inner))
		case plan.AntiJoin:
			return max(1, l-min(l, inner)/2)
		}
		return inner
	case *plan.Aggregate:
		in := w.card(x.Input)
		if len(x.GroupBy) == 0 {
			return 1
		}
		g := 1.0
		for _, e := range x.GroupBy {
			g *= w.ndvOf(w.nodeOrigin(x.Input), e, in)
		}
		return max(1, min(in, g))
	case *plan.Limit:
		in := w.card(x.Input)
		if c, ok := x.Count.(*plan.Const); ok && c.V.K == types.KindInt {
			return max(1, min(in, float64(c.V.I)))
		}
		return in
	case *plan.Sort:
		return w.card(x.Input)
	case *plan.Distinct:
		return w.card(x.Input)
	case *plan.Values:
		return float64(len(x.Rows))
	case *plan.One:
		return 1
	}
	return 1000
}

// colRange returns the smallest and largest values of integer or date
// column c of s's table (from the sealed segments' zone maps and the open
// segment's rows); ok is false when a segment keeps no order or the
// column has another kind.
func (w *rewriter) colRange(s *plan.Scan, c int) (lo, hi int64, ok bool) {
	t := w.r.Store.Table(s.Table.ID)
	if t == nil || c < 0 || c >= len(s.Table.Columns) {
		return 0, 0, false
	}
	kind := types.KindOfType(s.Table.Columns[c].Type)
	if kind != types.KindInt && kind != types.KindDate {
		return 0, 0, false
	}
	snap := t.Segments()
	ok = true
	var sp span
	t.Read(func() {
		for _, seg := range snap.Segs {
			if !seg.Sealed() {
				for i := 0; i < seg.Len(); i++ {
					if v := seg.Value(snap.Def, i, c); !v.IsNull() {
						if v.K != kind {
							ok = false
							return
						}
						sp.add(v.I, v.I)
					}
				}
				continue
			}
			col := seg.Col(c)
			if col == nil {
				continue // the segment predates the column: NULLs
			}
			z := col.Zone
			if z.Nulls == seg.Len() {
				continue
			}
			if !z.Ordered || z.Min.K != kind || z.Max.K != kind {
				ok = false
				return
			}
			sp.add(z.Min.I, z.Max.I)
		}
	})
	return sp.lo, sp.hi, ok && sp.seen && sp.hi >= sp.lo
}

// span is the smallest range holding every [a, b] added to it.
type span struct {
	lo, hi int64
	seen   bool
}

func (s *span) add(a, b int64) {
	if !s.seen || a < s.lo {
		s.lo = a
	}
	if !s.seen || b > s.hi {
		s.hi = b
	}
	s.seen = true
}
