package vexec

import (
	"reflect"
	"slices"

	"github.com/omendb/omendb/sql/plan"
)

// decorrelate turns correlated [NOT] EXISTS conjuncts of cond (evaluated
// over input's rows) into semi/anti hash joins of input with the
// subquery's table: EXISTS (SELECT … FROM t WHERE t.k = outer.k AND p(t)
// [AND r(t, outer)]) becomes input ⋉ σp(t) on outer.k = t.k with residual r.
// Conjuncts comparing with a correlated aggregate subquery become a grouped
// aggregate left-joined to input (scalarJoin, subquery.go). It returns the
// new input and the conjuncts left to evaluate. Subqueries of any other
// shape are left as they are.
func (w *rewriter) decorrelate(input plan.Node, cond plan.Expr) (plan.Node, plan.Expr) {
	var rest, plain, corr []plan.Expr
	for _, c := range conjuncts(cond) {
		switch {
		case isExists(c):
			corr = append(corr, c)
		case !hasOuter(c):
			plain = append(plain, c)
		default:
			rest = append(rest, c)
		}
	}
	if len(corr) == 0 {
		return input, cond
	}
	if len(plain) > 0 {
		// The other conjuncts filter the input first: the joins below
		// see fewer rows and the aggregates' key sets are smaller
		// (reduce).
		input = &plan.Filter{Input: input, Cond: and(plain)}
	}
	for _, c := range corr {
		if j := w.existsJoin(input, c); j != nil {
			input = j
			continue
		}
		if j := w.scalarJoin(input, c); j != nil {
			input = j
			continue
		}
		rest = append(rest, c)
	}
	return input, and(rest)
}

func conjuncts(e plan.Expr) []plan.Expr {
	if e == nil {
		return nil
	}
	if l, ok := e.(*plan.Logic); ok && l.Op == "and" {
		var out []plan.Expr
		for _, a := range l.Args {
			out = append(out, conjuncts(a)...)
		}
		return out
	}
	return []plan.Expr{e}
}

func and(es []plan.Expr) plan.Expr {
	switch len(es) {
	case 0:
		return nil
	case 1:
		return es[0]
	}
	return &plan.Logic{Op: "and", Args: es}
}

// hasSubquery reports whether e contains a subquery or an outer reference
// deeper than depth 1 (neither can be moved into a join condition).
func movable(e plan.Expr) (outer bool, ok bool) {
	ok = true
	plan.Walk(e, func(x plan.Expr) bool {
		switch r := x.(type) {
		case *plan.Subquery, *plan.AggRef:
			ok = false
		case *plan.OuterRef:
			if r.Depth != 1 {
				ok = false
			}
			outer = true
		}
		return ok
	})
	return outer, ok
}

func (w *rewriter) existsJoin(input plan.Node, c plan.Expr) plan.Node {
	not := false
	if l, ok := c.(*plan.Logic); ok && l.Op == "not" && len(l.Args) == 1 {
		c, not = l.Args[0], true
	}
	sq, ok := c.(*plan.Subquery)
	if !ok || sq.Kind != plan.SubExists || !sq.Correlated {
		return nil
	}
	if sq.Not {
		not = !not
	}
	inner := sq.Plan
	if p, ok := inner.(*plan.Project); ok {
		inner = p.Input
	}
	var conds []plan.Expr
	for {
		f, ok := inner.(*plan.Filter)
		if !ok {
			break
		}
		conds = append(conds, conjuncts(f.Cond)...)
		inner = f.Input
	}
	scan, ok := inner.(*plan.Scan)
	if !ok {
		return nil
	}
	conds = append(conds, conjuncts(scan.Filter)...)
	eq := func(col int, e plan.Expr) plan.Expr {
		return &plan.Cmp{Op: "=", L: &plan.ColRef{Idx: col, T: scan.Table.Columns[col].Type, Name: scan.Table.Columns[col].Name}, R: e}
	}
	for i, e := range scan.KeyEq {
		conds = append(conds, eq(scan.Table.PK().Columns[i], e))
	}
	if scan.Index != nil {
		for i, e := range scan.IndexEq {
			conds = append(conds, &plan.Cmp{Op: "=", L: scan.IndexElem(i), R: e})
		}
	}
	lw := len(input.Columns())
	var local, residual, lk, rk []plan.Expr
	for _, e := range conds {
		outer, ok := movable(e)
		if !ok {
			return nil
		}
		if !outer {
			local = append(local, e)
			continue
		}
		if cmp, ok := e.(*plan.Cmp); ok && cmp.Op == "=" && !cmp.Distinct {
			l, r := cmp.L, cmp.R
			if _, ok := l.(*plan.OuterRef); ok {
				l, r = r, l
			}
			cr, ok1 := l.(*plan.ColRef)
			or, ok2 := r.(*plan.OuterRef)
			if ok1 && ok2 && cr.T.OID == or.T.OID && or.Idx < lw {
				lk = append(lk, &plan.ColRef{Idx: or.Idx, T: or.T})
				rk = append(rk, &plan.ColRef{Idx: cr.Idx, T: cr.T, Name: cr.Name})
				continue
			}
		}
		bad := false
		residual = append(residual, plan.Transform(e, func(x plan.Expr) (plan.Expr, bool) {
			switch r := x.(type) {
			case *plan.OuterRef:
				if r.Idx >= lw {
					bad = true
				}
				return &plan.ColRef{Idx: r.Idx, T: r.T}, true
			case *plan.ColRef:
				return &plan.ColRef{Idx: lw + r.Idx, T: r.T, Name: r.Name}, true
			}
			return nil, false
		}))
		if bad {
			return nil
		}
	}
	if len(lk) == 0 {
		return nil
	}
	right := *scan
	right.ClearAccess("decorrelated EXISTS")
	right.Filter = and(local)
	kind := plan.SemiJoin
	if not {
		kind = plan.AntiJoin
	}
	w.decorrelated++
	return &plan.Join{Kind: kind, Left: input, Right: w.under(&right, false), LeftKeys: lk, RightKeys: rk,
		Cond: and(residual), Cols: input.Columns()}
}

