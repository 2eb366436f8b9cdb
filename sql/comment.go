package sql

import (
	"slices"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/pgerr"
)

// comment runs COMMENT ON TABLE | VIEW | COLUMN | INDEX | CONSTRAINT … IS
// 'text' | NULL: the
// text is part of the object's definition in the catalog (a catalog change
// like any other), read back through pg_description, obj_description and
// col_description. An empty text removes the comment, as in PostgreSQL.
func (s *Session) comment(cs *pg.CommentStmt) (string, error) {
	var names []string
	if l := cs.Object.GetList(); l != nil {
		names = nodeNames(l.Items)
	}
	switch cs.Objtype {
	case pg.ObjectType_OBJECT_TYPE:
		return s.commentType(cs)
	case pg.ObjectType_OBJECT_INDEX:
		return s.commentIndex(names, cs.Comment)
	case pg.ObjectType_OBJECT_TABCONSTRAINT:
		return s.commentConstraint(names, cs.Comment)
	case pg.ObjectType_OBJECT_TABLE, pg.ObjectType_OBJECT_VIEW:
		if len(names) == 0 || len(names) > 2 {
			return "", pgerr.New(pgerr.SyntaxError, "improper relation name")
		}
	case pg.ObjectType_OBJECT_COLUMN:
		if len(names) < 2 || len(names) > 3 {
			return "", pgerr.New(pgerr.SyntaxError, "column name must be qualified")
		}
	default:
		return "", pgerr.NotSupported("COMMENT ON %s is not supported yet (tables, views, columns, indexes, constraints and enum types are)", cs.Objtype)
	}
	rel := names
	column := ""
	if cs.Objtype == pg.ObjectType_OBJECT_COLUMN {
		rel, column = names[:len(names)-1], names[len(names)-1]
	}
	rv := &pg.RangeVar{Relname: rel[len(rel)-1]}
	if len(rel) == 2 {
		rv.Schemaname = rel[0]
	}
	schema, err := s.schemaOf(rv)
	if err != nil {
		return "", err
	}
	if t, ok := s.txn.cat.Lookup(schema, rv.Relname); ok {
		if cs.Objtype == pg.ObjectType_OBJECT_VIEW {
			return "", pgerr.New(pgerr.WrongObjectType, "%q is not a view", rv.Relname)
		}
		nt := t.Clone()
		if column == "" {
			nt.Comment = cs.Comment
		} else {
			i := nt.ColumnIndex(column)
			if i < 0 {
				return "", pgerr.New(pgerr.UndefinedColumn, "column %q of relation %q does not exist", column, t.Name)
			}
			nt.Columns[i].Comment = cs.Comment
		}
		return "COMMENT", s.ddl(&catalog.Change{Kind: catalog.AlterColumn, Table: nt})
	}
	if v, ok := s.txn.cat.LookupView(schema, rv.Relname); ok {
		if cs.Objtype == pg.ObjectType_OBJECT_TABLE {
			return "", pgerr.New(pgerr.WrongObjectType, "%q is not a table", rv.Relname)
		}
		nv := *v
		nv.Columns = slices.Clone(v.Columns)
		if column == "" {
			nv.Comment = cs.Comment
		} else {
			i := slices.IndexFunc(nv.Columns, func(c catalog.Column) bool { return c.Name == column })
			if i < 0 {
				return "", pgerr.New(pgerr.UndefinedColumn, "column %q of relation %q does not exist", column, v.Name)
			}
			nv.Columns[i].Comment = cs.Comment
		}
		return "COMMENT", s.ddl(&catalog.Change{Kind: catalog.CreateView, View: &nv})
	}
	return "", pgerr.New(pgerr.UndefinedTable, "relation %q does not exist", rv.Relname)
}

// commentIndex runs COMMENT ON INDEX [schema.]name.
func (s *Session) commentIndex(names []string, text string) (string, error) {
	if len(names) == 0 || len(names) > 2 {
		return "", pgerr.New(pgerr.SyntaxError, "improper relation name")
	}
	rv := &pg.RangeVar{Relname: names[len(names)-1]}
	if len(names) == 2 {
		rv.Schemaname = names[0]
	}
	schema, err := s.schemaOf(rv)
	if err != nil {
		return "", err
	}
	t, i, ok := s.txn.cat.LookupIndex(schema, rv.Relname)
	if !ok {
		return "", pgerr.New(pgerr.UndefinedTable, "relation %q does not exist", rv.Relname)
	}
	nt := t.Clone()
	nt.Indexes[i].Comment = text
	return "COMMENT", s.ddl(&catalog.Change{Kind: catalog.AlterColumn, Table: nt})
}

// commentConstraint runs COMMENT ON CONSTRAINT name ON [schema.]table: a
// unique or primary-key constraint, CHECK or foreign key of the table.
func (s *Session) commentConstraint(names []string, text string) (string, error) {
	if len(names) < 2 || len(names) > 3 {
		return "", pgerr.New(pgerr.SyntaxError, "improper constraint name")
	}
	con := names[len(names)-1]
	rv := &pg.RangeVar{Relname: names[len(names)-2]}
	if len(names) == 3 {
		rv.Schemaname = names[0]
	}
	t, err := s.lookupTable(rv)
	if err != nil {
		return "", err
	}
	nt := t.Clone()
	switch {
	case slices.ContainsFunc(nt.Indexes, func(ix catalog.Index) bool { return ix.Name == con && ix.Constraint() }):
		i := slices.IndexFunc(nt.Indexes, func(ix catalog.Index) bool { return ix.Name == con })
		nt.Indexes[i].ConComment = text
	case slices.ContainsFunc(nt.Checks, func(c catalog.Check) bool { return c.Name == con }):
		i := slices.IndexFunc(nt.Checks, func(c catalog.Check) bool { return c.Name == con })
		nt.Checks[i].Comment = text
	case slices.ContainsFunc(nt.ForeignKeys, func(fk catalog.ForeignKey) bool { return fk.Name == con }):
		i := slices.IndexFunc(nt.ForeignKeys, func(fk catalog.ForeignKey) bool { return fk.Name == con })
		nt.ForeignKeys[i].Comment = text
	default:
		return "", pgerr.New(pgerr.UndefinedObject, "constraint %q for table %q does not exist", con, t.Name)
	}
	return "COMMENT", s.ddl(&catalog.Change{Kind: catalog.AlterColumn, Table: nt})
}
