package types

import (
	"strconv"
	"strings"

	"github.com/cockroachdb/apd/v3"
	"github.com/omendb/omendb/pgerr"
)

// Numeric limits of PostgreSQL (numeric.c).
const (
	numericMaxPrecision    = 1000
	numericMaxDisplayScale = 1000
	numericMinSigDigits    = 16
	numericDScaleMax       = 0x3FFF
)

var (
	bigTen  = apd.NewBigInt(10)
	bigOne  = apd.NewBigInt(1)
	bigZero = apd.NewBigInt(0)
)

// pow10Big returns 10^n as a new BigInt (n ≥ 0).
func pow10Big(n int64) *apd.BigInt {
	z := new(apd.BigInt)
	if n <= 18 {
		p := int64(1)
		for i := int64(0); i < n; i++ {
			p *= 10
		}
		return z.SetInt64(p)
	}
	return z.Exp(bigTen, apd.NewBigInt(n), nil)
}

// NumericScale returns the display scale of a finite numeric (digits after the
// decimal point).
func NumericScale(d *apd.Decimal) int32 {
	if d == nil || d.Form != apd.Finite || d.Exponent >= 0 {
		return 0
	}
	return -d.Exponent
}

// normNumeric removes a positive exponent and negative zero in place.
func normNumeric(d *apd.Decimal) *apd.Decimal {
	if d.Form != apd.Finite {
		return d
	}
	if d.Exponent > 0 {
		d.Coeff.Mul(&d.Coeff, pow10Big(int64(d.Exponent)))
		d.Exponent = 0
	}
	if d.Coeff.Sign() == 0 {
		d.Negative = false
	}
	return d
}

// roundScale returns d rounded (half away from zero) or extended to exactly
// scale digits after the point. scale may be negative (rounds to tens…), in
// which case the result has exponent 0.
func roundScale(d *apd.Decimal, scale int32) *apd.Decimal {
	r := new(apd.Decimal)
	if d.Form != apd.Finite {
		r.Set(d)
		return r
	}
	target := -scale
	if d.Exponent == target {
		r.Set(d)
		return r
	}
	if d.Exponent > target {
		r.Coeff.Mul(&d.Coeff, pow10Big(int64(d.Exponent-target)))
		r.Exponent = target
		r.Negative = d.Negative
	} else {
		div := pow10Big(int64(target - d.Exponent))
		var q, rem apd.BigInt
		q.QuoRem(&d.Coeff, div, &rem)
		rem.Add(&rem, &rem)
		if rem.CmpAbs(div) >= 0 {
			q.Add(&q, bigOne)
		}
		r.Coeff.Set(&q)
		r.Exponent = target
		r.Negative = d.Negative
	}
	if target > 0 {
		r.Coeff.Mul(&r.Coeff, pow10Big(int64(target)))
		r.Exponent = 0
	}
	return normNumeric(r)
}

// numericIntDigits returns the number of digits before the decimal point of a
// finite decimal (0 for |d| < 1).
func numericIntDigits(d *apd.Decimal) int64 {
	if d.Coeff.Sign() == 0 {
		return 0
	}
	n := apd.NumDigits(&d.Coeff) + int64(d.Exponent)
	if n < 0 {
		return 0
	}
	return n
}

// numericTypmod splits a numeric typmod into precision and scale; ok is false
// for -1 (unconstrained).
func numericTypmod(mod int32) (prec, scale int32, ok bool) {
	if mod < 4 {
		return 0, 0, false
	}
	m := mod - 4
	prec = (m >> 16) & 0xffff
	scale = ((m & 0x7ff) ^ 1024) - 1024
	return prec, scale, true
}

// NumericTypmod builds the typmod of numeric(prec, scale).
func NumericTypmod(prec, scale int32) int32 { return ((prec << 16) | (scale & 0x7ff)) + 4 }

