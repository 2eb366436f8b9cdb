package vexec

import (
	"github.com/omendb/omendb/sql/plan"
)

// Scalar subqueries. A correlated aggregate subquery compared with the
// outer row,
//
//	… WHERE x < (SELECT f(agg(y)) FROM t … WHERE t.k = outer.k AND p(t))
//
// runs once per outer row in the row executor, each time scanning t. It is
// rewritten into one aggregation grouped by the correlation columns, left
// joined to the outer rows on them:
//
//	π_outer σ(x < v) (outer ⟕_{outer.k = g.k} π_{k, f(agg)} γ_{k; agg(y)} σ_p(t))
//
// which is the same answer when the subquery yields NULL for no rows: the
// aggregates are sum, avg, min and max (NULL over no rows) and f is strict
// in them. t may be an inner-join tree; every outer reference must sit in a
// conjunct t.col = outer.col. Uncorrelated subqueries keep running once;
// their plans are rewritten like the main plan (column scans, vectorized
// aggregates, decorrelation inside them).

// corrScalar returns the correlated scalar subquery in c, if c holds
// exactly one subquery and it is one.
func corrScalar(c plan.Expr) *plan.Subquery {
	var found *plan.Subquery
	n := 0
	plan.Walk(c, func(x plan.Expr) bool {
		if sq, ok := x.(*plan.Subquery); ok {
			n++
			if sq.Kind == plan.SubScalar && sq.Correlated {
				found = sq
			}
		}
		return true
	})
	if n != 1 {
		return nil
	}
	return found
}

// scalarJoin rewrites conjunct c (over input's rows) as described above, or
// returns nil.
func (w *rewriter) scalarJoin(input plan.Node, c plan.Expr) plan.Node {
	sq := corrScalar(c)
	if sq == nil {
		return nil
	}
	var f plan.Expr
	root := sq.Plan
	if p, ok := root.(*plan.Project); ok {
		if len(p.Exprs) != 1 {
			return nil
		}
		f, root = p.Exprs[0], p.Input
	}
	agg, ok := root.(*plan.Aggregate)
	if !ok || len(agg.GroupBy) != 0 || len(agg.Aggs) == 0 {
		return nil
	}
	if f == nil {
		if len(agg.Aggs) != 1 {
			return nil
		}
		f = &plan.ColRef{Idx: 0, T: agg.Aggs[0].Agg.Ret}
	}
	if !strict(f) || !parallelSafe(f) {
		return nil
	}
	for _, a := range agg.Aggs {
		switch a.Agg.Name {
		case "sum", "avg", "min", "max":
		default:
			return nil
		}
		for _, e := range a.Args {
			if hasOuter(e) {
				return nil
			}
		}
		if a.Filter != nil && hasOuter(a.Filter) {
			return nil
		}
	}
	lw := len(input.Columns())
	inner, ik, ok := pullCorrelation(agg.Input, 0, lw)
	if !ok || len(ik) == 0 {
		return nil
	}
	innerKeys, outerCols := make([]int, len(ik)), make([]int, len(ik))
	for i, k := range ik {
		innerKeys[i], outerCols[i] = k.inner, k.outer
	}
	inner = w.reduce(inner, innerKeys, input, outerCols)
	// γ_{k; aggs}: group columns first, then the aggregates.
	var gb []plan.Expr
	var cols []plan.Column
	innerCols := inner.Columns()
	for _, k := range ik {
		gb = append(gb, &plan.ColRef{Idx: k.inner, T: innerCols[k.inner].T, Name: innerCols[k.inner].Name})
		cols = append(cols, innerCols[k.inner])
	}
	nk := len(ik)
	cols = append(cols, agg.Cols...)
	g := &plan.Aggregate{Input: inner, GroupBy: gb, Aggs: agg.Aggs, Cols: cols}
	// π_{k, f}: f read the aggregates at 0..; they now follow the keys.
	shifted := plan.Transform(f, func(x plan.Expr) (plan.Expr, bool) {
		if r, ok := x.(*plan.ColRef); ok {
			return &plan.ColRef{Idx: r.Idx + nk, T: r.T, Name: r.Name}, true
		}
		return nil, false
	})
	var pexprs []plan.Expr
	var pcols []plan.Column
	for i := 0; i < nk; i++ {
		pexprs = append(pexprs, &plan.ColRef{Idx: i, T: cols[i].T})
		pcols = append(pcols, cols[i])
	}
	pexprs = append(pexprs, shifted)
	pcols = append(pcols, plan.Column{Name: "subquery", T: f.Type()})
	right := &plan.Project{Input: g, Exprs: pexprs, Cols: pcols}
	var lk, rk []plan.Expr
	for i, k := range ik {
		lk = append(lk, &plan.ColRef{Idx: k.outer, T: k.t.T})
		rk = append(rk, &plan.ColRef{Idx: i, T: k.t.T})
	}
	jcols := append(append([]plan.Column(nil), input.Columns()...), pcols...)
	j := &plan.Join{Kind: plan.LeftJoin, Left: input, Right: right, LeftKeys: lk, RightKeys: rk, Cols: jcols}
	v := &plan.ColRef{Idx: lw + nk, T: f.Type()}
	cond := plan.Transform(c, func(x plan.Expr) (plan.Expr, bool) {
		if x == plan.Expr(sq) {
			return v, true
		}
		return nil, false
	})
	var back []plan.Expr
	for i, col := range input.Columns() {
		back = append(back, &plan.ColRef{Idx: i, T: col.T, Name: col.Name})
	}
	w.decorrelated++
	return &plan.Project{Input: &plan.Filter{Input: j, Cond: cond}, Exprs: back, Cols: input.Columns()}
}

