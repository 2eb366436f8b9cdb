package sql

import (
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql/pgcatalog"
	"github.com/omendb/omendb/types"
)

// renameSchema runs ALTER SCHEMA name RENAME TO new. The schema's objects
// move with it (catalog rename_schema), and so do the names in stored SQL
// text that qualify an object with the old schema name — relations in
// views' and materialized views' queries, types in casts, functions,
// schema.table.column references, and regclass and nextval literals in
// defaults, CHECK and generation expressions and index expressions — which
// PostgreSQL, keeping OIDs, need not rewrite. Unqualified names in a
// table's expressions resolve in the table's own schema and follow it.
func (s *Session) renameSchema(rs *pg.RenameStmt) (string, error) {
	from, to := rs.Subname, rs.Newname
	sc, ok := s.txn.cat.LookupSchema(from)
	if !ok {
		switch {
		case from == "public" || from == "pg_catalog" || from == "information_schema" || strings.HasPrefix(from, catalog.TempSchemaPrefix):
			return "", pgerr.NotSupported("renaming schema %q is not supported", from)
		case s.txn.cat.SchemaUsed(from):
			return "", pgerr.NotSupported("schema %q holds a CDC source's tables and cannot be renamed", from)
		}
		return "", noSchema(from)
	}
	if s.txn.cat.SchemaExists(to) {
		return "", pgerr.New(pgerr.DuplicateSchema, "schema %q already exists", to)
	}
	if strings.HasPrefix(to, "pg_") {
		return "", pgerr.New(pgerr.ReservedName, "unacceptable schema name %q", to).
			WithDetail("The prefix \"pg_\" is reserved for system schemas.")
	}
	for _, t := range s.txn.cat.Tables() {
		if t.Schema == from && t.ReadOnly != "" {
			return "", pgerr.NotSupported("schema %q holds a CDC source's tables and cannot be renamed", from)
		}
	}
	nsc := *sc
	nsc.Name = to
	if err := s.ddl(&catalog.Change{Kind: catalog.RenameSchema, ID: sc.ID, Schema: &nsc}); err != nil {
		return "", err
	}
	changed := false // by the last rename calls
	rename := func(text string, expr bool) string {
		if text == "" || !strings.Contains(text, from) {
			return text
		}
		if out, ok := schemaRefsRenamed(text, from, to, expr); ok {
			changed = true
			return out
		}
		return text
	}
	for _, v := range s.txn.cat.Views() {
		if q := rename(v.Query, false); q != v.Query {
			nv := *v
			nv.Query = q
			if err := s.ddl(&catalog.Change{Kind: catalog.CreateView, View: &nv}); err != nil {
				return "", err
			}
		}
	}
	for _, t := range s.txn.cat.Tables() {
		changed = false
		nt := t.Clone()
		nt.Indexes = append([]catalog.Index(nil), t.Indexes...)
		nt.MatView = rename(t.MatView, false)
		for i := range nt.Columns {
			nt.Columns[i].Default = rename(nt.Columns[i].Default, true)
			nt.Columns[i].Generated = rename(nt.Columns[i].Generated, true)
		}
		for i := range nt.Checks {
			nt.Checks[i].Expr = rename(nt.Checks[i].Expr, true)
		}
		for i := range nt.Indexes {
			ix := &nt.Indexes[i]
			if ix.Exprs != nil {
				ix.Exprs = append([]string(nil), ix.Exprs...)
				for j := range ix.Exprs {
					ix.Exprs[j] = rename(ix.Exprs[j], true)
				}
			}
			ix.Where = rename(ix.Where, true)
		}
		if changed {
			if err := s.ddl(&catalog.Change{Kind: catalog.AlterColumn, Table: nt}); err != nil {
				return "", err
			}
		}
	}
	return "ALTER SCHEMA", nil
}

// schemaRefsRenamed rewrites the names in text (a query, or an expression
// when expr) that qualify an object with schema from to qualify it with
// to; ok is false when text does not parse or names nothing in from.
func schemaRefsRenamed(text, from, to string, expr bool) (string, bool) {
	src := text
	if expr {
		src = "SELECT " + text
	}
	tree, err := pg.Parse(src)
	if err != nil || len(tree.Stmts) != 1 {
		return "", false
	}
	changed := false
	first := func(names []*pg.Node) {
		if len(names) >= 2 {
			if sv := names[0].GetString_(); sv != nil && sv.Sval == from {
				sv.Sval, changed = to, true
			}
		}
	}
	pgcatalog.WalkMessages(tree.Stmts[0].Stmt.ProtoReflect(), func(m protoreflect.Message) {
		switch x := m.Interface().(type) {
		case *pg.RangeVar:
			if x.Schemaname == from {
				x.Schemaname, changed = to, true
			}
		case *pg.TypeName:
			first(x.Names)
		case *pg.FuncCall:
			first(x.Funcname)
		case *pg.ColumnRef:
			if len(x.Fields) == 3 {
				first(x.Fields)
			}
		}
		lit, ok := pgcatalog.RegclassLiteral(m)
		if !ok {
			lit, ok = sequenceArg(m)
		}
		if !ok {
			return
		}
		if rv, ok := regclassName(lit.Sval); ok && rv.Schemaname == from {
			lit.Sval = types.QuoteIdent(to) + "." + types.QuoteIdent(rv.Relname)
			changed = true
		}
	})
	if !changed {
		return "", false
	}
	out, err := pg.Deparse(tree)
	if err != nil {
		return "", false
	}
	if expr {
		out = strings.TrimPrefix(out, "SELECT ")
	}
	return out, true
}
