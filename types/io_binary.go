package types

import (
	"encoding/binary"
	"math"

	"github.com/cockroachdb/apd/v3"
	"github.com/omendb/omendb/pgerr"
)

// PostgreSQL's binary formats count from 2000-01-01.
const (
	pgEpochDays   = 10957
	pgEpochMicros = pgEpochDays * usPerDay
)

// Numeric binary sign words.
const (
	numericPos  = 0x0000
	numericNeg  = 0x4000
	numericNaN  = 0xC000
	numericPInf = 0xD000
	numericNInf = 0xF000
)

func badBinary(format string, args ...any) error {
	return pgerr.New(pgerr.InvalidBinaryRepresentation, format, args...)
}

// AppendBinary appends the type's binary send format (PostgreSQL's *send
// functions). A NULL appends nothing.
func AppendBinary(buf []byte, v Value, t Type) ([]byte, error) {
	if v.K == KindNull {
		return buf, nil
	}
	if t.Enum != nil {
		switch {
		case IsEnum(t) && v.K == KindText:
			return append(buf, t.Enum.LabelOf(v)...), nil // enum_send: the label
		case IsEnumArray(t) && v.K == KindArray:
			return appendArrayBinary(buf, v, t)
		}
		return buf, pgerr.New(pgerr.DatatypeMismatch, "cannot send a value of kind %d as type %s", v.K, TypeName(t))
	}
	switch t.OID {
	case OIDBool:
		if v.K == KindBool {
			return append(buf, byte(v.I&1)), nil
		}
	case OIDInt2:
		if v.K == KindInt {
			return binary.BigEndian.AppendUint16(buf, uint16(v.I)), nil
		}
	case OIDInt4:
		if v.K == KindInt {
			return binary.BigEndian.AppendUint32(buf, uint32(v.I)), nil
		}
	case OIDOID, OIDRegclass, OIDRegtype, OIDRegproc, OIDRegprocedure, OIDRegnamespace, OIDXid:
		if v.K == KindInt {
			return binary.BigEndian.AppendUint32(buf, uint32(v.I)), nil
		}
	case OIDXid8:
		if v.K == KindInt {
			return binary.BigEndian.AppendUint64(buf, uint64(v.I)), nil
		}
	case OIDInt8:
		if v.K == KindInt {
			return binary.BigEndian.AppendUint64(buf, uint64(v.I)), nil
		}
	case OIDFloat4:
		if v.K == KindFloat {
			if math.IsNaN(v.Float()) {
				return binary.BigEndian.AppendUint32(buf, 0x7fc00000), nil
			}
			return binary.BigEndian.AppendUint32(buf, math.Float32bits(float32(v.Float()))), nil
		}
	case OIDFloat8:
		if v.K == KindFloat {
			if math.IsNaN(v.Float()) {
				return binary.BigEndian.AppendUint64(buf, math.Float64bits(canonicalNaN)), nil
			}
			return binary.BigEndian.AppendUint64(buf, uint64(v.I)), nil
		}
	case OIDNumeric:
		if v.K == KindNumeric && v.N != nil {
			return appendNumericBinary(buf, v.N), nil
		}
	case OIDText, OIDVarchar, OIDBPChar, OIDName, OIDChar, OIDUnknown, OIDJSON:
		if v.K == KindText || v.K == KindJSON {
			return append(buf, v.S...), nil
		}
	case OIDBytea:
		if v.K == KindBytes {
			return append(buf, v.S...), nil
		}
	case OIDJSONB:
		if v.K == KindJSON {
			return append(append(buf, 1), v.S...), nil
		}
	case OIDJSONPath:
		if v.K == KindText {
			return append(append(buf, 1), v.S...), nil // jsonpath_send: version 1
		}
	case OIDUUID:
		if v.K == KindUUID && len(v.S) == 16 {
			return append(buf, v.S...), nil
		}
	case OIDInet, OIDCIDR:
		if v.K == KindInet {
			return appendInetBinary(buf, v, t.OID == OIDCIDR), nil
		}
	case OIDDate:
		if v.K == KindDate {
			var d int32
			switch {
			case v.I == NegInfinity:
				d = math.MinInt32
			case v.I == PosInfinity:
				d = math.MaxInt32
			default:
				d = int32(v.I - pgEpochDays)
			}
			return binary.BigEndian.AppendUint32(buf, uint32(d)), nil
		}
	case OIDTimestamp, OIDTimestampTZ:
		if v.K == KindTimestamp || v.K == KindTimestampTZ {
			us := v.I
			if us != NegInfinity && us != PosInfinity {
				us -= pgEpochMicros
			}
			return binary.BigEndian.AppendUint64(buf, uint64(us)), nil
		}
	case OIDTime:
		if v.K == KindInterval {
			return binary.BigEndian.AppendUint64(buf, uint64(v.I)), nil
		}
	case OIDInterval:
		if v.K == KindInterval {
			buf = binary.BigEndian.AppendUint64(buf, uint64(v.I))
			buf = binary.BigEndian.AppendUint32(buf, uint32(v.Days()))
			return binary.BigEndian.AppendUint32(buf, uint32(v.Months())), nil
		}
	default:
		if v.K == KindArray && IsArray(t.OID) {
			return appendArrayBinary(buf, v, t)
		}
		if v.K == KindArray && t.OID == OIDRecord {
			return appendRecordBinary(buf, v, t)
		}
		if v.K == KindText {
			return append(buf, v.S...), nil
		}
	}
	return buf, pgerr.New(pgerr.DatatypeMismatch, "cannot send a value of kind %d as type %s", v.K, TypeName(t))
}

