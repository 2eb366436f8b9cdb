package pgcatalog

import (
	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

// Enum types: their pg_type rows (the type, typtype 'e', and its array
// type), pg_enum, and the names format_type, regtype and
// information_schema give them. OIDs are the catalog's IDs
// (catalog.EnumType).

const oidPgEnum = 3501

func init() {
	define("pg_catalog", "pg_enum", oidPgEnum, []col{
		{"oid", tOID}, {"enumtypid", tOID}, {"enumsortorder", tFlt4}, {"enumlabel", tName},
	}, func(env plan.VirtualEnv) ([][]types.Value, error) {
		var rows [][]types.Value
		for _, e := range env.Catalog().EnumTypes() {
			for _, l := range e.Labels {
				rows = append(rows, []types.Value{vOID(l.ID), vOID(e.ID), types.NewFloat(float64(l.Sort)), vText(l.Label)})
			}
		}
		return rows, nil
	})
}

// enumTypname is pg_type.typname of an enum type or its array type.
func enumTypname(t types.Type) string {
	if types.IsEnumArray(t) {
		return "_" + t.Enum.Name
	}
	return t.Enum.Name
}

// enumTypeRows are the pg_type rows of the catalog's enum types, as
// PostgreSQL 15 has them (enum: 4 bytes, by value; its array: varlena).
func enumTypeRows(cat *catalog.Catalog) [][]types.Value {
	var rows [][]types.Value
	for _, e := range cat.EnumTypes() {
		rows = append(rows, []types.Value{
			vOID(e.ID), vText(e.Name), vOID(nspOID(cat, e.Schema)), vOID(oidBootstrap), vInt(4),
			vBool(true), vChar('e'), vChar('E'), vBool(false),
			vBool(true), vChar(','), vOID(0), vOID(0), vOID(e.ArrayID),
			vChar('i'), vChar('p'), vBool(false), vOID(0),
			vInt(-1), vInt(0), vOID(0), null, null,
		}, []types.Value{
			vOID(e.ArrayID), vText("_" + e.Name), vOID(nspOID(cat, e.Schema)), vOID(oidBootstrap), vInt(-1),
			vBool(false), vChar('b'), vChar('A'), vBool(false),
			vBool(true), vChar(','), vOID(0), vOID(e.ID), vOID(0),
			vChar('i'), vChar('x'), vBool(false), vOID(0),
			vInt(-1), vInt(0), vOID(0), null, null,
		})
	}
	return rows
}

// typeLenOf is typlen of t: 4 for an enum type.
func typeLenOf(t types.Type) int16 {
	if types.IsEnum(t) {
		return 4
	}
	return typeLen(t.OID)
}

// userTypeName is the regtype / format_type name of a user-defined type
// OID ("" if the catalog has none).
func userTypeName(cat *catalog.Catalog, oid types.OID) string {
	if cat == nil {
		return ""
	}
	if t, ok := cat.TypeByOID(oid); ok {
		return types.TypeName(t)
	}
	return ""
}
