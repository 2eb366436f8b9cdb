package types

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/omendb/omendb/pgerr"
)

func isIntOID(o OID) bool   { return o == OIDInt2 || o == OIDInt4 || o == OIDInt8 }
func isFloatOID(o OID) bool { return o == OIDFloat4 || o == OIDFloat8 }
func isNumOID(o OID) bool   { return isIntOID(o) || isFloatOID(o) || o == OIDNumeric }
func isStrOID(o OID) bool {
	return o == OIDText || o == OIDVarchar || o == OIDBPChar || o == OIDName || o == OIDChar
}
func isRegOID(o OID) bool {
	return o == OIDOID || o == OIDRegclass || o == OIDRegtype || o == OIDRegproc || o == OIDRegprocedure || o == OIDRegnamespace
}
func isDTOID(o OID) bool { return o == OIDDate || o == OIDTimestamp || o == OIDTimestampTZ }

// IsRegOID reports whether o is oid or one of its reg* aliases: their
// values are the same object IDs and compare as such.
func IsRegOID(o OID) bool { return isRegOID(o) }

// knownOID reports whether OmenDB has I/O functions for the type.
func knownOID(o OID) bool {
	switch o {
	case OIDBool, OIDBytea, OIDChar, OIDName, OIDInt8, OIDInt2, OIDInt4, OIDRegproc, OIDRegprocedure, OIDText, OIDOID,
		OIDJSON, OIDFloat4, OIDFloat8, OIDBPChar, OIDVarchar, OIDDate, OIDTimestamp, OIDTimestampTZ,
		OIDInterval, OIDNumeric, OIDRegclass, OIDRegtype, OIDUUID, OIDJSONB, OIDRegnamespace, OIDUnknown, OIDTime,
		OIDAclItem, OIDJSONPath, OIDInet, OIDCIDR:
		return true
	}
	return IsArray(o)
}

// CanCast reports whether PostgreSQL allows a cast from one type to another;
// explicit is true for CAST/::, false for assignment (INSERT/UPDATE) casts.
func CanCast(from, to Type, explicit bool) bool {
	f, t := from.OID, to.OID
	if f == OIDRecord && from.Rec != nil {
		return isStrOID(t) // record_out: assignment or better
	}
	if from.Enum == nil && !knownOID(f) || to.Enum == nil && !knownOID(t) {
		return false
	}
	if f == t || f == OIDUnknown {
		return true
	}
	if IsEnum(from) || IsEnum(to) {
		// Only the I/O conversions: to a string type (assignment), from
		// one (explicit).
		return IsEnum(from) && isStrOID(t) || isStrOID(f) && explicit
	}
	if IsArrayType(from) || IsArrayType(to) {
		switch {
		case IsArrayType(from) && IsArrayType(to):
			return CanCast(ElemType(from), ElemType(to), explicit)
		case IsArrayType(from):
			return isStrOID(t) // array_out: assignment or better
		default:
			return isStrOID(f) && explicit // array_in
		}
	}
	switch {
	case isNumOID(f) && isNumOID(t):
		return true
	case isStrOID(t):
		return true // anything → string types: assignment or better
	case isStrOID(f):
		if isStrOID(t) {
			return true
		}
		if f == OIDText || f == OIDVarchar || f == OIDBPChar {
			if t == OIDRegclass {
				return true // text → regclass is implicit
			}
		}
		return explicit // I/O conversion from a string type
	case isDTOID(f) && isDTOID(t):
		return true
	case t == OIDTime && (f == OIDTimestamp || f == OIDTimestampTZ || f == OIDInterval), f == OIDTime && t == OIDInterval:
		return true
	case (f == OIDJSON && t == OIDJSONB) || (f == OIDJSONB && t == OIDJSON):
		return true
	case (f == OIDInet || f == OIDCIDR) && (t == OIDInet || t == OIDCIDR):
		return true // cidr → inet implicit, inet → cidr assignment
	case f == OIDBool && t == OIDInt4, f == OIDInt4 && t == OIDBool:
		return explicit
	case isRegOID(f) && isRegOID(t):
		return true
	case (f == OIDInt4 || f == OIDInt8 || f == OIDInt2) && isRegOID(t):
		return true
	case isRegOID(f) && (t == OIDInt4 || t == OIDInt8):
		return true
	case f == OIDJSONB && (t == OIDBool || isNumOID(t)):
		return explicit
	}
	return false
}