// numericDigits converts a finite decimal to base-10000 digits with weight
// (PostgreSQL's NumericVar): value = Σ digits[i] × 10000^(weight-i).
// Leading and trailing zero digits are stripped.
func numericDigits(d *apd.Decimal) (digits []int16, weight int) {
	s := d.Coeff.Append(nil, 10)
	exp := int(d.Exponent)
	for ; exp > 0; exp-- {
		s = append(s, '0')
	}
	frac := -exp
	var intPart, fracPart []byte
	if frac >= len(s) {
		intPart = nil
		fracPart = make([]byte, frac-len(s), frac)
		for i := range fracPart {
			fracPart[i] = '0'
		}
		fracPart = append(fracPart, s...)
	} else {
		intPart = s[:len(s)-frac]
		fracPart = s[len(s)-frac:]
	}
	// left-pad the integer part, right-pad the fraction to multiples of 4
	pad := (4 - len(intPart)%4) % 4
	all := make([]byte, 0, pad+len(intPart)+len(fracPart)+3)
	for i := 0; i < pad; i++ {
		all = append(all, '0')
	}
	all = append(all, intPart...)
	intGroups := len(all) / 4
	all = append(all, fracPart...)
	for len(all)%4 != 0 {
		all = append(all, '0')
	}
	digits = make([]int16, len(all)/4)
	for i := range digits {
		g := all[i*4 : i*4+4]
		digits[i] = int16(g[0]-'0')*1000 + int16(g[1]-'0')*100 + int16(g[2]-'0')*10 + int16(g[3]-'0')
	}
	weight = intGroups - 1
	for len(digits) > 0 && digits[0] == 0 {
		digits = digits[1:]
		weight--
	}
	for len(digits) > 0 && digits[len(digits)-1] == 0 {
		digits = digits[:len(digits)-1]
	}
	if len(digits) == 0 {
		weight = 0
	}
	return digits, weight
}

func appendNumericBinary(buf []byte, d *apd.Decimal) []byte {
	var sign uint16
	switch d.Form {
	case apd.NaN, apd.NaNSignaling:
		sign = numericNaN
	case apd.Infinite:
		sign = numericPInf
		if d.Negative {
			sign = numericNInf
		}
	}
	if sign != 0 {
		buf = binary.BigEndian.AppendUint16(buf, 0)
		buf = binary.BigEndian.AppendUint16(buf, 0)
		buf = binary.BigEndian.AppendUint16(buf, sign)
		// numeric_send writes the dscale field of the packed special value,
		// which PostgreSQL sets to 0x20 for the infinities.
		if sign == numericNaN {
			return binary.BigEndian.AppendUint16(buf, 0)
		}
		return binary.BigEndian.AppendUint16(buf, 0x20)
	}
	digits, weight := numericDigits(d)
	if d.Negative && d.Coeff.Sign() != 0 {
		sign = numericNeg
	}
	buf = binary.BigEndian.AppendUint16(buf, uint16(len(digits)))
	buf = binary.BigEndian.AppendUint16(buf, uint16(int16(weight)))
	buf = binary.BigEndian.AppendUint16(buf, sign)
	buf = binary.BigEndian.AppendUint16(buf, uint16(NumericScale(d)))
	for _, g := range digits {
		buf = binary.BigEndian.AppendUint16(buf, uint16(g))
	}
	return buf
}