// strict reports whether e is NULL whenever the columns it reads are.
func strict(e plan.Expr) bool {
	switch x := e.(type) {
	case *plan.ColRef:
		return true
	case *plan.BinOp:
		return strict(x.L) || strict(x.R)
	case *plan.Cast:
		return strict(x.E)
	case *plan.Neg:
		return strict(x.E)
	}
	return false
}

func hasOuter(e plan.Expr) bool {
	found := false
	plan.Walk(e, func(x plan.Expr) bool {
		switch s := x.(type) {
		case *plan.OuterRef:
			found = true
		case *plan.Subquery:
			if s.Correlated {
				found = true
			}
		}
		return !found
	})
	return found
}

// corrKey pairs an inner column (position in the inner tree's output) with
// the outer column it must equal.
type corrKey struct {
	inner, outer int
	t            plan.Column
}

// pullCorrelation removes the conjuncts inner.col = outer.col (depth 1)
// from an inner-join tree of scans and filters whose output starts at
// position off of the enclosing tree, returning the rewritten tree and the
// keys. ok is false when an outer reference appears anywhere else.
func pullCorrelation(n plan.Node, off, lw int) (plan.Node, []corrKey, bool) {
	split := func(conds []plan.Expr, width int) (local []plan.Expr, keys []corrKey, ok bool) {
		for _, e := range conds {
			if !hasOuter(e) {
				local = append(local, e)
				continue
			}
			cmp, isCmp := e.(*plan.Cmp)
			if !isCmp || cmp.Op != "=" || cmp.Distinct {
				return nil, nil, false
			}
			l, r := cmp.L, cmp.R
			if _, isOuter := l.(*plan.OuterRef); isOuter {
				l, r = r, l
			}
			cr, ok1 := l.(*plan.ColRef)
			or, ok2 := r.(*plan.OuterRef)
			if !ok1 || !ok2 || or.Depth != 1 || or.Idx >= lw || cr.Idx >= width || cr.T.OID != or.T.OID {
				return nil, nil, false
			}
			keys = append(keys, corrKey{inner: off + cr.Idx, outer: or.Idx, t: plan.Column{Name: cr.Name, T: cr.T}})
		}
		return local, keys, true
	}
	switch x := n.(type) {
	case *plan.Scan:
		conds := conjuncts(x.Filter)
		eq := func(col int, e plan.Expr) plan.Expr {
			return &plan.Cmp{Op: "=", L: &plan.ColRef{Idx: col, T: x.Table.Columns[col].Type, Name: x.Table.Columns[col].Name}, R: e}
		}
		keyed := false
		for i, e := range x.KeyEq {
			keyed = keyed || hasOuter(e)
			conds = append(conds, eq(x.Table.PK().Columns[i], e))
		}
		if x.Index != nil {
			for i, e := range x.IndexEq {
				keyed = keyed || hasOuter(e)
				conds = append(conds, &plan.Cmp{Op: "=", L: x.IndexElem(i), R: e})
			}
		}
		local, keys, ok := split(conds, len(x.Cols))
		if !ok {
			return nil, nil, false
		}
		y := *x
		if keyed || len(keys) > 0 {
			y.ClearAccess("decorrelated subquery")
			y.Filter = and(local)
		}
		return &y, keys, true
	case *plan.Filter:
		local, keys, ok := split(conjuncts(x.Cond), len(x.Input.Columns()))
		if !ok {
			return nil, nil, false
		}
		in, more, ok := pullCorrelation(x.Input, off, lw)
		if !ok {
			return nil, nil, false
		}
		keys = append(keys, more...)
		if len(local) == 0 {
			return in, keys, true
		}
		return &plan.Filter{Input: in, Cond: and(local)}, keys, true
	case *plan.Join:
		if x.Kind != plan.InnerJoin {
			return nil, nil, false
		}
		for _, e := range append(append([]plan.Expr{x.Cond}, x.LeftKeys...), x.RightKeys...) {
			if e != nil && hasOuter(e) {
				return nil, nil, false
			}
		}
		left, lk, ok := pullCorrelation(x.Left, off, lw)
		if !ok {
			return nil, nil, false
		}
		right, rk, ok := pullCorrelation(x.Right, off+len(x.Left.Columns()), lw)
		if !ok {
			return nil, nil, false
		}
		y := *x
		y.Left, y.Right = left, right
		return &y, append(lk, rk...), true
	}
	return nil, nil, false
}

// subqueries rewrites the plans of e's uncorrelated subqueries like the
// main plan (they run once per statement).
func (w *rewriter) subqueries(e plan.Expr) plan.Expr {
	if e == nil {
		return nil
	}
	has := false
	plan.Walk(e, func(x plan.Expr) bool {
		if sq, ok := x.(*plan.Subquery); ok && !sq.Correlated {
			has = true
		}
		return !has
	})
	if !has {
		return e
	}
	return plan.Transform(e, func(x plan.Expr) (plan.Expr, bool) {
		sq, ok := x.(*plan.Subquery)
		if !ok || sq.Correlated {
			return nil, false
		}
		y := *sq
		y.E = w.subqueries(sq.E)
		y.Plan = w.under(sq.Plan, false)
		w.pushNeed(y.Plan, nil)
		return &y, true
	})
}
