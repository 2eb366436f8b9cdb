package plan

import (
	"fmt"

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
	e, err := b.bindExpr(rt.Val, &scope{})
	if err != nil {
		return nil, err
	}
	return b.assignCoerce(e, c.Type, c.Name)
}

func (b *Binder) checkWritable(t *catalog.Table) error {
	if t.ReadOnly != "" {
		return pgerr.New(pgerr.ReadOnlySQLTransaction, "table %q is read-only: %s", t.Name, t.ReadOnly)
	}
	return nil
}

// BindInsert binds an INSERT statement.
func (b *Binder) BindInsert(ins *pg.InsertStmt) (*Insert, error) {
	if ins.WithClause != nil {
		return nil, pgerr.NotSupported("WITH in INSERT is not supported yet")
	}
	t, err := b.resolveTable(ins.Relation)
	if err != nil {
		return nil, err
	}
	if err := b.checkWritable(t); err != nil {
		return nil, err
	}
	n := &Insert{Table: t}
	if len(ins.Cols) == 0 {
		for i, c := range t.Columns {
			if !c.Dropped {
				n.Target = append(n.Target, i)
			}
		}
	} else {
		seen := map[int]bool{}
		for _, c := range ins.Cols {
			rt := c.GetResTarget()
			if len(rt.Indirection) > 0 {
				return nil, pgerr.NotSupported("assignment to a subfield is not supported")
			}
			i := t.ColumnIndex(rt.Name)
			if i < 0 {
				return nil, pgerr.New(pgerr.UndefinedColumn, "column %q of relation %q does not exist", rt.Name, t.Name)
			}
			if seen[i] {
				return nil, pgerr.New(pgerr.DuplicateColumn, "column %q specified more than once", rt.Name)
			}
			seen[i] = true
			n.Target = append(n.Target, i)
		}
	}
	targetTypes := make([]types.Type, len(n.Target))
	for i, c := range n.Target {
		targetTypes[i] = t.Columns[c].Type
	}
	n.Defaults = make([]Expr, len(t.Columns))
	for i, c := range t.Columns {
		if c.Dropped {
			continue
		}
		if n.Defaults[i], err = b.BindDefault(t, i); err != nil {
			return nil, err
		}
	}
	sel := ins.SelectStmt.GetSelectStmt()
	switch {
	case sel == nil:
		// INSERT … DEFAULT VALUES
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
		n.Source = v
	default:
		src, err := b.bindSelect(sel, &scope{})
		if err != nil {
			return nil, err
		}
		cols := src.Columns()
		if len(cols) > len(n.Target) {
			return nil, pgerr.New(pgerr.SyntaxError, "INSERT has more expressions than target columns")
		}
		if len(cols) < len(n.Target) {
			if len(ins.Cols) > 0 {
				return nil, pgerr.New(pgerr.SyntaxError, "INSERT has more target columns than expressions")
			}
			n.Target = n.Target[:len(cols)]
		}
		p := &Project{Input: src}
		for i, c := range cols {
			tc := t.Columns[n.Target[i]]
			e, err := b.assignCoerce(&ColRef{Idx: i, T: c.T, Name: c.Name}, tc.Type, tc.Name)
			if err != nil {
				return nil, err
			}
			p.Exprs = append(p.Exprs, e)
			p.Cols = append(p.Cols, Column{Name: tc.Name, T: tc.Type})
		}
		n.Source = p
	}
	if oc := ins.OnConflictClause; oc != nil {
		if n.OnConflict, err = b.bindOnConflict(t, oc); err != nil {
			return nil, err
		}
	}
	if len(ins.ReturningList) > 0 {
		if n.Returning, n.RetCols, err = b.bindReturning(ins.ReturningList, tableScope(t, t.Name)); err != nil {
			return nil, err
		}
	}
	n.Params = b.FinalParams()
	return n, nil
}

