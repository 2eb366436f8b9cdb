package plan

import (
	"fmt"
	"slices"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql/funcs"
	"github.com/omendb/omendb/types"
)

// tableScope is a scope over a table's physical row.
func tableScope(t *catalog.Table, alias string) *scope {
	s := &scope{}
	s.add(alias, tableColumns(t), t)
	return s
}

// BindDefault binds a column's default expression text.
func (b *Binder) BindDefault(t *catalog.Table, col int) (Expr, error) {
	c := t.Columns[col]
	if c.Default == "" {
		return nil, nil
	}
	stmts, err := Parse("SELECT " + c.Default)
	if err != nil {
		return nil, fmt.Errorf("default of column %q: %w", c.Name, err)
	}
	rt := stmts[0].Stmt.GetSelectStmt().TargetList[0].GetResTarget()
	defer b.enterTablePath(t)()
	e, err := b.bindExpr(rt.Val, &scope{})
	if err != nil {
		return nil, err
	}
	return b.assignCoerce(e, c.Type, c.Name)
}

// BindCheck binds a CHECK constraint's expression over a row of t: a
// boolean (42804) without subqueries (0A000), aggregates or window
// functions (42803), as PostgreSQL requires. cols are the positions of the
// columns it reads, in order of first use.
func (b *Binder) BindCheck(t *catalog.Table, n *pg.Node) (e Expr, cols []int, err error) {
	defer b.enterTablePath(t)()
	if e, err = b.bindExpr(n, tableScope(t, t.Name)); err != nil {
		return nil, nil, err
	}
	if e.Type().OID != types.OIDBool {
		if isUnknown(e.Type()) {
			if e, err = b.coerce(e, types.Bool, false); err != nil {
				return nil, nil, err
			}
		} else {
			return nil, nil, pgerr.New(pgerr.DatatypeMismatch, "argument of CHECK must be type boolean, not type %s", types.TypeName(e.Type()))
		}
	}
	if hasSubqueryOr(e, false) {
		return nil, nil, pgerr.NotSupported("cannot use subquery in check constraint")
	}
	if err := storedCalls(e, "check constraint"); err != nil {
		return nil, nil, err
	}
	if len(b.Params) > 0 {
		return nil, nil, pgerr.New("42P02", "there is no parameter $1")
	}
	Walk(e, func(x Expr) bool {
		if r, ok := x.(*ColRef); ok && !slices.Contains(cols, r.Idx) {
			cols = append(cols, r.Idx)
		}
		return true
	})
	return e, cols, nil
}

// BindCheckText binds a stored CHECK constraint (catalog.Check.Expr).
func (b *Binder) BindCheckText(t *catalog.Table, text string) (Expr, error) {
	stmts, err := Parse("SELECT " + text)
	if err != nil {
		return nil, fmt.Errorf("check constraint of %q: %w", t.Name, err)
	}
	e, _, err := b.BindCheck(t, stmts[0].Stmt.GetSelectStmt().TargetList[0].GetResTarget().Val)
	return e, err
}

func (b *Binder) checkWritable(t *catalog.Table) error {
	if err := t.Refuse(); err != nil {
		return err
	}
	return nil
}

// BindInsert binds an INSERT statement.
func (b *Binder) BindInsert(ins *pg.InsertStmt) (*Insert, error) {
	top := b.enterTop(ins.WithClause)
	n, err := b.bindInsert(ins)
	if err != nil || !top {
		return n, err
	}
	if n.Modifying, err = b.topModifying(); err != nil {
		return nil, err
	}
	return n, nil
}

