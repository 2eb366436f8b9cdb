package plan

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/cockroachdb/apd/v3"
	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql/funcs"
	"github.com/omendb/omendb/types"
)

// fromItem is one bound FROM item: its plan and its columns as seen by name.
type fromItem struct {
	node  Node
	cols  []scopeCol // idx relative to the item's own row
	width int
	off   int // offset of the item's row in the statement's scope
	// lateral is set for a function over earlier FROM items (srf.go); it
	// has no node of its own until bindFrom places it over them.
	lateral *lateralFn
	// apply is set for a LATERAL subquery: node reads the row of the items
	// before it (OuterRef depth 1) and is run once per such row (Apply).
	apply bool
}

func (b *Binder) bindFromItem(n *pg.Node, parent *scope) (*fromItem, error) {
	switch x := n.Node.(type) {
	case *pg.Node_RangeVar:
		rv := x.RangeVar
		alias := rv.Relname
		if rv.Alias != nil {
			alias = rv.Alias.Aliasname
		}
		if rv.Schemaname == "" {
			for i := len(b.ctes) - 1; i >= 0; i-- {
				if c, ok := b.ctes[i][rv.Relname]; ok {
					if b.locking.covers(alias) {
						return nil, pgerr.NotSupported("FOR UPDATE cannot be applied to a WITH query")
					}
					cols := renameCols(c.cols, rv.Alias)
					return itemFrom(c.node, alias, cols, nil), nil
				}
			}
		}
		if sys, ok, err := b.systemTable(rv); ok || err != nil {
			if err != nil {
				return nil, err
			}
			if b.locking.covers(alias) {
				return nil, pgerr.NotSupported("FOR UPDATE cannot be applied to a system catalog")
			}
			return itemFrom(sys, alias, renameCols(sys.Columns(), rv.Alias), nil), nil
		}
		if v, ok := b.lookupView(rv); ok {
			if b.locking.covers(alias) {
				return nil, pgerr.NotSupported("FOR UPDATE cannot be applied to a view yet")
			}
			n, err := b.bindView(v)
			if err != nil {
				return nil, err
			}
			return itemFrom(n, alias, renameCols(n.Columns(), rv.Alias), nil), nil
		}
		if sq, ok := b.Cat.LookupSequence(b.schemaOf(rv.Schemaname, rv.Relname), rv.Relname); ok {
			if b.locking.covers(alias) {
				return nil, pgerr.NotSupported("FOR UPDATE cannot be applied to a sequence")
			}
			return sequenceItem(sq, alias, rv.Alias), nil
		}
		t, err := b.resolveTable(rv)
		if err != nil {
			return nil, err
		}
		if t.Unpopulated {
			return nil, pgerr.New(pgerr.ObjectNotInPrerequisiteState, "materialized view %q has not been populated", t.Name).
				WithHint("Use the REFRESH MATERIALIZED VIEW command.")
		}
		cols := tableColumns(t)
		if b.locking.covers(alias) {
			return b.lockedItem(t, alias, rv.Alias)
		}
		scan := &Scan{Table: t, Alias: alias, Cols: cols}
		return itemFrom(scan, alias, renameCols(cols, rv.Alias), t.Columns), nil
	case *pg.Node_RangeSubselect:
		rs := x.RangeSubselect
		if rs.Lateral {
			return b.bindLateralSubquery(rs, parent)
		}
		if rs.Alias != nil && b.locking.covers(rs.Alias.Aliasname) {
			return nil, pgerr.NotSupported("FOR UPDATE cannot be applied to a subquery in FROM")
		}
		sel := rs.Subquery.GetSelectStmt()
		sub := &scope{parent: parent.parent}
		n, err := b.bindSelect(sel, sub)
		if err != nil {
			return nil, err
		}
		if sub.correlated {
			// It reads the enclosing query's row, and so does this query.
			parent.correlated = true
		}
		alias := ""
		if rs.Alias != nil {
			alias = rs.Alias.Aliasname
		}
		return itemFrom(n, alias, renameCols(n.Columns(), rs.Alias), nil), nil
	case *pg.Node_RangeFunction:
		if b.locking != nil && b.locking.all {
			return nil, pgerr.NotSupported("FOR UPDATE cannot be applied to a function")
		}
		return b.bindRangeFunction(x.RangeFunction, parent)
	case *pg.Node_JoinExpr:
		return b.bindJoinExpr(x.JoinExpr, parent)
	case *pg.Node_RangeTableSample:
		return b.bindTableSample(x.RangeTableSample, parent)
	}
	return nil, pgerr.NotSupported("FROM item %T is not supported yet", n.Node)
}

func renameCols(cols []Column, alias *pg.Alias) []Column {
	out := append([]Column(nil), cols...)
	if alias != nil {
		for i, n := range nodeName(alias.Colnames) {
			if i < len(out) {
				out[i].Name = n
			}
		}
	}
	return out
}

func itemFrom(n Node, alias string, cols []Column, tcols interface{}) *fromItem {
	it := &fromItem{node: n, width: len(cols)}
	for i, c := range cols {
		sc := scopeCol{table: alias, name: c.Name, t: c.T, idx: i, tblOID: c.TableOID, attnum: c.AttNum, system: c.System}
		if len(c.Name) > 8 && c.Name[:8] == "........" {
			sc.hidden = true
		}
		it.cols = append(it.cols, sc)
	}
	return it
}

