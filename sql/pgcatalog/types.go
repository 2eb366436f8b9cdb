package pgcatalog

import (
	"github.com/omendb/omendb/types"
)

// typeInfo is a pg_type row for a built-in type, with PostgreSQL 15's values.
type typeInfo struct {
	oid      types.OID
	name     string
	len      int16
	byval    bool
	category byte
	elem     types.OID // element type of an array type
	array    types.OID // the array type of this type
	align    byte
	coll     uint32 // typcollation
	pref     bool
}

// builtinTypes are the types OmenDB has (and the arrays clients ask about).
var builtinTypes = []typeInfo{
	{16, "bool", 1, true, 'B', 0, 1000, 'c', 0, true},
	{17, "bytea", -1, false, 'U', 0, 1001, 'i', 0, false},
	{18, "char", 1, true, 'Z', 0, 1002, 'c', 0, false},
	{19, "name", 64, false, 'S', 0, 1003, 'c', oidCColl, false},
	{20, "int8", 8, true, 'N', 0, 1016, 'd', 0, false},
	{21, "int2", 2, true, 'N', 0, 1005, 's', 0, false},
	{22, "int2vector", -1, false, 'A', 21, 1006, 'i', 0, false},
	{23, "int4", 4, true, 'N', 0, 1007, 'i', 0, false},
	{24, "regproc", 4, true, 'N', 0, 1008, 'i', 0, false},
	{25, "text", -1, false, 'S', 0, 1009, 'i', oidDefaultColl, true},
	{26, "oid", 4, true, 'N', 0, 1028, 'i', 0, true},
	{30, "oidvector", -1, false, 'A', 26, 1013, 'i', 0, false},
	{114, "json", -1, false, 'U', 0, 199, 'i', 0, false},
	{700, "float4", 4, true, 'N', 0, 1021, 'i', 0, false},
	{701, "float8", 8, true, 'N', 0, 1022, 'd', 0, true},
	{705, "unknown", -2, false, 'X', 0, 0, 'c', 0, false},
	{1042, "bpchar", -1, false, 'S', 0, 1014, 'i', oidDefaultColl, false},
	{1043, "varchar", -1, false, 'S', 0, 1015, 'i', oidDefaultColl, false},
	{1082, "date", 4, true, 'D', 0, 1182, 'i', 0, false},
	{1083, "time", 8, true, 'D', 0, 1183, 'd', 0, false},
	{1114, "timestamp", 8, true, 'D', 0, 1115, 'd', 0, false},
	{1184, "timestamptz", 8, true, 'D', 0, 1185, 'd', 0, true},
	{1186, "interval", 16, false, 'T', 0, 1187, 'd', 0, true},
	{1700, "numeric", -1, false, 'N', 0, 1231, 'i', 0, false},
	{2205, "regclass", 4, true, 'N', 0, 2210, 'i', 0, false},
	{2206, "regtype", 4, true, 'N', 0, 2211, 'i', 0, false},
	{2202, "regprocedure", 4, true, 'N', 0, 2207, 'i', 0, false},
	{2249, "record", -1, false, 'P', 0, 2287, 'd', 0, false},
	{2278, "void", 4, true, 'P', 0, 0, 'i', 0, false},
	// Pseudo-types clients name in catalog queries (psql's \dfn and \dft
	// filter on prorettype <> 'trigger'::regtype) and that the plpgsql
	// handlers take and return; no column or value has one.
	{2279, "trigger", 4, true, 'P', 0, 0, 'i', 0, false},
	{3838, "event_trigger", 4, true, 'P', 0, 0, 'i', 0, false},
	{2280, "language_handler", 4, true, 'P', 0, 0, 'i', 0, false},
	{2281, "internal", 8, true, 'P', 0, 0, 'd', 0, false},
	// The pseudo-types of the I/O functions' arguments (regprocedure).
	{2275, "cstring", -2, false, 'P', 0, 0, 'c', 0, false},
	{2277, "anyarray", -1, false, 'P', 0, 0, 'd', 0, false},
	{3500, "anyenum", 4, true, 'P', 0, 0, 'i', 0, false},
	{2950, "uuid", 16, false, 'U', 0, 2951, 'c', 0, false},
	{869, "inet", -1, false, 'I', 0, 1041, 'i', 0, true},
	{650, "cidr", -1, false, 'I', 0, 651, 'i', 0, false},
	{3802, "jsonb", -1, false, 'U', 0, 3807, 'i', 0, false},
	{4072, "jsonpath", -1, false, 'U', 0, 4073, 'i', 0, false},
	{4089, "regnamespace", 4, true, 'N', 0, 4090, 'i', 0, false},
	{1033, "aclitem", 12, false, 'U', 0, 1034, 'i', 0, false},
	{28, "xid", 4, true, 'U', 0, 1011, 'i', 0, false},
	{5069, "xid8", 8, true, 'U', 0, 271, 'd', 0, false},
	// array types
	{1000, "_bool", -1, false, 'A', 16, 0, 'i', 0, false},
	{1001, "_bytea", -1, false, 'A', 17, 0, 'i', 0, false},
	{1002, "_char", -1, false, 'A', 18, 0, 'i', 0, false},
	{1003, "_name", -1, false, 'A', 19, 0, 'i', oidCColl, false},
	{1005, "_int2", -1, false, 'A', 21, 0, 'i', 0, false},
	{1007, "_int4", -1, false, 'A', 23, 0, 'i', 0, false},
	{1008, "_regproc", -1, false, 'A', 24, 0, 'i', 0, false},
	{1009, "_text", -1, false, 'A', 25, 0, 'i', oidDefaultColl, false},
	{1014, "_bpchar", -1, false, 'A', 1042, 0, 'i', oidDefaultColl, false},
	{1015, "_varchar", -1, false, 'A', 1043, 0, 'i', oidDefaultColl, false},
	{1016, "_int8", -1, false, 'A', 20, 0, 'd', 0, false},
	{1021, "_float4", -1, false, 'A', 700, 0, 'i', 0, false},
	{1022, "_float8", -1, false, 'A', 701, 0, 'd', 0, false},
	{1028, "_oid", -1, false, 'A', 26, 0, 'i', 0, false},
	{1115, "_timestamp", -1, false, 'A', 1114, 0, 'd', 0, false},
	{1182, "_date", -1, false, 'A', 1082, 0, 'i', 0, false},
	{1183, "_time", -1, false, 'A', 1083, 0, 'd', 0, false},
	{1185, "_timestamptz", -1, false, 'A', 1184, 0, 'd', 0, false},
	{1187, "_interval", -1, false, 'A', 1186, 0, 'd', 0, false},
	{1231, "_numeric", -1, false, 'A', 1700, 0, 'i', 0, false},
	{2951, "_uuid", -1, false, 'A', 2950, 0, 'i', 0, false},
	{1041, "_inet", -1, false, 'A', 869, 0, 'i', 0, false},
	{651, "_cidr", -1, false, 'A', 650, 0, 'i', 0, false},
	{199, "_json", -1, false, 'A', 114, 0, 'i', 0, false},
	{3807, "_jsonb", -1, false, 'A', 3802, 0, 'i', 0, false},
	{4073, "_jsonpath", -1, false, 'A', 4072, 0, 'i', 0, false},
	{2210, "_regclass", -1, false, 'A', 2205, 0, 'i', 0, false},
	{2211, "_regtype", -1, false, 'A', 2206, 0, 'i', 0, false},
	{2207, "_regprocedure", -1, false, 'A', 2202, 0, 'i', 0, false},
	{4090, "_regnamespace", -1, false, 'A', 4089, 0, 'i', 0, false},
	{1034, "_aclitem", -1, false, 'A', 1033, 0, 'i', 0, false},
}