// isExists reports whether c is a correlated [NOT] EXISTS subquery or a
// conjunct with a correlated scalar subquery (both are decorrelation
// candidates).
func isExists(c plan.Expr) bool {
	if corrScalar(c) != nil {
		return true
	}
	if l, ok := c.(*plan.Logic); ok && l.Op == "not" && len(l.Args) == 1 {
		c = l.Args[0]
	}
	sq, ok := c.(*plan.Subquery)
	return ok && sq.Kind == plan.SubExists && sq.Correlated
}

// orKeys finds equalities left.a = right.b that every branch of an OR
// conjunct of an inner join's condition requires (TPC-H Q19's shape), so
// the join can hash on them; the whole condition stays as the residual.
func orKeys(j *plan.Join) (lk, rk []plan.Expr) {
	lw := len(j.Left.Columns())
	type pair struct{ a, b int }
	eqs := func(e plan.Expr) map[pair]*plan.ColRef {
		out := map[pair]*plan.ColRef{}
		for _, c := range conjuncts(e) {
			cmp, ok := c.(*plan.Cmp)
			if !ok || cmp.Op != "=" || cmp.Distinct {
				continue
			}
			l, ok1 := cmp.L.(*plan.ColRef)
			r, ok2 := cmp.R.(*plan.ColRef)
			if !ok1 || !ok2 || l.T.OID != r.T.OID {
				continue
			}
			if l.Idx >= lw {
				l, r = r, l
			}
			if l.Idx < lw && r.Idx >= lw {
				out[pair{l.Idx, r.Idx}] = l
			}
		}
		return out
	}
	for _, c := range conjuncts(j.Cond) {
		or, ok := c.(*plan.Logic)
		if !ok || or.Op != "or" || len(or.Args) == 0 {
			continue
		}
		common := eqs(or.Args[0])
		for _, b := range or.Args[1:] {
			next := eqs(b)
			for p := range common {
				if _, ok := next[p]; !ok {
					delete(common, p)
				}
			}
		}
		for p, l := range common {
			lk = append(lk, &plan.ColRef{Idx: p.a, T: l.T})
			rk = append(rk, &plan.ColRef{Idx: p.b - lw, T: l.T})
		}
		if len(lk) > 0 {
			return lk, rk
		}
	}
	return nil, nil
}

