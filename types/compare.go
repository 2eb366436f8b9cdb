package types

import (
	"encoding/binary"
	"hash/maphash"
	"math"
	"math/big"
	"strconv"

	"github.com/cockroachdb/apd/v3"
)

// Compare orders two values; it returns -1, 0 or +1. Numbers of any kind
// (int, numeric, float) compare with each other by value; NaN is larger than
// every other number and equal to itself (as in PostgreSQL). Text and bytea
// compare bytewise (C collation). Intervals compare by their span with 30-day
// months and 24-hour days. Dates compare with timestamps as midnight, and
// timestamp with timestamptz by their µs as if the zone were UTC (cast
// first to compare in a session zone). NULL
// sorts after everything (NULLS LAST) and equal to NULL. Values of unrelated
// kinds order by kind so that Compare is a total order.
func Compare(a, b Value) int {
	if a.K == b.K {
		switch a.K {
		case KindNull:
			return 0
		case KindBool, KindInt, KindDate, KindTimestamp, KindTimestampTZ:
			return cmpInt(a.I, b.I)
		case KindFloat:
			return cmpFloat(a.Float(), b.Float())
		case KindNumeric:
			return cmpNumeric(a.N, b.N)
		case KindText, KindBytes, KindUUID, KindInet:
			return cmpStr(a.S, b.S)
		case KindJSON:
			return compareJSONText(a.S, b.S) // jsonb's order (json has none)
		case KindInterval:
			return cmpInterval(a, b)
		case KindArray:
			return compareArrays(a, b)
		}
		return 0
	}
	if a.K == KindNull {
		return 1
	}
	if b.K == KindNull {
		return -1
	}
	if isNumberKind(a.K) && isNumberKind(b.K) {
		return cmpNumbers(a, b)
	}
	if isTimeKind(a.K) && isTimeKind(b.K) {
		return cmpInt(timeMicros(a), timeMicros(b))
	}
	return cmpInt(int64(a.K), int64(b.K))
}

// Equal reports whether Compare(a, b) == 0 for non-null values. NULL is
// equal to nothing, not even NULL (SQL semantics).
func Equal(a, b Value) bool {
	if a.K == KindNull || b.K == KindNull {
		return false
	}
	if a.K == b.K {
		switch a.K {
		case KindBool, KindInt, KindDate, KindTimestamp, KindTimestampTZ:
			return a.I == b.I
		case KindText, KindBytes, KindUUID, KindInet:
			return a.S == b.S
		case KindJSON:
			if a.S == b.S {
				return true
			}
		}
	}
	return Compare(a, b) == 0
}

// CompareTyped is Compare for values of SQL type t: for bpchar (char(n)) it
// ignores trailing spaces as PostgreSQL does; otherwise it is Compare.
func CompareTyped(a, b Value, t Type) int {
	if t.OID == OIDBPChar && a.K == KindText && b.K == KindText {
		return CompareBPChar(a.S, b.S)
	}
	return Compare(a, b)
}

// CompareBPChar compares two character(n) strings ignoring trailing spaces.
func CompareBPChar(a, b string) int {
	return cmpStr(trimTrailingSpaces(a), trimTrailingSpaces(b))
}

// HashTyped is Hash for values of SQL type t, consistent with CompareTyped.
func HashTyped(v Value, t Type) uint64 {
	if t.OID == OIDBPChar && v.K == KindText {
		v.S = trimTrailingSpaces(v.S)
	}
	return Hash(v)
}

func trimTrailingSpaces(s string) string {
	n := len(s)
	for n > 0 && s[n-1] == ' ' {
		n--
	}
	return s[:n]
}

func cmpInt(a, b int64) int {
	if a < b {
		return -1
	}
	if a > b {
		return 1
	}
	return 0
}

func cmpStr(a, b string) int {
	if a < b {
		return -1
	}
	if a > b {
		return 1
	}
	return 0
}