func (b *Binder) bindRangeFunction(rf *pg.RangeFunction, parent *scope) (*fromItem, error) {
	if item, ok, err := b.bindPartitionAncestors(rf, parent); ok || err != nil {
		return item, err
	}
	if len(rf.Functions) != 1 || rf.IsRowsfrom {
		return nil, pgerr.NotSupported("this form of function in FROM is not supported yet")
	}
	fc := rf.Functions[0].GetList().GetItems()[0].GetFuncCall()
	if fc == nil {
		return nil, pgerr.NotSupported("this function in FROM is not supported yet")
	}
	names := nodeName(fc.Funcname)
	name := names[len(names)-1]
	if fs, err := b.userFuncs(names); err != nil {
		return nil, err
	} else if len(fs) > 0 && (len(names) == 2 && names[0] != "pg_catalog" || !builtinFunc(name) && tableFuncs[name] == nil) {
		if rf.IsRowsfrom || len(rf.Coldeflist) > 0 {
			return nil, pgerr.NotSupported("this form of function in FROM is not supported yet")
		}
		argScope := &scope{}
		if parent != nil {
			argScope.parent = parent.parent
		}
		item, err := b.bindUserFuncScan(names, fs, fc, argScope, rf.Alias, rf.Ordinality)
		if err != nil {
			if code := pgerr.Code(err); parent != nil && (code == pgerr.UndefinedColumn || code == pgerr.UndefinedTable) {
				if _, err2 := b.bindExprs(fc.Args, parent); err2 == nil {
					return nil, pgerr.NotSupported("a user-defined function in FROM whose arguments read other FROM items (LATERAL) is not supported yet")
				}
			}
			return nil, err
		}
		if argScope.correlated && parent != nil {
			parent.correlated = true
		}
		return item, nil
	}
	if funcs.IsJSONSetFunc(name) {
		return b.bindJSONFromFunc(name, fc, rf.Alias, rf.Ordinality, parent)
	}
	tf := tableFuncs[name]
	switch name {
	case "generate_series", "unnest", "generate_subscripts", "_pg_expandarray", "regexp_split_to_table", "regexp_matches":
	default:
		if tf == nil {
			return nil, pgerr.NotSupported("set-returning function %s is not supported yet", name)
		}
	}
	if rf.Ordinality && name == "_pg_expandarray" {
		return nil, pgerr.NotSupported("%s WITH ORDINALITY is not supported yet", name)
	}
	// Arguments may reference enclosing queries (not other FROM items:
	// that would be LATERAL).
	argScope := &scope{}
	if parent != nil {
		argScope.parent = parent.parent
	}
	var args []Expr
	var ts []types.Type
	for _, a := range fc.Args {
		e, err := b.bindExpr(a, argScope)
		if err != nil {
			if code := pgerr.Code(err); parent != nil && (code == pgerr.UndefinedColumn || code == pgerr.UndefinedTable) {
				if _, err2 := b.bindExpr(a, parent); err2 == nil {
					return b.bindLateralFunc(name, fc, rf.Alias, rf.Ordinality, parent)
				}
			}
			return nil, err
		}
		args = append(args, e)
		ts = append(ts, e.Type())
	}
	if argScope.correlated && parent != nil {
		parent.correlated = true
	}
	if name == "regexp_split_to_table" {
		return b.regexpSplitScan(args, rf.Alias, rf.Ordinality)
	}
	if name == "regexp_matches" {
		return b.regexpMatchesScan(args, rf.Alias, rf.Ordinality)
	}
	if tf != nil {
		fs, err := b.bindTableFunc(name, tf, args)
		if err != nil {
			return nil, err
		}
		return funcScanItem(fs, rf.Alias, rf.Ordinality), nil
	}
	if name != "generate_series" {
		return b.bindArrayFuncScan(name, args, rf.Alias, rf.Ordinality)
	}
	if len(args) < 2 || len(args) > 3 {
		return nil, pgerr.New(pgerr.UndefinedFunction, "function generate_series with %d arguments does not exist", len(args))
	}
	args, t, err := b.seriesArgs(args, ts)
	if err != nil {
		return nil, err
	}
	fs := &FuncScan{Name: name, Args: args, Cols: []Column{{Name: "generate_series", T: t}}}
	return funcScanItem(fs, rf.Alias, rf.Ordinality), nil
}

// bindPartitionAncestors binds pg_partition_ancestors(rel) [WITH
// ORDINALITY] in FROM (psql's \d sends it): no table is partitioned, so
// its one row is rel itself (relid), at depth 1.
func (b *Binder) bindPartitionAncestors(rf *pg.RangeFunction, parent *scope) (*fromItem, bool, error) {
	if len(rf.Functions) != 1 || rf.IsRowsfrom {
		return nil, false, nil
	}
	items := rf.Functions[0].GetList().GetItems()
	if len(items) == 0 {
		return nil, false, nil
	}
	fc := items[0].GetFuncCall()
	if fc == nil {
		return nil, false, nil
	}
	names := nodeName(fc.Funcname)
	if names[len(names)-1] != "pg_partition_ancestors" {
		return nil, false, nil
	}
	if len(fc.Args) != 1 {
		return nil, true, pgerr.New(pgerr.UndefinedFunction, "function pg_partition_ancestors with %d arguments does not exist", len(fc.Args))
	}
	argScope := &scope{}
	if parent != nil {
		argScope.parent = parent.parent
	}
	e, err := b.bindExpr(fc.Args[0], argScope)
	if err != nil {
		return nil, true, err
	}
	if argScope.correlated && parent != nil {
		parent.correlated = true
	}
	rc := types.Type{OID: types.OIDRegclass, Mod: -1}
	if e, err = b.coerce(e, rc, false); err != nil {
		return nil, true, err
	}
	p := &Project{Input: &One{}, Exprs: []Expr{e}, Cols: []Column{{Name: "relid", T: rc}}}
	if rf.Ordinality {
		p.Exprs = append(p.Exprs, &Const{V: types.NewInt(1), T: types.Int8})
		p.Cols = append(p.Cols, Column{Name: "ordinality", T: types.Int8})
	}
	alias := "pg_partition_ancestors"
	if rf.Alias != nil {
		alias = rf.Alias.Aliasname
		for i, cn := range nodeName(rf.Alias.Colnames) {
			if i < len(p.Cols) {
				p.Cols[i].Name = cn
			}
		}
	}
	return itemFrom(p, alias, p.Cols, nil), true, nil
}

