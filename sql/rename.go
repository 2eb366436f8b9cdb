package sql

import (
	"slices"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql/pgcatalog"
	"github.com/omendb/omendb/types"
)

// Renaming and moving relations: ALTER {TABLE | VIEW | MATERIALIZED VIEW |
// INDEX | SEQUENCE} … RENAME TO, ALTER TABLE … RENAME CONSTRAINT, ALTER
// VIEW … RENAME COLUMN, and ALTER {VIEW | SEQUENCE} … SET SCHEMA.
//
// PostgreSQL's views and defaults refer to relations by OID, so a rename
// changes nothing else. OmenDB stores a view's query, a materialized view's
// query and a column's default as SQL text naming relations, so a rename
// rewrites the text that names the renamed relation (retarget): the FROM
// items of the views and materialized views that read it, resolved as they
// are bound (a view along its own search path), and the 'name'::regclass
// literals of defaults (nextval) that name a renamed sequence. A FROM item
// keeps the old name as its alias, so the query's qualified column
// references (a.id) still resolve, and it is qualified with its schema
// only when the unqualified new name would resolve elsewhere. Every
// rewritten view is its own catalog change in the same transaction as the
// rename.

// relation is what a RangeVar of ALTER … RENAME names: one of a table (or
// materialized view), a view, a sequence or an index.
type relation struct {
	schema string
	table  *catalog.Table // a table or materialized view, or the index's table
	view   *catalog.View
	seq    *catalog.Sequence
	index  int // position in table.Indexes when an index, else -1
}

func (r relation) id() uint32 {
	switch {
	case r.view != nil:
		return r.view.ID
	case r.seq != nil:
		return r.seq.ID
	case r.index >= 0:
		return r.table.Indexes[r.index].ID
	}
	return r.table.ID
}

func (r relation) name() string {
	switch {
	case r.view != nil:
		return r.view.Name
	case r.seq != nil:
		return r.seq.Name
	case r.index >= 0:
		return r.table.Indexes[r.index].Name
	}
	return r.table.Name
}

// lookupRelation finds the relation rv names, of any kind (42P01 when
// none, 3F000 when a named schema does not exist).
func (s *Session) lookupRelation(rv *pg.RangeVar) (relation, error) {
	schema, err := s.schemaOf(rv)
	if err != nil {
		return relation{}, err
	}
	cat := s.txn.cat
	r := relation{schema: schema, index: -1}
	if t, ok := cat.Lookup(schema, rv.Relname); ok {
		r.table = t
	} else if v, ok := cat.LookupView(schema, rv.Relname); ok {
		r.view = v
	} else if sq, ok := cat.LookupSequence(schema, rv.Relname); ok {
		r.seq = sq
	} else if t, i, ok := cat.LookupIndex(schema, rv.Relname); ok {
		r.table, r.index = t, i
	} else {
		return r, pgerr.New(pgerr.UndefinedTable, "relation %q does not exist", rv.Relname)
	}
	return r, nil
}

// checkRelKind refuses ALTER VIEW of a non-view and the like (42809), as
// PostgreSQL does; ALTER TABLE accepts every kind of relation, and so does
// ALTER INDEX … RENAME (rename true).
func checkRelKind(r relation, ot pg.ObjectType, rename bool) error {
	var want string
	switch {
	case ot == pg.ObjectType_OBJECT_VIEW && r.view == nil:
		want = "a view"
	case ot == pg.ObjectType_OBJECT_MATVIEW && (r.table == nil || r.index >= 0 || r.table.MatView == ""):
		want = "a materialized view"
	case ot == pg.ObjectType_OBJECT_SEQUENCE && r.seq == nil:
		want = "a sequence"
	case ot == pg.ObjectType_OBJECT_INDEX && r.index < 0 && !rename:
		want = "an index"
	default:
		return nil
	}
	return pgerr.New(pgerr.WrongObjectType, "%q is not %s", r.name(), want)
}