func parseNumericBinary(b []byte) (*apd.Decimal, error) {
	if len(b) < 8 {
		return nil, badBinary("insufficient data left in message")
	}
	n := int(int16(binary.BigEndian.Uint16(b)))
	weight := int(int16(binary.BigEndian.Uint16(b[2:])))
	sign := binary.BigEndian.Uint16(b[4:])
	dscale := binary.BigEndian.Uint16(b[6:])
	if n < 0 || n > 0xffff {
		return nil, badBinary("invalid length in external \"numeric\" value")
	}
	if len(b) != 8+2*n {
		if len(b) < 8+2*n {
			return nil, badBinary("insufficient data left in message")
		}
		return nil, badBinary("incorrect binary data format")
	}
	switch sign {
	case numericNaN:
		return &apd.Decimal{Form: apd.NaN}, nil
	case numericPInf:
		return &apd.Decimal{Form: apd.Infinite}, nil
	case numericNInf:
		return &apd.Decimal{Form: apd.Infinite, Negative: true}, nil
	case numericPos, numericNeg:
	default:
		return nil, badBinary("invalid sign in external \"numeric\" value")
	}
	if dscale > 0x3fff {
		return nil, badBinary("invalid scale in external \"numeric\" value")
	}
	d := new(apd.Decimal)
	var g apd.BigInt
	c := &d.Coeff
	for i := 0; i < n; i++ {
		digit := int16(binary.BigEndian.Uint16(b[8+2*i:]))
		if digit < 0 || digit >= 10000 {
			return nil, badBinary("invalid digit in external \"numeric\" value")
		}
		c.Mul(c, apd.NewBigInt(10000))
		g.SetInt64(int64(digit))
		c.Add(c, &g)
	}
	exp := 4 * (weight - n + 1)
	if exp > 1<<20 || exp < -(1<<20) {
		return nil, badBinary("invalid weight in external \"numeric\" value")
	}
	d.Exponent = int32(exp)
	d.Negative = sign == numericNeg
	// Bring to exactly dscale fraction digits, truncating hidden digits as
	// numeric_recv does.
	target := -int32(dscale)
	if d.Exponent > target {
		c.Mul(c, pow10Big(int64(d.Exponent-target)))
		d.Exponent = target
	} else if d.Exponent < target {
		c.Quo(c, pow10Big(int64(target-d.Exponent)))
		d.Exponent = target
	}
	return normNumeric(d), nil
}

