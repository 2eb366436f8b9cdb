package sql

import (
	"context"
	"fmt"
	"slices"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql/exec"
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

// createTableAs runs CREATE TABLE … AS SELECT … [WITH [NO] DATA] and SELECT
// … INTO: a table (no primary key: rows get hidden row ids) with the
// query's columns, then the query's rows inserted, in the statement's
// transaction. Its tag counts them (SELECT n), as PostgreSQL's does.
func (s *Session) createTableAs(ctx context.Context, cs *pg.CreateTableAsStmt) (*result, error) {
	matview := cs.Objtype == pg.ObjectType_OBJECT_MATVIEW
	switch {
	case cs.Into == nil || cs.Into.Rel == nil:
		return nil, pgerr.New(pgerr.SyntaxError, "CREATE TABLE AS without a table")
	case len(cs.Into.Options) > 0:
		return nil, pgerr.NotSupported("CREATE TABLE AS options are not supported yet")
	}
	sel := cs.Query.GetSelectStmt()
	if sel == nil {
		return nil, pgerr.NotSupported("CREATE TABLE AS of this statement is not supported")
	}
	schema, err := s.createSchema(cs.Into.Rel)
	if err != nil {
		return nil, err
	}
	name := cs.Into.Rel.Relname
	_, isView := s.txn.cat.LookupView(schema, name)
	if _, ok := s.txn.cat.Lookup(schema, name); ok || isView {
		if cs.IfNotExists {
			s.notice(pgerr.DuplicateTable, "relation %q already exists, skipping", name)
			return &result{tag: "CREATE TABLE AS"}, nil
		}
		return nil, pgerr.New(pgerr.DuplicateTable, "relation %q already exists", name)
	}
	if _, ok := s.txn.cat.LookupEnumType(schema, name); ok {
		return nil, pgerr.New(pgerr.DuplicateObject, "type %q already exists", name)
	}
	b := plan.NewBinder(s.txn.cat, s, s.loc, nil)
	q, err := b.BindQuery(sel)
	if err != nil {
		return nil, err
	}
	if len(q.Params) > 0 {
		return nil, pgerr.New("42P02", "there is no parameter $1")
	}
	names := nodeNames(cs.Into.ColNames)
	cols := q.Root.Columns()
	if len(names) > len(cols) {
		return nil, pgerr.New(pgerr.SyntaxError, "too many column names were specified")
	}
	t := catalog.NewTable(s.eng.Store.NewID(), schema, name)
	if err := s.makeTemp(t, cs.Into.OnCommit); err != nil {
		return nil, err
	}
	if matview {
		if q.Locking {
			return nil, pgerr.NotSupported("FOR UPDATE in a materialized view is not supported")
		}
		if p := s.existingPath(); len(p) > 0 && !slices.Equal(p, catalog.DefaultPath) {
			// REFRESH binds the stored query again, along its session's
			// path. (Under an empty one every name is qualified.)
			return nil, pgerr.NotSupported("materialized views created under a search_path other than public are not supported yet")
		}
		if t.MatView, err = pg.Deparse(&pg.ParseResult{Version: parseTreeVersion(), Stmts: []*pg.RawStmt{{Stmt: cs.Query}}}); err != nil {
			return nil, pgerr.New(pgerr.InternalError, "materialized view %q: deparse: %v", name, err)
		}
	}
	for i, c := range cols {
		col := catalog.Column{Name: c.Name, Type: c.T}
		if i < len(names) {
			col.Name = names[i]
		}
		if col.Type.OID == types.OIDUnknown {
			col.Type = types.Text
		}
		if t.ColumnIndex(col.Name) >= 0 {
			return nil, pgerr.New(pgerr.DuplicateColumn, "column %q specified more than once", col.Name)
		}
		t.Columns = append(t.Columns, col)
	}
	if len(t.Columns) > 1600 {
		return nil, pgerr.New(pgerr.TooManyColumns, "tables can have at most 1600 columns")
	}
	if matview && cs.Into.SkipData {
		t.Unpopulated = true // reading it fails until a REFRESH
	}
	if err := s.ddl(&catalog.Change{Kind: catalog.CreateTable, Table: t}); err != nil {
		return nil, err
	}
	tag := "SELECT 0"
	if cs.Into.SkipData {
		if matview {
			return &result{tag: "CREATE MATERIALIZED VIEW"}, nil
		}
		return &result{tag: "CREATE TABLE AS"}, nil
	}
	n, err := s.insertQuery(ctx, t, q.Root)
	if err != nil {
		return nil, err
	}
	tag = fmt.Sprintf("SELECT %d", n)
	return &result{tag: tag}, nil
}

// insertQuery inserts the rows of root into t (in the row executor, at
// the statement's snapshot) and returns how many.
func (s *Session) insertQuery(ctx context.Context, t *catalog.Table, root plan.Node) (int64, error) {
	it, err := exec.Open(s.execCtx(ctx, nil), root)
	if err != nil {
		return 0, err
	}
	defer it.Close()
	w := s.writer()
	var n int64
	for {
		row, err := it.Next()
		if err != nil {
			return n, err
		}
		if row == nil {
			return n, nil
		}
		if _, err := w.Insert(t, append([]types.Value(nil), row...)); err != nil {
			return n, err
		}
		n++
	}
}

// refreshMatView runs REFRESH MATERIALIZED VIEW [CONCURRENTLY] mv: in one
// transaction its rows are replaced by its query's as of now, so readers
// see the old rows or the new ones, never a mix (CONCURRENTLY is the same).
// The query is bound again; if its columns no longer have the view's types
// the refresh fails (55000).
func (s *Session) refreshMatView(ctx context.Context, rm *pg.RefreshMatViewStmt) (*result, error) {
	if rm.SkipData && rm.Concurrent {
		return nil, pgerr.New(pgerr.SyntaxError, "REFRESH options CONCURRENTLY and WITH NO DATA cannot be used together")
	}
	t, err := s.lookupTable(rm.Relation)
	if err != nil {
		return nil, err
	}
	if t.MatView == "" {
		return nil, pgerr.NotSupported("%q is not a materialized view", t.Name) // PostgreSQL's SQLSTATE
	}
	if rm.Concurrent && t.Unpopulated {
		return nil, pgerr.NotSupported("CONCURRENTLY cannot be used when the materialized view is not populated")
	}
	if rm.SkipData || t.Unpopulated {
		// WITH NO DATA empties it and marks it unreadable; a REFRESH of
		// an unpopulated one marks it readable again (and fills it below).
		nt := t.Clone()
		nt.Unpopulated = rm.SkipData
		if err := s.ddl(&catalog.Change{Kind: catalog.AlterColumn, Table: nt}); err != nil {
			return nil, err
		}
		t = nt
		if rm.SkipData {
			s.txn.writes.Truncate(t.ID)
			return &result{tag: "REFRESH MATERIALIZED VIEW"}, nil
		}
	}
	if rm.Concurrent && !slices.ContainsFunc(t.Indexes, func(ix catalog.Index) bool { return ix.Unique && ix.Plain() }) {
		return nil, pgerr.New(pgerr.ObjectNotInPrerequisiteState, "cannot refresh materialized view %q concurrently", t.Name).
			WithHint("Create a unique index with no WHERE clause on one or more columns of the materialized view.")
	}
	stmts, err := plan.Parse(t.MatView)
	if err != nil || len(stmts) != 1 || stmts[0].Stmt.GetSelectStmt() == nil {
		return nil, pgerr.New(pgerr.DataCorrupted, "materialized view %q: stored query does not parse: %v", t.Name, err)
	}
	q, err := plan.NewBinder(s.txn.cat, s, s.loc, nil).BindQuery(stmts[0].Stmt.GetSelectStmt())
	if err != nil {
		return nil, err
	}
	cols := q.Root.Columns()
	if len(cols) != len(t.Columns) {
		return nil, matViewChanged(t)
	}
	for i, c := range cols {
		if c.T.OID != t.Columns[i].Type.OID && !(c.T.OID == types.OIDUnknown && t.Columns[i].Type.OID == types.OIDText) {
			return nil, matViewChanged(t)
		}
	}
	s.txn.writes.Truncate(t.ID)
	if _, err := s.insertQuery(ctx, t, q.Root); err != nil {
		return nil, err
	}
	return &result{tag: "REFRESH MATERIALIZED VIEW"}, nil
}

func matViewChanged(t *catalog.Table) error {
	return pgerr.New(pgerr.ObjectNotInPrerequisiteState, "materialized view %q no longer matches the relations it reads", t.Name).
		WithHint("Drop and re-create it.")
}