// cmpFloat orders floats as PostgreSQL's float8_cmp: NaN = NaN > everything.
func cmpFloat(a, b float64) int {
	an, bn := math.IsNaN(a), math.IsNaN(b)
	switch {
	case an && bn:
		return 0
	case an:
		return 1
	case bn:
		return -1
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func numericIsNaN(d *apd.Decimal) bool {
	return d.Form == apd.NaN || d.Form == apd.NaNSignaling
}

func cmpNumeric(a, b *apd.Decimal) int {
	an, bn := numericIsNaN(a), numericIsNaN(b)
	switch {
	case an && bn:
		return 0
	case an:
		return 1
	case bn:
		return -1
	}
	return a.Cmp(b)
}

func isNumberKind(k Kind) bool { return k == KindInt || k == KindFloat || k == KindNumeric }

func isTimeKind(k Kind) bool {
	return k == KindDate || k == KindTimestamp || k == KindTimestampTZ
}

// timeMicros returns a date/timestamp as µs since the epoch (dates at
// midnight; infinities saturate).
func timeMicros(v Value) int64 {
	if v.K != KindDate {
		return v.I
	}
	return dateToMicros(v.I)
}

func dateToMicros(d int64) int64 {
	if d == math.MinInt64 || d == math.MaxInt64 {
		return d
	}
	if d > math.MaxInt64/usPerDay || d < math.MinInt64/usPerDay+1 {
		if d > 0 {
			return math.MaxInt64 - 1
		}
		return math.MinInt64 + 1
	}
	return d * usPerDay
}

// toDecimal returns the exact decimal of an int or numeric, and the shortest
// round-trip decimal of a finite float.
func toDecimal(v Value) *apd.Decimal {
	switch v.K {
	case KindInt:
		return apd.New(v.I, 0)
	case KindNumeric:
		return v.N
	case KindFloat:
		f := v.Float()
		switch {
		case math.IsNaN(f):
			return &apd.Decimal{Form: apd.NaN}
		case math.IsInf(f, 1):
			return &apd.Decimal{Form: apd.Infinite}
		case math.IsInf(f, -1):
			return &apd.Decimal{Form: apd.Infinite, Negative: true}
		}
		d := new(apd.Decimal)
		var tmp [32]byte
		if _, _, err := d.SetString(string(strconv.AppendFloat(tmp[:0], f, 'e', -1, 64))); err != nil {
			return &apd.Decimal{Form: apd.NaN}
		}
		return d
	}
	return &apd.Decimal{Form: apd.NaN}
}

const twoTo53 = 1 << 53

func cmpNumbers(a, b Value) int {
	// Fast paths: int vs float within the exactly representable range.
	if a.K == KindInt && b.K == KindFloat {
		if f := b.Float(); a.I > -twoTo53 && a.I < twoTo53 && (math.IsNaN(f) || math.Abs(f) < twoTo53) {
			return cmpFloat(float64(a.I), f)
		}
	}
	if a.K == KindFloat && b.K == KindInt {
		if f := a.Float(); b.I > -twoTo53 && b.I < twoTo53 && (math.IsNaN(f) || math.Abs(f) < twoTo53) {
			return cmpFloat(f, float64(b.I))
		}
	}
	return cmpNumeric(toDecimal(a), toDecimal(b))
}

// intervalSpan is PostgreSQL's interval_cmp_value: a 128-bit µs count with
// 30-day months and 24-hour days.
func intervalSpan(v Value) (hi int64, lo uint64) {
	days := int64(v.Months())*30 + int64(v.Days())
	// days * usPerDay fits easily in 128 bits; compute with big for clarity of
	// overflow-free arithmetic without importing math/bits tricks.
	var x, y big.Int
	x.SetInt64(days)
	x.Mul(&x, big.NewInt(usPerDay))
	y.SetInt64(v.I)
	x.Add(&x, &y)
	// x fits in 128 bits: split it.
	neg := x.Sign() < 0
	var abs big.Int
	abs.Abs(&x)
	words := abs.Bits()
	var u0, u1 uint64
	if len(words) > 0 {
		u0 = uint64(words[0])
	}
	if len(words) > 1 {
		u1 = uint64(words[1])
	}
	if neg { // two's complement
		u0 = ^u0 + 1
		u1 = ^u1
		if u0 == 0 {
			u1++
		}
	}
	return int64(u1), u0
}

func cmpInterval(a, b Value) int {
	if a.I2 == b.I2 {
		return cmpInt(a.I, b.I)
	}
	// Common case: no overflow in 64-bit arithmetic.
	da := int64(a.Months())*30 + int64(a.Days())
	db := int64(b.Months())*30 + int64(b.Days())
	const lim = math.MaxInt64/usPerDay - 1
	if da < lim && da > -lim && db < lim && db > -lim {
		sa, oka := addNoOverflow(da*usPerDay, a.I)
		sb, okb := addNoOverflow(db*usPerDay, b.I)
		if oka && okb {
			return cmpInt(sa, sb)
		}
	}
	ha, la := intervalSpan(a)
	hb, lb := intervalSpan(b)
	if ha != hb {
		return cmpInt(ha, hb)
	}
	if la < lb {
		return -1
	}
	if la > lb {
		return 1
	}
	return 0
}

func addNoOverflow(a, b int64) (int64, bool) {
	c := a + b
	if (c > a) == (b > 0) {
		return c, true
	}
	return c, false
}

var hashSeed = maphash.MakeSeed()

// Hash returns a hash consistent with Compare == 0: 1::int, 1.0::numeric and
// 1.0::float8 hash alike; intervals of equal span hash alike. The seed is
// fixed per process (hashes are not persisted).
func Hash(v Value) uint64 {
	var buf [24]byte
	switch v.K {
	case KindNull:
		return 0x9e3779b97f4a7c15
	case KindBool:
		buf[0] = 1
		buf[1] = byte(v.I)
		return maphash.Bytes(hashSeed, buf[:2])
	case KindInt:
		if v.I > -twoTo53 && v.I < twoTo53 {
			return hashSmallInt(v.I)
		}
		return hashDecimal(apd.New(v.I, 0))
	case KindFloat:
		f := v.Float()
		if math.IsNaN(f) {
			return hashNaN
		}
		if f == math.Trunc(f) && math.Abs(f) < twoTo53 {
			return hashSmallInt(int64(f))
		}
		return hashDecimal(toDecimal(v))
	case KindNumeric:
		return hashDecimal(v.N)
	case KindText, KindBytes, KindUUID, KindInet:
		// Text, bytea, uuid, inet and json never compare equal to each other's
		// kinds, so the kind need not be mixed in.
		return maphash.String(hashSeed, v.S)
	case KindJSON:
		return maphash.String(hashSeed, jsonHashText(v.S))
	case KindDate, KindTimestamp, KindTimestampTZ:
		buf[0] = 3
		binary.LittleEndian.PutUint64(buf[1:], uint64(timeMicros(v)))
		return maphash.Bytes(hashSeed, buf[:9])
	case KindInterval:
		hi, lo := intervalSpan(v)
		buf[0] = 4
		binary.LittleEndian.PutUint64(buf[1:], uint64(hi))
		binary.LittleEndian.PutUint64(buf[9:], lo)
		return maphash.Bytes(hashSeed, buf[:17])
	case KindArray:
		return hashArray(v)
	}
	return 0
}

var hashNaN = maphash.String(hashSeed, "NaN")

func hashSmallInt(i int64) uint64 {
	var buf [9]byte
	buf[0] = 2
	binary.LittleEndian.PutUint64(buf[1:], uint64(i))
	return maphash.Bytes(hashSeed, buf[:])
}

// hashDecimal hashes a numeric by value: trailing zeros of the coefficient
// are irrelevant (1.0 = 1), and integers below 2^53 hash as hashSmallInt.
func hashDecimal(d *apd.Decimal) uint64 {
	switch d.Form {
	case apd.NaN, apd.NaNSignaling:
		return hashNaN
	case apd.Infinite:
		if d.Negative {
			return maphash.String(hashSeed, "-Inf")
		}
		return maphash.String(hashSeed, "+Inf")
	}
	if d.Coeff.Sign() == 0 {
		return hashSmallInt(0)
	}
	digits := d.Coeff.Append(nil, 10)
	exp := int64(d.Exponent)
	for len(digits) > 1 && digits[len(digits)-1] == '0' {
		digits = digits[:len(digits)-1]
		exp++
	}
	if exp >= 0 && int64(len(digits))+exp <= 16 {
		// small integer?
		n, err := strconv.ParseInt(string(digits), 10, 64)
		if err == nil {
			for k := int64(0); k < exp; k++ {
				n *= 10
			}
			if n < twoTo53 {
				if d.Negative {
					n = -n
				}
				return hashSmallInt(n)
			}
		}
	}
	var h maphash.Hash
	h.SetSeed(hashSeed)
	if d.Negative {
		h.WriteByte('-')
	}
	h.Write(digits)
	var eb [8]byte
	binary.LittleEndian.PutUint64(eb[:], uint64(exp))
	h.Write(eb[:])
	return h.Sum64()
}
