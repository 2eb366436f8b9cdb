package types

import (
	"encoding/binary"
	"fmt"
	"math"
	"unsafe"

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
	tagInet        = 20 // 10 or 34 bytes: family 2 or 3, network, bits, address (types/inet.go)
	numTags        = 21
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
	case KindInet:
		return append(append(buf, tagInet), v.S...)
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
func DecodeRow(b []byte, dst []Value) ([]Value, error) { return decodeRow(b, dst, false, nil) }

// DecodeRowAlias is DecodeRow for immutable input: the string payloads of
// text, bytea, json, uuid and array values alias b (unsafe.String) instead
// of being copied, so decoding allocates nothing per value except numerics
// (one apd.Decimal each). The caller guarantees that b is never modified
// afterwards, for as long as any returned value (or a string taken from
// one) is alive; the values keep b's whole backing array reachable. The row
// store (package oltp) decodes its stored rows this way.
func DecodeRowAlias(b []byte, dst []Value) ([]Value, error) { return decodeRow(b, dst, true, nil) }

// RowSlab decodes rows as DecodeRowAlias does (the input must stay
// unmodified while the values live), cutting their values and numerics out
// of blocks it allocates a few hundred at a time instead of allocating per
// row and per numeric: for scans that hand out many rows. Every row it
// returns is capacity-capped and never handed out again, so callers may
// keep it (it keeps its blocks reachable). The zero RowSlab is ready to
// use; one goroutine at a time.
type RowSlab struct {
	vals []Value
	decs []apd.Decimal
}

// Slab block sizes: values and numerics per allocation. A row wider than
// a quarter of a block gets an allocation of its own.
const (
	slabValues   = 512
	slabDecimals = 128
)

// Decode decodes one row (see DecodeRow for errors).
func (s *RowSlab) Decode(b []byte) ([]Value, error) {
	n := 0
	if len(b) > 1 {
		if u, k := binary.Uvarint(b[1:]); k > 0 && u <= uint64(len(b)) {
			n = int(u)
		}
	}
	if n > slabValues/4 {
		row, err := decodeRow(b, nil, true, &s.decs)
		return row[:len(row):len(row)], err
	}
	if cap(s.vals)-len(s.vals) < n {
		s.vals = make([]Value, 0, slabValues)
	}
	row, err := decodeRow(b, s.vals[len(s.vals):len(s.vals)], true, &s.decs)
	if err != nil {
		return nil, err
	}
	s.vals = s.vals[:len(s.vals)+len(row)] // row is in the slab: len(row) == n
	return row[:len(row):len(row)], nil
}

// Reset rewinds the slab so that the next rows reuse its current blocks:
// every row it returned before (and their numerics) may be overwritten.
// For scans whose consumer keeps no row past its callback.
func (s *RowSlab) Reset() {
	s.vals = s.vals[:0]
	clear(s.decs) // newDecimal hands out zero Decimals
	s.decs = s.decs[:0]
}

// newDecimal returns a zero Decimal: from the slab decs when there is one.
func newDecimal(decs *[]apd.Decimal) *apd.Decimal {
	if decs == nil {
		return new(apd.Decimal)
	}
	if len(*decs) == cap(*decs) {
		*decs = make([]apd.Decimal, 0, slabDecimals)
	}
	*decs = (*decs)[:len(*decs)+1]
	return &(*decs)[len(*decs)-1]
}

// CheckRow reports whether b is a well-formed encoded row (what DecodeRow
// accepts), without building values: it allocates nothing. Stores that keep
// rows encoded check them once on the way in and decode them with
// DecodeRowAlias on every read.
func CheckRow(b []byte) error {
	_, err := checkRow(b)
	return err
}

// bytesString returns b as a string: a copy, or (alias) b's own bytes.
func bytesString(b []byte, alias bool) string {
	if alias {
		if len(b) == 0 {
			return ""
		}
		return unsafe.String(&b[0], len(b))
	}
	return string(b)
}

func decodeRow(b []byte, dst []Value, alias bool, decs *[]apd.Decimal) ([]Value, error) {
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
			d := newDecimal(decs).SetFinite(c, int32(e))
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
			d := newDecimal(decs)
			d.Exponent, d.Negative = int32(e), tag == tagNumericNeg
			d.Coeff.SetBytes(b[p : p+int(m)])
			p += int(m)
			v = Value{K: KindNumeric, N: d}
		case tagNumericNaN:
			d := newDecimal(decs)
			d.Form = apd.NaN
			v = Value{K: KindNumeric, N: d}
		case tagNumericPInf:
			d := newDecimal(decs)
			d.Form = apd.Infinite
			v = Value{K: KindNumeric, N: d}
		case tagNumericNInf:
			d := newDecimal(decs)
			d.Form, d.Negative = apd.Infinite, true
			v = Value{K: KindNumeric, N: d}
		case tagText, tagBytes, tagJSON:
			m, k := binary.Uvarint(b[p:])
			if k <= 0 || m > uint64(len(b)-p-k) {
				return dst, &rowError{"bad string length", p}
			}
			p += k
			v = Value{K: tagKind[tag], S: bytesString(b[p:p+int(m)], alias)}
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
			if elems, err := checkRow(inner); err != nil || uint64(elems) != cnt {
				return dst, &rowError{"bad array elements", p}
			}
			v = Value{K: KindArray, I: int64(cnt), S: bytesString(inner, alias)}
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
			v = Value{K: KindUUID, S: bytesString(b[p:p+16], alias)}
			p += 16
		case tagInet:
			m := inetLen(b[p:])
			if m == 0 {
				return dst, &rowError{"bad inet", p}
			}
			v = Value{K: KindInet, S: bytesString(b[p:p+m], alias)}
			p += m
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

// checkRow validates b as decodeRow does and returns its column count,
// building no values and allocating nothing.
func checkRow(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, &rowError{"empty row", 0}
	}
	if b[0] != RowFormatVersion {
		return 0, &rowError{"unknown row format version", 0}
	}
	n, k := binary.Uvarint(b[1:])
	if k <= 0 {
		return 0, &rowError{"bad column count", 1}
	}
	p := 1 + k
	if n > uint64(len(b)-p) {
		return 0, &rowError{"column count exceeds row length", 1}
	}
	for i := uint64(0); i < n; i++ {
		if p >= len(b) {
			return 0, &rowError{"truncated row", p}
		}
		tag := b[p]
		p++
		switch tag {
		case tagNull, tagFalse, tagTrue, tagNumericNaN, tagNumericPInf, tagNumericNInf:
		case tagInt, tagDate, tagTimestamp, tagTimestampTZ:
			_, k := binary.Varint(b[p:])
			if k <= 0 {
				return 0, &rowError{"bad varint", p}
			}
			p += k
		case tagFloat:
			if len(b)-p < 8 {
				return 0, &rowError{"truncated float", p}
			}
			p += 8
		case tagNumericSm:
			e, k := binary.Varint(b[p:])
			if k <= 0 || e > math.MaxInt32 || e < math.MinInt32 {
				return 0, &rowError{"bad numeric exponent", p}
			}
			p += k
			if _, k = binary.Varint(b[p:]); k <= 0 {
				return 0, &rowError{"bad numeric coefficient", p}
			}
			p += k
		case tagNumeric, tagNumericNeg:
			e, k := binary.Varint(b[p:])
			if k <= 0 || e > math.MaxInt32 || e < math.MinInt32 {
				return 0, &rowError{"bad numeric exponent", p}
			}
			p += k
			m, k := binary.Uvarint(b[p:])
			if k <= 0 || m > uint64(len(b)-p-k) {
				return 0, &rowError{"bad numeric length", p}
			}
			p += k + int(m)
		case tagText, tagBytes, tagJSON:
			m, k := binary.Uvarint(b[p:])
			if k <= 0 || m > uint64(len(b)-p-k) {
				return 0, &rowError{"bad string length", p}
			}
			p += k + int(m)
		case tagArray:
			cnt, k := binary.Uvarint(b[p:])
			if k <= 0 {
				return 0, &rowError{"bad array count", p}
			}
			p += k
			m, k := binary.Uvarint(b[p:])
			if k <= 0 || m > uint64(len(b)-p-k) || cnt > m {
				return 0, &rowError{"bad array length", p}
			}
			p += k
			if elems, err := checkRow(b[p : p+int(m)]); err != nil || uint64(elems) != cnt {
				return 0, &rowError{"bad array elements", p}
			}
			p += int(m)
		case tagInterval:
			_, k := binary.Varint(b[p:])
			if k <= 0 {
				return 0, &rowError{"bad interval", p}
			}
			p += k
			mo, k := binary.Varint(b[p:])
			if k <= 0 || mo > math.MaxInt32 || mo < math.MinInt32 {
				return 0, &rowError{"bad interval", p}
			}
			p += k
			dd, k := binary.Varint(b[p:])
			if k <= 0 || dd > math.MaxInt32 || dd < math.MinInt32 {
				return 0, &rowError{"bad interval", p}
			}
			p += k
		case tagUUID:
			if len(b)-p < 16 {
				return 0, &rowError{"truncated uuid", p}
			}
			p += 16
		case tagInet:
			m := inetLen(b[p:])
			if m == 0 {
				return 0, &rowError{"bad inet", p}
			}
			p += m
		default:
			return 0, &rowError{"unknown value tag", p - 1}
		}
	}
	if p != len(b) {
		return 0, &rowError{"trailing bytes", p}
	}
	return int(n), nil
}

var tagKind = [numTags]Kind{
	tagInt: KindInt, tagDate: KindDate, tagTimestamp: KindTimestamp,
	tagTimestampTZ: KindTimestampTZ, tagText: KindText, tagBytes: KindBytes, tagJSON: KindJSON,
}