func (b *Binder) bindJoinExpr(j *pg.JoinExpr, parent *scope) (*fromItem, error) {
	l, err := b.bindFromItem(j.Larg, parent)
	if err != nil {
		return nil, err
	}
	rParent := parent
	if rs := j.Rarg.GetRangeSubselect(); rs != nil && rs.Lateral {
		// A LATERAL subquery on the right reads the left side.
		rParent = &scope{parent: parent.parent, cols: l.cols, width: l.width}
	}
	if j.Rarg.GetRangeFunction() != nil {
		// A function on the right may read the left side (implicit LATERAL).
		rParent = &scope{parent: parent.parent, cols: l.cols, width: l.width}
	}
	r, err := b.bindFromItem(j.Rarg, rParent)
	if err != nil {
		return nil, err
	}
	if l.lateral != nil || (r.lateral != nil && ((j.Jointype != pg.JoinType_JOIN_INNER && j.Jointype != pg.JoinType_JOIN_LEFT) || rParent == parent)) {
		return nil, pgerr.NotSupported("functions over other FROM items are supported after a comma or on the right of an inner or left JOIN")
	}
	s := &scope{parent: parent.parent}
	for _, c := range l.cols {
		s.cols = append(s.cols, c)
	}
	for _, c := range r.cols {
		c.idx += l.width
		s.cols = append(s.cols, c)
	}
	s.width = l.width + r.width
	kind := InnerJoin
	switch j.Jointype {
	case pg.JoinType_JOIN_LEFT:
		kind = LeftJoin
	case pg.JoinType_JOIN_RIGHT:
		kind = RightJoin
	case pg.JoinType_JOIN_FULL:
		kind = FullJoin
	case pg.JoinType_JOIN_INNER:
	default:
		return nil, pgerr.NotSupported("join type %s is not supported yet", j.Jointype)
	}
	if b.locking != nil {
		// A row lock needs a row: the side an outer join may fill with
		// NULLs cannot be locked, as in PostgreSQL.
		if (kind == LeftJoin || kind == FullJoin) && hasLockKey(r.cols) || (kind == RightJoin || kind == FullJoin) && hasLockKey(l.cols) {
			return nil, pgerr.NotSupported("FOR UPDATE cannot be applied to the nullable side of an outer join")
		}
	}
	var conds []Expr
	using := nodeName(j.UsingClause)
	if j.IsNatural {
		for _, lc := range l.cols {
			for _, rc := range r.cols {
				if !lc.hidden && !rc.hidden && !lc.system && !rc.system && lc.name == rc.name {
					using = append(using, lc.name)
				}
			}
		}
	}
	for _, name := range using {
		li, ri := -1, -1
		for _, c := range l.cols {
			if c.name == name && !c.hidden {
				li = c.idx
				b.noteCol(&c)
			}
		}
		for _, c := range r.cols {
			if c.name == name && !c.hidden {
				ri = c.idx + l.width
				b.noteCol(&c)
			}
		}
		if li < 0 || ri < 0 {
			return nil, pgerr.New(pgerr.UndefinedColumn, "column %q specified in USING clause does not exist in both tables", name)
		}
		c, err := b.comparison("=", &ColRef{Idx: li, T: s.cols[li].t, Name: name}, &ColRef{Idx: ri, T: s.cols[ri].t, Name: name}, 0)
		if err != nil {
			return nil, err
		}
		conds = append(conds, c)
		// The right side's copy is hidden from unqualified names.
		for i := range s.cols {
			if s.cols[i].idx == ri {
				s.cols[i].table = s.cols[i].table + "\x00using"
			}
		}
	}
	if j.Quals != nil {
		q, err := b.bindExpr(j.Quals, s)
		if err != nil {
			return nil, err
		}
		if q, err = b.coerceBool(q, "argument of JOIN/ON"); err != nil {
			return nil, err
		}
		conds = append(conds, splitAnd(q)...)
	}
	if r.apply {
		// The subquery's rows for each left row; the join conditions are
		// the Apply's (LEFT JOIN LATERAL keeps a left row none matched).
		if kind != InnerJoin && kind != LeftJoin {
			return nil, pgerr.New(pgerr.InvalidColumnReference, "the combining JOIN type must be INNER or LEFT for a LATERAL reference")
		}
		if j.Alias != nil {
			return nil, pgerr.NotSupported("aliases on JOIN expressions are not supported yet")
		}
		ap := &Apply{Kind: kind, Left: l.node, Right: r.node, Cols: append(append([]Column(nil), l.node.Columns()...), r.node.Columns()...)}
		if len(conds) > 0 {
			ap.Cond = and(conds)
		}
		return &fromItem{node: ap, cols: s.cols, width: s.width}, nil
	}
	if r.lateral != nil {
		// The function's rows for each left row: an Expand over the left
		// side, the join conditions a filter above it.
		ex := &Expand{Input: l.node, Arr: r.lateral.arr, Cols: append(append([]Column(nil), l.node.Columns()...), r.lateral.cols...), Rows: r.lateral.rows}
		var n Node = ex
		switch {
		case kind == LeftJoin:
			// LEFT JOIN LATERAL: the condition decides which elements
			// match; a row with none keeps NULLs (srf.go, Expand).
			ex.Outer = true
			if len(conds) > 0 {
				ex.Cond = and(conds)
			}
		case len(conds) > 0:
			n = &Filter{Input: n, Cond: and(conds)}
		}
		if j.Alias != nil {
			return nil, pgerr.NotSupported("aliases on JOIN expressions are not supported yet")
		}
		return &fromItem{node: n, cols: s.cols, width: s.width}, nil
	}
	if j.Alias != nil {
		return nil, pgerr.NotSupported("aliases on JOIN expressions are not supported yet")
	}
	jn := joinItems(kind, l, r, conds)
	it := &fromItem{node: jn, cols: s.cols, width: s.width}
	return it, nil
}

// joinItems joins FROM items l and r (kind) on the conjuncts conds, bound
// over l's row followed by r's: equalities between the sides become hash
// keys, and conditions over one side go into that side where the join
// kind allows, the rest staying the join's condition.
func joinItems(kind JoinKind, l, r *fromItem, conds []Expr) *Join {
	jn := &Join{Kind: kind, Left: l.node, Right: r.node, Cols: append(append([]Column(nil), l.node.Columns()...), r.node.Columns()...)}
	var residual []Expr
	for _, c := range conds {
		lk, rk, ok := equiKey(c, 0, l.width, l.width, l.width+r.width)
		if ok {
			jn.LeftKeys = append(jn.LeftKeys, lk)
			jn.RightKeys = append(jn.RightKeys, shift(rk, -l.width))
			continue
		}
		// Inner joins push single-side conditions into the inputs; outer
		// joins push those over their nullable side into it (A LEFT JOIN
		// B ON k AND p(B) is A LEFT JOIN (B WHERE p(B)) ON k, as
		// PostgreSQL plans it: TPC-H Q13 filters orders before hashing).
		if side, ok := oneSide(c, l.width, l.width+r.width); ok &&
			(kind == InnerJoin || (kind == LeftJoin && side == 1) || (kind == RightJoin && side == 0)) {
			if side == 0 {
				jn.Left = pushFilter(jn.Left, c, 0)
			} else {
				jn.Right = pushFilter(jn.Right, c, l.width)
			}
			continue
		}
		residual = append(residual, c)
	}
	if len(residual) > 0 {
		jn.Cond = and(residual)
	}
	return jn
}