func cannotCast(from, to Type) error {
	return pgerr.New("42846", "cannot cast type %s to %s", TypeName(from), TypeName(to))
}

// Cast converts v from type `from` to type `to` with PostgreSQL's semantics.
func Cast(v Value, from, to Type, explicit bool, loc *time.Location) (Value, error) {
	if !CanCast(from, to, explicit) {
		return Null, cannotCast(from, to)
	}
	if v.IsNull() {
		return Null, nil
	}
	f, t := from.OID, to.OID
	if f == OIDUnknown {
		if v.K == KindText {
			return ParseText(to, v.S, loc)
		}
		f = OIDText
	}
	switch {
	case f == t && IsArrayType(to):
		if to.Mod == from.Mod || to.Mod < 0 {
			return v, nil
		}
		return castArray(v, from, to, explicit, loc)
	case f == t:
		return applyTypmod(v, to, explicit)
	case IsArrayType(from) && IsArrayType(to):
		return castArray(v, from, to, explicit, loc)
	case isNumOID(f) && isNumOID(t):
		return castNumber(v, f, to)
	case isRegOID(t) && (isIntOID(f) || isRegOID(f)):
		if v.K == KindInt && (v.I < 0 || v.I > math.MaxUint32) {
			if f == OIDInt8 {
				return Null, pgerr.New(pgerr.NumericValueOutOfRange, "OID out of range")
			}
			return NewInt(int64(uint32(v.I))), nil
		}
		return v, nil
	case isRegOID(f) && isIntOID(t):
		if t == OIDInt4 {
			return NewInt(int64(int32(uint32(v.I)))), nil
		}
		return NewInt(int64(uint32(v.I))), nil
	case isStrOID(f) && isStrOID(t):
		s := v.S
		if f == OIDBPChar && t != OIDBPChar {
			s = trimTrailingSpaces(s)
		}
		switch t {
		case OIDName:
			return NewText(truncName(s)), nil
		case OIDChar:
			if s == "" {
				return NewText(""), nil
			}
			return NewText(s[:1]), nil
		}
		r, err := coerceChar(s, to, explicit)
		if err != nil {
			return Null, err
		}
		return NewText(r), nil
	case f == OIDCIDR && t == OIDInet:
		return v, nil
	case f == OIDInet && t == OIDCIDR: // cidr(inet): host bits zeroed
		a := InetOf(v)
		return NewInet(a.Masked(a.Bits, false)), nil
	case isStrOID(t):
		s := TextString(v, from, loc)
		if f == OIDInet || f == OIDCIDR { // text(inet): always with /bits
			s = string(AppendInetShow(nil, v))
		}
		if f == OIDBool { // booltext: 'true'/'false', not boolout's t/f
			s = "false"
			if v.Bool() {
				s = "true"
			}
		}
		if t == OIDName {
			return NewText(truncName(s)), nil
		}
		if t == OIDChar {
			if s == "" {
				return NewText(""), nil
			}
			return NewText(s[:1]), nil
		}
		r, err := coerceChar(s, to, explicit)
		if err != nil {
			return Null, err
		}
		return NewText(r), nil
	case isStrOID(f):
		s := v.S
		if f == OIDBPChar {
			s = trimTrailingSpaces(s)
		}
		return ParseText(to, s, loc)
	case isDTOID(f) && isDTOID(t):
		return castDateTime(v, f, to, loc)
	case t == OIDTime:
		switch f {
		case OIDInterval: // interval_time
			return NewTime(roundTime(floorMod(v.I, usPerDay), to.Mod)), nil
		case OIDTimestamp, OIDTimestampTZ:
			if v.I == NegInfinity || v.I == PosInfinity {
				return Null, nil
			}
			us := v.I
			if f == OIDTimestampTZ {
				us += zoneOffset(us, loc) * usPerSec
			}
			return NewTime(roundTime(floorMod(us, usPerDay), to.Mod)), nil
		}
	case f == OIDTime && t == OIDInterval:
		return NewInterval(0, 0, v.I), nil
	case f == OIDJSON && t == OIDJSONB:
		out, err := normalizeJSONB(v.S)
		if err != nil {
			return Null, err
		}
		return NewJSON(out), nil
	case f == OIDJSONB && t == OIDJSON:
		return v, nil
	case f == OIDJSONB:
		return castJSONBScalar(v, to)
	case f == OIDBool && t == OIDInt4:
		return NewInt(v.I & 1), nil
	case f == OIDInt4 && t == OIDBool:
		return NewBool(v.I != 0), nil
	}
	return Null, cannotCast(from, to)
}

