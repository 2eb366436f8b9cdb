package types

import (
	"math"

	"github.com/cockroachdb/apd/v3"
)

// OID is a PostgreSQL type OID. OmenDB uses PostgreSQL's own OIDs so that
// clients (pgx, JDBC, psql) recognise every column type without a lookup.
type OID uint32

// The PostgreSQL type OIDs OmenDB knows.
const (
	OIDUnknown OID = 705
	OIDBool    OID = 16
	OIDBytea   OID = 17
	OIDChar    OID = 18 // "char", the one-byte internal type
	OIDName    OID = 19
	OIDInt8    OID = 20
	OIDInt2    OID = 21
	OIDInt4    OID = 23
	OIDRegproc OID = 24
	// OIDRegprocedure names a function with its argument types (sum(integer)).
	OIDRegprocedure OID = 2202
	OIDText         OID = 25
	OIDOID          OID = 26
	OIDJSON         OID = 114
	OIDFloat4       OID = 700
	OIDFloat8       OID = 701
	OIDBPChar       OID = 1042
	OIDVarchar      OID = 1043
	OIDDate         OID = 1082
	OIDTime         OID = 1083
	OIDTimestamp    OID = 1114
	OIDTimestampTZ  OID = 1184
	OIDInterval     OID = 1186
	OIDNumeric      OID = 1700
	OIDRegclass     OID = 2205
	OIDRegtype      OID = 2206
	OIDUUID         OID = 2950
	OIDInet         OID = 869
	OIDCIDR         OID = 650
	OIDJSONB        OID = 3802
	OIDRegnamespace OID = 4089
	OIDTextArray    OID = 1009
	OIDInt4Array    OID = 1007
	OIDInt8Array    OID = 1016
	OIDOIDArray     OID = 1028
	OIDNameArray    OID = 1003
	OIDInt2Vector   OID = 22
	OIDOIDVector    OID = 30
	OIDVoid         OID = 2278
	OIDTrigger      OID = 2279
	OIDRecord       OID = 2249
	// OIDXid and OIDXid8 are transaction ids (pg_locks.transactionid,
	// pg_current_xact_id()): output-only types of integers.
	OIDXid  OID = 28
	OIDXid8 OID = 5069
)

// Type is a column or expression type: a PostgreSQL type OID plus its type
// modifier. Mod follows PostgreSQL's atttypmod exactly so that catalog
// emulation can show it unchanged: -1 for none; varchar(n) and char(n) store
// n+4; numeric(p,s) stores ((p<<16)|s)+4; timestamp(p) stores p.
type Type struct {
	OID OID
	Mod int32
	// Enum is the definition of a user-defined enum type, for the enum
	// type and for its array type (enum.go); nil for every other type.
	Enum *Enum `json:",omitempty"`
	// Rec lists the field types of an anonymous record (ROW(…), typed
	// record); nil for every other type (array.go).
	Rec *Record `json:",omitempty"`
}

// Common unmodified types.
var (
	Unknown     = Type{OID: OIDUnknown, Mod: -1}
	Bool        = Type{OID: OIDBool, Mod: -1}
	Int2        = Type{OID: OIDInt2, Mod: -1}
	Int4        = Type{OID: OIDInt4, Mod: -1}
	Int8        = Type{OID: OIDInt8, Mod: -1}
	Float4      = Type{OID: OIDFloat4, Mod: -1}
	Float8      = Type{OID: OIDFloat8, Mod: -1}
	Numeric     = Type{OID: OIDNumeric, Mod: -1}
	Text        = Type{OID: OIDText, Mod: -1}
	Varchar     = Type{OID: OIDVarchar, Mod: -1}
	BPChar      = Type{OID: OIDBPChar, Mod: -1}
	Bytea       = Type{OID: OIDBytea, Mod: -1}
	Date        = Type{OID: OIDDate, Mod: -1}
	Timestamp   = Type{OID: OIDTimestamp, Mod: -1}
	TimestampTZ = Type{OID: OIDTimestampTZ, Mod: -1}
	Interval    = Type{OID: OIDInterval, Mod: -1}
	UUID        = Type{OID: OIDUUID, Mod: -1}
	Inet        = Type{OID: OIDInet, Mod: -1}
	CIDR        = Type{OID: OIDCIDR, Mod: -1}
	JSON        = Type{OID: OIDJSON, Mod: -1}
	JSONB       = Type{OID: OIDJSONB, Mod: -1}
	OIDType     = Type{OID: OIDOID, Mod: -1}
	Name        = Type{OID: OIDName, Mod: -1}
	Xid         = Type{OID: OIDXid, Mod: -1}
	Xid8        = Type{OID: OIDXid8, Mod: -1}
)

// Kind is the physical representation of a Value. Several SQL types share a
// kind (smallint, integer and bigint are all KindInt; text, varchar, char and
// name are all KindText); the Type carried next to a value says which.
type Kind uint8

