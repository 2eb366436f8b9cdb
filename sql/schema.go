package sql

import (
	"context"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/pgerr"
)

// User schemas: CREATE SCHEMA and DROP SCHEMA are catalog changes
// (catalog.Schema); names resolve along the session's search_path
// (SearchPath, catalog.ResolvePath).

// SearchPath implements plan.PathEnv: the schemas of the session's
// search_path, "$user" replaced by the session user. It is parsed again
// only when the setting changes.
func (s *Session) SearchPath() []string {
	setting, user := s.settings["search_path"], s.settings["session_authorization"]
	if s.path == nil || setting != s.pathSetting || user != s.pathUser {
		s.path = catalog.SearchPath(setting, user)
		if s.path == nil {
			s.path = []string{}
		}
		s.pathSetting, s.pathUser = setting, user
	}
	return s.path
}

// schemaOf returns the schema rv's relation resolves in: the session's
// temporary schema for its temporary relations (and for "pg_temp"), else
// the first schema of the search path that has it; a named schema must
// exist (3F000).
func (s *Session) schemaOf(rv *pg.RangeVar) (string, error) {
	switch {
	case rv.Schemaname == "" || rv.Schemaname == "pg_temp":
		return s.txn.cat.ResolvePath(s.tempSchema, s.SearchPath(), rv.Schemaname, rv.Relname), nil
	case rv.Schemaname == s.tempSchema && s.tempSchema != "":
		return rv.Schemaname, nil
	case strings.HasPrefix(rv.Schemaname, catalog.TempSchemaPrefix):
		// Another session's temporary schema: not reachable by name.
	case s.txn.cat.SchemaExists(rv.Schemaname):
		return rv.Schemaname, nil
	}
	return "", noSchema(rv.Schemaname)
}

func noSchema(name string) error {
	return pgerr.New(pgerr.InvalidSchemaName, "schema %q does not exist", name)
}

// newObjectSchema returns the schema a new non-temporary object goes to:
// the one named, which must exist, or the first existing schema of the
// search path.
func (s *Session) newObjectSchema(schema string) (string, error) {
	if schema != "" {
		if !s.txn.cat.SchemaExists(schema) || strings.HasPrefix(schema, catalog.TempSchemaPrefix) {
			return "", noSchema(schema)
		}
		return schema, nil
	}
	if schema = s.txn.cat.CreationSchema(s.SearchPath()); schema == "" {
		return "", pgerr.New(pgerr.InvalidSchemaName, "no schema has been selected to create in")
	}
	return schema, nil
}

// createSchemaStmt runs CREATE SCHEMA [IF NOT EXISTS] name [AUTHORIZATION
// role].
func (s *Session) createSchemaStmt(cs *pg.CreateSchemaStmt) (string, error) {
	name, owner := cs.Schemaname, s.settings["session_authorization"]
	if r := cs.Authrole; r != nil {
		if r.Roletype == pg.RoleSpecType_ROLESPEC_CSTRING {
			owner = r.Rolename
		}
		if name == "" {
			name = owner // CREATE SCHEMA AUTHORIZATION role
		}
	}
	if len(cs.SchemaElts) > 0 {
		return "", pgerr.NotSupported("CREATE SCHEMA with schema elements is not supported yet")
	}
	if owner != s.settings["session_authorization"] {
		return "", pgerr.New(pgerr.UndefinedObject, "role %q does not exist", owner)
	}
	if s.txn.cat.SchemaExists(name) {
		if cs.IfNotExists {
			s.notice(pgerr.DuplicateSchema, "schema %q already exists, skipping", name)
			return "CREATE SCHEMA", nil
		}
		return "", pgerr.New(pgerr.DuplicateSchema, "schema %q already exists", name)
	}
	if strings.HasPrefix(name, "pg_") {
		return "", pgerr.New(pgerr.ReservedName, "unacceptable schema name %q", name).
			WithDetail("The prefix \"pg_\" is reserved for system schemas.")
	}
	sc := &catalog.Schema{ID: s.eng.Store.NewID(), Name: name, Owner: owner}
	if err := s.ddl(&catalog.Change{Kind: catalog.CreateSchema, ID: sc.ID, Schema: sc}); err != nil {
		return "", err
	}
	return "CREATE SCHEMA", nil
}