// ParseBinary is the type's binary receive function (PostgreSQL's *recv),
// including typmod coercion. Malformed input gives 22P03.
func ParseBinary(t Type, b []byte) (Value, error) {
	if t.Enum != nil {
		if IsEnum(t) {
			return parseEnumText(t, string(b)) // enum_recv: the label
		}
		return parseArrayBinary(t, b)
	}
	if t.OID >= firstUserOID {
		return Null, unloadedType(t.OID)
	}
	need := func(n int) error {
		if len(b) < n {
			return badBinary("insufficient data left in message")
		}
		if len(b) > n {
			return badBinary("incorrect binary data format")
		}
		return nil
	}
	switch t.OID {
	case OIDBool:
		if err := need(1); err != nil {
			return Null, err
		}
		return NewBool(b[0] != 0), nil
	case OIDInt2:
		if err := need(2); err != nil {
			return Null, err
		}
		return NewInt(int64(int16(binary.BigEndian.Uint16(b)))), nil
	case OIDInt4:
		if err := need(4); err != nil {
			return Null, err
		}
		return NewInt(int64(int32(binary.BigEndian.Uint32(b)))), nil
	case OIDOID, OIDRegclass, OIDRegtype, OIDRegproc, OIDRegprocedure, OIDRegnamespace:
		if err := need(4); err != nil {
			return Null, err
		}
		return NewInt(int64(binary.BigEndian.Uint32(b))), nil
	case OIDInt8:
		if err := need(8); err != nil {
			return Null, err
		}
		return NewInt(int64(binary.BigEndian.Uint64(b))), nil
	case OIDFloat4:
		if err := need(4); err != nil {
			return Null, err
		}
		return NewFloat(float64(math.Float32frombits(binary.BigEndian.Uint32(b)))), nil
	case OIDFloat8:
		if err := need(8); err != nil {
			return Null, err
		}
		return Value{K: KindFloat, I: int64(binary.BigEndian.Uint64(b))}, nil
	case OIDNumeric:
		d, err := parseNumericBinary(b)
		if err != nil {
			return Null, err
		}
		d, err = applyNumericTypmod(d, t.Mod)
		if err != nil {
			return Null, err
		}
		return NewNumeric(d), nil
	case OIDBytea:
		return NewBytes(b), nil
	case OIDUUID:
		if err := need(16); err != nil {
			return Null, err
		}
		return Value{K: KindUUID, S: string(b)}, nil
	case OIDInet, OIDCIDR:
		return parseInetBinary(b, t.OID == OIDCIDR)
	case OIDJSONB:
		if len(b) == 0 {
			return Null, badBinary("insufficient data left in message")
		}
		if b[0] != 1 {
			return Null, badBinary("unsupported jsonb version number %d", b[0])
		}
		return ParseText(t, string(b[1:]), nil)
	case OIDJSONPath:
		if len(b) == 0 || b[0] != 1 {
			return Null, badBinary("unsupported jsonpath version number")
		}
		return ParseJSONPathText(string(b[1:]))
	case OIDDate:
		if err := need(4); err != nil {
			return Null, err
		}
		d := int64(int32(binary.BigEndian.Uint32(b)))
		switch d {
		case math.MinInt32:
			return NewDate(NegInfinity), nil
		case math.MaxInt32:
			return NewDate(PosInfinity), nil
		}
		d += pgEpochDays
		if d < minDateDays || d > maxDateDays {
			return Null, pgerr.New(pgerr.DatetimeFieldOverflow, "date out of range")
		}
		return NewDate(d), nil
	case OIDTimestamp, OIDTimestampTZ:
		if err := need(8); err != nil {
			return Null, err
		}
		us := int64(binary.BigEndian.Uint64(b))
		if us != NegInfinity && us != PosInfinity {
			if us > maxTSMicros-pgEpochMicros || us+pgEpochMicros < minTSMicros {
				return Null, pgerr.New(pgerr.DatetimeFieldOverflow, "timestamp out of range")
			}
			us = roundTimestamp(us+pgEpochMicros, t.Mod)
		}
		if t.OID == OIDTimestamp {
			return NewTimestamp(us), nil
		}
		return NewTimestampTZ(us), nil
	case OIDInterval:
		if err := need(16); err != nil {
			return Null, err
		}
		us := int64(binary.BigEndian.Uint64(b))
		days := int32(binary.BigEndian.Uint32(b[8:]))
		months := int32(binary.BigEndian.Uint32(b[12:]))
		return NewInterval(months, days, us), nil
	case OIDTime:
		if err := need(8); err != nil {
			return Null, err
		}
		us := int64(binary.BigEndian.Uint64(b))
		if us < 0 || us > usPerDay {
			return Null, pgerr.New(pgerr.DatetimeFieldOverflow, "time out of range")
		}
		return NewInterval(0, 0, roundTime(us, t.Mod)), nil
	case OIDChar:
		if len(b) > 1 {
			return Null, badBinary("incorrect binary data format")
		}
		return NewText(string(b)), nil
	}
	if IsArray(t.OID) {
		return parseArrayBinary(t, b)
	}
	// text-like types and json: the bytes are the text.
	return ParseText(t, string(b), nil)
}
