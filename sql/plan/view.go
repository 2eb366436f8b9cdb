package plan

import (
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/pgerr"
)

// maxViewDepth bounds views reading views.
const maxViewDepth = 32

// lookupView finds the view rv names.
func (b *Binder) lookupView(rv *pg.RangeVar) (*catalog.View, bool) {
	return b.Cat.LookupView(b.schemaOf(rv.Schemaname, rv.Relname), rv.Relname)
}

// bindView binds a view named in FROM: its stored query, parsed and bound
// afresh against the statement's catalog, as a subquery with the view's
// columns. The query sees none of the statement's CTEs nor its outer rows.
// Its first len(v.Columns) columns must still have the names' types the
// view was created with (a column added to a table a `SELECT *` view reads
// appears after them); if not, the view fails loudly rather than answer
// with other columns.
func (b *Binder) bindView(v *catalog.View) (Node, error) {
	n, err := b.bindViewQuery(v)
	if err != nil {
		return nil, err
	}
	cols := n.Columns()
	if len(cols) < len(v.Columns) {
		return nil, viewChanged(v)
	}
	p := &Project{Input: n}
	for i, c := range v.Columns {
		if cols[i].T.OID != c.Type.OID {
			return nil, viewChanged(v)
		}
		p.Exprs = append(p.Exprs, &ColRef{Idx: i, T: cols[i].T, Name: c.Name})
		p.Cols = append(p.Cols, Column{Name: c.Name, T: cols[i].T})
	}
	return p, nil
}

// bindViewQuery binds v's stored query as it stands, with none of the
// statement's CTEs or outer rows in scope.
func (b *Binder) bindViewQuery(v *catalog.View) (Node, error) {
	sel, err := b.viewQuery(v)
	if err != nil {
		return nil, err
	}
	for _, d := range v.Cols {
		if t, ok := b.Cat.Table(d.Table); ok && (d.Col >= len(t.Columns) || t.Columns[d.Col].Dropped) {
			return nil, viewChanged(v) // a column it reads was dropped
		}
	}
	ctes, refs, cols, locking := b.ctes, b.Refs, b.ColRefs, b.locking
	b.ctes, b.locking = nil, nil
	b.views = append(b.views, v.ID)
	restore := b.enterViewPath(v)
	n, err := b.bindSelect(sel, &scope{})
	restore()
	b.views = b.views[:len(b.views)-1]
	b.ctes, b.Refs, b.ColRefs, b.locking = ctes, refs, cols, locking
	return n, err
}

// viewQuery notes that the statement reads view v and parses its stored
// query, refusing a view that (through others) reads itself (42P17) or
// views nested deeper than maxViewDepth.
func (b *Binder) viewQuery(v *catalog.View) (*pg.SelectStmt, error) {
	b.noteRef(v.ID)
	for _, id := range b.views {
		if id == v.ID {
			return nil, pgerr.New("42P17", "infinite recursion detected in rules for relation %q", v.Name)
		}
	}
	if len(b.views) >= maxViewDepth {
		return nil, pgerr.New(pgerr.ProgramLimitExceeded, "views nested more than %d deep", maxViewDepth)
	}
	tree, err := pg.Parse(v.Query)
	if err != nil || len(tree.Stmts) != 1 || tree.Stmts[0].Stmt.GetSelectStmt() == nil {
		return nil, pgerr.New(pgerr.DataCorrupted, "view %q: stored query does not parse: %v", v.Name, err)
	}
	return tree.Stmts[0].Stmt.GetSelectStmt(), nil
}

func viewChanged(v *catalog.View) error {
	return pgerr.New(pgerr.ObjectNotInPrerequisiteState, "view %q no longer matches the relations it reads", v.Name).
		WithHint("Re-create the view (CREATE OR REPLACE VIEW).")
}

// enterViewPath makes names resolve along v's search path until the
// returned function restores the previous one.
func (b *Binder) enterViewPath(v *catalog.View) func() {
	prev := b.viewPath
	b.viewPath = v.Path
	if v.Path == nil {
		b.viewPath = catalog.DefaultPath
	}
	return func() { b.viewPath = prev }
}

// enterTablePath makes names resolve along the path a table's stored
// expressions (defaults, CHECK constraints, generation expressions) are
// bound along — its own schema, then public — until the returned function
// restores the previous one: they name what they named when the table was
// made in its schema, whatever the search path of the session writing.
func (b *Binder) enterTablePath(t *catalog.Table) func() {
	prev := b.viewPath
	b.viewPath = catalog.DefaultPath
	if t.Schema != "public" && !strings.HasPrefix(t.Schema, catalog.TempSchemaPrefix) {
		b.viewPath = []string{t.Schema, "public"}
	}
	return func() { b.viewPath = prev }
}

// ViewQueryColumns binds view v's stored query against the binder's
// catalog and returns its output columns (the query's own names, before
// the view's). DDL compares them before and after a change to a relation
// the view reads: a view whose query gives other columns after it reads
// what changed.
func (b *Binder) ViewQueryColumns(v *catalog.View) ([]Column, error) {
	n, err := b.bindViewQuery(v)
	if err != nil {
		return nil, err
	}
	return n.Columns(), nil
}
