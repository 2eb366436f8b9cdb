package plan

import (
	"fmt"
	"slices"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql/funcs"
	"github.com/omendb/omendb/types"
)

// BindQuery binds a SELECT (or VALUES) statement.
func (b *Binder) BindQuery(sel *pg.SelectStmt) (*Query, error) {
	b.enterTop(sel.WithClause)
	n, err := b.bindSelect(sel, &scope{})
	if err != nil {
		return nil, err
	}
	mods, err := b.topModifying()
	if err != nil {
		return nil, err
	}
	return &Query{Root: n, Params: b.FinalParams(), Locking: b.Locking, Modifying: mods}, nil
}

// bindWith binds a WITH clause's CTEs and makes them visible to the
// statement being bound in s until pop is called. A CTE that reads the
// enclosing query's row marks s correlated.
func (b *Binder) bindWith(with *pg.WithClause, s *scope) (pop func(), err error) {
	ctes := map[string]*cteDef{}
	b.ctes = append(b.ctes, ctes)
	n := len(b.ctes)
	unwind := func() { b.ctes = b.ctes[:n-1] }
	defer func() {
		if err != nil {
			unwind()
		}
	}()
	for _, c := range with.Ctes {
		cte := c.GetCommonTableExpr()
		q := cte.Ctequery.GetSelectStmt()
		if q == nil {
			if with != b.topWith {
				return nil, pgerr.NotSupported("WITH clause containing a data-modifying statement must be at the top level")
			}
			def, err := b.bindModifyingCTE(cte)
			if err != nil {
				return nil, err
			}
			ctes[cte.Ctename] = def
			continue
		}
		if with.Recursive && refersTo(q, cte.Ctename) {
			def, err := b.bindRecursiveCTE(cte, q, ctes, s)
			if err != nil {
				return nil, err
			}
			ctes[cte.Ctename] = def
			continue
		}
		cs := &scope{parent: s.parent}
		node, err := b.bindSelect(q, cs)
		if err != nil {
			return nil, err
		}
		if cs.correlated {
			s.correlated = true // reads the enclosing query's row
		}
		cols := append([]Column(nil), node.Columns()...)
		for i, a := range nodeName(cte.Aliascolnames) {
			if i < len(cols) {
				cols[i].Name = a
			}
		}
		b.nextID++
		ctes[cte.Ctename] = &cteDef{node: &Materialize{Input: node, ID: b.nextID, Correlated: cs.correlated}, cols: cols, id: b.nextID}
	}
	return unwind, nil
}

