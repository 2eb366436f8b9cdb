package plan

import (
	"slices"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// maxGroupingSets bounds the grouping sets one GROUP BY expands to (CUBE of
// n elements is 2^n; PostgreSQL's limit is 4096).
const maxGroupingSets = 4096

// bindGroupClause binds GROUP BY: its distinct key expressions and, when it
// uses GROUPING SETS, ROLLUP or CUBE, the grouping sets (positions in the
// keys; nil for a plain GROUP BY). Items combine as PostgreSQL's do: each
// item is a list of sets, and the clause is their cross product.
func (b *Binder) bindGroupClause(items []*pg.Node, targets []*pg.Node, s *scope) ([]Expr, [][]int, error) {
	var keys []Expr
	var keyStr []string
	key := func(n *pg.Node) (int, error) {
		e, err := b.bindGroupItem(n, targets, s)
		if err != nil {
			return 0, err
		}
		if err := needEquality(e.Type()); err != nil {
			return 0, err
		}
		k := ExprKey(e)
		if i := slices.Index(keyStr, k); i >= 0 {
			return i, nil
		}
		keys, keyStr = append(keys, e), append(keyStr, k)
		return len(keys) - 1, nil
	}
	// element is a ROLLUP/CUBE element or a set's member: an expression
	// or a parenthesized list of them.
	keysOf := func(ns []*pg.Node) ([]int, error) {
		var out []int
		for _, c := range ns {
			i, err := key(c)
			if err != nil {
				return nil, err
			}
			out = append(out, i)
		}
		return out, nil
	}
	element := func(n *pg.Node) ([]int, error) {
		if row := n.GetRowExpr(); row != nil {
			return keysOf(row.Args) // (a, b): one element of several keys
		}
		if gs := n.GetGroupingSet(); gs != nil {
			if gs.Kind != pg.GroupingSetKind_GROUPING_SET_SIMPLE {
				return nil, pgerr.NotSupported("nested ROLLUP, CUBE or GROUPING SETS here is not supported")
			}
			return keysOf(gs.Content)
		}
		i, err := key(n)
		return []int{i}, err
	}
	var expand func(n *pg.Node) ([][]int, error)
	expand = func(n *pg.Node) ([][]int, error) {
		gs := n.GetGroupingSet()
		if gs == nil {
			e, err := element(n)
			return [][]int{e}, err
		}
		switch gs.Kind {
		case pg.GroupingSetKind_GROUPING_SET_EMPTY:
			return [][]int{{}}, nil
		case pg.GroupingSetKind_GROUPING_SET_SIMPLE:
			e, err := element(n)
			return [][]int{e}, err
		case pg.GroupingSetKind_GROUPING_SET_ROLLUP, pg.GroupingSetKind_GROUPING_SET_CUBE:
			var elems [][]int
			for _, c := range gs.Content {
				e, err := element(c)
				if err != nil {
					return nil, err
				}
				elems = append(elems, e)
			}
			if gs.Kind == pg.GroupingSetKind_GROUPING_SET_ROLLUP {
				// (e1…en), (e1…en-1), …, ()
				var out [][]int
				for n := len(elems); n >= 0; n-- {
					out = append(out, slices.Concat(elems[:n]...))
				}
				return out, nil
			}
			if len(elems) > 12 {
				return nil, pgerr.New(pgerr.ProgramLimitExceeded, "CUBE is limited to 12 elements")
			}
			// Every subset, the larger ones first, as PostgreSQL orders them.
			var out [][]int
			for size := len(elems); size >= 0; size-- {
				for mask := (1 << len(elems)) - 1; mask >= 0; mask-- {
					if popcount(mask) != size {
						continue
					}
					var set []int
					for i := range elems {
						if mask&(1<<(len(elems)-1-i)) != 0 {
							set = append(set, elems[i]...)
						}
					}
					out = append(out, set)
				}
			}
			return out, nil
		case pg.GroupingSetKind_GROUPING_SET_SETS:
			var out [][]int
			for _, c := range gs.Content {
				sets, err := expand(c)
				if err != nil {
					return nil, err
				}
				out = append(out, sets...)
			}
			return out, nil
		}
		return nil, pgerr.NotSupported("grouping set kind %s is not supported", gs.Kind)
	}
	sets := [][]int{{}}
	grouped := false
	for _, it := range items {
		if it.GetGroupingSet() != nil {
			grouped = true
		}
		add, err := expand(it)
		if err != nil {
			return nil, nil, err
		}
		var next [][]int
		for _, a := range sets {
			for _, c := range add {
				set := slices.Clone(a)
				for _, k := range c {
					if !slices.Contains(set, k) {
						set = append(set, k)
					}
				}
				next = append(next, set)
			}
		}
		if sets = next; len(sets) > maxGroupingSets {
			return nil, nil, pgerr.New(pgerr.ProgramLimitExceeded, "too many grouping sets present (maximum %d)", maxGroupingSets)
		}
	}
	if !grouped {
		return keys, nil, nil
	}
	return keys, sets, nil
}

func popcount(x int) int {
	n := 0
	for ; x != 0; x &= x - 1 {
		n++
	}
	return n
}

// bindGroupingFunc binds GROUPING(args): each argument must be one of the
// GROUP BY expressions (42803).
func (b *Binder) bindGroupingFunc(g *pg.GroupingFunc, s *scope) (Expr, error) {
	if s.agg == nil || !s.agg.allowed {
		return nil, pgerr.New(pgerr.GroupingError, "grouping operations are not allowed here")
	}
	if len(g.Args) > 31 {
		return nil, pgerr.New("54023", "GROUPING must have fewer than 32 arguments")
	}
	saved := s.agg
	s.agg = &aggCtx{allowed: false}
	defer func() { s.agg = saved }()
	var pos []int
	for _, a := range g.Args {
		e, err := b.bindExpr(a, s)
		if err != nil {
			return nil, err
		}
		i := slices.Index(saved.groupKeys, ExprKey(e))
		if i < 0 {
			return nil, pgerr.New(pgerr.GroupingError, "arguments to GROUPING must be grouping expressions of the associated query level")
		}
		pos = append(pos, i)
	}
	for i, p := range saved.grouping {
		if slices.Equal(p, pos) {
			return &GroupingRef{Idx: i}, nil
		}
	}
	saved.grouping = append(saved.grouping, pos)
	return &GroupingRef{Idx: len(saved.grouping) - 1}, nil
}

// groupingUnion computes GROUPING SETS as one aggregation per set over the
// input (materialized once), each padded to agg's layout — every key (NULL
// where the set does not group by it), the aggregates, then each GROUPING
// call's value for that set — and appended (UNION ALL). A plain GROUP BY
// with GROUPING calls is one set of all keys.
func (b *Binder) groupingUnion(agg *Aggregate, sets [][]int, grouping [][]int) Node {
	if sets == nil {
		all := make([]int, len(agg.GroupBy))
		for i := range all {
			all[i] = i
		}
		sets = [][]int{all}
	}
	in := agg.Input
	if len(sets) > 1 {
		b.nextID++
		in = &Materialize{Input: in, ID: b.nextID}
	}
	var out Node
	for _, set := range sets {
		a := &Aggregate{Input: in, Aggs: agg.Aggs}
		for _, k := range set {
			a.GroupBy = append(a.GroupBy, agg.GroupBy[k])
			a.Cols = append(a.Cols, agg.Cols[k])
		}
		a.Cols = append(a.Cols, agg.Cols[len(agg.GroupBy):len(agg.GroupBy)+len(agg.Aggs)]...)
		p := &Project{Input: a, Cols: agg.Cols}
		for i, g := range agg.GroupBy {
			if j := slices.Index(set, i); j >= 0 {
				p.Exprs = append(p.Exprs, &ColRef{Idx: j, T: g.Type()})
			} else {
				p.Exprs = append(p.Exprs, &Const{V: types.Null, T: g.Type()})
			}
		}
		for j, c := range agg.Aggs {
			p.Exprs = append(p.Exprs, &ColRef{Idx: len(set) + j, T: c.Agg.Ret})
		}
		for _, args := range grouping {
			v := int64(0)
			for _, k := range args {
				v <<= 1
				if !slices.Contains(set, k) {
					v |= 1
				}
			}
			p.Exprs = append(p.Exprs, &Const{V: types.NewInt(v), T: types.Int4})
		}
		if out == nil {
			out = p
		} else {
			out = &SetOp{Op: "union", All: true, Left: out, Right: p, Cols: agg.Cols}
		}
	}
	return out
}