// dropSchemas runs DROP SCHEMA [IF EXISTS] name, … [CASCADE | RESTRICT].
// CASCADE drops the schemas' views, tables (with their indexes and owned
// sequences), sequences and enum types through their own drop paths, so
// that objects elsewhere depending on them go too.
func (s *Session) dropSchemas(ctx context.Context, d *pg.DropStmt) (string, error) {
	cascade := d.Behavior == pg.DropBehavior_DROP_CASCADE
	for _, obj := range d.Objects {
		name := obj.GetString_().GetSval()
		if name == "" {
			continue
		}
		sc, ok := s.txn.cat.LookupSchema(name)
		if !ok {
			switch {
			case name == "public" || name == "pg_catalog" || name == "information_schema" || strings.HasPrefix(name, catalog.TempSchemaPrefix):
				return "", pgerr.NotSupported("dropping schema %q is not supported", name)
			case s.txn.cat.SchemaUsed(name):
				return "", pgerr.NotSupported("schema %q holds a CDC source's tables: drop the source", name)
			case d.MissingOk:
				s.skipMissing("schema", name)
				continue
			}
			return "", noSchema(name)
		}
		if cascade {
			if err := s.dropSchemaObjects(ctx, name); err != nil {
				return "", err
			}
		} else if s.txn.cat.SchemaUsed(name) {
			return "", pgerr.New(pgerr.DependentObjectsStillExist, "cannot drop schema %s because other objects depend on it", name).
				WithDetail("%s", strings.Join(s.schemaObjects(name), "\n")).
				WithHint("Use DROP ... CASCADE to drop the dependent objects too.")
		}
		if err := s.ddl(&catalog.Change{Kind: catalog.DropSchema, ID: sc.ID}); err != nil {
			return "", err
		}
	}
	return "DROP SCHEMA", nil
}

// schemaObjects names the objects in schema as PostgreSQL's DETAIL does.
func (s *Session) schemaObjects(schema string) []string {
	var out []string
	cat := s.txn.cat
	for _, e := range cat.EnumTypes() {
		if e.Schema == schema {
			out = append(out, "type "+schema+"."+e.Name)
		}
	}
	for _, t := range cat.Tables() {
		if t.Schema == schema {
			out = append(out, "table "+schema+"."+t.Name)
		}
	}
	for _, v := range cat.Views() {
		if v.Schema == schema {
			out = append(out, "view "+schema+"."+v.Name)
		}
	}
	for _, sq := range cat.Sequences() {
		if sq.Schema == schema && !s.ownedSequence(sq.ID) {
			out = append(out, "sequence "+schema+"."+sq.Name)
		}
	}
	return append(out, s.functionObjects(schema)...)
}

// ownedSequence reports whether sequence id belongs to a column (serial,
// identity), which drops it with its table.
func (s *Session) ownedSequence(id uint32) bool { return s.owningTable(id) != nil }

// dropSchemaObjects drops everything in schema, as DROP … CASCADE of each.
func (s *Session) dropSchemaObjects(ctx context.Context, schema string) error {
	cat := s.txn.cat
	for _, v := range cat.Views() {
		if _, ok := s.txn.cat.View(v.ID); !ok || v.Schema != schema {
			continue
		}
		if err := s.dropDependents(v.ID, true); err != nil {
			return err
		}
		if err := s.ddl(&catalog.Change{Kind: catalog.DropView, ID: v.ID}); err != nil {
			return err
		}
	}
	for _, t := range cat.Tables() {
		if _, ok := s.txn.cat.Table(t.ID); !ok || t.Schema != schema {
			continue
		}
		if t.ReadOnly != "" {
			return pgerr.New(pgerr.ReadOnlySQLTransaction, "table %q is read-only: %s", t.Name, t.ReadOnly)
		}
		if err := s.dropDependents(t.ID, true); err != nil {
			return err
		}
		if err := s.dropReferencing(t.ID, t.Name, true, nil); err != nil {
			return err
		}
		if err := s.ddl(&catalog.Change{Kind: catalog.DropTable, ID: t.ID}); err != nil {
			return err
		}
	}
	for _, sq := range s.txn.cat.Sequences() {
		if sq.Schema != schema {
			continue
		}
		if err := s.dropSequence(sq, true); err != nil {
			return err
		}
	}
	for _, f := range s.txn.cat.Functions() {
		if f.Schema != schema {
			continue
		}
		if _, ok := s.txn.cat.Function(f.ID); !ok {
			continue
		}
		if err := s.dropFunction(f, true); err != nil {
			return err
		}
	}
	for _, e := range s.txn.cat.EnumTypes() {
		if e.Schema != schema {
			continue
		}
		if err := writableEnum(e); err != nil {
			return err
		}
		if err := s.dropTypeUsers(ctx, e); err != nil {
			return err
		}
		if err := s.ddl(&catalog.Change{Kind: catalog.DropType, ID: e.ID}); err != nil {
			return err
		}
	}
	return nil
}