// applyNumericTypmod rounds d to the typmod's scale and checks its precision.
func applyNumericTypmod(d *apd.Decimal, mod int32) (*apd.Decimal, error) {
	prec, scale, ok := numericTypmod(mod)
	if !ok {
		return d, nil
	}
	if d.Form == apd.NaN || d.Form == apd.NaNSignaling {
		return d, nil
	}
	if d.Form == apd.Infinite {
		return nil, pgerr.New(pgerr.NumericValueOutOfRange, "numeric field overflow").
			WithDetail("A field with precision %d, scale %d cannot hold an infinite value.", prec, scale)
	}
	r := roundScale(d, scale)
	maxDigits := int64(prec - scale)
	if r.Coeff.Sign() != 0 && numericIntDigits(r) > maxDigits {
		e := pgerr.New(pgerr.NumericValueOutOfRange, "numeric field overflow")
		if maxDigits > 0 {
			return nil, e.WithDetail("A field with precision %d, scale %d must round to an absolute value less than 10^%d.", prec, scale, maxDigits)
		}
		return nil, e.WithDetail("A field with precision %d, scale %d must round to an absolute value less than 1.", prec, scale)
	}
	return r, nil
}

// ParseNumeric parses PostgreSQL numeric input syntax.
func ParseNumeric(s string) (*apd.Decimal, error) {
	t := strings.TrimSpace(s)
	bad := func() error {
		return pgerr.New(pgerr.InvalidTextRepresentation, "invalid input syntax for type numeric: \"%s\"", s)
	}
	if t == "" {
		return nil, bad()
	}
	switch strings.ToLower(t) {
	case "nan":
		return &apd.Decimal{Form: apd.NaN}, nil
	case "infinity", "+infinity", "inf", "+inf":
		return &apd.Decimal{Form: apd.Infinite}, nil
	case "-infinity", "-inf":
		return &apd.Decimal{Form: apd.Infinite, Negative: true}, nil
	}
	// Validate: [sign] digits [. digits] [e [sign] digits]
	i := 0
	if t[0] == '+' || t[0] == '-' {
		i++
	}
	nd := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
		nd++
	}
	if i < len(t) && t[i] == '.' {
		i++
		for i < len(t) && t[i] >= '0' && t[i] <= '9' {
			i++
			nd++
		}
	}
	if nd == 0 {
		return nil, bad()
	}
	if i < len(t) && (t[i] == 'e' || t[i] == 'E') {
		i++
		if i < len(t) && (t[i] == '+' || t[i] == '-') {
			i++
		}
		ne := 0
		for i < len(t) && t[i] >= '0' && t[i] <= '9' {
			i++
			ne++
		}
		if ne == 0 {
			return nil, bad()
		}
		// Far beyond the format's limits (131072 integer digits, 16383
		// fraction digits): reject before building a huge coefficient.
		if e, err := strconv.Atoi(strings.TrimLeft(t[i-ne:i], "0") + "0"); err != nil || e/10 > 400000 {
			return nil, pgerr.New(pgerr.NumericValueOutOfRange, "value overflows numeric format")
		}
	}
	if i != len(t) {
		return nil, bad()
	}
	d := new(apd.Decimal)
	if _, _, err := d.SetString(t); err != nil {
		return nil, pgerr.New(pgerr.NumericValueOutOfRange, "value overflows numeric format")
	}
	if numericIntDigits(d) > 131072 || d.Exponent < -16383 {
		return nil, pgerr.New(pgerr.NumericValueOutOfRange, "value overflows numeric format")
	}
	return normNumeric(d), nil
}

// appendNumeric appends PostgreSQL's numeric_out text.
func appendNumeric(buf []byte, d *apd.Decimal) []byte {
	if d == nil {
		return buf
	}
	switch d.Form {
	case apd.NaN, apd.NaNSignaling:
		return append(buf, "NaN"...)
	case apd.Infinite:
		if d.Negative {
			return append(buf, "-Infinity"...)
		}
		return append(buf, "Infinity"...)
	}
	if d.Coeff.Sign() == 0 && d.Negative {
		c := *d
		c.Negative = false
		return c.Append(buf, 'f')
	}
	return d.Append(buf, 'f')
}

// NumericFromInt returns an integer as a numeric of scale 0.
func NumericFromInt(i int64) *apd.Decimal { return apd.New(i, 0) }
