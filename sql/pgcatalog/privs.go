package pgcatalog

import (
	"strings"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql/funcs"
	"github.com/omendb/omendb/types"
)

// The access privilege inquiry functions (has_table_privilege,
// has_column_privilege, has_schema_privilege …, pg_has_role). OmenDB has
// one role, a superuser that owns every object, so the answer for it is
// always true; what these functions check is PostgreSQL's: the role
// (the session's, or PUBLIC), the object (a name that names nothing fails
// with PostgreSQL's SQLSTATE, an OID that names nothing gives NULL) and
// the privilege list ("SELECT, UPDATE WITH GRANT OPTION"; an unknown
// privilege fails with 22023). PUBLIC holds what PostgreSQL grants it by
// default: SELECT on the catalogs, USAGE on the built-in schemas, CONNECT
// and TEMPORARY on the database, EXECUTE on functions.

// privKinds are the privileges each kind of object has, as the inquiry
// functions accept them.
var privKinds = map[string][]string{
	"table":     {"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"},
	"column":    {"SELECT", "INSERT", "UPDATE", "REFERENCES"},
	"anycolumn": {"SELECT", "INSERT", "UPDATE", "REFERENCES"}, // of a table's columns
	"schema":    {"CREATE", "USAGE"},
	"database":  {"CREATE", "CONNECT", "TEMPORARY", "TEMP"},
	"sequence":  {"USAGE", "SELECT", "UPDATE"},
	"function":  {"EXECUTE"},
	"role":      {"MEMBER", "USAGE"},
}

// parsePrivs checks a privilege list of kind and returns its privileges
// (upper case, without WITH GRANT / ADMIN OPTION).
func parsePrivs(kind, list string) ([]string, error) {
	var out []string
	for _, p := range strings.Split(list, ",") {
		p = strings.ToUpper(strings.Join(strings.Fields(p), " "))
		base := strings.TrimSuffix(strings.TrimSuffix(p, " WITH GRANT OPTION"), " WITH ADMIN OPTION")
		ok := false
		for _, v := range privKinds[kind] {
			ok = ok || v == base
		}
		if !ok {
			return nil, pgerr.New(pgerr.InvalidParameterValue, "unrecognized privilege type: %q", strings.TrimSpace(p))
		}
		out = append(out, base)
	}
	return out, nil
}

// privRole checks the role argument: the session's role, or PUBLIC
// (public reports true for PUBLIC).
func privRole(ctx *funcs.Context, v types.Value) (public bool, err error) {
	switch {
	case v.K == types.KindInt: // an OID
		if v.I == oidBootstrap {
			return false, nil
		}
		return false, pgerr.New(pgerr.UndefinedObject, "role with OID %d does not exist", v.I)
	case strings.EqualFold(v.S, "public"):
		return true, nil
	case v.S == sessionUser(ctx):
		return false, nil
	}
	return false, pgerr.New(pgerr.UndefinedObject, "role %q does not exist", v.S)
}

func init() {
	// Each form: the argument kinds in order (user, object, column,
	// privilege), as PostgreSQL 15 declares them.
	type form struct {
		user bool
		obj  types.Type // text (a name) or oid
		col  types.Type // column forms: text (a name) or int2 (attnum)
	}
	objForms := []form{{false, tText, types.Type{}}, {false, tOID, types.Type{}}, {true, tText, types.Type{}}, {true, tOID, types.Type{}}}
	colForms := []form{
		{false, tText, tText}, {false, tText, tInt2}, {false, tOID, tText}, {false, tOID, tInt2},
		{true, tText, tText}, {true, tText, tInt2}, {true, tOID, tText}, {true, tOID, tInt2},
	}
	register := func(name, kind string, f form) {
		var args []types.Type
		if f.user {
			args = append(args, tName)
		}
		args = append(args, f.obj)
		if f.col.OID != 0 {
			args = append(args, f.col)
		}
		args = append(args, tText)
		for _, userArg := range map[bool][]types.Type{true: {tName, tOID}, false: {{}}}[f.user] {
			a := append([]types.Type(nil), args...)
			if userArg.OID != 0 {
				a[0] = userArg
			}
			reg(name, a, tBool, true, func(ctx *funcs.Context, v []types.Value) (types.Value, error) {
				public := false
				if f.user {
					var err error
					if public, err = privRole(ctx, v[0]); err != nil {
						return null, err
					}
					v = v[1:]
				}
				privs, err := parsePrivs(kind, v[len(v)-1].S)
				if err != nil {
					return null, err
				}
				cat, err := sessionCatalog(ctx)
				if err != nil {
					return null, err
				}
				system, found, err := privObject(ctx, cat, kind, v[:len(v)-1])
				if err != nil || !found {
					return null, err
				}
				if !public {
					return vBool(true), nil
				}
				return vBool(publicHas(kind, system, privs)), nil
			})
		}
	}
	for _, k := range []struct{ name, kind string }{
		{"has_table_privilege", "table"}, {"has_any_column_privilege", "anycolumn"}, {"has_schema_privilege", "schema"},
		{"has_database_privilege", "database"}, {"has_sequence_privilege", "sequence"}, {"has_function_privilege", "function"},
	} {
		for _, f := range objForms {
			register(k.name, k.kind, f)
		}
	}
	for _, f := range colForms {
		register("has_column_privilege", "column", f)
	}
	// pg_has_role(role, privilege) and pg_has_role(user, role, privilege):
	// the one role is a member of itself and of pg_database_owner.
	hasRole := func(ctx *funcs.Context, v []types.Value) (types.Value, error) {
		if len(v) == 3 {
			if _, err := privRole(ctx, v[0]); err != nil {
				return null, err
			}
			v = v[1:]
		}
		if _, err := parsePrivs("role", v[1].S); err != nil {
			return null, err
		}
		if v[0].K == types.KindInt {
			return vBool(v[0].I == oidBootstrap || v[0].I == oidDatabaseOwner), nil
		}
		if v[0].S != sessionUser(ctx) && v[0].S != "pg_database_owner" {
			return null, pgerr.New(pgerr.UndefinedObject, "role %q does not exist", v[0].S)
		}
		return vBool(true), nil
	}
	for _, a := range [][]types.Type{ts(tName, tText), ts(tOID, tText), ts(tName, tName, tText), ts(tName, tOID, tText), ts(tOID, tName, tText), ts(tOID, tOID, tText)} {
		reg("pg_has_role", a, tBool, true, hasRole)
	}
}

