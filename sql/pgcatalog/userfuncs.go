package pgcatalog

import (
	"strings"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/sql/funcs"
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

// User-defined functions (catalog.Function) in pg_proc — their OID is their
// object ID, their language sql (14) — and in the functions that print
// them as PostgreSQL 15 does: pg_get_function_result,
// pg_get_function_arguments, pg_get_function_identity_arguments and
// pg_get_functiondef (psql's \df and \sf).

// oidLangSQL is pg_language's sql.
const oidLangSQL = 14

var tFloat4 = types.Type{OID: types.OIDFloat4, Mod: -1}

// userProcRows are pg_proc's rows of the user-defined functions, in the
// columns define gives pg_proc (pg_catalog.go).
func userProcRows(cat *catalog.Catalog) [][]types.Value {
	var rows [][]types.Value
	for _, f := range cat.Functions() {
		args := make([]int64, len(f.Args))
		for i, a := range f.Args {
			args[i] = int64(a.Type.OID)
		}
		rows = append(rows, []types.Value{
			vOID(f.ID), vText(f.Name), vOID(nspOID(cat, f.Schema)), vOID(oidBootstrap), vOID(funcLang(f)),
			vChar('f'), vBool(false), vBool(false), vBool(f.Strict),
			vBool(f.RetSet), vChar(f.Vol()[0]), vInt(int64(len(f.Args))), vOID(uint32(f.Ret.OID)),
			vInts(args...),
		})
	}
	return rows
}

// funcLang is f's pg_language OID.
func funcLang(f *catalog.Function) uint32 {
	if f.PL() {
		return oidLangPlpgsql
	}
	return oidLangSQL
}

// userFunc is the user-defined function whose pg_proc row is row.
func userFunc(env plan.VirtualEnv, row []types.Value) (*catalog.Function, bool) {
	if env == nil || env.Catalog() == nil {
		return nil, false
	}
	return env.Catalog().Function(uint32(row[0].I))
}

var (
	// The argument lists of user-defined functions (built-in ones have
	// only unnamed IN arguments: NULL).
	_ = extend("pg_catalog", "pg_proc", []col{
		{"proallargtypes", tOIDArr}, {"proargmodes", tCharArr}, {"proargnames", tTextArr}, {"proacl", tAclArr},
	}, func(env plan.VirtualEnv, row []types.Value) []types.Value {
		f, ok := userFunc(env, row)
		if !ok {
			return []types.Value{null, null, null, null}
		}
		ps := f.Params()
		all, modes, names := null, null, null
		if f.Modes != "" {
			ts := make([]types.Value, len(ps))
			ms := make([]types.Value, len(ps))
			for i, p := range ps {
				ts[i] = vOID(uint32(p.Type.OID))
				ms[i] = vChar(p.Mode)
			}
			all, modes = types.NewArray(ts), types.NewArray(ms)
		}
		named := false
		ns := make([]types.Value, len(ps))
		for i, p := range ps {
			ns[i] = vText(p.Name)
			named = named || p.Name != ""
		}
		if named {
			names = types.NewArray(ns)
		}
		return []types.Value{all, modes, names, null}
	})

	// The source and planner settings: a SQL function's body (prosrc, or
	// prosqlbody for a BEGIN ATOMIC / RETURN body), PostgreSQL's default
	// COST 100 and ROWS 1000 for SQL functions; built-in functions are
	// internal (prosrc their name, COST 1).
	_ = extend("pg_catalog", "pg_proc", []col{
		{"prosrc", tText}, {"probin", tText}, {"prosqlbody", tText}, {"proconfig", tTextArr},
		{"procost", tFloat4}, {"prorows", tFloat4}, {"provariadic", tOID}, {"prosupport", tRegpr},
		{"proparallel", tChar}, {"pronargdefaults", tInt2}, {"proargdefaults", tText},
	}, func(env plan.VirtualEnv, row []types.Value) []types.Value {
		f, ok := userFunc(env, row)
		if !ok {
			return []types.Value{row[1], null, null, null, types.NewFloat(1), types.NewFloat(0), vOID(0), vRegproc(0),
				vChar('s'), vInt(0), null}
		}
		src, body := vText(f.Body), null
		if f.Atomic {
			src, body = vText(""), vText(sqlBody(f))
		}
		rows := 0.0
		if f.RetSet {
			rows = 1000
		}
		defs := null
		if n := f.Defaults(); n > 0 {
			parts := make([]string, 0, n)
			for _, a := range f.Args[len(f.Args)-n:] {
				parts = append(parts, argDefault(a))
			}
			defs = vText("(" + strings.Join(parts, " ") + ")")
		}
		return []types.Value{src, null, body, null, types.NewFloat(100), types.NewFloat(rows), vOID(0), vRegproc(0),
			vChar('u'), vInt(int64(f.Defaults())), defs}
	})
)

// argDefault is a parameter's DEFAULT as PostgreSQL prints it: a string
// literal with its type's cast.
func argDefault(a catalog.FuncArg) string {
	return defaultExpr(catalog.Column{Type: a.Type, Default: a.Default})
}

// fnTypeName is format_type of a parameter's or result's type, user types
// (enums) by name.
func fnTypeName(cat *catalog.Catalog, vis visibility, t types.Type) string {
	if t.Enum != nil && cat != nil {
		return vis.typeName(cat, t.OID)
	}
	return formatType(t.OID, -1)
}

// functionResult is pg_get_function_result: SETOF type, TABLE(…), or the
// type.
func functionResult(cat *catalog.Catalog, vis visibility, f *catalog.Function) string {
	if f.Table {
		var parts []string
		for _, p := range f.Params() {
			if p.Mode == 't' {
				parts = append(parts, quoteIdent(p.Name)+" "+fnTypeName(cat, vis, p.Type))
			}
		}
		return "TABLE(" + strings.Join(parts, ", ") + ")"
	}
	r := fnTypeName(cat, vis, f.Ret)
	if f.RetSet {
		r = "SETOF " + r
	}
	return r
}

// functionArguments is pg_get_function_arguments (defaults true) or
// pg_get_function_identity_arguments: the parameters but TABLE columns,
// with their modes and names.
func functionArguments(cat *catalog.Catalog, vis visibility, f *catalog.Function, defaults bool) string {
	var parts []string
	nlack := len(f.Args) - f.Defaults()
	in := 0
	for _, p := range f.Params() {
		if p.Mode == 't' {
			continue
		}
		var sb strings.Builder
		switch p.Mode {
		case 'o':
			sb.WriteString("OUT ")
		case 'b':
			sb.WriteString("INOUT ")
		}
		if p.Name != "" {
			sb.WriteString(quoteIdent(p.Name) + " ")
		}
		sb.WriteString(fnTypeName(cat, vis, p.Type))
		if p.Mode == 'i' || p.Mode == 'b' {
			in++
			if defaults && in > nlack && p.Default != "" {
				sb.WriteString(" DEFAULT " + argDefault(p.FuncArg))
			}
		}
		parts = append(parts, sb.String())
	}
	return strings.Join(parts, ", ")
}

// sqlBody is a SQL-standard body as pg_get_functiondef prints it (the
// statements as OmenDB deparsed them, not PostgreSQL's re-printed trees).
func sqlBody(f *catalog.Function) string {
	if f.Return {
		return "RETURN " + strings.TrimPrefix(f.Body, "SELECT ")
	}
	var sb strings.Builder
	sb.WriteString("BEGIN ATOMIC\n")
	for _, line := range strings.Split(f.Body, "\n") {
		sb.WriteString(" " + line + "\n")
	}
	sb.WriteString("END")
	return sb.String()
}

// functionDef is pg_get_functiondef: CREATE OR REPLACE FUNCTION with the
// function's options one per line, as PostgreSQL 15's ruleutils prints it.
func functionDef(cat *catalog.Catalog, vis visibility, f *catalog.Function) string {
	var sb strings.Builder
	sb.WriteString("CREATE OR REPLACE FUNCTION " + quoteIdent(f.Schema) + "." + quoteIdent(f.Name) + "(")
	sb.WriteString(functionArguments(cat, vis, f, true) + ")\n")
	sb.WriteString(" RETURNS " + functionResult(cat, vis, f) + "\n")
	if f.PL() {
		sb.WriteString(" LANGUAGE plpgsql\n")
	} else {
		sb.WriteString(" LANGUAGE sql\n")
	}
	switch f.Vol() {
	case "i":
		sb.WriteString(" IMMUTABLE\n")
	case "s":
		sb.WriteString(" STABLE\n")
	}
	if f.Strict {
		sb.WriteString(" STRICT\n")
	}
	if f.Atomic {
		sb.WriteString(sqlBody(f) + "\n")
		return sb.String()
	}
	tag := "$function$"
	for strings.Contains(f.Body, tag) {
		tag = tag[:len(tag)-1] + "x$"
	}
	sb.WriteString("AS " + tag + f.Body + tag + "\n")
	return sb.String()
}

// sessionFunction is the user-defined function with OID oid in the
// session's catalog.
func sessionFunction(ctx *funcs.Context, oid uint32) (*catalog.Catalog, *catalog.Function, bool) {
	cat, err := sessionCatalog(ctx)
	if err != nil {
		return nil, nil, false
	}
	f, ok := cat.Function(oid)
	return cat, f, ok
}

func init() {
	// pg_get_function_sqlbody is a SQL-standard body (psql's \df+ shows
	// it as the source code), NULL for a body given as a string.
	reg("pg_get_function_sqlbody", ts(tOID), tText, true, func(ctx *funcs.Context, a []types.Value) (types.Value, error) {
		if _, f, ok := sessionFunction(ctx, uint32(a[0].I)); ok && f.Atomic {
			return vText(sqlBody(f)), nil
		}
		return null, nil
	})
	reg("pg_get_functiondef", ts(tOID), tText, true, func(ctx *funcs.Context, a []types.Value) (types.Value, error) {
		if cat, f, ok := sessionFunction(ctx, uint32(a[0].I)); ok {
			return vText(functionDef(cat, sessionVisibility(ctx), f)), nil
		}
		p, ok := procByOID()[uint32(a[0].I)]
		if !ok {
			return null, nil
		}
		// A built-in function is internal, named by its C symbol.
		return vText("CREATE OR REPLACE FUNCTION pg_catalog." + quoteIdent(p.name) + "()\n LANGUAGE internal\nAS $function$" +
			p.name + "$function$\n"), nil
	})
}

// userFuncName is regprocout of a user-defined function: its name,
// qualified when the search path does not find it.
func userFuncName(cat *catalog.Catalog, vis visibility, oid uint32) (string, bool) {
	if cat == nil {
		return "", false
	}
	f, ok := cat.Function(oid)
	if !ok {
		return "", false
	}
	for _, p := range vis.searchPath() {
		if fs := cat.LookupFunctions(p, f.Name); len(fs) > 0 {
			if p == f.Schema {
				return quoteIdent(f.Name), true
			}
			break
		}
	}
	return quoteIdent(f.Schema) + "." + quoteIdent(f.Name), true
}

// userFuncOID is regprocin of a user-defined function's name: schema.name,
// or a name in public; ok false when none or several have it.
func userFuncOID(cat *catalog.Catalog, name string) (uint32, int) {
	if cat == nil {
		return 0, 0
	}
	schema, n := "public", name
	if i := strings.IndexByte(name, '.'); i > 0 {
		schema, n = strings.Trim(name[:i], `"`), name[i+1:]
	}
	n = strings.Trim(n, `"`)
	fs := cat.LookupFunctions(schema, n)
	if len(fs) != 1 {
		return 0, len(fs)
	}
	return fs[0].ID, 1
}