// Value kinds.
const (
	KindNull Kind = iota
	KindBool
	KindInt         // I: int16/int32/int64 values, and oid/reg* types
	KindFloat       // I holds math.Float64bits (real and double precision)
	KindNumeric     // N: exact decimal; never nil for a non-null numeric
	KindText        // S: text, varchar, char(n) (padded), name, "char"
	KindBytes       // S: raw bytes of a bytea
	KindDate        // I: days since 1970-01-01; math.MinInt64/MaxInt64 are -infinity/infinity
	KindTimestamp   // I: microseconds since 1970-01-01 00:00:00, no zone
	KindTimestampTZ // I: microseconds since 1970-01-01 00:00:00 UTC
	KindInterval    // I: microseconds; I2: months<<32 | uint32(days). Also time (without time zone): I = µs since midnight, I2 = 0
	KindUUID        // S: the 16 raw bytes
	KindJSON        // S: the JSON text (json and jsonb; jsonb normalised on input)
	KindArray       // S: the elements encoded as a row (EncodeRow); I: the element count (array.go)
	KindInet        // S: inet/cidr in an order-preserving form of family, bits and address (inet.go)
)

// Value is one SQL datum. The zero Value is NULL. Values are immutable once
// built: S and N may be shared between copies, so never mutate them.
type Value struct {
	K  Kind
	I  int64
	I2 int64
	S  string
	N  *apd.Decimal
}

// Null is the SQL NULL.
var Null = Value{}

// IsNull reports whether v is NULL.
func (v Value) IsNull() bool { return v.K == KindNull }

// NewBool returns a boolean value.
func NewBool(b bool) Value {
	if b {
		return Value{K: KindBool, I: 1}
	}
	return Value{K: KindBool}
}

// NewInt returns an integer value.
func NewInt(i int64) Value { return Value{K: KindInt, I: i} }

// NewFloat returns a floating-point value.
func NewFloat(f float64) Value { return Value{K: KindFloat, I: int64(math.Float64bits(f))} }

// NewNumeric returns an exact decimal value. d must not be mutated afterwards.
func NewNumeric(d *apd.Decimal) Value { return Value{K: KindNumeric, N: d} }

// NewText returns a text value.
func NewText(s string) Value { return Value{K: KindText, S: s} }

// NewBytes returns a bytea value.
func NewBytes(b []byte) Value { return Value{K: KindBytes, S: string(b)} }

// NewDate returns a date from days since 1970-01-01.
func NewDate(days int64) Value { return Value{K: KindDate, I: days} }

// NewTimestamp returns a timestamp without time zone (µs since the epoch).
func NewTimestamp(us int64) Value { return Value{K: KindTimestamp, I: us} }

// NewTimestampTZ returns a timestamp with time zone (µs since the epoch, UTC).
func NewTimestampTZ(us int64) Value { return Value{K: KindTimestampTZ, I: us} }

// NewInterval returns an interval of months, days and microseconds, kept
// apart as PostgreSQL does.
func NewInterval(months, days int32, us int64) Value {
	return Value{K: KindInterval, I: us, I2: int64(months)<<32 | int64(uint32(days))}
}

// NewUUID returns a uuid from its 16 bytes.
func NewUUID(b [16]byte) Value { return Value{K: KindUUID, S: string(b[:])} }

// NewJSON returns a json/jsonb value from its text.
func NewJSON(s string) Value { return Value{K: KindJSON, S: s} }

// Bool returns the boolean of a KindBool value.
func (v Value) Bool() bool { return v.I != 0 }

// Float returns the float64 of a KindFloat value.
func (v Value) Float() float64 { return math.Float64frombits(uint64(v.I)) }

// Months returns the month part of an interval.
func (v Value) Months() int32 { return int32(v.I2 >> 32) }

// Days returns the day part of an interval.
func (v Value) Days() int32 { return int32(uint32(v.I2)) }

// KindOf returns the physical kind used for values of the type with OID o.
func KindOf(o OID) Kind {
	switch o {
	case OIDBool:
		return KindBool
	case OIDInt2, OIDInt4, OIDInt8, OIDOID, OIDRegclass, OIDRegtype, OIDRegproc, OIDRegprocedure, OIDRegnamespace, OIDXid, OIDXid8:
		return KindInt
	case OIDFloat4, OIDFloat8:
		return KindFloat
	case OIDNumeric:
		return KindNumeric
	case OIDText, OIDVarchar, OIDBPChar, OIDName, OIDChar, OIDUnknown:
		return KindText
	case OIDBytea:
		return KindBytes
	case OIDDate:
		return KindDate
	case OIDTimestamp:
		return KindTimestamp
	case OIDTimestampTZ:
		return KindTimestampTZ
	case OIDInterval, OIDTime:
		return KindInterval
	case OIDUUID:
		return KindUUID
	case OIDInet, OIDCIDR:
		return KindInet
	case OIDJSON, OIDJSONB:
		return KindJSON
	}
	if IsArray(o) {
		return KindArray
	}
	return KindText
}

// WithoutMod returns t without its type modifier (an enum type keeps its
// definition).
func (t Type) WithoutMod() Type {
	t.Mod = -1
	return t
}