// renameRelation runs ALTER {TABLE | VIEW | MATERIALIZED VIEW | INDEX |
// SEQUENCE} [IF EXISTS] name RENAME TO new.
func (s *Session) renameRelation(rs *pg.RenameStmt) (string, error) {
	tag := "ALTER " + objectTag(rs.RenameType)
	r, err := s.lookupRelation(rs.Relation)
	if err != nil {
		if rs.MissingOk && pgerr.Code(err) == pgerr.UndefinedTable {
			s.skipMissing("relation", rs.Relation.Relname)
			return tag, nil
		}
		return "", err
	}
	if err := checkRelKind(r, rs.RenameType, true); err != nil {
		return "", err
	}
	to := rs.Newname
	if to == r.name() {
		return tag, nil
	}
	if s.relationIn(r.schema, to) {
		return "", pgerr.New(pgerr.DuplicateTable, "relation %q already exists", to)
	}
	switch {
	case r.view != nil:
		nv := *r.view
		nv.Name = to
		return tag, s.moveView(r.view, &nv)
	case r.seq != nil:
		nq := *r.seq
		nq.Name = to
		return tag, s.moveSequence(r.seq, &nq)
	case r.index >= 0:
		if r.table.ReadOnly != "" {
			return "", pgerr.New(pgerr.ReadOnlySQLTransaction, "table %q is read-only: %s", r.table.Name, r.table.ReadOnly)
		}
		nt := r.table.Clone()
		nt.Indexes = slices.Clone(nt.Indexes)
		nt.Indexes[r.index].Name = to
		return tag, s.ddl(&catalog.Change{Kind: catalog.RenameTable, Table: nt})
	}
	if r.table.ReadOnly != "" {
		return "", pgerr.New(pgerr.ReadOnlySQLTransaction, "table %q is read-only: %s", r.table.Name, r.table.ReadOnly)
	}
	nt := r.table.Clone()
	nt.Name = to
	old := s.txn.cat
	if err := s.ddl(&catalog.Change{Kind: catalog.RenameTable, Table: nt}); err != nil {
		return "", err
	}
	return tag, s.retarget(old, r.table.ID, nt.Schema, to)
}

// objectTag is the command tag's object word for ALTER of ot.
func objectTag(ot pg.ObjectType) string {
	switch ot {
	case pg.ObjectType_OBJECT_VIEW:
		return "VIEW"
	case pg.ObjectType_OBJECT_MATVIEW:
		return "MATERIALIZED VIEW"
	case pg.ObjectType_OBJECT_INDEX:
		return "INDEX"
	case pg.ObjectType_OBJECT_SEQUENCE:
		return "SEQUENCE"
	}
	return "TABLE"
}

// moveView renames or moves view old to nv (same ID), rewriting the views
// that read it.
func (s *Session) moveView(old, nv *catalog.View) error {
	before := s.txn.cat
	if err := s.ddl(&catalog.Change{Kind: catalog.RenameView, View: nv}); err != nil {
		return err
	}
	return s.retarget(before, old.ID, nv.Schema, nv.Name)
}

// moveSequence renames or moves sequence old to nq (same ID), rewriting
// the defaults whose regclass literals name it.
func (s *Session) moveSequence(old, nq *catalog.Sequence) error {
	before := s.txn.cat
	if err := s.ddl(&catalog.Change{Kind: catalog.RenameSequence, Sequence: nq}); err != nil {
		return err
	}
	for _, t := range before.Tables() {
		nt := t.Clone()
		changed := false
		for i, c := range nt.Columns {
			if c.Default == "" || c.Dropped {
				continue
			}
			text, ok := s.retargetRegclass(before, c.Default, catalogTablePath(t), old.ID, nq.Schema, nq.Name)
			if ok {
				nt.Columns[i].Default = text
				changed = true
			}
		}
		if changed {
			if err := s.ddl(&catalog.Change{Kind: catalog.AlterColumn, Table: nt}); err != nil {
				return err
			}
		}
	}
	return nil
}

// catalogTablePath is the search path a table's stored expressions bind
// along (plan.Binder.enterTablePath): its schema, then public.
func catalogTablePath(t *catalog.Table) []string {
	if t.Schema != "public" && !strings.HasPrefix(t.Schema, catalog.TempSchemaPrefix) {
		return []string{t.Schema, "public"}
	}
	return catalog.DefaultPath
}