// bindFrom binds the FROM list and WHERE, joining the items greedily along
// equi-join predicates and pushing single-item predicates into scans. It
// returns the plan and the conjuncts left to filter above it. The scope s is
// filled with every item's columns in FROM order; the returned plan's row
// has that same layout.
func (b *Binder) bindFrom(from []*pg.Node, where *pg.Node, s *scope) (Node, []Expr, error) {
	return b.bindFromAfter(nil, from, where, s)
}

// bindFromAfter is bindFrom with first, when not nil, as a FROM item bound
// already in front of the list (UPDATE's and DELETE's target).
func (b *Binder) bindFromAfter(first *fromItem, from []*pg.Node, where *pg.Node, s *scope) (Node, []Expr, error) {
	var items, all []*fromItem
	for i := -1; i < len(from); i++ {
		var it *fromItem
		if i < 0 {
			if it = first; it == nil {
				continue
			}
		} else {
			var err error
			if it, err = b.bindFromItem(from[i], s); err != nil {
				return nil, nil, err
			}
		}
		all = append(all, it)
		if it.lateral != nil {
			items = []*fromItem{placeLateral(items, it, s)}
			continue
		}
		if it.apply {
			items = []*fromItem{placeApply(items, it, s)}
			continue
		}
		it.off = s.width
		for _, c := range it.cols {
			c.idx += it.off
			s.cols = append(s.cols, c)
		}
		s.width += it.width
		items = append(items, it)
	}
	// Duplicate table names in one FROM list are an error in PostgreSQL.
	seen := map[string]bool{}
	for _, it := range all {
		if len(it.cols) > 0 {
			name := it.cols[0].table
			if _, isJoin := it.node.(*Join); !isJoin && name != "" {
				if seen[name] {
					return nil, nil, pgerr.New("42712", "table name %q specified more than once", name) // duplicate_alias
				}
				seen[name] = true
			}
		}
	}
	var conjuncts []Expr
	if where != nil {
		w, err := b.bindExpr(where, s)
		if err != nil {
			return nil, nil, err
		}
		if w, err = b.coerceBool(w, "argument of WHERE"); err != nil {
			return nil, nil, err
		}
		conjuncts = splitAnd(w)
	}
	// Push single-item conjuncts into their item.
	var rest []Expr
	for _, c := range conjuncts {
		placed := false
		if !hasSubquery(c) {
			for _, it := range items {
				if refsWithin(c, it.off, it.off+it.width) {
					it.node = pushFilter(it.node, c, it.off)
					placed = true
					break
				}
			}
		}
		if !placed {
			rest = append(rest, c)
		}
	}
	for _, it := range items {
		chooseAccess(it.node)
	}
	if len(items) == 1 {
		return items[0].node, rest, nil
	}
	// Greedy join order: start with the first item, then repeatedly add an
	// item connected to the joined set by an equality (the one with the
	// most such predicates), else the next in FROM order.
	joined := []*fromItem{items[0]}
	left := append([]*fromItem(nil), items[1:]...)
	// pos maps a scope column index to its position in the current row.
	pos := make([]int, s.width)
	for i := range pos {
		pos[i] = -1
	}
	width := 0
	place := func(it *fromItem) {
		for i := 0; i < it.width; i++ {
			pos[it.off+i] = width + i
		}
		width += it.width
	}
	place(items[0])
	cur := items[0].node
	inSet := func(c Expr) bool {
		ok := true
		Walk(c, func(x Expr) bool {
			if r, isRef := x.(*ColRef); isRef && pos[r.Idx] < 0 {
				ok = false
			}
			return ok
		})
		return ok
	}
	for len(left) > 0 {
		best, bestScore := 0, -1
		for i, it := range left {
			score := 0
			for _, c := range rest {
				if _, _, ok := equiKeyPos(c, pos, it); ok {
					score++
				}
			}
			if score > bestScore {
				best, bestScore = i, score
			}
		}
		it := left[best]
		left = append(left[:best], left[best+1:]...)
		jn := &Join{Kind: InnerJoin, Left: cur, Right: it.node}
		var remaining, residual []Expr
		for _, c := range rest {
			if lk, rk, ok := equiKeyPos(c, pos, it); ok {
				jn.LeftKeys = append(jn.LeftKeys, remap(lk, pos))
				jn.RightKeys = append(jn.RightKeys, shift(rk, -it.off))
				continue
			}
			remaining = append(remaining, c)
		}
		place(it)
		rest = rest[:0]
		for _, c := range remaining {
			if inSet(c) && !hasSubquery(c) {
				residual = append(residual, remap(c, pos))
			} else {
				rest = append(rest, c)
			}
		}
		if len(residual) > 0 {
			jn.Cond = and(residual)
		}
		jn.Cols = append(append([]Column(nil), cur.Columns()...), it.node.Columns()...)
		cur = jn
		joined = append(joined, it)
	}
	// Restore FROM order if the join order changed it.
	identity := true
	for i, p := range pos {
		if p != i {
			identity = false
		}
	}
	if !identity {
		cols := cur.Columns()
		p := &Project{Input: cur}
		for i := 0; i < s.width; i++ {
			p.Exprs = append(p.Exprs, &ColRef{Idx: pos[i], T: cols[pos[i]].T, Name: cols[pos[i]].Name})
			p.Cols = append(p.Cols, cols[pos[i]])
		}
		cur = p
	}
	return cur, rest, nil
}

