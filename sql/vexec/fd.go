package vexec

import (
	"cmp"
	"slices"

	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

// Functional dependencies among GROUP BY keys.
//
// A query often groups by a table's primary key and, so that it can print
// them, by more columns of the same row (TPC-H Q10 groups by c_custkey,
// c_name, c_acctbal, c_phone, n_name, c_address and c_comment). Every key
// after the first is then a function of it: two rows with the same
// c_custkey have the same c_name, and — through the inner join
// c_nationkey = n_nationkey and nation's primary key — the same n_name.
// Hashing seven keys (five of them long strings) is wasted work: the
// aggregation hashes the determining keys only and takes the others from
// each group's first row (vecAgg.deps), which gives the same groups.
//
// The rules used, each sound for the rows an inner join produces:
//   - a key is determined by itself (GROUP BY a, a);
//   - an inner join's equi-key pair l = r: l determines r and r determines l
//     (rows where either is NULL do not join);
//   - a scan's primary key columns, all determined, determine every
//     column of that scan (the key is unique in the table, and a scan reads
//     one snapshot).
//
// Anything else — expressions, outer joins anywhere below the aggregate
// (a NULL-extended row breaks the join equality), columns of nodes the
// analysis does not look into — determines nothing, so the answer is
// conservative: a key is only dropped from the hash when it is certainly a
// function of the keys kept.

// colOrigin is a column of one scan (by its position in the table).
type colOrigin struct {
	s *plan.Scan
	c int
}

// dependentKeys reports, per GROUP BY key of a, whether it is a function
// of the keys not marked (nil: none is). Keys that are costlier to hash
// (strings, numerics) are tried first, so that an integer key is kept when
// it determines the rest.
func (w *rewriter) dependentKeys(a *plan.Aggregate) []bool {
	if len(a.GroupBy) < 2 {
		return nil
	}
	var eqs [][2]colOrigin
	if !w.fdEqualities(a.Input, &eqs) {
		return nil
	}
	origins := make([]*colOrigin, len(a.GroupBy))
	some := false
	for i, g := range a.GroupBy {
		if r, ok := g.(*plan.ColRef); ok {
			if s, c := w.origin(a.Input, r.Idx); s != nil {
				origins[i] = &colOrigin{s, c}
				some = true
			}
		}
	}
	if !some {
		return nil
	}
	dep := make([]bool, len(a.GroupBy))
	order := make([]int, len(a.GroupBy))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(x, y int) int {
		return cmp.Compare(hashCost(a.GroupBy[y].Type()), hashCost(a.GroupBy[x].Type()))
	})
	found := false
	for _, i := range order {
		if origins[i] == nil {
			continue
		}
		var kept []colOrigin
		for k, o := range origins {
			if k != i && !dep[k] && o != nil {
				kept = append(kept, *o)
			}
		}
		if fdClosure(kept, eqs)(*origins[i]) {
			dep[i], found = true, true
		}
	}
	if !found {
		return nil
	}
	return dep
}

// hashCost ranks a key's type by what hashing it costs: integer-like keys
// take the aggregation's integer paths, the rest are encoded.
func hashCost(t types.Type) int {
	switch types.KindOfType(t) {
	case types.KindInt, types.KindDate, types.KindTimestamp, types.KindBool:
		return 0
	case types.KindFloat:
		return 1
	case types.KindNumeric:
		return 2
	}
	return 3
}

// fdEqualities collects the inner joins' equi-key pairs below n (through
// filters, projections and the rewriter's virtual scans), and reports false
// when n holds an outer join, whose NULL-extended rows break them.
func (w *rewriter) fdEqualities(n plan.Node, eqs *[][2]colOrigin) bool {
	switch x := n.(type) {
	case *plan.VirtualScan:
		if j := w.joins[x]; j != nil {
			return w.fdEqualities(j, eqs)
		}
		return true
	case *plan.Filter:
		return w.fdEqualities(x.Input, eqs)
	case *plan.Project:
		return w.fdEqualities(x.Input, eqs)
	case *plan.Join:
		switch x.Kind {
		case plan.InnerJoin:
			for k := range min(len(x.LeftKeys), len(x.RightKeys)) {
				l, lok := x.LeftKeys[k].(*plan.ColRef)
				r, rok := x.RightKeys[k].(*plan.ColRef)
				if !lok || !rok {
					continue
				}
				ls, lc := w.origin(x.Left, l.Idx)
				rs, rc := w.origin(x.Right, r.Idx)
				if ls != nil && rs != nil {
					*eqs = append(*eqs, [2]colOrigin{{ls, lc}, {rs, rc}})
				}
			}
			return w.fdEqualities(x.Left, eqs) && w.fdEqualities(x.Right, eqs)
		case plan.SemiJoin, plan.AntiJoin:
			return w.fdEqualities(x.Left, eqs) // the right side's columns are not output
		}
		return false
	}
	// A scan, or a node whose columns have no origin (w.origin): it adds
	// no equalities, and an outer join inside it cannot reach the keys.
	return true
}

// fdClosure returns the membership test of the set of columns that the
// columns kept determine under equalities eqs and the scans' primary keys.
func fdClosure(kept []colOrigin, eqs [][2]colOrigin) func(colOrigin) bool {
	cols := map[colOrigin]bool{}
	whole := map[*plan.Scan]bool{} // scans whose primary key is determined
	in := func(o colOrigin) bool { return cols[o] || whole[o.s] }
	for _, o := range kept {
		cols[o] = true
	}
	for changed := true; changed; {
		changed = false
		for _, e := range eqs {
			for k := range 2 {
				if in(e[k]) && !in(e[1-k]) {
					cols[e[1-k]], changed = true, true
				}
			}
		}
		for o := range cols {
			if whole[o.s] {
				continue
			}
			pk := o.s.Table.PK()
			if pk == nil {
				continue
			}
			all := true
			for _, c := range pk.Columns {
				all = all && cols[colOrigin{o.s, c}]
			}
			if all {
				whole[o.s], changed = true, true
			}
		}
	}
	return in
}
