package pgcatalog

import (
	"strings"

	"github.com/omendb/omendb/pgerr"
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

// regResolve implements plan.RegResolve: regtypein and regnamespacein.
func regResolve(typ types.OID, name string) (uint32, error) {
	s := strings.TrimSpace(name)
	switch typ {
	case types.OIDRegnamespace:
		n := strings.Trim(s, `"`)
		for _, oid := range []uint32{oidPgCatalog, oidPublic, oidInfoSchema} {
			if nn, _ := nspName(oid); nn == n {
				return oid, nil
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
	}
	return 0, pgerr.NotSupported("reg type %d literals are not supported", typ)
}
