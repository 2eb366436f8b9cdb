package types

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/cockroachdb/apd/v3"
	"github.com/omendb/omendb/pgerr"
)

// RowFormatVersion is the first byte of every encoded row
// (docs/row-format.md).
const RowFormatVersion = 1

// Row value tags (docs/row-format.md). Never renumber: they are persisted.
const (
	tagNull        = 0
	tagFalse       = 1
	tagTrue        = 2
	tagInt         = 3  // zigzag varint
	tagFloat       = 4  // 8 bytes little-endian IEEE 754 bits
	tagNumeric     = 5  // zigzag varint exponent, uvarint n, n bytes big-endian |coefficient| (positive)
	tagNumericNeg  = 6  // as tagNumeric, negative
	tagNumericNaN  = 7  // no payload
	tagNumericPInf = 8  // no payload
	tagNumericNInf = 9  // no payload
	tagText        = 10 // uvarint n, n bytes
	tagBytes       = 11 // uvarint n, n bytes
	tagDate        = 12 // zigzag varint
	tagTimestamp   = 13 // zigzag varint
	tagTimestampTZ = 14 // zigzag varint
	tagInterval    = 15 // zigzag varint µs, zigzag varint months, zigzag varint days
	tagUUID        = 16 // 16 bytes
	tagJSON        = 17 // uvarint n, n bytes
	tagNumericSm   = 18 // zigzag varint exponent, zigzag varint coefficient (fits int64)
	tagArray       = 19 // uvarint element count, uvarint n, n bytes: the elements encoded as a row
	numTags        = 20
)

// EncodeRow appends the encoding of row to buf and returns it.
func EncodeRow(buf []byte, row []Value) []byte {
	buf = append(buf, RowFormatVersion)
	buf = binary.AppendUvarint(buf, uint64(len(row)))
	for i := range row {
		buf = encodeValue(buf, &row[i])
	}
	return buf
}

func encodeValue(buf []byte, v *Value) []byte {
	switch v.K {
	case KindBool:
		if v.I != 0 {
			return append(buf, tagTrue)
		}
		return append(buf, tagFalse)
	case KindInt:
		return binary.AppendVarint(append(buf, tagInt), v.I)
	case KindFloat:
		return binary.LittleEndian.AppendUint64(append(buf, tagFloat), uint64(v.I))
	case KindNumeric:
		d := v.N
		if d == nil {
			return append(buf, tagNull)
		}
		switch d.Form {
		case apd.NaN, apd.NaNSignaling:
			return append(buf, tagNumericNaN)
		case apd.Infinite:
			if d.Negative {
				return append(buf, tagNumericNInf)
			}
			return append(buf, tagNumericPInf)
		}
		if d.Coeff.IsInt64() {
			c := d.Coeff.Int64()
			if d.Negative {
				c = -c
			}
			buf = binary.AppendVarint(append(buf, tagNumericSm), int64(d.Exponent))
			return binary.AppendVarint(buf, c)
		}
		tag := byte(tagNumeric)
		if d.Negative {
			tag = tagNumericNeg
		}
		buf = binary.AppendVarint(append(buf, tag), int64(d.Exponent))
		mag := d.Coeff.Bytes() // absolute value, big-endian
		buf = binary.AppendUvarint(buf, uint64(len(mag)))
		return append(buf, mag...)
	case KindText:
		return appendLenStr(append(buf, tagText), v.S)
	case KindBytes:
		return appendLenStr(append(buf, tagBytes), v.S)
	case KindDate:
		return binary.AppendVarint(append(buf, tagDate), v.I)
	case KindTimestamp:
		return binary.AppendVarint(append(buf, tagTimestamp), v.I)
	case KindTimestampTZ:
		return binary.AppendVarint(append(buf, tagTimestampTZ), v.I)
	case KindInterval:
		buf = binary.AppendVarint(append(buf, tagInterval), v.I)
		buf = binary.AppendVarint(buf, int64(v.Months()))
		return binary.AppendVarint(buf, int64(v.Days()))
	case KindUUID:
		var u [16]byte
		copy(u[:], v.S)
		return append(append(buf, tagUUID), u[:]...)
	case KindJSON:
		return appendLenStr(append(buf, tagJSON), v.S)
	case KindArray:
		buf = binary.AppendUvarint(append(buf, tagArray), uint64(v.I))
		return appendLenStr(buf, v.S)
	}
	return append(buf, tagNull)
}

func appendLenStr(buf []byte, s string) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(s)))
	return append(buf, s...)
}

// rowError is the corruption error of DecodeRow (no fmt on the hot path: it
// is only formatted when printed).
type rowError struct {
	msg string
	off int
}

func (e *rowError) Error() string { return fmt.Sprintf("row decode: %s at byte %d", e.msg, e.off) }
func (e *rowError) Unwrap() error { return pgerr.ErrCorrupt }

