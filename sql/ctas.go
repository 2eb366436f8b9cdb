package sql

import (
	"context"
	"fmt"

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
	switch {
	case cs.Objtype == pg.ObjectType_OBJECT_MATVIEW:
		return nil, pgerr.NotSupported("materialized views are not supported yet (CREATE TABLE … AS is)")
	case cs.Into == nil || cs.Into.Rel == nil:
		return nil, pgerr.New(pgerr.SyntaxError, "CREATE TABLE AS without a table")
	case cs.Into.Rel.Relpersistence == "t":
		return nil, pgerr.NotSupported("temporary tables are not supported yet")
	case len(cs.Into.Options) > 0 || cs.Into.OnCommit != pg.OnCommitAction_ONCOMMIT_NOOP && cs.Into.OnCommit != pg.OnCommitAction_ON_COMMIT_ACTION_UNDEFINED:
		return nil, pgerr.NotSupported("CREATE TABLE AS options are not supported yet")
	}
	sel := cs.Query.GetSelectStmt()
	if sel == nil {
		return nil, pgerr.NotSupported("CREATE TABLE AS of this statement is not supported")
	}
	schema, err := schemaOf(cs.Into.Rel)
	if err != nil {
		return nil, err
	}
	name := cs.Into.Rel.Relname
	_, isView := s.txn.cat.LookupView(schema, name)
	if _, ok := s.txn.cat.Lookup(schema, name); ok || isView {
		if cs.IfNotExists {
			return &result{tag: "CREATE TABLE AS"}, nil
		}
		return nil, pgerr.New(pgerr.DuplicateTable, "relation %q already exists", name)
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
	t := &catalog.Table{ID: s.eng.Store.NewID(), Schema: schema, Name: name, PrimaryKey: -1}
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
	if err := s.ddl(&catalog.Change{Kind: catalog.CreateTable, Table: t}); err != nil {
		return nil, err
	}
	tag := "SELECT 0"
	if cs.Into.SkipData {
		return &result{tag: "CREATE TABLE AS"}, nil
	}
	it, err := exec.Open(s.execCtx(ctx, nil), q.Root)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	w := s.writer()
	var n int64
	for {
		row, err := it.Next()
		if err != nil {
			return nil, err
		}
		if row == nil {
			break
		}
		if _, err := w.Insert(t, append([]types.Value(nil), row...)); err != nil {
			return nil, err
		}
		n++
	}
	tag = fmt.Sprintf("SELECT %d", n)
	return &result{tag: tag}, nil
}
