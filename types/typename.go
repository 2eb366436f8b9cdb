package types

import (
	"strconv"
	"strings"

	"github.com/omendb/omendb/pgerr"
)

// TypeName returns PostgreSQL's format_type(oid, typmod) for t: "integer",
// "character varying(10)", "numeric(12,2)", "timestamp with time zone", …
// A bpchar without typmod is "bpchar", as format_type(1042, -1) prints it.
func TypeName(t Type) string {
	if t.Enum != nil {
		name := EnumTypeName(t.Enum)
		if IsEnumArray(t) {
			return name + "[]"
		}
		return name
	}
	switch t.OID {
	case OIDBool:
		return "boolean"
	case OIDBytea:
		return "bytea"
	case OIDChar:
		return `"char"`
	case OIDName:
		return "name"
	case OIDInt8:
		return "bigint"
	case OIDInt2:
		return "smallint"
	case OIDInt4:
		return "integer"
	case OIDRegproc:
		return "regproc"
	case OIDRegprocedure:
		return "regprocedure"
	case OIDText:
		return "text"
	case OIDOID:
		return "oid"
	case OIDJSON:
		return "json"
	case OIDFloat4:
		return "real"
	case OIDFloat8:
		return "double precision"
	case OIDBPChar:
		if t.Mod >= 4 {
			return "character(" + strconv.Itoa(int(t.Mod-4)) + ")"
		}
		return "bpchar"
	case OIDVarchar:
		if t.Mod >= 4 {
			return "character varying(" + strconv.Itoa(int(t.Mod-4)) + ")"
		}
		return "character varying"
	case OIDDate:
		return "date"
	case OIDTime:
		if t.Mod >= 0 {
			return "time(" + strconv.Itoa(int(t.Mod)) + ") without time zone"
		}
		return "time without time zone"
	case OIDTimestamp:
		if t.Mod >= 0 {
			return "timestamp(" + strconv.Itoa(int(t.Mod)) + ") without time zone"
		}
		return "timestamp without time zone"
	case OIDTimestampTZ:
		if t.Mod >= 0 {
			return "timestamp(" + strconv.Itoa(int(t.Mod)) + ") with time zone"
		}
		return "timestamp with time zone"
	case OIDInterval:
		if t.Mod >= 0 && t.Mod&0xffff != 0xffff {
			return "interval(" + strconv.Itoa(int(t.Mod&0xffff)) + ")"
		}
		return "interval"
	case OIDNumeric:
		if p, s, ok := numericTypmod(t.Mod); ok {
			return "numeric(" + strconv.Itoa(int(p)) + "," + strconv.Itoa(int(s)) + ")"
		}
		return "numeric"
	case OIDRegclass:
		return "regclass"
	case OIDRegtype:
		return "regtype"
	case OIDUUID:
		return "uuid"
	case OIDJSONPath:
		return "jsonpath"
	case OIDInet:
		return "inet"
	case OIDCIDR:
		return "cidr"
	case OIDJSONB:
		return "jsonb"
	case OIDRegnamespace:
		return "regnamespace"
	case OIDXid:
		return "xid"
	case OIDXid8:
		return "xid8"
	case OIDTextArray:
		return "text[]"
	case OIDInt4Array:
		return "integer[]"
	case OIDInt8Array:
		return "bigint[]"
	case OIDOIDArray:
		return "oid[]"
	case OIDNameArray:
		return "name[]"
	case OIDInt2Vector:
		return "int2vector"
	case OIDOIDVector:
		return "oidvector"
	case OIDVoid:
		return "void"
	case OIDAclItem:
		return "aclitem"
	case OIDRecord:
		return "record"
	case OIDUnknown:
		return "unknown"
	}
	if n, ok := pseudoTypes[t.OID]; ok {
		return n
	}
	if IsArray(t.OID) {
		return TypeName(ElemType(t)) + "[]"
	}
	return "???"
}

// EnumTypeName is format_type of an enum type: its name, qualified with
// its schema unless that is public (on the search path) or its name would
// need quotes.
func EnumTypeName(e *Enum) string {
	if e.stub {
		return strconv.Itoa(int(e.OID))
	}
	name := QuoteIdent(e.Name)
	if e.Schema != "public" && e.Schema != "" && !strings.HasPrefix(e.Schema, "pg_temp_") {
		return QuoteIdent(e.Schema) + "." + name
	}
	return name
}