// bindSelect binds a SELECT; s is a fresh scope whose parent (if any) is the
// enclosing query's scope.
func (b *Binder) bindSelect(sel *pg.SelectStmt, s *scope) (Node, error) {
	if sel.WithClause != nil {
		pop, err := b.bindWith(sel.WithClause, s)
		if err != nil {
			return nil, err
		}
		defer pop()
	}
	if sel.Op != pg.SetOperation_SETOP_NONE && sel.Op != pg.SetOperation_SET_OPERATION_UNDEFINED {
		return b.bindSetOp(sel, s)
	}
	if len(sel.ValuesLists) > 0 {
		n, err := b.bindValues(sel.ValuesLists, s, nil)
		if err != nil {
			return nil, err
		}
		return b.bindOrderLimit(sel, n, nil, s)
	}
	if sel.IntoClause != nil {
		return nil, pgerr.NotSupported("SELECT INTO is not supported yet")
	}
	outerLocking := b.locking
	b.locking = nil // a subquery's FROM is not this SELECT's
	defer func() { b.locking = outerLocking }()
	var lock *lockSpec
	if len(sel.LockingClause) > 0 {
		var err error
		if lock, err = bindLockingClause(sel); err != nil {
			return nil, err
		}
		b.Locking = true
	}

	rewriteSRFTarget(sel)

	// FROM
	var input Node = &One{}
	var conjuncts []Expr
	if len(sel.FromClause) > 0 {
		var err error
		b.locking = lock
		input, conjuncts, err = b.bindFrom(sel.FromClause, sel.WhereClause, s)
		b.locking = nil
		if err != nil {
			return nil, err
		}
		if lock != nil {
			if err := b.finishLocking(lock, sel, s); err != nil {
				return nil, err
			}
		}
	} else if sel.WhereClause != nil {
		w, err := b.bindExpr(sel.WhereClause, s)
		if err != nil {
			return nil, err
		}
		if w, err = b.coerceBool(w, "argument of WHERE"); err != nil {
			return nil, err
		}
		conjuncts = append(conjuncts, w)
	}
	if len(conjuncts) > 0 {
		input = &Filter{Input: input, Cond: and(conjuncts)}
	}

	// Aggregation?
	hasAgg := len(sel.GroupClause) > 0 || sel.HavingClause != nil || containsAgg(sel.TargetList) || containsAggSort(sel.SortClause)
	if lock != nil {
		if err := lockingAllowed(sel, hasAgg); err != nil {
			return nil, err
		}
	}
	var groupKeys []string
	var groupSets [][]int // GROUPING SETS / ROLLUP / CUBE: positions in GroupBy
	var aggNode *Aggregate
	if hasAgg {
		aggNode = &Aggregate{Input: input}
		s.agg = &aggCtx{allowed: false}
		var err error
		if aggNode.GroupBy, groupSets, err = b.bindGroupClause(sel.GroupClause, sel.TargetList, s); err != nil {
			return nil, err
		}
		for _, e := range aggNode.GroupBy {
			groupKeys = append(groupKeys, ExprKey(e))
		}
		s.agg.groupKeys = groupKeys
		s.agg.allowed = true
	}

	// Window functions?
	if hasWindow(sel.TargetList, sel.SortClause) {
		s.win = &winCtx{allowed: true, named: map[string]*pg.WindowDef{}}
		for _, wn := range sel.WindowClause {
			wd := wn.GetWindowDef()
			if _, dup := s.win.named[wd.Name]; dup {
				return nil, pgerr.New(windowingError, "window %q is already defined", wd.Name)
			}
			s.win.named[wd.Name] = wd
		}
	}

	s.srf = &srfCtx{}

	// Target list.
	var exprs []Expr
	var cols []Column
	for _, t := range sel.TargetList {
		rt := t.GetResTarget()
		if cr := rt.Val.GetColumnRef(); cr != nil && isStar(cr) {
			es, cs, err := b.expandStar(cr, s)
			if err != nil {
				return nil, err
			}
			exprs = append(exprs, es...)
			cols = append(cols, cs...)
			continue
		}
		e, err := b.bindExpr(rt.Val, s)
		if err != nil {
			return nil, err
		}
		name := rt.Name
		if name == "" {
			name = figureColname(rt.Val)
		}
		col := Column{Name: name, T: finalType(e.Type())}
		if cr, ok := e.(*ColRef); ok && !hasAgg {
			for _, sc := range s.cols {
				if sc.idx == cr.Idx {
					col.TableOID, col.AttNum = sc.tblOID, sc.attnum
				}
			}
		}
		if _, isConst := e.(*Const); isConst && isUnknown(e.Type()) && (b.setOpArms[sel] || b.insertSource == sel) {
			// Resolved by bindSetOp; or, in an INSERT's SELECT, by the
			// target column, as PostgreSQL leaves the source's unknown
			// literals and NULLs unresolved (INSERT … SELECT NULL, '2020-01-01').
			col.T = e.Type()
		} else if _, param := e.(*Param); isUnknown(e.Type()) && !(param && b.insertSource == sel) {
			// An INSERT's SELECT keeps a bare parameter's type open:
			// the target column gives it (inferOutputParams).
			if e, err = b.coerce(e, types.Text, false); err != nil {
				return nil, err
			}
		}
		exprs = append(exprs, e)
		cols = append(cols, col)
	}

	var having Expr
	if sel.HavingClause != nil {
		win, srf := s.win, s.srf
		s.win, s.srf = nil, nil // no window or set-returning functions in HAVING
		h, err := b.bindExpr(sel.HavingClause, s)
		s.win, s.srf = win, srf
		if err != nil {
			return nil, err
		}
		if having, err = b.coerceBool(h, "argument of HAVING"); err != nil {
			return nil, err
		}
	}

	// ORDER BY keys are bound now (they may add aggregates). DISTINCT ON's
	// expressions are bound with them, as ascending sort keys in front
	// (they name output columns and positions the way ORDER BY does), and
	// split off when the projection is built.
	sortItems := sel.SortClause
	nOn := 0
	if distinctOn(sel) {
		nOn = len(sel.DistinctClause)
		sortItems = make([]*pg.Node, 0, nOn+len(sel.SortClause))
		for _, d := range sel.DistinctClause {
			sortItems = append(sortItems, &pg.Node{Node: &pg.Node_SortBy{SortBy: &pg.SortBy{Node: d}}})
		}
		sortItems = append(sortItems, sel.SortClause...)
	}
	sortExprs, err := b.bindSortExprs(sortItems, sel.TargetList, exprs, s)
	if err != nil {
		return nil, err
	}

	if hasAgg {
		aggNode.Aggs = s.agg.calls
		for i, g := range aggNode.GroupBy {
			aggNode.Cols = append(aggNode.Cols, Column{Name: fmt.Sprintf("group%d", i), T: g.Type()})
		}
		for _, a := range aggNode.Aggs {
			aggNode.Cols = append(aggNode.Cols, Column{Name: a.Name, T: a.Agg.Ret})
		}
		grouping := s.agg.grouping
		for range grouping {
			aggNode.Cols = append(aggNode.Cols, Column{Name: "grouping", T: types.Int4})
		}
		rw := func(e Expr) (Expr, error) { return rewriteAgg(e, groupKeys, len(aggNode.GroupBy)+len(aggNode.Aggs)) }
		for i := range exprs {
			if exprs[i], err = rw(exprs[i]); err != nil {
				return nil, err
			}
		}
		if having != nil {
			if having, err = rw(having); err != nil {
				return nil, err
			}
		}
		for i := range sortExprs {
			if sortExprs[i].E, err = rw(sortExprs[i].E); err != nil {
				return nil, err
			}
		}
		s.agg = nil
		input = aggNode
		if groupSets != nil || len(grouping) > 0 {
			input = b.groupingUnion(aggNode, groupSets, grouping)
		}
		if having != nil {
			input = &Filter{Input: input, Cond: having}
		}
	}

	srf := s.srf
	s.srf = nil
	if len(srf.calls) > 0 {
		if lock != nil {
			return nil, pgerr.NotSupported("FOR UPDATE is not allowed with set-returning functions in the target list")
		}
		if hasAgg || s.win != nil {
			return nil, pgerr.NotSupported("set-returning functions with aggregates or window functions are not supported yet")
		}
		sortEs := make([]Expr, len(sortExprs))
		for i := range sortExprs {
			sortEs[i] = sortExprs[i].E
		}
		if input, err = placeSRFs(input, srf, exprs, sortEs); err != nil {
			return nil, err
		}
		for i := range sortExprs {
			sortExprs[i].E = sortEs[i]
		}
	}
	if s.win != nil {
		calls := s.win.calls
		s.win = nil
		if hasAgg {
			rw := func(e Expr) (Expr, error) {
				return rewriteAgg(e, groupKeys, len(aggNode.GroupBy)+len(aggNode.Aggs))
			}
			for i := range calls {
				c := &calls[i]
				for _, es := range [][]Expr{c.Args, c.Partition} {
					for j := range es {
						if es[j], err = rw(es[j]); err != nil {
							return nil, err
						}
					}
				}
				for j := range c.Order {
					if c.Order[j].E, err = rw(c.Order[j].E); err != nil {
						return nil, err
					}
				}
				if c.Filter != nil {
					if c.Filter, err = rw(c.Filter); err != nil {
						return nil, err
					}
				}
			}
		}
		sortEs := make([]Expr, len(sortExprs))
		for i := range sortExprs {
			sortEs[i] = sortExprs[i].E
		}
		input = placeWindow(input, calls, exprs, sortEs)
		for i := range sortExprs {
			sortExprs[i].E = sortEs[i]
		}
	}

	// Projection with hidden sort columns appended.
	proj := &Project{Input: input, Exprs: exprs, Cols: cols}
	var keys []SortKey
	for _, sk := range sortExprs {
		idx := -1
		for i, e := range proj.Exprs {
			if ExprKey(e) == ExprKey(sk.E) {
				idx = i
				break
			}
		}
		if idx < 0 {
			if len(sel.DistinctClause) > 0 && nOn == 0 {
				return nil, pgerr.New(pgerr.InvalidColumnReference, "for SELECT DISTINCT, ORDER BY expressions must appear in select list")
			}
			proj.Exprs = append(proj.Exprs, sk.E)
			proj.Cols = append(proj.Cols, Column{Name: "?sort?", T: sk.E.Type()})
			idx = len(proj.Exprs) - 1
		}
		keys = append(keys, SortKey{E: &ColRef{Idx: idx, T: sk.E.Type()}, Desc: sk.Desc, NullsFirst: sk.NullsFirst})
	}
	var out Node = proj
	if nOn > 0 {
		sorted, on, err := distinctOnKeys(keys[:nOn], keys[nOn:])
		if err != nil {
			return nil, err
		}
		out = &Distinct{Input: &Sort{Input: out, Keys: sorted}, On: on}
		return b.finishOrderLimit(sel, out, nil, len(cols), s)
	}
	if len(sel.DistinctClause) > 0 {
		if err := needEqualityCols(cols); err != nil {
			return nil, err
		}
		out = &Distinct{Input: out}
	}
	if lock != nil && len(lock.targets) > 0 {
		// Rows are locked as they leave the sort, so a LIMIT locks only
		// the rows it returns.
		if len(keys) > 0 {
			out = &Sort{Input: out, Keys: keys}
		}
		out = lock.node(out, proj, len(exprs), s.width)
		return b.finishOrderLimit(sel, out, nil, len(cols), s)
	}
	return b.finishOrderLimit(sel, out, keys, len(cols), s)
}