// equiKeyPos checks whether c is `a = b` with one side referencing only the
// joined set (positions in pos) and the other only item it.
func equiKeyPos(c Expr, pos []int, it *fromItem) (Expr, Expr, bool) {
	cmp, ok := c.(*Cmp)
	if !ok || cmp.Op != "=" || cmp.Distinct {
		return nil, nil, false
	}
	inJoined := func(e Expr) bool {
		ok, any := true, false
		Walk(e, func(x Expr) bool {
			switch r := x.(type) {
			case *ColRef:
				any = true
				if pos[r.Idx] < 0 {
					ok = false
				}
			case *Subquery, *OuterRef:
				ok = false
			}
			return ok
		})
		return ok && any
	}
	inItem := func(e Expr) bool { return refsWithin(e, it.off, it.off+it.width) && !hasSubquery(e) }
	if inJoined(cmp.L) && inItem(cmp.R) {
		return cmp.L, cmp.R, true
	}
	if inJoined(cmp.R) && inItem(cmp.L) {
		return cmp.R, cmp.L, true
	}
	return nil, nil, false
}

// equiKey checks whether c is an equality between [l0,l1) and [r0,r1).
func equiKey(c Expr, l0, l1, r0, r1 int) (Expr, Expr, bool) {
	cmp, ok := c.(*Cmp)
	if !ok || cmp.Op != "=" || cmp.Distinct || hasSubquery(c) {
		return nil, nil, false
	}
	if refsWithin(cmp.L, l0, l1) && refsWithin(cmp.R, r0, r1) {
		return cmp.L, cmp.R, true
	}
	if refsWithin(cmp.R, l0, l1) && refsWithin(cmp.L, r0, r1) {
		return cmp.R, cmp.L, true
	}
	return nil, nil, false
}

// oneSide reports whether c references only the left [0,lw) or only the
// right [lw,w) side (0 or 1).
func oneSide(c Expr, lw, w int) (int, bool) {
	if hasSubquery(c) {
		return 0, false
	}
	if refsWithin(c, 0, lw) {
		return 0, true
	}
	if refsWithin(c, lw, w) {
		return 1, true
	}
	return 0, false
}

// refsWithin reports whether e references at least one column and only
// columns in [lo, hi).
func refsWithin(e Expr, lo, hi int) bool {
	ok, any := true, false
	Walk(e, func(x Expr) bool {
		switch r := x.(type) {
		case *ColRef:
			any = true
			if r.Idx < lo || r.Idx >= hi {
				ok = false
			}
		case *AggRef, *GroupingRef:
			ok = false
		}
		return ok
	})
	return ok && any
}

// HasSubquery reports whether e contains a subquery.
func HasSubquery(e Expr) bool { return hasSubquery(e) }

func hasSubquery(e Expr) bool { return hasSubqueryOr(e, true) }

// hasSubqueryOr is hasSubquery; with calls false, calls of user-defined
// functions count only through their arguments.
func hasSubqueryOr(e Expr, calls bool) bool {
	found := false
	Walk(e, func(x Expr) bool {
		switch x.(type) {
		case *UserCall:
			found = calls && x.(*UserCall).Opaque()
		case *Subquery, *SeqFunc:
			found = true
		case *Func:
			if x.(*Func).F.Volatility == funcs.Volatile {
				found = true
			}
		}
		return !found
	})
	return found
}

// pushFilter adds c (bound over a row where n's columns start at off) as a
// filter on n.
func pushFilter(n Node, c Expr, off int) Node {
	c = shift(c, -off)
	switch x := n.(type) {
	case *Scan:
		if x.Filter == nil {
			x.Filter = c
		} else {
			x.Filter = and(append(splitAnd(x.Filter), c))
		}
		return x
	case *Filter:
		x.Cond = and(append(splitAnd(x.Cond), c))
		return x
	}
	return &Filter{Input: n, Cond: c}
}

func splitAnd(e Expr) []Expr {
	if l, ok := e.(*Logic); ok && l.Op == "and" {
		var out []Expr
		for _, a := range l.Args {
			out = append(out, splitAnd(a)...)
		}
		return out
	}
	return []Expr{e}
}

// shift moves every ColRef by delta.
func shift(e Expr, delta int) Expr {
	if delta == 0 {
		return e
	}
	return Transform(e, func(x Expr) (Expr, bool) {
		if r, ok := x.(*ColRef); ok {
			return &ColRef{Idx: r.Idx + delta, T: r.T, Name: r.Name}, true
		}
		return x, false
	})
}

// remap moves every ColRef to pos[idx].
func remap(e Expr, pos []int) Expr {
	return Transform(e, func(x Expr) (Expr, bool) {
		if r, ok := x.(*ColRef); ok {
			return &ColRef{Idx: pos[r.Idx], T: r.T, Name: r.Name}, true
		}
		return x, false
	})
}

// chooseAccess picks a primary-key or secondary-index path for a scan from
// its filter's conjuncts comparing a key element — a column, or an
// expression an index has as a key element (WHERE lower(email) = $1) — with
// constants or parameters: equalities fixing a prefix of the key elements,
// then at most one range (<, <=, >, >=, BETWEEN) on the next element. A
// partial index is a candidate only when the filter implies its predicate
// (impliesPredicate). The filter stays as it is: the path only narrows the
// rows read. Paths rank by a full-key equality on a unique index, then the
// length of the equality prefix, then a range bounded on both sides, then
// on one; the primary key breaks ties.
func chooseAccess(n Node) {
	sc, ok := n.(*Scan)
	if !ok || sc.Filter == nil {
		if ok {
			sc.Reason = "no usable predicate"
		}
		return
	}
	ac := collectConds(sc.Filter)
	best := -1
	bestScore := 0
	var bestElems []Expr
	var bestVals []Expr
	var bestRange *KeyRange
	for i := range sc.Table.Indexes {
		ix := &sc.Table.Indexes[i]
		elems, vals, kr, ok := ac.pathOn(sc.Table, ix)
		if !ok {
			continue
		}
		n := len(vals)
		full := n == len(ix.Columns)
		score := n * 8
		if full && (ix.Unique || ix.Primary) {
			score += 1000
		}
		if kr != nil {
			score += 2
			if kr.Lo != nil && kr.Hi != nil {
				score += 2
			}
		}
		if ix.Primary {
			score++
		}
		if (n > 0 || kr != nil) && score > bestScore {
			best, bestScore, bestElems, bestVals, bestRange = i, score, elems, vals, kr
		}
	}
	if best < 0 {
		sc.Reason = "no equality or range on an indexed column"
		return
	}
	sc.setPath(&sc.Table.Indexes[best], bestElems, bestVals, bestRange)
}