// alterSetSchema runs ALTER {TABLE | VIEW | MATERIALIZED VIEW | SEQUENCE}
// … SET SCHEMA. A table moves with its indexes and the sequences its
// serial and identity columns own; the views that read a moved relation
// and the defaults that name a moved sequence are rewritten to follow it
// (rename.go).
func (s *Session) alterSetSchema(as *pg.AlterObjectSchemaStmt) (string, error) {
	switch as.ObjectType {
	case pg.ObjectType_OBJECT_TABLE, pg.ObjectType_OBJECT_VIEW, pg.ObjectType_OBJECT_MATVIEW, pg.ObjectType_OBJECT_SEQUENCE:
	case pg.ObjectType_OBJECT_TYPE:
		return s.moveType(as)
	default:
		return "", pgerr.NotSupported("ALTER %s … SET SCHEMA is not supported yet", as.ObjectType)
	}
	tag := "ALTER " + objectTag(as.ObjectType)
	if as.Relation == nil {
		return "", pgerr.New(pgerr.SyntaxError, "SET SCHEMA without a relation")
	}
	r, err := s.lookupRelation(as.Relation)
	if err != nil {
		if as.MissingOk && pgerr.Code(err) == pgerr.UndefinedTable {
			s.skipMissing("relation", as.Relation.Relname)
			return tag, nil
		}
		return "", err
	}
	if err := checkRelKind(r, as.ObjectType, false); err != nil {
		return "", err
	}
	if r.index >= 0 {
		return "", pgerr.New(pgerr.WrongObjectType, "cannot change schema of index %q", r.name()).
			WithHint("Change the schema of the table instead.")
	}
	to := as.Newschema
	if !s.txn.cat.SchemaExists(to) || strings.HasPrefix(to, catalog.TempSchemaPrefix) {
		return "", noSchema(to)
	}
	if to == r.schema {
		return tag, nil
	}
	if s.relationIn(to, r.name()) {
		return "", pgerr.New(pgerr.DuplicateTable, "relation %q already exists in schema %q", r.name(), to)
	}
	switch {
	case r.view != nil:
		nv := *r.view
		nv.Schema = to
		return tag, s.moveView(r.view, &nv)
	case r.seq != nil:
		if t := s.owningTable(r.seq.ID); t != nil {
			return "", pgerr.NotSupported("cannot move an owned sequence into another schema").
				WithDetail("Sequence %q is linked to table %q.", r.seq.Name, t.Name)
		}
		nq := *r.seq
		nq.Schema = to
		return tag, s.moveSequence(r.seq, &nq)
	}
	t := r.table
	if err := t.Refuse(); err != nil && t.MatView == "" {
		return "", err
	}
	if t.Temp {
		return "", pgerr.NotSupported("moving a temporary table to another schema is not supported")
	}
	for _, ix := range t.Indexes {
		if s.relationIn(to, ix.Name) {
			return "", pgerr.New(pgerr.DuplicateTable, "relation %q already exists in schema %q", ix.Name, to)
		}
	}
	for _, c := range t.Columns {
		if c.Sequence == 0 || c.Dropped {
			continue
		}
		sq, ok := s.txn.cat.Sequence(c.Sequence)
		if !ok {
			continue
		}
		if s.relationIn(to, sq.Name) {
			return "", pgerr.New(pgerr.DuplicateTable, "relation %q already exists in schema %q", sq.Name, to)
		}
		nq := *sq
		nq.Schema = to
		if err := s.moveSequence(sq, &nq); err != nil {
			return "", err
		}
	}
	cur, _ := s.txn.cat.Table(t.ID) // its defaults may name the moved sequences anew
	nt := cur.Clone()
	nt.Schema = to
	before := s.txn.cat
	if err := s.ddl(&catalog.Change{Kind: catalog.RenameTable, Table: nt}); err != nil {
		return "", err
	}
	return tag, s.retarget(before, t.ID, to, t.Name)
}