// distinctOn reports whether sel is SELECT DISTINCT ON (…) (a plain
// DISTINCT's clause is one nil item).
func distinctOn(sel *pg.SelectStmt) bool {
	return len(sel.DistinctClause) > 1 || len(sel.DistinctClause) == 1 && sel.DistinctClause[0] != nil && sel.DistinctClause[0].Node != nil
}

// distinctOnKeys checks DISTINCT ON's keys against ORDER BY's, as
// PostgreSQL does: the DISTINCT ON expressions must match the leading ORDER
// BY items, in any order (42P10 otherwise); those ORDER BY leaves out
// follow them, ascending. It returns the sort that brings each DISTINCT ON
// group together with its first row in front, and the group's columns.
func distinctOnKeys(on, order []SortKey) ([]SortKey, []int, error) {
	col := func(k SortKey) int { return k.E.(*ColRef).Idx }
	var cols []int
	for _, k := range on {
		if !slices.Contains(cols, col(k)) {
			cols = append(cols, col(k))
		}
	}
	matched := map[int]bool{}
	for _, k := range order {
		if slices.Contains(cols, col(k)) {
			matched[col(k)] = true
		} else if len(matched) < len(cols) {
			return nil, nil, pgerr.New(pgerr.InvalidColumnReference, "SELECT DISTINCT ON expressions must match initial ORDER BY expressions")
		}
	}
	sorted := append([]SortKey(nil), order...)
	for _, k := range on {
		if !matched[col(k)] {
			matched[col(k)] = true
			sorted = append(sorted, k)
		}
	}
	return sorted, cols, nil
}

