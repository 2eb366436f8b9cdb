package sql

import (
	"slices"
	"strings"

	"sync"

	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql/pgcatalog"
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

// createView runs CREATE [OR REPLACE] VIEW name [(columns)] AS SELECT …:
// the query is bound now (so its errors are the statement's) and stored as
// SQL text with its columns and the relations it names (catalog.View); a
// query naming the view binds that text again, against the catalog of its
// time.
func (s *Session) createView(vs *pg.ViewStmt) (string, error) {
	checkOption := ""
	switch vs.WithCheckOption {
	case pg.ViewCheckOption_LOCAL_CHECK_OPTION:
		checkOption = "local"
	case pg.ViewCheckOption_CASCADED_CHECK_OPTION:
		checkOption = "cascaded"
	}
	for _, o := range vs.Options {
		de := o.GetDefElem()
		if de == nil || de.Defname != "check_option" {
			return "", pgerr.NotSupported("view options other than check_option are not supported yet")
		}
		switch v := strings.ToLower(defElemString(de)); v {
		case "local", "cascaded":
			checkOption = v
		default:
			return "", pgerr.New(pgerr.InvalidParameterValue, "invalid value for enum option \"check_option\": %s", v).
				WithDetail("Valid values are \"local\" and \"cascaded\".")
		}
	}
	sel := vs.Query.GetSelectStmt()
	if sel == nil {
		return "", pgerr.NotSupported("this view query is not supported")
	}
	if checkOption != "" {
		if reason := plan.NotUpdatableReason(sel); reason != "" {
			return "", pgerr.NotSupported("WITH CHECK OPTION is supported only on automatically updatable views").WithHint("%s", reason)
		}
	}
	text, err := pg.Deparse(&pg.ParseResult{Version: parseTreeVersion(), Stmts: []*pg.RawStmt{{Stmt: vs.Query}}})
	if err != nil {
		return "", pgerr.New(pgerr.InternalError, "view %q: deparse: %v", vs.View.Relname, err)
	}
	b := plan.NewBinder(s.txn.cat, s, s.loc, nil)
	q, err := b.BindQuery(sel)
	if err != nil {
		return "", err
	}
	if len(q.Params) > 0 {
		return "", pgerr.New("42P02", "there is no parameter $1")
	}
	if q.Locking {
		return "", pgerr.NotSupported("FOR UPDATE in a view is not supported yet")
	}
	out := q.Root.Columns()
	aliases := nodeNames(vs.Aliases)
	if len(aliases) > len(out) {
		return "", pgerr.New(pgerr.SyntaxError, "CREATE VIEW specifies more column names than columns")
	}
	// A view reading a temporary relation is temporary itself, as
	// PostgreSQL makes it (with a NOTICE).
	rv := vs.View
	for _, d := range b.Refs {
		t, isTable := s.txn.cat.Table(d)
		w, isView := s.txn.cat.View(d)
		if isTable && t.Temp || isView && w.Schema == s.tempSchema && s.tempSchema != "" {
			if rv.Schemaname != "" && rv.Schemaname != "pg_temp" && rv.Schemaname != s.tempSchema {
				return "", pgerr.New(pgerr.InvalidTableDefinition, "cannot create temporary relation in non-temporary schema")
			}
			rv = &pg.RangeVar{Relname: rv.Relname, Relpersistence: "t"}
		}
	}
	schema, err := s.createSchema(rv)
	if err != nil {
		return "", err
	}
	v := &catalog.View{Schema: schema, Name: vs.View.Relname, Query: text, Deps: b.Refs, Cols: b.ColRefs, CheckOption: checkOption}
	for _, id := range b.FuncRefs {
		if !slices.Contains(v.Funcs, id) {
			v.Funcs = append(v.Funcs, id)
		}
	}
	if path := s.existingPath(); !slices.Equal(path, catalog.DefaultPath) {
		v.Path = path
	}
	seen := map[string]bool{}
	for i, c := range out {
		name := c.Name
		if i < len(aliases) {
			name = aliases[i]
		}
		if seen[name] {
			return "", pgerr.New(pgerr.DuplicateColumn, "column %q specified more than once", name)
		}
		seen[name] = true
		t := c.T
		if t.OID == types.OIDUnknown {
			t = types.Text // an untyped literal is text, as PostgreSQL resolves it
		}
		v.Columns = append(v.Columns, catalog.Column{Name: name, Type: t})
	}
	old, exists := s.txn.cat.LookupView(schema, v.Name)
	switch {
	case exists && !vs.Replace:
		return "", pgerr.New(pgerr.DuplicateTable, "relation %q already exists", v.Name)
	case exists:
		// CREATE OR REPLACE keeps the view's columns and may add some after
		// them, as PostgreSQL allows.
		if len(v.Columns) < len(old.Columns) {
			return "", pgerr.New(pgerr.InvalidTableDefinition, "cannot drop columns from view")
		}
		for i, c := range old.Columns {
			if v.Columns[i].Name != c.Name {
				return "", pgerr.New(pgerr.InvalidTableDefinition, "cannot change name of view column %q to %q", c.Name, v.Columns[i].Name)
			}
			if v.Columns[i].Type.OID != c.Type.OID {
				return "", pgerr.New(pgerr.InvalidTableDefinition, "cannot change data type of view column %q from %s to %s",
					c.Name, types.TypeName(c.Type), types.TypeName(v.Columns[i].Type))
			}
		}
		v.ID = old.ID
		for _, d := range v.Deps {
			if d == v.ID {
				return "", pgerr.New("42P17", "infinite recursion detected in rules for relation %q", v.Name)
			}
		}
	default:
		if _, ok := s.txn.cat.Lookup(schema, v.Name); ok {
			if vs.Replace {
				return "", pgerr.New(pgerr.WrongObjectType, "%q is not a view", v.Name)
			}
			return "", pgerr.New(pgerr.DuplicateTable, "relation %q already exists", v.Name)
		}
		if _, ok := s.txn.cat.LookupEnumType(schema, v.Name); ok {
			return "", pgerr.New(pgerr.DuplicateObject, "type %q already exists", v.Name)
		}
		v.ID = s.eng.Store.NewID()
	}
	if err := s.ddl(&catalog.Change{Kind: catalog.CreateView, View: v}); err != nil {
		return "", err
	}
	return "CREATE VIEW", nil
}

// dropDependents drops the views that read object id, and theirs, first
// (DROP … CASCADE). Without cascade it does nothing: the catalog refuses
// the drop with 2BP01, naming them.
func (s *Session) dropDependents(id uint32, cascade bool) error {
	if !cascade {
		return nil
	}
	for _, v := range s.txn.cat.Dependents(id) {
		if err := s.dropViewCascade(v.ID); err != nil {
			return err
		}
	}
	return nil
}

// dropViewCascade drops view id after the views that read it.
func (s *Session) dropViewCascade(id uint32) error {
	if err := s.dropDependents(id, true); err != nil {
		return err
	}
	if _, ok := s.txn.cat.View(id); !ok {
		return nil // dropped through another path already
	}
	return s.ddl(&catalog.Change{Kind: catalog.DropView, ID: id})
}

// dropColumnViews handles the views that read table nt — the table with
// column slot i marked dropped, not yet applied — before the drop: one
// that reads the column is refused with 2BP01, or with cascade dropped
// (and the views reading it); the others stay. A view reads the column
// when it lists it in View.Cols (what its query's names resolved to when
// bound, * and USING included), as PostgreSQL decides by the columns the
// view's stored tree references. A view that lists no columns (from
// before View.Cols, or reading none by name) reads it when its query
// names it (a name that named this column must not come to name another
// relation's) or, bound against the catalog without the column, gives
// other columns than with it — names or types, among the view's — as
// SELECT * over the column does (the columns after it would shift into
// the view's).
func (s *Session) dropColumnViews(nt *catalog.Table, i int, cascade bool) error {
	col := nt.Columns[i].Name
	deps := s.txn.cat.Dependents(nt.ID)
	if len(deps) == 0 {
		return nil
	}
	without, err := s.txn.cat.Apply(&catalog.Change{Kind: catalog.DropColumn, Table: nt})
	if err != nil {
		return err
	}
	for _, v := range deps {
		reads := slices.Contains(v.Cols, catalog.ColumnDep{Table: nt.ID, Col: i})
		if !reads && len(v.Cols) == 0 {
			// Views from before View.Cols (or reading no column by
			// name): whether the query names the column, or gives other
			// columns without it.
			if reads, err = viewNamesColumn(v, col); err != nil {
				return err
			}
			reads = reads || s.viewQueryChanges(v, without)
		}
		if !reads {
			continue
		}
		if !cascade {
			return pgerr.New(pgerr.DependentObjectsStillExist, "cannot drop column %s of table %s because other objects depend on it", col, nt.Name).
				WithDetail("view %s depends on column %s of table %s", v.Name, col, nt.Name).
				WithHint("Use DROP ... CASCADE to drop the dependent objects too.")
		}
		if err := s.dropViewCascade(v.ID); err != nil {
			return err
		}
	}
	return nil
}

// viewQueryChanges reports whether v's query gives other columns (among
// the view's first len(v.Columns)) against catalog after than against the
// transaction's, or no longer binds.
func (s *Session) viewQueryChanges(v *catalog.View, after *catalog.Catalog) bool {
	was, err := plan.NewBinder(s.txn.cat, s, s.loc, nil).ViewQueryColumns(v)
	if err != nil {
		return true // broken already: keep it from changing further
	}
	now, err := plan.NewBinder(after, s, s.loc, nil).ViewQueryColumns(v)
	if err != nil || len(now) < len(v.Columns) || len(was) < len(v.Columns) {
		return true
	}
	for i := range v.Columns {
		if was[i].Name != now[i].Name || was[i].T.OID != now[i].T.OID {
			return true
		}
	}
	return false
}

// viewNamesColumn reports whether v's query has a column reference whose
// last name is col (bare or qualified by any relation).
func viewNamesColumn(v *catalog.View, col string) (bool, error) {
	tree, err := pg.Parse(v.Query)
	if err != nil || len(tree.Stmts) != 1 {
		return false, pgerr.New(pgerr.DataCorrupted, "view %q: stored query does not parse: %v", v.Name, err)
	}
	names := false
	pgcatalog.WalkMessages(tree.Stmts[0].Stmt.ProtoReflect(), func(m protoreflect.Message) {
		cr, ok := m.Interface().(*pg.ColumnRef)
		if !ok || len(cr.Fields) == 0 {
			return
		}
		if s := cr.Fields[len(cr.Fields)-1].GetString_(); s != nil && s.Sval == col {
			names = true
		}
	})
	return names, nil
}

// parseTreeVersion is the parse tree version pg_query's deparser expects
// (its parser's own).
var parseTreeVersion = sync.OnceValue(func() int32 {
	r, err := pg.Parse("SELECT 1")
	if err != nil {
		return 0
	}
	return r.Version
})