func (b *Binder) bindOnConflict(t *catalog.Table, oc *pg.OnConflictClause) (*OnConflict, error) {
	out := &OnConflict{Nothing: oc.Action == pg.OnConflictAction_ONCONFLICT_NOTHING}
	if inf := oc.Infer; inf != nil {
		if inf.Conname != "" {
			for i := range t.Indexes {
				if t.Indexes[i].Name == inf.Conname {
					out.Arbiter = &t.Indexes[i]
				}
			}
			if out.Arbiter == nil {
				return nil, pgerr.New(pgerr.UndefinedObject, "constraint %q for table %q does not exist", inf.Conname, t.Name)
			}
		} else {
			var cols []int
			for _, e := range inf.IndexElems {
				ie := e.GetIndexElem()
				if ie == nil || ie.Name == "" {
					return nil, pgerr.NotSupported("ON CONFLICT on expressions is not supported yet")
				}
				i := t.ColumnIndex(ie.Name)
				if i < 0 {
					return nil, pgerr.New(pgerr.UndefinedColumn, "column %q does not exist", ie.Name)
				}
				cols = append(cols, i)
			}
			for i := range t.Indexes {
				ix := &t.Indexes[i]
				if (ix.Unique || ix.Primary) && sameSet(ix.Columns, cols) {
					out.Arbiter = ix
				}
			}
			if out.Arbiter == nil {
				return nil, pgerr.New(pgerr.InvalidColumnReference, "there is no unique or exclusion constraint matching the ON CONFLICT specification")
			}
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
	s.add(t.Name, tableColumns(t), t)
	s.add("excluded", tableColumns(t), t)
	var err error
	if out.Set, err = b.bindSetList(t, oc.TargetList, s); err != nil {
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

func sameSet(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[int]bool{}
	for _, x := range a {
		m[x] = true
	}
	for _, x := range b {
		if !m[x] {
			return false
		}
	}
	return true
}

func (b *Binder) bindSetList(t *catalog.Table, list []*pg.Node, s *scope) ([]SetClause, error) {
	var out []SetClause
	seen := map[int]bool{}
	for _, n := range list {
		rt := n.GetResTarget()
		i := t.ColumnIndex(rt.Name)
		if i < 0 {
			return nil, pgerr.New(pgerr.UndefinedColumn, "column %q of relation %q does not exist", rt.Name, t.Name)
		}
		if len(rt.Indirection) > 0 {
			var err error
			if out, err = b.bindElementSet(t, i, rt, s, out); err != nil {
				return nil, err
			}
			seen[i] = true
			continue
		}
		if seen[i] {
			return nil, pgerr.New(pgerr.DuplicateColumn, "multiple assignments to same column %q", rt.Name)
		}
		seen[i] = true
		var e Expr
		var err error
		if rt.Val.GetSetToDefault() != nil {
			if e, err = b.BindDefault(t, i); err != nil {
				return nil, err
			}
			if e == nil {
				e = &Const{V: types.Null, T: t.Columns[i].Type}
			}
		} else {
			if rt.Val.GetMultiAssignRef() != nil {
				return nil, pgerr.NotSupported("multiple-column assignment is not supported yet")
			}
			if e, err = b.bindExpr(rt.Val, s); err != nil {
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

// bindTargetScan binds the table and WHERE of UPDATE / DELETE.
func (b *Binder) bindTargetScan(rv *pg.RangeVar, where *pg.Node) (*Scan, *scope, error) {
	t, err := b.resolveTable(rv)
	if err != nil {
		return nil, nil, err
	}
	if err := b.checkWritable(t); err != nil {
		return nil, nil, err
	}
	alias := t.Name
	if rv.Alias != nil {
		alias = rv.Alias.Aliasname
	}
	s := tableScope(t, alias)
	sc := &Scan{Table: t, Alias: alias, Cols: tableColumns(t)}
	if where != nil {
		w, err := b.bindExpr(where, s)
		if err != nil {
			return nil, nil, err
		}
		if sc.Filter, err = b.coerceBool(w, "argument of WHERE"); err != nil {
			return nil, nil, err
		}
	}
	chooseAccess(sc)
	return sc, s, nil
}

// BindUpdate binds an UPDATE statement.
func (b *Binder) BindUpdate(up *pg.UpdateStmt) (*Update, error) {
	if len(up.FromClause) > 0 || up.WithClause != nil {
		return nil, pgerr.NotSupported("UPDATE … FROM and WITH are not supported yet")
	}
	sc, s, err := b.bindTargetScan(up.Relation, up.WhereClause)
	if err != nil {
		return nil, err
	}
	n := &Update{Scan: sc}
	if n.Set, err = b.bindSetList(sc.Table, up.TargetList, s); err != nil {
		return nil, err
	}
	if len(up.ReturningList) > 0 {
		if n.Returning, n.RetCols, err = b.bindReturning(up.ReturningList, s); err != nil {
			return nil, err
		}
	}
	n.Params = b.FinalParams()
	return n, nil
}

// BindDelete binds a DELETE statement.
func (b *Binder) BindDelete(del *pg.DeleteStmt) (*Delete, error) {
	if len(del.UsingClause) > 0 || del.WithClause != nil {
		return nil, pgerr.NotSupported("DELETE … USING and WITH are not supported yet")
	}
	sc, s, err := b.bindTargetScan(del.Relation, del.WhereClause)
	if err != nil {
		return nil, err
	}
	n := &Delete{Scan: sc}
	if len(del.ReturningList) > 0 {
		if n.Returning, n.RetCols, err = b.bindReturning(del.ReturningList, s); err != nil {
			return nil, err
		}
	}
	n.Params = b.FinalParams()
	return n, nil
}

// BindExprText binds a standalone expression over no columns (CHECK-free
// defaults, SET values).
func (b *Binder) BindExprText(n *pg.Node) (Expr, error) { return b.bindExpr(n, &scope{}) }

// bindElementSet binds SET a[i]…[j] = x: the column becomes
// funcs.ArrayAssign of its value (or of the previous assignment to the same
// column, so that SET a[1] = x, a[2] = y does both).
func (b *Binder) bindElementSet(t *catalog.Table, col int, rt *pg.ResTarget, s *scope, out []SetClause) ([]SetClause, error) {
	ct := t.Columns[col].Type
	if !types.IsArray(ct.OID) {
		return nil, pgerr.New(pgerr.DatatypeMismatch, "cannot subscript type %s because it does not support subscripting", types.TypeName(ct))
	}
	var idx []Expr
	for _, n := range rt.Indirection {
		ai := n.GetAIndices()
		if ai == nil {
			return nil, pgerr.NotSupported("assignment to a subfield is not supported")
		}
		if ai.IsSlice {
			return nil, pgerr.NotSupported("assignment to array slices is not supported yet")
		}
		e, err := b.bindSubscript(ai.Uidx, s)
		if err != nil {
			return nil, err
		}
		idx = append(idx, e)
	}
	if rt.Val.GetSetToDefault() != nil || rt.Val.GetMultiAssignRef() != nil {
		return nil, pgerr.NotSupported("this assignment to an array element is not supported")
	}
	x, err := b.bindExpr(rt.Val, s)
	if err != nil {
		return nil, err
	}
	if x, err = b.assignCoerce(x, types.ElemType(ct), rt.Name); err != nil {
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
		return nil, err
	}
	args := append(append([]Expr{base}, idx...), x)
	e := &Func{F: funcs.ArrayAssign(types.Type{OID: ct.OID, Mod: -1}, len(idx)), Args: args}
	if prev >= 0 {
		out[prev].E = e
		return out, nil
	}
	return append(out, SetClause{Col: col, E: e}), nil
}
