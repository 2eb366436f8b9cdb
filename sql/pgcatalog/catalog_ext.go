package pgcatalog

import (
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

// Columns of the core catalogs that pg_dump and JDBC read beyond psql's,
// added as extensions of their definitions (registry.go's extend).

var (
	_ = extend("pg_catalog", "pg_class", []col{
		// xid in PostgreSQL; OmenDB has no transaction IDs: 0 (invalid),
		// as PostgreSQL shows for relations without storage.
		{"relfrozenxid", tOID}, {"relminmxid", tOID},
	}, func(plan.VirtualEnv, []types.Value) []types.Value { return []types.Value{vOID(0), vOID(0)} })

	// attmissingval is anyarray in PostgreSQL; pg_dump reads it only in
	// binary-upgrade mode.
	_ = extend("pg_catalog", "pg_attribute", []col{{"attmissingval", tTextArr}},
		func(plan.VirtualEnv, []types.Value) []types.Value { return []types.Value{null} })

	// pg_proc's argument lists and source: userfuncs.go.

	// plpgsql has no configuration tables.
	_ = extend("pg_catalog", "pg_extension", []col{{"extconfig", tRegclArr}, {"extcondition", tTextArr}},
		func(plan.VirtualEnv, []types.Value) []types.Value { return []types.Value{null, null} })

	// No table is partitioned, but pg_dump names these columns.
	_ = extend("pg_catalog", "pg_partitioned_table", []col{
		{"partattrs", tI2Vec}, {"partclass", tOIDVec}, {"partcollation", tOIDVec}, {"partexprs", tText},
	}, func(plan.VirtualEnv, []types.Value) []types.Value { return []types.Value{null, null, null, null} })

	// pg_type: the I/O functions of the types
	// (PostgreSQL 15's; JDBC tests typinput = 'array_in'::regproc).
	_ = extend("pg_catalog", "pg_type", []col{
		{"typinput", tRegpr}, {"typoutput", tRegpr}, {"typreceive", tRegpr}, {"typsend", tRegpr},
	}, func(_ plan.VirtualEnv, row []types.Value) []types.Value {
		io := typeIOProcs(types.OID(row[0].I), row[6].S, row[7].S)
		return []types.Value{vRegproc(io[0]), vRegproc(io[1]), vRegproc(io[2]), vRegproc(io[3])}
	})
)

// typeIOProcs are a type's input, output, receive and send functions
// (PostgreSQL 15's OIDs) by its OID, typtype and typcategory: array_in …
// for the array types, enum_in … for enum types.
func typeIOProcs(oid types.OID, typtype, category string) [4]uint32 {
	if io, ok := ioProcs[oid]; ok {
		return io
	}
	switch {
	case category == "A":
		return [4]uint32{750, 751, 2400, 2401}
	case typtype == "e":
		return [4]uint32{3504, 3505, 3532, 3533}
	}
	return [4]uint32{}
}

// ioProcs are the I/O functions of the built-in non-array types.
var ioProcs = map[types.OID][4]uint32{
	16: {1242, 1243, 2436, 2437}, 17: {1244, 31, 2412, 2413}, 18: {1245, 33, 2434, 2435}, 19: {34, 35, 2422, 2423}, 20: {460, 461, 2408, 2409}, 21: {38, 39, 2404, 2405}, 22: {40, 41, 2410, 2411}, 23: {42, 43, 2406, 2407}, 24: {44, 45, 2444, 2445}, 25: {46, 47, 2414, 2415}, 26: {1798, 1799, 2418, 2419}, 30: {54, 55, 2420, 2421}, 114: {321, 322, 323, 324}, 700: {200, 201, 2424, 2425}, 701: {214, 215, 2426, 2427}, 705: {109, 110, 2416, 2417}, 1033: {1031, 1032, 0, 0}, 1042: {1044, 1045, 2430, 2431}, 1043: {1046, 1047, 2432, 2433}, 1082: {1084, 1085, 2468, 2469}, 1083: {1143, 1144, 2470, 2471}, 1114: {1312, 1313, 2474, 2475}, 1184: {1150, 1151, 2476, 2477}, 1186: {1160, 1161, 2478, 2479}, 1700: {1701, 1702, 2460, 2461}, 2205: {2218, 2219, 2452, 2453}, 2206: {2220, 2221, 2454, 2455}, 2249: {2290, 2291, 2402, 2403}, 2278: {2298, 2299, 3120, 3121}, 2279: {2300, 2301, 0, 0}, 3838: {3594, 3595, 0, 0}, 2280: {2302, 2303, 0, 0}, 2281: {2304, 2305, 0, 0}, 2950: {2952, 2953, 2961, 2962}, 3802: {3806, 3804, 3805, 3803}, 4089: {4084, 4085, 4087, 4088},
}

// ioProcNames names the I/O functions (regproc input and output) and the
// access methods' handlers (pg_am.amhandler): they are not rows of
// pg_proc, which lists OmenDB's SQL-callable functions.
var ioProcNames = map[uint32]string{
	3: "heap_tableam_handler", 330: "bthandler", 331: "hashhandler",
	3504: "enum_in", 3505: "enum_out", 3532: "enum_recv", 3533: "enum_send",
	31: "byteaout", 33: "charout", 34: "namein", 35: "nameout", 38: "int2in", 39: "int2out", 40: "int2vectorin", 41: "int2vectorout", 42: "int4in", 43: "int4out", 44: "regprocin", 45: "regprocout", 46: "textin", 47: "textout", 54: "oidvectorin", 55: "oidvectorout", 109: "unknownin", 110: "unknownout", 200: "float4in", 201: "float4out", 214: "float8in", 215: "float8out", 321: "json_in", 322: "json_out", 323: "json_recv", 324: "json_send", 460: "int8in", 461: "int8out", 750: "array_in", 751: "array_out", 1031: "aclitemin", 1032: "aclitemout", 1044: "bpcharin", 1045: "bpcharout", 1046: "varcharin", 1047: "varcharout", 1084: "date_in", 1085: "date_out", 1143: "time_in", 1144: "time_out", 1150: "timestamptz_in", 1151: "timestamptz_out", 1160: "interval_in", 1161: "interval_out", 1242: "boolin", 1243: "boolout", 1244: "byteain", 1245: "charin", 1312: "timestamp_in", 1313: "timestamp_out", 1701: "numeric_in", 1702: "numeric_out", 1798: "oidin", 1799: "oidout", 2218: "regclassin", 2219: "regclassout", 2220: "regtypein", 2221: "regtypeout", 2290: "record_in", 2291: "record_out", 2298: "void_in", 2299: "void_out", 2300: "trigger_in", 2301: "trigger_out", 3594: "event_trigger_in", 3595: "event_trigger_out", 2302: "language_handler_in", 2303: "language_handler_out", 2304: "internal_in", 2305: "internal_out", 2400: "array_recv", 2401: "array_send", 2402: "record_recv", 2403: "record_send", 2404: "int2recv", 2405: "int2send", 2406: "int4recv", 2407: "int4send", 2408: "int8recv", 2409: "int8send", 2410: "int2vectorrecv", 2411: "int2vectorsend", 2412: "bytearecv", 2413: "byteasend", 2414: "textrecv", 2415: "textsend", 2416: "unknownrecv", 2417: "unknownsend", 2418: "oidrecv", 2419: "oidsend", 2420: "oidvectorrecv", 2421: "oidvectorsend", 2422: "namerecv", 2423: "namesend", 2424: "float4recv", 2425: "float4send", 2426: "float8recv", 2427: "float8send", 2430: "bpcharrecv", 2431: "bpcharsend", 2432: "varcharrecv", 2433: "varcharsend", 2434: "charrecv", 2435: "charsend", 2436: "boolrecv", 2437: "boolsend", 2444: "regprocrecv", 2445: "regprocsend", 2452: "regclassrecv", 2453: "regclasssend", 2454: "regtyperecv", 2455: "regtypesend", 2460: "numeric_recv", 2461: "numeric_send", 2468: "date_recv", 2469: "date_send", 2470: "time_recv", 2471: "time_send", 2474: "timestamp_recv", 2475: "timestamp_send", 2476: "timestamptz_recv", 2477: "timestamptz_send", 2478: "interval_recv", 2479: "interval_send", 2952: "uuid_in", 2953: "uuid_out", 2961: "uuid_recv", 2962: "uuid_send", 3120: "void_recv", 3121: "void_send", 3803: "jsonb_send", 3804: "jsonb_out", 3805: "jsonb_recv", 3806: "jsonb_in", 4084: "regnamespacein", 4085: "regnamespaceout", 4087: "regnamespacerecv", 4088: "regnamespacesend",
}

// vRegproc is a regproc value of one of PostgreSQL's internal functions
// that catalogs name (ioProcNames), printed by name; 0 prints "-".
func vRegproc(oid uint32) types.Value {
	if n, ok := ioProcNames[oid]; ok {
		return types.NewRegName(oid, n)
	}
	return vOID(oid)
}

// ioProcByName is the inverse of ioProcNames.
var ioProcByName = func() map[string]uint32 {
	m := map[string]uint32{}
	for oid, n := range ioProcNames {
		m[n] = oid
	}
	return m
}()