// applyTypmod coerces a value to the typmod of its own type (length
// coercion): varchar(n)/char(n), numeric(p,s), timestamp(p).
func applyTypmod(v Value, to Type, explicit bool) (Value, error) {
	switch to.OID {
	case OIDVarchar, OIDBPChar:
		r, err := coerceChar(v.S, to, explicit)
		if err != nil {
			return Null, err
		}
		return NewText(r), nil
	case OIDNumeric:
		d, err := applyNumericTypmod(v.N, to.Mod)
		if err != nil {
			return Null, err
		}
		return NewNumeric(d), nil
	case OIDTimestamp, OIDTimestampTZ, OIDTime:
		v.I = roundTimestamp(v.I, to.Mod)
		return v, nil
	case OIDFloat4:
		return NewFloat(float64(float32(v.Float()))), nil
	}
	return v, nil
}

func intRange(o OID) (int64, int64, string) {
	switch o {
	case OIDInt2:
		return math.MinInt16, math.MaxInt16, "smallint"
	case OIDInt4:
		return math.MinInt32, math.MaxInt32, "integer"
	}
	return math.MinInt64, math.MaxInt64, "bigint"
}

func castNumber(v Value, f OID, to Type) (Value, error) {
	t := to.OID
	switch {
	case isIntOID(t):
		lo, hi, name := intRange(t)
		outOfRange := pgerr.New(pgerr.NumericValueOutOfRange, "%s out of range", name)
		switch v.K {
		case KindInt:
			if v.I < lo || v.I > hi {
				return Null, outOfRange
			}
			return v, nil
		case KindFloat:
			x := math.RoundToEven(v.Float())
			if math.IsNaN(x) || x < float64(lo) || x >= -float64(lo) {
				return Null, outOfRange
			}
			return NewInt(int64(x)), nil
		case KindNumeric:
			d := v.N
			switch d.Form {
			case apd.NaN, apd.NaNSignaling:
				return Null, pgerr.New(pgerr.FeatureNotSupported, "cannot convert NaN to %s", name)
			case apd.Infinite:
				return Null, pgerr.New(pgerr.FeatureNotSupported, "cannot convert infinity to %s", name)
			}
			r := roundScale(d, 0)
			if !r.Coeff.IsInt64() {
				return Null, outOfRange
			}
			i := r.Coeff.Int64()
			if r.Negative {
				i = -i
			}
			if i < lo || i > hi {
				return Null, outOfRange
			}
			return NewInt(i), nil
		}
	case isFloatOID(t):
		var x float64
		switch v.K {
		case KindInt:
			x = float64(v.I)
		case KindFloat:
			x = v.Float()
		case KindNumeric:
			switch v.N.Form {
			case apd.NaN, apd.NaNSignaling:
				x = canonicalNaN
			case apd.Infinite:
				x = math.Inf(1)
				if v.N.Negative {
					x = math.Inf(-1)
				}
			default:
				s := v.N.Text('e')
				var err error
				x, err = strconv.ParseFloat(s, 64)
				if err != nil || math.IsInf(x, 0) {
					name := "double precision"
					if t == OIDFloat4 {
						name = "real"
					}
					return Null, pgerr.New(pgerr.NumericValueOutOfRange, "\"%s\" is out of range for type %s", v.N.Text('f'), name)
				}
				if t == OIDFloat4 {
					x32, err := strconv.ParseFloat(s, 32)
					if err != nil || math.IsInf(x32, 0) {
						return Null, pgerr.New(pgerr.NumericValueOutOfRange, "\"%s\" is out of range for type real", v.N.Text('f'))
					}
					return NewFloat(x32), nil
				}
			}
		}
		if t == OIDFloat4 {
			x32 := float32(x)
			if math.IsInf(float64(x32), 0) && !math.IsInf(x, 0) {
				return Null, pgerr.New(pgerr.NumericValueOutOfRange, "value out of range: overflow")
			}
			if x32 == 0 && x != 0 {
				return Null, pgerr.New(pgerr.NumericValueOutOfRange, "value out of range: underflow")
			}
			return NewFloat(float64(x32)), nil
		}
		return NewFloat(x), nil
	case t == OIDNumeric:
		var d *apd.Decimal
		switch v.K {
		case KindInt:
			d = apd.New(v.I, 0)
		case KindNumeric:
			d = v.N
		case KindFloat:
			x := v.Float()
			switch {
			case math.IsNaN(x):
				d = &apd.Decimal{Form: apd.NaN}
			case math.IsInf(x, 0):
				d = &apd.Decimal{Form: apd.Infinite, Negative: x < 0}
			default:
				// float8_numeric / float4_numeric print DBL_DIG (15) or
				// FLT_DIG (6) significant digits.
				digits := 15
				if f == OIDFloat4 {
					digits = 6
				}
				var err error
				d, err = ParseNumeric(strconv.FormatFloat(x, 'e', digits-1, 64))
				if err != nil {
					return Null, err
				}
				d = stripNumericForFloat(d)
			}
		}
		d, err := applyNumericTypmod(d, to.Mod)
		if err != nil {
			return Null, err
		}
		return NewNumeric(d), nil
	}
	return Null, cannotCast(Type{OID: f, Mod: -1}, to)
}

