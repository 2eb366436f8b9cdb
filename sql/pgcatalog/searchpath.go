package pgcatalog

import (
	"slices"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/sql/funcs"
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

// Names in the text the catalog functions print (pg_get_indexdef,
// pg_get_constraintdef, pg_get_viewdef, pg_get_expr) are schema-qualified
// when the session's search_path does not reach them, as PostgreSQL's
// ruleutils prints them. pg_dump depends on it: it sets search_path to ''
// and replays the text into a server with the same empty search_path, where
// "FROM orders" would name nothing and "FROM public.orders" the table.

// visibility is what decides whether a printed relation name needs its
// schema: the session's temporary schema ("" if none), its search path
// (catalog.SearchPath; nil: the default, public) and whether public is on
// it.
type visibility struct {
	temp   string
	public bool
	path   []string
}

type settings interface {
	Setting(string) (string, bool)
}

// visibilityOf reads the visibility of a session (or virtual-table
// environment) from its settings.
func visibilityOf(s settings) visibility {
	v := visibility{public: true}
	if s == nil {
		return v
	}
	if te, ok := s.(interface{ TempSchema() string }); ok {
		v.temp = te.TempSchema()
	}
	if p, ok := s.Setting("search_path"); ok {
		user, _ := s.Setting("session_authorization")
		v.path = catalog.SearchPath(p, user)
		if v.path == nil {
			v.path = []string{}
		}
		v.public = slices.Contains(v.path, "public")
	}
	return v
}

// searchPath is the session's search path (the default when unknown).
func (v visibility) searchPath() []string {
	if v.path == nil {
		return catalog.DefaultPath
	}
	return v.path
}

// sessionVisibility is visibilityOf the function call's session.
func sessionVisibility(ctx *funcs.Context) visibility {
	if ctx == nil || ctx.Session == nil {
		return visibility{public: true}
	}
	return visibilityOf(ctx.Session)
}

// sessionEnv is the function call's session as a binding environment
// (nil outside a session).
func sessionEnv(ctx *funcs.Context) plan.Env {
	if ctx == nil || ctx.Session == nil {
		return nil
	}
	if env, ok := ctx.Session.(plan.Env); ok {
		return env
	}
	return nil
}

// searchPathNames splits a search_path setting into schema names, quotes
// removed ("$user" stays as written).
func searchPathNames(p string) []string {
	var out []string
	for _, part := range strings.Split(p, ",") {
		part = strings.TrimSpace(part)
		if len(part) >= 2 && part[0] == '"' && part[len(part)-1] == '"' {
			part = strings.ReplaceAll(part[1:len(part)-1], `""`, `"`)
		} else {
			part = strings.ToLower(part)
		}
		if part != "" {
			out = append(out, part)
		}
	}
	return out
}

// relVisible reports whether a relation of schema would be found by its
// unqualified name: pg_catalog always is, the session's temporary schema
// is searched first, other schemas only on the path and unless a relation
// of the same name in the temporary schema or an earlier schema of the
// path shadows it.
func (v visibility) relVisible(cat *catalog.Catalog, schema, name string) bool {
	switch {
	case schema == "pg_catalog":
		return true
	case schema == v.temp:
		return true
	}
	path := v.searchPath()
	return slices.Contains(path, schema) && cat.ResolvePath(v.temp, path, "", name) == schema
}

// relName is a relation's name as PostgreSQL prints it for the session:
// qualified when the unqualified name would not find it.
func (v visibility) relName(cat *catalog.Catalog, schema, name string) string {
	if v.relVisible(cat, schema, name) {
		return quoteIdent(name)
	}
	return quoteIdent(schema) + "." + quoteIdent(name)
}

// qualifyQuery is a view's (or materialized view's) stored query with
// every relation it reads named so that the session's search_path finds
// it: unqualified names of relations the search path does not reach get
// their schema. The stored text is returned as it is when nothing needs
// qualifying.
//
// viewPath is the search path the query was stored under (catalog.View.
// Path; nil: public).
func (v visibility) qualifyQuery(cat *catalog.Catalog, query string, viewPath []string) string {
	if v.public && v.temp == "" && viewPath == nil && len(cat.Schemas()) == 0 {
		return query // every unqualified name already finds its relation
	}
	if viewPath == nil {
		viewPath = catalog.DefaultPath
	}
	tree, err := pg.Parse(query)
	if err != nil || len(tree.Stmts) != 1 {
		return query
	}
	ctes := map[string]bool{}
	collectCTENames(tree.Stmts[0].Stmt.ProtoReflect(), ctes)
	changed := false
	walkMessages(tree.Stmts[0].Stmt.ProtoReflect(), func(m protoreflect.Message) {
		if v.qualifyTypeCast(cat, m) {
			changed = true
			return
		}
		rv, ok := m.Interface().(*pg.RangeVar)
		if !ok || rv.Schemaname != "" || ctes[rv.Relname] {
			return
		}
		schema := cat.ResolvePath("", viewPath, "", rv.Relname)
		_, table := cat.Lookup(schema, rv.Relname)
		_, view := cat.LookupView(schema, rv.Relname)
		if (table || view) && !v.relVisible(cat, schema, rv.Relname) {
			rv.Schemaname = schema
			changed = true
		}
	})
	if !changed {
		return query
	}
	text, err := pg.Deparse(tree)
	if err != nil {
		return query
	}
	return text
}

// collectCTENames adds the names of every WITH query in m to names: a
// relation name matching one may name the CTE, never qualified.
func collectCTENames(m protoreflect.Message, names map[string]bool) {
	walkMessages(m, func(m protoreflect.Message) {
		if c, ok := m.Interface().(*pg.CommonTableExpr); ok {
			names[c.Ctename] = true
		}
	})
}

// walkMessages calls f on m and every message below it.
func walkMessages(m protoreflect.Message, f func(protoreflect.Message)) {
	f(m)
	m.Range(func(fd protoreflect.FieldDescriptor, val protoreflect.Value) bool {
		switch {
		case fd.IsList() && fd.Message() != nil:
			l := val.List()
			for i := 0; i < l.Len(); i++ {
				walkMessages(l.Get(i).Message(), f)
			}
		case fd.Message() != nil && !fd.IsMap():
			walkMessages(val.Message(), f)
		}
		return true
	})
}

// qualifyRegclass is a stored expression (a column default) with its
// 'name'::regclass literals printed as regclassout prints them for the
// session: nextval('customers_id_seq'::regclass) becomes
// nextval('public.customers_id_seq'::regclass) when public is not on the
// search path, and its casts to user-defined types ('ok'::mood) qualified
// likewise. Literals that name nothing are left as written.
func (v visibility) qualifyRegclass(cat *catalog.Catalog, expr string) string {
	if !strings.Contains(expr, "::regclass") && (v.public || len(cat.EnumTypes()) == 0) {
		return expr
	}
	tree, err := pg.Parse("SELECT " + expr)
	if err != nil || len(tree.Stmts) != 1 {
		return expr
	}
	changed := false
	walkMessages(tree.Stmts[0].Stmt.ProtoReflect(), func(m protoreflect.Message) {
		if v.qualifyTypeCast(cat, m) {
			changed = true
			return
		}
		sv, ok := regclassLiteral(m)
		if !ok {
			return
		}
		schema, name, ok := v.resolveRel(cat, sv.Sval)
		if !ok {
			return
		}
		if text := v.relName(cat, schema, name); text != sv.Sval {
			sv.Sval = text
			changed = true
		}
	})
	if !changed {
		return expr
	}
	text, err := pg.Deparse(tree)
	if err != nil {
		return expr
	}
	return strings.TrimPrefix(text, "SELECT ")
}

// regclassLiteral is the string of m when m is a 'text'::regclass cast.
func regclassLiteral(m protoreflect.Message) (*pg.String, bool) {
	tc, ok := m.Interface().(*pg.TypeCast)
	if !ok || tc.TypeName == nil {
		return nil, false
	}
	names := nodeStrings(tc.TypeName.Names)
	if len(names) == 0 || names[len(names)-1] != "regclass" {
		return nil, false
	}
	return StringConst(tc.Arg)
}

// StringConst is the string of n when n is a string constant.
func StringConst(n *pg.Node) (*pg.String, bool) {
	c := n.GetAConst()
	if c == nil {
		return nil, false
	}
	sv, ok := c.Val.(*pg.A_Const_Sval)
	if !ok {
		return nil, false
	}
	return sv.Sval, true
}

// resolveRel finds the user relation (table, view, sequence or index) a
// regclass literal names: its schema and name.
func (v visibility) resolveRel(cat *catalog.Catalog, lit string) (string, string, bool) {
	schema, name := "", lit
	if i := strings.LastIndexByte(lit, '.'); i > 0 && !strings.Contains(lit, `"`) {
		schema, name = lit[:i], lit[i+1:]
	} else if !strings.Contains(lit, `"`) {
		name = strings.ToLower(lit)
	} else {
		return "", "", false // quoted names: left as written
	}
	schema = cat.ResolveSchema(v.temp, schema, name) // stored text names public relations unqualified
	if _, ok := cat.Lookup(schema, name); ok {
		return schema, name, true
	}
	if _, ok := cat.LookupSequence(schema, name); ok {
		return schema, name, true
	}
	if _, ok := cat.LookupView(schema, name); ok {
		return schema, name, true
	}
	if _, _, ok := cat.LookupIndex(schema, name); ok {
		return schema, name, true
	}
	return "", "", false
}

func nodeStrings(ns []*pg.Node) []string {
	var out []string
	for _, n := range ns {
		if s := n.GetString_(); s != nil {
			out = append(out, s.Sval)
		}
	}
	return out
}

// qualifyTypeCast qualifies the type of m, when m is a cast to an
// unqualified user-defined (enum) type the search path does not reach; it
// reports whether it did.
func (v visibility) qualifyTypeCast(cat *catalog.Catalog, m protoreflect.Message) bool {
	tc, ok := m.Interface().(*pg.TypeCast)
	if !ok || tc.TypeName == nil || len(tc.TypeName.Names) != 1 || v.public {
		return false
	}
	name := nodeStrings(tc.TypeName.Names)
	if len(name) != 1 {
		return false
	}
	if _, ok := cat.LookupEnumType("public", name[0]); !ok {
		return false
	}
	tc.TypeName.Names = append([]*pg.Node{pg.MakeStrNode("public")}, tc.TypeName.Names...)
	return true
}

// typeName is format_type of user-defined type oid for the session
// ("" if no such type): qualified when the search path does not find it by
// its name (pg_dump prints column types so), unqualified when it does.
func (v visibility) typeName(cat *catalog.Catalog, oid types.OID) string {
	n := userTypeName(cat, oid)
	if n == "" {
		return n
	}
	t, _ := cat.TypeByOID(oid)
	e := t.Enum
	if e == nil || strings.HasPrefix(e.Schema, catalog.TempSchemaPrefix) {
		return n
	}
	visible := cat.ResolveType(v.searchPath(), e.Name) == e.Schema
	switch {
	case visible && e.Schema != "public":
		return strings.TrimPrefix(n, types.QuoteIdent(e.Schema)+".")
	case !visible && e.Schema == "public":
		return "public." + n
	}
	return n
}