// DecodeRow decodes a row written by EncodeRow, appending its values to
// dst[:0] and returning the slice (pass a reused slice to avoid allocating
// it). It never panics; malformed input gives an error wrapping
// pgerr.ErrCorrupt. Returned values never alias b.
func DecodeRow(b []byte, dst []Value) ([]Value, error) {
	dst = dst[:0]
	if len(b) == 0 {
		return dst, &rowError{"empty row", 0}
	}
	if b[0] != RowFormatVersion {
		return dst, &rowError{"unknown row format version", 0}
	}
	n, k := binary.Uvarint(b[1:])
	if k <= 0 {
		return dst, &rowError{"bad column count", 1}
	}
	p := 1 + k
	if n > uint64(len(b)-p) { // every value takes at least one byte
		return dst, &rowError{"column count exceeds row length", 1}
	}
	if cap(dst) < int(n) {
		dst = make([]Value, 0, n)
	}
	for i := uint64(0); i < n; i++ {
		if p >= len(b) {
			return dst, &rowError{"truncated row", p}
		}
		tag := b[p]
		p++
		var v Value
		switch tag {
		case tagNull:
		case tagFalse:
			v = Value{K: KindBool}
		case tagTrue:
			v = Value{K: KindBool, I: 1}
		case tagInt, tagDate, tagTimestamp, tagTimestampTZ:
			x, k := binary.Varint(b[p:])
			if k <= 0 {
				return dst, &rowError{"bad varint", p}
			}
			p += k
			v = Value{K: tagKind[tag], I: x}
		case tagFloat:
			if len(b)-p < 8 {
				return dst, &rowError{"truncated float", p}
			}
			v = Value{K: KindFloat, I: int64(binary.LittleEndian.Uint64(b[p:]))}
			p += 8
		case tagNumericSm:
			e, k := binary.Varint(b[p:])
			if k <= 0 || e > math.MaxInt32 || e < math.MinInt32 {
				return dst, &rowError{"bad numeric exponent", p}
			}
			p += k
			c, k := binary.Varint(b[p:])
			if k <= 0 {
				return dst, &rowError{"bad numeric coefficient", p}
			}
			p += k
			d := apd.New(c, int32(e))
			if c == math.MinInt64 {
				d.Coeff.SetInt64(c)
				d.Coeff.Neg(&d.Coeff)
				d.Negative = true
			}
			v = Value{K: KindNumeric, N: d}
		case tagNumeric, tagNumericNeg:
			e, k := binary.Varint(b[p:])
			if k <= 0 || e > math.MaxInt32 || e < math.MinInt32 {
				return dst, &rowError{"bad numeric exponent", p}
			}
			p += k
			m, k := binary.Uvarint(b[p:])
			if k <= 0 || m > uint64(len(b)-p-k) {
				return dst, &rowError{"bad numeric length", p}
			}
			p += k
			d := &apd.Decimal{Exponent: int32(e), Negative: tag == tagNumericNeg}
			d.Coeff.SetBytes(b[p : p+int(m)])
			p += int(m)
			v = Value{K: KindNumeric, N: d}
		case tagNumericNaN:
			v = Value{K: KindNumeric, N: &apd.Decimal{Form: apd.NaN}}
		case tagNumericPInf:
			v = Value{K: KindNumeric, N: &apd.Decimal{Form: apd.Infinite}}
		case tagNumericNInf:
			v = Value{K: KindNumeric, N: &apd.Decimal{Form: apd.Infinite, Negative: true}}
		case tagText, tagBytes, tagJSON:
			m, k := binary.Uvarint(b[p:])
			if k <= 0 || m > uint64(len(b)-p-k) {
				return dst, &rowError{"bad string length", p}
			}
			p += k
			v = Value{K: tagKind[tag], S: string(b[p : p+int(m)])}
			p += int(m)
		case tagArray:
			cnt, k := binary.Uvarint(b[p:])
			if k <= 0 {
				return dst, &rowError{"bad array count", p}
			}
			p += k
			m, k := binary.Uvarint(b[p:])
			if k <= 0 || m > uint64(len(b)-p-k) || cnt > m {
				return dst, &rowError{"bad array length", p}
			}
			p += k
			inner := b[p : p+int(m)]
			if elems, err := DecodeRow(inner, nil); err != nil || uint64(len(elems)) != cnt {
				return dst, &rowError{"bad array elements", p}
			}
			v = Value{K: KindArray, I: int64(cnt), S: string(inner)}
			p += int(m)
		case tagInterval:
			us, k := binary.Varint(b[p:])
			if k <= 0 {
				return dst, &rowError{"bad interval", p}
			}
			p += k
			mo, k := binary.Varint(b[p:])
			if k <= 0 || mo > math.MaxInt32 || mo < math.MinInt32 {
				return dst, &rowError{"bad interval", p}
			}
			p += k
			dd, k := binary.Varint(b[p:])
			if k <= 0 || dd > math.MaxInt32 || dd < math.MinInt32 {
				return dst, &rowError{"bad interval", p}
			}
			p += k
			v = NewInterval(int32(mo), int32(dd), us)
		case tagUUID:
			if len(b)-p < 16 {
				return dst, &rowError{"truncated uuid", p}
			}
			v = Value{K: KindUUID, S: string(b[p : p+16])}
			p += 16
		default:
			return dst, &rowError{"unknown value tag", p - 1}
		}
		dst = append(dst, v)
	}
	if p != len(b) {
		return dst, &rowError{"trailing bytes", p}
	}
	return dst, nil
}

var tagKind = [numTags]Kind{
	tagInt: KindInt, tagDate: KindDate, tagTimestamp: KindTimestamp,
	tagTimestampTZ: KindTimestampTZ, tagText: KindText, tagBytes: KindBytes, tagJSON: KindJSON,
}