func (b *Binder) bindInsert(ins *pg.InsertStmt) (*Insert, error) {
	if ins.WithClause != nil {
		// Its CTEs are visible to the INSERT's source query.
		pop, err := b.bindWith(ins.WithClause, &scope{})
		if err != nil {
			return nil, err
		}
		defer pop()
	}
	t, uv, err := b.writeTarget(ins.Relation, verbInsert)
	if err != nil {
		return nil, err
	}
	n := &Insert{Table: t, Override: overridingOf(ins.Override)}
	var viewErr []error      // per target, writing through a view without a column list: why it cannot be assigned
	var elems []*arrayTarget // per target: its element assignment, if any
	switch {
	case len(ins.Cols) == 0 && uv != nil:
		// The view's columns in order; computed ones fail only if given.
		for _, c := range uv.cols {
			_, err := uv.column(c.name, verbInsert)
			n.Target = append(n.Target, c.col)
			viewErr = append(viewErr, err)
		}
	case len(ins.Cols) == 0:
		for i, c := range t.Columns {
			if !c.Dropped {
				n.Target = append(n.Target, i)
			}
		}
	default:
		if n.Target, elems, err = b.insertColumns(t, uv, ins.Cols); err != nil {
			return nil, err
		}
	}
	targetTypes := make([]types.Type, len(n.Target))
	for i, c := range n.Target {
		if c < 0 {
			targetTypes[i] = uv.cols[i].t
			continue
		}
		targetTypes[i] = t.Columns[c].Type
		if len(elems) > 0 && elems[i] != nil {
			targetTypes[i] = elems[i].valueType()
		}
	}
	if n.Defaults, err = b.bindDefaults(t); err != nil {
		return nil, err
	}
	// viewTargets checks, writing through a view, the columns given values
	// (n.Target once cut to the values' width): none computed, none twice
	// (a view may show one column under two names).
	viewTargets := func() error {
		if uv == nil {
			return nil
		}
		seen := map[int]bool{}
		for i, c := range n.Target {
			if viewErr != nil && viewErr[i] != nil {
				return viewErr[i]
			}
			if seen[c] && (len(elems) == 0 || elems[i] == nil) {
				return pgerr.New(pgerr.SyntaxError, "multiple assignments to same column %q", t.Columns[c].Name)
			}
			seen[c] = true
		}
		return nil
	}
	sel := ins.SelectStmt.GetSelectStmt()
	switch {
	case sel == nil:
		// INSERT … DEFAULT VALUES
		if uv != nil {
			n.Target = nil
		}
		n.Source = &Values{Rows: [][]Expr{make([]Expr, len(n.Target))}, Cols: make([]Column, len(n.Target))}
	case len(sel.ValuesLists) > 0 && sel.SortClause == nil && sel.LimitCount == nil && sel.WithClause == nil:
		v, err := b.bindValues(sel.ValuesLists, &scope{}, targetTypes)
		if err != nil {
			return nil, err
		}
		if len(v.Cols) > len(n.Target) {
			return nil, pgerr.New(pgerr.SyntaxError, "INSERT has more expressions than target columns")
		}
		if len(v.Cols) < len(n.Target) {
			if len(ins.Cols) > 0 {
				return nil, pgerr.New(pgerr.SyntaxError, "INSERT has more target columns than expressions")
			}
			n.Target = n.Target[:len(v.Cols)]
		}
		if err := viewTargets(); err != nil {
			return nil, err
		}
		n.Source = v
	default:
		b.insertSource = sel
		src, err := b.bindSelect(sel, &scope{})
		b.insertSource = nil
		if err != nil {
			return nil, err
		}
		cols := src.Columns()
		if len(cols) > len(n.Target) {
			return nil, pgerr.New(pgerr.SyntaxError, "INSERT has more expressions than target columns")
		}
		b.inferOutputParams(src, targetTypes)
		cols = src.Columns()
		if len(cols) < len(n.Target) {
			if len(ins.Cols) > 0 {
				return nil, pgerr.New(pgerr.SyntaxError, "INSERT has more target columns than expressions")
			}
			n.Target = n.Target[:len(cols)]
		}
		if err := viewTargets(); err != nil {
			return nil, err
		}
		p := &Project{Input: src}
		for i, c := range cols {
			tc := t.Columns[n.Target[i]]
			e, err := b.assignCoerce(&ColRef{Idx: i, T: c.T, Name: c.Name}, targetTypes[i], tc.Name)
			if err != nil {
				return nil, err
			}
			p.Exprs = append(p.Exprs, e)
			p.Cols = append(p.Cols, Column{Name: tc.Name, T: targetTypes[i]})
		}
		n.Source = p
	}
	if uv != nil {
		n.ViewChecks = uv.checks
	}
	// A generated column takes DEFAULT only: its value is computed.
	for i, c := range n.Target {
		if c < 0 || t.Columns[c].Generated == "" {
			continue
		}
		v, ok := n.Source.(*Values)
		if !ok {
			return nil, generatedError(t.Columns[c].Name, false)
		}
		for _, row := range v.Rows {
			if i < len(row) && row[i] != nil {
				return nil, generatedError(t.Columns[c].Name, false)
			}
		}
	}
	for _, at := range elems {
		if at == nil {
			continue
		}
		if v, ok := n.Source.(*Values); ok {
			for _, row := range v.Rows {
				for _, e := range row {
					if e == nil {
						return nil, pgerr.NotSupported("DEFAULT in an INSERT with array element targets is not supported")
					}
				}
			}
		}
		n.Source, n.Target = assignElements(n.Source, n.Target, elems)
		break
	}
	if oc := ins.OnConflictClause; oc != nil {
		if n.OnConflict, err = b.bindOnConflict(t, oc, uv); err != nil {
			return nil, err
		}
	}
	if len(ins.ReturningList) > 0 {
		rs := tableScope(t, t.Name)
		if uv != nil {
			rs = uv.scope(uv.view.Name)
		}
		if n.Returning, n.RetCols, err = b.bindReturning(ins.ReturningList, rs); err != nil {
			return nil, err
		}
	}
	n.Params = b.FinalParams()
	return n, nil
}

