package pgcatalog

import (
	"strings"
	"sync"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql/funcs"
	"github.com/omendb/omendb/types"
)

// regprocedure names a function with its argument types, so that it names
// one overload: 'sum(integer)'::regprocedure, and the OID prints back as
// sum(integer). Built-in functions are pg_proc's rows (one per overload,
// overloadOID), the functions types and access methods name (ioProcNames,
// their arguments in ioProcArgs) and user-defined functions (catalog).

// procSig is a built-in overload: its name and argument types.
type procSig struct {
	name string
	args []types.Type
}

// procSigs maps the OIDs of pg_proc's built-in rows to their signatures.
var procSigs = sync.OnceValue(func() map[uint32]procSig {
	m := map[uint32]procSig{}
	for _, n := range funcs.Names() {
		for i, sig := range funcs.Overloads(n) {
			m[overloadOID(n, i, sig)] = procSig{n, sig.Args}
		}
	}
	return m
})

// regprocedureName is regprocedureout: name(argtypes), the name qualified
// where the search path does not find it, "" if oid names no function.
func regprocedureName(cat *catalog.Catalog, vis visibility, oid uint32) string {
	if s, ok := procSigs()[oid]; ok {
		names := make([]string, len(s.args))
		for i, a := range s.args {
			names[i] = argTypeName(cat, vis, a.OID)
		}
		return quoteIdent(s.name) + "(" + strings.Join(names, ",") + ")"
	}
	if n, ok := ioProcNames[oid]; ok {
		return quoteIdent(n) + "(" + ioProcArgs[oid] + ")"
	}
	if n, ok := userFuncName(cat, vis, oid); ok {
		f, _ := cat.Function(oid)
		names := make([]string, len(f.Args))
		for i, a := range f.Args {
			names[i] = argTypeName(cat, vis, a.Type.OID)
		}
		return n + "(" + strings.Join(names, ",") + ")"
	}
	return ""
}

// argTypeName is an argument type as regprocedureout prints it
// (format_type without a typmod; a user type qualified where needed).
func argTypeName(cat *catalog.Catalog, vis visibility, oid types.OID) string {
	if cat != nil {
		if n := vis.typeName(cat, oid); n != "" {
			return n
		}
	}
	return formatType(oid, -1)
}

// regprocedureOID is regprocedurein: the OID of the function text names
// with its argument types, name(type, …).
func regprocedureOID(cat *catalog.Catalog, text string) (uint32, error) {
	s := strings.TrimSpace(text)
	open := strings.IndexByte(s, '(')
	if open < 0 || !strings.HasSuffix(s, ")") {
		return 0, pgerr.New(pgerr.InvalidTextRepresentation, "expected a left parenthesis")
	}
	name := strings.TrimSpace(s[:open])
	var argOIDs []types.OID
	if inner := strings.TrimSpace(s[open+1 : len(s)-1]); inner != "" {
		for _, a := range splitTopLevel(inner) {
			oid, err := argTypeOID(cat, a)
			if err != nil {
				return 0, err
			}
			argOIDs = append(argOIDs, oid)
		}
	}
	same := func(ts []types.Type) bool {
		if len(ts) != len(argOIDs) {
			return false
		}
		for i, t := range ts {
			if t.OID != argOIDs[i] {
				return false
			}
		}
		return true
	}
	bare := strings.Trim(strings.TrimPrefix(name, "pg_catalog."), `"`)
	for i, sig := range funcs.Overloads(bare) {
		if same(sig.Args) {
			return overloadOID(bare, i, sig), nil
		}
	}
	for oid, n := range ioProcNames {
		if n == bare && ioProcArgs[oid] == argList(cat, argOIDs) {
			return oid, nil
		}
	}
	if cat != nil && !strings.HasPrefix(name, "pg_catalog.") {
		schema, n := "public", name
		if i := strings.IndexByte(name, '.'); i > 0 {
			schema, n = strings.Trim(name[:i], `"`), name[i+1:]
		}
		for _, f := range cat.LookupFunctions(schema, strings.Trim(n, `"`)) {
			ts := make([]types.Type, len(f.Args))
			for i, a := range f.Args {
				ts[i] = a.Type
			}
			if same(ts) {
				return f.ID, nil
			}
		}
	}
	return 0, pgerr.New(pgerr.UndefinedFunction, "function %q does not exist", s)
}

// argList is an argument list as ioProcArgs spells it.
func argList(cat *catalog.Catalog, oids []types.OID) string {
	names := make([]string, len(oids))
	for i, o := range oids {
		names[i] = argTypeName(cat, visibility{public: true}, o)
	}
	return strings.Join(names, ",")
}

// argTypeOID resolves one argument type of a regprocedure literal: a
// built-in type (regtypein's spellings) or an enum type of cat.
func argTypeOID(cat *catalog.Catalog, name string) (types.OID, error) {
	if oid, err := regResolve(cat, types.OIDRegtype, name); err == nil {
		return types.OID(oid), nil
	}
	n := strings.TrimSpace(name)
	array := strings.HasSuffix(n, "[]")
	n = strings.TrimSpace(strings.TrimSuffix(n, "[]"))
	schema := ""
	if i := strings.LastIndexByte(n, '.'); i > 0 && !strings.Contains(n, `"`) {
		schema, n = n[:i], n[i+1:]
	}
	n = strings.Trim(n, `"`)
	if cat != nil {
		for _, e := range cat.EnumTypes() {
			if e.Name == n && (schema == "" && e.Schema == "public" || e.Schema == schema) {
				if array {
					return types.OID(e.ArrayID), nil
				}
				return types.OID(e.ID), nil
			}
		}
	}
	return 0, pgerr.New(pgerr.UndefinedObject, "type %q does not exist", strings.TrimSpace(name))
}

// splitTopLevel splits an argument list at the commas outside parentheses
// and double quotes (numeric(10,2), "a,b").
func splitTopLevel(s string) []string {
	var out []string
	depth, quoted, start := 0, false, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == ',' && depth == 0:
			out = append(out, strings.TrimSpace(s[start:i]))
			start = i + 1
		}
	}
	return append(out, strings.TrimSpace(s[start:]))
}