// privObject resolves the object (and column) arguments of an inquiry of
// kind: found is false for an OID (or attnum) that names nothing, which
// the function answers with NULL; a name that names nothing fails.
// system reports one of the catalogs or built-in schemas.
func privObject(ctx *funcs.Context, cat *catalog.Catalog, kind string, v []types.Value) (system, found bool, err error) {
	obj := v[0]
	byOID := obj.K == types.KindInt
	switch kind {
	case "table", "anycolumn", "column", "sequence":
		var oid uint32
		if byOID {
			oid = uint32(obj.I)
		} else {
			var ok bool
			if oid, ok = resolveRelation(cat, sessionVisibility(ctx), obj.S); !ok {
				return false, false, pgerr.New(pgerr.UndefinedTable, "relation %q does not exist", obj.S)
			}
		}
		vt := virtualByOID(oid)
		_, isSeq := cat.Sequence(oid)
		_, isTable := cat.Table(oid)
		_, isView := cat.View(oid)
		if vt == nil && !isSeq && !isTable && !isView {
			if _, ix := findIndex(cat, oid); ix == nil || byOID {
				return false, false, nil
			}
		}
		if kind == "sequence" && !isSeq {
			if byOID {
				return false, false, nil
			}
			return false, false, pgerr.New(pgerr.WrongObjectType, "%q is not a sequence", obj.S)
		}
		if kind == "column" {
			if _, ok, err := privColumn(cat, oid, v[1]); err != nil || !ok {
				return false, false, err
			}
		}
		return vt != nil, true, nil
	case "schema":
		if byOID {
			n, ok := nspName(cat, uint32(obj.I))
			return ok && n != "public", ok, nil
		}
		switch obj.S {
		case "pg_catalog", "information_schema":
			return true, true, nil
		case "public":
			return false, true, nil
		}
		if cat.SchemaExists(obj.S) {
			return false, true, nil
		}
		return false, false, pgerr.New(pgerr.InvalidSchemaName, "schema %q does not exist", obj.S)
	case "database":
		if byOID {
			return false, obj.I == oidDatabase, nil
		}
		if env := sessionEnv(ctx); env != nil && obj.S == dbName(env) {
			return false, true, nil
		}
		return false, false, pgerr.New("3D000", "database %q does not exist", obj.S)
	case "function":
		if byOID {
			return false, regprocedureName(cat, sessionVisibility(ctx), uint32(obj.I)) != "", nil
		}
		if _, err := regprocedureOID(cat, obj.S); err != nil {
			return false, false, err
		}
		return false, true, nil
	}
	return false, false, nil
}

// privColumn checks column c (a name or an attnum) of relation oid.
func privColumn(cat *catalog.Catalog, oid uint32, c types.Value) (string, bool, error) {
	var cols []string
	name := ""
	if t, ok := cat.Table(oid); ok {
		name = t.Name
		for _, col := range t.Columns {
			n := col.Name
			if col.Dropped {
				n = ""
			}
			cols = append(cols, n)
		}
	} else if v, ok := cat.View(oid); ok {
		name = v.Name
		for _, col := range v.Columns {
			cols = append(cols, col.Name)
		}
	} else if vt := virtualByOID(oid); vt != nil {
		name = vt.Name
		for _, col := range userCols(vt) {
			cols = append(cols, col.Name)
		}
	}
	if c.K == types.KindInt {
		i := int(c.I)
		return "", i >= 1 && i <= len(cols) && cols[i-1] != "", nil
	}
	for _, n := range cols {
		if n == c.S && n != "" {
			return n, true, nil
		}
	}
	return "", false, pgerr.New(pgerr.UndefinedColumn, "column %q of relation %q does not exist", c.S, name)
}

// publicHas reports whether PUBLIC holds every privilege of privs on an
// object of kind by PostgreSQL's defaults.
func publicHas(kind string, system bool, privs []string) bool {
	for _, p := range privs {
		ok := false
		switch kind {
		case "table", "anycolumn", "column":
			ok = system && p == "SELECT"
		case "schema":
			ok = p == "USAGE"
		case "database":
			ok = p == "CONNECT" || p == "TEMPORARY" || p == "TEMP"
		case "function":
			ok = true
		}
		if !ok {
			return false
		}
	}
	return true
}
