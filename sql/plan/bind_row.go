package plan

import (
	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// Row constructors, ROW(a, b) or (a, b). Compared with another row
// constructor they are bound pair by pair, as PostgreSQL's
// make_row_comparison_op does: = is the AND of the pairs' =, <> the OR
// of their <>, and < <= > >= a RowCmp; IS [NOT] DISTINCT FROM is the OR
// of the pairs' IS DISTINCT FROM; IN is the OR of row equalities, NOT IN
// the AND of row inequalities. Compared with a subquery's rows (IN, op
// ANY / ALL, op (SELECT …)) they are a Subquery whose E is a RowExpr.
// Elsewhere a row constructor is a record value (RowExpr).

// rowArgs returns the elements of n when it is a row constructor.
func rowArgs(n *pg.Node) ([]*pg.Node, bool) {
	if r := n.GetRowExpr(); r != nil {
		return r.Args, true
	}
	return nil, false
}

func errRowLength() error {
	return pgerr.New(pgerr.SyntaxError, "unequal number of entries in row expressions")
}

func isCmpOp(op string) bool {
	switch op {
	case "=", "<>", "<", "<=", ">", ">=":
		return true
	}
	return false
}

// bindRowExpr binds a row constructor used as a value: a record of its
// elements, unknown literals taken as text.
func (b *Binder) bindRowExpr(r *pg.RowExpr, s *scope) (Expr, error) {
	elems, err := b.bindExprs(r.Args, s)
	if err != nil {
		return nil, err
	}
	ts := make([]types.Type, len(elems))
	for i := range elems {
		if isUnknown(elems[i].Type()) {
			if elems[i], err = b.coerce(elems[i], types.Text, false); err != nil {
				return nil, err
			}
		}
		ts[i] = elems[i].Type()
	}
	return &RowExpr{Elems: elems, T: types.RecordOf(ts)}, nil
}

// bindRowNullTest binds (elems) IS [NOT] NULL: true when every field is
// NULL (IS NOT NULL: when none is).
func (b *Binder) bindRowNullTest(elems []*pg.Node, not bool, s *scope) (Expr, error) {
	es, err := b.bindExprs(elems, s)
	if err != nil {
		return nil, err
	}
	args := make([]Expr, len(es))
	for i, e := range es {
		args[i] = &IsNull{E: e, Not: not}
	}
	return &Logic{Op: "and", Args: args}, nil
}

// bindRowOperands binds an operator with a row constructor on its left:
// against another row constructor or a subquery (op (SELECT x, y)).
func (b *Binder) bindRowOperands(op string, a *pg.A_Expr, ln []*pg.Node, s *scope) (Expr, error) {
	if op == "!=" {
		op = "<>"
	}
	if sl := a.Rexpr.GetSubLink(); sl != nil && sl.SubLinkType == pg.SubLinkType_EXPR_SUBLINK {
		return b.bindRowSubLink(op, ln, sl, pg.SubLinkType_ROWCOMPARE_SUBLINK, s)
	}
	ls, err := b.bindExprs(ln, s)
	if err != nil {
		return nil, err
	}
	rn, ok := rowArgs(a.Rexpr)
	if !ok {
		return nil, b.errRowVersus(op, a.Rexpr, a.Location, s)
	}
	rs, err := b.bindExprs(rn, s)
	if err != nil {
		return nil, err
	}
	return b.rowCompare(op, ls, rs, a.Location)
}

// errRowVersus is the error for a row constructor compared with n, which
// is none: there is no such operator, or — n a record value — record
// comparisons are not built.
func (b *Binder) errRowVersus(op string, n *pg.Node, loc int32, s *scope) error {
	r, err := b.bindExpr(n, s)
	if err != nil {
		return err
	}
	if r.Type().OID == types.OIDRecord {
		return pgerr.NotSupported("comparing values of type record is not supported yet")
	}
	return pgerr.New(pgerr.UndefinedFunction, "operator does not exist: record %s %s", op, types.TypeName(r.Type())).
		WithHint("No operator matches the given name and argument types. You might need to add explicit type casts.").WithPosition(loc + 1)
}

// rowCompare binds (ls) op (rs).
func (b *Binder) rowCompare(op string, ls, rs []Expr, loc int32) (Expr, error) {
	if len(ls) != len(rs) {
		return nil, errRowLength()
	}
	if err := b.rowOp(op, ls, rs, loc); err != nil {
		return nil, err
	}
	if len(ls) == 1 {
		return b.comparison(op, ls[0], rs[0], loc)
	}
	if op == "=" || op == "<>" {
		args := make([]Expr, len(ls))
		for i := range ls {
			var err error
			if args[i], err = b.comparison(op, ls[i], rs[i], loc); err != nil {
				return nil, err
			}
		}
		if op == "=" {
			return b.fold(&Logic{Op: "and", Args: args})
		}
		return b.fold(&Logic{Op: "or", Args: args})
	}
	rc := &RowCmp{Op: op, L: make([]Expr, len(ls)), R: make([]Expr, len(rs))}
	for i := range ls {
		var err error
		if rc.L[i], rc.R[i], err = b.comparable(op, ls[i], rs[i], loc); err != nil {
			return nil, err
		}
	}
	return b.fold(rc)
}

// rowOp checks that op can compare rows: one of = <> < <= > >=, and rows
// of at least one column.
func (b *Binder) rowOp(op string, ls, rs []Expr, loc int32) error {
	if len(ls) == 0 {
		return pgerr.NotSupported("cannot compare rows of zero length")
	}
	if isCmpOp(op) {
		return nil
	}
	// As PostgreSQL: the operator is looked up for the first pair; one
	// that is no comparison cannot compare rows.
	e, err := b.binaryOp(op, ls[0], rs[0], loc)
	if err != nil {
		return err
	}
	if e.Type().OID != types.OIDBool {
		return pgerr.New(pgerr.DatatypeMismatch, "row comparison operator must yield type boolean, not type %s", types.TypeName(e.Type()))
	}
	return pgerr.New(pgerr.UndefinedFunction, "could not determine interpretation of row comparison operator %s", op)
}

// bindRowDistinct binds (ln) IS [NOT] DISTINCT FROM (rn).
func (b *Binder) bindRowDistinct(ln []*pg.Node, a *pg.A_Expr, not bool, s *scope) (Expr, error) {
	ls, err := b.bindExprs(ln, s)
	if err != nil {
		return nil, err
	}
	rn, ok := rowArgs(a.Rexpr)
	if !ok {
		return nil, b.errRowVersus("=", a.Rexpr, a.Location, s)
	}
	rs, err := b.bindExprs(rn, s)
	if err != nil {
		return nil, err
	}
	if len(ls) != len(rs) {
		return nil, errRowLength()
	}
	if len(ls) == 0 {
		return nil, pgerr.NotSupported("cannot compare rows of zero length")
	}
	args := make([]Expr, len(ls))
	for i := range ls {
		if args[i], err = b.comparisonOpts("<>", ls[i], rs[i], a.Location, true); err != nil {
			return nil, err
		}
	}
	var e Expr = &Logic{Op: "or", Args: args}
	if len(args) == 1 {
		e = args[0]
	}
	if not {
		e = &Logic{Op: "not", Args: []Expr{e}}
	}
	return b.fold(e)
}

// bindRowIn binds (ln) [NOT] IN ((…), (…)).
func (b *Binder) bindRowIn(ln []*pg.Node, a *pg.A_Expr, not bool, s *scope) (Expr, error) {
	ls, err := b.bindExprs(ln, s)
	if err != nil {
		return nil, err
	}
	op, comb := "=", "or"
	if not {
		op, comb = "<>", "and"
	}
	var args []Expr
	for _, it := range a.Rexpr.GetList().GetItems() {
		rn, ok := rowArgs(it)
		if !ok {
			return nil, b.errRowVersus(op, it, a.Location, s)
		}
		rs, err := b.bindExprs(rn, s)
		if err != nil {
			return nil, err
		}
		c, err := b.rowCompare(op, ls, rs, a.Location)
		if err != nil {
			return nil, err
		}
		args = append(args, c)
	}
	if len(args) == 1 {
		return args[0], nil
	}
	return b.fold(&Logic{Op: comb, Args: args})
}

// bindRowSubLink binds (ln) IN / op ANY / op ALL / op (subquery) for a row
// ln of several columns: a Subquery whose E is the RowExpr of ln, its
// elements and the subquery's columns cast pairwise to common types.
func (b *Binder) bindRowSubLink(op string, ln []*pg.Node, sl *pg.SubLink, kind pg.SubLinkType, s *scope) (Expr, error) {
	sel := sl.Subselect.GetSelectStmt()
	if sel == nil {
		return nil, pgerr.NotSupported("this subquery form is not supported yet")
	}
	inner := &scope{parent: s}
	node, err := b.bindSelect(sel, inner)
	if err != nil {
		return nil, err
	}
	cols := node.Columns()
	switch {
	case len(cols) > len(ln):
		return nil, pgerr.New(pgerr.SyntaxError, "subquery has too many columns")
	case len(cols) < len(ln):
		return nil, pgerr.New(pgerr.SyntaxError, "subquery has too few columns")
	}
	ls, err := b.bindExprs(ln, s)
	if err != nil {
		return nil, err
	}
	rs := make([]Expr, len(cols))
	for i, c := range cols {
		rs[i] = &ColRef{Idx: i, T: c.T, Name: c.Name}
	}
	if err := b.rowOp(op, ls, rs, sl.Location); err != nil {
		return nil, err
	}
	// Cast each pair to the type it compares in, the subquery's side
	// through a projection over it.
	ts := make([]types.Type, len(ls))
	cast := false
	for i := range ls {
		if ls[i], rs[i], err = b.comparable(op, ls[i], rs[i], sl.Location); err != nil {
			return nil, err
		}
		ts[i] = ls[i].Type()
		if _, ok := rs[i].(*ColRef); !ok {
			cast = true
		}
	}
	if cast {
		pc := make([]Column, len(cols))
		for i, c := range cols {
			pc[i] = Column{Name: c.Name, T: rs[i].Type()}
		}
		node = &Project{Input: node, Exprs: rs, Cols: pc}
	}
	sq := &Subquery{Plan: node, Correlated: inner.correlated, E: &RowExpr{Elems: ls, T: types.RecordOf(ts)}, Op: op, T: types.Bool}
	switch {
	case kind == pg.SubLinkType_ROWCOMPARE_SUBLINK:
		sq.Kind = SubRowCmp
	case kind == pg.SubLinkType_ALL_SUBLINK:
		sq.Kind = SubAll
	case op == "=":
		sq.Kind = SubIn
	default:
		sq.Kind = SubAny
	}
	return sq, nil
}

// bindRowSource binds the subquery of UPDATE … SET (a, b, …) = (SELECT …):
// a SubRow Subquery of n columns.
func (b *Binder) bindRowSource(sl *pg.SubLink, n int, s *scope) (*Subquery, error) {
	sel := sl.Subselect.GetSelectStmt()
	if sel == nil {
		return nil, pgerr.NotSupported("this subquery form is not supported yet")
	}
	inner := &scope{parent: s}
	node, err := b.bindSelect(sel, inner)
	if err != nil {
		return nil, err
	}
	cols := node.Columns()
	if len(cols) != n {
		return nil, pgerr.New(pgerr.SyntaxError, "number of columns does not match number of values")
	}
	ts := make([]types.Type, len(cols))
	for i, c := range cols {
		ts[i] = c.T
	}
	return &Subquery{Kind: SubRow, Plan: node, Correlated: inner.correlated, T: types.RecordOf(ts)}, nil
}