// retarget rewrites the stored queries of the views and materialized views
// that name relation id — as resolved in before, the catalog before the
// rename — to name it as schema.name.
func (s *Session) retarget(before *catalog.Catalog, id uint32, schema, name string) error {
	return s.rewriteReaders(before, id, "", func(query string, path []string, _ *catalog.View) (string, bool, error) {
		return s.retargetQuery(before, query, path, id, schema, name)
	})
}

// rewriteReaders passes the stored query of each view reading relation id
// (in before) and of each materialized view other than id whose query
// mentions mention (they record no dependencies) to rewrite, with the
// search path it binds along and the view (nil for a materialized view),
// and saves each query rewrite changed as a catalog change of its view.
func (s *Session) rewriteReaders(before *catalog.Catalog, id uint32, mention string, rewrite func(query string, path []string, v *catalog.View) (string, bool, error)) error {
	for _, v := range before.Dependents(id) {
		path := v.Path
		if path == nil {
			path = catalog.DefaultPath
		}
		text, ok, err := rewrite(v.Query, path, v)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		cur, _ := s.txn.cat.View(v.ID)
		nv := *cur
		nv.Query = text
		if err := s.ddl(&catalog.Change{Kind: catalog.CreateView, View: &nv}); err != nil {
			return err
		}
	}
	for _, t := range before.Tables() {
		if t.MatView == "" || t.ID == id || !strings.Contains(t.MatView, mention) {
			continue
		}
		text, ok, err := rewrite(t.MatView, s.existingPath(), nil) // REFRESH binds it along the session's path
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		cur, _ := s.txn.cat.Table(t.ID)
		nt := cur.Clone()
		nt.MatView = text
		if err := s.ddl(&catalog.Change{Kind: catalog.AlterColumn, Table: nt}); err != nil {
			return err
		}
	}
	return nil
}

// retargetQuery rewrites query (stored SQL text, resolved along path in
// before) so that its FROM items naming relation id name schema.name; ok
// is false when none does. A query whose WITH queries share the old name
// is refused (0A000) rather than guessed at.
func (s *Session) retargetQuery(before *catalog.Catalog, query string, path []string, id uint32, schema, name string) (string, bool, error) {
	tree, err := pg.Parse(query)
	if err != nil || len(tree.Stmts) != 1 {
		return "", false, pgerr.New(pgerr.DataCorrupted, "stored query does not parse: %v", err)
	}
	root := tree.Stmts[0].Stmt.ProtoReflect()
	ctes := pgcatalog.CTENames(root)
	changed := false
	var refused error
	pgcatalog.WalkMessages(root, func(m protoreflect.Message) {
		rv, ok := m.Interface().(*pg.RangeVar)
		if !ok || refused != nil {
			return
		}
		if relationID(before, before.ResolvePath("", path, rv.Schemaname, rv.Relname), rv.Relname) != id {
			return
		}
		if rv.Schemaname == "" && ctes[rv.Relname] {
			refused = pgerr.NotSupported("renaming %q: a view's WITH query has the same name", rv.Relname)
			return
		}
		if rv.Alias == nil {
			rv.Alias = &pg.Alias{Aliasname: rv.Relname}
		}
		rv.Relname = name
		if rv.Schemaname != "" || relationID(s.txn.cat, s.txn.cat.ResolvePath("", path, "", name), name) != id || ctes[name] {
			rv.Schemaname = schema
		}
		changed = true
	})
	if refused != nil || !changed {
		return "", false, refused
	}
	text, err := pg.Deparse(tree)
	if err != nil {
		return "", false, pgerr.New(pgerr.InternalError, "deparse: %v", err)
	}
	return text, true, nil
}

