package funcs

import (
	"math"
	"math/big"

	"github.com/cockroachdb/apd/v3"
)

// Correctly rounded trigonometric functions. PostgreSQL calls glibc, whose
// sin, cos, tan, asin, acos and atan return the correctly rounded result
// for practically every input; Go's math package is off by one bit for
// about a quarter of inputs. These evaluate the functions with 128-bit
// big.Float arithmetic (Taylor series after argument reduction) and round
// once to float64.

const trigPrec = 128

// piStr is π to 70 digits.
const piStr = "3.141592653589793238462643383279502884197169399375105820974944592307816"

var bigPi = func() *big.Float {
	f, _, _ := big.ParseFloat(piStr, 10, trigPrec+64, big.ToNearestEven)
	return f
}()

func bf(x float64) *big.Float { return new(big.Float).SetPrec(trigPrec).SetFloat64(x) }

func newBF() *big.Float { return new(big.Float).SetPrec(trigPrec) }

// sinCosBig returns sin(x) and cos(x) for |x| ≤ π/4.
func sinCosBig(x *big.Float) (*big.Float, *big.Float) {
	x2 := newBF().Mul(x, x)
	sin, cos := newBF().Set(x), newBF().SetInt64(1)
	term := newBF().Set(x) // x^(2n+1)/(2n+1)!
	cterm := newBF().SetInt64(1)
	for n := int64(1); n < 40; n++ {
		term.Mul(term, x2)
		term.Quo(term, newBF().SetInt64((2*n)*(2*n+1)))
		term.Neg(term)
		sin.Add(sin, term)
		cterm.Mul(cterm, x2)
		cterm.Quo(cterm, newBF().SetInt64((2*n-1)*(2*n)))
		cterm.Neg(cterm)
		cos.Add(cos, cterm)
		if term.Sign() == 0 || term.MantExp(nil)-sin.MantExp(nil) < -trigPrec {
			break
		}
	}
	return sin, cos
}

// reduce returns r and the quadrant q with x = q·π/2 + r, |r| ≤ π/4.
func reduce(x float64) (*big.Float, int64) {
	bx := new(big.Float).SetPrec(trigPrec + 64).SetFloat64(x)
	halfPi := new(big.Float).SetPrec(trigPrec+64).Quo(bigPi, big.NewFloat(2))
	q := new(big.Float).Quo(bx, halfPi)
	qf, _ := q.Float64()
	qi := int64(math.Round(qf))
	r := new(big.Float).SetPrec(trigPrec+64).Sub(bx, new(big.Float).SetPrec(trigPrec+64).Mul(halfPi, big.NewFloat(float64(qi))))
	return newBF().Set(r), qi
}

func trigOK(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) && math.Abs(x) < 1e15 }

func sinCR(x float64) float64 {
	if !trigOK(x) || x == 0 {
		return math.Sin(x)
	}
	r, q := reduce(x)
	s, c := sinCosBig(r)
	var v *big.Float
	switch ((q % 4) + 4) % 4 {
	case 0:
		v = s
	case 1:
		v = c
	case 2:
		v = s.Neg(s)
	default:
		v = c.Neg(c)
	}
	f, _ := v.Float64()
	return f
}

func cosCR(x float64) float64 {
	if !trigOK(x) {
		return math.Cos(x)
	}
	r, q := reduce(x)
	s, c := sinCosBig(r)
	var v *big.Float
	switch ((q % 4) + 4) % 4 {
	case 0:
		v = c
	case 1:
		v = s.Neg(s)
	case 2:
		v = c.Neg(c)
	default:
		v = s
	}
	f, _ := v.Float64()
	return f
}

func tanCR(x float64) float64 {
	if !trigOK(x) || x == 0 {
		return math.Tan(x)
	}
	r, q := reduce(x)
	s, c := sinCosBig(r)
	var v *big.Float
	if q%2 == 0 {
		v = newBF().Quo(s, c)
	} else {
		v = newBF().Quo(c, s)
		v.Neg(v)
	}
	f, _ := v.Float64()
	return f
}

