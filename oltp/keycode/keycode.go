package keycode

import (
	"encoding/binary"
	"math"
	"math/bits"

	"github.com/cockroachdb/apd/v3"
	"github.com/omendb/omendb/types"
)

// Tag bytes.
const (
	TagValue byte = 0x10 // a non-null value follows
	TagNull  byte = 0xF0 // NULL; sorts after every value
)

// Numeric class bytes.
const (
	numNegInf byte = 0x01
	numNeg    byte = 0x02
	numZero   byte = 0x03
	numPos    byte = 0x04
	numPosInf byte = 0x05
	numNaN    byte = 0x06
)

// Append appends the ascending order-preserving encoding of v (of SQL type t)
// to buf. A composite key is the concatenation of Appends (or AppendDescs)
// of its columns.
func Append(buf []byte, v types.Value, t types.Type) []byte {
	if v.K == types.KindNull {
		return append(buf, TagNull)
	}
	buf = append(buf, TagValue)
	switch v.K {
	case types.KindBool:
		if v.I != 0 {
			return append(buf, 1)
		}
		return append(buf, 0)
	case types.KindInt, types.KindDate, types.KindTimestamp, types.KindTimestampTZ:
		return AppendInt64(buf, v.I)
	case types.KindFloat:
		return appendFloat(buf, math.Float64frombits(uint64(v.I)))
	case types.KindInterval:
		return appendInterval(buf, v)
	case types.KindNumeric:
		return appendNumeric(buf, v.N)
	case types.KindUUID, types.KindInet:
		return append(buf, v.S...)
	case types.KindText:
		s := v.S
		if t.OID == types.OIDBPChar {
			for len(s) > 0 && s[len(s)-1] == ' ' {
				s = s[:len(s)-1]
			}
		}
		return appendString(buf, s)
	case types.KindJSON:
		if t.OID == types.OIDJSONB {
			// By value: 1.0 and 1, {"a":1,"b":2} in any key order, are
			// one key, ordered as PostgreSQL orders jsonb.
			return types.AppendJSONBKey(buf, v.S)
		}
		return appendString(buf, v.S) // json has no equality: its text
	default: // KindBytes and anything textual
		return appendString(buf, v.S)
	}
}

// AppendDesc appends the descending encoding of v: the ascending encoding
// with every byte inverted. NULL sorts first.
func AppendDesc(buf []byte, v types.Value, t types.Type) []byte {
	return AppendOrdered(buf, v, t, Desc|NullsFirst)
}

// Order is the order of one key element: PostgreSQL's index column options
// (pg_index.indoption), whose bits it shares.
type Order uint8

// Order bits. The zero Order is ASC NULLS LAST.
const (
	Desc       Order = 1 // descending
	NullsFirst Order = 2 // NULL before every value
)

// TagNullFirst is the tag of a NULL of an element ordered NULLS FIRST: it
// sorts before both value tags (TagValue, and ^TagValue of a descending
// element). A NULL of a NULLS LAST element is TagNull, after both.
const TagNullFirst byte = ^TagNull

// AppendOrdered appends the encoding of v ordered by o: a value's
// ascending encoding (Append), every byte inverted when o is Desc; a NULL
// as TagNullFirst when o is NullsFirst, else TagNull. The result is
// self-delimiting, like Append's, so elements of any orders concatenate
// into keys that order element by element.
func AppendOrdered(buf []byte, v types.Value, t types.Type, o Order) []byte {
	if v.K == types.KindNull {
		if o&NullsFirst != 0 {
			return append(buf, TagNullFirst)
		}
		return append(buf, TagNull)
	}
	if o&Desc == 0 {
		return Append(buf, v, t)
	}
	n := len(buf)
	buf = Append(buf, v, t)
	for i := n; i < len(buf); i++ {
		buf[i] = ^buf[i]
	}
	return buf
}

// AppendInt64 appends the 8-byte payload of an integer (no tag byte): big
// endian with the sign bit flipped. Exported for callers that build
// projections or bounds by hand.
func AppendInt64(buf []byte, i int64) []byte {
	return binary.BigEndian.AppendUint64(buf, uint64(i)^(1<<63))
}

func appendFloat(buf []byte, f float64) []byte {
	var u uint64
	switch {
	case f != f:
		u = math.MaxUint64
	case f == 0:
		u = 1 << 63 // -0 and +0 alike
	default:
		b := math.Float64bits(f)
		if b>>63 == 0 {
			u = b ^ (1 << 63)
		} else {
			u = ^b
		}
	}
	return binary.BigEndian.AppendUint64(buf, u)
}

// appendInterval encodes months*30 days + days (in µs) + µs as a signed
// 128-bit integer.
func appendInterval(buf []byte, v types.Value) []byte {
	days := int64(v.Months())*30 + int64(v.Days())
	const usPerDay = 86400 * 1000000
	// 128-bit signed product days*usPerDay.
	neg := days < 0
	mag := uint64(days)
	if neg {
		mag = uint64(-days)
	}
	hi, lo := bits.Mul64(mag, usPerDay)
	if neg {
		lo = ^lo + 1
		hi = ^hi
		if lo == 0 {
			hi++
		}
	}
	// Add the sign-extended microseconds.
	us := v.I
	var carry uint64
	lo, carry = bits.Add64(lo, uint64(us), 0)
	ext := uint64(0)
	if us < 0 {
		ext = math.MaxUint64
	}
	hi, _ = bits.Add64(hi, ext, carry)
	buf = binary.BigEndian.AppendUint64(buf, hi^(1<<63))
	return binary.BigEndian.AppendUint64(buf, lo)
}

func appendString(buf []byte, s string) []byte {
	for {
		i := indexZero(s)
		if i < 0 {
			buf = append(buf, s...)
			return append(buf, 0x00, 0x01)
		}
		buf = append(buf, s[:i]...)
		buf = append(buf, 0x00, 0xFF)
		s = s[i+1:]
	}
}

func indexZero(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return i
		}
	}
	return -1
}

func appendNumeric(buf []byte, d *apd.Decimal) []byte {
	if d == nil {
		return append(buf, numZero)
	}
	switch d.Form {
	case apd.NaN, apd.NaNSignaling:
		return append(buf, numNaN)
	case apd.Infinite:
		if d.Negative {
			return append(buf, numNegInf)
		}
		return append(buf, numPosInf)
	}
	var scratch [64]byte
	digits := d.Coeff.Append(scratch[:0], 10)
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	for len(digits) > 0 && digits[0] == '0' {
		digits = digits[1:]
	}
	if len(digits) == 0 {
		return append(buf, numZero)
	}
	exp := int64(d.Exponent) + int64(len(digits))
	for digits[len(digits)-1] == '0' {
		digits = digits[:len(digits)-1]
	}
	neg := d.Negative
	if neg {
		buf = append(buf, numNeg)
	} else {
		buf = append(buf, numPos)
	}
	start := len(buf)
	buf = binary.BigEndian.AppendUint64(buf, uint64(exp)^(1<<63))
	for i := 0; i < len(digits); i += 2 {
		p := (digits[i] - '0') * 10
		if i+1 < len(digits) {
			p += digits[i+1] - '0'
		}
		buf = append(buf, p+1)
	}
	buf = append(buf, 0)
	if neg {
		for i := start; i < len(buf); i++ {
			buf[i] = ^buf[i]
		}
	}
	return buf
}