// rewriteSRFTarget turns `SELECT generate_series(…) [AS x]` without FROM
// into `SELECT x FROM generate_series(…) AS x`, the one set-returning
// target-list form clients use often. Other set-returning calls in the
// select list fail with 0A000 when bound.
func rewriteSRFTarget(sel *pg.SelectStmt) {
	if len(sel.FromClause) > 0 || len(sel.TargetList) != 1 {
		return
	}
	rt := sel.TargetList[0].GetResTarget()
	fc := rt.Val.GetFuncCall()
	if fc == nil || len(fc.Funcname) == 0 || opName(fc.Funcname) != "generate_series" || fc.Over != nil {
		return
	}
	name := rt.Name
	if name == "" {
		name = "generate_series"
	}
	sel.FromClause = []*pg.Node{{Node: &pg.Node_RangeFunction{RangeFunction: &pg.RangeFunction{
		Functions: []*pg.Node{pg.MakeListNode([]*pg.Node{rt.Val, nil})},
		Alias:     &pg.Alias{Aliasname: name},
	}}}}
	sel.TargetList = []*pg.Node{{Node: &pg.Node_ResTarget{ResTarget: &pg.ResTarget{
		Name: rt.Name,
		Val:  pg.MakeColumnRefNode([]*pg.Node{pg.MakeStrNode(name)}, rt.Location),
	}}}}
}

func (b *Binder) finishOrderLimit(sel *pg.SelectStmt, out Node, keys []SortKey, visible int, s *scope) (Node, error) {
	var sort *Sort
	if len(keys) > 0 {
		sort = &Sort{Input: out, Keys: keys}
		out = sort
	}
	if sel.LimitCount != nil || sel.LimitOffset != nil {
		if sel.LimitOption == pg.LimitOption_LIMIT_OPTION_WITH_TIES {
			return nil, pgerr.NotSupported("FETCH … WITH TIES is not supported yet")
		}
		l := &Limit{Input: out}
		var err error
		if sel.LimitCount != nil && !isNullConst(sel.LimitCount) {
			if l.Count, err = b.bindLimitExpr(sel.LimitCount, "LIMIT"); err != nil {
				return nil, err
			}
		}
		if sel.LimitOffset != nil {
			if l.Offset, err = b.bindLimitExpr(sel.LimitOffset, "OFFSET"); err != nil {
				return nil, err
			}
		}
		out = l
	}
	lim, _ := out.(*Limit)
	markLimit(sort, lim)
	if cols := out.Columns(); len(cols) > visible {
		p := &Project{Input: out, Cols: cols[:visible]}
		for i := 0; i < visible; i++ {
			p.Exprs = append(p.Exprs, &ColRef{Idx: i, T: cols[i].T, Name: cols[i].Name})
		}
		out = p
	}
	return out, nil
}

func isNullConst(n *pg.Node) bool {
	c := n.GetAConst()
	return c != nil && c.Isnull
}