// pushDown moves the conjuncts of a filter above a join that read only one
// side into that side (into a scan's own filter, where zone maps and the
// vectorized comparisons use them): both sides of an inner join, the
// preserved side of a left, semi or anti join (the left) and of a right
// join (the right). Conjuncts with subqueries (but an uncorrelated IN,
// whose set is computed once: TPC-H Q18, Q20), outer references or
// functions that are not immutable stay above. It returns the new input
// and the conjuncts left.
func pushDown(in plan.Node, cond plan.Expr) (plan.Node, plan.Expr) {
	j, ok := in.(*plan.Join)
	if !ok || cond == nil {
		return in, cond
	}
	lw := len(j.Left.Columns())
	width := len(j.Columns())
	var left, right, keep []plan.Expr
	for _, c := range conjuncts(cond) {
		lo, hi, ok := colRange(c)
		safe := ok && parallelSafe(c) && hi < width
		switch {
		case safe && hi < lw && lo >= 0 && (j.Kind == plan.InnerJoin || j.Kind == plan.LeftJoin || j.Kind == plan.SemiJoin || j.Kind == plan.AntiJoin):
			left = append(left, c)
		case safe && lo >= lw && (j.Kind == plan.InnerJoin || j.Kind == plan.RightJoin):
			right = append(right, shiftCols(c, -lw))
		default:
			keep = append(keep, c)
			// An OR over both sides implies, for each side, the OR of
			// each disjunct's conjuncts over that side alone (when every
			// disjunct has some): pushed down as well, the OR stays above.
			if j.Kind == plan.InnerJoin || j.Kind == plan.LeftJoin || j.Kind == plan.SemiJoin || j.Kind == plan.AntiJoin {
				if d := implied(c, 0, lw); d != nil {
					left = append(left, d)
				}
			}
			if j.Kind == plan.InnerJoin || j.Kind == plan.RightJoin {
				if d := implied(c, lw, width); d != nil {
					right = append(right, shiftCols(d, -lw))
				}
			}
		}
	}
	if len(left) == 0 && len(right) == 0 {
		return in, cond
	}
	y := *j
	if len(left) > 0 {
		y.Left = addFilter(y.Left, and(left))
	}
	if len(right) > 0 {
		y.Right = addFilter(y.Right, and(right))
	}
	return &y, and(keep)
}

// colRange returns the smallest and largest column e reads; ok is false
// when it reads none.
func colRange(e plan.Expr) (lo, hi int, ok bool) {
	lo, hi = 1<<30, -1
	plan.Walk(e, func(x plan.Expr) bool {
		if r, isRef := x.(*plan.ColRef); isRef {
			lo, hi = min(lo, r.Idx), max(hi, r.Idx)
		}
		return true
	})
	return lo, hi, hi >= 0
}

func hasSubquery(e plan.Expr) bool {
	found := false
	plan.Walk(e, func(x plan.Expr) bool {
		if _, ok := x.(*plan.Subquery); ok {
			found = true
		}
		return !found
	})
	return found
}

func shiftCols(e plan.Expr, d int) plan.Expr {
	return plan.Transform(e, func(x plan.Expr) (plan.Expr, bool) {
		if r, ok := x.(*plan.ColRef); ok {
			y := *r
			y.Idx += d
			return &y, true
		}
		return nil, false
	})
}

// addFilter filters n by cond: into a scan's own filter, or above n.
func addFilter(n plan.Node, cond plan.Expr) plan.Node {
	switch x := n.(type) {
	case *plan.Scan:
		y := *x
		if y.Filter != nil {
			y.Filter = and([]plan.Expr{y.Filter, cond})
		} else {
			y.Filter = cond
		}
		return &y
	case *plan.Filter:
		return &plan.Filter{Input: x.Input, Cond: and([]plan.Expr{x.Cond, cond})}
	}
	return &plan.Filter{Input: n, Cond: cond}
}

// implied returns, for an OR c, the predicate over columns [lo, hi) that c
// implies: the OR of each disjunct's conjuncts that read only those
// columns, or nil when some disjunct has none (or c is no OR).
func implied(c plan.Expr, lo, hi int) plan.Expr {
	or, ok := c.(*plan.Logic)
	if !ok || or.Op != "or" {
		return nil
	}
	var lists [][]plan.Expr
	for _, d := range or.Args {
		var mine []plan.Expr
		for _, p := range conjuncts(d) {
			if inner := implied(p, lo, hi); inner != nil {
				mine = append(mine, conjuncts(inner)...)
				continue
			}
			l, h, ok := colRange(p)
			if ok && l >= lo && h < hi && parallelSafe(p) && !hasSubquery(p) {
				mine = append(mine, p)
			}
		}
		if len(mine) == 0 {
			return nil
		}
		lists = append(lists, mine)
	}
	// Conjuncts every alternative has are factored out, (a AND x) OR (a
	// AND y) = a AND (x OR y), so a scan filters on them first (TPC-H
	// Q19: l_shipinstruct and l_shipmode before the quantity ranges).
	same := func(p plan.Expr) func(plan.Expr) bool {
		return func(q plan.Expr) bool { return reflect.DeepEqual(p, q) }
	}
	var common []plan.Expr
	for _, p := range lists[0] {
		inAll := !slices.ContainsFunc(common, same(p))
		for _, l := range lists[1:] {
			inAll = inAll && slices.ContainsFunc(l, same(p))
		}
		if inAll {
			common = append(common, p)
		}
	}
	var alts []plan.Expr
	for _, l := range lists {
		var rest []plan.Expr
		for _, p := range l {
			if !slices.ContainsFunc(common, same(p)) {
				rest = append(rest, p)
			}
		}
		if len(rest) == 0 {
			return and(common) // this alternative is the common part: the OR adds nothing
		}
		alts = append(alts, and(rest))
	}
	return and(append(common, &plan.Logic{Op: "or", Args: alts}))
}

