package plan

import (
	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// Writing through views. A view is automatically updatable, as PostgreSQL
// defines it, when its query reads exactly one table or updatable view and
// has no WITH, DISTINCT, GROUP BY, HAVING, LIMIT / OFFSET, set operation,
// aggregate, window function or set-returning function. INSERT, UPDATE and
// DELETE naming such a view are bound against the table it reads: the
// statement's names resolve to the view's columns (viewScope), each a
// column of the table or, for a computed column, an expression over the
// table's row that can be read but not assigned (0A000); UPDATE and DELETE
// see only the rows the view shows (the WHERE clauses of the chain of views
// join the statement's WHERE); INSERT fills the table's other columns with
// their defaults. WITH CHECK OPTION adds ViewCheck conditions the new rows
// must pass (44000), evaluated innermost view first after the row is
// written, as PostgreSQL does. Once bound, the plan is an ordinary
// Insert / Update / Delete of the table: constraints, foreign keys,
// indexes and the commit path do not know a view was named.

// ViewCheck is a view's WITH CHECK OPTION condition over the row of the
// table written: a row for which it is not true fails with 44000.
type ViewCheck struct {
	View string
	Cond Expr
}

// updatableView is an automatically updatable view resolved to its table.
type updatableView struct {
	view  *catalog.View
	table *catalog.Table
	cols  []viewColumn
	// cond is the conjunction of the chain's WHERE clauses over the
	// table's row (nil: none); checks are the check options that apply,
	// innermost first.
	cond   Expr
	checks []ViewCheck
}

// viewColumn is a column of an updatable view: table column col, or (col
// < 0) the computed expr over the table's row.
type viewColumn struct {
	name string
	t    types.Type
	col  int
	expr Expr
}

// viewVerb names a statement in PostgreSQL's messages about views.
type viewVerb struct {
	cannot string // "cannot insert into view"
	hint   string
	column string // "cannot insert into column"
}

var (
	verbInsert = viewVerb{"cannot insert into view", "To enable inserting into the view, provide an INSTEAD OF INSERT trigger or an unconditional ON INSERT DO INSTEAD rule.", "cannot insert into column"}
	verbUpdate = viewVerb{"cannot update view", "To enable updating the view, provide an INSTEAD OF UPDATE trigger or an unconditional ON UPDATE DO INSTEAD rule.", "cannot update column"}
	verbDelete = viewVerb{"cannot delete from view", "To enable deleting from the view, provide an INSTEAD OF DELETE trigger or an unconditional ON DELETE DO INSTEAD rule.", ""}
)

// NotUpdatableReason tells why a view's query is not automatically
// updatable, in PostgreSQL's words, or "" when it is (CREATE VIEW … WITH
// CHECK OPTION asks).
func NotUpdatableReason(sel *pg.SelectStmt) string {
	switch {
	case sel.Op != pg.SetOperation_SETOP_NONE:
		return "Views containing UNION, INTERSECT, or EXCEPT are not automatically updatable."
	case sel.WithClause != nil:
		return "Views containing WITH are not automatically updatable."
	case len(sel.DistinctClause) > 0:
		return "Views containing DISTINCT are not automatically updatable."
	case len(sel.GroupClause) > 0:
		return "Views containing GROUP BY are not automatically updatable."
	case sel.HavingClause != nil:
		return "Views containing HAVING are not automatically updatable."
	case sel.LimitCount != nil || sel.LimitOffset != nil:
		return "Views containing LIMIT or OFFSET are not automatically updatable."
	case len(sel.ValuesLists) > 0 || len(sel.FromClause) != 1 || sel.FromClause[0].GetRangeVar() == nil:
		return "Views that do not select from a single table or view are not automatically updatable."
	}
	for _, t := range sel.TargetList {
		switch {
		case nodeHasAgg(t):
			return "Views that return aggregate functions are not automatically updatable."
		case hasWindow([]*pg.Node{t}):
			return "Views that return window functions are not automatically updatable."
		case containsCall(t, func(f *pg.FuncCall) bool {
			names := nodeName(f.Funcname)
			switch lower(names[len(names)-1]) {
			case "unnest", "generate_series", "generate_subscripts", "_pg_expandarray":
				return true
			}
			return false
		}):
			return "Views that return set-returning functions are not automatically updatable."
		}
	}
	return ""
}

// resolveUpdatableView resolves view v, named by a statement that writes
// through it, to its table. cascaded: an enclosing view has WITH CASCADED
// CHECK OPTION, so v's condition is checked too.
func (b *Binder) resolveUpdatableView(v *catalog.View, verb viewVerb, cascaded bool) (*updatableView, error) {
	sel, err := b.viewQuery(v)
	if err != nil {
		return nil, err
	}
	if reason := NotUpdatableReason(sel); reason != "" {
		return nil, pgerr.New(pgerr.ObjectNotInPrerequisiteState, "%s %q", verb.cannot, v.Name).WithDetail("%s", reason).WithHint("%s", verb.hint)
	}
	if sel.LockingClause != nil {
		return nil, pgerr.NotSupported("writing through a view with FOR UPDATE / FOR SHARE is not supported")
	}
	// The view's query sees none of the statement's CTEs.
	ctes, locking := b.ctes, b.locking
	b.ctes, b.locking = nil, nil
	b.views = append(b.views, v.ID)
	restore := b.enterViewPath(v)
	defer func() {
		restore()
		b.views = b.views[:len(b.views)-1]
		b.ctes, b.locking = ctes, locking
	}()

	rv := sel.FromClause[0].GetRangeVar()
	alias := rv.Relname
	if rv.Alias != nil {
		alias = rv.Alias.Aliasname
	}
	if !rv.Inh {
		return nil, pgerr.NotSupported("ONLY in a view written through is not supported")
	}
	uv := &updatableView{view: v}
	var s *scope
	innerCascaded := cascaded || v.CheckOption == "cascaded"
	if inner, ok := b.lookupView(rv); ok {
		iv, err := b.resolveUpdatableView(inner, verb, innerCascaded)
		if err != nil {
			return nil, err
		}
		uv.table, uv.cond, uv.checks = iv.table, iv.cond, iv.checks
		s = iv.scope(alias)
	} else {
		t, err := b.resolveTable(rv)
		if err != nil {
			return nil, err
		}
		if err := b.checkWritable(t); err != nil {
			return nil, err
		}
		uv.table = t
		s = tableScope(t, alias)
	}
	var outs []Expr
	var names []string
	for _, n := range sel.TargetList {
		rt := n.GetResTarget()
		if cr := rt.Val.GetColumnRef(); cr != nil && isStar(cr) {
			es, cs, err := b.expandStar(cr, s)
			if err != nil {
				return nil, err
			}
			outs = append(outs, es...)
			for _, c := range cs {
				names = append(names, c.Name)
			}
			continue
		}
		e, err := b.bindExpr(rt.Val, s)
		if err != nil {
			return nil, err
		}
		outs = append(outs, e)
		names = append(names, rt.Name)
	}
	if len(outs) < len(v.Columns) {
		return nil, viewChanged(v)
	}
	for i, c := range v.Columns {
		e := outs[i]
		if e.Type().OID != c.Type.OID && !isUnknown(e.Type()) {
			return nil, viewChanged(v)
		}
		vc := viewColumn{name: c.Name, t: c.Type, col: -1, expr: e}
		if r, ok := e.(*ColRef); ok {
			vc.col, vc.expr = r.Idx, nil
		}
		uv.cols = append(uv.cols, vc)
	}
	if sel.WhereClause != nil {
		w, err := b.bindExpr(sel.WhereClause, s)
		if err != nil {
			return nil, err
		}
		if w, err = b.coerceBool(w, "argument of WHERE"); err != nil {
			return nil, err
		}
		if uv.cond == nil {
			uv.cond = w
		} else {
			uv.cond = and([]Expr{uv.cond, w})
		}
		if cascaded || v.CheckOption != "" {
			uv.checks = append(uv.checks, ViewCheck{View: v.Name, Cond: w})
		}
	}
	return uv, nil
}

// scope is the view's columns as a statement writing through it sees them,
// under alias, over the row of the view's table.
func (uv *updatableView) scope(alias string) *scope {
	s := &scope{}
	uv.addTo(s, alias)
	return s
}

// addTo appends the view's columns under alias to s, over a row of the
// view's table that starts at s's current width.
func (uv *updatableView) addTo(s *scope, alias string) {
	off := s.width
	for _, c := range uv.cols {
		sc := scopeCol{table: alias, name: c.name, t: c.t, idx: c.col, expr: c.expr}
		if c.col >= 0 {
			sc.idx += off
			sc.tblOID, sc.attnum = uv.table.ID, int16(c.col+1)
		} else {
			sc.expr = shift(c.expr, off)
		}
		s.cols = append(s.cols, sc)
	}
	s.width += len(tableColumns(uv.table))
}

// column resolves a view column a statement assigns to the table column it
// is: 42703 if the view has no such column, 0A000 if it is computed.
func (uv *updatableView) column(name string, verb viewVerb) (int, error) {
	for _, c := range uv.cols {
		if c.name != name {
			continue
		}
		if c.col < 0 {
			return -1, pgerr.NotSupported("%s %q of view %q", verb.column, name, uv.view.Name).
				WithDetail("View columns that are not columns of their base relation are not updatable.")
		}
		return c.col, nil
	}
	return -1, pgerr.New(pgerr.UndefinedColumn, "column %q of relation %q does not exist", name, uv.view.Name)
}

// writeTarget resolves the relation an INSERT, UPDATE or DELETE names: a
// table (uv nil) or an updatable view and its table.
func (b *Binder) writeTarget(rv *pg.RangeVar, verb viewVerb) (*catalog.Table, *updatableView, error) {
	if v, ok := b.lookupView(rv); ok {
		if _, isTable := b.Cat.Lookup(b.schemaOf(rv.Schemaname, rv.Relname), rv.Relname); !isTable {
			uv, err := b.resolveUpdatableView(v, verb, false)
			if err != nil {
				return nil, nil, err
			}
			return uv.table, uv, nil
		}
	}
	t, err := b.resolveTable(rv)
	if err != nil {
		return nil, nil, err
	}
	if err := b.checkWritable(t); err != nil {
		return nil, nil, err
	}
	return t, nil, nil
}
