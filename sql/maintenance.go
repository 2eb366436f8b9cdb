package sql

import (
	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/omendb/omendb/pgerr"
)

// REINDEX and CLUSTER. OmenDB's indexes are maintained with every applied
// change and never become invalid or bloated, and the row store keeps rows
// in primary-key order: both statements check their target as PostgreSQL
// does and then have nothing to do. (CLUSTER does not record the index in
// pg_index.indisclustered.)

// reindex runs REINDEX { INDEX | TABLE | SCHEMA | DATABASE | SYSTEM } name.
func (s *Session) reindex(rs *pg.ReindexStmt) (*result, error) {
	concurrently := false
	for _, p := range rs.Params {
		if d := p.GetDefElem(); d != nil && d.Defname == "concurrently" {
			concurrently = true
		}
	}
	switch rs.Kind {
	case pg.ReindexObjectType_REINDEX_OBJECT_INDEX:
		schema, err := s.schemaOf(rs.Relation)
		if err != nil {
			return nil, err
		}
		if _, _, ok := s.txn.cat.LookupIndex(schema, rs.Relation.Relname); !ok {
			if _, ok := s.txn.cat.Lookup(schema, rs.Relation.Relname); ok {
				return nil, pgerr.New(pgerr.WrongObjectType, "%q is not an index", rs.Relation.Relname)
			}
			return nil, pgerr.New(pgerr.UndefinedTable, "relation %q does not exist", rs.Relation.Relname)
		}
	case pg.ReindexObjectType_REINDEX_OBJECT_TABLE:
		if _, err := s.lookupTable(rs.Relation); err != nil {
			return nil, err
		}
	case pg.ReindexObjectType_REINDEX_OBJECT_SCHEMA:
		if !s.schemaExists(rs.Name) {
			return nil, pgerr.New("3F000", "schema %q does not exist", rs.Name)
		}
		if s.txn.explicit {
			return nil, pgerr.New(pgerr.ActiveSQLTransaction, "REINDEX SCHEMA cannot run inside a transaction block")
		}
	case pg.ReindexObjectType_REINDEX_OBJECT_DATABASE, pg.ReindexObjectType_REINDEX_OBJECT_SYSTEM:
		if rs.Name == "" {
			// Optional only from PostgreSQL 16 on.
			return nil, pgerr.New(pgerr.SyntaxError, "syntax error at end of input")
		}
		if rs.Name != s.eng.Database {
			return nil, pgerr.NotSupported("can only reindex the currently open database")
		}
		if s.txn.explicit {
			what := "DATABASE"
			if rs.Kind == pg.ReindexObjectType_REINDEX_OBJECT_SYSTEM {
				what = "SYSTEM"
			}
			return nil, pgerr.New(pgerr.ActiveSQLTransaction, "REINDEX %s cannot run inside a transaction block", what)
		}
	}
	if concurrently && s.txn.explicit {
		return nil, pgerr.New(pgerr.ActiveSQLTransaction, "REINDEX CONCURRENTLY cannot run inside a transaction block")
	}
	return &result{tag: "REINDEX"}, nil
}

// cluster runs CLUSTER [table [USING index]].
func (s *Session) cluster(cs *pg.ClusterStmt) (*result, error) {
	if cs.Relation == nil {
		if s.txn.explicit {
			return nil, pgerr.New(pgerr.ActiveSQLTransaction, "CLUSTER cannot run inside a transaction block")
		}
		return &result{tag: "CLUSTER"}, nil
	}
	t, err := s.lookupTable(cs.Relation)
	if err != nil {
		return nil, err
	}
	if cs.Indexname == "" {
		return nil, pgerr.New(pgerr.UndefinedObject, "there is no previously clustered index for table %q", t.Name)
	}
	it, _, ok := s.txn.cat.LookupIndex(t.Schema, cs.Indexname)
	if !ok || it.ID != t.ID {
		return nil, pgerr.New(pgerr.UndefinedObject, "index %q for table %q does not exist", cs.Indexname, t.Name)
	}
	return &result{tag: "CLUSTER"}, nil
}

// schemaExists reports whether a schema of that name exists.
func (s *Session) schemaExists(name string) bool {
	switch name {
	case "pg_catalog", "information_schema":
		return true
	}
	return s.txn.cat.SchemaExists(name) || s.tempSchema != "" && name == s.tempSchema
}