// setPath makes ix (the primary key or a secondary index) the scan's access
// path: equalities vals on its first key elements (elems: the elements
// bound over the row, for an index with expressions), then range kr on the
// next.
func (sc *Scan) setPath(ix *catalog.Index, elems, vals []Expr, kr *KeyRange) {
	sc.KeyEq, sc.Index, sc.IndexEq, sc.IndexElems, sc.Range = nil, nil, nil, nil, kr
	rowCmp := ""
	if kr != nil && (isRowExpr(kr.Lo) || isRowExpr(kr.Hi)) {
		rowCmp = " (row comparison)"
	}
	if ix.Primary {
		sc.KeyEq = vals
		sc.Reason = accessReason(sc.Table, ix, len(vals), kr != nil) + rowCmp
		return
	}
	sc.Index, sc.IndexEq, sc.IndexElems = ix, vals, elems
	sc.Reason = accessReason(sc.Table, ix, len(vals), kr != nil)
	if ix.Where != "" {
		sc.Reason += " (its predicate is implied)"
	}
	sc.Reason += rowCmp
}

// accessConds are the conjuncts of a scan's filter that can bound keys:
// equalities and ranges comparing a column or an expression with a value,
// and row comparisons of columns with values.
type accessConds struct {
	conj    []Expr
	eq      map[int]Expr
	exprEq  map[string]Expr // ExprKey of a non-column side → value
	rng     map[int]*KeyRange
	exprRng map[string]*KeyRange
	rowRng  map[int][]*rowKeyBound // by the row's first column
}

// collectConds sorts filter's conjuncts (nil: none) into accessConds.
func collectConds(filter Expr) *accessConds {
	ac := &accessConds{eq: map[int]Expr{}, exprEq: map[string]Expr{}, rng: map[int]*KeyRange{},
		exprRng: map[string]*KeyRange{}, rowRng: map[int][]*rowKeyBound{}}
	if filter == nil {
		return ac
	}
	ac.conj = splitAnd(filter)
	for _, c := range ac.conj {
		if rc, ok := c.(*RowCmp); ok {
			if rb := rowBound(rc); rb != nil {
				ac.rowRng[rb.cols[0]] = append(ac.rowRng[rb.cols[0]], rb)
			}
			continue
		}
		cmp, ok := c.(*Cmp)
		if !ok || cmp.Distinct {
			continue
		}
		if _, ok := flipCmp[cmp.Op]; !ok && cmp.Op != "=" {
			continue
		}
		for i, side := range [2][2]Expr{{cmp.L, cmp.R}, {cmp.R, cmp.L}} {
			l, r := side[0], side[1]
			if !isValueExpr(r) || isValueExpr(l) {
				continue
			}
			// The key encoding is by type: only same-typed values may be
			// used to build a key (an integer value converted when exact).
			if r = keyValue(r, l.Type()); r.Type().OID != l.Type().OID {
				continue
			}
			ref, isCol := l.(*ColRef)
			if cmp.Op == "=" {
				if isCol {
					ac.eq[ref.Idx] = r
				} else {
					ac.exprEq[ExprKey(l)] = r
				}
				continue
			}
			if !rangeKeyType(l.Type()) {
				continue
			}
			op := cmp.Op
			if i == 1 {
				op = flipCmp[op] // 5 < id is id > 5
			}
			var kr *KeyRange
			if isCol {
				if kr = ac.rng[ref.Idx]; kr == nil {
					kr = &KeyRange{}
					ac.rng[ref.Idx] = kr
				}
			} else {
				k := ExprKey(l)
				if kr = ac.exprRng[k]; kr == nil {
					kr = &KeyRange{}
					ac.exprRng[k] = kr
				}
			}
			kr.add(op, r)
		}
	}
	return ac
}

// pathOn returns the path index ix of t offers under the conditions: the
// values of the equalities on its first key elements, and the range on
// the next (nil: none). elems are ix's elements bound over the row (nil
// for a plain index). ok is false when ix cannot serve the scan: a
// partial index whose predicate the conditions do not imply, or one whose
// expressions no longer bind.
func (ac *accessConds) pathOn(t *catalog.Table, ix *catalog.Index) (elems, vals []Expr, kr *KeyRange, ok bool) {
	if !ix.Plain() {
		bi := boundIndexOf(t, ix)
		if bi == nil || !impliesPredicate(ac.conj, bi.pred) {
			return nil, nil, nil, false
		}
		elems = bi.elems
	}
	for j, c := range ix.Columns {
		var v Expr
		var found bool
		if c >= 0 {
			v, found = ac.eq[c]
		} else {
			v, found = ac.exprEq[ExprKey(elems[j])]
		}
		if !found {
			if c >= 0 {
				kr = withRowBound(ac.rng[c], ac.rowRng[c], ix, j)
			} else {
				kr = ac.exprRng[ExprKey(elems[j])]
			}
			break
		}
		vals = append(vals, v)
	}
	return elems, vals, kr, true
}

// accessReason describes a path on ix for EXPLAIN: equality on its first n
// key elements, and a range on the next one.
func accessReason(t *catalog.Table, ix *catalog.Index, n int, rng bool) string {
	what := "columns"
	if ix.HasExprs() {
		what = "key elements"
	}
	of := "of index " + ix.Name
	if ix.Primary {
		what, of = "primary key columns", ""
	}
	eqPart := fmt.Sprintf("equality on %d of %d %s", n, len(ix.Columns), what)
	if of != "" {
		eqPart += " " + of
	}
	if !rng {
		return eqPart
	}
	elem := ""
	if c := ix.Columns[n]; c >= 0 {
		elem = t.Columns[c].Name
	} else {
		elem = DeparseIndexElem(t, ix, n, true)
	}
	if n == 0 {
		if ix.Primary {
			return "range on primary key column " + elem
		}
		if ix.Columns[0] >= 0 {
			return fmt.Sprintf("range on column %s of index %s", elem, ix.Name)
		}
		return fmt.Sprintf("range on key element %s of index %s", elem, ix.Name)
	}
	return fmt.Sprintf("%s, range on the next (%s)", eqPart, elem)
}