// stripNumericForFloat removes the trailing zeros %g would not print (but
// keeps the integer part whole): 1.50000000000000e+00 → 1.5, 1e+02 → 100.
func stripNumericForFloat(d *apd.Decimal) *apd.Decimal {
	r := new(apd.Decimal).Set(d)
	var q, rem apd.BigInt
	for r.Exponent < 0 && r.Coeff.Sign() != 0 {
		q.QuoRem(&r.Coeff, bigTen, &rem)
		if rem.Sign() != 0 {
			break
		}
		r.Coeff.Set(&q)
		r.Exponent++
	}
	if r.Coeff.Sign() == 0 {
		r.Exponent = 0
	}
	return normNumeric(r)
}

func castDateTime(v Value, f OID, to Type, loc *time.Location) (Value, error) {
	t := to.OID
	inf := v.I == NegInfinity || v.I == PosInfinity
	switch {
	case f == OIDDate:
		if inf {
			if t == OIDTimestamp {
				return NewTimestamp(v.I), nil
			}
			return NewTimestampTZ(v.I), nil
		}
		if v.I >= maxTSDays {
			return Null, pgerr.New(pgerr.DatetimeFieldOverflow, "date out of range for timestamp")
		}
		us := v.I * usPerDay
		if t == OIDTimestamp {
			return NewTimestamp(us), nil
		}
		return NewTimestampTZ(localToUTC(us, loc)), nil
	case t == OIDDate:
		if inf {
			return NewDate(v.I), nil
		}
		us := v.I
		if f == OIDTimestampTZ {
			us += zoneOffset(us, loc) * usPerSec
		}
		return NewDate(floorDiv(us, usPerDay)), nil
	case f == OIDTimestamp && t == OIDTimestampTZ:
		if inf {
			return NewTimestampTZ(v.I), nil
		}
		return NewTimestampTZ(roundTimestamp(localToUTC(v.I, loc), to.Mod)), nil
	case f == OIDTimestampTZ && t == OIDTimestamp:
		if inf {
			return NewTimestamp(v.I), nil
		}
		return NewTimestamp(roundTimestamp(v.I+zoneOffset(v.I, loc)*usPerSec, to.Mod)), nil
	}
	return Null, cannotCast(Type{OID: f, Mod: -1}, to)
}

// castJSONBScalar implements jsonb → bool/numeric/int/float (PostgreSQL 11+).
func castJSONBScalar(v Value, to Type) (Value, error) {
	s := strings.TrimSpace(v.S)
	kind := "object"
	switch {
	case s == "true" || s == "false":
		kind = "boolean"
	case s == "null":
		kind = "null"
	case strings.HasPrefix(s, "["):
		kind = "array"
	case strings.HasPrefix(s, "\""):
		kind = "string"
	case s != "" && s[0] != '{':
		kind = "numeric"
	}
	if to.OID == OIDBool && kind == "boolean" {
		return NewBool(s == "true"), nil
	}
	if to.OID != OIDBool && kind == "numeric" {
		d, err := ParseNumeric(s)
		if err != nil {
			return Null, err
		}
		return castNumber(NewNumeric(d), OIDNumeric, to)
	}
	return Null, pgerr.New(pgerr.InvalidParameterValue, "cannot cast jsonb %s to type %s", kind, TypeName(Type{OID: to.OID, Mod: -1}))
}
