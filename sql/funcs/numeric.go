package funcs

import (
	"math"

	"github.com/cockroachdb/apd/v3"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// PostgreSQL's numeric result-scale constants (numeric.c).
const (
	minSigDigits    = 16
	maxDisplayScale = 1000
	decDigits       = 4 // decimal digits per base-10000 numeric digit
)

// exact is the context for exact arithmetic (add, sub, mul, quantize).
var exact = func() *apd.Context {
	c := apd.BaseContext.WithPrecision(4000)
	c.Rounding = apd.RoundHalfUp
	return c
}()

func newDec() *apd.Decimal { return new(apd.Decimal) }

func decInt(i int64) *apd.Decimal { return apd.New(i, 0) }

func numVal(d *apd.Decimal) types.Value { return types.NewNumeric(fixScale(d)) }

// fixScale gives d a non-positive exponent, as PostgreSQL's numeric has no
// positive display scale (1E+2 is stored as 100).
func fixScale(d *apd.Decimal) *apd.Decimal {
	if d.Form == apd.Finite && d.Exponent > 0 {
		r := newDec()
		_, _ = exact.Quantize(r, d, 0)
		return r
	}
	return d
}

// dscale is the numeric's display scale: digits after the decimal point.
func dscale(d *apd.Decimal) int32 {
	if d.Form != apd.Finite || d.Exponent >= 0 {
		return 0
	}
	return -d.Exponent
}

// roundTo rounds d to s decimal places (s may be negative), half away from
// zero, with a display scale of max(s, 0).
func roundTo(d *apd.Decimal, s int32, mode apd.Rounder) *apd.Decimal {
	if d.Form != apd.Finite {
		return d
	}
	c := *exact
	c.Rounding = mode
	r := newDec()
	if _, err := c.Quantize(r, d, -s); err != nil {
		return d
	}
	// apd's Quantize drops a value entirely below the quantum to zero
	// without applying the rounding mode: fix ceiling and floor.
	switch {
	case mode == apd.RoundCeiling && d.Sign() > 0 && r.Cmp(d) < 0:
		_, _ = exact.Add(r, r, apd.New(1, -s))
	case mode == apd.RoundFloor && d.Sign() < 0 && r.Cmp(d) > 0:
		_, _ = exact.Sub(r, r, apd.New(1, -s))
	}
	if s < 0 {
		q := newDec()
		_, _ = c.Quantize(q, r, 0)
		r = q
	}
	if r.IsZero() {
		r.Negative = false
	}
	return r
}

// pgWeight returns PostgreSQL's base-10000 weight of a non-zero d and its
// leading base-10000 digit, plus the value of its first two digits and
// their decimal weight (for the ln estimate).
func pgWeight(d *apd.Decimal) (weight int, first int64) {
	if d.IsZero() || d.Form != apd.Finite {
		return 0, 0
	}
	nd := int(d.NumDigits())
	dexp := nd - 1 + int(d.Exponent) // decimal exponent of the leading digit
	weight = floorDiv(dexp, decDigits)
	// leading group = floor(|d| / 10000^weight) mod 10000
	shift := int32(-weight * decDigits)
	s := newDec()
	s.Abs(d)
	s.Exponent += shift
	ip := newDec()
	_, _ = exact.Floor(ip, s)
	i, _ := ip.Int64()
	return weight, i % 10000
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// leadingDigits returns f, p with |d| ≈ f·10^p, f built from up to n base-10000 digits.
func leadingDigits(d *apd.Decimal, n int) (float64, int) {
	w, _ := pgWeight(d)
	s := newDec()
	s.Abs(d)
	shift := int32(-(w - n + 1) * decDigits)
	s.Exponent += shift
	ip := newDec()
	_, _ = exact.Floor(ip, s)
	f, _ := ip.Float64()
	return f, (w - n + 1) * decDigits
}

func clampScale(r int) int32 {
	if r < 0 {
		r = 0
	}
	if r > maxDisplayScale {
		r = maxDisplayScale
	}
	return int32(r)
}

// divScale is PostgreSQL's select_div_scale.
func divScale(a, b *apd.Decimal) int32 {
	w1, f1 := pgWeight(a)
	w2, f2 := pgWeight(b)
	qw := w1 - w2
	if f1 <= f2 {
		qw--
	}
	r := minSigDigits - qw*decDigits
	r = max(r, int(dscale(a)), int(dscale(b)))
	return clampScale(r)
}

// numDiv divides a by b, rounding half away from zero at scale.
func numDiv(a, b *apd.Decimal, scale int32) (*apd.Decimal, error) {
	if b.IsZero() {
		return nil, pgerr.New(pgerr.DivisionByZero, "division by zero")
	}
	// Truncate with guard digits, then round once: exact half-up result.
	wa, _ := pgWeight(a)
	wb, _ := pgWeight(b)
	prec := (wa-wb+2)*decDigits + int(scale) + 8
	if prec < 8 {
		prec = 8
	}
	c := apd.BaseContext.WithPrecision(uint32(prec))
	c.Rounding = apd.RoundDown
	q := newDec()
	if _, err := c.Quo(q, a, b); err != nil {
		return nil, pgerr.New(pgerr.NumericValueOutOfRange, "value overflows numeric format")
	}
	return roundTo(q, scale, apd.RoundHalfUp), nil
}

// lnDweight is PostgreSQL's estimate_ln_dweight: the decimal weight of ln(d).
func lnDweight(d *apd.Decimal) int {
	if d.Sign() <= 0 {
		return 0
	}
	lo, hi := apd.New(9, -1), apd.New(11, -1)
	if d.Cmp(lo) >= 0 && d.Cmp(hi) <= 0 {
		x := newDec()
		_, _ = exact.Sub(x, d, decInt(1))
		if x.IsZero() {
			return 0
		}
		w, f := pgWeight(x)
		return w*decDigits + int(math.Log10(float64(f)))
	}
	f, p := leadingDigits(d, 2)
	l := math.Log(f) + float64(p)*2.302585092994046
	return int(math.Log10(math.Abs(l)))
}

// fnCtx returns a context for transcendental functions good to scale digits
// after the point for a result of decimal weight about w.
func fnCtx(w, scale int) *apd.Context {
	p := w + scale + 10
	if p < 20 {
		p = 20
	}
	c := apd.BaseContext.WithPrecision(uint32(p))
	c.Rounding = apd.RoundHalfEven
	return c
}

func numOverflow() error {
	return pgerr.New(pgerr.NumericValueOutOfRange, "value overflows numeric format")
}

func numSqrt(x *apd.Decimal) (*apd.Decimal, error) {
	if x.Form == apd.NaN {
		return x, nil
	}
	if x.Sign() < 0 {
		return nil, pgerr.New("2201F", "cannot take square root of a negative number")
	}
	if x.Form == apd.Infinite {
		return x, nil
	}
	w, _ := pgWeight(x)
	sw := (w+1)*decDigits/2 - 1
	scale := clampScale(max(minSigDigits-sw, int(dscale(x))))
	r := newDec()
	if _, err := fnCtx(sw+2, int(scale)).Sqrt(r, x); err != nil {
		return nil, numOverflow()
	}
	return roundTo(r, scale, apd.RoundHalfUp), nil
}

func numExp(x *apd.Decimal) (*apd.Decimal, error) {
	if x.Form == apd.NaN {
		return x, nil
	}
	if x.Form == apd.Infinite {
		if x.Negative {
			return decInt(0), nil
		}
		return x, nil
	}
	v, _ := x.Float64()
	v *= 0.434294481903252
	v = math.Max(-2000, math.Min(2000, v))
	if v > 131072 {
		return nil, numOverflow()
	}
	scale := clampScale(max(minSigDigits-int(v), int(dscale(x))))
	r := newDec()
	if _, err := fnCtx(int(v)+2, int(scale)).Exp(r, x); err != nil {
		return nil, numOverflow()
	}
	return roundTo(r, scale, apd.RoundHalfUp), nil
}

func lnArgCheck(x *apd.Decimal) error {
	if x.IsZero() {
		return pgerr.New("2201E", "cannot take logarithm of zero")
	}
	if x.Sign() < 0 {
		return pgerr.New("2201E", "cannot take logarithm of a negative number")
	}
	return nil
}

func numLn(x *apd.Decimal) (*apd.Decimal, error) {
	if x.Form == apd.NaN {
		return x, nil
	}
	if err := lnArgCheck(x); err != nil {
		return nil, err
	}
	if x.Form == apd.Infinite {
		return x, nil
	}
	dw := lnDweight(x)
	scale := clampScale(max(minSigDigits-dw, int(dscale(x))))
	r := newDec()
	if _, err := fnCtx(dw+2, int(scale)).Ln(r, x); err != nil {
		return nil, numOverflow()
	}
	return roundTo(r, scale, apd.RoundHalfUp), nil
}

// numLog is log(base, x).
func numLog(base, x *apd.Decimal) (*apd.Decimal, error) {
	if base.Form == apd.NaN {
		return base, nil
	}
	if x.Form == apd.NaN {
		return x, nil
	}
	if err := lnArgCheck(base); err != nil {
		return nil, err
	}
	if err := lnArgCheck(x); err != nil {
		return nil, err
	}
	if base.Cmp(decInt(1)) == 0 {
		return nil, pgerr.New(pgerr.DivisionByZero, "division by zero")
	}
	dw := lnDweight(x) - lnDweight(base)
	scale := clampScale(max(minSigDigits-dw, int(dscale(base)), int(dscale(x))))
	c := fnCtx(max(dw, 0)+30, int(scale)+10)
	lb, lx, r := newDec(), newDec(), newDec()
	if _, err := c.Ln(lb, base); err != nil {
		return nil, numOverflow()
	}
	if _, err := c.Ln(lx, x); err != nil {
		return nil, numOverflow()
	}
	if _, err := c.Quo(r, lx, lb); err != nil {
		return nil, numOverflow()
	}
	return roundTo(r, scale, apd.RoundHalfUp), nil
}

func isIntegral(d *apd.Decimal) bool {
	if d.Form != apd.Finite {
		return false
	}
	f := newDec()
	_, _ = exact.Floor(f, d)
	return f.Cmp(d) == 0
}

func numPower(base, exp *apd.Decimal) (*apd.Decimal, error) {
	if base.Form == apd.NaN || exp.Form == apd.NaN {
		if base.Form == apd.Finite && base.Cmp(decInt(1)) == 0 {
			return decInt(1), nil
		}
		if exp.Form == apd.Finite && exp.IsZero() {
			return decInt(1), nil
		}
		return &apd.Decimal{Form: apd.NaN}, nil
	}
	if base.Form != apd.Finite || exp.Form != apd.Finite {
		return nil, pgerr.NotSupported("power() of infinite numeric values is not supported")
	}
	if base.IsZero() && exp.Sign() < 0 {
		return nil, pgerr.New("2201F", "zero raised to a negative power is undefined")
	}
	intExp := isIntegral(exp)
	if base.Sign() < 0 && !intExp {
		return nil, pgerr.New("2201F", "a negative number raised to a non-integer power yields a complex result")
	}
	if intExp {
		e, err := exp.Int64()
		if err == nil && e >= math.MinInt32 && e <= math.MaxInt32 {
			scale := clampScale(max(minSigDigits, int(dscale(base)), int(dscale(exp))))
			if e == 0 {
				r := decInt(1)
				return roundTo(r, scale, apd.RoundHalfUp), nil
			}
			f, p := leadingDigits(base, 4)
			w := float64(e) * (math.Log10(f) + float64(p))
			if w > 131072 {
				return nil, numOverflow()
			}
			if w+1 < -maxDisplayScale {
				return roundTo(decInt(0), maxDisplayScale, apd.RoundHalfUp), nil
			}
			c := fnCtx(int(math.Abs(w))+4, int(scale))
			r := newDec()
			if _, err := c.Pow(r, base, exp); err != nil {
				return nil, numOverflow()
			}
			return roundTo(r, scale, apd.RoundHalfUp), nil
		}
	}
	if base.IsZero() {
		return roundTo(decInt(0), clampScale(minSigDigits), apd.RoundHalfUp), nil
	}
	// General case: result = exp(exp·ln(base)), scale from a rough estimate.
	lds := max(8-lnDweight(base), 0)
	lc := fnCtx(lnDweight(base)+2, lds)
	lnb := newDec()
	if _, err := lc.Ln(lnb, base); err != nil {
		return nil, numOverflow()
	}
	lnb = roundTo(lnb, int32(lds), apd.RoundHalfUp)
	prod := newDec()
	_, _ = exact.Mul(prod, lnb, exp)
	prod = roundTo(prod, int32(lds), apd.RoundHalfUp)
	v, _ := prod.Float64()
	if math.Abs(v) > 2000*3.01 {
		if v > 0 {
			return nil, numOverflow()
		}
		return roundTo(decInt(0), maxDisplayScale, apd.RoundHalfUp), nil
	}
	v *= 0.434294481903252
	scale := clampScale(max(minSigDigits-int(v), int(dscale(base)), int(dscale(exp))))
	c := fnCtx(int(math.Abs(v))+4, int(scale))
	r := newDec()
	if _, err := c.Pow(r, base, exp); err != nil {
		return nil, numOverflow()
	}
	return roundTo(r, scale, apd.RoundHalfUp), nil
}

// numFromFloat converts a float64 to numeric as PostgreSQL's float8_numeric
// does (15 significant digits).
func numFromFloat(f float64) *apd.Decimal {
	d := newDec()
	if math.IsNaN(f) {
		d.Form = apd.NaN
		return d
	}
	if math.IsInf(f, 0) {
		d.Form = apd.Infinite
		d.Negative = f < 0
		return d
	}
	_, _, _ = d.SetString(formatG15(f))
	return fixScale(d)
}