// rowKeyBound is a row comparison of columns with values, (a, b) > ($1,
// $2): lexicographic over the columns, it bounds the keys that start with
// them as one range of encoded keys (exec.ScanBounds).
type rowKeyBound struct {
	cols []int
	op   string
	vals []Expr
}

// rowBound returns rc as a rowKeyBound, or nil when one side is not all
// columns, the other not all values of the very same types, or a column's
// type has no ordered key encoding.
func rowBound(rc *RowCmp) *rowKeyBound {
	if _, ok := flipCmp[rc.Op]; !ok {
		return nil
	}
	ls, rs, op := rc.L, rc.R, rc.Op
	if _, ok := ls[0].(*ColRef); !ok {
		ls, rs, op = rc.R, rc.L, flipCmp[op]
	}
	rb := &rowKeyBound{op: op, vals: rs}
	for i, l := range ls {
		ref, ok := l.(*ColRef)
		if !ok || !isValueExpr(rs[i]) || rs[i].Type().OID != ref.T.OID || !rangeKeyType(ref.T) {
			return nil
		}
		rb.cols = append(rb.cols, ref.Idx)
	}
	return rb
}

// withRowBound adds to kr (the range on key element j of ix, or nil) the
// bound of a row comparison in rbs whose columns are the key elements from
// j on, all ordered in one direction (the bound is one range of encoded
// keys only then), on a side kr leaves open. The bound is a RowExpr of the
// values, one per key element.
func withRowBound(kr *KeyRange, rbs []*rowKeyBound, ix *catalog.Index, j int) *KeyRange {
	elems := ix.Columns[j:]
	for _, rb := range rbs {
		if len(rb.cols) > len(elems) || !slices.Equal(rb.cols, elems[:len(rb.cols)]) {
			continue
		}
		oneWay := true
		for i := range rb.cols {
			oneWay = oneWay && ix.Order(j+i)&catalog.IndexDesc == ix.Order(j)&catalog.IndexDesc
		}
		if !oneWay {
			continue
		}
		m := &KeyRange{}
		if kr != nil {
			*m = *kr
		}
		v := &RowExpr{Elems: rb.vals}
		switch rb.op {
		case ">", ">=":
			if m.Lo == nil {
				m.Lo, m.LoIncl = v, rb.op == ">="
			}
		default:
			if m.Hi == nil {
				m.Hi, m.HiIncl = v, rb.op == "<="
			}
		}
		kr = m
	}
	return kr
}

func isRowExpr(e Expr) bool {
	_, ok := e.(*RowExpr)
	return ok
}

// keyValue returns integer value v as a value of key type t where that is
// exact, as PostgreSQL casts the constant of `f > 0` to the float column's
// type so that an index serves it: a constant as an integer of another
// width it fits, a numeric, or a float8 holding it exactly; a parameter
// widened to int8 or numeric (int2 and int4 to float8 too), a conversion
// that cannot fail. Otherwise v itself.
func keyValue(v Expr, t types.Type) Expr {
	from := v.Type()
	if from.OID == t.OID || !intOID(from.OID) {
		return v
	}
	if c, ok := v.(*Const); ok {
		if c.V.IsNull() {
			return &Const{V: types.Null, T: t}
		}
		i := c.V.I
		switch t.OID {
		case types.OIDInt2:
			if i >= math.MinInt16 && i <= math.MaxInt16 {
				return &Const{V: types.NewInt(i), T: t}
			}
		case types.OIDInt4:
			if i >= math.MinInt32 && i <= math.MaxInt32 {
				return &Const{V: types.NewInt(i), T: t}
			}
		case types.OIDInt8:
			return &Const{V: types.NewInt(i), T: t}
		case types.OIDFloat8:
			if i >= -1<<53 && i <= 1<<53 {
				return &Const{V: types.NewFloat(float64(i)), T: t}
			}
		case types.OIDNumeric:
			return &Const{V: types.NewNumeric(apd.New(i, 0)), T: t}
		}
		return v
	}
	switch {
	case t.OID == types.OIDInt8 || t.OID == types.OIDNumeric,
		t.OID == types.OIDFloat8 && from.OID != types.OIDInt8:
		return &Cast{E: v, T: t, From: from}
	}
	return v
}

func intOID(oid types.OID) bool {
	return oid == types.OIDInt2 || oid == types.OIDInt4 || oid == types.OIDInt8
}

// flipCmp maps each range operator to the one with its sides swapped.
var flipCmp = map[string]string{"<": ">", "<=": ">=", ">": "<", ">=": "<="}

// add records the bound `element op v` (op one of < <= > >=). The first
// bound on each side is kept: any one narrows the read, the filter checks
// them all.
func (r *KeyRange) add(op string, v Expr) {
	switch op {
	case ">", ">=":
		if r.Lo == nil {
			r.Lo, r.LoIncl = v, op == ">="
		}
	case "<", "<=":
		if r.Hi == nil {
			r.Hi, r.HiIncl = v, op == "<="
		}
	}
}

// rangeKeyType reports whether a key element of type t may carry a range:
// its key encoding (oltp/keycode) orders as its SQL comparison operators
// do. (json has no ordering; jsonb, arrays and enums are left out.)
func rangeKeyType(t types.Type) bool {
	if t.Enum != nil {
		return false
	}
	switch t.OID {
	case types.OIDBool, types.OIDInt2, types.OIDInt4, types.OIDInt8, types.OIDOID,
		types.OIDFloat4, types.OIDFloat8, types.OIDNumeric,
		types.OIDDate, types.OIDTime, types.OIDTimestamp, types.OIDTimestampTZ, types.OIDInterval,
		types.OIDText, types.OIDVarchar, types.OIDBPChar, types.OIDName, types.OIDBytea, types.OIDUUID,
		types.OIDInet, types.OIDCIDR:
		return true
	}
	return false
}

// isValueExpr reports whether e is fixed for the statement (constants,
// parameters and stable expressions of them).
func isValueExpr(e Expr) bool {
	ok := true
	Walk(e, func(x Expr) bool {
		switch f := x.(type) {
		case *Const, *Param, *Cast, *BinOp, *Neg:
		case *Func:
			if f.F.Volatility == funcs.Volatile {
				ok = false
			}
		default:
			ok = false
		}
		return ok
	})
	return ok
}

