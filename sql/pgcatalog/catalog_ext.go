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
		return [4]uint32{3506, 3507, 3532, 3533}
	}
	return [4]uint32{}
}

// ioProcs are the I/O functions of the built-in non-array types.
var ioProcs = map[types.OID][4]uint32{
	16: {1242, 1243, 2436, 2437}, 17: {1244, 31, 2412, 2413}, 18: {1245, 33, 2434, 2435}, 19: {34, 35, 2422, 2423}, 20: {460, 461, 2408, 2409}, 21: {38, 39, 2404, 2405}, 22: {40, 41, 2410, 2411}, 23: {42, 43, 2406, 2407}, 24: {44, 45, 2444, 2445}, 25: {46, 47, 2414, 2415}, 26: {1798, 1799, 2418, 2419}, 30: {54, 55, 2420, 2421}, 114: {321, 322, 323, 324}, 700: {200, 201, 2424, 2425}, 701: {214, 215, 2426, 2427}, 705: {109, 110, 2416, 2417}, 1033: {1031, 1032, 0, 0}, 1042: {1044, 1045, 2430, 2431}, 1043: {1046, 1047, 2432, 2433}, 1082: {1084, 1085, 2468, 2469}, 1083: {1143, 1144, 2470, 2471}, 1114: {1312, 1313, 2474, 2475}, 1184: {1150, 1151, 2476, 2477}, 1186: {1160, 1161, 2478, 2479}, 1700: {1701, 1702, 2460, 2461}, 2205: {2218, 2219, 2452, 2453}, 2206: {2220, 2221, 2454, 2455}, 2249: {2290, 2291, 2402, 2403}, 2278: {2298, 2299, 3120, 3121}, 2279: {2300, 2301, 0, 0}, 3838: {3594, 3595, 0, 0}, 2280: {2302, 2303, 0, 0}, 2281: {2304, 2305, 0, 0}, 2950: {2952, 2953, 2961, 2962}, 3802: {3806, 3804, 3805, 3803}, 4089: {4084, 4085, 4087, 4088}, 2202: {2212, 2213, 2446, 2447}, 2275: {2292, 2293, 2500, 2501}, 2277: {2296, 2297, 2502, 2503}, 3500: {3504, 3505, 0, 0},
}

// ioProcNames names the I/O functions (regproc input and output) and the
// access methods' handlers (pg_am.amhandler): they are not rows of
// pg_proc, which lists OmenDB's SQL-callable functions.
var ioProcNames = map[uint32]string{
	3: "heap_tableam_handler", 330: "bthandler", 331: "hashhandler",
	3506: "enum_in", 3507: "enum_out", 3532: "enum_recv", 3533: "enum_send",
	// The validators pg_language names and plpgsql's handlers.
	2246: "fmgr_internal_validator", 2247: "fmgr_c_validator", 2248: "fmgr_sql_validator",
	2292: "cstring_in", 2293: "cstring_out", 2500: "cstring_recv", 2501: "cstring_send",
	2296: "anyarray_in", 2297: "anyarray_out", 2502: "anyarray_recv", 2503: "anyarray_send",
	3504: "anyenum_in", 3505: "anyenum_out",
	13560: "plpgsql_call_handler", 13561: "plpgsql_inline_handler", 13562: "plpgsql_validator",
	2212: "regprocedurein", 2213: "regprocedureout", 2446: "regprocedurerecv", 2447: "regproceduresend",
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

// ioProcArgs are the argument lists of the functions ioProcNames names, as
// regprocedureout prints them in PostgreSQL 15 (int4in(cstring),
// numeric_in(cstring,oid,integer)).
var ioProcArgs = map[uint32]string{
	3506: "cstring,oid", 3507: "anyenum", 2247: "oid", 2292: "cstring", 2293: "cstring", 2500: "internal", 2501: "cstring",
	2296: "cstring", 2297: "anyarray", 2502: "internal", 2503: "anyarray", 3504: "cstring", 3505: "anyenum",
	3: "internal", 31: "bytea", 33: "\"char\"", 34: "cstring", 35: "name", 38: "cstring", 39: "smallint",
	40: "cstring", 41: "int2vector", 42: "cstring", 43: "integer", 44: "cstring", 45: "regproc", 46: "cstring",
	47: "text", 54: "cstring", 55: "oidvector", 109: "cstring", 110: "unknown", 200: "cstring", 201: "real",
	214: "cstring", 215: "double precision", 321: "cstring", 322: "json", 323: "internal", 324: "json",
	330: "internal", 331: "internal", 460: "cstring", 461: "bigint", 750: "cstring,oid,integer",
	751: "anyarray", 1031: "cstring", 1032: "aclitem", 1044: "cstring,oid,integer", 1045: "character",
	1046: "cstring,oid,integer", 1047: "character varying", 1084: "cstring", 1085: "date",
	1143: "cstring,oid,integer", 1144: "time without time zone", 1150: "cstring,oid,integer",
	1151: "timestamp with time zone", 1160: "cstring,oid,integer", 1161: "interval", 1242: "cstring",
	1243: "boolean", 1244: "cstring", 1245: "cstring", 1312: "cstring,oid,integer",
	1313: "timestamp without time zone", 1701: "cstring,oid,integer", 1702: "numeric", 1798: "cstring",
	1799: "oid", 2212: "cstring", 2213: "regprocedure", 2218: "cstring", 2219: "regclass", 2220: "cstring",
	2221: "regtype", 2246: "oid", 2248: "oid", 2290: "cstring,oid,integer", 2291: "record", 2298: "cstring",
	2299: "void", 2300: "cstring", 2301: "trigger", 2302: "cstring", 2303: "language_handler", 2304: "cstring",
	2305: "internal", 2400: "internal,oid,integer", 2401: "anyarray", 2402: "internal,oid,integer",
	2403: "record", 2404: "internal", 2405: "smallint", 2406: "internal", 2407: "integer", 2408: "internal",
	2409: "bigint", 2410: "internal", 2411: "int2vector", 2412: "internal", 2413: "bytea", 2414: "internal",
	2415: "text", 2416: "internal", 2417: "unknown", 2418: "internal", 2419: "oid", 2420: "internal",
	2421: "oidvector", 2422: "internal", 2423: "name", 2424: "internal", 2425: "real", 2426: "internal",
	2427: "double precision", 2430: "internal,oid,integer", 2431: "character", 2432: "internal,oid,integer",
	2433: "character varying", 2434: "internal", 2435: "\"char\"", 2436: "internal", 2437: "boolean",
	2444: "internal", 2445: "regproc", 2446: "internal", 2447: "regprocedure", 2452: "internal",
	2453: "regclass", 2454: "internal", 2455: "regtype", 2460: "internal,oid,integer", 2461: "numeric",
	2468: "internal", 2469: "date", 2470: "internal,oid,integer", 2471: "time without time zone",
	2474: "internal,oid,integer", 2475: "timestamp without time zone", 2476: "internal,oid,integer",
	2477: "timestamp with time zone", 2478: "internal,oid,integer", 2479: "interval", 2952: "cstring",
	2953: "uuid", 2961: "internal", 2962: "uuid", 3120: "internal", 3121: "void", 3532: "internal,oid", 3533: "anyenum", 3594: "cstring", 3595: "event_trigger",
	3803: "jsonb", 3804: "jsonb", 3805: "internal", 3806: "cstring", 4084: "cstring", 4085: "regnamespace",
	4087: "internal", 4088: "regnamespace", 13560: "", 13561: "internal", 13562: "oid",
}