// retargetRegclass rewrites the 'name'::regclass literals of expression
// expr (a default, resolved along path in before) that name sequence id
// to name schema.name.
func (s *Session) retargetRegclass(before *catalog.Catalog, expr string, path []string, id uint32, schema, name string) (string, bool) {
	changed := false
	tree := sequenceRefs(before, expr, path, func(lit *pg.String, qualified bool, sq *catalog.Sequence) {
		if sq.ID != id {
			return
		}
		lit.Sval = types.QuoteIdent(name)
		if qualified || s.txn.cat.ResolvePath("", path, "", name) != schema {
			lit.Sval = types.QuoteIdent(schema) + "." + lit.Sval
		}
		changed = true
	})
	if !changed {
		return "", false
	}
	text, err := pg.Deparse(tree)
	if err != nil {
		return "", false
	}
	return strings.TrimPrefix(text, "SELECT "), true
}

// sequenceRefs calls fn for each 'name'::regclass literal and nextval,
// currval or setval string argument of expression expr that names a
// sequence of cat (resolved along path; qualified when the literal names
// its schema), and returns the parsed expression ("SELECT expr") for fn's
// edits to be deparsed; nil when expr does not parse.
func sequenceRefs(cat *catalog.Catalog, expr string, path []string, fn func(lit *pg.String, qualified bool, sq *catalog.Sequence)) *pg.ParseResult {
	if !strings.Contains(expr, "::regclass") && !strings.Contains(expr, "val(") {
		return nil
	}
	tree, err := pg.Parse("SELECT " + expr)
	if err != nil || len(tree.Stmts) != 1 {
		return nil
	}
	pgcatalog.WalkMessages(tree.Stmts[0].Stmt.ProtoReflect(), func(m protoreflect.Message) {
		lit, ok := pgcatalog.RegclassLiteral(m)
		if !ok {
			lit, ok = sequenceArg(m)
		}
		if !ok {
			return
		}
		rv, ok := regclassName(lit.Sval)
		if !ok {
			return
		}
		if sq, ok := cat.LookupSequence(cat.ResolvePath("", path, rv.Schemaname, rv.Relname), rv.Relname); ok {
			fn(lit, rv.Schemaname != "", sq)
		}
	})
	return tree
}

// sequenceArg is the string of m when m is a call of nextval, currval or
// setval whose first argument is a plain string literal (an unknown-typed
// constant, which the call casts to regclass).
func sequenceArg(m protoreflect.Message) (*pg.String, bool) {
	fc, ok := m.Interface().(*pg.FuncCall)
	if !ok || len(fc.Funcname) == 0 || len(fc.Args) == 0 {
		return nil, false
	}
	switch fc.Funcname[len(fc.Funcname)-1].GetString_().GetSval() {
	case "nextval", "currval", "setval":
	default:
		return nil, false
	}
	return pgcatalog.StringConst(fc.Args[0])
}

// regclassName parses a regclass literal's text ("seq", "public.seq",
// `"Mixed"`) as PostgreSQL's regclassin does.
func regclassName(lit string) (*pg.RangeVar, bool) {
	tree, err := pg.Parse("SELECT FROM " + lit)
	if err != nil || len(tree.Stmts) != 1 {
		return nil, false
	}
	from := tree.Stmts[0].Stmt.GetSelectStmt().GetFromClause()
	if len(from) != 1 || from[0].GetRangeVar() == nil {
		return nil, false
	}
	return from[0].GetRangeVar(), true
}

// relationID is the ID of the table, materialized view or view named
// schema.name in cat (0 when none).
func relationID(cat *catalog.Catalog, schema, name string) uint32 {
	if t, ok := cat.Lookup(schema, name); ok {
		return t.ID
	}
	if v, ok := cat.LookupView(schema, name); ok {
		return v.ID
	}
	return 0
}