// QuoteIdent quotes an identifier when PostgreSQL's quote_ident would: it
// is not all lower-case letters, digits and underscores starting with a
// letter or underscore, or it is a keyword that needs quoting.
func QuoteIdent(s string) string {
	ok := s != ""
	for i := 0; i < len(s) && ok; i++ {
		c := s[i]
		ok = c == '_' || c >= 'a' && c <= 'z' || i > 0 && c >= '0' && c <= '9'
	}
	if ok && !reservedWord[s] {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// reservedWord lists the keywords quote_ident quotes (PostgreSQL's
// reserved, type-function-name and column-name keywords most likely to be
// used as identifiers).
var reservedWord = map[string]bool{
	"all": true, "analyse": true, "analyze": true, "and": true, "any": true, "array": true, "as": true, "asc": true,
	"asymmetric": true, "both": true, "case": true, "cast": true, "check": true, "collate": true, "column": true,
	"constraint": true, "create": true, "current_catalog": true, "current_date": true, "current_role": true,
	"current_time": true, "current_timestamp": true, "current_user": true, "default": true, "deferrable": true,
	"desc": true, "distinct": true, "do": true, "else": true, "end": true, "except": true, "false": true,
	"fetch": true, "for": true, "foreign": true, "from": true, "grant": true, "group": true, "having": true,
	"in": true, "initially": true, "intersect": true, "into": true, "lateral": true, "leading": true, "limit": true,
	"localtime": true, "localtimestamp": true, "not": true, "null": true, "offset": true, "on": true, "only": true,
	"or": true, "order": true, "placing": true, "primary": true, "references": true, "returning": true,
	"select": true, "session_user": true, "some": true, "symmetric": true, "table": true, "then": true, "to": true,
	"trailing": true, "true": true, "union": true, "unique": true, "user": true, "using": true, "variadic": true,
	"when": true, "where": true, "window": true, "with": true, "authorization": true, "binary": true,
	"collation": true, "concurrently": true, "cross": true, "current_schema": true, "freeze": true, "full": true,
	"ilike": true, "inner": true, "is": true, "isnull": true, "join": true, "left": true, "like": true,
	"natural": true, "notnull": true, "outer": true, "overlaps": true, "right": true, "similar": true,
	"tablesample": true, "verbose": true, "between": true, "bigint": true, "bit": true, "boolean": true,
	"char": true, "character": true, "coalesce": true, "dec": true, "decimal": true, "exists": true,
	"extract": true, "float": true, "greatest": true, "grouping": true, "inout": true, "int": true,
	"integer": true, "interval": true, "least": true, "national": true, "nchar": true, "none": true,
	"normalize": true, "nullif": true, "numeric": true, "out": true, "overlay": true, "position": true,
	"precision": true, "real": true, "row": true, "setof": true, "smallint": true, "substring": true,
	"time": true, "timestamp": true, "treat": true, "trim": true, "values": true, "varchar": true,
	"xmlattributes": true, "xmlconcat": true, "xmlelement": true, "xmlexists": true, "xmlforest": true,
	"xmlnamespaces": true, "xmlparse": true, "xmlpi": true, "xmlroot": true, "xmlserialize": true, "xmltable": true,
}

// pseudoTypes are the pseudo-types catalog queries name (sql/pgcatalog's
// pg_type): no column or value has one.
var pseudoTypes = map[OID]string{2279: "trigger", 3838: "event_trigger", 2280: "language_handler", 2281: "internal",
	2275: "cstring", 2277: "anyarray", 3500: "anyenum"}

var typeNames = map[string]OID{
	"bool": OIDBool, "boolean": OIDBool,
	"bytea": OIDBytea, "char": OIDChar, "name": OIDName,
	"int8": OIDInt8, "bigint": OIDInt8, "int2": OIDInt2, "smallint": OIDInt2,
	"int4": OIDInt4, "int": OIDInt4, "integer": OIDInt4,
	"regproc": OIDRegproc, "regprocedure": OIDRegprocedure, "text": OIDText, "oid": OIDOID,
	"json": OIDJSON, "float4": OIDFloat4, "real": OIDFloat4,
	"float8": OIDFloat8, "double precision": OIDFloat8, "float": OIDFloat8,
	"bpchar": OIDBPChar, "character": OIDBPChar,
	"varchar": OIDVarchar, "character varying": OIDVarchar,
	"date": OIDDate, "time": OIDTime, "time without time zone": OIDTime,
	"timestamp": OIDTimestamp, "timestamp without time zone": OIDTimestamp,
	"timestamptz": OIDTimestampTZ, "timestamp with time zone": OIDTimestampTZ,
	"interval": OIDInterval, "numeric": OIDNumeric, "decimal": OIDNumeric,
	"regclass": OIDRegclass, "regtype": OIDRegtype, "regnamespace": OIDRegnamespace,
	"uuid": OIDUUID, "inet": OIDInet, "cidr": OIDCIDR, "jsonb": OIDJSONB, "unknown": OIDUnknown, "jsonpath": OIDJSONPath, "_jsonpath": OIDJSONPathArray,
	"int2vector": OIDInt2Vector, "oidvector": OIDOIDVector, "void": OIDVoid, "record": OIDRecord,
	"_bool": OIDBoolArray, "_bytea": OIDByteaArray, "_char": OIDCharArray, "_name": OIDNameArray,
	"_int2": OIDInt2Array, "_int4": OIDInt4Array, "_regproc": OIDRegprocArray, "_regprocedure": OIDRegprocedureArr, "_text": OIDTextArray,
	"_oid": OIDOIDArray, "_bpchar": OIDBPCharArray, "_varchar": OIDVarcharArray, "_int8": OIDInt8Array,
	"_float4": OIDFloat4Array, "_float8": OIDFloat8Array, "_timestamp": OIDTimestampArray,
	"_date": OIDDateArray, "_time": OIDTimeArray, "_timestamptz": OIDTimestampTZArray,
	"_interval": OIDIntervalArray, "_numeric": OIDNumericArray, "_json": OIDJSONArray,
	"_regclass": OIDRegclassArray, "_regtype": OIDRegtypeArray, "_uuid": OIDUUIDArray, "_inet": OIDInetArray, "_cidr": OIDCIDRArray,
	"_jsonb": OIDJSONBArray, "_regnamespace": OIDRegnamespaceArr,
	"aclitem": OIDAclItem, "_aclitem": OIDAclItemArray,
}

// ParseTypeName resolves a type name as pg_query gives it (["pg_catalog",
// "int4"], ["varchar"], …) with its typmod arguments (varchar(10) → [10],
// numeric(12,2) → [12, 2]) to a Type. Unknown names give 42704.
func ParseTypeName(names []string, mods []int32) (Type, error) {
	if len(names) == 0 {
		return Unknown, pgerr.New(pgerr.UndefinedObject, "type \"\" does not exist")
	}
	qualified := len(names) == 2 && strings.EqualFold(names[0], "pg_catalog")
	if len(names) > 2 || (len(names) == 2 && !qualified) {
		return Unknown, pgerr.New(pgerr.UndefinedObject, "type \"%s\" does not exist", strings.Join(names, "."))
	}
	name := strings.ToLower(names[len(names)-1])
	o, ok := typeNames[name]
	if !ok {
		return Unknown, pgerr.New(pgerr.UndefinedObject, "type \"%s\" does not exist", names[len(names)-1])
	}
	// float(p): 1..24 is real, 25..53 double precision.
	if name == "float" && len(mods) == 1 {
		switch p := mods[0]; {
		case p < 1:
			return Unknown, pgerr.New(pgerr.InvalidParameterValue, "precision for type float must be at least 1 bit")
		case p <= 24:
			return Float4, nil
		case p <= 53:
			return Float8, nil
		default:
			return Unknown, pgerr.New(pgerr.InvalidParameterValue, "precision for type float must be less than 54 bits")
		}
	}
	t := Type{OID: o, Mod: -1}
	switch o {
	case OIDVarchar, OIDBPChar:
		if len(mods) > 1 {
			return Unknown, pgerr.New(pgerr.SyntaxError, "invalid type modifier")
		}
		if len(mods) == 1 {
			tn := "varchar"
			if o == OIDBPChar {
				tn = "char"
			}
			if mods[0] < 1 {
				return Unknown, pgerr.New(pgerr.InvalidParameterValue, "length for type %s must be at least 1", tn)
			}
			if mods[0] > 10485760 {
				return Unknown, pgerr.New(pgerr.InvalidParameterValue, "length for type %s cannot exceed 10485760", tn)
			}
			t.Mod = mods[0] + 4
		}
	case OIDNumeric:
		switch len(mods) {
		case 0:
		case 1, 2:
			p := mods[0]
			var s int32
			if len(mods) == 2 {
				s = mods[1]
			}
			if p < 1 || p > numericMaxPrecision {
				return Unknown, pgerr.New(pgerr.InvalidParameterValue, "NUMERIC precision %d must be between 1 and %d", p, numericMaxPrecision)
			}
			if s < -1000 || s > 1000 {
				return Unknown, pgerr.New(pgerr.InvalidParameterValue, "NUMERIC scale %d must be between %d and %d", s, -1000, 1000)
			}
			t.Mod = NumericTypmod(p, s)
		default:
			return Unknown, pgerr.New(pgerr.SyntaxError, "invalid NUMERIC type modifier")
		}
	case OIDTimestamp, OIDTimestampTZ, OIDTime:
		if len(mods) > 1 {
			return Unknown, pgerr.New(pgerr.SyntaxError, "invalid type modifier")
		}
		if len(mods) == 1 {
			p := mods[0]
			if p < 0 {
				return Unknown, pgerr.New(pgerr.InvalidParameterValue, "TIMESTAMP(%d) precision must not be negative", p)
			}
			if p > 6 {
				p = 6 // PostgreSQL warns and reduces
			}
			t.Mod = p
		}
	case OIDInterval:
		// Interval field restrictions (YEAR TO MONTH …) are accepted and ignored.
	default:
		if len(mods) > 0 {
			return Unknown, pgerr.New(pgerr.SyntaxError, "type modifier is not allowed for type \"%s\"", name)
		}
	}
	return t, nil
}