// reduce restricts a decorrelated aggregate's input (inner, grouped by
// its columns keys) to the key values the outer rows can have: when the
// outer columns outerCols of input all come from one filtered scan
// selective enough (at most half its table), inner becomes a semi join
// with that scan on the keys, pushed down to the inner leaf that has the
// key columns (TPC-H Q2, Q17, Q20: the minimum, average or sum is then
// computed for the qualifying parts only, not for every part). Groups
// whose key no outer row has are never read by the left join above, so
// the answer is the same.
func (w *rewriter) reduce(inner plan.Node, keys []int, input plan.Node, outerCols []int) plan.Node {
	src, srcCols := keySource(input, outerCols)
	if src == nil {
		return inner
	}
	var scan *plan.Scan
	switch x := src.(type) {
	case *plan.Scan:
		scan = x
	case *plan.Filter:
		scan = x.Input.(*plan.Scan)
		if hasOuter(x.Cond) {
			return inner
		}
	}
	if scan.Filter != nil && hasOuter(scan.Filter) {
		return inner
	}
	w.statsReady()
	if w.card(src) > w.tableStats(scan).rows/2 {
		return inner
	}
	srcTypes := src.Columns()
	mk := func(n plan.Node, ks []int) plan.Node {
		cols := n.Columns()
		j := &plan.Join{Kind: plan.SemiJoin, Left: n, Right: src, Cols: cols}
		for i, k := range ks {
			j.LeftKeys = append(j.LeftKeys, &plan.ColRef{Idx: k, T: cols[k].T, Name: cols[k].Name})
			j.RightKeys = append(j.RightKeys, &plan.ColRef{Idx: srcCols[i], T: srcTypes[srcCols[i]].T, Name: srcTypes[srcCols[i]].Name})
		}
		return j
	}
	return pushSemi(inner, keys, mk)
}

// keySource follows columns cols of n down through filters, projections
// of column references and inner joins to one scan (or a filter over
// one) that has them all, and returns it with the columns' positions in
// it; nil when they part ways or meet another node.
func keySource(n plan.Node, cols []int) (plan.Node, []int) {
	cols = append([]int(nil), cols...)
	for {
		switch x := n.(type) {
		case *plan.Scan:
			return x, cols
		case *plan.Filter:
			if _, ok := x.Input.(*plan.Scan); ok {
				return x, cols
			}
			n = x.Input
		case *plan.Project:
			for i, c := range cols {
				r, ok := x.Exprs[c].(*plan.ColRef)
				if !ok {
					return nil, nil
				}
				cols[i] = r.Idx
			}
			n = x.Input
		case *plan.Join:
			lw := len(x.Left.Columns())
			left, right := 0, 0
			for _, c := range cols {
				if c < lw {
					left++
				} else {
					right++
				}
			}
			switch {
			case right == 0 && x.Kind != plan.RightJoin && x.Kind != plan.FullJoin:
				n = x.Left
			case left == 0 && x.Kind == plan.InnerJoin:
				for i := range cols {
					cols[i] -= lw
				}
				n = x.Right
			default:
				return nil, nil
			}
		default:
			return nil, nil
		}
	}
}

// pushSemi applies mk (a semi join on columns keys) to n, below n's
// filters and inner joins when one side has all the key columns.
func pushSemi(n plan.Node, keys []int, mk func(plan.Node, []int) plan.Node) plan.Node {
	switch x := n.(type) {
	case *plan.Filter:
		y := *x
		y.Input = pushSemi(x.Input, keys, mk)
		return &y
	case *plan.Join:
		if x.Kind != plan.InnerJoin {
			break
		}
		lw := len(x.Left.Columns())
		lo, hi := keys[0], keys[0]
		for _, k := range keys {
			lo, hi = min(lo, k), max(hi, k)
		}
		y := *x
		switch {
		case hi < lw:
			y.Left = pushSemi(x.Left, keys, mk)
			return &y
		case lo >= lw:
			shifted := make([]int, len(keys))
			for i, k := range keys {
				shifted[i] = k - lw
			}
			y.Right = pushSemi(x.Right, shifted, mk)
			return &y
		}
	}
	return mk(n, keys)
}
