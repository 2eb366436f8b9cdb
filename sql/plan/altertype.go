package plan

import (
	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql/funcs"
	"github.com/omendb/omendb/types"
)

// BindAlterType binds the conversion of column col of t — the definition
// before the change — to type to, for ALTER COLUMN … TYPE: the USING
// expression (using, nil for none) over the old row, or the column itself,
// converted with the assignment cast as PostgreSQL's ATPrepAlterColumnType
// does. Without an assignment cast it fails with 42804 and PostgreSQL's
// hint; a USING expression may read any column of the row and call
// volatile functions, but holds no subquery (0A000), aggregate (42803),
// window function (42P20) or set-returning function (0A000).
func (b *Binder) BindAlterType(t *catalog.Table, col int, using *pg.Node, to types.Type) (Expr, error) {
	defer b.enterTablePath(t)()
	c := t.Columns[col]
	if using == nil {
		from := c.Type
		if from.OID != to.OID && !types.CanCast(from, to, false) {
			return nil, pgerr.New(pgerr.DatatypeMismatch, "column %q cannot be cast automatically to type %s", c.Name, types.TypeName(to)).
				WithHint("You might need to specify \"USING %s::%s\".", funcs.QuoteIdent(c.Name), types.TypeName(to))
		}
		return b.coerce(&ColRef{Idx: col, T: from, Name: c.Name}, to, false)
	}
	switch {
	case nodeHasAgg(using):
		return nil, pgerr.New(pgerr.GroupingError, "aggregate functions are not allowed in transform expressions")
	case containsCall(using, func(f *pg.FuncCall) bool { return f.Over != nil }):
		return nil, pgerr.New(pgerr.WindowingError, "window functions are not allowed in transform expressions")
	case hasSubLink(using):
		return nil, pgerr.NotSupported("cannot use subquery in transform expression")
	case containsCall(using, func(f *pg.FuncCall) bool {
		names := nodeName(f.Funcname)
		return setReturning[lower(names[len(names)-1])]
	}):
		return nil, pgerr.NotSupported("set-returning functions are not allowed in transform expressions")
	}
	e, err := b.bindExpr(using, tableScope(t, t.Name))
	if err != nil {
		return nil, err
	}
	if len(b.Params) > 0 {
		return nil, pgerr.New(pgerr.UndefinedParameter, "there is no parameter $1")
	}
	if from := e.Type(); !isUnknown(from) && from.OID != to.OID && !types.CanCast(from, to, false) {
		return nil, pgerr.New(pgerr.DatatypeMismatch, "result of USING clause for column %q cannot be cast automatically to type %s", c.Name, types.TypeName(to)).
			WithHint("You might need to add an explicit cast.")
	}
	return b.coerce(e, to, false)
}

// DefaultSourceType returns the type of column col's default expression
// before its conversion to the column's type: PostgreSQL keeps that
// expression and converts it anew when the column's type changes (an
// untyped literal had become a constant of the column's type, which
// DefaultSourceType reports as unknown).
func (b *Binder) DefaultSourceType(t *catalog.Table, col int) (types.Type, error) {
	c := t.Columns[col]
	stmts, err := Parse("SELECT " + c.Default)
	if err != nil {
		return types.Type{}, err
	}
	defer b.enterTablePath(t)()
	e, err := b.bindExpr(stmts[0].Stmt.GetSelectStmt().TargetList[0].GetResTarget().Val, &scope{})
	if err != nil {
		return types.Type{}, err
	}
	return e.Type(), nil
}

// IsUnknown reports whether t is the type of an untyped literal.
func IsUnknown(t types.Type) bool { return isUnknown(t) }