func (b *Binder) bindLimitExpr(n *pg.Node, what string) (Expr, error) {
	e, err := b.bindExpr(n, &scope{})
	if err != nil {
		return nil, err
	}
	return b.coerce(e, types.Int8, false)
}

// bindOrderLimit handles ORDER BY / LIMIT over a node whose output columns
// are the visible ones (VALUES, set operations).
func (b *Binder) bindOrderLimit(sel *pg.SelectStmt, n Node, _ []Expr, s *scope) (Node, error) {
	cols := n.Columns()
	var keys []SortKey
	for _, sn := range sel.SortClause {
		sb := sn.GetSortBy()
		idx := -1
		if c := sb.Node.GetAConst(); c != nil {
			if iv, ok := c.Val.(*pg.A_Const_Ival); ok {
				idx = int(iv.Ival.Ival) - 1
				if idx < 0 || idx >= len(cols) {
					return nil, pgerr.New(pgerr.InvalidColumnReference, "ORDER BY position %d is not in select list", iv.Ival.Ival)
				}
			}
		} else if cr := sb.Node.GetColumnRef(); cr != nil && len(cr.Fields) == 1 {
			name := nodeName(cr.Fields)
			for i, c := range cols {
				if len(name) == 1 && c.Name == name[0] {
					idx = i
					break
				}
			}
		}
		if idx < 0 {
			return nil, pgerr.NotSupported("ORDER BY over a set operation must name an output column")
		}
		if err := needOrdering(cols[idx].T); err != nil {
			return nil, err
		}
		desc := sb.SortbyDir == pg.SortByDir_SORTBY_DESC
		keys = append(keys, SortKey{E: &ColRef{Idx: idx, T: cols[idx].T}, Desc: desc, NullsFirst: nullsFirst(sb, desc)})
	}
	return b.finishOrderLimit(sel, n, keys, len(cols), s)
}

func nullsFirst(sb *pg.SortBy, desc bool) bool {
	switch sb.SortbyNulls {
	case pg.SortByNulls_SORTBY_NULLS_FIRST:
		return true
	case pg.SortByNulls_SORTBY_NULLS_LAST:
		return false
	}
	return desc // PostgreSQL: NULLs sort as larger than any value
}

type sortExpr struct {
	E          Expr
	Desc       bool
	NullsFirst bool
}

// bindSortExprs binds ORDER BY items: output positions, output column
// names, or expressions over the input.
func (b *Binder) bindSortExprs(items []*pg.Node, targets []*pg.Node, exprs []Expr, s *scope) ([]sortExpr, error) {
	var out []sortExpr
	for _, it := range items {
		sb := it.GetSortBy()
		if sb.SortbyDir == pg.SortByDir_SORTBY_USING {
			return nil, pgerr.NotSupported("ORDER BY … USING is not supported yet")
		}
		desc := sb.SortbyDir == pg.SortByDir_SORTBY_DESC
		var e Expr
		if c := sb.Node.GetAConst(); c != nil {
			if iv, ok := c.Val.(*pg.A_Const_Ival); ok {
				pos := int(iv.Ival.Ival)
				if pos < 1 || pos > len(exprs) {
					return nil, pgerr.New(pgerr.InvalidColumnReference, "ORDER BY position %d is not in select list", pos)
				}
				e = exprs[pos-1]
			}
		}
		if e == nil {
			if cr := sb.Node.GetColumnRef(); cr != nil && len(cr.Fields) == 1 && !isStar(cr) {
				name := nodeName(cr.Fields)[0]
				for i, t := range targets {
					if rt := t.GetResTarget(); rt != nil && rt.Name == name && i < len(exprs) {
						e = exprs[i]
						break
					}
				}
			}
		}
		if e == nil {
			var err error
			if e, err = b.bindExpr(sb.Node, s); err != nil {
				return nil, err
			}
		}
		if err := needOrdering(e.Type()); err != nil {
			return nil, err
		}
		out = append(out, sortExpr{E: e, Desc: desc, NullsFirst: nullsFirst(sb, desc)})
	}
	return out, nil
}