var typeByOID = func() map[types.OID]*typeInfo {
	m := map[types.OID]*typeInfo{}
	for i := range builtinTypes {
		m[builtinTypes[i].oid] = &builtinTypes[i]
	}
	return m
}()

// typeCollation is the collation a column of type t gets (typcollation).
func typeCollation(t types.OID) uint32 {
	if ti, ok := typeByOID[t]; ok {
		return ti.coll
	}
	return 0
}

// typeLen is typlen (attlen of a column).
func typeLen(t types.OID) int16 {
	if ti, ok := typeByOID[t]; ok {
		return ti.len
	}
	return -1
}

// btreeOpclass is the OID of PostgreSQL 15's default btree operator class
// for a column type (pg_index.indclass); varchar uses text_ops.
var btreeOpclass = map[types.OID]int64{
	types.OIDChar: 10007, types.OIDInt8: 3124, types.OIDBool: 10003, types.OIDBytea: 10006,
	types.OIDBPChar: 10004, types.OIDDate: 3122, types.OIDFloat8: 3123, types.OIDInt4: 1978,
	types.OIDInterval: 10022, types.OIDJSONB: 10088, types.OIDName: 10028, types.OIDNumeric: 3125,
	types.OIDOID: 1981, types.OIDFloat4: 10012, types.OIDInt2: 1979, types.OIDText: 3126,
	types.OIDVarchar: 3126, types.OIDTime: 10038, types.OIDTimestampTZ: 3127, types.OIDTimestamp: 3128,
	types.OIDUUID: 10065, types.OIDInet: 10015, types.OIDCIDR: 10015, // cidr columns use inet_ops
}

// indClasses is pg_index.indclass for an index on cols of t.
func indClasses(typs []types.Type) types.Value {
	xs := make([]int64, len(typs))
	for i, t := range typs {
		xs[i] = btreeOpclass[t.OID]
	}
	return vInts(xs...)
}

// indCollations is pg_index.indcollation: each key element's collation
// (the type's default for collatable types, else 0).
func indCollations(typs []types.Type) types.Value {
	xs := make([]int64, len(typs))
	for i, t := range typs {
		xs[i] = int64(typeCollation(t.OID))
	}
	return vInts(xs...)
}