// moveType runs ALTER TYPE … SET SCHEMA of an enum type. Columns refer to
// the type by OID and follow it; stored SQL text naming it (a view's
// query, a default's or CHECK's cast) would not, so a type named there is
// not moved (0A000).
func (s *Session) moveType(as *pg.AlterObjectSchemaStmt) (string, error) {
	e, err := s.lookupEnum(nodeNames(as.Object.GetList().GetItems()))
	if err != nil {
		if as.MissingOk && pgerr.Code(err) == pgerr.UndefinedObject {
			return "ALTER TYPE", nil
		}
		return "", err
	}
	if err := writableEnum(e); err != nil {
		return "", err
	}
	to := as.Newschema
	if !s.txn.cat.SchemaExists(to) || strings.HasPrefix(to, catalog.TempSchemaPrefix) {
		return "", noSchema(to)
	}
	if to == e.Schema {
		return "ALTER TYPE", nil
	}
	if s.typeNameTaken(to, e.Name) {
		return "", pgerr.New(pgerr.DuplicateObject, "type %q already exists in schema %q", e.Name, to)
	}
	if what := s.namedInStoredText(e.Name); what != "" {
		return "", pgerr.NotSupported("cannot move type %s: %s names it in stored SQL text", e.Name, what).
			WithHint("Drop or change it first, move the type, then create it again.")
	}
	ne := e.Clone()
	ne.Schema = to
	return "ALTER TYPE", s.alterEnumDDL(ne, 0)
}

// namedInStoredText describes the first view, materialized view, default,
// CHECK or generation expression whose text contains name ("" if none).
func (s *Session) namedInStoredText(name string) string {
	for _, v := range s.txn.cat.Views() {
		if strings.Contains(v.Query, name) {
			return "view " + v.Name
		}
	}
	for _, t := range s.txn.cat.Tables() {
		if strings.Contains(t.MatView, name) {
			return "materialized view " + t.Name
		}
		for _, ch := range t.Checks {
			if strings.Contains(ch.Expr, name) {
				return "check constraint " + ch.Name + " of table " + t.Name
			}
		}
		for _, c := range t.Columns {
			if !c.Dropped && (strings.Contains(c.Default, name) || strings.Contains(c.Generated, name)) {
				return "column " + c.Name + " of table " + t.Name
			}
		}
	}
	return ""
}

// owningTable is the table whose serial or identity column owns sequence
// id, or nil.
func (s *Session) owningTable(id uint32) *catalog.Table {
	for _, t := range s.txn.cat.Tables() {
		for _, c := range t.Columns {
			if c.Sequence == id && !c.Dropped {
				return t
			}
		}
	}
	return nil
}

// relationIn reports whether a table, view, sequence or index named name
// exists in schema.
func (s *Session) relationIn(schema, name string) bool {
	cat := s.txn.cat
	_, t := cat.Lookup(schema, name)
	_, v := cat.LookupView(schema, name)
	_, q := cat.LookupSequence(schema, name)
	_, _, i := cat.LookupIndex(schema, name)
	return t || v || q || i
}

// existingPath is the schemas of the search path that exist now: those a
// statement's unqualified names resolve in.
func (s *Session) existingPath() []string {
	var path []string
	for _, p := range s.SearchPath() {
		if s.txn.cat.SchemaExists(p) {
			path = append(path, p)
		}
	}
	return path
}