// bindGroupItem binds a GROUP BY item: an output position, an output alias,
// or an expression over the input.
func (b *Binder) bindGroupItem(g *pg.Node, targets []*pg.Node, s *scope) (Expr, error) {
	if c := g.GetAConst(); c != nil {
		if iv, ok := c.Val.(*pg.A_Const_Ival); ok {
			pos := int(iv.Ival.Ival)
			if pos < 1 || pos > len(targets) {
				return nil, pgerr.New(pgerr.InvalidColumnReference, "GROUP BY position %d is not in select list", pos)
			}
			return b.bindExpr(targets[pos-1].GetResTarget().Val, s)
		}
	}
	if cr := g.GetColumnRef(); cr != nil && len(cr.Fields) == 1 && !isStar(cr) {
		name := nodeName(cr.Fields)[0]
		if c, err := s.resolve("", name); err == nil && c != nil {
			b.noteCol(c)
			return &ColRef{Idx: c.idx, T: c.t, Name: c.name}, nil
		}
		for _, t := range targets {
			if rt := t.GetResTarget(); rt != nil && rt.Name == name {
				return b.bindExpr(rt.Val, s)
			}
		}
	}
	if g.GetGroupingSet() != nil {
		return nil, pgerr.NotSupported("GROUPING SETS, ROLLUP and CUBE are supported at the top of GROUP BY only")
	}
	return b.bindExpr(g, s)
}

// rewriteAgg maps an expression bound over the aggregation's input onto its
// output: group expressions become references to group columns, aggregate
// references to aggregate columns; any other input column is an error.
func rewriteAgg(e Expr, groupKeys []string, groupingAt int) (Expr, error) {
	ngroups := len(groupKeys)
	var err error
	out := Transform(e, func(x Expr) (Expr, bool) {
		if err != nil {
			return x, true
		}
		k := ExprKey(x)
		for i, g := range groupKeys {
			if g == k {
				return &ColRef{Idx: i, T: x.Type()}, true
			}
		}
		switch v := x.(type) {
		case *AggRef:
			return &ColRef{Idx: ngroups + v.Idx, T: v.T}, true
		case *GroupingRef:
			return &ColRef{Idx: groupingAt + v.Idx, T: types.Int4}, true
		case *ColRef:
			err = pgerr.New(pgerr.GroupingError, "column %q must appear in the GROUP BY clause or be used in an aggregate function", v.Name)
			return x, true
		}
		return x, false
	})
	return out, err
}

func isStar(cr *pg.ColumnRef) bool {
	if len(cr.Fields) == 0 {
		return false
	}
	_, ok := cr.Fields[len(cr.Fields)-1].Node.(*pg.Node_AStar)
	return ok
}

func (b *Binder) expandStar(cr *pg.ColumnRef, s *scope) ([]Expr, []Column, error) {
	table := ""
	if len(cr.Fields) > 1 {
		table = nodeName(cr.Fields[:len(cr.Fields)-1])[len(cr.Fields)-2]
	}
	if s.agg != nil {
		return nil, nil, pgerr.NotSupported("* with GROUP BY is not supported yet")
	}
	var es []Expr
	var cs []Column
	found := false
	for _, c := range s.cols {
		if table != "" && c.table != table {
			continue
		}
		found = true
		if c.hidden || c.system {
			continue
		}
		if c.expr != nil {
			es = append(es, c.expr)
			cs = append(cs, Column{Name: c.name, T: c.t})
			continue
		}
		b.noteCol(&c)
		es = append(es, &ColRef{Idx: c.idx, T: c.t, Name: c.name})
		cs = append(cs, Column{Name: c.name, T: c.t, TableOID: c.tblOID, AttNum: c.attnum})
	}
	if table != "" && !found {
		return nil, nil, errMissingFrom(table)
	}
	if table == "" && len(s.cols) == 0 {
		return nil, nil, pgerr.New(pgerr.SyntaxError, "SELECT * with no tables specified is not valid")
	}
	return es, cs, nil
}

func containsAgg(targets []*pg.Node) bool {
	for _, t := range targets {
		if rt := t.GetResTarget(); rt != nil && nodeHasAgg(rt.Val) {
			return true
		}
	}
	return false
}

func containsAggSort(items []*pg.Node) bool {
	for _, it := range items {
		if sb := it.GetSortBy(); sb != nil && nodeHasAgg(sb.Node) {
			return true
		}
	}
	return false
}

// nodeHasAgg reports whether an AST contains an aggregate call outside
// subqueries.
func nodeHasAgg(n *pg.Node) bool {
	return containsCall(n, func(f *pg.FuncCall) bool {
		names := nodeName(f.Funcname)
		return f.Over == nil && isAggName(lower(names[len(names)-1]))
	})
}