// overridingOf maps the parser's OVERRIDING clause.
func overridingOf(k pg.OverridingKind) Overriding {
	switch k {
	case pg.OverridingKind_OVERRIDING_SYSTEM_VALUE:
		return OverridingSystem
	case pg.OverridingKind_OVERRIDING_USER_VALUE:
		return OverridingUser
	}
	return OverridingNone
}

// insertColumns resolves an INSERT's column list (cols, ResTargets) to
// positions in t (through updatable view uv when not nil); elems holds, per
// target, the assignment to its elements (INSERT INTO t (a[i]) …: the
// column is built from NULL), nil for a whole column.
func (b *Binder) insertColumns(t *catalog.Table, uv *updatableView, cols []*pg.Node) (target []int, elems []*arrayTarget, err error) {
	seen := map[int]bool{}    // whole columns
	partial := map[int]bool{} // columns with element targets
	for _, c := range cols {
		rt := c.GetResTarget()
		i := t.ColumnIndex(rt.Name)
		if uv != nil {
			if i, err = uv.column(rt.Name, verbInsert); err != nil {
				return nil, nil, err
			}
		}
		if i < 0 {
			return nil, nil, pgerr.New(pgerr.UndefinedColumn, "column %q of relation %q does not exist", rt.Name, t.Name)
		}
		if seen[i] || (partial[i] && len(rt.Indirection) == 0) {
			return nil, nil, pgerr.New(pgerr.DuplicateColumn, "column %q specified more than once", rt.Name)
		}
		var at *arrayTarget
		if len(rt.Indirection) > 0 {
			if at, err = b.bindArrayTarget(t.Columns[i].Type, rt.Indirection, &scope{}); err != nil {
				return nil, nil, err
			}
			partial[i] = true
		} else {
			seen[i] = true
		}
		elems = append(elems, at)
		target = append(target, i)
	}
	return target, elems, nil
}