// renameConstraint runs ALTER TABLE [IF EXISTS] t RENAME CONSTRAINT old TO
// new: a primary key's or unique constraint's index is renamed with it, as
// in PostgreSQL, where the two share their name.
func (s *Session) renameConstraint(rs *pg.RenameStmt) (string, error) {
	t, err := s.lookupTable(rs.Relation)
	if err != nil {
		if rs.MissingOk && pgerr.Code(err) == pgerr.UndefinedTable {
			s.skipMissing("relation", rs.Relation.Relname)
			return "ALTER TABLE", nil
		}
		return "", err
	}
	if t.ReadOnly != "" {
		return "", pgerr.New(pgerr.ReadOnlySQLTransaction, "table %q is read-only: %s", t.Name, t.ReadOnly)
	}
	nt := t.Clone()
	nt.Indexes = slices.Clone(nt.Indexes)
	var names []*string
	var target *string
	isIndex := false
	for i := range nt.Indexes {
		if nt.Indexes[i].Constraint() {
			names = append(names, &nt.Indexes[i].Name)
			if nt.Indexes[i].Name == rs.Subname {
				target, isIndex = &nt.Indexes[i].Name, true
			}
		}
	}
	for i := range nt.Checks {
		names = append(names, &nt.Checks[i].Name)
	}
	for i := range nt.ForeignKeys {
		names = append(names, &nt.ForeignKeys[i].Name)
	}
	for _, n := range names {
		if target == nil && *n == rs.Subname {
			target = n
		}
	}
	if target == nil {
		return "", pgerr.New(pgerr.UndefinedObject, "constraint %q for table %q does not exist", rs.Subname, t.Name)
	}
	for _, n := range names {
		if *n == rs.Newname && n != target {
			return "", pgerr.New(pgerr.DuplicateObject, "constraint %q for relation %q already exists", rs.Newname, t.Name)
		}
	}
	if isIndex && s.relationIn(t.Schema, rs.Newname) {
		return "", pgerr.New(pgerr.DuplicateTable, "relation %q already exists", rs.Newname)
	}
	*target = rs.Newname
	return "ALTER TABLE", s.ddl(&catalog.Change{Kind: catalog.RenameTable, Table: nt})
}

// renameViewColumn runs ALTER VIEW v RENAME COLUMN old TO new: the view's
// column and the name its stored query gives that output column (what
// pg_get_viewdef and pg_dump print). A column the query makes with `*`, or
// a view other views read (their queries name its columns), is not renamed
// yet (0A000).
func (s *Session) renameViewColumn(v *catalog.View, rs *pg.RenameStmt) (string, error) {
	tag := "ALTER " + objectTag(rs.RelationType)
	i := slices.IndexFunc(v.Columns, func(c catalog.Column) bool { return c.Name == rs.Subname })
	if i < 0 {
		return "", pgerr.New(pgerr.UndefinedColumn, "column %q does not exist", rs.Subname)
	}
	if slices.ContainsFunc(v.Columns, func(c catalog.Column) bool { return c.Name == rs.Newname }) {
		return "", pgerr.New(pgerr.DuplicateColumn, "column %q of relation %q already exists", rs.Newname, v.Name)
	}
	if deps := s.txn.cat.Dependents(v.ID); len(deps) > 0 {
		return "", pgerr.NotSupported("renaming a column of view %s, which view %s reads, is not supported yet", v.Name, deps[0].Name)
	}
	tree, err := pg.Parse(v.Query)
	if err != nil || len(tree.Stmts) != 1 {
		return "", pgerr.New(pgerr.DataCorrupted, "view %q: stored query does not parse: %v", v.Name, err)
	}
	sel := tree.Stmts[0].Stmt.GetSelectStmt()
	if sel == nil || sel.Op != pg.SetOperation_SETOP_NONE || len(sel.TargetList) <= i {
		return "", pgerr.NotSupported("renaming a column of view %s, whose query is a set operation, is not supported yet", v.Name)
	}
	for _, t := range sel.TargetList[:i+1] {
		if cr := t.GetResTarget().GetVal().GetColumnRef(); cr != nil && cr.Fields[len(cr.Fields)-1].GetAStar() != nil {
			return "", pgerr.NotSupported("renaming a column of view %s that its query selects with * is not supported yet", v.Name)
		}
	}
	sel.TargetList[i].GetResTarget().Name = rs.Newname
	text, err := pg.Deparse(tree)
	if err != nil {
		return "", pgerr.New(pgerr.InternalError, "view %q: deparse: %v", v.Name, err)
	}
	nv := *v
	nv.Query = text
	nv.Columns = slices.Clone(v.Columns)
	nv.Columns[i].Name = rs.Newname
	return tag, s.ddl(&catalog.Change{Kind: catalog.CreateView, View: &nv})
}

