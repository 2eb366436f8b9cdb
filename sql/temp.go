package sql

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/pgerr"
)

// Temporary tables.
//
// CREATE TEMP TABLE makes an ordinary table (logged, in both stores) in
// the session's temporary schema, pg_temp_<n>: unqualified names resolve
// there first (catalog.ResolveSchema), so the session's temporary tables
// shadow public ones, and other sessions do not see them by name. n is an
// object ID drawn when the session first needs the schema, so no schema
// name is ever used twice, across restarts included. The session drops its
// temporary tables when it ends; tables left by a session that never ended
// (a crash) are dropped once recovery is done (Engine.DropOrphanTempTables).
// ON COMMIT DELETE ROWS truncates the table at each commit that wrote it,
// ON COMMIT DROP drops it at the end of the transaction that created it.

// createSchema returns the schema a new relation named by rv goes to: the
// session's temporary schema for TEMPORARY (or pg_temp.name), else the
// schema named or the first existing one of the search path.
func (s *Session) createSchema(rv *pg.RangeVar) (string, error) {
	switch {
	case rv.Relpersistence == "t" || rv.Schemaname == "pg_temp" || s.tempSchema != "" && rv.Schemaname == s.tempSchema:
		if rv.Schemaname != "" && rv.Schemaname != "pg_temp" && rv.Schemaname != s.tempSchema {
			return "", pgerr.New(pgerr.InvalidTableDefinition, "cannot create temporary relation in non-temporary schema")
		}
		if s.tempSchema == "" {
			s.tempSchema = catalog.TempSchemaPrefix + strconv.FormatUint(uint64(s.eng.Store.NewID()), 10)
		}
		return s.tempSchema, nil
	}
	return s.newObjectSchema(rv.Schemaname)
}

// makeTemp marks t temporary if it is created in the temporary schema,
// with its ON COMMIT action; ON COMMIT on a permanent table is an error.
func (s *Session) makeTemp(t *catalog.Table, oc pg.OnCommitAction) error {
	temp := s.tempSchema != "" && t.Schema == s.tempSchema
	switch oc {
	case pg.OnCommitAction_ONCOMMIT_DROP, pg.OnCommitAction_ONCOMMIT_DELETE_ROWS:
		if !temp {
			return pgerr.New(pgerr.InvalidTableDefinition, "ON COMMIT can only be used on temporary tables")
		}
	}
	if !temp {
		return nil
	}
	t.Temp = true
	switch oc {
	case pg.OnCommitAction_ONCOMMIT_DROP:
		t.OnCommit = "drop"
	case pg.OnCommitAction_ONCOMMIT_DELETE_ROWS:
		t.OnCommit = "delete"
	}
	return nil
}

// tempTables returns the session's temporary tables in the transaction's
// catalog.
func (s *Session) tempTables() []*catalog.Table {
	if s.tempSchema == "" || s.txn == nil {
		return nil
	}
	var out []*catalog.Table
	for _, t := range s.txn.cat.Tables() {
		if t.Schema == s.tempSchema {
			out = append(out, t)
		}
	}
	return out
}

// onCommitTemp adds the ON COMMIT actions of the session's temporary
// tables to the committing transaction's writes.
func (s *Session) onCommitTemp() error {
	for _, t := range s.tempTables() {
		switch t.OnCommit {
		case "delete":
			if s.txn.writes.Table(t.ID) != nil {
				s.txn.writes.Truncate(t.ID)
			}
		case "drop":
			if err := s.dropTemp(t); err != nil {
				return err
			}
		}
	}
	return nil
}

// dropTemp drops temporary table t in the open transaction, with the
// foreign keys of other temporary tables that reference it.
func (s *Session) dropTemp(t *catalog.Table) error {
	if err := s.dropDependents(t.ID, true); err != nil {
		return err
	}
	if err := s.dropReferencing(t.ID, t.Name, true, nil); err != nil {
		return err
	}
	return s.ddl(&catalog.Change{Kind: catalog.DropTable, ID: t.ID})
}

// dropTempTables drops the session's temporary tables and views as it
// ends.
func (s *Session) dropTempTables() {
	if s.tempSchema == "" {
		return
	}
	if err := s.dropSchemaTables(func(schema string) bool { return schema == s.tempSchema }); err != nil {
		s.eng.Logger.Warn("dropping a session's temporary tables", "schema", s.tempSchema, "err", err)
	}
}

// dropSchemaTables drops the views and tables of the schemas drop
// selects, in one transaction of s (which has none open).
func (s *Session) dropSchemaTables(drop func(schema string) bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.startTxn(false); err != nil {
		return err
	}
	defer s.endTxn()
	n := 0
	for _, v := range s.txn.cat.Views() {
		if _, ok := s.txn.cat.View(v.ID); !ok || !drop(v.Schema) {
			continue // dropped with an earlier one, or kept
		}
		if err := s.dropDependents(v.ID, true); err != nil {
			return err
		}
		if err := s.ddl(&catalog.Change{Kind: catalog.DropView, ID: v.ID}); err != nil {
			return fmt.Errorf("view %s.%s: %w", v.Schema, v.Name, err)
		}
		n++
	}
	for _, t := range s.txn.cat.Tables() {
		if !drop(t.Schema) {
			continue
		}
		if _, ok := s.txn.cat.Table(t.ID); !ok {
			continue // dropped with an earlier one
		}
		if err := s.dropTemp(t); err != nil {
			return fmt.Errorf("table %s.%s: %w", t.Schema, t.Name, err)
		}
		n++
	}
	if n == 0 {
		return nil
	}
	return s.commit(ctx)
}

// DropOrphanTempTables drops every temporary table in the catalog: called
// once recovery is done and before any session runs, when all of them
// belong to sessions of the previous process (a crash, or a shutdown that
// did not drop them).
func (e *Engine) DropOrphanTempTables() error {
	s := newSession(e, nil)
	return s.dropSchemaTables(func(schema string) bool { return strings.HasPrefix(schema, catalog.TempSchemaPrefix) })
}