// atanBig is atan(x) for any x, by atan(x) = 2·atan(x / (1 + sqrt(1 + x²)))
// halvings until |x| is small, then the Taylor series.
func atanBig(x *big.Float) *big.Float {
	one := newBF().SetInt64(1)
	halvings := 0
	y := newBF().Set(x)
	small := newBF().SetFloat64(0.05)
	for newBF().Abs(y).Cmp(small) > 0 {
		t := newBF().Mul(y, y)
		t.Add(t, one)
		t.Sqrt(t)
		t.Add(t, one)
		y.Quo(y, t)
		halvings++
	}
	y2 := newBF().Mul(y, y)
	sum := newBF().Set(y)
	pow := newBF().Set(y)
	for n := int64(1); n < 200; n++ {
		pow.Mul(pow, y2)
		pow.Neg(pow)
		term := newBF().Quo(pow, newBF().SetInt64(2*n+1))
		sum.Add(sum, term)
		if term.Sign() == 0 || term.MantExp(nil)-sum.MantExp(nil) < -trigPrec {
			break
		}
	}
	return sum.SetMantExp(sum, halvings)
}

func atanCR(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) || x == 0 {
		return math.Atan(x)
	}
	f, _ := atanBig(bf(x)).Float64()
	return f
}

func asinCR(x float64) float64 {
	if math.IsNaN(x) || x == 0 || math.Abs(x) >= 1 {
		return math.Asin(x)
	}
	bx := bf(x)
	d := newBF().Mul(bx, bx)
	d.Sub(newBF().SetInt64(1), d)
	d.Sqrt(d)
	f, _ := atanBig(newBF().Quo(bx, d)).Float64()
	return f
}

func acosCR(x float64) float64 {
	if math.IsNaN(x) || math.Abs(x) >= 1 {
		return math.Acos(x)
	}
	// acos(x) = π/2 − asin(x) = π/2 − atan(x / sqrt(1 − x²))
	bx := bf(x)
	d := newBF().Mul(bx, bx)
	d.Sub(newBF().SetInt64(1), d)
	d.Sqrt(d)
	a := atanBig(newBF().Quo(bx, d))
	halfPi := newBF().Quo(bigPi, big.NewFloat(2))
	f, _ := newBF().Sub(halfPi, a).Float64()
	return f
}

// cotCR is cot(x) = 1/tan(x) as PostgreSQL computes it (dcot divides).
func cotCR(x float64) float64 { return 1.0 / tanCR(x) }

func atan2CR(y, x float64) float64 {
	if math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0) || x == 0 || y == 0 {
		return math.Atan2(y, x)
	}
	a := atanBig(newBF().Quo(bf(y), bf(x)))
	if x < 0 {
		if y >= 0 {
			a.Add(a, bigPi)
		} else {
			a.Sub(a, bigPi)
		}
	}
	f, _ := a.Float64()
	return f
}

// powCR is x^y rounded once from a 40-digit result, as glibc's pow (which
// PostgreSQL calls) practically always is; math.Pow can be several bits off.
func powCR(x, y float64) float64 {
	r := math.Pow(x, y)
	if math.IsNaN(r) || math.IsInf(r, 0) || r == 0 || x == 0 || y == 0 || x == 1 ||
		math.IsInf(x, 0) || math.IsInf(y, 0) || math.IsNaN(x) || math.IsNaN(y) {
		return r
	}
	ctx := apd.BaseContext.WithPrecision(40)
	bx, by := exactDec(math.Abs(x)), exactDec(y)
	ln, p, e := newDec(), newDec(), newDec()
	if _, err := ctx.Ln(ln, bx); err != nil {
		return r
	}
	if _, err := ctx.Mul(p, ln, by); err != nil {
		return r
	}
	if _, err := ctx.Exp(e, p); err != nil {
		return r
	}
	v, ok := roundFloat(e)
	if !ok {
		return r
	}
	if x < 0 && math.Mod(y, 2) != 0 {
		v = -v
	}
	return v
}