// bindTableSample binds t TABLESAMPLE BERNOULLI (p) and SYSTEM (p): each
// row of the table is returned with probability p/100, independently
// (random() per row, above the scan). PostgreSQL's SYSTEM draws whole
// pages instead, which makes it cheaper and its sample clumpier; OmenDB's
// column segments have no pages to draw, so SYSTEM samples as BERNOULLI
// does — the same expected share of rows. With REPEATABLE (seed) a row's
// fate is a hash of the seed and its primary key instead of random(), so
// the same seed draws the same rows whatever order the scan meets them in
// (PostgreSQL's repeats for an unchanged table; this one also keeps the
// rows that stay). A table without a primary key has no stable identity
// to hash: REPEATABLE there fails with 0A000.
func (b *Binder) bindTableSample(ts *pg.RangeTableSample, parent *scope) (*fromItem, error) {
	names := nodeName(ts.Method)
	method := strings.ToLower(names[len(names)-1])
	if method != "bernoulli" && method != "system" {
		return nil, pgerr.New(pgerr.UndefinedObject, "tablesample method %s does not exist", names[len(names)-1])
	}
	if len(ts.Args) != 1 {
		return nil, pgerr.New(pgerr.SyntaxError, "tablesample method %s requires 1 argument, not %d", method, len(ts.Args))
	}
	rv := ts.Relation.GetRangeVar()
	if rv == nil {
		return nil, pgerr.NotSupported("TABLESAMPLE clause can only be applied to tables and materialized views")
	}
	it, err := b.bindFromItem(ts.Relation, parent)
	if err != nil {
		return nil, err
	}
	if _, ok := it.node.(*Scan); !ok {
		return nil, pgerr.NotSupported("TABLESAMPLE clause can only be applied to tables and materialized views")
	}
	c, err := b.sampleConst(ts.Args[0], "percentage", "2202H", "TABLESAMPLE parameter cannot be null")
	if err != nil {
		return nil, err
	}
	pct := c.V.Float()
	if !(pct >= 0 && pct <= 100) {
		return nil, pgerr.New("2202H", "sample percentage must be between 0 and 100")
	}
	var cond Expr
	if ts.Repeatable != nil {
		if cond, err = b.repeatableSample(ts.Repeatable, it.node.(*Scan).Table, pct/100); err != nil {
			return nil, err
		}
	} else {
		fn, _, err := funcs.Resolve("random", nil)
		if err != nil {
			return nil, err
		}
		if cond, err = b.comparison("<", &Func{F: fn}, &Const{V: types.NewFloat(pct / 100), T: types.Float8}, 0); err != nil {
			return nil, err
		}
	}
	it.node = &Filter{Input: it.node, Cond: cond}
	return it, nil
}

// sampleConst binds a TABLESAMPLE argument (what it is, for the error): a
// float8 constant, not NULL (nullCode and nullMsg, PostgreSQL's, if it is).
func (b *Binder) sampleConst(n *pg.Node, what, nullCode, nullMsg string) (*Const, error) {
	e, err := b.bindExpr(n, &scope{})
	if err != nil {
		return nil, err
	}
	if e, err = b.coerce(e, types.Float8, false); err != nil {
		return nil, err
	}
	if e, err = b.fold(e); err != nil {
		return nil, err
	}
	c, ok := e.(*Const)
	if !ok {
		return nil, pgerr.NotSupported("a TABLESAMPLE %s that is not a constant is not supported yet", what)
	}
	if c.V.IsNull() {
		return nil, pgerr.New(nullCode, "%s", nullMsg)
	}
	return c, nil
}

// repeatableSample is REPEATABLE (seed)'s condition over t's rows:
// sampleKeep(seed, frac, the primary key's columns as text).
func (b *Binder) repeatableSample(seedExpr *pg.Node, t *catalog.Table, frac float64) (Expr, error) {
	c, err := b.sampleConst(seedExpr, "REPEATABLE seed", "2202G", "TABLESAMPLE REPEATABLE parameter cannot be null")
	if err != nil {
		return nil, err
	}
	pk := t.PK()
	if pk == nil {
		return nil, pgerr.NotSupported("TABLESAMPLE ... REPEATABLE on table %q, which has no primary key, is not supported yet", t.Name)
	}
	args := []Expr{c, &Const{V: types.NewFloat(frac), T: types.Float8}}
	for _, ci := range pk.Columns {
		if ci < 0 {
			return nil, pgerr.NotSupported("TABLESAMPLE ... REPEATABLE on a table whose primary key has expressions is not supported yet")
		}
		key, err := b.coerce(&ColRef{Idx: ci, T: t.Columns[ci].Type, Name: t.Columns[ci].Name}, types.Text, true)
		if err != nil {
			return nil, err
		}
		args = append(args, key)
	}
	return &Func{F: sampleKeep, Args: args}, nil
}

// sampleKeep(seed, frac, key text...) reports whether the row with that
// key is in REPEATABLE (seed)'s sample: FNV-1a of the seed and the key's
// parts (each length-prefixed), finalized as murmur3 does, as a fraction
// of 2^53, below frac.
var sampleKeep = &funcs.Func{
	Name: "tablesample_repeatable", Args: []types.Type{types.Float8, types.Float8, types.Text}, Variadic: true,
	Ret: types.Bool, Strict: true, Volatility: funcs.Immutable,
	Eval: func(_ *funcs.Context, args []types.Value) (types.Value, error) {
		const prime = 1099511628211
		h := uint64(14695981039346656037)
		mix := func(b []byte) {
			for _, c := range b {
				h = (h ^ uint64(c)) * prime
			}
		}
		var buf [8]byte
		binary.LittleEndian.PutUint64(buf[:], uint64(args[0].I)) // the seed's float64 bits
		mix(buf[:])
		for _, k := range args[2:] {
			binary.LittleEndian.PutUint64(buf[:], uint64(len(k.S)))
			mix(buf[:])
			mix([]byte(k.S))
		}
		// FNV alone spreads short, similar keys unevenly: murmur3's
		// 64-bit finalizer mixes every bit into every other.
		h ^= h >> 33
		h *= 0xff51afd7ed558ccd
		h ^= h >> 33
		h *= 0xc4ceb9fe1a85ec53
		h ^= h >> 33
		u := float64(h>>11) / (1 << 53)
		return types.NewBool(u < args[1].Float()), nil
	},
}
