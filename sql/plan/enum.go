package plan

import (
	"errors"
	"strings"

	"github.com/omendb/omendb/sql/funcs"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// ResolveType resolves a type name as pg_query gives it (with its typmod
// arguments): a built-in type (pg_catalog comes first on the search path),
// else a user-defined enum type of the catalog — unqualified in public,
// or qualified with its schema (and database).
func (b *Binder) ResolveType(names []string, mods []int32) (types.Type, error) {
	t, err := types.ParseTypeName(names, mods)
	var pe *pgerr.Error
	if err == nil || !errors.As(err, &pe) || pe.Code != pgerr.UndefinedObject || b.Cat == nil {
		return t, err
	}
	if ut, ok := LookupUserType(b.Cat, b.searchPath(), names); ok {
		if len(mods) > 0 {
			return types.Type{}, pgerr.New(pgerr.SyntaxError, "type modifier is not allowed for type %q", names[len(names)-1])
		}
		return ut, nil
	}
	return t, err
}

// LookupUserType finds a user-defined type by its (qualified) name; an
// unqualified one in the first schema of path that has it.
func LookupUserType(cat *catalog.Catalog, path []string, names []string) (types.Type, bool) {
	switch len(names) {
	case 1:
	case 2, 3:
		schema := names[len(names)-2]
		if strings.EqualFold(schema, "pg_catalog") {
			return types.Type{}, false
		}
		path = []string{schema}
	default:
		return types.Type{}, false
	}
	name := names[len(names)-1]
	for _, schema := range path {
		if e, ok := cat.LookupEnumType(schema, name); ok {
			return cat.TypeByOID(types.OID(e.ID))
		}
		if e, ok := cat.LookupEnumType(schema, strings.TrimPrefix(name, "_")); ok && strings.HasPrefix(name, "_") {
			return cat.TypeByOID(types.OID(e.ArrayID)) // _mood, the array type's own name
		}
	}
	return types.Type{}, false
}

// regtypeUser resolves 'name'::regtype to a user-defined type: mood,
// public.mood, "Weird Name", mood[] (regtypein's parse of a type name).
func (b *Binder) regtypeUser(s string) (types.Type, bool) {
	s = strings.TrimSpace(s)
	array := strings.HasSuffix(s, "[]")
	s = strings.TrimSpace(strings.TrimSuffix(s, "[]"))
	var names []string
	for s != "" {
		var part string
		if s[0] == '"' {
			end := 1
			for end < len(s) && (s[end] != '"' || end+1 < len(s) && s[end+1] == '"') {
				if s[end] == '"' {
					end++
				}
				end++
			}
			if end >= len(s) {
				return types.Type{}, false
			}
			part, s = strings.ReplaceAll(s[1:end], `""`, `"`), s[end+1:]
		} else {
			i := strings.IndexByte(s, '.')
			if i < 0 {
				i = len(s)
			}
			part, s = strings.ToLower(strings.TrimSpace(s[:i])), s[i:]
		}
		names = append(names, part)
		if s != "" {
			if s[0] != '.' {
				return types.Type{}, false
			}
			s = s[1:]
		}
	}
	t, ok := LookupUserType(b.Cat, b.searchPath(), names)
	if !ok || !array {
		return t, ok
	}
	return types.ArrayOf(t)
}

// regtypeIn is regtypein over a text value: a user-defined type of the
// binder's catalog, else a built-in one (RegResolve).
func (b *Binder) regtypeIn() *funcs.Func {
	rt := types.Type{OID: types.OIDRegtype, Mod: -1}
	return &funcs.Func{Name: "regtypein", Args: []types.Type{types.Text}, Ret: rt, Strict: true, Volatility: funcs.Stable,
		Eval: func(_ *funcs.Context, a []types.Value) (types.Value, error) {
			if ut, ok := b.regtypeUser(a[0].S); ok {
				return b.regValue(types.OIDRegtype, uint32(ut.OID)), nil
			}
			oid, err := RegResolve(b.Cat, types.OIDRegtype, a[0].S)
			if err != nil {
				return types.Null, err
			}
			return types.NewInt(int64(oid)), nil
		}}
}