// containsCall reports whether an expression AST contains a function call
// for which match is true, outside subqueries (a SubLink's test expression
// is outside; its subselect is not).
func containsCall(n *pg.Node, match func(*pg.FuncCall) bool) bool {
	if n == nil {
		return false
	}
	anyOf := func(ns []*pg.Node) bool {
		for _, a := range ns {
			if containsCall(a, match) {
				return true
			}
		}
		return false
	}
	switch x := n.Node.(type) {
	case *pg.Node_FuncCall:
		return match(x.FuncCall) || anyOf(x.FuncCall.Args)
	case *pg.Node_ResTarget:
		return containsCall(x.ResTarget.Val, match)
	case *pg.Node_SortBy:
		return containsCall(x.SortBy.Node, match)
	case *pg.Node_AExpr:
		return containsCall(x.AExpr.Lexpr, match) || containsCall(x.AExpr.Rexpr, match)
	case *pg.Node_BoolExpr:
		return anyOf(x.BoolExpr.Args)
	case *pg.Node_TypeCast:
		return containsCall(x.TypeCast.Arg, match)
	case *pg.Node_CaseExpr:
		for _, w := range x.CaseExpr.Args {
			if containsCall(w.GetCaseWhen().Expr, match) || containsCall(w.GetCaseWhen().Result, match) {
				return true
			}
		}
		return containsCall(x.CaseExpr.Arg, match) || containsCall(x.CaseExpr.Defresult, match)
	case *pg.Node_CoalesceExpr:
		return anyOf(x.CoalesceExpr.Args)
	case *pg.Node_MinMaxExpr:
		return anyOf(x.MinMaxExpr.Args)
	case *pg.Node_NullTest:
		return containsCall(x.NullTest.Arg, match)
	case *pg.Node_List:
		return anyOf(x.List.Items)
	case *pg.Node_AIndirection:
		return containsCall(x.AIndirection.Arg, match)
	case *pg.Node_AArrayExpr:
		return anyOf(x.AArrayExpr.Elements)
	case *pg.Node_SubLink:
		return containsCall(x.SubLink.Testexpr, match)
	}
	return false
}

func isAggName(name string) bool { return funcs.IsAggregate(name) }

// figureColname names an output column as PostgreSQL does.
func figureColname(n *pg.Node) string {
	name, _ := colname(n)
	return name
}

// colname is PostgreSQL's FigureColnameInternal: a name and its strength
// (2 a real name, 1 a fallback — "case" or a cast's type name — that an
// enclosing cast overrides, 0 none).
func colname(n *pg.Node) (string, int) {
	switch x := n.Node.(type) {
	case *pg.Node_ColumnRef:
		f := x.ColumnRef.Fields
		if s := f[len(f)-1].GetString_(); s != nil {
			return s.Sval, 2
		}
	case *pg.Node_FuncCall:
		names := nodeName(x.FuncCall.Funcname)
		return names[len(names)-1], 2
	case *pg.Node_TypeCast:
		name, strength := colname(x.TypeCast.Arg)
		if strength > 1 {
			return name, strength
		}
		names := nodeName(x.TypeCast.TypeName.Names)
		if len(names) > 0 {
			return typeDisplayName(names[len(names)-1]), 1
		}
		return name, strength
	case *pg.Node_CollateClause:
		return colname(x.CollateClause.Arg)
	case *pg.Node_CaseExpr:
		return "case", 1
	case *pg.Node_CoalesceExpr:
		return "coalesce", 2
	case *pg.Node_MinMaxExpr:
		if x.MinMaxExpr.Op == pg.MinMaxOp_IS_LEAST {
			return "least", 2
		}
		return "greatest", 2
	case *pg.Node_AArrayExpr:
		return "array", 2
	case *pg.Node_AIndirection:
		name := ""
		for _, i := range x.AIndirection.Indirection {
			if s := i.GetString_(); s != nil {
				name = s.Sval
			}
		}
		if name != "" {
			return name, 2
		}
		return colname(x.AIndirection.Arg)
	case *pg.Node_SubLink:
		switch x.SubLink.SubLinkType {
		case pg.SubLinkType_EXISTS_SUBLINK:
			return "exists", 2
		case pg.SubLinkType_ARRAY_SUBLINK:
			return "array", 2
		case pg.SubLinkType_EXPR_SUBLINK:
		default:
			return "?column?", 0
		}
		if sel := x.SubLink.Subselect.GetSelectStmt(); sel != nil && len(sel.TargetList) == 1 {
			rt := sel.TargetList[0].GetResTarget()
			if rt.Name != "" {
				return rt.Name, 2
			}
			return figureColname(rt.Val), 2
		}
	case *pg.Node_SqlvalueFunction:
		switch x.SqlvalueFunction.Op {
		case pg.SQLValueFunctionOp_SVFOP_CURRENT_DATE:
			return "current_date", 2
		case pg.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP, pg.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP_N:
			return "current_timestamp", 2
		case pg.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP, pg.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP_N:
			return "localtimestamp", 2
		case pg.SQLValueFunctionOp_SVFOP_CURRENT_USER:
			return "current_user", 2
		case pg.SQLValueFunctionOp_SVFOP_SESSION_USER:
			return "session_user", 2
		case pg.SQLValueFunctionOp_SVFOP_CURRENT_SCHEMA:
			return "current_schema", 2
		}
	case *pg.Node_AExpr:
		if x.AExpr.Kind == pg.A_Expr_Kind_AEXPR_NULLIF {
			return "nullif", 2
		}
	}
	return "?column?", 0
}