// retargetColumn rewrites the stored queries of the views and materialized
// views reading table t (as in before) after its column old was renamed to
// new: the references to it, bare or qualified by t's name or alias, are
// renamed, and an output column that took its name from the reference
// keeps the old name (AS old), as the view's columns do. Where a reference
// could name something else — a derived table, a WITH query or a function
// in FROM, another relation with a column of that name, an output alias
// of that name — the rename is refused (0A000) rather than guessed at.
func (s *Session) retargetColumn(before *catalog.Catalog, t *catalog.Table, old, new string) error {
	refuse := func(what string) error {
		return pgerr.NotSupported("cannot rename column %s of table %s: %s reads it through a query OmenDB cannot rewrite", old, t.Name, what).
			WithHint("Drop the view first, or re-create it afterwards.")
	}
	rewrite := func(query string, path []string) (string, bool, error) {
		tree, err := pg.Parse(query)
		if err != nil || len(tree.Stmts) != 1 {
			return "", false, pgerr.New(pgerr.DataCorrupted, "stored query does not parse: %v", err)
		}
		root := tree.Stmts[0].Stmt.ProtoReflect()
		quals := map[string]bool{}
		ok := true
		pgcatalog.WalkMessages(root, func(m protoreflect.Message) {
			switch x := m.Interface().(type) {
			case *pg.RangeSubselect, *pg.RangeFunction, *pg.CommonTableExpr, *pg.RangeTableFunc:
				ok = false
			case *pg.ResTarget:
				if x.Name == old {
					ok = false
				}
			case *pg.RangeVar:
				schema := before.ResolvePath("", path, x.Schemaname, x.Relname)
				if relationID(before, schema, x.Relname) == t.ID {
					q := x.Relname
					if x.Alias != nil {
						q = x.Alias.Aliasname
					}
					quals[q] = true
					return
				}
				if other, found := before.Lookup(schema, x.Relname); found && other.ColumnIndex(old) >= 0 {
					ok = false
				} else if v, found := before.LookupView(schema, x.Relname); found && slices.ContainsFunc(v.Columns, func(c catalog.Column) bool { return c.Name == old }) {
					ok = false
				}
			}
		})
		if !ok {
			return "", false, nil
		}
		changed := false
		pgcatalog.WalkMessages(root, func(m protoreflect.Message) {
			rt, isTarget := m.Interface().(*pg.ResTarget)
			if isTarget {
				if cr := rt.GetVal().GetColumnRef(); cr != nil && rt.Name == "" && columnRefNames(cr, quals, old) {
					rt.Name = old // the output column keeps its name
				}
				return
			}
			cr, isRef := m.Interface().(*pg.ColumnRef)
			if !isRef || !columnRefNames(cr, quals, old) {
				return
			}
			cr.Fields[len(cr.Fields)-1].GetString_().Sval = new
			changed = true
		})
		if !changed {
			return "", false, nil
		}
		text, err := pg.Deparse(tree)
		if err != nil {
			return "", false, pgerr.New(pgerr.InternalError, "deparse: %v", err)
		}
		return text, true, nil
	}
	return s.rewriteReaders(before, t.ID, t.Name, func(query string, path []string, v *catalog.View) (string, bool, error) {
		text, changed, err := rewrite(query, path)
		if err == nil && !changed && v != nil && strings.Contains(query, old) {
			err = refuse("view " + v.Name)
		}
		return text, changed, err
	})
}

// columnRefNames reports whether cr names column col bare or qualified by
// one of quals (a relation's name or alias).
func columnRefNames(cr *pg.ColumnRef, quals map[string]bool, col string) bool {
	n := len(cr.Fields)
	if n == 0 || cr.Fields[n-1].GetString_().GetSval() != col {
		return false
	}
	switch n {
	case 1:
		return true
	case 2:
		return quals[cr.Fields[0].GetString_().GetSval()]
	}
	return false
}
