package vexec

import (
	"github.com/omendb/omendb/sql/plan"
)

// Projection pushdown: which columns of each column scan the operators
// above it read. A column scan fills only those (the others read NULL and
// are never looked at). Every doubt marks all columns needed.

func all(n int) []bool {
	b := make([]bool, n)
	for i := range b {
		b[i] = true
	}
	return b
}

// refs marks the ColRefs of es in need (of width len(need)); it returns
// false when an expression may read the row in ways not visible as ColRefs
// (a correlated subquery reads the row through OuterRefs in its plan).
func refs(need []bool, es ...plan.Expr) bool {
	ok := true
	for _, e := range es {
		plan.Walk(e, func(x plan.Expr) bool {
			switch r := x.(type) {
			case *plan.ColRef:
				if r.Idx >= 0 && r.Idx < len(need) {
					need[r.Idx] = true
				} else {
					ok = false
				}
			case *plan.Subquery:
				if r.Correlated {
					ok = false
				}
			}
			return true
		})
	}
	return ok
}

// pushNeed walks n given which of its output columns are needed (nil = all)
// and records, for every column scan below, the columns it must produce.
func (w *rewriter) pushNeed(n plan.Node, need []bool) {
	width := len(n.Columns())
	if need == nil || len(need) != width {
		need = all(width)
	}
	switch x := n.(type) {
	case *plan.VirtualScan:
		if s := w.byNode[x]; s != nil {
			s.need = need
		}
		if va := w.aggs[x]; va != nil {
			w.pushNeed(va.fallback, nil)
		}
		if j := w.joins[x]; j != nil {
			w.pushNeed(j, need)
		}
		if op := w.sorts[x]; op != nil {
			w.pushNeed(op.fallback, nil)
		}
	case *plan.Filter:
		in := append([]bool(nil), need...)
		if !refs(in, x.Cond) {
			in = nil
		}
		w.pushNeed(x.Input, in)
	case *plan.Project:
		in := make([]bool, len(x.Input.Columns()))
		if !refs(in, x.Exprs...) {
			in = nil
		}
		w.pushNeed(x.Input, in)
	case *plan.Join:
		lw, rw := len(x.Left.Columns()), len(x.Right.Columns())
		comb := make([]bool, lw+rw)
		if x.Kind != plan.SemiJoin && x.Kind != plan.AntiJoin {
			copy(comb, need)
		} else {
			copy(comb, need[:min(lw, len(need))])
		}
		ok := refs(comb, x.Cond)
		l, r := comb[:lw], comb[lw:]
		ok = refs(l, x.LeftKeys...) && ok
		ok = refs(r, x.RightKeys...) && ok
		if !ok {
			l, r = nil, nil
		}
		w.pushNeed(x.Left, l)
		w.pushNeed(x.Right, r)
	case *plan.Aggregate:
		in := make([]bool, len(x.Input.Columns()))
		ok := refs(in, x.GroupBy...)
		for _, a := range x.Aggs {
			ok = refs(in, a.Args...) && ok
			if a.Filter != nil {
				ok = refs(in, a.Filter) && ok
			}
		}
		if !ok {
			in = nil
		}
		w.pushNeed(x.Input, in)
	case *plan.Sort:
		in := append([]bool(nil), need...)
		for _, k := range x.Keys {
			if !refs(in, k.E) {
				in = nil
				break
			}
		}
		w.pushNeed(x.Input, in)
	case *plan.Limit:
		w.pushNeed(x.Input, need)
	case *plan.Distinct:
		w.pushNeed(x.Input, nil)
	case *plan.Window:
		w.pushNeed(x.Input, nil)
	case *plan.Expand:
		w.pushNeed(x.Input, nil)
	case *plan.SetOp:
		w.pushNeed(x.Left, nil)
		w.pushNeed(x.Right, nil)
	case *plan.Materialize:
		w.pushNeed(x.Input, nil)
	}
}
