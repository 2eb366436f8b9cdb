package pgcatalog

import (
	"slices"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql/funcs"
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

// Functions about views and relation names: pg_get_viewdef (every
// PostgreSQL 15 overload), pg_get_ruledef and to_regclass. The catalog rows
// of views are emitted with the tables' (pg_class, pg_attribute, pg_views,
// information_schema.tables/columns/views).

var tRegclass = types.Type{OID: types.OIDRegclass, Mod: -1}

func init() {
	// pg_get_viewdef(oid [, pretty | wrap column]): the view's or
	// materialized view's query (viewDefOf), NULL for a relation that is
	// not one (PostgreSQL
	// returns NULL for a table or an unknown OID; for its own catalog views
	// it returns their queries, which the emulated ones do not have).
	byOID := func(ctx *funcs.Context, a []types.Value) (types.Value, error) {
		cat, err := sessionCatalog(ctx)
		if err != nil {
			return null, err
		}
		return viewDefOf(cat, sessionVisibility(ctx), uint32(a[0].I)), nil
	}
	reg("pg_get_viewdef", ts(tOID), tText, true, byOID)
	reg("pg_get_viewdef", ts(tOID, tBool), tText, true, byOID)
	reg("pg_get_viewdef", ts(tOID, tInt4), tText, true, byOID)
	// pg_get_viewdef(name [, pretty]), the old text form: the relation must
	// exist (42P01), NULL when it is not a view.
	byName := func(ctx *funcs.Context, a []types.Value) (types.Value, error) {
		cat, err := sessionCatalog(ctx)
		if err != nil {
			return null, err
		}
		oid, ok := resolveRelation(cat, sessionVisibility(ctx), a[0].S)
		if !ok {
			return null, pgerr.New(pgerr.UndefinedTable, "relation %q does not exist", a[0].S)
		}
		return viewDefOf(cat, sessionVisibility(ctx), oid), nil
	}
	reg("pg_get_viewdef", ts(tText), tText, true, byName)
	reg("pg_get_viewdef", ts(tText, tBool), tText, true, byName)

	// pg_get_ruledef of a view's _RETURN rule (pg_rewrite, depend.go): the
	// view's query framed as PostgreSQL frames it; the view is qualified
	// but for pretty output the search path finds. NULL for other OIDs.
	ruleDef := func(ctx *funcs.Context, a []types.Value) (types.Value, error) {
		cat, err := sessionCatalog(ctx)
		if err != nil {
			return null, err
		}
		id, _, ok := ruleView(cat, uint32(a[0].I))
		if !ok {
			return null, nil
		}
		vis := sessionVisibility(ctx)
		schema, name := relSchemaName(cat, id)
		rel := quoteIdent(schema) + "." + quoteIdent(name)
		if len(a) > 1 && a[1].Bool() {
			rel = vis.relName(cat, schema, name)
		}
		return vText("CREATE RULE \"_RETURN\" AS\n    ON SELECT TO " + rel + " DO INSTEAD " + viewDefOf(cat, vis, id).S), nil
	}
	reg("pg_get_ruledef", ts(tOID), tText, true, ruleDef)
	reg("pg_get_ruledef", ts(tOID, tBool), tText, true, ruleDef)

	// to_regclass(name): the relation's OID as a regclass, NULL when no
	// relation has that name.
	reg("to_regclass", ts(tText), tRegclass, true, func(ctx *funcs.Context, a []types.Value) (types.Value, error) {
		cat, err := sessionCatalog(ctx)
		if err != nil {
			return null, err
		}
		oid, ok := resolveRelation(cat, sessionVisibility(ctx), a[0].S)
		if !ok {
			return null, nil
		}
		return types.NewRegName(oid, regName(cat, sessionEnv(ctx), types.OIDRegclass, oid)), nil
	})
}

// resolveRelation finds the relation a name in regclass input syntax
// denotes ("v", "public.v", `"My View"`; unquoted names are folded to lower
// case): a table, view, sequence or index of the catalog, or an emulated
// catalog. An unqualified name is looked up along the session's search
// path: pg_catalog, its temporary schema, then the path's schemas.
func resolveRelation(cat *catalog.Catalog, vis visibility, name string) (uint32, bool) {
	parts, ok := splitQualified(name)
	if !ok {
		return 0, false
	}
	var schemas []string
	rel := parts[len(parts)-1]
	switch len(parts) {
	case 1:
		schemas = []string{"pg_catalog"}
		if vis.temp != "" {
			schemas = append(schemas, vis.temp)
		}
		schemas = append(schemas, vis.searchPath()...)
	case 2:
		schemas = []string{parts[0]}
	default:
		return 0, false
	}
	for _, schema := range schemas {
		if schema == "pg_catalog" || schema == "information_schema" {
			if vt, ok := tables[schema+"."+rel]; ok {
				return vt.OID, true
			}
			continue
		}
		if t, ok := cat.Lookup(schema, rel); ok {
			return t.ID, true
		}
		if v, ok := cat.LookupView(schema, rel); ok {
			return v.ID, true
		}
		if sq, ok := cat.LookupSequence(schema, rel); ok {
			return sq.ID, true
		}
		if t, i, ok := cat.LookupIndex(schema, rel); ok {
			return t.Indexes[i].ID, true
		}
	}
	return 0, false
}

// splitQualified splits a possibly qualified identifier at its dots,
// unquoting quoted parts and folding unquoted ones to lower case, as
// PostgreSQL's stringToQualifiedNameList does.
func splitQualified(s string) ([]string, bool) {
	var parts []string
	s = strings.TrimSpace(s)
	for {
		var part string
		if strings.HasPrefix(s, `"`) {
			var b strings.Builder
			i := 1
			for {
				j := strings.IndexByte(s[i:], '"')
				if j < 0 {
					return nil, false // unterminated quote
				}
				b.WriteString(s[i : i+j])
				i += j + 1
				if i < len(s) && s[i] == '"' {
					b.WriteByte('"')
					i++
					continue
				}
				break
			}
			part, s = b.String(), s[i:]
		} else {
			j := strings.IndexByte(s, '.')
			if j < 0 {
				j = len(s)
			}
			part, s = strings.ToLower(strings.TrimSpace(s[:j])), s[j:]
			if strings.ContainsAny(part, `" `) {
				return nil, false
			}
		}
		if part == "" {
			return nil, false
		}
		parts = append(parts, part)
		s = strings.TrimSpace(s)
		if s == "" {
			return parts, true
		}
		if s[0] != '.' {
			return nil, false
		}
		s = strings.TrimSpace(s[1:])
	}
}

// viewUpdatability tells whether view v is automatically updatable — an
// INSERT, UPDATE or DELETE naming it is written to the one table it reads
// (sql/plan's updatable views) — and which of its columns can be assigned
// (a plain column of that table, or an assignable column of the view it
// reads). It reads the query's shape (plan.NotUpdatableReason) and column
// references without binding it; depth bounds views of views.
func viewUpdatability(cat *catalog.Catalog, v *catalog.View, depth int) (bool, []bool) {
	cols := make([]bool, len(v.Columns))
	if depth > 32 {
		return false, cols
	}
	tree, err := pg.Parse(v.Query)
	if err != nil || len(tree.Stmts) != 1 || tree.Stmts[0].Stmt.GetSelectStmt() == nil {
		return false, cols
	}
	sel := tree.Stmts[0].Stmt.GetSelectStmt()
	if plan.NotUpdatableReason(sel) != "" || sel.LockingClause != nil {
		return false, cols
	}
	rv := sel.FromClause[0].GetRangeVar()
	// assignable reports whether a column of the relation read, by name,
	// can be assigned; names lists its columns for a star.
	var assignable func(name string) bool
	var names []string
	lookup := func(schema string) bool {
		if t, ok := cat.Lookup(schema, rv.Relname); ok {
			if t.ReadOnly != "" || t.MatView != "" {
				return false
			}
			assignable = func(name string) bool { return t.ColumnIndex(name) >= 0 }
			for _, c := range t.Columns {
				if !c.Dropped {
					names = append(names, c.Name)
				}
			}
			return true
		}
		if w, ok := cat.LookupView(schema, rv.Relname); ok {
			ok, wcols := viewUpdatability(cat, w, depth+1)
			if !ok {
				return false
			}
			assignable = func(name string) bool {
				for i, c := range w.Columns {
					if c.Name == name {
						return wcols[i]
					}
				}
				return false
			}
			for _, c := range w.Columns {
				names = append(names, c.Name)
			}
			return true
		}
		return false
	}
	found := false
	if rv.Schemaname != "" {
		found = lookup(rv.Schemaname)
	} else {
		found = lookup(v.Schema) || (v.Schema != "public" && lookup("public"))
	}
	if !found {
		return false, cols
	}
	i := 0
	for _, n := range sel.TargetList {
		rt := n.GetResTarget()
		cr := rt.Val.GetColumnRef()
		if cr != nil && len(cr.Fields) > 0 && cr.Fields[len(cr.Fields)-1].GetAStar() != nil {
			for _, name := range names {
				if i < len(cols) {
					cols[i] = assignable(name)
				}
				i++
			}
			continue
		}
		if i < len(cols) && cr != nil {
			if s := cr.Fields[len(cr.Fields)-1].GetString_(); s != nil {
				cols[i] = assignable(s.Sval)
			}
		}
		i++
	}
	return true, cols
}

// viewInsertable is viewUpdatability's answer for information_schema: the
// view is updatable and has a column that can be assigned (PostgreSQL
// refuses INSERT and UPDATE of a view without one, but allows DELETE).
func viewInsertable(cat *catalog.Catalog, v *catalog.View) (updatable, insertable bool, cols []bool) {
	ok, cols := viewUpdatability(cat, v, 0)
	return ok, ok && slices.Contains(cols, true), cols
}

// viewDefOf is pg_get_viewdef of relation oid for a session of visibility
// vis: a view's or materialized view's stored query framed as viewDef
// frames it, the relations it reads qualified where the search path does
// not reach them (pg_dump replays it with an empty search_path); NULL for
// any other relation.
func viewDefOf(cat *catalog.Catalog, vis visibility, oid uint32) types.Value {
	if v, ok := cat.View(oid); ok {
		return vText(" " + vis.qualifyQuery(cat, v.Query, v.Path) + ";")
	}
	if t, ok := cat.Table(oid); ok && t.MatView != "" {
		return vText(" " + vis.qualifyQuery(cat, t.MatView, nil) + ";")
	}
	return null
}

// relSchemaName is the schema and name of view or table id.
func relSchemaName(cat *catalog.Catalog, id uint32) (string, string) {
	if v, ok := cat.View(id); ok {
		return v.Schema, v.Name
	}
	if t, ok := cat.Table(id); ok {
		return t.Schema, t.Name
	}
	return "", ""
}