// bindDefaults binds the default expression of each of t's columns (nil:
// none, or a dropped column).
func (b *Binder) bindDefaults(t *catalog.Table) ([]Expr, error) {
	out := make([]Expr, len(t.Columns))
	for i, c := range t.Columns {
		if c.Dropped {
			continue
		}
		var err error
		if out[i], err = b.BindDefault(t, i); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// bindOnConflict binds INSERT's ON CONFLICT clause; through a view (uv),
// the conflict target, SET list and WHERE name the view's columns (the
// existing row's by the view's name, the proposed row's as EXCLUDED).
func (b *Binder) bindOnConflict(t *catalog.Table, oc *pg.OnConflictClause, uv *updatableView) (*OnConflict, error) {
	out := &OnConflict{Nothing: oc.Action == pg.OnConflictAction_ONCONFLICT_NOTHING}
	if inf := oc.Infer; inf != nil {
		var err error
		if out.Arbiters, err = b.inferArbiters(t, inf, uv); err != nil {
			return nil, err
		}
	} else if !out.Nothing {
		return nil, pgerr.New(pgerr.SyntaxError, "ON CONFLICT DO UPDATE requires inference specification or constraint name").
			WithHint("For example, ON CONFLICT (column_name).")
	}
	if out.Nothing {
		return out, nil
	}
	// SET and WHERE see the existing row (by the table's name) and EXCLUDED.
	s := &scope{}
	col := tableColumn(t)
	if uv != nil {
		uv.addTo(s, uv.view.Name)
		uv.addTo(s, "excluded")
		col = func(name string) (int, error) { return uv.column(name, verbUpdate) }
	} else {
		s.add(t.Name, tableColumns(t), t)
		s.add("excluded", tableColumns(t), t)
	}
	var err error
	if out.Set, err = b.bindSetList(t, oc.TargetList, s, col); err != nil {
		return nil, err
	}
	if oc.WhereClause != nil {
		w, err := b.bindExpr(oc.WhereClause, s)
		if err != nil {
			return nil, err
		}
		if out.Where, err = b.coerceBool(w, "argument of WHERE"); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// inferArbiters returns the unique indexes an ON CONFLICT target names:
// ON CONSTRAINT's constraint, or every unique index whose key elements
// (columns and expressions, in any order) are the target's and whose
// predicate, for a partial index, the target's WHERE implies (as
// PostgreSQL's infer_arbiter_indexes; a non-partial index satisfies any
// WHERE). None is 42P10.
func (b *Binder) inferArbiters(t *catalog.Table, inf *pg.InferClause, uv *updatableView) ([]*catalog.Index, error) {
	if inf.Conname != "" {
		for i := range t.Indexes {
			if ix := &t.Indexes[i]; ix.Name == inf.Conname && ix.Constraint() {
				return []*catalog.Index{ix}, nil
			}
		}
		return nil, pgerr.New(pgerr.UndefinedObject, "constraint %q for table %q does not exist", inf.Conname, t.Name)
	}
	var want []string // ExprKeys of the target's elements
	for _, e := range inf.IndexElems {
		ie := e.GetIndexElem()
		if ie == nil {
			return nil, pgerr.NotSupported("ON CONFLICT target %T is not supported", e.Node)
		}
		if ie.Name == "" {
			if uv != nil {
				return nil, pgerr.NotSupported("ON CONFLICT on expressions through a view is not supported yet")
			}
			x, err := b.BindIndexExpr(t, ie.Expr, IndexExpression)
			if err != nil {
				return nil, err
			}
			want = append(want, ExprKey(x))
			continue
		}
		i := t.ColumnIndex(ie.Name)
		if uv != nil {
			i = -1
			for _, c := range uv.cols {
				if c.name == ie.Name {
					i = c.col
				}
			}
		}
		if i < 0 {
			return nil, pgerr.New(pgerr.UndefinedColumn, "column %q does not exist", ie.Name)
		}
		want = append(want, ExprKey(&ColRef{Idx: i, T: t.Columns[i].Type}))
	}
	var where []Expr
	if inf.WhereClause != nil {
		if uv != nil {
			return nil, pgerr.NotSupported("ON CONFLICT … WHERE through a view is not supported yet")
		}
		w, err := b.BindIndexExpr(t, inf.WhereClause, IndexPredicate)
		if err != nil {
			return nil, err
		}
		where = splitAnd(w)
	}
	var out []*catalog.Index
	for i := range t.Indexes {
		ix := &t.Indexes[i]
		if !ix.Unique && !ix.Primary || len(ix.Columns) != len(want) {
			continue
		}
		var elems []Expr
		var pred []Expr
		if !ix.Plain() {
			bi := boundIndexOf(t, ix)
			if bi == nil {
				continue
			}
			elems, pred = bi.elems, bi.pred
		}
		if len(pred) > 0 && (where == nil || !impliesPredicate(where, pred)) {
			continue
		}
		have := make([]string, len(ix.Columns))
		for j, c := range ix.Columns {
			if c >= 0 {
				have[j] = ExprKey(&ColRef{Idx: c, T: t.Columns[c].Type})
			} else {
				have[j] = ExprKey(elems[j])
			}
		}
		if sameKeys(have, want) {
			out = append(out, ix)
		}
	}
	if len(out) == 0 {
		return nil, pgerr.New(pgerr.InvalidColumnReference, "there is no unique or exclusion constraint matching the ON CONFLICT specification")
	}
	return out, nil
}

// sameKeys reports whether a and b hold the same keys (as sets).
func sameKeys(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	for _, x := range b {
		if !slices.Contains(a, x) {
			return false
		}
	}
	return true
}

// tableColumn resolves a column of t named as an assignment's target.
func tableColumn(t *catalog.Table) func(string) (int, error) {
	return func(name string) (int, error) {
		if i := t.ColumnIndex(name); i >= 0 {
			return i, nil
		}
		return -1, pgerr.New(pgerr.UndefinedColumn, "column %q of relation %q does not exist", name, t.Name)
	}
}

// bindSetList binds SET col = expr, … over scope s; col resolves a
// target's name to a column of t (tableColumn, or a view's column).
func (b *Binder) bindSetList(t *catalog.Table, list []*pg.Node, s *scope, col func(string) (int, error)) ([]SetClause, error) {
	var out []SetClause
	seen := map[int]bool{}
	var multi *Subquery // the source of the SET (a, b, …) = (SELECT …) being bound
	for _, n := range list {
		rt := n.GetResTarget()
		val := rt.Val
		if ma := val.GetMultiAssignRef(); ma != nil {
			var err error
			if val, multi, err = b.multiAssignItem(ma, multi, s); err != nil {
				return nil, err
			}
		}
		i, err := col(rt.Name)
		if err != nil {
			return nil, err
		}
		if t.Columns[i].Generated != "" {
			if val.GetSetToDefault() == nil || len(rt.Indirection) > 0 {
				return nil, generatedError(t.Columns[i].Name, true)
			}
			continue // computed again from the new row anyway
		}
		if len(rt.Indirection) > 0 {
			if rt.Val.GetMultiAssignRef() != nil {
				return nil, pgerr.NotSupported("subscripted targets of a multiple-column assignment are not supported yet")
			}
			var err error
			if out, err = b.bindElementSet(t, i, rt, s, out); err != nil {
				return nil, err
			}
			seen[i] = true
			continue
		}
		if seen[i] {
			return nil, pgerr.New(pgerr.SyntaxError, "multiple assignments to same column %q", rt.Name)
		}
		seen[i] = true
		var e Expr
		switch {
		case val.GetSetToDefault() != nil:
			if e, err = b.BindDefault(t, i); err != nil {
				return nil, err
			}
			if e == nil {
				e = &Const{V: types.Null, T: t.Columns[i].Type}
			}
		case val == nil:
			// Column Colno of a SET (…) = (SELECT …): a field of its row.
			k := int(rt.Val.GetMultiAssignRef().Colno) - 1
			e = &FieldSelect{E: multi, Idx: k, T: multi.T.Rec.Fields[k]}
			if e, err = b.assignCoerce(e, t.Columns[i].Type, rt.Name); err != nil {
				return nil, err
			}
		default:
			if e, err = b.bindExpr(val, s); err != nil {
				return nil, err
			}
			if e, err = b.assignCoerce(e, t.Columns[i].Type, rt.Name); err != nil {
				return nil, err
			}
		}
		out = append(out, SetClause{Col: i, E: e})
	}
	return out, nil
}

// multiAssignItem returns the source of one column of SET (a, b, …) =
// source: the element of a row constructor, or nil for the field of a
// subquery's row, then the subquery (bound at the first column, multi, and
// shared by the others so that it runs once per row when uncorrelated).
func (b *Binder) multiAssignItem(ma *pg.MultiAssignRef, multi *Subquery, s *scope) (*pg.Node, *Subquery, error) {
	n, k := int(ma.Ncolumns), int(ma.Colno)-1
	if elems, ok := rowArgs(ma.Source); ok {
		if len(elems) != n {
			return nil, nil, pgerr.New(pgerr.SyntaxError, "number of columns does not match number of values")
		}
		return elems[k], nil, nil
	}
	sl := ma.Source.GetSubLink()
	if sl == nil || sl.SubLinkType != pg.SubLinkType_EXPR_SUBLINK {
		return nil, nil, pgerr.NotSupported("source for a multiple-column UPDATE item must be a sub-SELECT or ROW() expression")
	}
	if k == 0 || multi == nil {
		var err error
		if multi, err = b.bindRowSource(sl, n, s); err != nil {
			return nil, nil, err
		}
	}
	return nil, multi, nil
}

func (b *Binder) bindReturning(list []*pg.Node, s *scope) ([]Expr, []Column, error) {
	var exprs []Expr
	var cols []Column
	for _, n := range list {
		rt := n.GetResTarget()
		if cr := rt.Val.GetColumnRef(); cr != nil && isStar(cr) {
			es, cs, err := b.expandStar(cr, s)
			if err != nil {
				return nil, nil, err
			}
			exprs, cols = append(exprs, es...), append(cols, cs...)
			continue
		}
		e, err := b.bindExpr(rt.Val, s)
		if err != nil {
			return nil, nil, err
		}
		if isUnknown(e.Type()) {
			if e, err = b.coerce(e, types.Text, false); err != nil {
				return nil, nil, err
			}
		}
		name := rt.Name
		if name == "" {
			name = figureColname(rt.Val)
		}
		exprs = append(exprs, e)
		cols = append(cols, Column{Name: name, T: e.Type()})
	}
	return exprs, cols, nil
}

// bindTargetScan binds the table (or updatable view, uv) and WHERE of
// UPDATE / DELETE. Through a view, the scan's filter is the view's
// conditions and the statement's WHERE.
func (b *Binder) bindTargetScan(rv *pg.RangeVar, where *pg.Node, verb viewVerb) (*Scan, *scope, *updatableView, error) {
	t, uv, err := b.writeTarget(rv, verb)
	if err != nil {
		return nil, nil, nil, err
	}
	alias := rv.Relname
	if rv.Alias != nil {
		alias = rv.Alias.Aliasname
	}
	s := tableScope(t, alias)
	sc := &Scan{Table: t, Alias: alias, Cols: tableColumns(t)}
	var conds []Expr
	if uv != nil {
		s = uv.scope(alias)
		if uv.cond != nil {
			conds = append(conds, uv.cond)
		}
	}
	if where != nil {
		w, err := b.bindExpr(where, s)
		if err != nil {
			return nil, nil, nil, err
		}
		if w, err = b.coerceBool(w, "argument of WHERE"); err != nil {
			return nil, nil, nil, err
		}
		conds = append(conds, w)
	}
	if len(conds) > 0 {
		sc.Filter = and(conds)
	}
	chooseAccess(sc)
	return sc, s, uv, nil
}

// bindTargetJoin binds the target, FROM list and WHERE of UPDATE … FROM
// or DELETE … USING as one join, the target first (its scan also yields
// each row's primary key), and returns the scope of its rows.
func (b *Binder) bindTargetJoin(rv *pg.RangeVar, from []*pg.Node, where *pg.Node, verb viewVerb) (*Scan, *TargetJoin, *scope, *updatableView, error) {
	t, uv, err := b.writeTarget(rv, verb)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	alias := rv.Relname
	if rv.Alias != nil {
		alias = rv.Alias.Aliasname
	}
	cols := tableColumns(t)
	keyCol := len(cols)
	sc := &Scan{Table: t, Alias: alias, Cols: append(cols[:keyCol:keyCol], Column{Name: "?key?", T: types.Bytea}), Key: true}
	it := itemFrom(sc, alias, sc.Cols, t.Columns)
	key := it.cols[keyCol]
	key.hidden = true
	if uv != nil {
		// The view's columns over the target's row (the first item, so
		// its row starts the joined row), and only its rows.
		it.cols = append(uv.scope(alias).cols, key)
		sc.Filter = uv.cond
	} else {
		it.cols[keyCol] = key
	}
	s := &scope{}
	src, rest, err := b.bindFromAfter(it, from, where, s)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	if len(rest) > 0 {
		src = &Filter{Input: src, Cond: and(rest)}
	}
	tj := &TargetJoin{Source: src, KeyCol: keyCol}
	var recheck []Expr
	if uv != nil && uv.cond != nil {
		recheck = append(recheck, uv.cond)
	}
	if where != nil {
		// Bound again whole, for re-checking a concurrently changed row
		// (the first binding's conjuncts went into the join).
		w, err := b.bindExpr(where, s)
		if err != nil {
			return nil, nil, nil, nil, err
		}
		if w, err = b.coerceBool(w, "argument of WHERE"); err != nil {
			return nil, nil, nil, nil, err
		}
		recheck = append(recheck, w)
	}
	if len(recheck) > 0 {
		tj.Where = and(recheck)
	}
	return sc, tj, s, uv, nil
}

// dmlTarget is what UPDATE and DELETE bind alike: the target's scan, the
// join with FROM / USING items (nil without them) and the scope their
// expressions see.
type dmlTarget struct {
	scan *Scan
	join *TargetJoin
	s    *scope
	uv   *updatableView // the view written through, if one is named
}

// bindDMLTarget binds an UPDATE's or DELETE's WITH clause (visible until
// pop), target, FROM / USING list and WHERE.
func (b *Binder) bindDMLTarget(with *pg.WithClause, rv *pg.RangeVar, from []*pg.Node, where *pg.Node, verb viewVerb) (dt dmlTarget, pop func(), err error) {
	pop = func() {}
	if with != nil {
		if pop, err = b.bindWith(with, &scope{}); err != nil {
			return dt, nil, err
		}
	}
	if len(from) > 0 {
		dt.scan, dt.join, dt.s, dt.uv, err = b.bindTargetJoin(rv, from, where, verb)
	} else {
		dt.scan, dt.s, dt.uv, err = b.bindTargetScan(rv, where, verb)
	}
	if err != nil {
		pop()
		return dt, nil, err
	}
	return dt, pop, nil
}

// BindUpdate binds an UPDATE statement.
func (b *Binder) BindUpdate(up *pg.UpdateStmt) (*Update, error) {
	top := b.enterTop(up.WithClause)
	n, err := b.bindUpdate(up)
	if err != nil || !top {
		return n, err
	}
	if n.Modifying, err = b.topModifying(); err != nil {
		return nil, err
	}
	return n, nil
}

func (b *Binder) bindUpdate(up *pg.UpdateStmt) (*Update, error) {
	dt, pop, err := b.bindDMLTarget(up.WithClause, up.Relation, up.FromClause, up.WhereClause, verbUpdate)
	if err != nil {
		return nil, err
	}
	defer pop()
	n := &Update{Scan: dt.scan, Join: dt.join}
	col := tableColumn(dt.scan.Table)
	if dt.uv != nil {
		n.ViewChecks = dt.uv.checks
		col = func(name string) (int, error) { return dt.uv.column(name, verbUpdate) }
	}
	if n.Set, err = b.bindSetList(dt.scan.Table, up.TargetList, dt.s, col); err != nil {
		return nil, err
	}
	if len(up.ReturningList) > 0 {
		if n.Returning, n.RetCols, err = b.bindReturning(up.ReturningList, dt.s); err != nil {
			return nil, err
		}
	}
	n.Params = b.FinalParams()
	return n, nil
}

// BindDelete binds a DELETE statement.
func (b *Binder) BindDelete(del *pg.DeleteStmt) (*Delete, error) {
	top := b.enterTop(del.WithClause)
	n, err := b.bindDelete(del)
	if err != nil || !top {
		return n, err
	}
	if n.Modifying, err = b.topModifying(); err != nil {
		return nil, err
	}
	return n, nil
}

func (b *Binder) bindDelete(del *pg.DeleteStmt) (*Delete, error) {
	dt, pop, err := b.bindDMLTarget(del.WithClause, del.Relation, del.UsingClause, del.WhereClause, verbDelete)
	if err != nil {
		return nil, err
	}
	defer pop()
	n := &Delete{Scan: dt.scan, Join: dt.join}
	if len(del.ReturningList) > 0 {
		if n.Returning, n.RetCols, err = b.bindReturning(del.ReturningList, dt.s); err != nil {
			return nil, err
		}
	}
	n.Params = b.FinalParams()
	return n, nil
}

// inferOutputParams gives a parameter that is a whole output column of an
// INSERT's SELECT, of a type not known yet, the target column's type
// (PostgreSQL infers it from the assignment: INSERT INTO t SELECT $1, …).
func (b *Binder) inferOutputParams(src Node, targets []types.Type) {
	for {
		switch x := src.(type) {
		case *Sort:
			src = x.Input
			continue
		case *Limit:
			src = x.Input
			continue
		case *Distinct:
			src = x.Input
			continue
		case *Project:
			for i, e := range x.Exprs {
				p, ok := e.(*Param)
				if !ok || i >= len(targets) || !isUnknown(b.Params[p.N-1]) {
					continue
				}
				if ne, err := b.coerce(p, targets[i].WithoutMod(), false); err == nil {
					x.Exprs[i] = ne
					x.Cols[i].T = ne.Type()
				}
			}
		}
		return
	}
}

// BindExprText binds a standalone expression over no columns (CHECK-free
// defaults, SET values).
func (b *Binder) BindExprText(n *pg.Node) (Expr, error) { return b.bindExpr(n, &scope{}) }

// arrayTarget is an assignment to elements of an array column: a[i]…[j]
// (idx the subscripts) or a[lo:hi] (slice; idx holds the bounds given).
type arrayTarget struct {
	ct                  types.Type // the column's array type
	idx                 []Expr
	slice, hasLo, hasHi bool
}

// bindArrayTarget binds the subscripts of an assignment target a[…].
func (b *Binder) bindArrayTarget(ct types.Type, ind []*pg.Node, s *scope) (*arrayTarget, error) {
	if !types.IsArrayType(ct) {
		return nil, pgerr.New(pgerr.DatatypeMismatch, "cannot subscript type %s because it does not support subscripting", types.TypeName(ct))
	}
	at := &arrayTarget{ct: ct}
	for _, n := range ind {
		ai := n.GetAIndices()
		if ai == nil {
			return nil, pgerr.NotSupported("assignment to a subfield is not supported")
		}
		if ai.IsSlice {
			if len(ind) > 1 {
				return nil, pgerr.NotSupported("assignment to a slice of a multidimensional array is not supported")
			}
			at.slice, at.hasLo, at.hasHi = true, ai.Lidx != nil, ai.Uidx != nil
			for _, bound := range []*pg.Node{ai.Lidx, ai.Uidx} {
				if bound != nil {
					e, err := b.bindSubscript(bound, s)
					if err != nil {
						return nil, err
					}
					at.idx = append(at.idx, e)
				}
			}
			continue
		}
		e, err := b.bindSubscript(ai.Uidx, s)
		if err != nil {
			return nil, err
		}
		at.idx = append(at.idx, e)
	}
	return at, nil
}

// valueType is the type of the value assigned: the element's, or the
// array's for a slice.
func (at *arrayTarget) valueType() types.Type {
	if at.slice {
		return at.ct
	}
	return types.ElemType(at.ct)
}

// assign is base with the target's elements set to x (already of
// valueType): funcs.ArrayAssign or funcs.ArraySliceAssign.
func (at *arrayTarget) assign(base, x Expr) Expr {
	t := at.ct.WithoutMod()
	e := &Func{F: funcs.ArrayAssign(t, len(at.idx)), Args: append(append([]Expr{base}, at.idx...), x)}
	if at.slice {
		e.F = funcs.ArraySliceAssign(t, at.hasLo, at.hasHi)
	}
	return e
}

// bindElementSet binds SET a[i]…[j] = x or SET a[lo:hi] = array: the column
// becomes the assignment over its value (or over the previous assignment to
// the same column, so that SET a[1] = x, a[2] = y does both).
func (b *Binder) bindElementSet(t *catalog.Table, col int, rt *pg.ResTarget, s *scope, out []SetClause) ([]SetClause, error) {
	at, err := b.bindArrayTarget(t.Columns[col].Type, rt.Indirection, s)
	if err != nil {
		return nil, err
	}
	if rt.Val.GetSetToDefault() != nil || rt.Val.GetMultiAssignRef() != nil {
		return nil, pgerr.NotSupported("this assignment to an array element is not supported")
	}
	x, err := b.bindExpr(rt.Val, s)
	if err != nil {
		return nil, err
	}
	if x, err = b.assignCoerce(x, at.valueType(), rt.Name); err != nil {
		return nil, err
	}
	prev := -1
	for k := range out {
		if out[k].Col == col {
			prev = k
		}
	}
	var base Expr
	if prev >= 0 {
		base = out[prev].E
	} else if base, err = b.bindExpr(pg.MakeColumnRefNode([]*pg.Node{pg.MakeStrNode(t.Columns[col].Name)}, rt.Location), s); err != nil {
		if pgerr.Code(err) != pgerr.AmbiguousColumn {
			return nil, err
		}
		// ON CONFLICT DO UPDATE sees the row by the table's name and as
		// EXCLUDED: the target is the table's.
		ref := pg.MakeColumnRefNode([]*pg.Node{pg.MakeStrNode(t.Name), pg.MakeStrNode(t.Columns[col].Name)}, rt.Location)
		if base, err = b.bindExpr(ref, s); err != nil {
			return nil, err
		}
	}
	e := at.assign(base, x)
	if prev >= 0 {
		out[prev].E = e
		return out, nil
	}
	return append(out, SetClause{Col: col, E: e}), nil
}

// assignElements turns a source whose columns go to the targets of an
// INSERT column list with element targets (INSERT INTO t (a[1], a[2], b))
// into one of whole columns: each array column is built from NULL by its
// targets in order, as PostgreSQL does. It returns the new source and
// target columns.
func assignElements(src Node, target []int, elem []*arrayTarget) (Node, []int) {
	p := &Project{Input: src}
	cols := src.Columns()
	var out []int
	at := map[int]int{} // column → index in p.Exprs
	for j, c := range target {
		x := Expr(&ColRef{Idx: j, T: cols[j].T, Name: cols[j].Name})
		k, ok := at[c]
		if !ok {
			k = len(p.Exprs)
			at[c] = k
			out = append(out, c)
			name := cols[j].Name
			if elem[j] != nil {
				p.Exprs = append(p.Exprs, &Const{V: types.Null, T: elem[j].ct})
				p.Cols = append(p.Cols, Column{Name: name, T: elem[j].ct})
			} else {
				p.Exprs = append(p.Exprs, nil)
				p.Cols = append(p.Cols, Column{Name: name, T: cols[j].T})
			}
		}
		if elem[j] == nil {
			p.Exprs[k] = x
			continue
		}
		p.Exprs[k] = elem[j].assign(p.Exprs[k], x)
	}
	return p, out
}
