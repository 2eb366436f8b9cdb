package pgcatalog

import (
	"strconv"
	"strings"
	"sync"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql/funcs"
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

func init() { plan.RegResolve = regResolve }

// typeAliases are the SQL spellings of built-in type names that differ from
// typname, as regtypein accepts them.
var typeAliases = map[string]string{
	"integer": "int4", "int": "int4", "smallint": "int2", "bigint": "int8", "real": "float4",
	"double precision": "float8", "float": "float8", "boolean": "bool", "character varying": "varchar",
	"character": "bpchar", "char": "bpchar", "decimal": "numeric", "timestamp without time zone": "timestamp",
	"timestamp with time zone": "timestamptz", "time without time zone": "time", `"char"`: "char",
}

// regResolve implements plan.RegResolve: regtypein, regnamespacein and
// regprocin (a function name with one overload).
func regResolve(cat *catalog.Catalog, typ types.OID, name string) (uint32, error) {
	s := strings.TrimSpace(name)
	switch typ {
	case types.OIDRegnamespace:
		n := strings.Trim(s, `"`)
		for _, oid := range []uint32{oidPgCatalog, oidPublic, oidInfoSchema} {
			if nn, _ := nspName(nil, oid); nn == n {
				return oid, nil
			}
		}
		if cat != nil {
			if sc, ok := cat.LookupSchema(n); ok {
				return sc.ID, nil
			}
		}
		return 0, pgerr.New("3F000", "schema %q does not exist", n)
	case types.OIDRegtype:
		n := strings.ToLower(strings.Join(strings.Fields(s), " "))
		n = strings.TrimPrefix(n, "pg_catalog.")
		array := strings.HasSuffix(n, "[]")
		n = strings.TrimSuffix(n, "[]")
		if i := strings.IndexByte(n, '('); i > 0 { // varchar(10): the typmod does not change the type
			n = strings.TrimSpace(n[:i])
		}
		if a, ok := typeAliases[n]; ok {
			n = a
		}
		for _, ti := range builtinTypes {
			if ti.name == n {
				if array {
					if ti.array == 0 {
						break
					}
					return uint32(ti.array), nil
				}
				return uint32(ti.oid), nil
			}
		}
		return 0, pgerr.New(pgerr.UndefinedObject, "type %q does not exist", s)
	case types.OIDRegproc:
		n := strings.Trim(strings.TrimPrefix(s, "pg_catalog."), `"`)
		switch len(funcs.Overloads(n)) {
		case 0:
			if oid, ok := ioProcByName[n]; ok {
				return oid, nil // a type's I/O function (pg_type.typinput …)
			}
			switch oid, found := userFuncOID(cat, strings.TrimPrefix(s, "pg_catalog.")); found {
			case 1:
				return oid, nil
			case 0:
				return 0, pgerr.New(pgerr.UndefinedFunction, "function %q does not exist", s)
			}
		case 1:
			return procOID(n), nil
		}
		return 0, pgerr.New("42725", "more than one function named %q", s)
	case types.OIDRegprocedure:
		return regprocedureOID(cat, s)
	}
	return 0, pgerr.NotSupported("reg type %d literals are not supported", typ)
}

func init() { plan.RegName = regName }

// procNames maps the OIDs of pg_proc's rows to their names (regprocout).
var procNames = sync.OnceValue(func() map[uint32]string {
	m := map[uint32]string{}
	for _, n := range funcs.Names() {
		for i, sig := range funcs.Overloads(n) {
			m[overloadOID(n, i, sig)] = n
		}
	}
	return m
})

// regName implements plan.RegName: regclassout, regnamespaceout and
// regprocout; names are qualified where env's search path does not find
// them.
func regName(cat *catalog.Catalog, env plan.Env, typ types.OID, oid uint32) string {
	var vis visibility
	if env != nil {
		vis = visibilityOf(env)
	} else {
		vis = visibility{public: true}
	}
	switch typ {
	case types.OIDRegtype:
		if cat == nil {
			return ""
		}
		return vis.typeName(cat, types.OID(oid)) // built-in types print by OID (types.AppendText)
	case types.OIDRegproc:
		if n, ok := procNames()[oid]; ok {
			return quoteIdent(n)
		}
		if n, ok := ioProcNames[oid]; ok {
			return quoteIdent(n)
		}
		if n, ok := userFuncName(cat, vis, oid); ok {
			return n
		}
		return ""
	case types.OIDRegprocedure:
		return regprocedureName(cat, vis, oid)
	case types.OIDRegnamespace:
		if n, ok := nspName(cat, oid); ok {
			return quoteIdent(n)
		}
		if cat != nil {
			temp := catalog.TempSchemaPrefix + strconv.FormatUint(uint64(oid), 10)
			for _, t := range cat.Tables() {
				if t.Schema == temp {
					return temp
				}
			}
		}
		return ""
	case types.OIDRegclass:
		qualify := func(schema, name string) string {
			if schema == "pg_catalog" || !strings.HasPrefix(schema, catalog.TempSchemaPrefix) && vis.relVisible(cat, schema, name) {
				return quoteIdent(name)
			}
			return quoteIdent(schema) + "." + quoteIdent(name)
		}
		if cat != nil {
			if t, ok := cat.Table(oid); ok {
				return qualify(t.Schema, t.Name)
			}
			if s, ok := cat.Sequence(oid); ok {
				return qualify(s.Schema, s.Name)
			}
			if v, ok := cat.View(oid); ok {
				return qualify(v.Schema, v.Name)
			}
			for _, t := range cat.Tables() {
				for _, ix := range t.Indexes {
					if ix.ID == oid {
						return qualify(t.Schema, ix.Name)
					}
				}
			}
		}
		for _, vt := range order {
			if vt.OID == oid {
				return qualify(vt.Schema, vt.Name)
			}
		}
	}
	return ""
}