func typeDisplayName(n string) string {
	switch n {
	case "int4":
		return "int4"
	case "bpchar":
		return "bpchar"
	}
	return n
}

// finalType is the type a result column reports: unknown literals are text.
func finalType(t types.Type) types.Type {
	if isUnknown(t) {
		return types.Text
	}
	return t
}

func and(es []Expr) Expr {
	if len(es) == 1 {
		return es[0]
	}
	return &Logic{Op: "and", Args: es}
}

func (b *Binder) bindValues(lists []*pg.Node, s *scope, target []types.Type) (*Values, error) {
	v := &Values{}
	var width int
	for i, l := range lists {
		items := l.GetList().GetItems()
		if i == 0 {
			width = len(items)
		} else if len(items) != width {
			return nil, pgerr.New(pgerr.SyntaxError, "VALUES lists must all be the same length")
		}
		row := make([]Expr, len(items))
		for j, it := range items {
			if it.GetSetToDefault() != nil {
				row[j] = nil // DEFAULT: filled in by INSERT
				continue
			}
			e, err := b.bindExpr(it, s)
			if err != nil {
				return nil, err
			}
			row[j] = e
		}
		v.Rows = append(v.Rows, row)
	}
	for j := 0; j < width; j++ {
		var t types.Type
		if target != nil && j < len(target) {
			t = target[j]
		} else {
			ts := make([]types.Type, 0, len(v.Rows))
			for _, r := range v.Rows {
				if r[j] != nil {
					ts = append(ts, r[j].Type())
				}
			}
			var err error
			if t, err = unify(ts, "VALUES"); err != nil {
				return nil, err
			}
		}
		for _, r := range v.Rows {
			if r[j] == nil {
				continue
			}
			var err error
			if target != nil {
				r[j], err = b.assignCoerce(r[j], t, fmt.Sprintf("column%d", j+1))
			} else {
				r[j], err = b.coerce(r[j], t, false)
			}
			if err != nil {
				return nil, err
			}
		}
		v.Cols = append(v.Cols, Column{Name: fmt.Sprintf("column%d", j+1), T: t})
	}
	return v, nil
}

func (b *Binder) bindSetOp(sel *pg.SelectStmt, s *scope) (Node, error) {
	if b.setOpArms == nil {
		b.setOpArms = map[*pg.SelectStmt]bool{}
	}
	b.setOpArms[sel.Larg], b.setOpArms[sel.Rarg] = true, true
	l, err := b.bindSelect(sel.Larg, &scope{parent: s.parent})
	if err != nil {
		return nil, err
	}
	r, err := b.bindSelect(sel.Rarg, &scope{parent: s.parent})
	if err != nil {
		return nil, err
	}
	lc, rc := l.Columns(), r.Columns()
	op := map[pg.SetOperation]string{pg.SetOperation_SETOP_UNION: "union", pg.SetOperation_SETOP_INTERSECT: "intersect", pg.SetOperation_SETOP_EXCEPT: "except"}[sel.Op]
	if len(lc) != len(rc) {
		return nil, pgerr.New(pgerr.SyntaxError, "each %s query must have the same number of columns", upper(op))
	}
	cols := make([]Column, len(lc))
	lp := &Project{Input: l}
	rp := &Project{Input: r}
	for i := range lc {
		t, err := unify([]types.Type{lc[i].T, rc[i].T}, upper(op))
		if err != nil {
			return nil, err
		}
		t = finalType(t) // two untyped literals: text
		cols[i] = Column{Name: lc[i].Name, T: t}
		le, err := b.coerce(&ColRef{Idx: i, T: lc[i].T}, t, false)
		if err != nil {
			return nil, err
		}
		re, err := b.coerce(&ColRef{Idx: i, T: rc[i].T}, t, false)
		if err != nil {
			return nil, err
		}
		lp.Exprs, rp.Exprs = append(lp.Exprs, le), append(rp.Exprs, re)
	}
	lp.Cols, rp.Cols = cols, cols
	if !sel.All {
		if err := needEqualityCols(cols); err != nil {
			return nil, err
		}
	}
	n := &SetOp{Op: op, All: sel.All, Left: lp, Right: rp, Cols: cols}
	return b.bindOrderLimit(sel, n, nil, s)
}

func upper(s string) string {
	out := []byte(s)
	for i, c := range out {
		if c >= 'a' && c <= 'z' {
			out[i] = c - 32
		}
	}
	return string(out)
}
