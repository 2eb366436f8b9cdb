package plan

import (
	"fmt"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql/funcs"
)

// BindGenerated binds the generation expression of column col of t
// (GENERATED ALWAYS AS (expr) STORED) over a row of t, coerced to the
// column's type. As in PostgreSQL it may read only the row's ordinary
// columns (42P17 for a generated one), call only immutable functions
// (42P17), and hold no subquery (0A000), aggregate or window function
// (42P17).
func (b *Binder) BindGenerated(t *catalog.Table, col int, n *pg.Node) (Expr, error) {
	defer b.enterTablePath(t)()
	c := t.Columns[col]
	if nodeHasAgg(n) {
		return nil, pgerr.New("42P17", "aggregate functions are not allowed in column generation expressions")
	}
	if containsCall(n, func(f *pg.FuncCall) bool { return f.Over != nil }) {
		return nil, pgerr.New("42P17", "window functions are not allowed in column generation expressions")
	}
	e, err := b.bindExpr(n, tableScope(t, t.Name))
	if err != nil {
		return nil, err
	}
	if len(b.Params) > 0 {
		return nil, pgerr.New("42P02", "there is no parameter $1")
	}
	var bad error
	Walk(e, func(x Expr) bool {
		switch y := x.(type) {
		case *ColRef:
			if y.Idx < len(t.Columns) && t.Columns[y.Idx].Generated != "" {
				bad = pgerr.New("42P17", "cannot use generated column %q in column generation expression", t.Columns[y.Idx].Name).
					WithDetail("A generated column cannot reference another generated column.")
			}
		case *Func:
			if y.F.Volatility != funcs.Immutable {
				bad = pgerr.New("42P17", "generation expression is not immutable")
			}
		case *UserCall:
			if !y.Immutable() {
				bad = pgerr.New("42P17", "generation expression is not immutable")
			}
		case *SeqFunc, *SessionFunc:
			bad = pgerr.New("42P17", "generation expression is not immutable")
		}
		return bad == nil
	})
	if bad != nil {
		return nil, bad
	}
	if hasSubqueryOr(e, false) {
		return nil, pgerr.NotSupported("cannot use subquery in column generation expression")
	}
	if err := storedCalls(e, "column generation expression"); err != nil {
		return nil, err
	}
	return b.assignCoerce(e, c.Type, c.Name)
}

// BindGeneratedText binds a stored generation expression
// (catalog.Column.Generated).
func (b *Binder) BindGeneratedText(t *catalog.Table, col int) (Expr, error) {
	stmts, err := Parse("SELECT " + t.Columns[col].Generated)
	if err != nil {
		return nil, fmt.Errorf("generation expression of column %q: %w", t.Columns[col].Name, err)
	}
	return b.BindGenerated(t, col, stmts[0].Stmt.GetSelectStmt().TargetList[0].GetResTarget().Val)
}

// generatedError is the error of a statement that gives generated column
// name a value (INSERT) or assigns it (UPDATE): only DEFAULT is allowed.
func generatedError(name string, update bool) error {
	msg := fmt.Sprintf("cannot insert a non-DEFAULT value into column %q", name)
	if update {
		msg = fmt.Sprintf("column %q can only be updated to DEFAULT", name)
	}
	return pgerr.New("428C9", "%s", msg).WithDetail("Column %q is a generated column.", name)
}
