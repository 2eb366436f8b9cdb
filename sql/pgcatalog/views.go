package pgcatalog

import (
	"strings"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql/funcs"
	"github.com/omendb/omendb/types"
)

// Functions about views and relation names: pg_get_viewdef (every
// PostgreSQL 15 overload), pg_get_ruledef and to_regclass. The catalog rows
// of views are emitted with the tables' (pg_class, pg_attribute, pg_views,
// information_schema.tables/columns/views).

var tRegclass = types.Type{OID: types.OIDRegclass, Mod: -1}

func init() {
	// pg_get_viewdef(oid [, pretty | wrap column]): the view's query
	// (viewDef), NULL for a relation that is not a user view (PostgreSQL
	// returns NULL for a table or an unknown OID; for its own catalog views
	// it returns their queries, which the emulated ones do not have).
	byOID := func(ctx *funcs.Context, a []types.Value) (types.Value, error) {
		cat, err := sessionCatalog(ctx)
		if err != nil {
			return null, err
		}
		if v, ok := cat.View(uint32(a[0].I)); ok {
			return vText(viewDef(v)), nil
		}
		return null, nil
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
		oid, ok := resolveRelation(cat, a[0].S)
		if !ok {
			return null, pgerr.New(pgerr.UndefinedTable, "relation %q does not exist", a[0].S)
		}
		if v, ok := cat.View(oid); ok {
			return vText(viewDef(v)), nil
		}
		return null, nil
	}
	reg("pg_get_viewdef", ts(tText), tText, true, byName)
	reg("pg_get_viewdef", ts(tText, tBool), tText, true, byName)

	// pg_rewrite is empty (a view's _RETURN rule is not emulated): no OID
	// names a rule. psql's \d+ of a view asks for the view's other rules.
	noRule := func(ctx *funcs.Context, a []types.Value) (types.Value, error) { return null, nil }
	reg("pg_get_ruledef", ts(tOID), tText, true, noRule)
	reg("pg_get_ruledef", ts(tOID, tBool), tText, true, noRule)

	// to_regclass(name): the relation's OID as a regclass, NULL when no
	// relation has that name.
	reg("to_regclass", ts(tText), tRegclass, true, func(ctx *funcs.Context, a []types.Value) (types.Value, error) {
		cat, err := sessionCatalog(ctx)
		if err != nil {
			return null, err
		}
		oid, ok := resolveRelation(cat, a[0].S)
		if !ok {
			return null, nil
		}
		return types.NewRegName(oid, regName(cat, types.OIDRegclass, oid)), nil
	})
}

// resolveRelation finds the relation a name in regclass input syntax
// denotes ("v", "public.v", `"My View"`; unquoted names are folded to lower
// case): a table, view, sequence or index of the catalog, or an emulated
// catalog. An unqualified name is looked up along the search path,
// pg_catalog then public.
func resolveRelation(cat *catalog.Catalog, name string) (uint32, bool) {
	parts, ok := splitQualified(name)
	if !ok {
		return 0, false
	}
	var schemas []string
	rel := parts[len(parts)-1]
	switch len(parts) {
	case 1:
		schemas = []string{"pg_catalog", "public"}
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
